#include "sync.h"

#include <errno.h>
#include <math.h>
#include <time.h>

#include "clock.h"
#include "fail.h"

static void check(const char *call, int rc)
{
    if (rc != 0)
        fail_code(call, rc);
}

void sync_mutex_init(pthread_mutex_t *mutex)
{
    check("pthread_mutex_init", pthread_mutex_init(mutex, NULL));
}

int sync_cond_init_monotonic(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc != 0)
        return rc;
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
    return rc;
}

void sync_cond_init(pthread_cond_t *cond)
{
    check("pthread_cond_init", sync_cond_init_monotonic(cond));
}

void sync_lock(pthread_mutex_t *mutex) { check("pthread_mutex_lock", pthread_mutex_lock(mutex)); }

void sync_unlock(pthread_mutex_t *mutex)
{
    check("pthread_mutex_unlock", pthread_mutex_unlock(mutex));
}

void sync_signal(pthread_cond_t *cond) { check("pthread_cond_signal", pthread_cond_signal(cond)); }

void sync_broadcast(pthread_cond_t *cond)
{
    check("pthread_cond_broadcast", pthread_cond_broadcast(cond));
}

void sync_wait(pthread_cond_t *cond, pthread_mutex_t *mutex)
{
    check("pthread_cond_wait", pthread_cond_wait(cond, mutex));
}

bool sync_wait_until(pthread_cond_t *cond, pthread_mutex_t *mutex, double deadline)
{
    if (isinf(deadline) && deadline > 0) {
        sync_wait(cond, mutex);
        return true;
    }
    double now = clock_now();
    if (!(deadline > now))
        return false;
    double capped = fmin(deadline, now + 1e9); /* keeps time_t far from overflow */
    double whole = floor(capped);
    struct timespec when = {.tv_sec = (time_t)whole, .tv_nsec = (long)((capped - whole) * 1e9)};
    int rc = pthread_cond_timedwait(cond, mutex, &when);
    if (rc == ETIMEDOUT)
        return false;
    check("pthread_cond_timedwait", rc);
    return true;
}
