#!/bin/sh
# test-files.sh: files in a normal boot's shell (issue 19; docs/files.md):
# the file commands and their errors, output redirection, cd/pwd per
# session (kept across a swap of the shell itself), the mount table and
# the history file, /sys; then two background jobs keep files open and
# write and check them while the shell swaps each filesystem cell - vfs,
# memfs, sysview - for a fresh copy, and both must end with every byte
# right. Last line: RESULT files <passed> <failed>.
set -u
cd "$(dirname "$0")/.." || exit 2
log=build/files-session.log
mkdir -p build
tools/run-commands --timeout 180 \
	"ls /" "mkdir /w" "cd /w" pwd "echo hello file > a" "cat a" "uptime >> a" "cat /w/a" "ls" \
	"cp a b" "mv b /c" "ls /" "cat /c" "cp /c ." "ls /w" "rm /c" "cat /c" "rm /sys" "echo x > /sys/x" \
	"mkdir /w" "cd /nope" "cd /w/a" "rm /w/nothing" "mkdir /w/d" "cp /w/a /w/d" "rm /w/d" "mv /w /w/d/x" \
	"echo a > " "ls /sys" "cat /sys/namespaces" "cat /sys/cells/kernel/memfs" "cat /sys/tasks" \
	"umount /disk" "mkdir /disk" "mount memfs - /disk" "echo typed after the mount" "cat /disk/.history" \
	mount "umount /disk" "mount nofs - /disk" "mount memfs - /nope" "umount /sys/cells" \
	"fswork /w/f1 20 &" "fswork /w/f2 20 > /w/f2.out &" "ls /w" "cat /sys/mounts" \
	"swap vfs vfs" "swap memfs memfs -t memfs_adopt" "swap sysview sysview -t sysview_adopt" \
	"swap shell shell" pwd "fswork /w/f3 22" "cat /w/f2.out" "ls /w" jobs halt > "$log" 2>&1
rc=$?
T_PREFIX=files/ T_SUITE=files
. "$(dirname "$0")/test-lib.sh"
check() { expect_line "$1" "$2" "$log"; }
count() { # name ERE n: exactly n lines match
	c=$(grep -Ec -- "$2" "$log")
	if [ "$c" -eq "$3" ]; then ok "$1"; else bad "$1" "$c lines match /$2/, not $3"; fi
}
if [ $rc = 0 ]; then ok "session (every command returned to the prompt, halt)"; else bad session "run-commands exit $rc"; tail -5 "$log" | sed 's/^/    | /'; fi
check mounted_at_boot 'vfs: mounted memfs at /$'
check sys_mounted 'vfs: mounted sysview at /sys$'
check ls_root '^d +0  sys/$'
check pwd '^/w$'
check redirect '^hello file$'
check append '^up [0-9]+\.[0-9]{3} s, [0-9]+ tasks, 4 CPUs$'
check ls_file '^- +[0-9]+  a$'
check cp_mv '^- +[0-9]+  c$'
check cp_into_dir '^- +[0-9]+  c$'
check cat_missing '^cat: /c: not found$'
check rm_mount_point '^rm: /sys: already in use \(a mount point\)$'
check redirect_rofs '^shell: /sys/x: read-only file system: nothing run$'
check mkdir_exists '^mkdir: /w: already exists$'
check cd_missing '^cd: /nope: not found$'
check cd_file '^cd: /w/a: not a directory$'
check rm_missing '^rm: /w/nothing: not found$'
check rm_nonempty '^rm: /w/d: directory not empty$'
check mv_into_itself '^mv: /w -> /w/d/x: invalid argument$'
check redirect_no_name '^shell: `>` and `>>` need one file name after them: nothing run$'
check sys_ls '^- +[0-9]+  namespaces$'
check sys_namespaces '^kernel +parent - +[0-9]+ cells'
check sys_cell '^cell memfs in namespace kernel$'
check sys_cell_deps '^  vfs +[0-9]+ edges$'
check sys_tasks '^ +[0-9]+ shell +(blocked|runnable)'
check history_file '^echo typed after the mount$'
check mount_list '^none on /disk type memfs \(0 open\)$'
check umount 'vfs: unmounted /disk$'
check mount_bad_type '^mount: nofs on - at /disk: not found'
check mount_bad_dir '^mount: memfs on - at /nope: not found'
check umount_not_mount '^umount: /sys/cells: not found$'
check open_files '^- +[0-9]+  f1$'
# the two jobs' files and the redirected output on /; their /sys/namespaces and cat's own on /sys
check open_count_root '^/ +memfs +- +3 open$'
check open_count_sys '^/sys +sysview +- +3 open$'
check swap_vfs '^swapped: vfs -> vfs '
check swap_memfs '^swapped: memfs -> memfs '
check swap_sysview '^swapped: sysview -> sysview '
check cwd_after_shell_swap '^/w$'
count fswork_correct '^fswork: /w/f[13]: [1-9][0-9]* records written and read back, all correct' 2
check fswork_redirected '^fswork: /w/f2: [1-9][0-9]* records written and read back, all correct'
count fswork_done '^\[[12]\] done fswork \(exit 0\)$' 2
if grep -q '^fswork: .*: \(write\|read back\|final read back\|/sys/namespaces\)' "$log"; then
	bad fswork_no_error "$(grep '^fswork: ' "$log" | grep -v 'all correct' | head -1)"
else
	ok fswork_no_error
fi
finish
