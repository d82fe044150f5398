/* sum_squares — the kernel of the sum_squares experiment: Python's
 * sum(i * i for i in range(n)) with an exact 128-bit result, shared by the
 * program, its unit test and the experiments built on it (scaling sweeps,
 * the MPI version, the emulated GIL). */
#ifndef CONCLAB_SUM_SQUARES_H
#define CONCLAB_SUM_SQUARES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Python's integers are unbounded; for n = 5000000 the sum is about 4.2e19,
 * past 2^64, so sums are unsigned 128-bit.  __extension__ keeps -Wpedantic
 * quiet about the GCC/Clang type. */
__extension__ typedef unsigned __int128 sum_squares_u128;

/* The largest n accepted.  i * i stays below 2^64 for i < 2^32, and the sum
 * below 2^128 for any n up to here (n^3/3 < 2^128 needs n < 6.9e12). */
#define SUM_SQUARES_MAX_N 4000000000ULL

/* Iterations between two checkpoints of sum_squares_task: small enough that
 * a checkpoint comes every few tens of microseconds (an emulated GIL can
 * switch threads that often), large enough that calling it costs nothing
 * measurable. */
#define SUM_SQUARES_CHECK_EVERY 65536u

/* Characters needed for the decimal form of any sum, with the NUL. */
#define SUM_SQUARES_DECIMAL_SIZE 40

/* Sum of i * i for LO <= i < HI (0 when LO >= HI), one multiply and one
 * 128-bit add per i.  HI <= SUM_SQUARES_MAX_N.  Accumulating in 128 bits also
 * keeps GCC and Clang from replacing the loop by its closed form, which
 * Clang does for a 64-bit accumulator: the point is to measure the work. */
sum_squares_u128 sum_squares_range(uint64_t lo, uint64_t hi);

/* Called between blocks of work, e.g. gil_checkpoint's eval-breaker check. */
typedef void sum_squares_checkpoint(void *context);

/* One task: sum(i * i for i in range(N)), N <= SUM_SQUARES_MAX_N, computed
 * in blocks of SUM_SQUARES_CHECK_EVERY iterations with CHECKPOINT(CONTEXT)
 * called after each block when CHECKPOINT is not NULL. */
sum_squares_u128 sum_squares_task(uint64_t n, sum_squares_checkpoint *checkpoint, void *context);

/* The same sum from the closed form (n-1)·n·(2n-1)/6, independent of the
 * loop, for checking it.  N <= SUM_SQUARES_MAX_N. */
sum_squares_u128 sum_squares_closed_form(uint64_t n);

/* Writes VALUE in decimal into BUF (at least SUM_SQUARES_DECIMAL_SIZE bytes,
 * NUL-terminated) and returns BUF.  printf has no 128-bit conversion. */
char *sum_squares_decimal(sum_squares_u128 value, char *buf);

#ifdef __cplusplus
}
#endif

#endif
