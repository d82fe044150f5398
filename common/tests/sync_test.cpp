// sync: the checked wrappers wait on the monotonic clock, time out at their
// deadline (at once for one already past), and wake on a signal.
#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "clock.h"
#include "sync.h"

namespace {

struct Pair {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    Pair()
    {
        sync_mutex_init(&mutex);
        sync_cond_init(&cond);
    }
    ~Pair()
    {
        pthread_cond_destroy(&cond);
        pthread_mutex_destroy(&mutex);
    }
};

TEST(Sync, APastDeadlineReturnsFalseAtOnce)
{
    Pair pair;
    sync_lock(&pair.mutex);
    EXPECT_FALSE(sync_wait_until(&pair.cond, &pair.mutex, clock_now() - 1));
    EXPECT_FALSE(sync_wait_until(&pair.cond, &pair.mutex, -INFINITY));
    EXPECT_FALSE(sync_wait_until(&pair.cond, &pair.mutex, NAN));
    sync_unlock(&pair.mutex);
}

TEST(Sync, ADeadlineIsWaitedFor)
{
    Pair pair;
    sync_lock(&pair.mutex);
    const double deadline = clock_now() + 0.02;
    // A wake-up before the deadline can only be spurious: wait again.
    while (sync_wait_until(&pair.cond, &pair.mutex, deadline)) {
    }
    EXPECT_GE(clock_now(), deadline);
    sync_unlock(&pair.mutex);
}

TEST(Sync, ASignalWakesAWaiterWithoutDeadline)
{
    Pair pair;
    bool ready = false;
    std::thread signaller([&] {
        sync_lock(&pair.mutex);
        ready = true;
        sync_signal(&pair.cond);
        sync_unlock(&pair.mutex);
    });
    sync_lock(&pair.mutex);
    while (!ready)
        EXPECT_TRUE(sync_wait_until(&pair.cond, &pair.mutex, INFINITY));
    sync_unlock(&pair.mutex);
    signaller.join();
}

TEST(Sync, ABroadcastWakesEveryWaiter)
{
    Pair pair;
    bool go = false;
    int woken = 0;
    std::thread waiters[3];
    for (auto &waiter : waiters)
        waiter = std::thread([&] {
            sync_lock(&pair.mutex);
            while (!go)
                sync_wait(&pair.cond, &pair.mutex);
            woken++;
            sync_unlock(&pair.mutex);
        });
    sync_lock(&pair.mutex);
    go = true;
    sync_broadcast(&pair.cond);
    sync_unlock(&pair.mutex);
    for (auto &waiter : waiters)
        waiter.join();
    EXPECT_EQ(woken, 3);
}

} // namespace
