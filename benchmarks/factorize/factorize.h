/* factorize — the kernel of the factorize experiment, shared by the program
 * and its unit test. */
#ifndef CONCLAB_FACTORIZE_H
#define CONCLAB_FACTORIZE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The largest number accepted: the naive loop makes N divisions, and 1e10 of
 * them already take tens of seconds. */
#define FACTORIZE_MAX_NUMBER 10000000000ULL

/* A growable list of divisors, ascending. */
struct divisor_list {
    uint64_t *items;
    size_t count, capacity;
};

/* Appends VALUE; exits with EXIT_WRONG when memory runs out. */
void divisor_list_push(struct divisor_list *list, uint64_t value);

/* Frees the items and empties LIST. */
void divisor_list_free(struct divisor_list *list);

/* Appends to LIST every divisor d of N with LO <= d <= HI, ascending, found as
 * the book does: by testing N % d for every d in the range.  1 <= LO, HI <= N.
 * Calls gil_checkpoint() every GIL_CHECK_EVERY candidates (common/gil.h), so
 * that under --gil another thread can take its turn. */
void divisors_in_range(uint64_t n, uint64_t lo, uint64_t hi, struct divisor_list *list);

/* The number of divisors of N (>= 1), computed independently of the loop
 * above: from N's prime factorisation p1^e1 ... pk^ek as (e1+1)...(ek+1). */
uint64_t divisor_count_by_primes(uint64_t n);

#ifdef __cplusplus
}
#endif

#endif
