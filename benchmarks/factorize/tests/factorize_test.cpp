// The factorize kernel and program, checked against an independent answer:
// the divisors generated from each number's prime factorisation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <cjson/cJSON.h>

#include "factorize.h"
#include "program_test.h"

namespace {

// Every divisor of n, as products of its prime powers: no trial of every candidate.
std::vector<uint64_t> divisors_from_primes(uint64_t n)
{
    std::vector<uint64_t> divisors{1};
    for (uint64_t p = 2; p * p <= n; p++) {
        uint64_t exponent = 0;
        while (n % p == 0) {
            n /= p;
            exponent++;
        }
        const size_t before = divisors.size();
        uint64_t power = 1;
        for (uint64_t e = 1; e <= exponent; e++) {
            power *= p;
            for (size_t i = 0; i < before; i++)
                divisors.push_back(divisors[i] * power);
        }
    }
    if (n > 1) {
        const size_t before = divisors.size();
        for (size_t i = 0; i < before; i++)
            divisors.push_back(divisors[i] * n);
    }
    std::sort(divisors.begin(), divisors.end());
    return divisors;
}

std::vector<uint64_t> kernel_divisors(uint64_t n, uint64_t lo, uint64_t hi)
{
    divisor_list list{};
    divisors_in_range(n, lo, hi, &list);
    std::vector<uint64_t> found(list.items, list.items + list.count);
    divisor_list_free(&list);
    return found;
}

const uint64_t sample_numbers[] = {1, 2, 3, 12, 97, 360, 1024, 999983, 1000000, 720720};

} // namespace

TEST(Kernel, FindsExactlyTheDivisorsOfSmallNumbers)
{
    for (uint64_t n : sample_numbers)
        EXPECT_EQ(kernel_divisors(n, 1, n), divisors_from_primes(n)) << "n = " << n;
}

TEST(Kernel, BookNumbersHaveTheBooksCounts)
{
    EXPECT_EQ(divisor_count_by_primes(10000000), 64u);
    EXPECT_EQ(divisor_count_by_primes(20000000), 72u);
    EXPECT_EQ(kernel_divisors(10000000, 1, 10000000), divisors_from_primes(10000000));
}

TEST(Kernel, ChunksJoinIntoTheWholeList)
{
    const uint64_t n = 720720;
    std::vector<uint64_t> joined;
    const uint64_t chunks = 7;
    for (uint64_t k = 0; k < chunks; k++) {
        auto part = kernel_divisors(n, 1 + n * k / chunks, n * (k + 1) / chunks);
        joined.insert(joined.end(), part.begin(), part.end());
    }
    EXPECT_EQ(joined, divisors_from_primes(n));
}

TEST(Kernel, CountByPrimesMatchesGeneratedList)
{
    for (uint64_t n : sample_numbers)
        EXPECT_EQ(divisor_count_by_primes(n), divisors_from_primes(n).size()) << "n = " << n;
    EXPECT_EQ(divisor_count_by_primes(9999999967ULL), 2u); // a prime near the limit
}

namespace {

std::map<uint64_t, std::vector<uint64_t>> divisors_in_json(const std::string &text)
{
    std::map<uint64_t, std::vector<uint64_t>> result;
    Json root = parse_json(text);
    if (!root)
        return result;
    const cJSON *all = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root.get(), "data"), "divisors");
    const cJSON *list;
    cJSON_ArrayForEach(list, all)
    {
        std::vector<uint64_t> &divisors = result[std::stoull(list->string)];
        const cJSON *item;
        cJSON_ArrayForEach(item, list) divisors.push_back(static_cast<uint64_t>(item->valuedouble));
    }
    return result;
}

} // namespace

class Program : public ::testing::TestWithParam<const char *> {};

TEST_P(Program, ReportsExactDivisorsOfExplicitNumbers)
{
    const ProgramRun run = run_program(std::string(GetParam()) + " --json 1 97 360 999983 720720");
    ASSERT_EQ(run.status, 0) << run.out;
    const auto found = divisors_in_json(run.out);
    ASSERT_EQ(found.size(), 5u) << run.out;
    for (const auto &[n, divisors] : found)
        EXPECT_EQ(divisors, divisors_from_primes(n)) << "n = " << n;
}

INSTANTIATE_TEST_SUITE_P(Variants, Program,
                         ::testing::Values("--mode=seq", "--mode=threads",
                                           "--mode=threads --split --workers=3",
                                           "--mode=processes",
                                           "--mode=processes --split --workers=4",
                                           "--mode=seq --gil", "--mode=threads --gil",
                                           "--mode=threads --split --workers=3 --gil "
                                           "--switch-interval-ms=1",
                                           "--mode=processes --gil"));


// Numbers large enough that the two threads overlap for many 1 ms intervals.
TEST(Gil, ThreadsTakeTurnsAndSayHowOften)
{
    const ProgramRun run =
        run_program("--mode=threads --gil --switch-interval-ms=1 --json 3000000 3000000");
    ASSERT_EQ(run.status, 0) << run.out;
    Json root = parse_json(run.out);
    ASSERT_TRUE(root) << run.out;
    EXPECT_STREQ(at(root.get(), "variant")->valuestring, "threads-gil");
    EXPECT_TRUE(cJSON_IsTrue(at(at(root.get(), "parameters"), "gil")));
    EXPECT_EQ(at(at(root.get(), "parameters"), "switch_interval_ms")->valuedouble, 1);
    EXPECT_EQ(metric(root.get(), "ideal_speedup"), 1);
    EXPECT_GE(metric(root.get(), "gil_switches"), 2); // each thread took it at least once
    EXPECT_GE(metric(root.get(), "gil_wait_s_thread0"), 0);
    EXPECT_GE(metric(root.get(), "gil_wait_s_thread1"), 0);
    const cJSON *threads = at(at(at(root.get(), "data"), "gil"), "threads");
    ASSERT_EQ(cJSON_GetArraySize(threads), 2);
    const cJSON *thread;
    cJSON_ArrayForEach(thread, threads)
    {
        // Pure computation: every take after the first follows a forced drop.
        EXPECT_EQ(at(thread, "acquisitions")->valuedouble,
                  1 + at(thread, "forced_drops")->valuedouble);
    }
}

TEST(Gil, OffByDefault)
{
    const ProgramRun run = run_program("--mode=threads --json 1000 2000");
    ASSERT_EQ(run.status, 0) << run.out;
    Json root = parse_json(run.out);
    ASSERT_TRUE(root) << run.out;
    EXPECT_STREQ(at(root.get(), "variant")->valuestring, "threads");
    EXPECT_TRUE(cJSON_IsFalse(at(at(root.get(), "parameters"), "gil")));
    EXPECT_EQ(metric(root.get(), "gil_switches"), -1);
}
