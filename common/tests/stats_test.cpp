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
