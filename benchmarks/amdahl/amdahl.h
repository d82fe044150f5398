/* amdahl — the kernel of the amdahl experiment, shared by the program and its
 * unit test.
 *
 * One unit of work is one step of the 64-bit linear congruential generator
 * x -> A*x + C (mod 2^64), with the state before the step added to a running
 * sum.  The steps form one long sequence, but any stretch of it can start
 * anywhere: lcg_span_of gives the state n steps ahead, and the sum of the n
 * states on the way, in O(log n) multiplications.  So the work splits into
 * chunks for any number of workers, and the total checks against a closed
 * form that does not run the loop.
 */
#ifndef CONCLAB_AMDAHL_H
#define CONCLAB_AMDAHL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Knuth's MMIX generator: full period 2^64. */
#define AMDAHL_LCG_MULTIPLIER 6364136223846793005ULL
#define AMDAHL_LCG_INCREMENT 1442695040888963407ULL

/* N steps as functions of the start state x0, all mod 2^64:
 *   state after the N steps           = mul * x0 + add
 *   sum of the N states before a step = sum_mul * x0 + sum_add */
struct lcg_span {
    uint64_t mul, add, sum_mul, sum_add;
};

/* The span of COUNT steps (COUNT = 0: identity, sum 0), by repeated doubling:
 * about 2 log2(COUNT) compositions, never the loop. */
struct lcg_span lcg_span_of(uint64_t count);

/* The span of FIRST's steps followed by SECOND's. */
struct lcg_span lcg_span_then(struct lcg_span first, struct lcg_span second);

/* The state COUNT steps after STATE, in O(log COUNT). */
uint64_t lcg_jump(uint64_t state, uint64_t count);

/* The work itself: COUNT steps from *STATE, one at a time.  Returns the sum of
 * the states before each step and leaves the state after the last in *STATE. */
uint64_t lcg_walk(uint64_t *state, uint64_t count);

#ifdef __cplusplus
}
#endif

#endif
