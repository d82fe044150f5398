// The sum_squares kernel and program, checked against answers found another
// way: a plain loop in the test, the closed form worked out with a different
// grouping, and the values CPython prints.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <sys/wait.h>
#include <vector>

#include <cjson/cJSON.h>

#include "sum_squares.h"
#include "program_test.h"

namespace {

// Decimal digits of VALUE, written independently of sum_squares_decimal.
std::string decimal(sum_squares_u128 value)
{
    std::string digits;
    do {
        digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(value % 10)));
        value /= 10;
    } while (value != 0);
    return digits;
}

// sum of i^2 for i < n as n(n-1)/2 * (2n-1) / 3: one of n, n-1 is even and
// one of n(n-1)/2, 2n-1 is a multiple of 3.
sum_squares_u128 expected_sum(uint64_t n)
{
    if (n == 0)
        return 0;
    sum_squares_u128 half = static_cast<sum_squares_u128>(n) * (n - 1) / 2;
    sum_squares_u128 odd = 2 * static_cast<sum_squares_u128>(n) - 1;
    return half % 3 == 0 ? half / 3 * odd : half * (odd / 3);
}

sum_squares_u128 plain_loop(uint64_t lo, uint64_t hi)
{
    sum_squares_u128 sum = 0;
    for (uint64_t i = lo; i < hi; i++)
        sum += static_cast<sum_squares_u128>(i) * i;
    return sum;
}

void count_checkpoint(void *context)
{
    ++*static_cast<int *>(context);
}

} // namespace

TEST(Kernel, RangeMatchesAPlainLoop)
{
    const uint64_t bounds[][2] = {{0, 0}, {0, 1}, {0, 2}, {3, 3}, {5, 4}, {0, 1000}, {123, 98765}};
    for (const auto &b : bounds)
        EXPECT_EQ(decimal(sum_squares_range(b[0], b[1])), decimal(plain_loop(b[0], b[1])))
            << "[" << b[0] << ", " << b[1] << ")";
}

TEST(Kernel, TaskEqualsClosedFormAcrossBlockBoundaries)
{
    const uint64_t block = SUM_SQUARES_CHECK_EVERY;
    for (uint64_t n : {uint64_t{0}, uint64_t{1}, uint64_t{2}, uint64_t{10}, block - 1, block,
                       block + 1, 3 * block, 3 * block + 7, uint64_t{1000003}}) {
        EXPECT_EQ(decimal(sum_squares_task(n, nullptr, nullptr)), decimal(expected_sum(n)))
            << "n = " << n;
        EXPECT_EQ(decimal(sum_squares_closed_form(n)), decimal(expected_sum(n))) << "n = " << n;
    }
}

TEST(Kernel, SeedSumsEqualCPythonsAndPass64Bits)
{
    // python3 -c 'print(sum(i * i for i in range(5000000)))'
    EXPECT_EQ(decimal(sum_squares_task(5000000, nullptr, nullptr)), "41666654166667500000");
    EXPECT_GT(sum_squares_task(5000000, nullptr, nullptr), static_cast<sum_squares_u128>(UINT64_MAX));
    // python3 -c 'print(sum(i * i for i in range(5000019)))'
    EXPECT_EQ(decimal(sum_squares_task(5000019, nullptr, nullptr)), "41667129168377502109");
}

TEST(Kernel, ClosedFormExactAtTheLargestN)
{
    // python3 -c 'n = 4000000000; print((n - 1) * n * (2 * n - 1) // 6)'
    EXPECT_EQ(decimal(sum_squares_closed_form(SUM_SQUARES_MAX_N)),
              "21333333325333333334000000000");
    // The last terms of the loop stay exact: i * i just below 2^64.
    const uint64_t n = SUM_SQUARES_MAX_N;
    EXPECT_EQ(decimal(sum_squares_range(n - 1000, n)), decimal(plain_loop(n - 1000, n)));
}

TEST(Kernel, CheckpointCalledOncePerBlock)
{
    const uint64_t block = SUM_SQUARES_CHECK_EVERY;
    int calls = 0;
    sum_squares_task(3 * block + 1, count_checkpoint, &calls);
    EXPECT_EQ(calls, 4);
    calls = 0;
    sum_squares_task(block, count_checkpoint, &calls);
    EXPECT_EQ(calls, 1);
    calls = 0;
    sum_squares_task(0, count_checkpoint, &calls);
    EXPECT_EQ(calls, 0);
}

TEST(Kernel, DecimalOfExtremes)
{
    char buf[SUM_SQUARES_DECIMAL_SIZE];
    EXPECT_STREQ(sum_squares_decimal(0, buf), "0");
    EXPECT_STREQ(sum_squares_decimal(9, buf), "9");
    EXPECT_STREQ(sum_squares_decimal(static_cast<sum_squares_u128>(UINT64_MAX) + 1, buf),
                 "18446744073709551616");
    EXPECT_STREQ(sum_squares_decimal(~static_cast<sum_squares_u128>(0), buf),
                 "340282366920938463463374607431768211455");
}

namespace {

struct ReportedSum {
    uint64_t n;
    std::string sum;
};

std::vector<ReportedSum> sums_in_json(const std::string &text)
{
    std::vector<ReportedSum> sums;
    Json root = parse_json(text);
    if (!root)
        return sums;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root.get(), "data"), "sums");
    const cJSON *entry;
    cJSON_ArrayForEach(entry, list)
    {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(entry, "n");
        const cJSON *sum = cJSON_GetObjectItemCaseSensitive(entry, "sum");
        if (cJSON_IsNumber(n) && cJSON_IsString(sum))
            sums.push_back({static_cast<uint64_t>(n->valuedouble), sum->valuestring});
    }
    return sums;
}

} // namespace

class Program : public ::testing::TestWithParam<const char *> {};

TEST_P(Program, EverySumIsExactAndInOrder)
{
    const ProgramRun run = run_program(std::string(GetParam()) + " --json --base=65530 --tasks=13");
    ASSERT_EQ(run.status, 0) << run.out;
    const auto sums = sums_in_json(run.out);
    ASSERT_EQ(sums.size(), 13u) << run.out;
    for (size_t k = 0; k < sums.size(); k++) {
        EXPECT_EQ(sums[k].n, 65530 + k);
        EXPECT_EQ(sums[k].sum, decimal(expected_sum(sums[k].n))) << "n = " << sums[k].n;
    }
}

TEST_P(Program, SeedsFirstTaskHasCPythonsSum)
{
    const ProgramRun run = run_program(std::string(GetParam()) + " --json --base=5000000 --tasks=2");
    ASSERT_EQ(run.status, 0) << run.out;
    const auto sums = sums_in_json(run.out);
    ASSERT_EQ(sums.size(), 2u) << run.out;
    EXPECT_EQ(sums[0].sum, "41666654166667500000");
}

INSTANTIATE_TEST_SUITE_P(Variants, Program,
                         ::testing::Values("--mode=seq", "--mode=threads", "--mode=threads --workers=1",
                                           "--mode=threads --workers=5", "--mode=processes",
                                           "--mode=processes --workers=1",
                                           "--mode=processes --workers=20"));
