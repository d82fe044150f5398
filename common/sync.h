/* sync — pthread mutexes and condition variables, checked.
 *
 * These calls fail only on a bug (a mutex used after its destruction) or a
 * broken system, so each one exits through fail_code, naming the call,
 * rather than return an error every caller would have to pass on.
 * Condition variables made here run on CLOCK_MONOTONIC, the clock of
 * clock.h: a deadline is a clock_now() value and never moves when the wall
 * clock is set.
 */
#ifndef CONCLAB_SYNC_H
#define CONCLAB_SYNC_H

#include <pthread.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* pthread_mutex_init with default attributes. */
void sync_mutex_init(pthread_mutex_t *mutex);

/* pthread_cond_init on CLOCK_MONOTONIC.  Returns 0 or the error number
 * (for callers that report a failure instead of exiting, as queue_new). */
int sync_cond_init_monotonic(pthread_cond_t *cond);

/* sync_cond_init_monotonic, exiting on failure. */
void sync_cond_init(pthread_cond_t *cond);

void sync_lock(pthread_mutex_t *mutex);
void sync_unlock(pthread_mutex_t *mutex);
void sync_signal(pthread_cond_t *cond);
void sync_broadcast(pthread_cond_t *cond);

/* pthread_cond_wait: MUTEX held, COND made by sync_cond_init. */
void sync_wait(pthread_cond_t *cond, pthread_mutex_t *mutex);

/* Waits on COND until woken or until DEADLINE, a clock_now() value
 * (INFINITY: no limit).  False when DEADLINE has passed, at once if it
 * already had; true when woken, which may be spurious: callers re-check
 * their condition. */
bool sync_wait_until(pthread_cond_t *cond, pthread_mutex_t *mutex, double deadline);

#ifdef __cplusplus
}
#endif

#endif
