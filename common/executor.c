/* executor — thread and process pools with futures; see executor.h. */
#define _GNU_SOURCE /* pipe2, close_range */
#include "executor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "children.h"
#include "clock.h"
#include "fail.h"
#include "fdio.h"
#include "gil.h"
#include "pin.h"
#include "proc.h"
#include "queue.h"
#include "sync.h"
#include "thread_team.h"

/* ---- time ------------------------------------------------------------------ */

/* The clock_now() value at which a timeout of TIMEOUT_S seconds from now
 * runs out; INFINITY for a negative (endless) timeout. */
static double deadline_after(double timeout_s)
{
    return timeout_s < 0 ? INFINITY : clock_now() + timeout_s;
}

/* Seconds left until DEADLINE: negative (endless) for INFINITY, else >= 0. */
static double seconds_until(double deadline)
{
    if (isinf(deadline))
        return EXECUTOR_FOREVER;
    double left = deadline - clock_now();
    return left > 0 ? left : 0;
}

/* Makes room for one more item in a growable array. */
static void *grow(void *items, size_t count, size_t *capacity, size_t item_size)
{
    if (count < *capacity)
        return items;
    size_t more = *capacity ? 2 * *capacity : 4;
    void *bigger = realloc(items, more * item_size);
    if (bigger == NULL)
        fail_wrong("out of memory for %zu future entries", more);
    *capacity = more;
    return bigger;
}

/* ---- task results -------------------------------------------------------- */

struct executor_output {
    char *data;
    size_t size, capacity;
};

bool executor_output_write(struct executor_output *out, const void *data, size_t size)
{
    if (size > EXECUTOR_MAX_BYTES - out->size)
        return false;
    if (out->size + size > out->capacity) {
        size_t capacity = out->capacity ? out->capacity : 64;
        while (capacity < out->size + size)
            capacity *= 2;
        char *bigger = realloc(out->data, capacity);
        if (bigger == NULL)
            return false;
        out->data = bigger;
        out->capacity = capacity;
    }
    if (size > 0)
        memcpy(out->data + out->size, data, size);
    out->size += size;
    return true;
}

/* ---- futures ------------------------------------------------------------- */

struct callback {
    future_callback fn;
    void *arg;
};

struct future {
    pthread_mutex_t mutex; /* guards everything below but the first three */
    pthread_cond_t done_cond;
    atomic_size_t holds; /* the caller's and the pool's: freed at 0 */
    executor_fn fn;      /* set at submit, read only by the worker */
    void *arg;
    size_t arg_size;

    enum future_state state;
    int error;
    char *result;
    size_t result_size;
    char *death; /* how its worker process ended, or why none started */
    struct callback *callbacks;
    size_t n_callbacks, callbacks_capacity;
    struct queue **waiters; /* futures_wait / as_completed queues to tell */
    size_t n_waiters, waiters_capacity;
};

static bool is_done(enum future_state state)
{
    return state == FUTURE_STATE_CANCELLED || state == FUTURE_STATE_FINISHED;
}

/* A pending future holding a copy of ARG, with two holds: the caller's and
 * the pool's.  NULL when memory runs out. */
static struct future *future_new(executor_fn fn, const void *arg, size_t arg_size)
{
    struct future *future = calloc(1, sizeof *future);
    if (future == NULL)
        return NULL;
    if (arg_size > 0) {
        future->arg = malloc(arg_size);
        if (future->arg == NULL) {
            free(future);
            return NULL;
        }
        memcpy(future->arg, arg, arg_size);
    }
    future->fn = fn;
    future->arg_size = arg_size;
    future->state = FUTURE_STATE_PENDING;
    atomic_init(&future->holds, 2);
    sync_mutex_init(&future->mutex);
    sync_cond_init(&future->done_cond);
    return future;
}

static void future_release(struct future *future)
{
    if (atomic_fetch_sub_explicit(&future->holds, 1, memory_order_acq_rel) != 1)
        return;
    pthread_mutex_destroy(&future->mutex);
    pthread_cond_destroy(&future->done_cond);
    free(future->arg);
    free(future->result);
    free(future->death);
    free(future->callbacks);
    free(future->waiters);
    free(future);
}

void future_free(struct future *future)
{
    if (future != NULL)
        future_release(future);
}

/* Called with FUTURE's mutex held, just after it became done: tells its
 * waiters, unlocks, then runs its callbacks, each once, without the lock. */
static void announce_done_and_unlock(struct future *future)
{
    for (size_t i = 0; i < future->n_waiters; i++) {
        if (queue_put(future->waiters[i], future) != QUEUE_OK)
            fail_wrong("a futures waiter was closed while it waited");
    }
    future->n_waiters = 0; /* a future is done only once: nobody to tell again */
    sync_broadcast(&future->done_cond);
    struct callback *callbacks = future->callbacks;
    size_t count = future->n_callbacks;
    future->callbacks = NULL;
    future->n_callbacks = future->callbacks_capacity = 0;
    sync_unlock(&future->mutex);
    for (size_t i = 0; i < count; i++)
        callbacks[i].fn(future, callbacks[i].arg);
    free(callbacks);
}

/* Python's set_running_or_notify_cancel: true when FUTURE was pending and
 * is now running; false when it had been cancelled. */
static bool future_start(struct future *future)
{
    sync_lock(&future->mutex);
    bool start = future->state == FUTURE_STATE_PENDING;
    if (start)
        future->state = FUTURE_STATE_RUNNING;
    sync_unlock(&future->mutex);
    return start;
}

/* Records how the task ended; takes RESULT (malloc'ed) and DEATH. */
static void future_finish(struct future *future, int error, char *result, size_t size,
                          char *death)
{
    sync_lock(&future->mutex);
    future->state = FUTURE_STATE_FINISHED;
    future->error = error;
    future->result = result;
    future->result_size = size;
    future->death = death;
    announce_done_and_unlock(future);
}

bool future_cancel(struct future *future)
{
    sync_lock(&future->mutex);
    if (future->state == FUTURE_STATE_PENDING) {
        future->state = FUTURE_STATE_CANCELLED;
        announce_done_and_unlock(future);
        return true;
    }
    bool cancelled = future->state == FUTURE_STATE_CANCELLED;
    sync_unlock(&future->mutex);
    return cancelled;
}

enum future_state future_state(struct future *future)
{
    sync_lock(&future->mutex);
    enum future_state state = future->state;
    sync_unlock(&future->mutex);
    return state;
}

bool future_done(struct future *future) { return is_done(future_state(future)); }
bool future_running(struct future *future) { return future_state(future) == FUTURE_STATE_RUNNING; }
bool future_cancelled(struct future *future)
{
    return future_state(future) == FUTURE_STATE_CANCELLED;
}

/* Waits until FUTURE is done or DEADLINE passes; returns with FUTURE's
 * mutex held either way.  Only a wait that has to sleep releases the GIL. */
static void lock_when_done(struct future *future, double deadline)
{
    sync_lock(&future->mutex);
    if (is_done(future->state) || clock_now() >= deadline)
        return;
    sync_unlock(&future->mutex);
    gil_release();
    sync_lock(&future->mutex);
    while (!is_done(future->state) && sync_wait_until(&future->done_cond, &future->mutex, deadline))
        ;
    /* Taking the GIL back while holding the future's mutex could deadlock
     * with a GIL holder that wants the mutex: drop it around the take. */
    sync_unlock(&future->mutex);
    gil_reacquire();
    sync_lock(&future->mutex);
}

/* FUTURE's outcome; its mutex held. */
static enum future_outcome outcome_of(const struct future *future)
{
    switch (future->state) {
    case FUTURE_STATE_CANCELLED:
        return FUTURE_CANCELLED;
    case FUTURE_STATE_FINISHED:
        return future->error == 0 ? FUTURE_OK : FUTURE_FAILED;
    default:
        return FUTURE_TIMEOUT;
    }
}

enum future_outcome future_result(struct future *future, double timeout_s, const void **data,
                                  size_t *size)
{
    lock_when_done(future, deadline_after(timeout_s));
    enum future_outcome outcome = outcome_of(future);
    if (outcome == FUTURE_OK) {
        if (data != NULL)
            *data = future->result;
        if (size != NULL)
            *size = future->result_size;
    }
    sync_unlock(&future->mutex);
    return outcome;
}

enum future_outcome future_exception(struct future *future, double timeout_s, int *error)
{
    lock_when_done(future, deadline_after(timeout_s));
    enum future_outcome outcome = outcome_of(future);
    if (error != NULL && (outcome == FUTURE_OK || outcome == FUTURE_FAILED))
        *error = future->error;
    sync_unlock(&future->mutex);
    return outcome;
}

const char *future_describe(struct future *future, char *buf, size_t size)
{
    static const char *const names[] = {"pending", "running", "cancelled", "succeeded"};
    sync_lock(&future->mutex);
    if (future->state != FUTURE_STATE_FINISHED || future->error == 0)
        snprintf(buf, size, "%s", names[future->state]);
    else if (future->death != NULL)
        snprintf(buf, size, "%s", future->death);
    else
        snprintf(buf, size, "failed with error %d", future->error);
    sync_unlock(&future->mutex);
    return buf;
}

void future_add_done_callback(struct future *future, future_callback callback, void *arg)
{
    sync_lock(&future->mutex);
    if (!is_done(future->state)) {
        future->callbacks = grow(future->callbacks, future->n_callbacks,
                                 &future->callbacks_capacity, sizeof *future->callbacks);
        future->callbacks[future->n_callbacks++] = (struct callback){callback, arg};
        sync_unlock(&future->mutex);
        return;
    }
    sync_unlock(&future->mutex);
    callback(future, arg);
}

const char *future_outcome_name(enum future_outcome outcome)
{
    static const char *const names[] = {"ok", "failed", "cancelled", "timeout"};
    return (unsigned)outcome < 4 ? names[outcome] : "unknown";
}

/* ---- waiting for many ---------------------------------------------------- */

/* Asks FUTURE to put itself into WAITER when it becomes done; if it is done
 * already, puts it there now.  True when it was done already. */
static bool watch(struct future *future, struct queue *waiter)
{
    sync_lock(&future->mutex);
    bool done = is_done(future->state);
    if (done) {
        if (queue_put(waiter, future) != QUEUE_OK)
            fail_wrong("a futures waiter was closed while it waited");
    } else {
        future->waiters =
            grow(future->waiters, future->n_waiters, &future->waiters_capacity, sizeof(void *));
        future->waiters[future->n_waiters++] = waiter;
    }
    sync_unlock(&future->mutex);
    return done;
}

/* Takes back one registration of WAITER from FUTURE, if it is still there. */
static void unwatch(struct future *future, struct queue *waiter)
{
    sync_lock(&future->mutex);
    for (size_t i = 0; i < future->n_waiters; i++) {
        if (future->waiters[i] == waiter) {
            future->waiters[i] = future->waiters[--future->n_waiters];
            break;
        }
    }
    sync_unlock(&future->mutex);
}

static struct queue *new_waiter(void)
{
    struct queue *waiter = queue_new(0);
    if (waiter == NULL)
        fail_wrong("out of memory for a futures waiter");
    return waiter;
}

/* Takes the next done future out of WAITER before DEADLINE; NULL if none. */
static struct future *next_done(struct queue *waiter, double deadline)
{
    void *item = NULL;
    enum queue_status status = queue_try_get(waiter, &item);
    if (status == QUEUE_OK)
        return item;
    double left = seconds_until(deadline);
    GIL_RELEASED(status = left < 0 ? queue_get(waiter, &item)
                                   : queue_get_timeout(waiter, &item, left));
    return status == QUEUE_OK ? item : NULL;
}

static bool finished_with_error(struct future *future)
{
    sync_lock(&future->mutex);
    bool failed = future->state == FUTURE_STATE_FINISHED && future->error != 0;
    sync_unlock(&future->mutex);
    return failed;
}

static bool wait_is_over(enum futures_return_when when, size_t done, size_t count, bool failed)
{
    if (done == count)
        return true;
    if (when == FUTURES_FIRST_COMPLETED)
        return done > 0;
    return when == FUTURES_FIRST_EXCEPTION && failed;
}

size_t futures_wait(struct future *const *futures, size_t count, enum futures_return_when when,
                    double timeout_s, bool *done)
{
    double deadline = deadline_after(timeout_s);
    struct queue *waiter = new_waiter();
    /* Every done future, now or later, lands in WAITER exactly once per
     * place it holds in FUTURES: counting what comes out counts places. */
    for (size_t i = 0; i < count; i++)
        watch(futures[i], waiter);
    size_t seen = 0;
    bool failed = false;
    while (!wait_is_over(when, seen, count, failed)) {
        struct future *future = next_done(waiter, deadline);
        if (future == NULL)
            break;
        seen++;
        failed = failed || finished_with_error(future);
    }
    for (size_t i = 0; i < count; i++)
        unwatch(futures[i], waiter);
    queue_free(waiter);
    size_t n_done = 0;
    for (size_t i = 0; i < count; i++) {
        bool is = future_done(futures[i]);
        n_done += is;
        if (done != NULL)
            done[i] = is;
    }
    return n_done;
}

struct futures_iterator {
    struct future **futures; /* distinct, in address order */
    size_t count, handed_out;
    struct queue *waiter;
    double deadline;
    bool expired; /* once the timeout ran out, it stays out (Python's generator ends) */
};

static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (struct future *const *)a;
    uintptr_t y = (uintptr_t) * (struct future *const *)b;
    return (x > y) - (x < y);
}

struct futures_iterator *futures_as_completed(struct future *const *futures, size_t count,
                                              double timeout_s)
{
    struct futures_iterator *it = calloc(1, sizeof *it);
    if (it == NULL || (count > 0 && (it->futures = calloc(count, sizeof(void *))) == NULL)) {
        free(it);
        errno = ENOMEM;
        return NULL;
    }
    it->deadline = deadline_after(timeout_s);
    if (count > 0)
        memcpy(it->futures, futures, count * sizeof(void *));
    qsort(it->futures, count, sizeof(void *), by_address);
    for (size_t i = 0; i < count; i++) {
        if (it->count == 0 || it->futures[it->count - 1] != it->futures[i])
            it->futures[it->count++] = it->futures[i];
    }
    it->waiter = new_waiter();
    for (size_t i = 0; i < it->count; i++)
        watch(it->futures[i], it->waiter);
    return it;
}

enum futures_next futures_next(struct futures_iterator *iterator, struct future **future)
{
    if (iterator->handed_out == iterator->count)
        return FUTURES_END;
    if (iterator->expired)
        return FUTURES_EXPIRED;
    struct future *next = next_done(iterator->waiter, iterator->deadline);
    if (next == NULL) {
        iterator->expired = true;
        return FUTURES_EXPIRED;
    }
    iterator->handed_out++;
    *future = next;
    return FUTURES_NEXT;
}

void futures_iterator_free(struct futures_iterator *iterator)
{
    if (iterator == NULL)
        return;
    for (size_t i = 0; i < iterator->count; i++)
        unwatch(iterator->futures[i], iterator->waiter);
    queue_free(iterator->waiter);
    free(iterator->futures);
    free(iterator);
}

/* ---- the pool ------------------------------------------------------------ */

enum pool_kind { POOL_THREADS, POOL_PROCESSES };

/* One worker: a thread that runs tasks, or that hands them to its process. */
struct worker {
    struct executor *executor;
    pthread_t thread;
    bool thread_started;
    pid_t pid;     /* the worker process, -1 when there is none */
    int task_fd;   /* pipe to its stdin-like task stream (parent's write end) */
    int result_fd; /* pipe from it (parent's read end) */
    size_t tasks_run; /* tasks this worker started, guarded by the executor's mutex */
};

struct executor {
    enum pool_kind kind;
    struct executor_options options;
    struct queue *tasks; /* futures, each holding one of the pool's holds */
    pthread_mutex_t mutex; /* guards shut and stats */
    bool shut;
    struct executor_stats stats;
    pthread_mutex_t join_mutex; /* one shutdown joins, the others wait for it */
    bool joined;
    size_t n_workers;
    struct worker workers[];
};

static void count(struct executor *executor, size_t *counter)
{
    sync_lock(&executor->mutex);
    (*counter)++;
    sync_unlock(&executor->mutex);
}

/* Runs FUTURE's task in this thread. */
static void run_here(struct worker *worker, struct future *future)
{
    struct executor_output out = {0};
    int error = future->fn(future->arg, future->arg_size, &out);
    count(worker->executor, error == 0 ? &worker->executor->stats.succeeded
                                       : &worker->executor->stats.failed);
    future_finish(future, error, out.data, out.size, NULL);
}

/* ---- process workers: the pipe protocol ----------------------------------- */

struct request_header {
    unsigned char fn[sizeof(executor_fn)]; /* the task's address, as bytes */
    uint64_t arg_size;
};

struct reply_header {
    int64_t error;
    uint64_t size;
};

/* Closes every descriptor from FIRST to LAST. */
static void close_span(unsigned first, unsigned last)
{
    if (first > last || close_range(first, last, 0) == 0)
        return;
    long open_max = sysconf(_SC_OPEN_MAX);
    unsigned top = open_max > 0 && (unsigned long)open_max <= UINT_MAX ? (unsigned)open_max : 65536;
    for (unsigned fd = first; fd <= last && fd < top; fd++)
        close((int)fd);
}

/* In a new worker: closes every descriptor but 0, 1, 2, A and B, so that it
 * holds no pipe end of another worker (which would keep that worker from
 * ever seeing end of file) and nothing else of the caller's.  A and B are
 * above 2 (make_pipe), but a span is never computed below its start: with
 * A at 0, "3 to A - 1" would wrap around to every descriptor there is. */
static void close_others(int a, int b)
{
    unsigned low = (unsigned)(a < b ? a : b), high = (unsigned)(a < b ? b : a);
    if (low > 3)
        close_span(3, low - 1);
    if (high > low + 1)
        close_span(low + 1 > 3 ? low + 1 : 3, high - 1);
    if (high < UINT_MAX)
        close_span(high + 1 > 3 ? high + 1 : 3, UINT_MAX);
}

/* Receives one request: false at end of file (the pool closed the pipe). */
static bool receive_task(int fd, executor_fn *fn, char **arg, size_t *arg_size)
{
    struct request_header header;
    if (fdio_read_all(fd, &header, sizeof header) != FDIO_WHOLE)
        return false;
    if (header.arg_size > EXECUTOR_MAX_BYTES)
        _exit(EXIT_WRONG);
    memcpy(fn, header.fn, sizeof *fn);
    free(*arg);
    *arg = malloc(header.arg_size ? header.arg_size : 1);
    *arg_size = header.arg_size;
    if (*arg == NULL || fdio_read_all(fd, *arg, header.arg_size) != FDIO_WHOLE)
        _exit(EXIT_WRONG);
    return true;
}

/* The worker process: runs tasks until the pool closes its task pipe. */
static _Noreturn void worker_process_main(const struct executor_options *options, int task_fd,
                                          int result_fd)
{
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_UNBLOCK, &pipe_only, NULL);
    close_others(task_fd, result_fd);
    if (options->initializer != NULL)
        options->initializer(options->arg);
    executor_fn fn;
    char *arg = NULL;
    size_t arg_size;
    while (receive_task(task_fd, &fn, &arg, &arg_size)) {
        struct executor_output out = {0};
        struct reply_header reply = {.error = fn(arg, arg_size, &out), .size = out.size};
        bool sent = fdio_write_all(result_fd, &reply, sizeof reply) &&
                    fdio_write_all(result_fd, out.data, out.size);
        free(out.data);
        if (!sent)
            break;
    }
    free(arg);
    if (options->finalizer != NULL)
        options->finalizer(options->arg);
    fflush(stdout);
    _exit(EXIT_RIGHT);
}

/* FD itself when it is above the standard streams, else a copy above them
 * (FD closed); -1 with errno set when no copy could be made (FD closed). */
static int above_stdio(int fd)
{
    if (fd > STDERR_FILENO)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    int error = errno;
    close(fd);
    errno = error;
    return moved;
}

/* pipe2(O_CLOEXEC) with both ends above 2.  A program started with stdin,
 * stdout or stderr closed (from cron, nohup, `<&-`) gets its first pipe on
 * that number: a worker would then take its task pipe for stdin, and the
 * caller would print its report into a worker's pipe.  0, or an error
 * number (nothing left open). */
static int make_pipe(int ends[2])
{
    if (pipe2(ends, O_CLOEXEC) != 0)
        return errno;
    ends[0] = above_stdio(ends[0]);
    int error = errno;
    ends[1] = above_stdio(ends[1]);
    if (ends[0] >= 0 && ends[1] >= 0)
        return 0;
    error = ends[1] < 0 ? errno : error;
    proc_close(&ends[0]);
    proc_close(&ends[1]);
    return error;
}

/* Forks a worker process for WORKER.  0, or an error number (nothing left). */
static int spawn_process(struct worker *worker)
{
    int to_child[2], from_child[2];
    int error = make_pipe(to_child);
    if (error != 0)
        return error;
    if ((error = make_pipe(from_child)) != 0) {
        close(to_child[0]);
        close(to_child[1]);
        return error;
    }
    pid_t pid = children_fork(); /* flushes stdio: the child never repeats buffered output */
    if (pid == 0) {
        pin_worker((size_t)(worker - worker->executor->workers));
        close(to_child[1]);
        close(from_child[0]);
        worker_process_main(&worker->executor->options, to_child[0], from_child[1]);
    }
    error = errno;
    close(to_child[0]);
    close(from_child[1]);
    if (pid < 0) {
        close(to_child[1]);
        close(from_child[0]);
        return error;
    }
    worker->pid = pid;
    worker->task_fd = to_child[1];
    worker->result_fd = from_child[0];
    return 0;
}

/* How long a worker process may take to end once its pipes are closed
 * (its finalizer runs then) before it is killed: see executor.h. */
#define BURY_GRACE_S 5.0

/* Reaps child PID once it has ended, waiting up to GRACE_S; false (still
 * running) when the grace ran out.  Looks often at first: a healthy worker
 * ends within a millisecond of end of file. */
static bool reap_within(pid_t pid, double grace_s, int *status)
{
    double deadline = clock_now() + grace_s;
    long pause_ns = 100000; /* 0.1 ms, doubling up to 10 ms */
    while (!children_reap(pid, false, status)) {
        if (clock_now() >= deadline)
            return false;
        struct timespec pause = {0, pause_ns};
        nanosleep(&pause, NULL); /* EINTR only looks again sooner */
        pause_ns = pause_ns < 10000000 ? 2 * pause_ns : pause_ns;
    }
    return true;
}

/* Closes WORKER's pipes, which ends a healthy worker process, and reaps it;
 * one that has not ended within BURY_GRACE_S (stuck in its finalizer, or on
 * a lock that the fork copied held) is killed.  Returns its wait status. */
static int bury_process(struct worker *worker)
{
    proc_close(&worker->task_fd);
    proc_close(&worker->result_fd);
    int status = 0;
    if (!reap_within(worker->pid, BURY_GRACE_S, &status)) {
        fprintf(stderr, "%s: worker process %d did not end within %.0f s of its pipes "
                        "closing: killed\n", fail_program(), (int)worker->pid, BURY_GRACE_S);
        if (kill(worker->pid, SIGKILL) != 0)
            fail_sys("kill");
        children_reap(worker->pid, true, &status);
    }
    worker->pid = -1;
    return status;
}

/* A worker thread keeps SIGPIPE blocked, so that writing to a worker
 * process that died is EPIPE, not the death of the whole program; this
 * takes the signal such a write raised off the pending set. */
static void forget_sigpipe(void)
{
    sigset_t pipe_only, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigemptyset(&pending);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
        struct timespec no_wait = {0, 0};
        while (sigtimedwait(&pipe_only, NULL, &no_wait) < 0 && errno == EINTR)
            ;
    }
}

static bool send_task(struct worker *worker, const struct future *future)
{
    struct request_header header = {.arg_size = future->arg_size};
    memcpy(header.fn, &future->fn, sizeof header.fn);
    bool sent = fdio_write_all(worker->task_fd, &header, sizeof header) &&
                fdio_write_all(worker->task_fd, future->arg, future->arg_size);
    if (!sent)
        forget_sigpipe();
    return sent;
}

/* Reads one reply; false when the worker process died (or broke the
 * protocol).  On success *RESULT is malloc'ed (NULL when empty). */
static bool receive_reply(struct worker *worker, int *error, char **result, size_t *size)
{
    struct reply_header reply;
    if (fdio_read_all(worker->result_fd, &reply, sizeof reply) != FDIO_WHOLE ||
        reply.size > EXECUTOR_MAX_BYTES)
        return false;
    *result = reply.size ? malloc(reply.size) : NULL;
    if (reply.size && (*result == NULL ||
                       fdio_read_all(worker->result_fd, *result, reply.size) != FDIO_WHOLE)) {
        free(*result);
        return false;
    }
    *error = (int)reply.error;
    *size = reply.size;
    return true;
}

static char *printed(const char *format, ...) __attribute__((format(printf, 1, 2)));
static char *printed(const char *format, ...)
{
    char buf[256];
    va_list args;
    va_start(args, format);
    vsnprintf(buf, sizeof buf, format, args);
    va_end(args);
    char *copy = strdup(buf);
    if (copy == NULL)
        fail_wrong("out of memory for an error message");
    return copy;
}

/* Gives WORKER a new process after its last one ended; an error number.
 * None once the program is ending (children_ending): the handler ending it
 * has signalled the old workers, and would wait for a new one in vain. */
static int replace_process(struct worker *worker)
{
    if (children_ending())
        return ECANCELED;
    int error = spawn_process(worker);
    if (error == 0)
        count(worker->executor, &worker->executor->stats.workers_replaced);
    return error;
}

/* Makes sure WORKER has a process; false (FUTURE failed) when none starts. */
static bool ensure_process(struct worker *worker, struct future *future)
{
    int error = worker->pid < 0 ? replace_process(worker) : 0;
    if (error == 0)
        return true;
    count(worker->executor, &worker->executor->stats.failed);
    future_finish(future, EXECUTOR_NO_WORKER, NULL, 0,
                  printed("no worker process could be started: fork: %s%s", strerror(error),
                          fail_hint(error)));
    return false;
}

/* Runs FUTURE's task in WORKER's process. */
static void run_in_process(struct worker *worker, struct future *future)
{
    if (!ensure_process(worker, future))
        return;
    /* A process that died between two tasks never saw this one: start a
     * fresh one and send it again. */
    if (!send_task(worker, future)) {
        bury_process(worker);
        if (!ensure_process(worker, future))
            return;
        send_task(worker, future); /* a failure shows as a death below */
    }
    int error = 0;
    char *result = NULL;
    size_t size = 0;
    if (receive_reply(worker, &error, &result, &size)) {
        count(worker->executor, error == 0 ? &worker->executor->stats.succeeded
                                           : &worker->executor->stats.failed);
        future_finish(future, error, result, size, NULL);
        return;
    }
    pid_t pid = worker->pid;
    char how[128];
    proc_describe_status(bury_process(worker), how, sizeof how);
    count(worker->executor, &worker->executor->stats.failed);
    future_finish(future, EXECUTOR_WORKER_DIED, NULL, 0,
                  printed("its worker process %d died: %s", (int)pid, how));
    replace_process(worker); /* if it fails, the next task tries again */
}

/* ---- worker threads ------------------------------------------------------ */

/* Takes a future out of the queue without running it (it was cancelled, or
 * the pool is cancelling what is pending). */
static void discard(struct executor *executor, struct future *future)
{
    future_cancel(future);
    count(executor, &executor->stats.cancelled);
    future_release(future);
}

static void serve(struct worker *worker, void (*run)(struct worker *, struct future *))
{
    struct executor *executor = worker->executor;
    for (;;) {
        void *item;
        enum queue_status status;
        /* SimpleQueue.get: a task that is there is taken holding the GIL */
        status = gil_queue_get(executor->tasks, &item);
        if (status != QUEUE_OK)
            return;
        struct future *future = item;
        if (!future_start(future)) {
            discard(executor, future);
            continue;
        }
        sync_lock(&executor->mutex);
        executor->stats.started++;
        worker->tasks_run++;
        sync_unlock(&executor->mutex);
        run(worker, future);
        future_release(future);
    }
}

static void *thread_worker_main(void *arg)
{
    struct worker *worker = arg;
    const struct executor_options *options = &worker->executor->options;
    pin_worker((size_t)(worker - worker->executor->workers));
    if (options->initializer != NULL)
        options->initializer(options->arg);
    serve(worker, run_here);
    if (options->finalizer != NULL)
        options->finalizer(options->arg);
    return NULL;
}

static void *process_worker_main(void *arg)
{
    struct worker *worker = arg;
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    int rc = pthread_sigmask(SIG_BLOCK, &pipe_only, NULL);
    if (rc != 0)
        fail_code("pthread_sigmask", rc);
    serve(worker, run_in_process);
    if (worker->pid >= 0)
        bury_process(worker);
    return NULL;
}

/* ---- making and ending a pool -------------------------------------------- */

static void join_workers(struct executor *executor)
{
    gil_release();
    sync_lock(&executor->join_mutex);
    for (size_t i = 0; !executor->joined && i < executor->n_workers; i++) {
        struct worker *worker = &executor->workers[i];
        if (!worker->thread_started)
            continue;
        int rc = pthread_join(worker->thread, NULL);
        if (rc != 0)
            fail_code("pthread_join", rc);
    }
    executor->joined = true;
    /* Workers whose thread never started still have their process. */
    for (size_t i = 0; i < executor->n_workers; i++) {
        if (!executor->workers[i].thread_started && executor->workers[i].pid >= 0)
            bury_process(&executor->workers[i]);
    }
    sync_unlock(&executor->join_mutex);
    gil_reacquire();
}

static void destroy(struct executor *executor)
{
    queue_free(executor->tasks);
    pthread_mutex_destroy(&executor->mutex);
    pthread_mutex_destroy(&executor->join_mutex);
    free(executor);
}

static struct executor *executor_new(enum pool_kind kind, size_t workers,
                                     const struct executor_options *options)
{
    if (workers == 0 || workers > EXECUTOR_MAX_WORKERS) {
        errno = EINVAL;
        return NULL;
    }
    struct executor *executor = calloc(1, sizeof *executor + workers * sizeof(struct worker));
    if (executor == NULL || (executor->tasks = queue_new(0)) == NULL) {
        free(executor);
        errno = ENOMEM;
        return NULL;
    }
    executor->kind = kind;
    if (options != NULL)
        executor->options = *options;
    executor->n_workers = workers;
    executor->stats.workers = workers;
    sync_mutex_init(&executor->mutex);
    sync_mutex_init(&executor->join_mutex);
    for (size_t i = 0; i < workers; i++)
        executor->workers[i] = (struct worker){.executor = executor, .pid = -1,
                                               .task_fd = -1, .result_fd = -1};
    int error = 0;
    /* Processes first: forked while this pool has no thread yet. */
    for (size_t i = 0; kind == POOL_PROCESSES && error == 0 && i < workers; i++)
        error = spawn_process(&executor->workers[i]);
    void *(*body)(void *) = kind == POOL_THREADS ? thread_worker_main : process_worker_main;
    for (size_t i = 0; error == 0 && i < workers; i++) {
        struct worker *worker = &executor->workers[i];
        error = thread_team_create(&worker->thread, body, worker);
        worker->thread_started = error == 0;
    }
    if (error != 0) {
        executor->shut = true;
        queue_close(executor->tasks);
        join_workers(executor);
        destroy(executor);
        errno = error;
        return NULL;
    }
    return executor;
}

struct executor *executor_new_threads(size_t workers, const struct executor_options *options)
{
    return executor_new(POOL_THREADS, workers, options);
}

struct executor *executor_new_processes(size_t workers, const struct executor_options *options)
{
    return executor_new(POOL_PROCESSES, workers, options);
}

struct future *executor_submit(struct executor *executor, executor_fn fn, const void *arg,
                               size_t arg_size)
{
    if (fn == NULL || arg_size > EXECUTOR_MAX_BYTES || (arg == NULL && arg_size > 0)) {
        errno = EINVAL;
        return NULL;
    }
    struct future *future = future_new(fn, arg, arg_size);
    if (future == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    sync_lock(&executor->mutex);
    /* Checked and put under the pool's mutex, so shutdown cannot close the
     * queue in between. */
    bool open = !executor->shut && queue_put(executor->tasks, future) == QUEUE_OK;
    if (open)
        executor->stats.submitted++;
    sync_unlock(&executor->mutex);
    if (!open) {
        future_release(future);
        future_release(future);
        errno = ECANCELED;
        return NULL;
    }
    return future;
}

void executor_shutdown(struct executor *executor, bool wait, bool cancel_pending)
{
    sync_lock(&executor->mutex);
    executor->shut = true;
    queue_close(executor->tasks);
    sync_unlock(&executor->mutex);
    void *item;
    while (cancel_pending && queue_try_get(executor->tasks, &item) == QUEUE_OK)
        discard(executor, item);
    if (wait)
        join_workers(executor);
}

void executor_free(struct executor *executor)
{
    if (executor == NULL)
        return;
    executor_shutdown(executor, true, false);
    destroy(executor);
}

struct executor_stats executor_get_stats(struct executor *executor)
{
    sync_lock(&executor->mutex);
    struct executor_stats stats = executor->stats;
    sync_unlock(&executor->mutex);
    return stats;
}

size_t executor_tasks_per_worker(struct executor *executor, size_t *counts, size_t max)
{
    sync_lock(&executor->mutex);
    size_t n = executor->n_workers < max ? executor->n_workers : max;
    for (size_t i = 0; i < n; i++)
        counts[i] = executor->workers[i].tasks_run;
    sync_unlock(&executor->mutex);
    return n;
}

/* ---- map ----------------------------------------------------------------- */

/* Result K of a map, copied to its place; FUTURE_FAILED with
 * EXECUTOR_BAD_RESULT when it has another size. */
static enum future_outcome take_result(struct future *future, double deadline, void *place,
                                       size_t result_size, int *error)
{
    const void *data;
    size_t size;
    enum future_outcome outcome = future_result(future, seconds_until(deadline), &data, &size);
    if (outcome == FUTURE_FAILED)
        future_exception(future, 0, error);
    if (outcome == FUTURE_OK && size != result_size) {
        *error = EXECUTOR_BAD_RESULT;
        return FUTURE_FAILED;
    }
    if (outcome == FUTURE_OK && size > 0)
        memcpy(place, data, size);
    return outcome;
}

enum future_outcome executor_map(struct executor *executor, executor_fn fn, const void *args,
                                 size_t arg_size, size_t count, void *results, size_t result_size,
                                 double timeout_s, struct executor_map_failure *failure)
{
    double deadline = deadline_after(timeout_s);
    struct future **futures = calloc(count ? count : 1, sizeof *futures);
    if (futures == NULL)
        fail_wrong("out of memory for %zu futures", count);
    enum future_outcome outcome = FUTURE_OK;
    struct executor_map_failure first = {0};
    size_t submitted = 0;
    for (; submitted < count; submitted++) {
        futures[submitted] =
            executor_submit(executor, fn, (const char *)args + submitted * arg_size, arg_size);
        if (futures[submitted] == NULL) {
            outcome = FUTURE_FAILED;
            first = (struct executor_map_failure){submitted, EXECUTOR_NOT_SUBMITTED};
            break;
        }
    }
    for (size_t k = 0; outcome == FUTURE_OK && k < submitted; k++) {
        int error = 0;
        outcome = take_result(futures[k], deadline, (char *)results + k * result_size,
                              result_size, &error);
        if (outcome != FUTURE_OK)
            first = (struct executor_map_failure){k, error};
    }
    for (size_t k = 0; k < submitted; k++) {
        if (outcome != FUTURE_OK)
            future_cancel(futures[k]); /* a no-op on those started or done */
        future_free(futures[k]);
    }
    free(futures);
    if (failure != NULL && outcome != FUTURE_OK)
        *failure = first;
    return outcome;
}
