// The amdahl kernel against the plain loop, and the program against Amdahl's
// formula, its own checks and an even split of the work.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <cjson/cJSON.h>

#include "amdahl.h"
#include "program_test.h"

namespace {

// COUNT steps one at a time, independently of the kernel's lcg_walk.
void reference_walk(uint64_t state, uint64_t count, uint64_t *sum, uint64_t *end)
{
    *sum = 0;
    for (uint64_t i = 0; i < count; i++) {
        *sum += state;
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    }
    *end = state;
}

} // namespace

TEST(AmdahlKernel, ClosedFormMatchesTheLoopForEveryShortCount)
{
    const uint64_t starts[] = {0, 1, 2019, 0xffffffffffffffffULL, 0x123456789abcdefULL};
    for (uint64_t x0 : starts) {
        for (uint64_t n = 0; n <= 300; n++) {
            uint64_t sum, end;
            reference_walk(x0, n, &sum, &end);
            const lcg_span span = lcg_span_of(n);
            ASSERT_EQ(span.mul * x0 + span.add, end) << "x0 " << x0 << " n " << n;
            ASSERT_EQ(span.sum_mul * x0 + span.sum_add, sum) << "x0 " << x0 << " n " << n;
        }
    }
}

TEST(AmdahlKernel, ClosedFormMatchesTheLoopForLongCounts)
{
    for (uint64_t n : {1000ULL, 65535ULL, 65536ULL, 1000003ULL}) {
        uint64_t sum, end;
        reference_walk(2019, n, &sum, &end);
        const lcg_span span = lcg_span_of(n);
        EXPECT_EQ(span.mul * 2019 + span.add, end) << n;
        EXPECT_EQ(span.sum_mul * 2019 + span.sum_add, sum) << n;
    }
}

TEST(AmdahlKernel, SpansCompose)
{
    for (uint64_t a : {0ULL, 1ULL, 7ULL, 1000ULL, 123456789ULL}) {
        for (uint64_t b : {0ULL, 3ULL, 64ULL, 99999ULL}) {
            const lcg_span joined = lcg_span_then(lcg_span_of(a), lcg_span_of(b)), whole = lcg_span_of(a + b);
            EXPECT_EQ(joined.mul, whole.mul);
            EXPECT_EQ(joined.add, whole.add);
            EXPECT_EQ(joined.sum_mul, whole.sum_mul);
            EXPECT_EQ(joined.sum_add, whole.sum_add);
        }
    }
}

TEST(AmdahlKernel, WalkAndJumpAgree)
{
    uint64_t state = 42;
    const uint64_t sum = lcg_walk(&state, 5000);
    uint64_t expected_sum, expected_end;
    reference_walk(42, 5000, &expected_sum, &expected_end);
    EXPECT_EQ(sum, expected_sum);
    EXPECT_EQ(state, expected_end);
    EXPECT_EQ(lcg_jump(42, 5000), expected_end);
    EXPECT_EQ(lcg_jump(42, 0), 42u);
}

TEST(AmdahlKernel, ChunksJoinIntoTheWhole)
{
    // Walking in pieces from jumped starts sums to the whole walk.
    const uint64_t total = 10007, pieces = 7;
    uint64_t joined = 0;
    for (uint64_t k = 0; k < pieces; k++) {
        uint64_t state = lcg_jump(9, total * k / pieces);
        joined += lcg_walk(&state, total * (k + 1) / pieces - total * k / pieces);
    }
    uint64_t whole, end;
    reference_walk(9, total, &whole, &end);
    EXPECT_EQ(joined, whole);
}

namespace {

std::vector<double> chunk_steps(const cJSON *root)
{
    std::vector<double> steps;
    const cJSON *item;
    cJSON_ArrayForEach(item, at(at(root, "data"), "chunk_steps")) steps.push_back(item->valuedouble);
    return steps;
}

struct Case {
    const char *name;
    const char *args;
    const char *variant;
    double serial_fraction;
    int workers;
};

// Shown by GoogleTest instead of the bytes of the struct.
void PrintTo(const Case &c, std::ostream *os) { *os << c.args; }

} // namespace

class AmdahlProgram : public ::testing::TestWithParam<Case> {};

TEST_P(AmdahlProgram, ChecksItsAnswerSplitsEvenlyAndPredictsAmdahl)
{
    const Case c = GetParam();
    const ProgramRun run = run_program(std::string(c.args) + " --json");
    ASSERT_EQ(run.status, 0) << run.out;
    const Json root = parse_json(run.out);
    ASSERT_TRUE(root) << run.out;
    EXPECT_TRUE(cJSON_IsTrue(at(root.get(), "ok")));
    EXPECT_STREQ(at(root.get(), "variant")->valuestring, c.variant);
    EXPECT_EQ(cJSON_GetArraySize(at(root.get(), "checks")), 3);
    const double s = c.serial_fraction, n = c.workers;
    EXPECT_DOUBLE_EQ(metric(root.get(), "serial_fraction"), s);
    EXPECT_NEAR(metric(root.get(), "predicted_speedup"), 1.0 / (s + (1.0 - s) / n), 1e-12);
    const std::vector<double> steps = chunk_steps(root.get());
    ASSERT_EQ(steps.size(), static_cast<size_t>(c.workers));
    for (double count : steps)
        EXPECT_LE(steps.front() - count, 1.0) << run.out;
}

INSTANTIATE_TEST_SUITE_P(
    Variants, AmdahlProgram,
    ::testing::Values(Case{"seq", "--work=100000 --mode=seq", "seq", 0.05, 1},
                      Case{"one", "--work=100000 --workers=1", "workers-1", 0.05, 1},
                      Case{"half_serial", "--work=100000 --workers=2 --serial=0.5", "workers-2", 0.5, 2},
                      Case{"no_serial_uneven", "--work=100003 --workers=7 --serial=0", "workers-7", 0.0, 7},
                      Case{"all_serial", "--work=100000 --workers=3 --serial=1", "workers-3", 1.0, 3},
                      Case{"more_workers_than_steps", "--work=1000 --workers=1024 --serial=0.125",
                           "workers-1024", 0.125, 1024},
                      Case{"quick_mostly_serial", "--size=quick --workers=4 --serial=0.999", "workers-4",
                           0.999, 4}),
    [](const ::testing::TestParamInfo<Case> &info) { return std::string(info.param.name); });

TEST(AmdahlProgramList, SweepsWorkersUpToTheCoresOnlineThenSeq)
{
    const ProgramRun run = run_program("--list");
    ASSERT_EQ(run.status, 0);
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    std::istringstream lines(run.out);
    std::string line;
    std::vector<long> counts;
    bool seq_last = false;
    while (std::getline(lines, line)) {
        ASSERT_FALSE(seq_last) << "a variant after seq: " << line;
        if (line == "seq\t--mode=seq") { /* every --mode is listed, seq last */
            seq_last = true;
            continue;
        }
        const size_t tab = line.find('\t');
        ASSERT_NE(tab, std::string::npos) << line;
        const long n = std::stol(line.substr(8, tab - 8));
        EXPECT_EQ(line, "workers-" + std::to_string(n) + "\t--mode=threads --workers=" +
                            std::to_string(n));
        counts.push_back(n);
    }
    EXPECT_TRUE(seq_last);
    ASSERT_FALSE(counts.empty());
    EXPECT_EQ(counts.front(), 1);
    EXPECT_EQ(counts.back(), std::min(cores, 1024L));
    for (size_t i = 1; i < counts.size(); i++)
        EXPECT_LT(counts[i - 1], counts[i]);
}

TEST(AmdahlProgramList, SweepIsOneSeriesOfThreadsWithThePlaceholder)
{
    const ProgramRun run = run_program("--sweep");
    EXPECT_EQ(run.status, 0);
    EXPECT_EQ(run.out, "threads\t--mode=threads --workers={workers}\tstrong\n");
}

TEST(AmdahlProgramList, HelpShowsTheSerialFraction)
{
    const ProgramRun run = run_program("--help");
    EXPECT_EQ(run.status, 0);
    EXPECT_NE(run.out.find("--serial=X"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("0..1, default 0.05"), std::string::npos) << run.out;
}
