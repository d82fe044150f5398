// The parts of sum_squares_mpi that need no MPI: the static split of the
// tasks over the ranks, and the 128-bit sums carried as two 64-bit words and
// added by the custom reduction, checked against the 128-bit type itself.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "sum_squares_mpi.h"

namespace {

sum_squares_u128 from_parts(uint64_t high, uint64_t low)
{
    return static_cast<sum_squares_u128>(high) << 64 | low;
}

} // namespace

TEST(Split, EveryTaskInExactlyOneContiguousBlock)
{
    for (size_t ranks = 1; ranks <= 25; ranks++) {
        for (size_t count = 1; count <= 60; count++) {
            EXPECT_EQ(sum_squares_mpi_block_start(0, ranks, count), 0u);
            EXPECT_EQ(sum_squares_mpi_block_start(ranks, ranks, count), count);
            size_t smallest = count, largest = 0;
            std::vector<int> owners(count, -1);
            for (size_t r = 0; r < ranks; r++) {
                size_t first = sum_squares_mpi_block_start(r, ranks, count);
                size_t end = sum_squares_mpi_block_start(r + 1, ranks, count);
                ASSERT_LE(first, end) << ranks << " ranks, " << count << " tasks";
                smallest = std::min(smallest, end - first);
                largest = std::max(largest, end - first);
                for (size_t k = first; k < end; k++) {
                    EXPECT_EQ(owners[k], -1) << "task " << k << " twice";
                    owners[k] = static_cast<int>(r);
                }
            }
            EXPECT_LE(largest - smallest, 1u) << ranks << " ranks, " << count << " tasks";
            for (size_t k = 0; k < count; k++)
                EXPECT_EQ(sum_squares_mpi_block_owner(k, ranks, count),
                          static_cast<size_t>(owners[k]))
                    << "task " << k << " of " << count << " on " << ranks << " ranks";
        }
    }
}

TEST(Split, TheSeedsTwentyTasksOnTwoAndThreeRanks)
{
    EXPECT_EQ(sum_squares_mpi_block_start(1, 2, 20), 10u);
    EXPECT_EQ(sum_squares_mpi_block_start(1, 3, 20), 7u);
    EXPECT_EQ(sum_squares_mpi_block_start(2, 3, 20), 14u);
    EXPECT_EQ(sum_squares_mpi_block_owner(19, 3, 20), 2u);
}

TEST(Words, RoundTripTheExtremes)
{
    const sum_squares_u128 values[] = {0,
                                       1,
                                       UINT64_MAX,
                                       from_parts(1, 0),
                                       sum_squares_closed_form(5000000),
                                       sum_squares_closed_form(SUM_SQUARES_MAX_N),
                                       ~static_cast<sum_squares_u128>(0)};
    for (sum_squares_u128 value : values) {
        uint64_t words[2];
        sum_squares_mpi_to_words(value, words);
        EXPECT_EQ(words[0], static_cast<uint64_t>(value));
        EXPECT_EQ(words[1], static_cast<uint64_t>(value >> 64));
        EXPECT_TRUE(sum_squares_mpi_from_words(words) == value);
    }
}

TEST(Words, AddCarriesIntoTheHighWord)
{
    // Three slots: a carry out of the low word, none, and a wrap at 2^128.
    const sum_squares_u128 a[] = {UINT64_MAX, from_parts(7, 5), ~static_cast<sum_squares_u128>(0)};
    const sum_squares_u128 b[] = {1, from_parts(2, 3), 2};
    uint64_t in[6], inout[6];
    for (int i = 0; i < 3; i++) {
        sum_squares_mpi_to_words(a[i], &in[2 * i]);
        sum_squares_mpi_to_words(b[i], &inout[2 * i]);
    }
    sum_squares_mpi_add_words(in, inout, 3);
    for (int i = 0; i < 3; i++)
        EXPECT_TRUE(sum_squares_mpi_from_words(&inout[2 * i]) == a[i] + b[i]) << "slot " << i;
    EXPECT_EQ(inout[0], 0u);
    EXPECT_EQ(inout[1], 1u);
}

TEST(Words, AReductionOfTheSeedsSumsEqualsTheirTotal)
{
    // Each sum is past 2^64: adding them word by word must carry every time.
    uint64_t total[2] = {0, 0};
    sum_squares_u128 expected = 0;
    for (uint64_t n = 5000000; n < 5000020; n++) {
        uint64_t words[2];
        sum_squares_mpi_to_words(sum_squares_closed_form(n), words);
        sum_squares_mpi_add_words(words, total, 1);
        expected += sum_squares_closed_form(n);
    }
    EXPECT_TRUE(sum_squares_mpi_from_words(total) == expected);
    EXPECT_GT(total[1], 0u);
}
