/* executor — Python's concurrent.futures in C: a pool of worker threads or of
 * worker processes runs submitted tasks and hands back futures.
 *
 *   struct executor *pool = executor_new_processes(4, NULL);  // or _threads
 *   struct future *f = executor_submit(pool, is_prime_task, &n, sizeof n);
 *   const void *answer; size_t size;
 *   if (future_result(f, EXECUTOR_FOREVER, &answer, &size) == FUTURE_OK) use(answer);
 *   future_free(f);
 *   executor_free(pool);                      // shutdown(wait), then release
 *
 * One task signature serves both pools, because a worker process shares no
 * memory with the caller: a task gets its argument as bytes and writes its
 * result as bytes, the C counterpart of pickling.  Submit copies the
 * argument; the result lives in the future.  A pointer inside an argument
 * means nothing in a worker process, so pass values, not addresses.
 *
 *   int task(const void *arg, size_t arg_size, struct executor_output *out)
 *       returns 0 when it succeeded (Python: returned), or a positive error
 *       code of its choosing (Python: raised); errno values fit.  Negative
 *       codes are the executor's own (EXECUTOR_WORKER_DIED...).
 *
 * Thread pool: WORKERS threads, started at once, take tasks from one FIFO
 * (common/queue).  Process pool: WORKERS processes forked once, when the pool
 * is made (a pool, never a process per task), each served by one thread of
 * the caller's process that writes it a task through a pipe and reads the
 * result back through another.  A task's function travels as its address:
 * the workers are forks of the caller, so it must be a function of the
 * program itself (not of a library loaded after the pool was made).  A task
 * that kills its worker process (a crash, _exit, a signal) fails with
 * EXECUTOR_WORKER_DIED, and the pool forks a replacement; the other tasks go
 * on.  Descriptors the caller had open are closed in the workers; their
 * stdin, stdout and stderr are the caller's (closed where the caller's are).
 *
 * What a task may do in a worker process.  A worker is a fork of a process
 * that may have other threads at that moment: always the caller's own, and
 * for a replacement the pool's threads too (it is forked from one of them).
 * Only the forking thread goes on in the child; a lock that another thread
 * held at the fork stays held there for ever.  glibc makes malloc and stdio
 * safe after a fork, so a task may allocate, compute, print and make system
 * calls; it must not take a lock the caller's threads use (their mutexes,
 * a queue, the emulated GIL), wait for a thread it did not start, nor rely
 * on a library that keeps threads of its own.  A worker that hangs anyway
 * is not waited for without end: once the pool closes its pipes at
 * shutdown it has 5 s to end, its finalizer included, and is then killed
 * (SIGKILL) with a line on stderr.  Once the
 * program is ending on SIGINT, SIGTERM or SIGHUP (common/children.h), no
 * replacement starts.
 *
 * Futures: pending → running → finished, or pending → cancelled.  Every
 * function here is safe from any number of threads at once, except the
 * _free functions.  Timeouts are seconds on the monotonic clock; a negative
 * timeout (EXECUTOR_FOREVER) waits without limit, 0 only looks.
 *
 * Done callbacks run exactly once per future: in the thread that finished or
 * cancelled it, or, when added to a future already done, at once in the
 * thread that adds them (Python's add_done_callback).
 *
 * Under common/gil, every wait in here (a worker waiting for a task, a
 * caller waiting for a result, a join) releases the emulated GIL around it,
 * as CPython releases the GIL around a blocking acquire.  A pool's threads
 * are GIL threads only if its initializer makes them so (gil_thread_begin).
 * Process pools and the emulated GIL do not mix: a fork copies the GIL as
 * it is, held by some thread of the caller, and the worker would wait for it
 * for ever (in Python each worker is a fresh interpreter with a GIL of its
 * own).  Use --gil with thread pools.
 *
 * Failing pthread calls are programming errors and end the program through
 * fail.h; so does running out of memory while a future records a waiter or a
 * callback.  Everything else reports failure through its return value.
 */
#ifndef CONCLAB_EXECUTOR_H
#define CONCLAB_EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most workers one pool may have. */
#define EXECUTOR_MAX_WORKERS 1024

/* The largest argument or result, in bytes. */
#define EXECUTOR_MAX_BYTES ((size_t)64 << 20)

/* A timeout that never runs out. */
#define EXECUTOR_FOREVER (-1.0)

/* Error codes the executor itself puts on a future. */
enum {
    EXECUTOR_WORKER_DIED = -1,   /* process pool: the worker died while running the task */
    EXECUTOR_NO_WORKER = -2,     /* process pool: no worker could be started for the task */
    EXECUTOR_BAD_RESULT = -3,    /* executor_map: the result had another size than asked */
    EXECUTOR_NOT_SUBMITTED = -4, /* executor_map: submit refused the task (shut down) */
};

struct executor;
struct future;
struct executor_output;

/* What a task writes its result into. */
typedef int (*executor_fn)(const void *arg, size_t arg_size, struct executor_output *out);

/* Appends SIZE bytes at DATA to the task's result.  False (nothing appended)
 * when the result would exceed EXECUTOR_MAX_BYTES or memory runs out. */
bool executor_output_write(struct executor_output *out, const void *data, size_t size);

/* Python's initializer, and its counterpart at the end: INITIALIZER(ARG)
 * runs once in each worker before its first task, FINALIZER(ARG) once after
 * its last; either may be NULL.  In a process pool they run in the worker
 * process (also in a replacement), so ARG must be valid there: memory that
 * existed when the pool was made. */
struct executor_options {
    void (*initializer)(void *arg);
    void (*finalizer)(void *arg);
    void *arg;
};

/* A pool of WORKERS (1..EXECUTOR_MAX_WORKERS) threads or processes, all
 * started before the call returns.  OPTIONS may be NULL.  NULL with errno
 * set when WORKERS is out of range (EINVAL) or a thread, pipe or process
 * could not be made; nothing is left behind then. */
struct executor *executor_new_threads(size_t workers, const struct executor_options *options);
struct executor *executor_new_processes(size_t workers, const struct executor_options *options);

/* Schedules FN on a copy of the ARG_SIZE bytes at ARG (ARG may be NULL when
 * ARG_SIZE is 0) and returns its future, which the caller releases with
 * future_free.  NULL with errno ECANCELED after executor_shutdown (Python
 * raises RuntimeError), EINVAL for a NULL FN or an argument over
 * EXECUTOR_MAX_BYTES, ENOMEM. */
struct future *executor_submit(struct executor *executor, executor_fn fn, const void *arg,
                               size_t arg_size);

/* The first task of executor_map that did not give its result. */
struct executor_map_failure {
    size_t index; /* which argument */
    int error;    /* the task's code, or EXECUTOR_BAD_RESULT / EXECUTOR_NOT_SUBMITTED */
};

enum future_outcome {
    FUTURE_OK,        /* finished, the task returned 0: the result is there */
    FUTURE_FAILED,    /* finished with an error code (task's or executor's) */
    FUTURE_CANCELLED, /* cancelled before it started */
    FUTURE_TIMEOUT,   /* still not done when the timeout ran out */
};

/* Python's map: runs FN over COUNT arguments, argument k being the ARG_SIZE
 * bytes at (char *)ARGS + k * ARG_SIZE, and copies result k, which must be
 * exactly RESULT_SIZE bytes, to (char *)RESULTS + k * RESULT_SIZE.  Results
 * are taken in argument order, within TIMEOUT_S for the whole call.
 * FUTURE_OK when every task gave its result; otherwise the outcome of the
 * first one in order that did not, described in *FAILURE (may be NULL), and
 * the tasks not yet started are cancelled (as Python's map does when its
 * iterator stops early).  Results before that one are in RESULTS. */
enum future_outcome executor_map(struct executor *executor, executor_fn fn, const void *args,
                                 size_t arg_size, size_t count, void *results, size_t result_size,
                                 double timeout_s, struct executor_map_failure *failure);

/* Stops the pool taking tasks: later submits fail.  With CANCEL_PENDING the
 * tasks not yet started are cancelled (Python's cancel_futures); the others
 * still run.  With WAIT, returns once every task is done and every worker
 * has ended (process workers reaped); without, returns at once.  Calling it
 * again is harmless. */
void executor_shutdown(struct executor *executor, bool wait, bool cancel_pending);

/* executor_shutdown(EXECUTOR, true, false), then frees the pool.  Its
 * futures stay valid until their own future_free.  NULL is ignored. */
void executor_free(struct executor *executor);

/* Counters, for reports and tests. */
struct executor_stats {
    size_t workers;          /* as made */
    size_t submitted;        /* futures handed out by submit */
    size_t started;          /* tasks that began running */
    size_t succeeded;        /* finished with 0 */
    size_t failed;           /* finished with an error code */
    size_t cancelled;        /* cancelled before they started */
    size_t workers_replaced; /* process pool: workers forked after the first ones */
};
struct executor_stats executor_get_stats(struct executor *executor);

/* How evenly the pool shared the work: the tasks each worker has started so
 * far (a process pool counts per worker slot, a replacement continuing its
 * predecessor's count), written to COUNTS[0..] for at most MAX workers.
 * Returns how many it wrote: the pool's workers, or MAX if fewer. */
size_t executor_tasks_per_worker(struct executor *executor, size_t *counts, size_t max);

/* ---- futures ------------------------------------------------------------ */

enum future_state {
    FUTURE_STATE_PENDING,   /* waiting in the pool's queue */
    FUTURE_STATE_RUNNING,   /* a worker runs it */
    FUTURE_STATE_CANCELLED, /* cancelled before it started */
    FUTURE_STATE_FINISHED,  /* ran: succeeded or failed */
};

enum future_state future_state(struct future *future);

/* Python's done(), running(), cancelled(). */
bool future_done(struct future *future); /* cancelled or finished */
bool future_running(struct future *future);
bool future_cancelled(struct future *future);

/* Cancels FUTURE if it has not started: true (also when it was already
 * cancelled); false when it runs or has finished.  Wakes its waiters and runs
 * its callbacks in this thread. */
bool future_cancel(struct future *future);

/* Waits up to TIMEOUT_S for FUTURE to be done.  FUTURE_OK: *DATA and *SIZE
 * (either may be NULL) give the result, owned by the future and valid until
 * future_free.  FUTURE_FAILED, FUTURE_CANCELLED, FUTURE_TIMEOUT: they are
 * left alone. */
enum future_outcome future_result(struct future *future, double timeout_s, const void **data,
                                  size_t *size);

/* Python's exception(): waits like future_result; on FUTURE_OK or
 * FUTURE_FAILED sets *ERROR (may be NULL) to the error code, 0 for none. */
enum future_outcome future_exception(struct future *future, double timeout_s, int *error);

/* Writes what became of FUTURE, for messages: "pending", "running",
 * "cancelled", "succeeded", "failed with error 5", "its worker process 4242
 * died: killed by signal 9 (SIGKILL)".  Returns BUF. */
const char *future_describe(struct future *future, char *buf, size_t size);

typedef void (*future_callback)(struct future *future, void *arg);

/* Calls CALLBACK(FUTURE, ARG) once FUTURE is done (see above). */
void future_add_done_callback(struct future *future, future_callback callback, void *arg);

/* Drops the caller's hold on FUTURE.  A future still queued or running goes
 * on (and its callbacks still run); its memory goes when the pool is done
 * with it too.  NULL is ignored. */
void future_free(struct future *future);

/* ---- waiting for many --------------------------------------------------- */

enum futures_return_when {
    FUTURES_FIRST_COMPLETED, /* one is done (or already was) */
    FUTURES_FIRST_EXCEPTION, /* one finished with an error; else like ALL_COMPLETED */
    FUTURES_ALL_COMPLETED,   /* all are done */
};

/* Python's wait(): returns when WHEN holds for the COUNT futures or
 * TIMEOUT_S ran out, with the number of them done at that moment; DONE (may
 * be NULL) receives, per future, whether it was.  A cancelled future counts
 * as done, not as an exception. */
size_t futures_wait(struct future *const *futures, size_t count, enum futures_return_when when,
                    double timeout_s, bool *done);

struct futures_iterator;

/* Python's as_completed(): an iterator over FUTURES (each once, duplicates
 * dropped) in the order they become done, those done already first.  The
 * timeout counts from this call.  NULL with errno ENOMEM. */
struct futures_iterator *futures_as_completed(struct future *const *futures, size_t count,
                                              double timeout_s);

enum futures_next {
    FUTURES_NEXT,    /* *FUTURE is the next one done */
    FUTURES_END,     /* every future was handed out */
    FUTURES_EXPIRED, /* the timeout ran out first (Python raises TimeoutError); every
                        later call says so too, as Python's iterator ends there */
};

/* Waits for the next future to be done. */
enum futures_next futures_next(struct futures_iterator *iterator, struct future **future);

/* Frees ITERATOR (the futures are the caller's).  NULL is ignored. */
void futures_iterator_free(struct futures_iterator *iterator);

/* "ok", "failed", "cancelled", "timeout". */
const char *future_outcome_name(enum future_outcome outcome);

#ifdef __cplusplus
}
#endif

#endif
