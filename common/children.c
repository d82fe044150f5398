#include "children.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fail.h"

static const int ending_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define N_ENDING (sizeof ending_signals / sizeof ending_signals[0])

/* The pid of each tracked child, 0 in a free slot.  Atomics, because the
 * signal handler reads them whatever the other threads are doing. */
static atomic_int tracked[CHILDREN_MAX];
static atomic_int n_tracked;

/* The process that installed the handlers (0: none).  A child's copy of it
 * names its parent, so a child that starts children of its own installs
 * them again. */
static atomic_int installed_in;

/* Set by the handler before it signals anybody: from then on no child
 * starts.  Without it, a pool that sees its workers die of the handler's
 * SIGTERM forks replacements the handler never signalled, and the handler
 * waits out its whole grace for them. */
static atomic_bool ending;

/* How long the handler waits for the children it sent SIGTERM before it
 * sends SIGKILL, and then for those it killed.  Most end within a
 * millisecond; Open MPI's mpiexec takes a second to stop its ranks. */
#define STOP_GRACE_S 5
#define KILL_GRACE_S 1
#define STOP_PAUSE_NS 1000000L /* 1 ms between two looks */

/* The handler's own helpers: only async-signal-safe calls. */
static void signal_tracked(int number)
{
    for (size_t i = 0; i < CHILDREN_MAX; i++) {
        pid_t pid = atomic_load_explicit(&tracked[i], memory_order_relaxed);
        if (pid > 0)
            (void)kill(pid, number);
    }
}

/* True when every tracked child has ended.  WNOWAIT: the child is only
 * looked at, not reaped, so a thread waiting for it still finds it, and
 * its pid stays its own until this process ends. */
static bool tracked_all_ended(void)
{
    for (size_t i = 0; i < CHILDREN_MAX; i++) {
        pid_t pid = atomic_load_explicit(&tracked[i], memory_order_relaxed);
        if (pid <= 0)
            continue;
        siginfo_t info;
        memset(&info, 0, sizeof info);
        /* An error means reaped by another thread meanwhile: ended too. */
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0)
            return false;
    }
    return true;
}

/* Waits until every tracked child has ended or SECONDS have passed; true
 * when they all ended. */
static bool wait_tracked(time_t seconds)
{
    struct timespec start, now, pause = {0, STOP_PAUSE_NS};
    (void)clock_gettime(CLOCK_MONOTONIC, &start);
    while (!tracked_all_ended()) {
        (void)clock_gettime(CLOCK_MONOTONIC, &now);
        long long waited_ns = (long long)(now.tv_sec - start.tv_sec) * 1000000000LL +
                              (now.tv_nsec - start.tv_nsec);
        if (waited_ns >= (long long)seconds * 1000000000LL)
            return false;
        (void)nanosleep(&pause, NULL);
    }
    return true;
}

/* Sends SIGTERM to every tracked child and waits for them to end (SIGKILL
 * after STOP_GRACE_S), then dies of NUMBER: the program ends after its
 * children, never before.  NUMBER is blocked while this runs, so raise()
 * takes effect, with the default action, when the handler returns. */
static void end_children_and_self(int number)
{
    atomic_store(&ending, true);
    /* Pairs with the fence in start_tracked: a child tracked after the scan
     * below sees ENDING there, and is ended by its starter. */
    atomic_thread_fence(memory_order_seq_cst);
    signal_tracked(SIGTERM);
    if (!wait_tracked(STOP_GRACE_S)) {
        signal_tracked(SIGKILL);
        (void)wait_tracked(KILL_GRACE_S);
    }
    struct sigaction default_action;
    memset(&default_action, 0, sizeof default_action);
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    (void)sigaction(number, &default_action, NULL);
    (void)raise(number);
}

static void fill_ending_set(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < N_ENDING; i++)
        sigaddset(set, ending_signals[i]);
}

/* Installs the handler for each ending signal not ignored now, once per
 * process.  Two threads doing it at once install the same thing twice. */
static void install_handlers(void)
{
    pid_t self = getpid();
    if (atomic_load(&installed_in) == self)
        return;
    struct sigaction handler;
    memset(&handler, 0, sizeof handler);
    handler.sa_handler = end_children_and_self;
    fill_ending_set(&handler.sa_mask); /* one ending signal at a time */
    for (size_t i = 0; i < N_ENDING; i++) {
        struct sigaction now;
        if (sigaction(ending_signals[i], NULL, &now) != 0)
            fail_sys("sigaction");
        if (now.sa_handler == SIG_IGN)
            continue; /* nohup, or a background job: leave it ignored */
        if (sigaction(ending_signals[i], &handler, NULL) != 0)
            fail_sys("sigaction");
    }
    atomic_store(&installed_in, self);
}

static void hold_ending_signals(sigset_t *saved)
{
    sigset_t ending;
    fill_ending_set(&ending);
    int error = pthread_sigmask(SIG_BLOCK, &ending, saved);
    if (error != 0)
        fail_code("pthread_sigmask", error);
}

static void release_ending_signals(const sigset_t *saved)
{
    int error = pthread_sigmask(SIG_SETMASK, saved, NULL);
    if (error != 0)
        fail_code("pthread_sigmask", error);
}

static bool track(pid_t pid)
{
    for (size_t i = 0; i < CHILDREN_MAX; i++) {
        int expected = 0;
        if (atomic_load_explicit(&tracked[i], memory_order_relaxed) == 0 &&
            atomic_compare_exchange_strong(&tracked[i], &expected, pid)) {
            atomic_fetch_add(&n_tracked, 1);
            return true;
        }
    }
    return false;
}

static void untrack(pid_t pid)
{
    for (size_t i = 0; i < CHILDREN_MAX; i++) {
        int expected = pid;
        if (atomic_compare_exchange_strong(&tracked[i], &expected, 0)) {
            atomic_fetch_sub(&n_tracked, 1);
            return;
        }
    }
}

/* In a new child (one thread, only async-signal-safe calls: it may exec
 * next): its parent's children are not its own, the ending signals are back
 * to their default action unless ignored, and none is blocked. */
static void become_child(const sigset_t *saved)
{
    for (size_t i = 0; i < CHILDREN_MAX; i++)
        atomic_store_explicit(&tracked[i], 0, memory_order_relaxed);
    atomic_store(&n_tracked, 0);
    atomic_store(&ending, false); /* its parent's ending is not its own */
    struct sigaction now, default_action;
    memset(&default_action, 0, sizeof default_action);
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    for (size_t i = 0; i < N_ENDING; i++)
        if (sigaction(ending_signals[i], NULL, &now) == 0 && now.sa_handler != SIG_IGN)
            (void)sigaction(ending_signals[i], &default_action, NULL);
    sigset_t mask = *saved;
    for (size_t i = 0; i < N_ENDING; i++)
        sigdelset(&mask, ending_signals[i]);
    (void)sigprocmask(SIG_SETMASK, &mask, NULL);
}

/* A child that cannot be tracked is not left running. */
static void discard(pid_t pid)
{
    int status;
    (void)kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
}

/* A child started while the handler was already ending the others: it
 * missed their SIGTERM, so it gets one of its own, and is reaped here. */
static void end_late_child(pid_t pid)
{
    (void)kill(pid, SIGTERM);
    int status;
    (void)children_reap(pid, true, &status);
}

/* START with the ending signals held off in this thread, then tracking.
 * START may be a fork: in the child (*PID == 0) nothing is tracked.  Once
 * the program is ending, nothing starts: ECANCELED. */
static int start_tracked(int (*start)(void *context, pid_t *pid), void *context, pid_t *pid)
{
    install_handlers();
    if (children_ending())
        return ECANCELED;
    sigset_t saved;
    hold_ending_signals(&saved);
    int error = start(context, pid);
    if (error == 0 && *pid == 0) {
        become_child(&saved);
        return 0;
    }
    if (error == 0 && !track(*pid)) {
        discard(*pid);
        error = EAGAIN;
    }
    atomic_thread_fence(memory_order_seq_cst); /* see end_children_and_self */
    if (error == 0 && children_ending()) {
        end_late_child(*pid);
        error = ECANCELED;
    }
    release_ending_signals(&saved);
    return error;
}

static int fork_start(void *unused, pid_t *pid)
{
    (void)unused;
    *pid = fork();
    return *pid < 0 ? errno : 0;
}

pid_t children_fork(void)
{
    fflush(NULL);
    pid_t pid = -1;
    int error = start_tracked(fork_start, NULL, &pid);
    if (error != 0) {
        errno = error;
        return -1;
    }
    return pid;
}

int children_start(int (*start)(void *context, pid_t *pid), void *context, pid_t *pid)
{
    return start_tracked(start, context, pid);
}

bool children_reap(pid_t pid, bool block, int *status)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    /* Wait without reaping, so the pid stays this child's until untracked. */
    while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT | (block ? 0 : WNOHANG)) != 0) {
        if (errno != EINTR)
            fail_sys("waitid");
    }
    if (info.si_pid == 0)
        return false;
    untrack(pid);
    while (waitpid(pid, status, 0) < 0) {
        if (errno != EINTR)
            fail_sys("waitpid");
    }
    return true;
}

int children_tracked(void) { return atomic_load(&n_tracked); }

bool children_ending(void) { return atomic_load(&ending); }
