/* thread_team — run one function in COUNT threads at once and wait for all.
 *
 * Every threaded variant has the same shape: start N threads, each on its own
 * element of an array, then join them all.  Keeping that in one place means
 * every program joins what it started, also when pthread_create fails half
 * way, and that a later change to how threads run (an emulated GIL taken on
 * entry, say) has one place to go.
 *
 * The bodies start together: each thread waits at a start gate until all of
 * them exist.  Creating a thread costs tens to hundreds of microseconds, and
 * a short body (a million increments take about a millisecond) would
 * otherwise be finished before its neighbour is created: the threads would
 * never overlap, and a race or a contended lock would not show.
 *
 * Under an emulated GIL (common/gil, --gil) every member calls
 * gil_thread_begin before its body and gil_thread_end after it: the members
 * are Python threads, and the caller need not be one.
 */
#ifndef CONCLAB_THREAD_TEAM_H
#define CONCLAB_THREAD_TEAM_H

#include <pthread.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most threads one team may hold; programs refuse more at parse time. */
#define THREAD_TEAM_MAX 1024

/* The stack of every thread a conclab program starts: 8 MiB, what glibc
 * gives by default under Linux's usual ulimit -s 8192.  Without an explicit
 * size glibc takes the main stack's limit (RLIMIT_STACK) for every thread,
 * so that under ulimit -s 24 each thread had 24 KiB and overflowed it. */
#define THREAD_TEAM_STACK_BYTES ((size_t)8 << 20)

/* pthread_create(THREAD, attributes, BODY, ARG) with a stack of
 * THREAD_TEAM_STACK_BYTES, whatever ulimit -s says; returns its error. */
int thread_team_create(pthread_t *thread, void *(*body)(void *), void *arg);

/* threading.Thread.start(): thread_team_create, and under --gil, when the
 * caller holds the GIL, the new thread takes it before the caller goes on
 * (gil_thread_start).  BODY must call gil_thread_begin before it waits for
 * anything the caller does afterwards. */
int thread_team_start(pthread_t *thread, void *(*body)(void *), void *arg);

/* Initialises ATTR with that stack size, for a caller that sets more on it
 * (an affinity) before its own pthread_create; 0 or an error number. */
int thread_team_attr_init(pthread_attr_t *attr);

/* Runs BODY(item) in COUNT threads, item k being (char *)ITEMS + k *
 * ITEM_SIZE; no body starts before all COUNT threads exist, so bodies may
 * wait for one another.  Returns when every body has returned; what they
 * wrote to their items is then visible to the caller.  COUNT == 0 does
 * nothing.  If a thread cannot be created, no body runs: the threads already
 * created are released without running it and joined, then the program exits
 * with EXIT_WRONG (fail_code).  COUNT > THREAD_TEAM_MAX exits with EXIT_WRONG. */
void thread_team_run(size_t count, void (*body)(void *item), void *items, size_t item_size);

#ifdef __cplusplus
}
#endif

#endif
