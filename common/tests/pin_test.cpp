// pin: worker i lands on the i-th allowed CPU under --pin=core, and nothing
// moves under --pin=none.
#include <gtest/gtest.h>

#include <pthread.h>
#include <sched.h>

#include <vector>

#include "pin.h"

namespace {

cpu_set_t affinity_of_this_thread()
{
    cpu_set_t set;
    CPU_ZERO(&set);
    EXPECT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
    return set;
}

std::vector<int> cpus_of(const cpu_set_t &set)
{
    std::vector<int> cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &set))
            cpus.push_back(cpu);
    return cpus;
}

struct Pinned {
    size_t index;
    std::vector<int> cpus;
};

void *pin_and_look(void *arg)
{
    auto *pinned = static_cast<Pinned *>(arg);
    pin_worker(pinned->index);
    pinned->cpus = cpus_of(affinity_of_this_thread());
    return nullptr;
}

Pinned run_worker(size_t index)
{
    Pinned pinned{index, {}};
    pthread_t thread;
    EXPECT_EQ(pthread_create(&thread, nullptr, pin_and_look, &pinned), 0);
    EXPECT_EQ(pthread_join(thread, nullptr), 0);
    return pinned;
}

} // namespace

TEST(Pin, CorePutsWorkerIOnTheIthAllowedCpuRoundRobin)
{
    const std::vector<int> allowed = cpus_of(affinity_of_this_thread());
    pin_set_policy(PIN_CORE);
    for (size_t i = 0; i < 2 * allowed.size() + 1; i++) {
        Pinned pinned = run_worker(i);
        ASSERT_EQ(pinned.cpus.size(), 1u) << "worker " << i;
        EXPECT_EQ(pinned.cpus[0], allowed[i % allowed.size()]) << "worker " << i;
    }
    pin_set_policy(PIN_NONE);
    EXPECT_EQ(cpus_of(affinity_of_this_thread()), allowed) << "the caller itself never moves";
}

TEST(Pin, NoneLeavesTheAffinityAlone)
{
    const std::vector<int> allowed = cpus_of(affinity_of_this_thread());
    pin_set_policy(PIN_NONE);
    EXPECT_EQ(run_worker(0).cpus, allowed);
}
