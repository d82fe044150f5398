// gil: the emulated GIL keeps threads out of each other's way, hands over on
// request, lets go around blocking calls and shuts down cleanly.  No test
// asserts a duration: they count switches, requests and drops, whose
// relations hold however the machine schedules the threads.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include <cjson/cJSON.h>
#include <pthread.h>
#include <unistd.h>

#include "clock.h"
#include "gil.h"

namespace {

// Every test starts and ends with no GIL set up, even when it fails.
class Gil : public ::testing::Test {
protected:
    void TearDown() override { gil_shutdown(); }
};

struct MutualExclusionRun {
    std::atomic<int> inside{0};
    std::atomic<int> overlaps{0};
    long long plain_counter = 0; // touched only with the GIL held: tsan checks that
};

void count_under_gil(MutualExclusionRun *run, int iterations)
{
    gil_thread_begin();
    for (int i = 1; i <= iterations; i++) {
        if (run->inside.fetch_add(1) != 0)
            run->overlaps++;
        run->plain_counter++;
        run->inside.fetch_sub(1);
        if (i % 64 == 0)
            gil_checkpoint();
    }
    gil_thread_end();
}

} // namespace

TEST_F(Gil, NoTwoThreadsHoldItAtOnce)
{
    gil_init_us(true, 100); // a short interval: many switches
    constexpr int threads = 4, iterations = 200000;
    MutualExclusionRun run;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; t++)
        workers.emplace_back(count_under_gil, &run, iterations);
    for (auto &worker : workers)
        worker.join();

    EXPECT_EQ(run.overlaps.load(), 0);
    EXPECT_EQ(run.plain_counter, static_cast<long long>(threads) * iterations);
    const struct gil_stats stats = gil_stats();
    ASSERT_EQ(stats.n_threads, static_cast<size_t>(threads));
    EXPECT_GE(stats.switches, static_cast<unsigned long long>(threads)); // each took it once
    RecordProperty("switches", static_cast<int>(stats.switches));
    for (size_t i = 0; i < stats.n_threads; i++) {
        const struct gil_thread_stats thread = gil_thread_stats(i);
        // No blocking call: every acquisition but the first follows a forced drop.
        EXPECT_EQ(thread.acquisitions, 1 + thread.forced_drops) << "thread " << i;
        EXPECT_EQ(thread.blocking_releases, 0u);
    }
}

TEST_F(Gil, AWaiterGetsItWithinABoundedNumberOfIntervals)
{
    gil_init_us(true, GIL_DEFAULT_INTERVAL_MS * 1000);
    std::atomic<bool> spinner_holds{false}, waiter_ran{false};
    unsigned long long switched = 0; // check points that said they handed over
    EXPECT_FALSE(gil_checkpoint()); // not a GIL thread: never hands anything over
    // The spinner never lets go by itself: only a drop request moves it.
    std::thread spinner([&] {
        gil_thread_begin();
        spinner_holds = true;
        while (!waiter_ran)
            switched += gil_checkpoint();
        gil_thread_end();
    });
    while (!spinner_holds)
        std::this_thread::yield();
    std::thread waiter([&] {
        gil_thread_begin();
        waiter_ran = true;
        gil_thread_end();
    });
    waiter.join();
    spinner.join();

    const struct gil_thread_stats spinner_stats = gil_thread_stats(0), waiter_stats = gil_thread_stats(1);
    EXPECT_EQ(spinner_stats.forced_drops, 1u);
    EXPECT_EQ(switched, 1u); // gil_checkpoint's answer is the forced drop
    EXPECT_EQ(spinner_stats.acquisitions, 2u);
    // Each drop request is one interval waited without a switch.  The holder
    // answers at its next check point, microseconds later; the generous
    // bound only allows for a loaded machine that deschedules it.
    EXPECT_GE(waiter_stats.drop_requests, 1u);
    EXPECT_LE(waiter_stats.drop_requests, 100u);
    RecordProperty("waiter_drop_requests", static_cast<int>(waiter_stats.drop_requests));
}

// FORCE_SWITCHING: a holder that drops on request waits until another
// thread has taken the GIL, so every forced drop is a switch.
TEST_F(Gil, EveryForcedDropHandsTheGilToAnotherThread)
{
    gil_init_us(true, 200);
    constexpr int wanted_handovers = 20;
    int last_owner = -1, handovers = 0; // guarded by the GIL
    auto ping = [&](int me) {
        gil_thread_begin();
        for (;;) {
            if (last_owner != me) {
                last_owner = me;
                handovers++;
            }
            if (handovers >= wanted_handovers)
                break;
            gil_checkpoint();
        }
        gil_thread_end();
    };
    std::thread a(ping, 0), b(ping, 1);
    a.join();
    b.join();

    const struct gil_stats stats = gil_stats();
    EXPECT_GE(handovers, wanted_handovers);
    EXPECT_GE(stats.forced_drops, static_cast<unsigned long long>(wanted_handovers - 2));
    // The first holder's first take, one switch per forced drop, and the
    // last hand-over when the first thread to finish ends.
    EXPECT_EQ(stats.switches, stats.forced_drops + 2);
}

TEST_F(Gil, ABlockingCallLetsAnotherThreadRun)
{
    gil_init_us(true, 1000);
    int ends[2];
    ASSERT_EQ(pipe(ends), 0);
    std::atomic<bool> reader_about_to_block{false};
    ssize_t got = -1;
    char byte = 0;
    // Deadlocks unless the reader lets go of the GIL while it waits: the
    // writer needs the GIL before it writes.
    std::thread reader([&] {
        gil_thread_begin();
        reader_about_to_block = true;
        GIL_RELEASED(got = read(ends[0], &byte, 1));
        gil_thread_end();
    });
    while (!reader_about_to_block)
        std::this_thread::yield();
    std::thread writer([&] {
        gil_thread_begin();
        const char sent = 'x';
        EXPECT_EQ(write(ends[1], &sent, 1), 1);
        gil_thread_end();
    });
    writer.join();
    reader.join();
    close(ends[0]);
    close(ends[1]);

    EXPECT_EQ(got, 1);
    EXPECT_EQ(byte, 'x');
    const struct gil_thread_stats reader_stats = gil_thread_stats(0);
    EXPECT_EQ(reader_stats.blocking_releases, 1u);
    EXPECT_EQ(reader_stats.acquisitions, 2u);
}

TEST_F(Gil, ReacquiringKeepsTheBlockingCallsErrno)
{
    gil_init_us(true, 1000);
    gil_thread_begin();
    ssize_t got = 0;
    GIL_RELEASED(got = read(-1, nullptr, 0));
    const int saved = errno;
    gil_thread_end();
    EXPECT_EQ(got, -1);
    EXPECT_EQ(saved, EBADF);
}

TEST_F(Gil, ShutsDownCleanlyAndStartsAgain)
{
    gil_init_us(true, 500);
    std::vector<std::thread> workers;
    for (int t = 0; t < 3; t++) {
        workers.emplace_back([] {
            gil_thread_begin();
            for (int i = 0; i < 5; i++) {
                GIL_RELEASED(clock_sleep(0.001));
                gil_checkpoint();
            }
            gil_thread_end();
        });
    }
    for (auto &worker : workers)
        worker.join();
    EXPECT_EQ(gil_stats().n_threads, 3u);
    gil_shutdown();

    EXPECT_FALSE(gil_enabled());
    EXPECT_EQ(gil_stats().n_threads, 0u);
    gil_checkpoint(); // harmless with no GIL
    gil_init_us(true, 500);
    EXPECT_TRUE(gil_enabled());
    EXPECT_EQ(gil_stats().n_threads, 0u);
    EXPECT_EQ(gil_stats().switches, 0u);
    gil_thread_begin();
    gil_thread_end();
    EXPECT_EQ(gil_stats().switches, 1u);
}

TEST_F(Gil, WhenOffThreadsRunTogether)
{
    const gil_options off = GIL_OPTIONS_DEFAULT;
    gil_init(&off);
    EXPECT_FALSE(gil_enabled());
    // Both threads must be between begin and end at the same time to pass
    // the barrier: with a GIL this would never return.
    pthread_barrier_t barrier;
    ASSERT_EQ(pthread_barrier_init(&barrier, nullptr, 2), 0);
    auto body = [&] {
        gil_thread_begin();
        gil_checkpoint();
        pthread_barrier_wait(&barrier);
        GIL_RELEASED((void)0);
        gil_thread_end();
    };
    std::thread a(body), b(body);
    a.join();
    b.join();
    pthread_barrier_destroy(&barrier);
    EXPECT_EQ(gil_stats().n_threads, 0u);
}

namespace {

using Json = std::unique_ptr<cJSON, decltype(&cJSON_Delete)>;

// Renders REPORT as JSON, then finishes it (printing to nowhere) to free it.
Json report_json_and_free(report *report)
{
    char *text = report_to_json(report);
    Json root(cJSON_Parse(text), cJSON_Delete);
    cJSON_free(text);
    FILE *nowhere = fopen("/dev/null", "w");
    if (nowhere != nullptr) {
        report_finish(report, true, nowhere);
        fclose(nowhere);
    }
    return root;
}

const cJSON *get(const cJSON *object, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(object, name);
}

} // namespace

TEST_F(Gil, ReportCarriesSwitchesAndWaitPerThread)
{
    gil_init_us(true, 1000);
    MutualExclusionRun run;
    std::thread a(count_under_gil, &run, 20000), b(count_under_gil, &run, 20000);
    a.join();
    b.join();
    report *report = report_new("gil_test", "two");
    gil_report(report);
    Json root = report_json_and_free(report);
    ASSERT_TRUE(root);

    EXPECT_TRUE(cJSON_IsTrue(get(get(root.get(), "parameters"), "gil")));
    EXPECT_EQ(get(get(root.get(), "parameters"), "switch_interval_ms")->valuedouble, 1);
    const cJSON *metrics = get(root.get(), "metrics");
    for (const char *name : {"gil_switches", "gil_drop_requests", "gil_forced_drops", "gil_wait_s",
                             "gil_wait_s_thread0", "gil_wait_s_thread1"})
        EXPECT_TRUE(cJSON_IsNumber(get(get(metrics, name), "value"))) << name;
    EXPECT_GE(get(get(metrics, "gil_switches"), "value")->valuedouble, 2);
    const cJSON *threads = get(get(get(root.get(), "data"), "gil"), "threads");
    ASSERT_TRUE(cJSON_IsArray(threads));
    EXPECT_EQ(cJSON_GetArraySize(threads), 2);
}

TEST_F(Gil, ReportWithoutGilSaysSo)
{
    const gil_options off = GIL_OPTIONS_DEFAULT;
    gil_init(&off);
    report *report = report_new("gil_test", "off");
    gil_report(report);
    Json root = report_json_and_free(report);
    ASSERT_TRUE(root);
    EXPECT_TRUE(cJSON_IsFalse(get(get(root.get(), "parameters"), "gil")));
    EXPECT_EQ(get(get(root.get(), "metrics"), "gil_switches"), nullptr);
}

// Lock.acquire: a mutex held by a thread that waits for the GIL is waited
// for with the GIL released, else the two would wait for each other.
TEST_F(Gil, AMutexIsAwaitedWithTheGilReleased)
{
    gil_init_us(true, 200);
    pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
    std::atomic<bool> owner_has_mutex{false};
    std::atomic<int> stage{0};
    long long guarded = 0;
    // The owner takes the mutex, then gives the GIL away while holding it
    // (a switch inside `with lock:`): the other thread must block on the
    // mutex without the GIL, so that the owner can come back and unlock.
    std::thread owner([&] {
        gil_thread_begin();
        ASSERT_EQ(gil_mutex_lock(&mutex), 0);
        owner_has_mutex = true;
        while (stage.load() == 0)
            gil_checkpoint();
        guarded++;
        ASSERT_EQ(pthread_mutex_unlock(&mutex), 0);
        gil_thread_end();
    });
    while (!owner_has_mutex)
        std::this_thread::yield();
    std::thread other([&] {
        gil_thread_begin();
        stage = 1;
        ASSERT_EQ(gil_mutex_lock(&mutex), 0);
        guarded++;
        ASSERT_EQ(pthread_mutex_unlock(&mutex), 0);
        gil_thread_end();
    });
    other.join();
    owner.join();
    EXPECT_EQ(guarded, 2);
    EXPECT_GE(gil_thread_stats(1).blocking_releases, 1u);
    pthread_mutex_destroy(&mutex);
}

TEST_F(Gil, AFreeMutexIsTakenWithoutReleasingTheGil)
{
    gil_init_us(true, 1000);
    pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
    std::thread alone([&] {
        gil_thread_begin();
        for (int i = 0; i < 100; i++) {
            EXPECT_EQ(gil_mutex_lock(&mutex), 0);
            EXPECT_EQ(pthread_mutex_unlock(&mutex), 0);
        }
        gil_thread_end();
    });
    alone.join();
    EXPECT_EQ(gil_thread_stats(0).blocking_releases, 0u);
    EXPECT_EQ(gil_thread_stats(0).acquisitions, 1u);
    pthread_mutex_destroy(&mutex);
}

// ---- queue.Queue and Thread.start() under the GIL -------------------------

namespace {

// A second GIL thread that queues for the GIL while the test's thread holds
// it, and records when it got it.
struct Contender {
    std::atomic<bool> about_to_wait{false}, ran{false};
    std::thread thread;

    void start()
    {
        thread = std::thread([this] {
            about_to_wait = true;
            gil_thread_begin();
            ran = true;
            gil_thread_end();
        });
        while (!about_to_wait)
            std::this_thread::yield();
        // Holding the GIL, give it time to reach take_gil and ask for it.
        usleep(20000);
    }
};

} // namespace

// Queue.get and put try first, holding the GIL: an item that is there, room
// that is free, a join with nothing unfinished let no waiting thread in.
TEST_F(Gil, NonBlockingQueueCallsDoNotSwitch)
{
    gil_init_us(true, 1000);
    struct queue *queue = queue_new(0);
    ASSERT_NE(queue, nullptr);
    int items[8] = {0};
    Contender contender;
    gil_thread_begin();
    contender.start();
    const unsigned long long switches_before = gil_stats().switches;
    for (int &item : items)
        EXPECT_EQ(gil_queue_put(queue, &item), QUEUE_OK);
    for (int &item : items) {
        void *got = nullptr;
        EXPECT_EQ(gil_queue_get(queue, &got), QUEUE_OK);
        EXPECT_EQ(got, &item);
        EXPECT_TRUE(queue_task_done(queue));
    }
    gil_queue_join(queue); // nothing unfinished: returns at once
    queue_close(queue);
    void *none = nullptr;
    EXPECT_EQ(gil_queue_get(queue, &none), QUEUE_CLOSED); // closed and drained: no wait
    const bool contender_ran = contender.ran;
    const unsigned long long switches_after = gil_stats().switches;
    gil_thread_end();
    contender.thread.join();
    queue_free(queue);

    EXPECT_FALSE(contender_ran);
    EXPECT_EQ(switches_after, switches_before);
    EXPECT_EQ(gil_thread_stats(0).blocking_releases, 0u);
    EXPECT_EQ(gil_thread_stats(0).acquisitions, 1u);
}

// A get on an empty queue waits with the GIL released: the putter, which
// needs the GIL first, runs (else the two would wait for each other).
TEST_F(Gil, ABlockingGetReleasesTheGil)
{
    gil_init_us(true, 1000);
    struct queue *queue = queue_new(0);
    ASSERT_NE(queue, nullptr);
    int item = 0;
    void *got = nullptr;
    std::atomic<bool> getter_holds{false};
    std::thread getter([&] {
        gil_thread_begin();
        getter_holds = true;
        EXPECT_EQ(gil_queue_get(queue, &got), QUEUE_OK);
        gil_thread_end();
    });
    while (!getter_holds)
        std::this_thread::yield();
    std::thread putter([&] {
        gil_thread_begin();
        EXPECT_EQ(gil_queue_put(queue, &item), QUEUE_OK);
        gil_thread_end();
    });
    putter.join();
    getter.join();
    queue_free(queue);

    EXPECT_EQ(got, &item);
    EXPECT_EQ(gil_thread_stats(0).blocking_releases, 1u);
    EXPECT_EQ(gil_thread_stats(0).acquisitions, 2u);
    EXPECT_EQ(gil_stats().switches, 3u); // getter, putter, getter again
}

// A put on a full bounded queue, and a join with an unfinished item, wait
// with the GIL released too.
TEST_F(Gil, ABlockingPutAndJoinReleaseTheGil)
{
    gil_init_us(true, 1000);
    struct queue *queue = queue_new(1);
    ASSERT_NE(queue, nullptr);
    int first = 1, second = 2;
    std::atomic<bool> producer_holds{false};
    std::thread producer([&] {
        gil_thread_begin();
        EXPECT_EQ(gil_queue_put(queue, &first), QUEUE_OK); // room: no release
        producer_holds = true;
        EXPECT_EQ(gil_queue_put(queue, &second), QUEUE_OK); // full: waits
        gil_queue_join(queue);                             // unfinished: waits
        gil_thread_end();
    });
    while (!producer_holds)
        std::this_thread::yield();
    std::thread consumer([&] {
        gil_thread_begin();
        for (int k = 0; k < 2; k++) {
            void *got = nullptr;
            EXPECT_EQ(gil_queue_get(queue, &got), QUEUE_OK);
            EXPECT_TRUE(queue_task_done(queue));
        }
        gil_thread_end();
    });
    consumer.join();
    producer.join();
    queue_free(queue);

    const struct gil_thread_stats producer_stats = gil_thread_stats(0);
    EXPECT_GE(producer_stats.blocking_releases, 1u);
    EXPECT_LE(producer_stats.blocking_releases, 2u); // the join may find the work done
    EXPECT_EQ(producer_stats.acquisitions, 1 + producer_stats.blocking_releases);
}

namespace {

struct StartedBody {
    std::atomic<bool> began{false};
};

void *begin_and_end(void *arg)
{
    auto *body = static_cast<StartedBody *>(arg);
    gil_thread_begin();
    body->began = true;
    gil_thread_end();
    return nullptr;
}

void *never_a_python_thread(void *arg)
{
    static_cast<StartedBody *>(arg)->began = true;
    return nullptr;
}

} // namespace

// Thread.start() waits on the new thread's _started event with the GIL
// released: when it returns, the new thread has had the GIL.
TEST_F(Gil, ThreadStartWaitsUntilTheNewThreadHasTheGil)
{
    gil_init_us(true, 1000);
    StartedBody body;
    bool began_when_start_returned = false;
    std::thread creator([&] {
        gil_thread_begin();
        pthread_t thread;
        ASSERT_EQ(gil_thread_start(&thread, nullptr, begin_and_end, &body), 0);
        began_when_start_returned = body.began; // the creator holds the GIL again
        GIL_RELEASED(EXPECT_EQ(pthread_join(thread, nullptr), 0));
        gil_thread_end();
    });
    creator.join();

    EXPECT_TRUE(began_when_start_returned);
    EXPECT_EQ(gil_thread_stats(0).blocking_releases, 2u); // the start, the join
    EXPECT_GE(gil_stats().switches, 3u);                  // creator, new thread, creator
}

TEST_F(Gil, ThreadStartEndsTheHandshakeWhenTheBodyNeverTakesTheGil)
{
    gil_init_us(true, 1000);
    StartedBody body;
    gil_thread_begin();
    pthread_t thread;
    ASSERT_EQ(gil_thread_start(&thread, nullptr, never_a_python_thread, &body), 0);
    EXPECT_TRUE(body.began);
    GIL_RELEASED(EXPECT_EQ(pthread_join(thread, nullptr), 0));
    gil_thread_end();
}

// Without the GIL held nothing waits: the caller goes on while the new
// thread still waits for it.
TEST_F(Gil, ThreadStartWithoutTheGilIsAPlainCreate)
{
    const gil_options off = GIL_OPTIONS_DEFAULT;
    gil_init(&off);
    std::atomic<bool> go{false};
    pthread_t thread;
    auto wait_for_go = [](void *arg) -> void * {
        auto *flag = static_cast<std::atomic<bool> *>(arg);
        while (!*flag)
            std::this_thread::yield();
        return nullptr;
    };
    ASSERT_EQ(gil_thread_start(&thread, nullptr, wait_for_go, &go), 0);
    go = true;
    EXPECT_EQ(pthread_join(thread, nullptr), 0);
}
