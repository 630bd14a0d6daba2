/*
 * shell: the serial-console shell. Reads lines with editing, history and
 * tab completion; runs each command as an application cell (apps/<name>)
 * in a task of the apps namespace, entered through main(argc, argv);
 * `cmd &` runs in the background, `jobs` lists background jobs, Ctrl-C
 * kills the foreground job (by unwinding it). A command that crashes is
 * reported with its kill reason and the prompt returns.
 * State: the history and the job table - the shell's own session state,
 * kept in the state_db ("shell.history", "shell.jobs") so that a restarted
 * or swapped shell finds them (docs/shell.md).
 */
#ifndef SHELL_H
#define SHELL_H

#include "base.h"

#define SHELL_PROMPT "theseus> "

/* the shell task's entry */
uint64_t shell_main(uint64_t unused);

#endif
