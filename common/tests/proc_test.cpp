// proc: children started with either method, wired, fed, waited on with a
// deadline, stopped, described — and nothing left behind: every test checks
// that the open descriptors are the same after as before and no child remains.
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "clock.h"
#include "proc.h"

namespace {

char *arg(const char *text) { return const_cast<char *>(text); }

// Counts descriptors and children around each test body.
class ProcTest : public ::testing::TestWithParam<proc_method> {
protected:
    void SetUp() override
    {
        ASSERT_FALSE(proc_has_children());
        fds_before_ = proc_open_fd_count();
    }
    void TearDown() override
    {
        EXPECT_EQ(proc_open_fd_count(), fds_before_) << "a descriptor leaked";
        EXPECT_FALSE(proc_has_children()) << "a child was left";
    }
    proc_options options(proc_stream in = PROC_INHERIT, proc_stream out = PROC_INHERIT,
                         proc_stream err = PROC_INHERIT) const
    {
        proc_options o{};
        o.in.how = in;
        o.out.how = out;
        o.err.how = err;
        o.method = GetParam();
        return o;
    }
    // Runs ARGV with stdin/stdout pipes, feeds INPUT, returns stdout.
    std::string filter(std::vector<const char *> argv, const std::string &input, int *returncode)
    {
        argv.push_back(nullptr);
        proc child;
        const proc_options o = options(PROC_PIPE, PROC_PIPE);
        EXPECT_EQ(proc_spawn(&child, const_cast<char *const *>(argv.data()), &o), 0);
        proc_io io{};
        io.input = input.data();
        io.input_size = input.size();
        if (!proc_communicate(&child, &io, 30.0)) {
            ADD_FAILURE() << "communicate timed out";
            proc_stop(&child, 1.0); // leave nothing behind, even failing
        }
        *returncode = proc_returncode(&child);
        std::string out(io.out.data ? io.out.data : "", io.out.size);
        proc_output_free(&io.out);
        proc_output_free(&io.err);
        return out;
    }

private:
    int fds_before_ = 0;
};

std::string describe(const proc &child)
{
    char text[128];
    return proc_describe(&child, text, sizeof text);
}

} // namespace

TEST_P(ProcTest, RunsAProgramAndCapturesItsOutput)
{
    char *argv[] = {arg("echo"), arg("Hello from the child!"), nullptr};
    const proc_options o = options(PROC_INHERIT, PROC_PIPE);
    proc child;
    ASSERT_EQ(proc_spawn(&child, argv, &o), 0);
    EXPECT_GT(child.pid, 0);
    EXPECT_EQ(child.in, -1);
    EXPECT_GE(child.out, 3);
    proc_io io{};
    ASSERT_TRUE(proc_communicate(&child, &io, -1));
    EXPECT_STREQ(io.out.data, "Hello from the child!\n");
    EXPECT_EQ(io.out.size, 22u);
    EXPECT_EQ(io.err.data, nullptr);
    EXPECT_TRUE(proc_succeeded(&child));
    EXPECT_EQ(proc_returncode(&child), 0);
    EXPECT_EQ(describe(child), "exited with status 0");
    EXPECT_EQ(child.out, -1) << "communicate closes what it read to the end";
    proc_output_free(&io.out);
}

TEST_P(ProcTest, MissingProgramIsENOENTAndLeavesNothing)
{
    char *argv[] = {arg("conclab-no-such-program"), nullptr};
    const proc_options o = options(PROC_PIPE, PROC_PIPE, PROC_PIPE);
    proc child;
    EXPECT_EQ(proc_spawn(&child, argv, &o), ENOENT);
    EXPECT_EQ(child.pid, -1);
    EXPECT_EQ(child.in, -1);
    EXPECT_EQ(child.out, -1);
    EXPECT_EQ(child.err, -1);
    EXPECT_TRUE(proc_poll(&child));
    EXPECT_TRUE(proc_wait(&child, -1));
    EXPECT_FALSE(proc_succeeded(&child));
    EXPECT_EQ(describe(child), "never started");
    proc_stop(&child, 1.0); // harmless on a child that never started
}

TEST_P(ProcTest, BadPathsAreErrorsNotHangs)
{
    char *missing[] = {arg("/nonexistent/dir/prog"), nullptr};
    char *directory[] = {arg("/"), nullptr};
    const proc_options o = options();
    proc child;
    EXPECT_EQ(proc_spawn(&child, missing, &o), ENOENT);
    EXPECT_EQ(proc_spawn(&child, directory, &o), EACCES);
    char *empty[] = {nullptr};
    EXPECT_EQ(proc_spawn(&child, empty, &o), EINVAL);
}

TEST_P(ProcTest, RefusesADescriptorThatWouldBeClobbered)
{
    char *argv[] = {arg("true"), nullptr};
    proc_options o = options();
    o.out.how = PROC_FD;
    o.out.fd = 0; // stdin as stdout: refused, 0..2 only as themselves
    proc child;
    EXPECT_EQ(proc_spawn(&child, argv, &o), EINVAL);
    o.out.fd = -1;
    EXPECT_EQ(proc_spawn(&child, argv, &o), EINVAL);
}

TEST_P(ProcTest, ReportsExitStatusAndSignals)
{
    char *exits3[] = {arg("sh"), arg("-c"), arg("exit 3"), nullptr};
    char *aborts[] = {arg("sh"), arg("-c"), arg("kill -KILL $$"), nullptr};
    const proc_options o = options();
    proc child;
    ASSERT_EQ(proc_spawn(&child, exits3, &o), 0);
    ASSERT_TRUE(proc_wait(&child, -1));
    EXPECT_EQ(proc_returncode(&child), 3);
    EXPECT_FALSE(proc_succeeded(&child));
    EXPECT_EQ(describe(child), "exited with status 3");
    ASSERT_EQ(proc_spawn(&child, aborts, &o), 0);
    ASSERT_TRUE(proc_wait(&child, -1));
    EXPECT_EQ(proc_returncode(&child), -9);
    EXPECT_EQ(describe(child), "killed by signal 9 (SIGKILL)");
}

TEST_P(ProcTest, TimeoutThenTerminateEndsWithMinus15)
{
    char *argv[] = {arg("sleep"), arg("10"), nullptr};
    const proc_options o = options();
    proc child;
    const double start = clock_now();
    ASSERT_EQ(proc_spawn(&child, argv, &o), 0);
    proc_io io{};
    EXPECT_FALSE(proc_communicate(&child, &io, 0.05));
    EXPECT_FALSE(proc_poll(&child));
    EXPECT_EQ(describe(child), "still running");
    proc_terminate(&child);
    ASSERT_TRUE(proc_wait(&child, -1));
    EXPECT_EQ(proc_returncode(&child), -15);
    EXPECT_EQ(describe(child), "killed by signal 15 (SIGTERM)");
    EXPECT_LT(clock_since(start), 10.0) << "the child was not waited for to its end";
    proc_terminate(&child); // after the end: no signal to a pid that may be reused
}

TEST_P(ProcTest, WaitWithTimeoutSeesAQuickEnd)
{
    char *argv[] = {arg("true"), nullptr};
    const proc_options o = options();
    proc child;
    ASSERT_EQ(proc_spawn(&child, argv, &o), 0);
    EXPECT_TRUE(proc_wait(&child, 30.0));
    EXPECT_TRUE(proc_succeeded(&child));
    EXPECT_TRUE(proc_wait(&child, 0.0)) << "an ended child stays ended";
}

TEST_P(ProcTest, StopKillsAChildThatIgnoresSigterm)
{
    char *argv[] = {arg("sh"), arg("-c"), arg("trap '' TERM; echo ready; exec sleep 10"), nullptr};
    const proc_options o = options(PROC_NULL, PROC_PIPE);
    proc child;
    ASSERT_EQ(proc_spawn(&child, argv, &o), 0);
    char ready[6] = {};
    ASSERT_EQ(read(child.out, ready, 6), 6); // the trap is set
    proc_stop(&child, 0.05);
    EXPECT_TRUE(child.ended);
    EXPECT_EQ(child.out, -1);
    EXPECT_EQ(proc_returncode(&child), -9);
}

TEST_P(ProcTest, CommunicateMovesMoreThanAPipeHoldsBothWays)
{
    // 1 MiB through cat: written and read at once, or cat would block on a
    // full stdout while the parent blocks on a full stdin.
    std::string input(1 << 20, '\0');
    for (size_t i = 0; i < input.size(); i++)
        input[i] = static_cast<char>(i * 2654435761u >> 24);
    int returncode = -1;
    EXPECT_EQ(filter({"cat"}, input, &returncode), input);
    EXPECT_EQ(returncode, 0);
}

TEST_P(ProcTest, CommunicateAllServesManyChildrenAtOnce)
{
    const size_t n = 4;
    std::vector<proc> children(n);
    std::vector<proc_io> io(n);
    std::vector<std::string> inputs;
    char *argv[] = {arg("tr"), arg("a-z"), arg("A-Z"), nullptr};
    const proc_options o = options(PROC_PIPE, PROC_PIPE);
    for (size_t i = 0; i < n; i++) {
        inputs.push_back(std::string(200000 + i, static_cast<char>('a' + i)));
        ASSERT_EQ(proc_spawn(&children[i], argv, &o), 0);
        io[i].input = inputs[i].data();
        io[i].input_size = inputs[i].size();
    }
    ASSERT_TRUE(proc_communicate_all(children.data(), io.data(), n, 60.0));
    for (size_t i = 0; i < n; i++) {
        EXPECT_EQ(std::string(io[i].out.data, io[i].out.size),
                  std::string(200000 + i, static_cast<char>('A' + i)));
        EXPECT_TRUE(proc_succeeded(&children[i]));
        proc_output_free(&io[i].out);
    }
}

TEST_P(ProcTest, ReadsStdoutAndStderrApart)
{
    char *argv[] = {arg("sh"), arg("-c"), arg("echo out; echo err >&2; exit 4"), nullptr};
    const proc_options o = options(PROC_NULL, PROC_PIPE, PROC_PIPE);
    proc child;
    ASSERT_EQ(proc_spawn(&child, argv, &o), 0);
    proc_io io{};
    ASSERT_TRUE(proc_communicate(&child, &io, -1));
    EXPECT_STREQ(io.out.data, "out\n");
    EXPECT_STREQ(io.err.data, "err\n");
    EXPECT_EQ(proc_returncode(&child), 4);
    proc_output_free(&io.out);
    proc_output_free(&io.err);
}

TEST_P(ProcTest, AChildThatDoesNotReadItsInputIsNoError)
{
    // `true` exits without reading: the parent's write fails with EPIPE, and
    // the parent must not die of SIGPIPE.
    std::string input(1 << 20, 'x');
    int returncode = -1;
    EXPECT_EQ(filter({"true"}, input, &returncode), "");
    EXPECT_EQ(returncode, 0);
}

TEST_P(ProcTest, NullInputIsAnImmediateEndOfFile)
{
    char *argv[] = {arg("cat"), nullptr};
    const proc_options o = options(PROC_NULL, PROC_PIPE);
    proc child;
    ASSERT_EQ(proc_spawn(&child, argv, &o), 0);
    proc_io io{};
    ASSERT_TRUE(proc_communicate(&child, &io, 30.0));
    EXPECT_EQ(io.out.size, 0u);
    EXPECT_STREQ(io.out.data, "");
    EXPECT_TRUE(proc_succeeded(&child));
    proc_output_free(&io.out);
}

TEST_P(ProcTest, PassesTheGivenEnvironment)
{
    char *env[] = {arg("password=zf7ShyBhZ0raQDdE"), arg("PATH=/usr/bin:/bin"), nullptr};
    char *argv[] = {arg("sh"), arg("-c"), arg("printf %s \"$password\""), nullptr};
    proc_options o = options(PROC_NULL, PROC_PIPE);
    o.env = env;
    proc child;
    ASSERT_EQ(proc_spawn(&child, argv, &o), 0);
    proc_io io{};
    ASSERT_TRUE(proc_communicate(&child, &io, 30.0));
    EXPECT_STREQ(io.out.data, "zf7ShyBhZ0raQDdE");
    proc_output_free(&io.out);
}

TEST_P(ProcTest, PipelineFromOneChildToTheNext)
{
    char *upper[] = {arg("tr"), arg("a-z"), arg("A-Z"), nullptr};
    char *count[] = {arg("wc"), arg("-c"), nullptr};
    proc first, second;
    const proc_options o1 = options(PROC_PIPE, PROC_PIPE);
    ASSERT_EQ(proc_spawn(&first, upper, &o1), 0);
    proc_options o2 = options(PROC_FD, PROC_PIPE);
    o2.in.fd = first.out;
    ASSERT_EQ(proc_spawn(&second, count, &o2), 0);
    proc_close(&first.out); // the second child reads it now
    proc children[2] = {first, second};
    proc_io io[2] = {};
    const std::string text = "hello pipeline";
    io[0].input = text.data();
    io[0].input_size = text.size();
    ASSERT_TRUE(proc_communicate_all(children, io, 2, 30.0));
    EXPECT_EQ(std::stoi(io[1].out.data), static_cast<int>(text.size()));
    EXPECT_TRUE(proc_succeeded(&children[0]));
    EXPECT_TRUE(proc_succeeded(&children[1]));
    proc_output_free(&io[1].out);
}

TEST_P(ProcTest, AChildDoesNotInheritAnotherChildsPipeEnds)
{
    // cat ends only when every write end of its stdin is closed.  If the
    // sleeping second child had inherited the parent's end, cat would wait
    // for it for 10 s.
    char *cat[] = {arg("cat"), nullptr};
    char *sleeper[] = {arg("sleep"), arg("10"), nullptr};
    const proc_options piped = options(PROC_PIPE, PROC_NULL);
    const proc_options plain = options();
    proc reader, other;
    ASSERT_EQ(proc_spawn(&reader, cat, &piped), 0);
    ASSERT_EQ(proc_spawn(&other, sleeper, &plain), 0);
    proc_close(&reader.in);
    EXPECT_TRUE(proc_wait(&reader, 5.0)) << "the sleeper holds a copy of cat's stdin";
    proc_stop(&other, 1.0);
    proc_stop(&reader, 1.0);
}

// The pipeline lesson: yes | head -c 1.  Once head has its byte and exits,
// the next write of yes raises SIGPIPE — but only if no one else still holds
// the pipe's read end.
class SigpipeTest : public ProcTest {
protected:
    void run_yes_into_head(bool parent_keeps_read_end, proc *yes, proc *head)
    {
        char *yes_argv[] = {arg("yes"), nullptr};
        char *head_argv[] = {arg("head"), arg("-c"), arg("1"), nullptr};
        const proc_options o1 = options(PROC_NULL, PROC_PIPE);
        ASSERT_EQ(proc_spawn(yes, yes_argv, &o1), 0);
        proc_options o2 = options(PROC_NULL, PROC_PIPE);
        o2.in.how = PROC_FD;
        o2.in.fd = yes->out;
        ASSERT_EQ(proc_spawn(head, head_argv, &o2), 0);
        if (!parent_keeps_read_end)
            proc_close(&yes->out);
        proc_io io{};
        ASSERT_TRUE(proc_communicate(head, &io, 30.0));
        EXPECT_STREQ(io.out.data, "y");
        proc_output_free(&io.out);
    }
};

TEST_P(SigpipeTest, ClosedCopyLetsTheWriterDieOfSigpipe)
{
    proc yes, head;
    run_yes_into_head(false, &yes, &head);
    ASSERT_TRUE(proc_wait(&yes, 30.0));
    EXPECT_EQ(proc_returncode(&yes), -SIGPIPE) << describe(yes);
}

TEST_P(SigpipeTest, OpenCopyKeepsTheWriterBlockedForever)
{
    proc yes, head;
    run_yes_into_head(true, &yes, &head);
    EXPECT_FALSE(proc_wait(&yes, 0.2)) << "yes ended: " << describe(yes);
    proc_stop(&yes, 1.0); // closes the held read end, then SIGTERM
    EXPECT_TRUE(yes.ended);
}

TEST_P(SigpipeTest, ChildGetsDefaultSigpipeEvenWhenTheParentIgnoresIt)
{
    struct sigaction ignore{}, previous{};
    ignore.sa_handler = SIG_IGN;
    ASSERT_EQ(sigaction(SIGPIPE, &ignore, &previous), 0);
    proc yes, head;
    run_yes_into_head(false, &yes, &head);
    ASSERT_TRUE(proc_wait(&yes, 30.0));
    EXPECT_EQ(proc_returncode(&yes), -SIGPIPE) << describe(yes);
    ASSERT_EQ(sigaction(SIGPIPE, &previous, nullptr), 0);
}

INSTANTIATE_TEST_SUITE_P(Methods, ProcTest, ::testing::Values(PROC_POSIX_SPAWN, PROC_FORK_EXEC),
                         [](const auto &info) {
                             return info.param == PROC_POSIX_SPAWN ? "posix_spawn" : "fork_exec";
                         });
INSTANTIATE_TEST_SUITE_P(Methods, SigpipeTest,
                         ::testing::Values(PROC_POSIX_SPAWN, PROC_FORK_EXEC),
                         [](const auto &info) {
                             return info.param == PROC_POSIX_SPAWN ? "posix_spawn" : "fork_exec";
                         });

TEST(ProcStatus, DescribesEveryWayOfEnding)
{
    char text[128];
    EXPECT_STREQ(proc_describe_status(0, text, sizeof text), "exited with status 0");
    EXPECT_STREQ(proc_describe_status(2 << 8, text, sizeof text), "exited with status 2");
    EXPECT_STREQ(proc_describe_status(SIGTERM, text, sizeof text),
                 "killed by signal 15 (SIGTERM)");
    EXPECT_STREQ(proc_describe_status(SIGPIPE, text, sizeof text),
                 "killed by signal 13 (SIGPIPE)");
}

TEST(ProcAccounting, CountsDescriptorsOpenedAndClosed)
{
    const int before = proc_open_fd_count();
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(proc_open_fd_count(), before + 1);
    proc_close(&fd);
    EXPECT_EQ(fd, -1);
    EXPECT_EQ(proc_open_fd_count(), before);
    proc_close(&fd); // closing twice is a no-op
}

TEST(ProcAccounting, SeesAChildUntilItIsReaped)
{
    EXPECT_FALSE(proc_has_children());
    char *argv[] = {arg("true"), nullptr};
    proc child;
    ASSERT_EQ(proc_spawn(&child, argv, nullptr), 0);
    EXPECT_TRUE(proc_has_children());
    clock_sleep(0.02); // ended, not reaped: still a child, and still there after the check
    EXPECT_TRUE(proc_has_children());
    EXPECT_TRUE(proc_has_children());
    ASSERT_TRUE(proc_wait(&child, -1));
    EXPECT_TRUE(proc_succeeded(&child)) << "the check must not reap it";
    EXPECT_FALSE(proc_has_children());
}
