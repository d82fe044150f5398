#include "clock.h"

#include <errno.h>
#include <math.h>
#include <time.h>

#include "fail.h"

double clock_now(void)
{
    struct timespec now;
    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
        fail_sys("clock_gettime");
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

double clock_since(double start)
{
    double elapsed = clock_now() - start;
    return elapsed > 0 ? elapsed : 0;
}

void clock_sleep(double seconds)
{
    if (!(seconds > 0))
        return;
    struct timespec deadline;
    if (clock_gettime(CLOCK_MONOTONIC, &deadline) != 0)
        fail_sys("clock_gettime");
    double whole = floor(seconds);
    deadline.tv_sec += (time_t)whole;
    deadline.tv_nsec += (long)((seconds - whole) * 1e9);
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec += 1;
        deadline.tv_nsec -= 1000000000L;
    }
    /* An absolute deadline makes a restart after EINTR sleep only what is left. */
    int rc;
    while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL)) == EINTR)
        ;
    if (rc != 0)
        fail_code("clock_nanosleep", rc);
}
