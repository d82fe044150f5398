// The closable queue: order, capacity, close, task_done/join, and no item lost
// or delivered twice under many producers and consumers.  Waiting is observed
// through the queue's own counters (waiting_getters, ...), never by sleeping
// for a while and hoping, so the tests are deterministic under sanitizers.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "queue.h"

namespace {

// Items are plain numbers smuggled through the void pointers.
void *as_item(uintptr_t value)
{
    return reinterpret_cast<void *>(value);
}

uintptr_t as_value(void *item)
{
    return reinterpret_cast<uintptr_t>(item);
}

struct QueueDeleter {
    void operator()(queue *q) const { queue_free(q); }
};
using QueuePtr = std::unique_ptr<queue, QueueDeleter>;

QueuePtr make_queue(size_t capacity)
{
    QueuePtr q(queue_new(capacity));
    EXPECT_NE(q, nullptr);
    return q;
}

// Spins (yielding) until PREDICATE holds for Q's counters.
template <typename Predicate>
void wait_for_stats(queue *q, Predicate predicate)
{
    while (!predicate(queue_get_stats(q)))
        std::this_thread::yield();
}

} // namespace

TEST(Queue, DeliversInFifoOrder)
{
    auto q = make_queue(0);
    for (uintptr_t i = 0; i < 100; i++)
        ASSERT_EQ(queue_put(q.get(), as_item(i)), QUEUE_OK);
    EXPECT_EQ(queue_size(q.get()), 100u);
    for (uintptr_t i = 0; i < 100; i++) {
        void *item = nullptr;
        ASSERT_EQ(queue_get(q.get(), &item), QUEUE_OK);
        EXPECT_EQ(as_value(item), i);
    }
    EXPECT_EQ(queue_size(q.get()), 0u);
}

TEST(Queue, UnboundedQueueGrowsAcrossTheWrapPoint)
{
    auto q = make_queue(0);
    uintptr_t next_in = 0, next_out = 0;
    // Interleaving puts and gets moves the head before each growth, so the
    // ring is wrapped when it has to be unrolled.
    for (int round = 0; round < 200; round++) {
        for (int k = 0; k < 7; k++)
            ASSERT_EQ(queue_put(q.get(), as_item(next_in++)), QUEUE_OK);
        for (int k = 0; k < 3; k++) {
            void *item = nullptr;
            ASSERT_EQ(queue_get(q.get(), &item), QUEUE_OK);
            ASSERT_EQ(as_value(item), next_out++);
        }
    }
    void *item = nullptr;
    while (queue_try_get(q.get(), &item) == QUEUE_OK)
        ASSERT_EQ(as_value(item), next_out++);
    EXPECT_EQ(next_out, next_in);
    EXPECT_EQ(queue_get_stats(q.get()).max_size, 199u * 4u + 7u); // before the last round's gets
}

TEST(Queue, NullIsAnOrdinaryItem)
{
    auto q = make_queue(2);
    ASSERT_EQ(queue_put(q.get(), nullptr), QUEUE_OK);
    void *item = as_item(1);
    ASSERT_EQ(queue_get(q.get(), &item), QUEUE_OK);
    EXPECT_EQ(item, nullptr);
}

TEST(Queue, TryCallsReportFullAndEmpty)
{
    auto q = make_queue(2);
    void *item = nullptr;
    EXPECT_EQ(queue_try_get(q.get(), &item), QUEUE_EMPTY);
    EXPECT_EQ(queue_try_put(q.get(), as_item(1)), QUEUE_OK);
    EXPECT_EQ(queue_try_put(q.get(), as_item(2)), QUEUE_OK);
    EXPECT_EQ(queue_try_put(q.get(), as_item(3)), QUEUE_FULL);
    EXPECT_EQ(queue_size(q.get()), 2u);
    EXPECT_EQ(queue_capacity(q.get()), 2u);
    ASSERT_EQ(queue_try_get(q.get(), &item), QUEUE_OK);
    EXPECT_EQ(as_value(item), 1u);
}

TEST(Queue, TimedCallsTimeOut)
{
    auto q = make_queue(1);
    void *item = nullptr;
    EXPECT_EQ(queue_get_timeout(q.get(), &item, 0.01), QUEUE_TIMEOUT);
    EXPECT_EQ(queue_put_timeout(q.get(), as_item(5), 0.01), QUEUE_OK);
    EXPECT_EQ(queue_put_timeout(q.get(), as_item(6), 0.01), QUEUE_TIMEOUT);
    EXPECT_EQ(queue_put_timeout(q.get(), as_item(6), 0), QUEUE_TIMEOUT);
    EXPECT_EQ(queue_get_timeout(q.get(), &item, 0.01), QUEUE_OK);
    EXPECT_EQ(as_value(item), 5u);
    auto stats = queue_get_stats(q.get());
    EXPECT_EQ(stats.puts, 1u);
    EXPECT_EQ(stats.gets, 1u);
    EXPECT_EQ(stats.put_waits, 2u);
    EXPECT_EQ(stats.get_waits, 1u);
}

TEST(Queue, PutBlocksAtCapacityUntilAGetMakesRoom)
{
    auto q = make_queue(2);
    ASSERT_EQ(queue_put(q.get(), as_item(1)), QUEUE_OK);
    ASSERT_EQ(queue_put(q.get(), as_item(2)), QUEUE_OK);
    std::atomic<bool> returned{false};
    enum queue_status status = QUEUE_TIMEOUT;
    std::thread producer([&] {
        status = queue_put(q.get(), as_item(3));
        returned = true;
    });
    wait_for_stats(q.get(), [](const queue_stats &s) { return s.waiting_putters == 1; });
    // The producer is asleep inside put: the queue is still at capacity.
    EXPECT_FALSE(returned);
    EXPECT_EQ(queue_size(q.get()), 2u);
    void *item = nullptr;
    ASSERT_EQ(queue_get(q.get(), &item), QUEUE_OK);
    EXPECT_EQ(as_value(item), 1u);
    producer.join();
    EXPECT_EQ(status, QUEUE_OK);
    EXPECT_EQ(queue_size(q.get()), 2u);
    EXPECT_EQ(queue_get_stats(q.get()).max_size, 2u);
    ASSERT_EQ(queue_get(q.get(), &item), QUEUE_OK);
    EXPECT_EQ(as_value(item), 2u);
    ASSERT_EQ(queue_get(q.get(), &item), QUEUE_OK);
    EXPECT_EQ(as_value(item), 3u);
}

TEST(Queue, GetBlocksUntilAPut)
{
    auto q = make_queue(0);
    void *item = nullptr;
    std::thread consumer([&] { ASSERT_EQ(queue_get(q.get(), &item), QUEUE_OK); });
    wait_for_stats(q.get(), [](const queue_stats &s) { return s.waiting_getters == 1; });
    ASSERT_EQ(queue_put(q.get(), as_item(42)), QUEUE_OK);
    consumer.join();
    EXPECT_EQ(as_value(item), 42u);
}

TEST(Queue, CloseDrainsWhatIsLeftThenReportsClosed)
{
    auto q = make_queue(0);
    ASSERT_EQ(queue_put(q.get(), as_item(1)), QUEUE_OK);
    ASSERT_EQ(queue_put(q.get(), as_item(2)), QUEUE_OK);
    queue_close(q.get());
    queue_close(q.get()); // twice is harmless
    EXPECT_TRUE(queue_is_closed(q.get()));
    EXPECT_EQ(queue_put(q.get(), as_item(3)), QUEUE_CLOSED);
    EXPECT_EQ(queue_try_put(q.get(), as_item(3)), QUEUE_CLOSED);
    void *item = nullptr;
    ASSERT_EQ(queue_get(q.get(), &item), QUEUE_OK);
    EXPECT_EQ(as_value(item), 1u);
    ASSERT_EQ(queue_try_get(q.get(), &item), QUEUE_OK);
    EXPECT_EQ(as_value(item), 2u);
    item = as_item(99);
    EXPECT_EQ(queue_get(q.get(), &item), QUEUE_CLOSED);
    EXPECT_EQ(queue_try_get(q.get(), &item), QUEUE_CLOSED);
    EXPECT_EQ(queue_get_timeout(q.get(), &item, 1.0), QUEUE_CLOSED);
    EXPECT_EQ(as_value(item), 99u) << "a failed get leaves *item alone";
}

TEST(Queue, CloseWakesEveryWaitingGetter)
{
    auto q = make_queue(0);
    const size_t getters = 8;
    std::vector<std::thread> threads;
    std::vector<enum queue_status> statuses(getters, QUEUE_OK);
    for (size_t i = 0; i < getters; i++) {
        threads.emplace_back([&, i] {
            void *item = nullptr;
            // Half wait without limit, half with a long timeout.
            statuses[i] = i % 2 ? queue_get(q.get(), &item)
                                : queue_get_timeout(q.get(), &item, 3600);
        });
    }
    wait_for_stats(q.get(), [&](const queue_stats &s) { return s.waiting_getters == getters; });
    queue_close(q.get());
    for (auto &thread : threads)
        thread.join();
    for (auto status : statuses)
        EXPECT_EQ(status, QUEUE_CLOSED);
    EXPECT_EQ(queue_get_stats(q.get()).waiting_getters, 0u);
}

TEST(Queue, CloseWakesEveryWaitingPutter)
{
    auto q = make_queue(1);
    ASSERT_EQ(queue_put(q.get(), as_item(0)), QUEUE_OK);
    const size_t putters = 8;
    std::vector<std::thread> threads;
    std::vector<enum queue_status> statuses(putters, QUEUE_OK);
    for (size_t i = 0; i < putters; i++) {
        threads.emplace_back([&, i] {
            statuses[i] = i % 2 ? queue_put(q.get(), as_item(i + 1))
                                : queue_put_timeout(q.get(), as_item(i + 1), 3600);
        });
    }
    wait_for_stats(q.get(), [&](const queue_stats &s) { return s.waiting_putters == putters; });
    queue_close(q.get());
    for (auto &thread : threads)
        thread.join();
    for (auto status : statuses)
        EXPECT_EQ(status, QUEUE_CLOSED);
    // The item put before close is still delivered, and nothing else.
    void *item = nullptr;
    ASSERT_EQ(queue_get(q.get(), &item), QUEUE_OK);
    EXPECT_EQ(as_value(item), 0u);
    EXPECT_EQ(queue_get(q.get(), &item), QUEUE_CLOSED);
}

TEST(Queue, JoinWaitsForEveryTaskDone)
{
    auto q = make_queue(0);
    queue_join(q.get()); // nothing unfinished: returns at once
    const uintptr_t items = 50;
    for (uintptr_t i = 0; i < items; i++)
        ASSERT_EQ(queue_put(q.get(), as_item(i)), QUEUE_OK);
    queue_close(q.get());
    std::atomic<size_t> handled{0};
    std::thread worker([&] {
        void *item = nullptr;
        while (queue_get(q.get(), &item) == QUEUE_OK) {
            handled++;
            EXPECT_TRUE(queue_task_done(q.get()));
        }
    });
    queue_join(q.get());
    // join returned: every item was marked done, so every item was handled.
    EXPECT_EQ(handled.load(), items);
    EXPECT_EQ(queue_get_stats(q.get()).unfinished, 0u);
    worker.join();
}

TEST(Queue, JoinIsNotEndedByGetAlone)
{
    auto q = make_queue(0);
    ASSERT_EQ(queue_put(q.get(), as_item(7)), QUEUE_OK);
    void *item = nullptr;
    ASSERT_EQ(queue_get(q.get(), &item), QUEUE_OK);
    EXPECT_EQ(queue_get_stats(q.get()).unfinished, 1u) << "got but not done";
    std::atomic<bool> joined{false};
    std::thread joiner([&] {
        queue_join(q.get());
        joined = true;
    });
    EXPECT_FALSE(joined);
    EXPECT_TRUE(queue_task_done(q.get()));
    joiner.join();
    EXPECT_TRUE(joined);
}

TEST(Queue, TooManyTaskDoneIsRefused)
{
    auto q = make_queue(0);
    EXPECT_FALSE(queue_task_done(q.get()));
    ASSERT_EQ(queue_put(q.get(), as_item(1)), QUEUE_OK);
    EXPECT_TRUE(queue_task_done(q.get()));
    EXPECT_FALSE(queue_task_done(q.get()));
    EXPECT_EQ(queue_get_stats(q.get()).unfinished, 0u);
}

TEST(Queue, StatusNames)
{
    EXPECT_STREQ(queue_status_name(QUEUE_OK), "ok");
    EXPECT_STREQ(queue_status_name(QUEUE_CLOSED), "closed");
    EXPECT_STREQ(queue_status_name(QUEUE_EMPTY), "empty");
    EXPECT_STREQ(queue_status_name(QUEUE_FULL), "full");
    EXPECT_STREQ(queue_status_name(QUEUE_TIMEOUT), "timeout");
}

// Many producers and consumers through a small queue, so both sides block
// often.  Every item is (producer << 32 | sequence): the consumers' count,
// sum and sum of squares must equal the producers', each item must be seen
// exactly once, and each consumer must see every producer's items in order.
class ManyThreads : public ::testing::TestWithParam<size_t> {};

TEST_P(ManyThreads, NoItemLostOrDuplicated)
{
    const size_t capacity = GetParam();
    const uint64_t producers = 4, consumers = 4, per_producer = 5000;
    auto q = make_queue(capacity);

    std::vector<std::thread> threads;
    for (uint64_t p = 0; p < producers; p++) {
        threads.emplace_back([&, p] {
            for (uint64_t s = 0; s < per_producer; s++)
                ASSERT_EQ(queue_put(q.get(), as_item((p << 32) | s)), QUEUE_OK);
        });
    }
    struct Tally {
        uint64_t count = 0, sum = 0, sum_squares = 0;
        bool in_order = true;
    };
    std::vector<Tally> tallies(consumers);
    std::vector<std::atomic<uint8_t>> seen(producers * per_producer);
    for (uint64_t c = 0; c < consumers; c++) {
        threads.emplace_back([&, c] {
            std::vector<int64_t> last(producers, -1);
            Tally &tally = tallies[c];
            void *item = nullptr;
            while (queue_get(q.get(), &item) == QUEUE_OK) {
                uint64_t value = as_value(item), p = value >> 32, s = value & 0xffffffffu;
                tally.count++;
                tally.sum += value;
                tally.sum_squares += value * value;
                tally.in_order &= static_cast<int64_t>(s) > last[p];
                last[p] = static_cast<int64_t>(s);
                seen[p * per_producer + s]++;
                EXPECT_TRUE(queue_task_done(q.get()));
            }
        });
    }
    for (uint64_t p = 0; p < producers; p++)
        threads[p].join();
    queue_join(q.get()); // every item handled ...
    queue_close(q.get()); // ... then the consumers may stop
    for (size_t i = producers; i < threads.size(); i++)
        threads[i].join();

    uint64_t expected_sum = 0, expected_squares = 0;
    for (uint64_t p = 0; p < producers; p++) {
        for (uint64_t s = 0; s < per_producer; s++) {
            uint64_t value = (p << 32) | s;
            expected_sum += value;
            expected_squares += value * value;
        }
    }
    Tally total;
    for (const Tally &t : tallies) {
        total.count += t.count;
        total.sum += t.sum;
        total.sum_squares += t.sum_squares;
        EXPECT_TRUE(t.in_order) << "a consumer saw a producer's items out of order";
    }
    EXPECT_EQ(total.count, producers * per_producer);
    EXPECT_EQ(total.sum, expected_sum);
    EXPECT_EQ(total.sum_squares, expected_squares);
    size_t wrong = 0;
    for (auto &flag : seen)
        wrong += flag.load() != 1;
    EXPECT_EQ(wrong, 0u) << "items seen zero times or more than once";
    auto stats = queue_get_stats(q.get());
    EXPECT_EQ(stats.puts, producers * per_producer);
    EXPECT_EQ(stats.gets, producers * per_producer);
    if (capacity != 0) {
        EXPECT_LE(stats.max_size, capacity);
    }
}

INSTANTIATE_TEST_SUITE_P(Capacities, ManyThreads, ::testing::Values(0, 1, 8, 1000));
