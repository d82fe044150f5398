/* sum_squares_mpi — the parts of the MPI version that need no MPI, kept here
 * so that the unit tests check them in every build, the sanitizer builds
 * included: the static split of the tasks over the ranks, and a 128-bit sum
 * carried as two 64-bit words (what goes into MPI messages and through the
 * custom reduction). */
#ifndef CONCLAB_SUM_SQUARES_MPI_H
#define CONCLAB_SUM_SQUARES_MPI_H

#include <stddef.h>
#include <stdint.h>

#include "sum_squares.h"

#ifdef __cplusplus
extern "C" {
#endif

/* COUNT tasks split over RANKS ranks in contiguous blocks whose sizes differ
 * by one at most: the first COUNT % RANKS blocks have one task more.  The
 * first task of block RANK (0 <= RANK <= RANKS; block RANKS starts at COUNT,
 * so block r is [start(r), start(r + 1))). */
static inline size_t sum_squares_mpi_block_start(size_t rank, size_t ranks, size_t count)
{
    size_t longer = count % ranks;
    return rank * (count / ranks) + (rank < longer ? rank : longer);
}

/* The rank whose block holds task K (K < COUNT). */
static inline size_t sum_squares_mpi_block_owner(size_t k, size_t ranks, size_t count)
{
    size_t size = count / ranks, longer = count % ranks;
    if (k < longer * (size + 1))
        return k / (size + 1);
    return longer + (k - longer * (size + 1)) / size; /* size > 0: K is past the longer blocks */
}

/* A sum as two 64-bit words, low word first.  MPI knows no 128-bit integer;
 * as two MPI_UINT64_T (not 16 MPI_BYTE) each word is converted between hosts
 * of different byte orders. */
static inline void sum_squares_mpi_to_words(sum_squares_u128 value, uint64_t words[2])
{
    words[0] = (uint64_t)value;
    words[1] = (uint64_t)(value >> 64);
}

static inline sum_squares_u128 sum_squares_mpi_from_words(const uint64_t words[2])
{
    return (sum_squares_u128)words[1] << 64 | words[0];
}

/* INOUT[i] += IN[i] for COUNT sums of two words each, the carry from the low
 * word into the high one included (modulo 2^128, like the 128-bit type): the
 * body of the custom MPI_Op. */
static inline void sum_squares_mpi_add_words(const uint64_t *in, uint64_t *inout, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        uint64_t low = in[2 * i] + inout[2 * i];
        inout[2 * i + 1] += in[2 * i + 1] + (low < in[2 * i]);
        inout[2 * i] = low;
    }
}

#ifdef __cplusplus
}
#endif

#endif
