/*
 * session.c: the session's working directory (cd, pwd), output
 * redirection (`cmd > file`, `cmd >> file`) and the history file.
 *
 * The working directory is the shell task's own (task_cwd, which the
 * commands it spawns inherit) and, so that a restarted or swapped shell
 * finds it, a copy in the state_db ("shell.cwd"). The history is kept in
 * the state_db (line.c); when a filesystem is mounted at /disk it is also
 * appended to /disk/.history, and read back from there when such a mount
 * first appears (a reboot with a disk attached).
 */
#define LOG_TAG "shell"
#include "shell_int.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "state_db.h"
#include "task.h"
#include "vfs.h"

static struct state_ref cwd_ref CELL_CARRY(cwd_ref);
static bool have_cwd_ref CELL_CARRY(have_cwd_ref);

static char *
saved_cwd(void)
{
	char *c = have_cwd_ref ? state_db_get(cwd_ref) : NULL;
	if (!c && !state_db_obtain("shell.cwd", VFS_PATH_MAX, "shell", NULL, &cwd_ref)) {
		have_cwd_ref = true;
		c = state_db_get(cwd_ref);
	}
	return c;
}

void
session_restore(void)
{
	char *c = saved_cwd();
	if (!c || !c[0])
		return;
	int err = vfs_chdir(c);
	if (err) {
		kprintf("shell: the session's directory %s is gone (%s): now in /\n", c, err_str(err));
		strlcpy(c, "/", VFS_PATH_MAX);
	}
}

static void
cwd_print(void)
{
	char here[VFS_PATH_MAX];
	int err = vfs_getcwd(here, sizeof(here));
	kprintf("%s\n", err ? "/" : here);
}

bool
session_builtin(int argc, char **argv)
{
	if (!strcmp(argv[0], "pwd")) {
		if (argc > 1)
			kprintf("pwd: takes no arguments\n");
		else
			cwd_print();
		return true;
	}
	if (strcmp(argv[0], "cd"))
		return false;
	if (argc > 2) {
		kprintf("cd: one directory at most (usage: cd [DIR])\n");
		return true;
	}
	const char *to = argc > 1 ? argv[1] : "/";
	int err = vfs_chdir(to);
	if (err) {
		kprintf("cd: %s: %s\n", to, err_str(err));
		return true;
	}
	char *c = saved_cwd();
	if (c && vfs_getcwd(c, VFS_PATH_MAX))
		c[0] = '\0';
	return true;
}

/* ---- redirection ---- */

#define CAPTURE_MAX (16UL << 20)

int
redir_parse(char *line, struct redir *r)
{
	*r = (struct redir){ 0 };
	bool quoted = false;
	char *gt = NULL;
	for (char *s = line; *s && !gt; s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (*s == '>' && !quoted)
			gt = s;
	}
	if (!gt)
		return E_OK;
	r->append = gt[1] == '>';
	char *name = gt + 1 + r->append;
	*gt = '\0';
	while (*name == ' ')
		name++;
	size_t n = strlen(name);
	while (n && name[n - 1] == ' ')
		name[--n] = '\0';
	if (!n || strchr(name, ' ') || strchr(name, '>') || strchr(name, '"'))
		return E_INVAL;
	int err;
	strlcpy(r->path, name, sizeof(r->path));
	r->out = vfs_open(name, VFS_WRITE | VFS_CREATE | (r->append ? VFS_APPEND : VFS_TRUNC), &err);
	return r->out ? E_OK : err;
}

int
redir_begin(struct redir *r, const void *task)
{
	if (!r->out)
		return E_OK;
	r->cap = (struct log_capture){ .task = task, .max = CAPTURE_MAX };
	return log_capture_add(&r->cap);
}

void
redir_end(struct redir *r)
{
	if (!r->out)
		return;
	log_capture_remove(&r->cap);
	size_t done = 0;
	int err = r->cap.len ? vfs_write(r->out, r->cap.buf, r->cap.len, &done) : E_OK;
	if (err)
		kprintf("shell: %s: %s after %zu of %zu bytes\n", r->path, err_str(err), done, r->cap.len);
	if (r->cap.lost)
		kprintf("shell: %s: %lu bytes of output past %lu MiB were not written\n", r->path, r->cap.lost,
			CAPTURE_MAX >> 20);
	kfree(r->cap.buf);
	r->cap.buf = NULL;
	vfs_close(r->out);
	r->out = NULL;
}

/* ---- the history file ---- */

#define HISTORY_DIR "/disk"
#define HISTORY_FILE HISTORY_DIR "/.history"
#define HISTORY_FILE_MAX (64 * 1024) /* past this it is rewritten with the kept lines */

uint32_t
history_disk(void)
{
	struct vfs_mount_info mi[VFS_MOUNTS];
	size_t n = vfs_mounts(mi, VFS_MOUNTS);
	for (size_t i = 0; i < n && i < VFS_MOUNTS; i++)
		if (!strcmp(mi[i].path, HISTORY_DIR))
			return mi[i].id;
	return 0;
}

static int
write_all(struct vfs_file *f, const char *s, size_t n)
{
	size_t done;
	return vfs_write(f, s, n, &done);
}

void
history_file_add(const char *line)
{
	int err;
	_cleanup_(vfs_close_p) struct vfs_file *f = vfs_open(HISTORY_FILE, VFS_WRITE | VFS_CREATE | VFS_APPEND, &err);
	if (f)
		err = write_all(f, line, strlen(line));
	if (!err)
		err = write_all(f, "\n", 1);
	if (err)
		kprintf("shell: %s: %s (the history stays in memory)\n", HISTORY_FILE, err_str(err));
}

size_t
history_file_read(char (*lines)[LINE_MAX], size_t max)
{
	int err;
	_cleanup_(vfs_close_p) struct vfs_file *f = vfs_open(HISTORY_FILE, VFS_READ, &err);
	if (!f)
		return 0;
	_cleanup_(kfreep) char *buf = kmalloc(HISTORY_FILE_MAX + 1);
	if (!buf)
		return 0;
	struct fs_stat st;
	size_t got = 0;
	err = vfs_fstat(f, &st);
	if (!err && st.size > HISTORY_FILE_MAX)
		err = vfs_seek(f, -(int64_t)HISTORY_FILE_MAX, VFS_SEEK_END, NULL);
	if (!err)
		err = vfs_read(f, buf, HISTORY_FILE_MAX, &got);
	if (err)
		return 0;
	buf[got] = '\0';
	/* the last `max` whole lines */
	size_t n = 0;
	for (char *s = buf, *nl; (nl = strchr(s, '\n')); s = nl + 1) {
		*nl = '\0';
		if (!*s)
			continue;
		if (n == max) {
			memmove(lines, lines + 1, (max - 1) * sizeof(*lines));
			n--;
		}
		strlcpy(lines[n++], s, LINE_MAX);
	}
	if (st.size > HISTORY_FILE_MAX / 2) {
		/* rewrite it with what was kept */
		vfs_close(TAKE_PTR(f));
		_cleanup_(vfs_close_p) struct vfs_file *w = vfs_open(HISTORY_FILE, VFS_WRITE | VFS_TRUNC, &err);
		for (size_t i = 0; w && !err && i < n; i++) {
			err = write_all(w, lines[i], strlen(lines[i]));
			if (!err)
				err = write_all(w, "\n", 1);
		}
	}
	return n;
}
