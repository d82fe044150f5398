// clock: monotonic readings and sleeps that last at least what was asked.
#include <gtest/gtest.h>

#include "clock.h"

TEST(Clock, NeverGoesBackwards)
{
    double previous = clock_now();
    for (int i = 0; i < 100000; i++) {
        const double now = clock_now();
        ASSERT_GE(now, previous);
        previous = now;
    }
}

TEST(Clock, ElapsedIsNeverNegative)
{
    const double start = clock_now();
    EXPECT_GE(clock_since(start), 0.0);
    EXPECT_GE(clock_since(start + 1000.0), 0.0);
}

TEST(Clock, SleepLastsAtLeastWhatWasAsked)
{
    const double start = clock_now();
    clock_sleep(0.02);
    EXPECT_GE(clock_since(start), 0.02);
    clock_sleep(0.0);
    clock_sleep(-1.0);
}
