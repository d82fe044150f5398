// thread_team: every body runs once on its own item, all at the same time,
// and everything they wrote is visible after the call returns.
#include <gtest/gtest.h>

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <vector>

#include "clock.h"
#include "gil.h"
#include "thread_team.h"

namespace {

struct Item {
    int index = -1;
    int runs = 0;
    pthread_t thread{};
};

void record(void *arg)
{
    Item *item = static_cast<Item *>(arg);
    item->runs++;
    item->thread = pthread_self();
}

TEST(ThreadTeam, EveryBodyRunsOnceOnItsOwnItem)
{
    std::vector<Item> items(8);
    thread_team_run(items.size(), record, items.data(), sizeof(Item));
    for (size_t i = 0; i < items.size(); i++) {
        EXPECT_EQ(items[i].runs, 1) << "item " << i;
        EXPECT_FALSE(pthread_equal(items[i].thread, pthread_self())) << "item " << i;
        for (size_t k = 0; k < i; k++)
            EXPECT_FALSE(pthread_equal(items[i].thread, items[k].thread));
    }
}

TEST(ThreadTeam, ZeroThreadsDoNothing)
{
    Item item;
    thread_team_run(0, record, &item, sizeof item);
    EXPECT_EQ(item.runs, 0);
}

// Each body waits until all have arrived: only possible when they run at the
// same time.  A deadline keeps a broken team from hanging the test.
struct Meeting {
    std::atomic<int> *arrived;
    int expected;
    bool all_met;
};

void meet(void *arg)
{
    Meeting *meeting = static_cast<Meeting *>(arg);
    meeting->arrived->fetch_add(1);
    const double deadline = clock_now() + 10.0;
    while (meeting->arrived->load() < meeting->expected && clock_now() < deadline)
        sched_yield();
    meeting->all_met = meeting->arrived->load() == meeting->expected;
}

TEST(ThreadTeam, BodiesRunAtTheSameTime)
{
    std::atomic<int> arrived{0};
    std::vector<Meeting> meetings(6, Meeting{&arrived, 6, false});
    thread_team_run(meetings.size(), meet, meetings.data(), sizeof(Meeting));
    for (const Meeting &meeting : meetings)
        EXPECT_TRUE(meeting.all_met);
}

// Every thread gets THREAD_TEAM_STACK_BYTES, whatever ulimit -s was when the
// program started (glibc would size it by that limit).
void record_stack_size(void *arg)
{
    pthread_attr_t attr;
    size_t *size = static_cast<size_t *>(arg);
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstacksize(&attr, size);
        pthread_attr_destroy(&attr);
    }
}

void *stack_size_thread(void *arg)
{
    record_stack_size(arg);
    return nullptr;
}

TEST(ThreadTeam, ThreadsGetAnExplicitStack)
{
    std::vector<size_t> sizes(3, 0);
    thread_team_run(sizes.size(), record_stack_size, sizes.data(), sizeof(size_t));
    for (size_t size : sizes)
        EXPECT_GE(size, THREAD_TEAM_STACK_BYTES);
    size_t alone = 0;
    pthread_t thread;
    ASSERT_EQ(thread_team_create(&thread, stack_size_thread, &alone), 0);
    ASSERT_EQ(pthread_join(thread, nullptr), 0);
    EXPECT_GE(alone, THREAD_TEAM_STACK_BYTES);
}

TEST(ThreadTeamDeathTest, TooManyThreadsAreRefused)
{
    Item item;
    EXPECT_EXIT(thread_team_run(THREAD_TEAM_MAX + 1, record, &item, sizeof item),
                testing::ExitedWithCode(1), "at most");
}


// Under an emulated GIL every member is a GIL thread: never two bodies
// between two check points at once, and the GIL knows each of them.
struct GilMember {
    std::atomic<int> *inside;
    int overlaps = 0;
};

void count_overlaps(void *arg)
{
    GilMember *member = static_cast<GilMember *>(arg);
    for (int i = 0; i < 20000; i++) {
        member->overlaps += member->inside->fetch_add(1) != 0;
        member->inside->fetch_sub(1);
        if (i % 64 == 0)
            gil_checkpoint();
    }
}

TEST(ThreadTeam, UnderTheGilMembersTakeTurns)
{
    gil_init_us(true, 100);
    std::atomic<int> inside{0};
    std::vector<GilMember> members(4, GilMember{&inside});
    thread_team_run(members.size(), count_overlaps, members.data(), sizeof(GilMember));
    const struct gil_stats stats = gil_stats();
    gil_shutdown();
    EXPECT_EQ(stats.n_threads, members.size());
    for (const GilMember &member : members)
        EXPECT_EQ(member.overlaps, 0);
}

} // namespace
