/* gil — an emulation of CPython's global interpreter lock, for C threads.
 *
 * CPython lets one thread at a time run bytecode.  This module gives a C
 * program the same rule, modelled on CPython's Python/ceval_gil.c:
 *
 *   - The GIL is one flag, "locked", guarded by a mutex; a thread that finds
 *     it taken waits on a condition variable.
 *   - A waiter waits at most the switch interval (5 ms by default, like
 *     sys.getswitchinterval()).  If the interval runs out and no switch
 *     happened meanwhile, it sets the drop request — CPython's
 *     gil_drop_request, part of the "eval breaker" — and waits again.
 *   - The holder looks at the drop request at its next check point, as the
 *     bytecode loop checks the eval breaker on loop back-edges and calls.  A C
 *     loop calls gil_checkpoint() every GIL_CHECK_EVERY iterations.  When the
 *     request is set, the holder drops the GIL and then, as CPython does with
 *     FORCE_SWITCHING, waits until another thread has taken it, so it cannot
 *     grab it straight back on a multi-core machine; then it queues for the
 *     GIL like any other waiter.
 *   - A blocking call (sleep, select, read, join) is made with the GIL
 *     released around it, as Py_BEGIN_ALLOW_THREADS / Py_END_ALLOW_THREADS do.
 *
 * It models scheduling only: no bytecode, no reference counts, no signals.
 *
 * Adding --gil to a program (the whole recipe):
 *
 *   struct gil_options gil = GIL_OPTIONS_DEFAULT;        in the settings
 *   GIL_CLI_OPTIONS(&gil),                               in the cli_option table
 *   gil_init(&gil);                                      before the threads start
 *   gil_thread_begin(); ... gil_thread_end();            around each thread's work
 *   if (++i % GIL_CHECK_EVERY == 0) gil_checkpoint();    in CPU-bound loops
 *   load; gil_checkpoint(); store;                       a switch may fall between
 *                                                        two steps, as between bytecodes
 *   GIL_RELEASED(rc = select(...));                      around blocking calls
 *   rc = gil_mutex_lock(&mutex);                         for a lock (Lock.acquire)
 *   status = gil_queue_get(queue, &item);                queue.get / put / join: the
 *   status = gil_queue_put(queue, item);                 GIL is let go only to wait
 *   rc = gil_thread_start(&thread, NULL, body, arg);     Thread.start(): the new
 *                                                        thread runs first
 *   gil_report(report);                                  after the threads joined
 *   gil_shutdown();                                      before exit
 *
 * Without --gil every one of these calls is a no-op (gil_checkpoint is one
 * relaxed atomic load), so the code needs no "if (gil)" anywhere.
 *
 * The cost of a check point, and why GIL_CHECK_EVERY is 1024.  Measured on a
 * 2-core AMD EPYC VM, gcc 12 -O2: a gil_checkpoint() call that finds no drop
 * request costs about 1.4 ns (GIL off, or held with nobody waiting); one
 * iteration of factorize's loop (a 64-bit division) costs about 2 ns.  One
 * check per 1024 iterations is under 0.1 % of the work: hyperfine, book
 * size, medians of 20 runs, factorize seq 59.5 ms, seq --gil 59.8 ms (noise).
 * And the holder still sees a drop request within about 2 us (1024 x 2 ns),
 * far below the 5 ms interval: two CPU-bound threads switched every 5.3 ms
 * at a 5 ms interval and every 1.25 ms at 1 ms.  A loop whose iterations
 * cost more may check more often; the rule: a check point under 1 % of the
 * work between two of them, and that work well under the interval.
 *
 * Threads: the GIL is one per process (as one per interpreter in CPython).
 * gil_init and gil_shutdown are called by one thread while no GIL thread runs.
 * A child made by fork() gets its own copy, so each process has its own GIL,
 * as with multiprocessing; fork only while no other thread is a GIL thread
 * (CPython re-creates its GIL in the child for the same reason).
 */
#ifndef CONCLAB_GIL_H
#define CONCLAB_GIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "queue.h"
#include "report.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CPU loops call gil_checkpoint() once every this many iterations. */
#define GIL_CHECK_EVERY 1024

/* CPython's default switch interval, sys.getswitchinterval() = 0.005. */
#define GIL_DEFAULT_INTERVAL_MS 5
#define GIL_MAX_INTERVAL_MS 1000

/* What the command line decides: --gil and --switch-interval-ms=N. */
struct gil_options {
    bool enabled;
    long long switch_interval_ms;
};

/* Positional, so that C++ tests can use it too: enabled, interval. */
#define GIL_OPTIONS_DEFAULT {false, GIL_DEFAULT_INTERVAL_MS}

/* Two cli_option initializers, for the end of a program's option table:
 * --gil and --switch-interval-ms=N, stored in *OPTIONS, for the modes whose
 * CLI_MODE bits are in MODES (0: every mode).  A mode whose work runs in
 * processes has no GIL to share: leave it out. */
#define GIL_CLI_OPTIONS_FOR(options, modes_mask)                                              \
    {.name = "gil", .kind = CLI_FLAG, .flag = &(options)->enabled, .modes = (modes_mask),     \
     .help = "emulate CPython's GIL: one thread at a time runs the CPU-bound work"},          \
    {                                                                                         \
        .name = "switch-interval-ms", .kind = CLI_INT, .min = 1, .max = GIL_MAX_INTERVAL_MS,   \
        .integer = &(options)->switch_interval_ms, .modes = (modes_mask), .needs = "gil",    \
        .help = "how long a waiting thread lets the holder run before it asks "              \
                "for the GIL (sys.setswitchinterval)"                                          \
    }

/* GIL_CLI_OPTIONS_FOR every mode. */
#define GIL_CLI_OPTIONS(options) GIL_CLI_OPTIONS_FOR(options, 0)


/* The --list name of a variant: BASE, with "-gil" after it under --gil
 * ("threads" -> "threads-gil"), written into NAME (SIZE bytes); returns NAME. */
const char *gil_variant_name(const struct gil_options *options, const char *base, char *name,
                             size_t size);

/* Sets the process's GIL up: enabled or not, and its switch interval.
 * Exits with EXIT_WRONG if a mutex or condition variable cannot be made, or
 * if the GIL is already set up. */
void gil_init(const struct gil_options *options);

/* Same with the interval in microseconds (>= 1), for tests that want
 * intervals shorter than a millisecond. */
void gil_init_us(bool enabled, long interval_us);

/* Tears the GIL down.  Every thread that called gil_thread_begin must have
 * called gil_thread_end (else EXIT_WRONG: a bug in the caller).  Statistics
 * are gone afterwards; gil_init may be called again. */
void gil_shutdown(void);

/* True between gil_init with --gil and gil_shutdown. */
bool gil_enabled(void);

/* The calling thread becomes a "Python thread": it waits for the GIL and
 * holds it on return.  Calling it twice in one thread without
 * gil_thread_end is a bug (EXIT_WRONG). */
void gil_thread_begin(void);

/* The calling thread drops the GIL for good, without waiting for anyone to
 * take it (the thread is about to end).  Its statistics are kept. */
void gil_thread_end(void);

/* The eval-breaker check: when another thread has asked for the GIL and this
 * thread holds it, hand it over, wait until it was taken, and queue to get it
 * back; then true.  Otherwise (no request, no GIL, --gil off) returns false at
 * once.  The answer lets a program count the switches that fell where it
 * cares, e.g. between a load and its store. */
bool gil_checkpoint(void);

/* Py_BEGIN_ALLOW_THREADS / Py_END_ALLOW_THREADS: release the GIL before a
 * blocking call and take it back after.  A no-op for a thread that is not a
 * GIL thread.  gil_reacquire keeps errno as the blocking call left it. */
void gil_release(void);
void gil_reacquire(void);

/* CPython's Lock.acquire for a pthread mutex: try to take it without letting
 * go of the GIL; only when it is taken, release the GIL while blocking on it.
 * A GIL thread that blocked on a mutex held by a thread waiting for the GIL
 * would wait for ever; every GIL thread must therefore take a mutex that a
 * check point may separate from its unlock through here.  Returns what
 * pthread_mutex_lock returns.  Without --gil, a plain lock. */
int gil_mutex_lock(pthread_mutex_t *mutex);

/* queue.Queue.get, put and join under the GIL.  CPython's queue calls
 * first try without blocking, holding the GIL (Lock.acquire and
 * SimpleQueue.get try the lock with a zero timeout before they release
 * it), so a get that finds an item, a put that finds room and a join with
 * nothing unfinished never let another thread in.  Only a call that must
 * wait releases the GIL, around the wait.  Same answers as queue_get,
 * queue_put and queue_join; without --gil, those calls. */
enum queue_status gil_queue_get(struct queue *queue, void **item);
enum queue_status gil_queue_put(struct queue *queue, void *item);
void gil_queue_join(struct queue *queue);

/* threading.Thread.start(): pthread_create, then, when the caller holds the
 * GIL, wait with the GIL released until the new thread has taken it, as
 * start() waits on the new thread's _started event.  The new thread runs
 * first, until it blocks or is asked for the GIL; the creator queues for
 * the GIL behind it.  BODY must call gil_thread_begin before anything that
 * waits for the creator (the hand-shake ends there, or when BODY returns).
 * Without --gil, or from a thread that does not hold the GIL, a plain
 * pthread_create.  Returns pthread_create's error number. */
int gil_thread_start(pthread_t *thread, const pthread_attr_t *attr, void *(*body)(void *),
                     void *arg);

/* Runs the statement(s) with the GIL released:
 *   GIL_RELEASED(got = read(fd, buffer, size));
 *   GIL_RELEASED(clock_sleep(0.1));                                         */
#define GIL_RELEASED(...)                                                                     \
    do {                                                                                      \
        gil_release();                                                                        \
        __VA_ARGS__;                                                                          \
        gil_reacquire();                                                                      \
    } while (0)

/* One thread's account, numbered in the order the threads began. */
struct gil_thread_stats {
    double wait_s;                       /* time spent waiting to take the GIL */
    unsigned long long acquisitions;     /* times it took the GIL */
    unsigned long long forced_drops;     /* times it dropped it on a drop request */
    unsigned long long drop_requests;    /* times it waited out an interval and asked */
    unsigned long long blocking_releases; /* GIL_RELEASED / gil_release calls */
};

/* The whole GIL's account. */
struct gil_stats {
    bool enabled;
    double switch_interval_s;
    unsigned long long switches;      /* the GIL went to a thread other than its last holder */
    unsigned long long drop_requests; /* sum over the threads */
    unsigned long long forced_drops;  /* sum over the threads */
    double wait_s;                    /* sum over the threads */
    size_t n_threads;                 /* threads that called gil_thread_begin */
};

/* The statistics so far; exact once every GIL thread has ended. */
struct gil_stats gil_stats(void);

/* Thread INDEX's account (0 <= INDEX < gil_stats().n_threads), as of its
 * gil_thread_end; zero for a thread still running. */
struct gil_thread_stats gil_thread_stats(size_t index);

/* Adds the GIL to REPORT: parameter "gil" (and "switch_interval_ms"), and
 * with --gil the metrics gil_switches, gil_drop_requests, gil_forced_drops,
 * gil_wait_s, gil_wait_s_thread<K> for every thread K, the same per thread
 * under data "gil", and a note.  Call it after the threads were joined. */
void gil_report(struct report *report);

#ifdef __cplusplus
}
#endif

#endif
