/* children — child processes that end with the program that started them.
 *
 * A program's threads die with it, whatever kills it; its children do not.
 * Ctrl-C on a terminal reaches the whole foreground process group, children
 * included, but `kill -INT PID` from hyperfine, a test or a teacher's script
 * reaches the parent alone, and a child it leaves running becomes an orphan.
 *
 * Every child started through this module is tracked until it is reaped.
 * The first start installs handlers for SIGINT, SIGTERM and SIGHUP (except a
 * signal that was ignored when the program started, as under nohup: it stays
 * ignored).  The handler sends SIGTERM to every tracked child and waits for
 * them to end (5 s at most, then SIGKILL), so that the program never ends
 * before its children, then ends the program by the signal it received (its
 * default action, raised again): the exit status says "interrupted", 130
 * for SIGINT in a shell.  The other threads run on meanwhile, but from the
 * moment the handler starts, no new child starts (children_ending).  A child
 * starts with those three signals at their default action and none of them
 * blocked, and tracks nothing of its parent's.
 *
 * The signals are held off in the starting thread while a child starts, so
 * that no child exists untracked when the handler runs there.  (Another
 * thread of the program may take the signal in that window of a few
 * microseconds; that child is then left to its own end.)
 *
 * At most CHILDREN_MAX are tracked at once; a start beyond that fails with
 * EAGAIN and leaves no child.  Every function is thread-safe.
 */
#ifndef CONCLAB_CHILDREN_H
#define CONCLAB_CHILDREN_H

#include <stdbool.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CHILDREN_MAX 4096

/* fork(), with the child tracked.  Flushes stdio first, so that the child
 * never repeats output buffered before the fork.  As fork(): the child's pid
 * in the parent, 0 in the child, -1 with errno set when none was made. */
pid_t children_fork(void);

/* Runs START(CONTEXT, PID), which starts one child (posix_spawn, or a fork
 * of its own) and returns 0 with its pid in *PID or an error number, and
 * tracks the child it started.  Returns what START returned. */
int children_start(int (*start)(void *context, pid_t *pid), void *context, pid_t *pid);

/* Reaps child PID: waits for it to end when BLOCK, else only looks.  True
 * with its wait status in *STATUS once it is reaped; false when it still
 * runs (only without BLOCK).  It stops being tracked before its pid is
 * freed, so the handler never signals a stranger that took the pid.  Exits
 * with EXIT_WRONG when waiting fails for another reason than a signal. */
bool children_reap(pid_t pid, bool block, int *status);

/* Children tracked now: started and not yet reaped. */
int children_tracked(void);

/* True once the handler has begun ending the program: every start
 * (children_fork, children_start, and so proc_spawn and the process pools)
 * then fails with ECANCELED and leaves no child, so that no child appears
 * that the handler has not signalled. */
bool children_ending(void);

#ifdef __cplusplus
}
#endif

#endif
