/* clock — monotonic time for in-process measurements.
 *
 * The book times each experiment in-process with time.time(); conclab uses the
 * monotonic clock instead, which never jumps when the wall clock is set.
 */
#ifndef CONCLAB_CLOCK_H
#define CONCLAB_CLOCK_H

#ifdef __cplusplus
extern "C" {
#endif

/* Seconds on CLOCK_MONOTONIC since an arbitrary fixed point.  Never decreases
 * within a process.  Exits with EXIT_WRONG if the clock cannot be read. */
double clock_now(void);

/* Seconds elapsed since START, a value returned by clock_now(); >= 0. */
double clock_since(double start);

/* Sleeps SECONDS (>= 0) on the monotonic clock, resuming after signals, so
 * the whole duration passes. */
void clock_sleep(double seconds);

#ifdef __cplusplus
}
#endif

#endif
