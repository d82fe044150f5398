// The executors and their futures, each behaviour for the thread pool and the
// process pool alike: results, errors, timeouts, cancellation (and its races
// with the workers), done callbacks, map, as_completed, wait, shutdown with
// work pending; and for the process pool what only it has: one process per
// worker, crashes that fail one future and get the worker replaced, no
// descriptor of the caller's in a worker.
//
// Tasks that must stay running until a test lets them go wait on a gate: a
// file that the test creates.  A file works across processes, and the test
// never sleeps for a while and hopes; it polls the future's own state.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <set>
#include <signal.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "clock.h"
#include "executor.h"
#include "gil.h"
#include "proc.h"

namespace {

// ---- tasks ---------------------------------------------------------------

int square_task(const void *arg, size_t size, executor_output *out)
{
    int64_t n;
    if (size != sizeof n)
        return EINVAL;
    memcpy(&n, arg, sizeof n);
    n *= n;
    return executor_output_write(out, &n, sizeof n) ? 0 : ENOMEM;
}

// Returns its argument (an int) as its error code: Python's raise.
int fail_task(const void *arg, size_t, executor_output *)
{
    int code;
    memcpy(&code, arg, sizeof code);
    return code;
}

int echo_task(const void *arg, size_t size, executor_output *out)
{
    return executor_output_write(out, arg, size) ? 0 : ENOMEM;
}

int pid_task(const void *, size_t, executor_output *out)
{
    int64_t pid = getpid();
    return executor_output_write(out, &pid, sizeof pid) ? 0 : ENOMEM;
}

// Ends its worker process: 0 by _exit(3), 1 by SIGKILL.
int die_task(const void *arg, size_t, executor_output *)
{
    int how;
    memcpy(&how, arg, sizeof how);
    if (how == 0)
        _exit(3);
    raise(SIGKILL);
    return 0;
}

// 0 when descriptor *ARG is closed in the worker, EEXIST when it is open.
int fd_closed_task(const void *arg, size_t, executor_output *)
{
    int fd;
    memcpy(&fd, arg, sizeof fd);
    return fcntl(fd, F_GETFD) < 0 && errno == EBADF ? 0 : EEXIST;
}

struct Gate {
    char path[200];
    int64_t value;
};

// Waits until the file named in its argument exists, then returns value.
int gate_task(const void *arg, size_t, executor_output *out)
{
    Gate gate;
    memcpy(&gate, arg, sizeof gate);
    while (access(gate.path, F_OK) != 0)
        usleep(200);
    return executor_output_write(out, &gate.value, sizeof gate.value) ? 0 : ENOMEM;
}

// Busy work that yields the emulated GIL at check points.
int spin_task(const void *arg, size_t, executor_output *out)
{
    int64_t n;
    memcpy(&n, arg, sizeof n);
    volatile int64_t sum = 0;
    for (int64_t i = 0; i < n; i++) {
        sum = sum + i;
        if (i % GIL_CHECK_EVERY == 0)
            gil_checkpoint();
    }
    int64_t total = sum;
    return executor_output_write(out, &total, sizeof total) ? 0 : ENOMEM;
}

// ---- helpers -------------------------------------------------------------

enum class Kind { Threads, Processes };

struct ExecutorDeleter {
    void operator()(executor *e) const { executor_free(e); }
};
using Pool = std::unique_ptr<executor, ExecutorDeleter>;

struct FutureDeleter {
    void operator()(future *f) const { future_free(f); }
};
using Future = std::unique_ptr<future, FutureDeleter>;

Pool make_pool(Kind kind, size_t workers, const executor_options *options = nullptr)
{
    executor *e = kind == Kind::Threads ? executor_new_threads(workers, options)
                                        : executor_new_processes(workers, options);
    EXPECT_NE(e, nullptr) << strerror(errno);
    return Pool(e);
}

template <typename T> Future submit(executor *pool, executor_fn fn, const T &arg)
{
    Future f(executor_submit(pool, fn, &arg, sizeof arg));
    EXPECT_NE(f, nullptr) << strerror(errno);
    return f;
}

int64_t result_of(future *f, double timeout = 30)
{
    const void *data = nullptr;
    size_t size = 0;
    EXPECT_EQ(future_result(f, timeout, &data, &size), FUTURE_OK);
    int64_t value = -1;
    if (data != nullptr && size == sizeof value)
        memcpy(&value, data, sizeof value);
    return value;
}

std::string describe(future *f)
{
    char buf[256];
    return future_describe(f, buf, sizeof buf);
}

// Polls until F runs (a worker took it): bounded, never a blind sleep.
void wait_until_running(future *f)
{
    double start = clock_now();
    while (future_state(f) == FUTURE_STATE_PENDING && clock_since(start) < 30)
        usleep(200);
    ASSERT_NE(future_state(f), FUTURE_STATE_PENDING) << "no worker took the task in 30 s";
}

struct Counter {
    std::atomic<int> calls{0};
    std::atomic<int> failed{0};
    std::atomic<int> cancelled{0};
};

void count_callback(future *f, void *arg)
{
    auto *counter = static_cast<Counter *>(arg);
    counter->calls++;
    int error = 0;
    if (future_cancelled(f))
        counter->cancelled++;
    else if (future_exception(f, 0, &error) == FUTURE_FAILED)
        counter->failed++;
}

class Executor : public ::testing::TestWithParam<Kind> {
  protected:
    void SetUp() override
    {
        const char *tmp = getenv("TMPDIR");
        std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/executor_test.XXXXXX";
        std::vector<char> buf(pattern.begin(), pattern.end());
        buf.push_back('\0');
        ASSERT_NE(mkdtemp(buf.data()), nullptr);
        dir_ = buf.data();
    }

    void TearDown() override
    {
        for (const auto &path : made_)
            unlink(path.c_str());
        rmdir(dir_.c_str());
    }

    Gate gate(const std::string &name, int64_t value)
    {
        Gate g{};
        snprintf(g.path, sizeof g.path, "%s/%s", dir_.c_str(), name.c_str());
        g.value = value;
        return g;
    }

    void open_gate(const Gate &g)
    {
        int fd = open(g.path, O_CREAT | O_WRONLY, 0600);
        ASSERT_GE(fd, 0) << strerror(errno);
        close(fd);
        made_.push_back(g.path);
    }

    Pool pool(size_t workers, const executor_options *options = nullptr)
    {
        return make_pool(GetParam(), workers, options);
    }

    std::string dir_;
    std::vector<std::string> made_;
};

std::string kind_name(const ::testing::TestParamInfo<Kind> &info)
{
    return info.param == Kind::Threads ? "Threads" : "Processes";
}

} // namespace

// ---- results and errors ----------------------------------------------------

TEST_P(Executor, SubmitGivesTheResult)
{
    auto p = pool(2);
    auto f = submit<int64_t>(p.get(), square_task, 7);
    EXPECT_EQ(result_of(f.get()), 49);
    EXPECT_TRUE(future_done(f.get()));
    EXPECT_FALSE(future_running(f.get()));
    EXPECT_FALSE(future_cancelled(f.get()));
    EXPECT_EQ(future_state(f.get()), FUTURE_STATE_FINISHED);
    int error = -1;
    EXPECT_EQ(future_exception(f.get(), 0, &error), FUTURE_OK);
    EXPECT_EQ(error, 0);
    EXPECT_EQ(describe(f.get()), "succeeded");
}

TEST_P(Executor, ManyTasksAllRight)
{
    auto p = pool(3);
    std::vector<Future> futures;
    for (int64_t i = 0; i < 200; i++)
        futures.push_back(submit<int64_t>(p.get(), square_task, i));
    for (int64_t i = 0; i < 200; i++)
        EXPECT_EQ(result_of(futures[i].get()), i * i);
    executor_stats stats = executor_get_stats(p.get());
    EXPECT_EQ(stats.workers, 3u);
    EXPECT_EQ(stats.submitted, 200u);
    EXPECT_EQ(stats.started, 200u);
    EXPECT_EQ(stats.succeeded, 200u);
    EXPECT_EQ(stats.failed + stats.cancelled + stats.workers_replaced, 0u);
}

TEST_P(Executor, TasksPerWorkerAddUpToTheTasksStarted)
{
    auto p = pool(3);
    std::vector<Future> futures;
    for (int64_t i = 0; i < 60; i++)
        futures.push_back(submit<int64_t>(p.get(), square_task, i));
    for (auto &f : futures)
        result_of(f.get());
    size_t counts[4] = {99, 99, 99, 99};
    ASSERT_EQ(executor_tasks_per_worker(p.get(), counts, 4), 3u);
    EXPECT_EQ(counts[0] + counts[1] + counts[2], 60u);
    EXPECT_EQ(counts[3], 99u) << "nothing written past the workers";
    EXPECT_EQ(executor_tasks_per_worker(p.get(), counts, 1), 1u);
}

TEST_P(Executor, TaskErrorIsTheFuturesException)
{
    auto p = pool(1);
    auto f = submit<int>(p.get(), fail_task, 5);
    const void *data = &f;
    EXPECT_EQ(future_result(f.get(), 30, &data, nullptr), FUTURE_FAILED);
    EXPECT_EQ(data, static_cast<const void *>(&f)) << "a failed result must leave *data alone";
    int error = 0;
    EXPECT_EQ(future_exception(f.get(), 0, &error), FUTURE_FAILED);
    EXPECT_EQ(error, 5);
    EXPECT_EQ(describe(f.get()), "failed with error 5");
    EXPECT_EQ(executor_get_stats(p.get()).failed, 1u);
    // The worker goes on after a failed task.
    EXPECT_EQ(result_of(submit<int64_t>(p.get(), square_task, 3).get()), 9);
}

TEST_P(Executor, ArgumentIsCopiedAtSubmit)
{
    auto p = pool(1);
    Gate g = gate("hold", 0);
    auto blocker = submit(p.get(), gate_task, g);
    int64_t n = 6;
    auto f = submit(p.get(), square_task, n);
    n = 1000; // the task must see 6
    open_gate(g);
    EXPECT_EQ(result_of(f.get()), 36);
}

TEST_P(Executor, LargeArgumentAndResultTravelWhole)
{
    auto p = pool(2);
    std::vector<unsigned char> big(3 << 20);
    for (size_t i = 0; i < big.size(); i++)
        big[i] = static_cast<unsigned char>(i * 7 + (i >> 12));
    Future f(executor_submit(p.get(), echo_task, big.data(), big.size()));
    ASSERT_NE(f, nullptr);
    const void *data = nullptr;
    size_t size = 0;
    ASSERT_EQ(future_result(f.get(), 30, &data, &size), FUTURE_OK);
    ASSERT_EQ(size, big.size());
    EXPECT_EQ(memcmp(data, big.data(), size), 0);
    Future empty(executor_submit(p.get(), echo_task, nullptr, 0));
    ASSERT_EQ(future_result(empty.get(), 30, &data, &size), FUTURE_OK);
    EXPECT_EQ(size, 0u);
}

TEST_P(Executor, RefusesBadArguments)
{
    errno = 0;
    EXPECT_EQ(GetParam() == Kind::Threads ? executor_new_threads(0, nullptr)
                                          : executor_new_processes(0, nullptr),
              nullptr);
    EXPECT_EQ(errno, EINVAL);
    errno = 0;
    EXPECT_EQ(GetParam() == Kind::Threads
                  ? executor_new_threads(EXECUTOR_MAX_WORKERS + 1, nullptr)
                  : executor_new_processes(EXECUTOR_MAX_WORKERS + 1, nullptr),
              nullptr);
    EXPECT_EQ(errno, EINVAL);
    auto p = pool(1);
    errno = 0;
    EXPECT_EQ(executor_submit(p.get(), nullptr, nullptr, 0), nullptr);
    EXPECT_EQ(errno, EINVAL);
    errno = 0;
    EXPECT_EQ(executor_submit(p.get(), echo_task, nullptr, 8), nullptr);
    EXPECT_EQ(errno, EINVAL);
}

// ---- timeouts and states ---------------------------------------------------

TEST_P(Executor, ResultTimesOutWhileTheTaskRuns)
{
    auto p = pool(1);
    Gate g = gate("slow", 11);
    auto f = submit(p.get(), gate_task, g);
    wait_until_running(f.get());
    EXPECT_TRUE(future_running(f.get()));
    EXPECT_FALSE(future_done(f.get()));
    double start = clock_now();
    EXPECT_EQ(future_result(f.get(), 0.05, nullptr, nullptr), FUTURE_TIMEOUT);
    EXPECT_GE(clock_since(start), 0.05);
    EXPECT_EQ(future_result(f.get(), 0, nullptr, nullptr), FUTURE_TIMEOUT);
    int error = -7;
    EXPECT_EQ(future_exception(f.get(), 0.01, &error), FUTURE_TIMEOUT);
    EXPECT_EQ(error, -7);
    EXPECT_EQ(describe(f.get()), "running");
    open_gate(g);
    EXPECT_EQ(result_of(f.get(), EXECUTOR_FOREVER), 11);
}

TEST_P(Executor, PendingWhileTheOnlyWorkerIsBusy)
{
    auto p = pool(1);
    Gate g = gate("busy", 1);
    auto blocker = submit(p.get(), gate_task, g);
    wait_until_running(blocker.get());
    auto waiting = submit<int64_t>(p.get(), square_task, 4);
    EXPECT_EQ(future_state(waiting.get()), FUTURE_STATE_PENDING);
    EXPECT_FALSE(future_running(waiting.get()));
    EXPECT_EQ(describe(waiting.get()), "pending");
    open_gate(g);
    EXPECT_EQ(result_of(waiting.get()), 16);
}

// ---- cancellation ----------------------------------------------------------

TEST_P(Executor, CancelWorksOnlyBeforeTheStart)
{
    auto p = pool(1);
    Gate g = gate("cancel", 1);
    auto running = submit(p.get(), gate_task, g);
    wait_until_running(running.get());
    auto pending = submit<int64_t>(p.get(), square_task, 5);
    EXPECT_FALSE(future_cancel(running.get()));
    EXPECT_TRUE(future_cancel(pending.get()));
    EXPECT_TRUE(future_cancel(pending.get())) << "cancelling twice still says cancelled";
    EXPECT_TRUE(future_cancelled(pending.get()));
    EXPECT_TRUE(future_done(pending.get()));
    EXPECT_EQ(future_result(pending.get(), EXECUTOR_FOREVER, nullptr, nullptr), FUTURE_CANCELLED);
    EXPECT_EQ(future_exception(pending.get(), 0, nullptr), FUTURE_CANCELLED);
    EXPECT_EQ(describe(pending.get()), "cancelled");
    open_gate(g);
    EXPECT_EQ(result_of(running.get()), 1);
    EXPECT_FALSE(future_cancel(running.get())) << "a finished future cannot be cancelled";
    executor_shutdown(p.get(), true, false);
    executor_stats stats = executor_get_stats(p.get());
    EXPECT_EQ(stats.started, 1u);
    EXPECT_EQ(stats.cancelled, 1u);
}

// Cancels every future from another thread while two workers race to start
// them: each one ends either cancelled (cancel said true) or finished with
// its right result (cancel said false), and its callback runs exactly once.
TEST_P(Executor, CancelRacesWithTheWorkers)
{
    const int n = 300;
    auto p = pool(2);
    std::vector<Future> futures;
    std::vector<Counter> counters(n);
    for (int64_t i = 0; i < n; i++) {
        futures.push_back(submit<int64_t>(p.get(), square_task, i));
        future_add_done_callback(futures.back().get(), count_callback, &counters[i]);
    }
    std::vector<char> said(n);
    std::thread canceller([&] {
        for (int i = n - 1; i >= 0; i--)
            said[i] = future_cancel(futures[i].get());
    });
    canceller.join();
    int cancelled = 0;
    for (int i = 0; i < n; i++) {
        const void *data;
        enum future_outcome outcome = future_result(futures[i].get(), 30, &data, nullptr);
        if (said[i]) {
            EXPECT_EQ(outcome, FUTURE_CANCELLED) << i;
            cancelled++;
        } else {
            ASSERT_EQ(outcome, FUTURE_OK) << i;
            int64_t value;
            memcpy(&value, data, sizeof value);
            EXPECT_EQ(value, int64_t{i} * i);
        }
    }
    executor_shutdown(p.get(), true, false);
    for (int i = 0; i < n; i++)
        EXPECT_EQ(counters[i].calls.load(), 1) << i;
    executor_stats stats = executor_get_stats(p.get());
    EXPECT_EQ(stats.cancelled, static_cast<size_t>(cancelled));
    EXPECT_EQ(stats.started + stats.cancelled, static_cast<size_t>(n));
}

// ---- done callbacks --------------------------------------------------------

TEST_P(Executor, CallbackRunsOnceOnSuccess)
{
    auto p = pool(1);
    Gate g = gate("cb", 3);
    Counter counter;
    auto f = submit(p.get(), gate_task, g);
    future_add_done_callback(f.get(), count_callback, &counter);
    future_add_done_callback(f.get(), count_callback, &counter);
    EXPECT_EQ(counter.calls.load(), 0);
    open_gate(g);
    EXPECT_EQ(result_of(f.get()), 3);
    executor_shutdown(p.get(), true, false); // callbacks have run once the workers ended
    EXPECT_EQ(counter.calls.load(), 2) << "each registration once";
    EXPECT_EQ(counter.failed.load(), 0);
}

TEST_P(Executor, CallbackRunsOnFailure)
{
    auto p = pool(1);
    Counter counter;
    auto f = submit<int>(p.get(), fail_task, 42);
    future_add_done_callback(f.get(), count_callback, &counter);
    executor_shutdown(p.get(), true, false);
    EXPECT_EQ(counter.calls.load(), 1);
    EXPECT_EQ(counter.failed.load(), 1);
}

TEST_P(Executor, CallbackRunsOnCancelInTheCancellingThread)
{
    auto p = pool(1);
    Gate g = gate("cbc", 1);
    auto blocker = submit(p.get(), gate_task, g);
    wait_until_running(blocker.get());
    auto f = submit<int64_t>(p.get(), square_task, 2);
    Counter counter;
    future_add_done_callback(f.get(), count_callback, &counter);
    ASSERT_TRUE(future_cancel(f.get()));
    EXPECT_EQ(counter.calls.load(), 1) << "cancel runs the callbacks before it returns";
    EXPECT_EQ(counter.cancelled.load(), 1);
    open_gate(g);
    executor_shutdown(p.get(), true, false);
    EXPECT_EQ(counter.calls.load(), 1) << "and never again";
}

TEST_P(Executor, CallbackAddedAfterDoneRunsAtOnce)
{
    auto p = pool(1);
    auto f = submit<int64_t>(p.get(), square_task, 9);
    EXPECT_EQ(result_of(f.get()), 81);
    Counter counter;
    future_add_done_callback(f.get(), count_callback, &counter);
    EXPECT_EQ(counter.calls.load(), 1);
}

// ---- map -----------------------------------------------------------------

TEST_P(Executor, MapGivesResultsInOrder)
{
    auto p = pool(3);
    std::vector<int64_t> args(50), results(50, -1);
    for (int64_t i = 0; i < 50; i++)
        args[i] = i - 20;
    executor_map_failure failure{99, 99};
    ASSERT_EQ(executor_map(p.get(), square_task, args.data(), sizeof(int64_t), args.size(),
                           results.data(), sizeof(int64_t), EXECUTOR_FOREVER, &failure),
              FUTURE_OK);
    for (size_t i = 0; i < args.size(); i++)
        EXPECT_EQ(results[i], args[i] * args[i]);
    EXPECT_EQ(failure.index, 99u) << "left alone on success";
    EXPECT_EQ(executor_map(p.get(), square_task, nullptr, sizeof(int64_t), 0, nullptr,
                           sizeof(int64_t), 1, nullptr),
              FUTURE_OK);
}

TEST_P(Executor, MapStopsAtTheFirstFailure)
{
    auto p = pool(1);
    std::vector<int> codes = {0, 0, 7, 0, 9};
    std::vector<int64_t> results(codes.size());
    executor_map_failure failure{};
    // fail_task returns 0 with no result: asking for 0-byte results.
    EXPECT_EQ(executor_map(p.get(), fail_task, codes.data(), sizeof(int), codes.size(), nullptr, 0,
                           30, &failure),
              FUTURE_FAILED);
    EXPECT_EQ(failure.index, 2u);
    EXPECT_EQ(failure.error, 7);
}

TEST_P(Executor, MapSaysWhenAResultHasTheWrongSize)
{
    auto p = pool(1);
    int64_t args[2] = {1, 2};
    int32_t results[2];
    executor_map_failure failure{};
    EXPECT_EQ(executor_map(p.get(), square_task, args, sizeof(int64_t), 2, results,
                           sizeof(int32_t), 30, &failure),
              FUTURE_FAILED);
    EXPECT_EQ(failure.index, 0u);
    EXPECT_EQ(failure.error, EXECUTOR_BAD_RESULT);
}

TEST_P(Executor, MapTimesOutAndCancelsTheRest)
{
    auto p = pool(1);
    std::vector<Gate> gates = {gate("m0", 0), gate("m1", 1), gate("m2", 2)};
    std::vector<int64_t> results(3);
    executor_map_failure failure{};
    double start = clock_now();
    EXPECT_EQ(executor_map(p.get(), gate_task, gates.data(), sizeof(Gate), gates.size(),
                           results.data(), sizeof(int64_t), 0.1, &failure),
              FUTURE_TIMEOUT);
    EXPECT_GE(clock_since(start), 0.1);
    EXPECT_EQ(failure.index, 0u);
    open_gate(gates[0]);
    executor_shutdown(p.get(), true, false);
    executor_stats stats = executor_get_stats(p.get());
    EXPECT_EQ(stats.started, 1u) << "the two tasks not started were cancelled";
    EXPECT_EQ(stats.cancelled, 2u);
}

TEST_P(Executor, MapAfterShutdownSaysNotSubmitted)
{
    auto p = pool(1);
    executor_shutdown(p.get(), true, false);
    int64_t arg = 1, result;
    executor_map_failure failure{};
    EXPECT_EQ(executor_map(p.get(), square_task, &arg, sizeof arg, 1, &result, sizeof result, 1,
                           &failure),
              FUTURE_FAILED);
    EXPECT_EQ(failure.error, EXECUTOR_NOT_SUBMITTED);
}

// ---- as_completed --------------------------------------------------------

TEST_P(Executor, AsCompletedFollowsTheOrderOfCompletion)
{
    auto p = pool(4);
    std::vector<Gate> gates = {gate("a0", 0), gate("a1", 1), gate("a2", 2)};
    std::vector<Future> futures;
    for (const Gate &g : gates)
        futures.push_back(submit(p.get(), gate_task, g));
    auto done = submit<int64_t>(p.get(), square_task, 5);
    EXPECT_EQ(result_of(done.get()), 25);
    std::vector<future *> all = {futures[0].get(), futures[1].get(), futures[2].get(), done.get(),
                                 futures[1].get()}; // a duplicate is handed out once
    futures_iterator *it = futures_as_completed(all.data(), all.size(), 30);
    ASSERT_NE(it, nullptr);
    future *next = nullptr;
    ASSERT_EQ(futures_next(it, &next), FUTURES_NEXT);
    EXPECT_EQ(next, done.get()) << "what is done already comes first";
    for (int order : {2, 0, 1}) {
        open_gate(gates[order]);
        ASSERT_EQ(futures_next(it, &next), FUTURES_NEXT);
        EXPECT_EQ(next, futures[order].get());
        EXPECT_EQ(result_of(next), order);
    }
    EXPECT_EQ(futures_next(it, &next), FUTURES_END);
    futures_iterator_free(it);
}

TEST_P(Executor, AsCompletedTimesOut)
{
    auto p = pool(1);
    Gate g = gate("never_yet", 0);
    auto f = submit(p.get(), gate_task, g);
    future *all[] = {f.get()};
    double start = clock_now();
    futures_iterator *it = futures_as_completed(all, 1, 0.1);
    future *next = nullptr;
    EXPECT_EQ(futures_next(it, &next), FUTURES_EXPIRED);
    EXPECT_GE(clock_since(start), 0.1);
    EXPECT_EQ(next, nullptr);
    futures_iterator_free(it);
    open_gate(g);
}

// Python's as_completed ends once it has raised TimeoutError: a future that
// is done after that is not handed out, and every later call says expired.
TEST_P(Executor, AsCompletedStaysExpired)
{
    auto p = pool(1);
    Gate g = gate("late", 7);
    auto f = submit(p.get(), gate_task, g);
    future *all[] = {f.get()};
    futures_iterator *it = futures_as_completed(all, 1, 0.05);
    future *next = nullptr;
    EXPECT_EQ(futures_next(it, &next), FUTURES_EXPIRED);
    open_gate(g);
    EXPECT_EQ(result_of(f.get()), 7); // done now, and already in the iterator's queue
    EXPECT_EQ(futures_next(it, &next), FUTURES_EXPIRED);
    EXPECT_EQ(next, nullptr);
    futures_iterator_free(it);
}

TEST_P(Executor, AsCompletedYieldsCancelledFutures)
{
    auto p = pool(1);
    Gate g = gate("ac", 0);
    auto blocker = submit(p.get(), gate_task, g);
    wait_until_running(blocker.get());
    auto f = submit<int64_t>(p.get(), square_task, 1);
    future *all[] = {f.get()};
    futures_iterator *it = futures_as_completed(all, 1, 30);
    ASSERT_TRUE(future_cancel(f.get()));
    future *next = nullptr;
    EXPECT_EQ(futures_next(it, &next), FUTURES_NEXT);
    EXPECT_EQ(next, f.get());
    futures_iterator_free(it);
    open_gate(g);
}

// ---- wait ----------------------------------------------------------------

TEST_P(Executor, WaitFirstCompleted)
{
    auto p = pool(2);
    Gate slow = gate("w_slow", 0), quick = gate("w_quick", 1);
    auto a = submit(p.get(), gate_task, slow);
    auto b = submit(p.get(), gate_task, quick);
    future *all[] = {a.get(), b.get()};
    bool done[2] = {true, true};
    EXPECT_EQ(futures_wait(all, 2, FUTURES_FIRST_COMPLETED, 0.05, done), 0u) << "times out";
    EXPECT_FALSE(done[0]);
    EXPECT_FALSE(done[1]);
    open_gate(quick);
    EXPECT_EQ(futures_wait(all, 2, FUTURES_FIRST_COMPLETED, 30, done), 1u);
    EXPECT_FALSE(done[0]);
    EXPECT_TRUE(done[1]);
    open_gate(slow);
    EXPECT_EQ(futures_wait(all, 2, FUTURES_ALL_COMPLETED, 30, done), 2u);
    EXPECT_TRUE(done[0] && done[1]);
}

TEST_P(Executor, WaitFirstExceptionReturnsOnAFailure)
{
    auto p = pool(2);
    Gate g = gate("fe", 0);
    auto running = submit(p.get(), gate_task, g);
    auto failing = submit<int>(p.get(), fail_task, 13);
    future *all[] = {running.get(), failing.get()};
    bool done[2];
    EXPECT_EQ(futures_wait(all, 2, FUTURES_FIRST_EXCEPTION, 30, done), 1u);
    EXPECT_FALSE(done[0]);
    EXPECT_TRUE(done[1]);
    open_gate(g);
}

TEST_P(Executor, WaitFirstExceptionWithoutFailureWaitsForAll)
{
    auto p = pool(2);
    Gate g = gate("fe_all", 0);
    auto later = submit(p.get(), gate_task, g);
    auto now = submit<int64_t>(p.get(), square_task, 3);
    EXPECT_EQ(result_of(now.get()), 9);
    future *all[] = {later.get(), now.get()};
    EXPECT_EQ(futures_wait(all, 2, FUTURES_FIRST_EXCEPTION, 0.05, nullptr), 1u)
        << "one success is not enough";
    std::thread opener([&] {
        usleep(20000);
        open_gate(g);
    });
    EXPECT_EQ(futures_wait(all, 2, FUTURES_FIRST_EXCEPTION, 30, nullptr), 2u);
    opener.join();
}

TEST_P(Executor, WaitCountsCancelledAsDoneNotAsException)
{
    auto p = pool(1);
    Gate g = gate("wc", 0);
    auto blocker = submit(p.get(), gate_task, g);
    wait_until_running(blocker.get());
    auto f = submit<int64_t>(p.get(), square_task, 1);
    ASSERT_TRUE(future_cancel(f.get()));
    future *all[] = {blocker.get(), f.get()};
    bool done[2];
    EXPECT_EQ(futures_wait(all, 2, FUTURES_FIRST_EXCEPTION, 0.05, done), 1u);
    EXPECT_TRUE(done[1]);
    EXPECT_EQ(futures_wait(all, 2, FUTURES_FIRST_COMPLETED, 0, done), 1u);
    open_gate(g);
    EXPECT_EQ(futures_wait(all, 0, FUTURES_ALL_COMPLETED, 0, nullptr), 0u);
}

// ---- shutdown --------------------------------------------------------------

TEST_P(Executor, ShutdownCancelsPendingWorkOnRequest)
{
    auto p = pool(1);
    Gate g = gate("sd", 1);
    auto running = submit(p.get(), gate_task, g);
    wait_until_running(running.get());
    std::vector<Future> pending;
    std::vector<Counter> counters(5);
    for (int64_t i = 0; i < 5; i++) {
        pending.push_back(submit<int64_t>(p.get(), square_task, i));
        future_add_done_callback(pending.back().get(), count_callback, &counters[i]);
    }
    std::thread opener([&] {
        wait_until_running(running.get());
        usleep(20000);
        open_gate(g);
    });
    executor_shutdown(p.get(), true, true);
    opener.join();
    EXPECT_EQ(result_of(running.get(), 0), 1) << "the running task finishes";
    for (int i = 0; i < 5; i++) {
        EXPECT_TRUE(future_cancelled(pending[i].get())) << i;
        EXPECT_EQ(counters[i].calls.load(), 1) << i;
        EXPECT_EQ(counters[i].cancelled.load(), 1) << i;
    }
    errno = 0;
    EXPECT_EQ(executor_submit(p.get(), square_task, "12345678", 8), nullptr);
    EXPECT_EQ(errno, ECANCELED);
    EXPECT_EQ(executor_get_stats(p.get()).cancelled, 5u);
}

TEST_P(Executor, ShutdownWithoutCancelRunsEverything)
{
    auto p = pool(2);
    std::vector<Future> futures;
    for (int64_t i = 0; i < 40; i++)
        futures.push_back(submit<int64_t>(p.get(), square_task, i));
    executor_shutdown(p.get(), true, false);
    for (int64_t i = 0; i < 40; i++) {
        EXPECT_EQ(future_state(futures[i].get()), FUTURE_STATE_FINISHED);
        EXPECT_EQ(result_of(futures[i].get(), 0), i * i);
    }
    executor_shutdown(p.get(), true, true); // again: harmless
}

TEST_P(Executor, ShutdownWithoutWaitReturnsAtOnce)
{
    auto p = pool(1);
    Gate g = gate("nowait", 8);
    auto f = submit(p.get(), gate_task, g);
    wait_until_running(f.get());
    executor_shutdown(p.get(), false, false);
    EXPECT_TRUE(future_running(f.get())) << "shutdown(wait=false) must not wait for the task";
    open_gate(g);
    p.reset(); // executor_free waits
    EXPECT_EQ(result_of(f.get(), 0), 8);
}

TEST_P(Executor, FutureOutlivesItsCallerHoldAndItsPool)
{
    auto p = pool(1);
    Gate g = gate("outlive", 2);
    Counter counter;
    future *dropped = executor_submit(p.get(), gate_task, &g, sizeof g);
    ASSERT_NE(dropped, nullptr);
    future_add_done_callback(dropped, count_callback, &counter);
    future_free(dropped); // still runs, callback still called
    auto kept = submit(p.get(), gate_task, g);
    open_gate(g);
    p.reset();
    EXPECT_EQ(counter.calls.load(), 1);
    EXPECT_EQ(result_of(kept.get(), 0), 2);
}

TEST_P(Executor, SubmittersInManyThreads)
{
    auto p = pool(2);
    std::vector<std::thread> threads;
    std::atomic<int> right{0};
    for (int t = 0; t < 4; t++) {
        threads.emplace_back([&, t] {
            for (int64_t i = 0; i < 25; i++) {
                auto f = submit<int64_t>(p.get(), square_task, t * 100 + i);
                right += result_of(f.get()) == (t * 100 + i) * (t * 100 + i);
            }
        });
    }
    for (auto &thread : threads)
        thread.join();
    EXPECT_EQ(right.load(), 100);
}

// ---- initializer and finalizer ---------------------------------------------

namespace {
char g_log_path[256];

void append_to_log(const char *what)
{
    int fd = open(g_log_path, O_CREAT | O_WRONLY | O_APPEND, 0600);
    if (fd >= 0) {
        ssize_t ignored = write(fd, what, strlen(what));
        (void)ignored;
        close(fd);
    }
}

void log_start(void *) { append_to_log("i"); }
void log_end(void *) { append_to_log("f"); }

std::string read_file(const char *path)
{
    std::string text;
    int fd = open(path, O_RDONLY);
    char buf[256];
    ssize_t got;
    while (fd >= 0 && (got = read(fd, buf, sizeof buf)) > 0)
        text.append(buf, static_cast<size_t>(got));
    if (fd >= 0)
        close(fd);
    return text;
}
} // namespace

TEST_P(Executor, InitializerAndFinalizerRunOncePerWorker)
{
    snprintf(g_log_path, sizeof g_log_path, "%s/log", dir_.c_str());
    made_.push_back(g_log_path);
    executor_options options{log_start, log_end, nullptr};
    auto p = pool(3, &options);
    for (int64_t i = 0; i < 10; i++)
        EXPECT_EQ(result_of(submit<int64_t>(p.get(), square_task, i).get()), i * i);
    p.reset();
    std::string log = read_file(g_log_path);
    EXPECT_EQ(std::count(log.begin(), log.end(), 'i'), 3) << log;
    EXPECT_EQ(std::count(log.begin(), log.end(), 'f'), 3) << log;
}

INSTANTIATE_TEST_SUITE_P(Both, Executor, ::testing::Values(Kind::Threads, Kind::Processes),
                         kind_name);

// Pool threads as GIL threads (the initializer makes them so), the caller
// one too: its waits release the GIL, so the workers can take turns.
// (Process pools go without: a fork would copy the GIL as held.)
TEST(ThreadPool, WorksUnderTheEmulatedGil)
{
    gil_init_us(true, 1000);
    gil_thread_begin();
    executor_options options{[](void *) { gil_thread_begin(); }, [](void *) { gil_thread_end(); },
                             nullptr};
    {
        Pool p = make_pool(Kind::Threads, 2, &options);
        std::vector<int64_t> args(6, 200000), results(6);
        ASSERT_EQ(executor_map(p.get(), spin_task, args.data(), sizeof(int64_t), args.size(),
                               results.data(), sizeof(int64_t), 60, nullptr),
                  FUTURE_OK);
        for (int64_t r : results)
            EXPECT_EQ(r, int64_t{200000} * 199999 / 2);
    }
    gil_thread_end();
    EXPECT_EQ(gil_stats().n_threads, 3u) << "the caller and two pool threads";
    gil_shutdown();
}

// ---- what only the process pool has ----------------------------------------

TEST(ProcessPool, NeverAProcessPerTask)
{
    Pool p = make_pool(Kind::Processes, 2);
    std::set<int64_t> pids;
    for (int i = 0; i < 30; i++)
        pids.insert(result_of(submit<int>(p.get(), pid_task, 0).get()));
    EXPECT_LE(pids.size(), 2u);
    EXPECT_EQ(pids.count(getpid()), 0u) << "tasks run in worker processes, not here";
}

TEST(ThreadPool, RunsTasksInThisProcess)
{
    Pool p = make_pool(Kind::Threads, 2);
    EXPECT_EQ(result_of(submit<int>(p.get(), pid_task, 0).get()), getpid());
}

TEST(ProcessPool, CrashFailsItsFutureAndTheWorkerIsReplaced)
{
    Pool p = make_pool(Kind::Processes, 1);
    int64_t before = result_of(submit<int>(p.get(), pid_task, 0).get());
    Counter counter;
    auto exited = submit<int>(p.get(), die_task, 0);
    future_add_done_callback(exited.get(), count_callback, &counter);
    int error = 0;
    EXPECT_EQ(future_exception(exited.get(), 30, &error), FUTURE_FAILED);
    EXPECT_EQ(error, EXECUTOR_WORKER_DIED);
    EXPECT_NE(describe(exited.get()).find("exited with status 3"), std::string::npos)
        << describe(exited.get());
    auto killed = submit<int>(p.get(), die_task, 1);
    EXPECT_EQ(future_exception(killed.get(), 30, &error), FUTURE_FAILED);
    EXPECT_EQ(error, EXECUTOR_WORKER_DIED);
    EXPECT_NE(describe(killed.get()).find("killed by signal 9"), std::string::npos)
        << describe(killed.get());
    int64_t after = result_of(submit<int>(p.get(), pid_task, 0).get());
    EXPECT_NE(after, before);
    EXPECT_EQ(result_of(submit<int64_t>(p.get(), square_task, 12).get()), 144);
    executor_shutdown(p.get(), true, false);
    EXPECT_EQ(counter.calls.load(), 1);
    EXPECT_EQ(counter.failed.load(), 1);
    executor_stats stats = executor_get_stats(p.get());
    EXPECT_EQ(stats.workers_replaced, 2u);
    EXPECT_EQ(stats.failed, 2u);
}

// A worker that dies between two tasks never saw the next one: it goes to a
// fresh worker and succeeds.
TEST(ProcessPool, WorkerKilledBetweenTasksIsReplacedUnnoticed)
{
    Pool p = make_pool(Kind::Processes, 1);
    pid_t pid = static_cast<pid_t>(result_of(submit<int>(p.get(), pid_task, 0).get()));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    siginfo_t info;
    // Dead, not reaped: the pool's thread has not noticed yet.
    ASSERT_EQ(waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT), 0);
    EXPECT_EQ(result_of(submit<int64_t>(p.get(), square_task, 11).get()), 121);
    EXPECT_EQ(executor_get_stats(p.get()).workers_replaced, 1u);
    EXPECT_EQ(executor_get_stats(p.get()).failed, 0u);
}

TEST(ProcessPool, WorkersHoldNoDescriptorOfTheCaller)
{
    int ends[2];
    ASSERT_EQ(pipe(ends), 0);
    Pool p = make_pool(Kind::Processes, 1);
    int error = -1;
    EXPECT_EQ(future_exception(submit<int>(p.get(), fd_closed_task, ends[1]).get(), 30, &error),
              FUTURE_OK);
    EXPECT_EQ(error, 0);
    p.reset();
    close(ends[0]);
    close(ends[1]);
}

TEST(ProcessPool, LeavesNoChildAndNoDescriptor)
{
    int fds_before = proc_open_fd_count();
    {
        Pool p = make_pool(Kind::Processes, 3);
        auto crash = submit<int>(p.get(), die_task, 1);
        EXPECT_EQ(future_exception(crash.get(), 30, nullptr), FUTURE_FAILED);
        EXPECT_EQ(result_of(submit<int64_t>(p.get(), square_task, 2).get()), 4);
    }
    EXPECT_FALSE(proc_has_children());
    EXPECT_EQ(proc_open_fd_count(), fds_before);
}

// A program started with stdin and stdout closed (cron, nohup, `<&- >&-`):
// the pool's pipes would get descriptors 0 and 1.  The workers must still
// answer, see the caller's standard streams (closed), and none may outlive
// the pool.
TEST(ProcessPool, WorksWithTheStandardStreamsClosed)
{
    fflush(stdout);
    int saved_in = dup(STDIN_FILENO), saved_out = dup(STDOUT_FILENO);
    ASSERT_GE(saved_in, 0);
    ASSERT_GE(saved_out, 0);
    close(STDIN_FILENO);
    close(STDOUT_FILENO);
    // Nothing asserted while stdout is closed: the outcomes are kept for later.
    enum future_outcome squared = FUTURE_TIMEOUT, stdin_seen = FUTURE_TIMEOUT;
    int64_t square = 0;
    int stdin_error = -1;
    executor *pool = executor_new_processes(2, nullptr);
    if (pool != nullptr) {
        int64_t n = 9;
        future *f = executor_submit(pool, square_task, &n, sizeof n);
        const void *data = nullptr;
        size_t size = 0;
        squared = future_result(f, 30, &data, &size);
        if (squared == FUTURE_OK && size == sizeof square)
            memcpy(&square, data, sizeof square);
        future_free(f);
        int fd = STDIN_FILENO;
        future *g = executor_submit(pool, fd_closed_task, &fd, sizeof fd);
        stdin_seen = future_exception(g, 30, &stdin_error);
        future_free(g);
        executor_free(pool);
    }
    dup2(saved_in, STDIN_FILENO);
    dup2(saved_out, STDOUT_FILENO);
    close(saved_in);
    close(saved_out);
    ASSERT_NE(pool, nullptr);
    EXPECT_EQ(squared, FUTURE_OK);
    EXPECT_EQ(square, 81);
    EXPECT_EQ(stdin_seen, FUTURE_OK);
    EXPECT_EQ(stdin_error, 0) << "the worker's stdin is the caller's: closed, not a pipe";
    EXPECT_FALSE(proc_has_children());
}

// A worker process that does not end once its pipes are closed (here its
// finalizer waits for ever; a lock copied held by the fork would do the
// same) is killed after a grace, not waited for without end.
void wait_forever(void *)
{
    for (;;)
        pause();
}

TEST(ProcessPool, ShutdownDoesNotWaitForAStuckWorkerForEver)
{
    executor_options options{};
    options.finalizer = wait_forever;
    Pool p = make_pool(Kind::Processes, 1, &options);
    pid_t worker = static_cast<pid_t>(result_of(submit<int>(p.get(), pid_task, 0).get()));
    std::atomic<bool> returned{false};
    double start = clock_now();
    std::thread shutdown([&] {
        executor_shutdown(p.get(), true, false);
        returned = true;
    });
    while (!returned && clock_since(start) < 30)
        usleep(10000);
    bool in_time = returned;
    if (!in_time)
        kill(worker, SIGKILL); // free the shutdown, so that this test can fail and go on
    shutdown.join();
    EXPECT_TRUE(in_time) << "shutdown still waited for the worker after 30 s";
    EXPECT_FALSE(proc_has_children());
}

TEST(FutureOutcome, HasNames)
{
    EXPECT_STREQ(future_outcome_name(FUTURE_OK), "ok");
    EXPECT_STREQ(future_outcome_name(FUTURE_FAILED), "failed");
    EXPECT_STREQ(future_outcome_name(FUTURE_CANCELLED), "cancelled");
    EXPECT_STREQ(future_outcome_name(FUTURE_TIMEOUT), "timeout");
}
