// stats: medians, the bootstrap interval of a speedup, and the verdict.
#include <gtest/gtest.h>

#include <vector>

#include "stats.h"

TEST(Stats, MedianMeanStddev)
{
    const std::vector<double> odd{5, 1, 3}, even{4, 1, 3, 2};
    EXPECT_DOUBLE_EQ(stats_median(odd.data(), odd.size()), 3);
    EXPECT_DOUBLE_EQ(stats_median(even.data(), even.size()), 2.5);
    EXPECT_EQ(odd[0], 5) << "the input must be left as it was";
    EXPECT_DOUBLE_EQ(stats_mean(even.data(), even.size()), 2.5);
    EXPECT_NEAR(stats_stddev(even.data(), even.size()), 1.2909944, 1e-6);
    EXPECT_EQ(stats_stddev(odd.data(), 1), 0);
}

TEST(Stats, NearestRankPercentiles)
{
    std::vector<double> hundred;
    for (int i = 100; i >= 1; i--)
        hundred.push_back(i); // 100, 99, ..., 1: unsorted on purpose
    EXPECT_DOUBLE_EQ(stats_percentile(hundred.data(), 100, 50), 50);
    EXPECT_DOUBLE_EQ(stats_percentile(hundred.data(), 100, 29), 29);
    EXPECT_DOUBLE_EQ(stats_percentile(hundred.data(), 100, 99), 99);
    EXPECT_DOUBLE_EQ(stats_percentile(hundred.data(), 100, 100), 100);
    EXPECT_DOUBLE_EQ(stats_percentile(hundred.data(), 100, 0.5), 1);
    EXPECT_EQ(hundred[0], 100) << "the input must be left as it was";
    const std::vector<double> few{7, 3, 5};
    EXPECT_DOUBLE_EQ(stats_percentile(few.data(), 3, 50), 5);
    EXPECT_DOUBLE_EQ(stats_percentile(few.data(), 3, 99), 7);
    EXPECT_DOUBLE_EQ(stats_percentile(few.data(), 1, 99), 7);
}

TEST(Stats, IntervalOfIdenticalRunsIsThePointItself)
{
    const std::vector<double> base(10, 2.0), variant(10, 1.0);
    const stats_interval ci = stats_speedup_interval(base.data(), 10, variant.data(), 10, 1000, 1);
    EXPECT_DOUBLE_EQ(ci.low, 2.0);
    EXPECT_DOUBLE_EQ(ci.high, 2.0);
}

TEST(Stats, IntervalHoldsTheSpeedupAndIsRepeatable)
{
    const std::vector<double> base{1.00, 1.02, 0.98, 1.05, 0.97, 1.01, 0.99, 1.03, 1.00, 0.96};
    const std::vector<double> variant{0.50, 0.52, 0.49, 0.51, 0.55, 0.48, 0.50, 0.53, 0.47, 0.50};
    const double speedup = stats_median(base.data(), 10) / stats_median(variant.data(), 10);
    const stats_interval a = stats_speedup_interval(base.data(), 10, variant.data(), 10, 2000, 7);
    const stats_interval b = stats_speedup_interval(base.data(), 10, variant.data(), 10, 2000, 7);
    EXPECT_LE(a.low, speedup);
    EXPECT_GE(a.high, speedup);
    EXPECT_GT(a.low, 1.8);
    EXPECT_LT(a.high, 2.2);
    EXPECT_EQ(a.low, b.low);
    EXPECT_EQ(a.high, b.high);
}

TEST(Stats, VerdictNeedsThresholdAndSeparateIntervals)
{
    const stats_interval base_ci{1.8, 2.0};
    EXPECT_EQ(stats_judge(1.9, base_ci, 1.2, {1.1, 1.3}, 0.10), STATS_REGRESSION);
    EXPECT_EQ(stats_judge(1.9, base_ci, 1.9, {1.8, 2.0}, 0.10), STATS_SAME);
    // 15 % lower, but the intervals overlap: noise, not a regression.
    EXPECT_EQ(stats_judge(1.9, base_ci, 1.6, {1.3, 1.85}, 0.10), STATS_SAME);
    // Clearly separate intervals, but a 5 % drop is under the threshold.
    EXPECT_EQ(stats_judge(1.9, {1.89, 1.91}, 1.8, {1.79, 1.81}, 0.10), STATS_SAME);
    EXPECT_EQ(stats_judge(1.2, {1.1, 1.3}, 1.9, base_ci, 0.10), STATS_IMPROVEMENT);
    EXPECT_STREQ(stats_verdict_name(STATS_REGRESSION), "REGRESSION");
    EXPECT_STREQ(stats_verdict_name(STATS_TOO_FEW_RUNS), "too few runs");
}

// The expected Mann–Whitney figures below were derived apart from stats.c:
// U from rank sums (U = R_A - n_A (n_A + 1) / 2, tied values given their
// mean rank), the exact p by enumerating every split of the pooled values
// into samples of n_A and n_B (itertools.combinations) and counting the U at
// least as far from the middle on each side, and the normal p by the
// textbook formula with the tie-corrected variance
// n_A n_B / 12 ((N + 1) - sum(t^3 - t) / (N (N - 1))) and a continuity
// correction of 0.5.
TEST(MannWhitney, ExactForSmallSamplesWithoutTies)
{
    const std::vector<double> low{1, 2, 3}, high{4, 5, 6};
    stats_rank_test t = stats_mann_whitney(low.data(), 3, high.data(), 3);
    EXPECT_EQ(t.u, 0);
    EXPECT_EQ(t.exact, 1);
    EXPECT_NEAR(t.p, 0.1, 1e-12); // 2 of the C(6, 3) = 20 splits are this far out
    EXPECT_EQ(t.effect, 0);
    t = stats_mann_whitney(high.data(), 3, low.data(), 3);
    EXPECT_EQ(t.u, 9);
    EXPECT_NEAR(t.p, 0.1, 1e-12);
    EXPECT_EQ(t.effect, 1);

    const std::vector<double> a{1.1, 2.2, 3.3, 4.4, 5.5}, b{0.5, 6, 7, 8, 9};
    t = stats_mann_whitney(a.data(), 5, b.data(), 5);
    EXPECT_EQ(t.u, 5);
    EXPECT_NEAR(t.p, 0.150793650794, 1e-11);
    EXPECT_DOUBLE_EQ(t.effect, 0.2);

    const std::vector<double> odd{1, 3, 5, 7}, even{2, 4, 6, 8};
    t = stats_mann_whitney(odd.data(), 4, even.data(), 4);
    EXPECT_EQ(t.u, 6);
    EXPECT_NEAR(t.p, 0.685714285714, 1e-11);
}

TEST(MannWhitney, TenAgainstTenApartIsTheSmallestP)
{
    std::vector<double> fast, slow;
    for (int i = 0; i < 10; i++) {
        fast.push_back(1.0 + 0.001 * i);
        slow.push_back(1.2 + 0.001 * i);
    }
    const stats_rank_test t = stats_mann_whitney(slow.data(), 10, fast.data(), 10);
    EXPECT_EQ(t.exact, 1);
    EXPECT_NEAR(t.p, 2.0 / 184756, 1e-15); // 2 / C(20, 10)
    EXPECT_EQ(t.effect, 1);
    EXPECT_LT(t.p, STATS_SIGNIFICANCE);
}

TEST(MannWhitney, NormalApproximationWithTies)
{
    const std::vector<double> a{1, 2, 2, 3, 4}, b{2, 3, 3, 5, 6, 6};
    const stats_rank_test t = stats_mann_whitney(a.data(), 5, b.data(), 6);
    EXPECT_EQ(t.exact, 0);
    EXPECT_EQ(t.u, 6);
    EXPECT_NEAR(t.effect, 6.0 / 30, 1e-15);
    EXPECT_NEAR(t.p, 0.113049978856, 1e-11);
    // The exact permutation p of these samples is 0.1212: the approximation is close.
    EXPECT_NEAR(t.p, 0.1212, 0.02);

    // All values equal: nothing tells the two apart.
    const std::vector<double> same(6, 1.5);
    const stats_rank_test flat = stats_mann_whitney(same.data(), 3, same.data() + 3, 3);
    EXPECT_EQ(flat.p, 1);
    EXPECT_EQ(flat.effect, 0.5);
}

TEST(MannWhitney, NormalApproximationForLargeSamples)
{
    std::vector<double> a, b;
    for (int i = 0; i < 25; i++) {
        a.push_back(i);
        b.push_back(i + 10.5);
    }
    const stats_rank_test t = stats_mann_whitney(a.data(), 25, b.data(), 25);
    EXPECT_EQ(t.exact, 0);
    EXPECT_EQ(t.u, 105);
    EXPECT_NEAR(t.p, 5.9096440856e-05, 1e-14);
}

TEST(MannWhitney, VerdictNeedsThresholdAndSignificance)
{
    EXPECT_EQ(stats_judge_ranked(2.0, 1.5, 0.001, 0.10), STATS_REGRESSION);
    EXPECT_EQ(stats_judge_ranked(2.0, 1.5, 0.2, 0.10), STATS_SAME) << "not significant";
    EXPECT_EQ(stats_judge_ranked(2.0, 1.9, 1e-5, 0.10), STATS_SAME) << "under the threshold";
    EXPECT_EQ(stats_judge_ranked(1.5, 2.0, 0.001, 0.10), STATS_IMPROVEMENT);
    EXPECT_EQ(stats_judge_ranked(2.0, 1.5, STATS_SIGNIFICANCE, 0.10), STATS_SAME);
}
