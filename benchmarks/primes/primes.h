/* primes — the kernel of the primes experiment, shared by the program and its
 * unit test. */
#ifndef CONCLAB_PRIMES_H
#define CONCLAB_PRIMES_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The largest number accepted: trial division makes sqrt(n)/2 divisions,
 * about half a billion for 10^18, seconds per number. */
#define PRIMES_MAX_NUMBER 1000000000000000000ULL

/* floor(sqrt(N)), exact for every 64-bit N. */
uint64_t isqrt_u64(uint64_t n);

/* The smallest odd divisor d of N with LO <= d <= HI, testing the odd
 * candidates from LO up one by one; 0 when there is none.  LO is odd and
 * >= 3.  Calls gil_checkpoint() every GIL_CHECK_EVERY candidates. */
uint64_t smallest_odd_divisor(uint64_t n, uint64_t lo, uint64_t hi);

/* The notes' is_prime: even numbers are not prime, odd ones are unless an
 * odd divisor up to sqrt(N) divides them.  Unlike the notes' version, 2 is
 * prime and 0 and 1 are not (their list never asks).  *DIVISOR (may be
 * NULL) receives the smallest divisor d with 1 < d < N found, 0 if none. */
bool is_prime_by_trial(uint64_t n, uint64_t *divisor);

/* How many candidates is_prime_by_trial(N) tests when DIVISOR is what it
 * found: the work of one task, known without doing it again. */
uint64_t trial_divisions(uint64_t n, uint64_t divisor);

/* Deterministic Miller-Rabin (the first twelve primes as bases, exact for
 * every 64-bit N): an answer that shares nothing with trial division. */
bool is_prime_miller_rabin(uint64_t n);

#ifdef __cplusplus
}
#endif

#endif
