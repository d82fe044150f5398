// children: every child is tracked until reaped, and SIGINT, SIGTERM or
// SIGHUP sent to the parent alone ends the parent by that signal and its
// children by SIGTERM.  The "program" of these tests is a forked copy of the
// test process; the test is a subreaper, so the program's orphans come back
// to it and can be waited for.
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <ctime>
#include <thread>

#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "children.h"

extern char **environ;

namespace {

pid_t wait_for(pid_t pid, int *status)
{
    pid_t got;
    while ((got = waitpid(pid, status, 0)) < 0 && errno == EINTR) {
    }
    return got;
}

// Makes this test a subreaper for its lifetime.
class ChildrenTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L), 0); }
    void TearDown() override { prctl(PR_SET_CHILD_SUBREAPER, 0L, 0L, 0L, 0L); }
};

// How the child of the program below takes SIGTERM.
enum class OnTerm { Die, DieLate, Ignore };

// A child's SIGTERM handler: ends it 300 ms after the signal.
void die_late(int)
{
    struct timespec late = {0, 300000000L};
    nanosleep(&late, nullptr);
    _exit(7);
}

// In a forked program: starts one child through children_fork that waits
// for a signal, sends its pid on REPORT_FD, and waits itself.  Never returns.
[[noreturn]] void program_with_one_child(int report_fd, bool ignore_sigint,
                                         OnTerm on_term = OnTerm::Die)
{
    if (ignore_sigint)
        signal(SIGINT, SIG_IGN);
    pid_t child = children_fork();
    if (child == 0) {
        if (on_term != OnTerm::Die)
            signal(SIGTERM, on_term == OnTerm::Ignore ? SIG_IGN : die_late);
        for (;;)
            pause();
    }
    if (child < 0 || write(report_fd, &child, sizeof child) != sizeof child)
        _exit(99);
    for (;;)
        pause();
}

// Forks the program above; returns its pid and its child's.
pid_t start_program(pid_t *child, bool ignore_sigint, OnTerm on_term = OnTerm::Die)
{
    int ends[2];
    EXPECT_EQ(pipe(ends), 0);
    pid_t program = fork();
    if (program == 0) {
        close(ends[0]);
        program_with_one_child(ends[1], ignore_sigint, on_term);
    }
    close(ends[1]);
    EXPECT_EQ(read(ends[0], child, sizeof *child), (ssize_t)sizeof *child);
    close(ends[0]);
    return program;
}

void expect_killed_by(pid_t pid, int signal_number)
{
    int status = 0;
    ASSERT_EQ(wait_for(pid, &status), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status;
    EXPECT_EQ(WTERMSIG(status), signal_number);
}

TEST_F(ChildrenTest, ForkedChildIsTrackedUntilReaped)
{
    int before = children_tracked();
    pid_t child = children_fork();
    if (child == 0)
        _exit(children_tracked() == 0 ? 3 : 4); // the parent's children are not its own
    ASSERT_GT(child, 0);
    EXPECT_EQ(children_tracked(), before + 1);
    int status = 0;
    ASSERT_TRUE(children_reap(child, true, &status));
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 3);
    EXPECT_EQ(children_tracked(), before);
}

TEST_F(ChildrenTest, ReapWithoutBlockingSaysStillRunning)
{
    pid_t child = children_fork();
    if (child == 0) {
        for (;;)
            pause();
    }
    ASSERT_GT(child, 0);
    int status = 0;
    EXPECT_FALSE(children_reap(child, false, &status));
    EXPECT_EQ(children_tracked(), 1);
    ASSERT_EQ(kill(child, SIGKILL), 0);
    ASSERT_TRUE(children_reap(child, true, &status));
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    EXPECT_EQ(children_tracked(), 0);
}

int spawn_true(void *context, pid_t *pid)
{
    (void)context;
    char *argv[] = {const_cast<char *>("true"), nullptr};
    return posix_spawnp(pid, "true", nullptr, nullptr, argv, environ);
}

TEST_F(ChildrenTest, SpawnedChildIsTrackedToo)
{
    pid_t child = -1;
    ASSERT_EQ(children_start(spawn_true, nullptr, &child), 0);
    EXPECT_EQ(children_tracked(), 1);
    int status = 0;
    ASSERT_TRUE(children_reap(child, true, &status));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_EQ(children_tracked(), 0);
}

TEST_F(ChildrenTest, ChildStartsWithEndingSignalsAtDefault)
{
    pid_t child = children_fork(); // installs the handlers in this process
    if (child == 0) {
        struct sigaction now {};
        sigset_t mask;
        sigaction(SIGINT, nullptr, &now);
        sigprocmask(SIG_SETMASK, nullptr, &mask);
        _exit(now.sa_handler == SIG_DFL && !sigismember(&mask, SIGINT) ? 0 : 1);
    }
    int status = 0;
    ASSERT_TRUE(children_reap(child, true, &status));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

class EndingSignal : public ChildrenTest, public ::testing::WithParamInterface<int> {};

TEST_P(EndingSignal, EndsTheProgramByItAndItsChildByTerm)
{
    pid_t child = -1;
    pid_t program = start_program(&child, false);
    ASSERT_GT(program, 0);
    ASSERT_EQ(kill(program, GetParam()), 0); // the program alone, not its group
    expect_killed_by(program, GetParam());
    expect_killed_by(child, SIGTERM); // an orphan, handed to this subreaper
}

INSTANTIATE_TEST_SUITE_P(Signals, EndingSignal, ::testing::Values(SIGINT, SIGTERM, SIGHUP));

// The program ends after its child, never before: once the program is
// reaped, the child (a slow one) has already ended, so it can be reaped at
// once.
TEST_F(ChildrenTest, ProgramEndsOnlyAfterItsChild)
{
    pid_t child = -1;
    pid_t program = start_program(&child, false, OnTerm::DieLate);
    ASSERT_GT(program, 0);
    struct timespec settle = {0, 50000000L}; // the child's handler is set by now
    nanosleep(&settle, nullptr);
    ASSERT_EQ(kill(program, SIGTERM), 0);
    expect_killed_by(program, SIGTERM);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, WNOHANG), child) << "the child still ran";
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 7) << "status " << status;
}

// A child that ignores SIGTERM gets SIGKILL after the grace (5 s).
TEST_F(ChildrenTest, ChildIgnoringTermIsKilledAfterTheGrace)
{
    pid_t child = -1;
    pid_t program = start_program(&child, false, OnTerm::Ignore);
    ASSERT_GT(program, 0);
    struct timespec settle = {0, 50000000L};
    nanosleep(&settle, nullptr);
    ASSERT_EQ(kill(program, SIGINT), 0);
    expect_killed_by(program, SIGINT);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, WNOHANG), child) << "the child still ran";
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
}

TEST_F(ChildrenTest, SigintIgnoredAtStartStaysIgnored)
{
    pid_t child = -1;
    pid_t program = start_program(&child, true);
    ASSERT_GT(program, 0);
    ASSERT_EQ(kill(program, SIGINT), 0);
    // Both pending at once: Linux delivers the lower-numbered SIGINT first.
    ASSERT_EQ(kill(program, SIGTERM), 0);
    expect_killed_by(program, SIGTERM);
    expect_killed_by(child, SIGTERM);
}

// A program that keeps one child running from a thread of its own, and
// starts a new one whenever it ends, as a process pool replaces a worker
// that died.  The thread holds the ending signals off, so that the handler
// runs in the main thread while the keeper goes on.
[[noreturn]] void program_replacing_its_child(int report_fd)
{
    std::thread keeper([report_fd] {
        sigset_t ending;
        sigemptyset(&ending);
        sigaddset(&ending, SIGINT);
        sigaddset(&ending, SIGTERM);
        sigaddset(&ending, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &ending, nullptr);
        bool reported = false;
        for (;;) {
            pid_t child = children_fork();
            if (child == 0) {
                for (;;)
                    pause();
            }
            if (child < 0) { // refused: the program is ending
                struct timespec pause_briefly = {0, 1000000L};
                nanosleep(&pause_briefly, nullptr);
                continue;
            }
            if (!reported && write(report_fd, &child, sizeof child) != sizeof child)
                _exit(99);
            reported = true;
            int status;
            children_reap(child, true, &status);
        }
    });
    keeper.detach();
    for (;;)
        pause();
}

double seconds_since(const struct timespec &start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) * 1e-9;
}

// Once the handler is ending the program, no child may start: a replacement
// it never signalled would make it wait out its whole grace (5 s) before
// its SIGKILL.  The bound is generous; the point is "not the grace".
TEST_F(ChildrenTest, NoChildStartsOnceTheProgramIsEnding)
{
    int ends[2];
    ASSERT_EQ(pipe(ends), 0);
    pid_t program = fork();
    if (program == 0) {
        close(ends[0]);
        program_replacing_its_child(ends[1]);
    }
    close(ends[1]);
    pid_t first = -1;
    ASSERT_EQ(read(ends[0], &first, sizeof first), (ssize_t)sizeof first);
    close(ends[0]);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    ASSERT_EQ(kill(program, SIGINT), 0);
    expect_killed_by(program, SIGINT);
    EXPECT_LT(seconds_since(start), 3.0) << "the handler waited out its grace";
    // Every child it started has ended: this subreaper reaps them all at once.
    int status;
    pid_t got;
    while ((got = waitpid(-1, &status, WNOHANG)) > 0) {
    }
    EXPECT_TRUE(got < 0 && errno == ECHILD) << "a child of the program still runs";
}

} // namespace
