/*
 * jobs.c: running commands. Each command is an application cell, loaded
 * into the apps namespace the first time it is used; each run is a task
 * whose entry calls the cell's main(argc, argv) and which holds the cell
 * (so it cannot be unloaded under it). The foreground job is watched
 * together with the console, so Ctrl-C can kill it.
 *
 * The job table - background jobs and the foreground one - is session
 * state that must outlive the shell task: a swapped or recovered shell is
 * restarted, and its jobs (each holding a task reference and the argv its
 * task reads) must not be lost or freed under a running task. So the table
 * lives in the state_db ("shell.jobs", like the history); a restarted
 * shell finds it there, and a foreground job it was waiting for goes on as
 * a background one. If the state_db cannot hold it, a table in this cell
 * serves (and a restart then loses it, as it says at the first command).
 */
#define LOG_TAG "shell"
#include "shell_int.h"
#include "cell_mgr.h"
#include "base.h"
#include "heap.h"
#include "klibc.h"
#include "logger.h"
#include "state_db.h"
#include "task.h"
#include "tty.h"

#define MAX_JOBS (MAX_BG + 2)

struct job {
	int (*main)(int, char **);
	int argc;
	char *argv[MAX_ARGS + 1];
	char line[LINE_MAX];  /* cut into argv by split() */
	char text[LINE_MAX];  /* the command as typed, for `jobs` */
	struct task *task;
	unsigned id;          /* 0: the foreground job */
	struct redir redir;   /* `> FILE`: the file and the output captured for it */
};

struct job_table {
	struct job *slot[MAX_JOBS];
	unsigned last_id;
};

static struct state_ref jobs_ref CELL_CARRY(jobs_ref);
static bool have_jobs_ref CELL_CARRY(have_jobs_ref);
static struct job_table local_table; /* only if the state_db has no room */

static struct job_table *
table(void)
{
	struct job_table *t = have_jobs_ref ? state_db_get(jobs_ref) : NULL;
	if (t)
		return t;
	int err = state_db_obtain("shell.jobs", sizeof(*t), "shell", NULL, &jobs_ref);
	if (err) {
		static bool said;
		if (!said)
			kprintf("shell: no room for the job table in the state_db (%s): jobs will not survive a restart of the shell\n",
				err_str(err));
		said = true;
		return &local_table;
	}
	have_jobs_ref = true;
	return state_db_get(jobs_ref);
}

static uint64_t
app_entry(struct job *j)
{
	return (uint64_t)(int64_t)j->main(j->argc, j->argv);
}

/* after its task ended (or before it started): its output into its file */
static void
job_free(struct job *j)
{
	if (!j)
		return;
	redir_end(&j->redir);
	if (j->task)
		task_unref(j->task);
	kfree(j);
}
DEFINE_DROP(struct job, job_free)

/* split in place: words separated by spaces, "double quotes" group; -1
 * for a quote left open. A line of LINE_MAX bytes has at most MAX_ARGS
 * words, so none is dropped. */
static int
split(char *s, char **argv)
{
	int argc = 0;
	while (*s && argc < MAX_ARGS) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (*s == '"') {
			argv[argc++] = ++s;
			while (*s && *s != '"')
				s++;
			if (!*s)
				return -1;
		} else {
			argv[argc++] = s;
			while (*s && *s != ' ')
				s++;
		}
		if (*s)
			*s++ = '\0';
	}
	argv[argc] = NULL;
	return argc;
}

size_t
jobs_commands(const char **out, size_t max)
{
	const char *mods[256];
	size_t n = cell_modules(mods, ARRAY_SIZE(mods)), k = 0;
	if (k < max)
		out[k++] = "jobs";
	for (size_t i = 0; i < n && k < max; i++)
		if (cell_module_is_app(mods[i]))
			out[k++] = mods[i];
	return k;
}

/* how it ended: done (exit status), killed (by whom) or crashed (why) */
static void
report(struct job *j, bool background)
{
	uint64_t v = 0;
	int err = task_join(j->task, &v);
	const char *name = j->argv[0];
	bool killed = __atomic_load_n(&j->task->kill_pending, __ATOMIC_ACQUIRE) == TASK_KILL_DIE;
	if (err == E_FAULT && background)
		kprintf("[%u] %s %s: %s\n", j->id, killed ? "killed" : "crashed", name, j->task->kill_reason);
	else if (err == E_FAULT)
		kprintf("%s: %s: %s\n", name, killed ? "killed" : "crashed", j->task->kill_reason);
	else if (background)
		kprintf("[%u] done %s (exit %d)\n", j->id, name, (int)v);
	else if ((int)v != 0)
		kprintf("%s: exit status %d\n", name, (int)v);
}

void
jobs_report_done(void)
{
	struct job_table *t = table();
	for (int i = 0; i < MAX_JOBS; i++) {
		struct job *j = t->slot[i];
		if (!j)
			continue;
		if (!j->id) {
			/* we were restarted while waiting for it */
			j->id = ++t->last_id;
			kprintf("[%u] task #%u %s: the shell restarted while it ran in the foreground; it goes on in the background\n",
				j->id, j->task->id, j->text);
		}
		uint32_t s = j->task->state;
		if (s != TASK_EXITED && s != TASK_KILLED)
			continue;
		report(j, true);
		t->slot[i] = NULL;
		job_free(j);
	}
}

void
jobs_list(void)
{
	struct job_table *t = table();
	bool any = false;
	for (int i = 0; i < MAX_JOBS; i++) {
		struct job *j = t->slot[i];
		if (!j || !j->id)
			continue;
		any = true;
		kprintf("[%u] task #%u %-8s %s\n", j->id, j->task->id, runstate_str(j->task->state), j->text);
	}
	if (!any)
		kprintf("no background jobs\n");
}

/* a free slot of the table, or -1; *bg counts the background jobs */
static int
free_slot(struct job_table *t, unsigned *bg)
{
	int free = -1;
	*bg = 0;
	for (int i = 0; i < MAX_JOBS; i++) {
		if (!t->slot[i])
			free = free < 0 ? i : free;
		else if (t->slot[i]->id)
			(*bg)++;
	}
	return free;
}

/* wait for the foreground job; a Ctrl-C kills it. Only Ctrl-C is taken
 * from the console: lines typed meanwhile stay whole for the editor */
static void
wait_foreground(struct job *j)
{
	for (;;) {
		uint32_t s = __atomic_load_n(&j->task->state, __ATOMIC_ACQUIRE);
		if (s == TASK_EXITED || s == TASK_KILLED)
			break;
		task_progress(); /* waiting for a job is progress (shell.c) */
		if (tty_take_intr(20000000)) {
			kprintf("^C\n");
			int err = task_kill(j->task, "interrupted by Ctrl-C");
			(void)err; /* it may have finished meanwhile */
		}
	}
	report(j, false);
}

void
jobs_run(char *line)
{
	size_t n = strlen(line);
	while (n && line[n - 1] == ' ')
		line[--n] = '\0';
	bool background = n && line[n - 1] == '&';
	if (background) {
		line[--n] = '\0';
		while (n && line[n - 1] == ' ')
			line[--n] = '\0';
	}
	_cleanup_(job_free_p) struct job *j = KNEW(struct job);
	if (!j) {
		kprintf("shell: out of memory\n");
		return;
	}
	strlcpy(j->text, line, sizeof(j->text));
	int err = redir_parse(line, &j->redir);
	if (err) {
		if (err == E_INVAL)
			kprintf("shell: `>` and `>>` need one file name after them: nothing run\n");
		else
			kprintf("shell: %s: %s: nothing run\n", j->redir.path, err_str(err));
		return;
	}
	strlcpy(j->line, line, sizeof(j->line));
	j->argc = split(j->line, j->argv);
	if (j->argc < 0) {
		kprintf("shell: a \" is not closed: nothing run\n");
		return;
	}
	if (j->argc == 0) {
		if (background)
			kprintf("shell: `&` needs a command before it\n");
		return;
	}
	bool jobs = !strcmp(j->argv[0], "jobs");
	if (jobs || !strcmp(j->argv[0], "cd") || !strcmp(j->argv[0], "pwd")) {
		/* the shell's own: in its task, output captured the same way */
		if (background) {
			kprintf("%s: is the shell's own: it cannot run in the background\n", j->argv[0]);
			return;
		}
		err = redir_begin(&j->redir, task_current());
		if (err)
			kprintf("shell: %s: %s: the output goes to the console\n", j->redir.path, err_str(err));
		if (!jobs)
			session_builtin(j->argc, j->argv);
		else if (j->argc > 1)
			kprintf("jobs: takes no arguments (usage: jobs, in the foreground)\n");
		else
			jobs_list();
		return; /* (job_free writes the file) */
	}
	if (!cell_module_is_app(j->argv[0])) {
		kprintf("%s: unknown command (type `help`)\n", j->argv[0]);
		return;
	}
	struct cell_error why;
	const char *names[] = { j->argv[0] };
	/* a kill (the watchdog's, say) waits until the load is over: a load
	 * cut short by unwinding would leave its batch (the object file's
	 * mapping, the sections made so far) behind, and the next shell could
	 * not load this app again */
	task_shield_kills();
	err = cell_load(cell_ns_apps(), names, 1, &why);
	task_unshield_kills();
	if (err && err != E_EXIST) {
		kprintf("%s: cannot load: %s\n", j->argv[0], why.msg);
		return;
	}
	struct cell *c = cell_find(cell_ns_apps(), j->argv[0]);
	uint64_t m = c ? cell_own_symbol(c, "main") : 0;
	if (!m) {
		kprintf("%s: the cell has no main()\n", j->argv[0]);
		return;
	}
	j->main = (int (*)(int, char **))(uintptr_t)m;
	struct job_table *t = table();
	unsigned bg;
	int slot = free_slot(t, &bg);
	if (background && bg >= MAX_BG) {
		kprintf("shell: %u background jobs already, the most the shell keeps: %s not started (`jobs` lists "
			"them, `kill` ends one)\n", bg, j->argv[0]);
		return;
	}
	if (slot < 0) {
		kprintf("shell: the job table is full (%d jobs): %s not started (`jobs` lists them, `kill` ends one)\n",
			MAX_JOBS, j->argv[0]);
		return;
	}
	struct task_builder b = TASK_BUILDER(app_entry, j);
	b.name = j->argv[0];
	b.ns = cell_ns_apps();
	b.cell = c;
	b.blocked = true; /* its output capture first */
	j->task = task_spawn(&b, &err);
	if (!j->task) {
		kprintf("%s: cannot start: %s\n", j->argv[0], err_str(err));
		return;
	}
	err = redir_begin(&j->redir, j->task);
	if (err)
		kprintf("shell: %s: %s: the output goes to the console\n", j->redir.path, err_str(err));
	task_wake(j->task);
	/* the table owns it from here: should this shell die, the job (and
	 * the argv its task reads) stays for the next one */
	if (background)
		j->id = ++t->last_id;
	struct job *mine = j;
	t->slot[slot] = TAKE_PTR(j);
	if (background) {
		kprintf("[%u] task #%u %s\n", mine->id, mine->task->id, mine->argv[0]);
		return;
	}
	wait_foreground(mine);
	t = table(); /* (the same: the state_db keeps a state's data where it is) */
	t->slot[slot] = NULL;
	job_free(mine);
}
