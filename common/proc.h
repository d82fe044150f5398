/* proc — child processes: start a program with its standard streams wired
 * as asked, feed it and read it, wait for it with a deadline, stop it, and say
 * how it ended.  What Python's subprocess.Popen does, in C.
 *
 * Every descriptor proc creates in the parent is close-on-exec, so a child
 * never inherits the pipe ends meant for another child (a stray copy of a
 * write end would keep a reader from ever seeing end of file).  Descriptors
 * opened elsewhere without close-on-exec are inherited as exec always does
 * (Python's close_fds=True would close them): open yours with O_CLOEXEC.  Every child
 * starts with SIGPIPE and SIGXFSZ at their default action and no signal
 * blocked, whatever the parent set (Python's restore_signals): a child that
 * writes into a pipe nobody reads any more dies of SIGPIPE, as a shell
 * pipeline expects.  Writing to a child never kills the parent with SIGPIPE.
 *
 * A struct proc is owned by one thread.  Functions that return an error
 * number leave nothing behind on failure; the others treat a failing system
 * call as a bug and exit through fail.h.
 */
#ifndef CONCLAB_PROC_H
#define CONCLAB_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where one of the child's standard streams goes. */
enum proc_stream {
    PROC_INHERIT = 0, /* the parent's own stream */
    PROC_PIPE,        /* a new pipe; the parent's end lands in struct proc */
    PROC_NULL,        /* /dev/null */
    PROC_FD,          /* the descriptor in .fd (the parent keeps its copy) */
};

struct proc_redirect {
    enum proc_stream how;
    int fd; /* PROC_FD only: above 2, or the stream's own number */
};

/* How the child is made: posix_spawn (vfork-like, the default) or fork then
 * exec (the parent's page tables are copied, so it costs more in a big
 * parent). */
enum proc_method { PROC_POSIX_SPAWN = 0, PROC_FORK_EXEC };

struct proc_options {
    struct proc_redirect in, out, err; /* stdin, stdout, stderr */
    char *const *env;                  /* NULL-terminated "NAME=value"; NULL: the parent's */
    enum proc_method method;
};

struct proc {
    pid_t pid;    /* the child's id; -1 when it never started */
    int in;       /* parent's write end of the child's stdin pipe, else -1 */
    int out, err; /* parent's read ends of stdout/stderr pipes, else -1 */
    bool ended;   /* reaped: status holds how it ended, pid may be reused */
    int status;   /* the wait status, once ended */
};

/* Bytes read from a child's pipe: data is malloc'ed once the pipe was read
 * (an empty string at end of file; NULL for a stream that is not a pipe) and
 * NUL-terminated, the NUL not counted in size.  Free with proc_output_free. */
struct proc_output {
    char *data;
    size_t size;
    size_t capacity; /* bytes allocated */
};

/* One child's part in proc_communicate: what to write to its stdin (may be
 * NULL/0), how much of it was written, and what was read from its stdout and
 * stderr pipes.  Start from {0} plus the input. */
struct proc_io {
    const void *input;
    size_t input_size;
    size_t sent; /* bytes of input written so far: a second call goes on from there */
    struct proc_output out, err;
};

/* Starts ARGV[0] (searched in PATH unless it contains a '/') with arguments
 * ARGV (NULL-terminated) and OPTIONS (NULL: inherit everything, posix_spawn).
 * Returns 0 with PROC describing the running child, or an error number
 * (ENOENT: no such program, EACCES: not executable, EMFILE, EAGAIN...) with
 * PROC as a child that never started (pid -1, no descriptor), no child left
 * and no descriptor opened. */
int proc_spawn(struct proc *proc, char *const argv[], const struct proc_options *options);

/* Reaps PROC if it has ended, without blocking.  True when it has ended (now
 * or before); always true for a child that never started.  Python's poll(). */
bool proc_poll(struct proc *proc);

/* Waits for PROC to end, at most TIMEOUT_S seconds (negative: no limit).
 * True when it ended; false when the time ran out and it still runs.  The
 * timed wait polls with pauses of at most 5 ms, so it returns within a few
 * milliseconds of the child's end or of the deadline. */
bool proc_wait(struct proc *proc, double timeout_s);

/* Sends SIGTERM (proc_terminate) or SIGKILL (proc_kill) to PROC unless it has
 * already been reaped.  The caller still has to wait for it. */
void proc_terminate(struct proc *proc);
void proc_kill(struct proc *proc);

/* Writes each IO[i].input to PROCS[i]'s stdin pipe and closes it, reads
 * PROCS[i]'s stdout and stderr pipes to their end into IO[i].out and .err,
 * all children at once (no child can block another on a full pipe), then
 * waits for every child to end.  A child that stops reading its input is not
 * an error: the rest of its input is dropped.  TIMEOUT_S (negative: no limit)
 * bounds the whole.  True when every child ended; false when time ran out:
 * the children may still run, their pipes stay open and IO holds what was
 * read so far: stop them with proc_stop.  Python's communicate(). */
bool proc_communicate_all(struct proc *procs, struct proc_io *io, size_t count, double timeout_s);

/* proc_communicate_all for one child. */
bool proc_communicate(struct proc *proc, struct proc_io *io, double timeout_s);

/* Frees what proc_communicate read into OUTPUT and empties it. */
void proc_output_free(struct proc_output *output);

/* Closes *FD if it is open (>= 0) and sets it to -1.  For the parent's pipe
 * ends: proc_close(&encrypt.out) once another child reads that pipe. */
void proc_close(int *fd);

/* Closes the parent's pipe ends of PROC that are still open. */
void proc_close_pipes(struct proc *proc);

/* Leaves nothing of PROC: closes its pipe ends, and unless it has ended sends
 * SIGTERM, waits up to GRACE_S seconds, then sends SIGKILL and reaps it.  A
 * no-op for a child that never started.  For cleanup and error paths. */
void proc_stop(struct proc *proc, double grace_s);

/* How PROC ended, the way Python reports it: the exit status (0..255), or
 * minus the signal number that killed it (-15 for SIGTERM).  PROC must have
 * ended. */
int proc_returncode(const struct proc *proc);

/* True when PROC ended by exiting with status 0. */
bool proc_succeeded(const struct proc *proc);

/* Writes how a wait STATUS ended into BUF: "exited with status 3", "killed by
 * signal 15 (SIGTERM)", with " (core dumped)" when so.  Returns BUF. */
const char *proc_describe_status(int status, char *buf, size_t size);

/* The same for PROC: "still running", "never started" or as above. */
const char *proc_describe(const struct proc *proc, char *buf, size_t size);

/* Descriptors this process has open now (from /proc/self/fd, else probing
 * each number up to the limit).  Compare two counts to find a leak. */
int proc_open_fd_count(void);

/* True when this process has any child, running or not yet reaped; reaps
 * nothing (waitid with WNOWAIT). */
bool proc_has_children(void);

#ifdef __cplusplus
}
#endif

#endif
