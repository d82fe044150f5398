/* pipe2 with O_CLOEXEC makes a pipe that no concurrently started child can
 * inherit; it is POSIX.1-2024, which glibc still declares only for GNU. */
#define _GNU_SOURCE
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "children.h"
#include "clock.h"
#include "fail.h"

extern char **environ;

/* The longest pause of a timed wait: how late proc_wait may notice an end. */
#define WAIT_PAUSE_MAX_S 0.005
#define READ_CHUNK 65536

enum { STREAMS = 3 };

/* ---- descriptors -------------------------------------------------------- */

void proc_close(int *fd)
{
    if (*fd < 0)
        return;
    /* On Linux the descriptor is gone even when close reports EINTR: never retry. */
    if (close(*fd) != 0 && errno != EINTR)
        fail_sys("close");
    *fd = -1;
}

void proc_close_pipes(struct proc *proc)
{
    proc_close(&proc->in);
    proc_close(&proc->out);
    proc_close(&proc->err);
}

/* Moves *FD above 2, keeping it close-on-exec: a pipe end that took the
 * number of a standard stream (the parent had closed it) would be clobbered
 * when the child's streams are set up. */
static int move_above_stdio(int *fd)
{
    if (*fd > 2)
        return 0;
    int moved = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
    if (moved < 0)
        return errno;
    close(*fd);
    *fd = moved;
    return 0;
}

/* A close-on-exec pipe whose ends are both above 2.  Returns 0 or errno. */
static int make_pipe(int ends[2])
{
    if (pipe2(ends, O_CLOEXEC) != 0)
        return errno;
    int error = move_above_stdio(&ends[0]);
    if (error == 0)
        error = move_above_stdio(&ends[1]);
    if (error != 0) {
        proc_close(&ends[0]);
        proc_close(&ends[1]);
    }
    return error;
}

int proc_open_fd_count(void)
{
    DIR *dir = opendir("/proc/self/fd");
    if (dir != NULL) {
        int count = 0;
        for (struct dirent *entry; (entry = readdir(dir)) != NULL;)
            count += entry->d_name[0] != '.';
        closedir(dir);
        return count - 1; /* the directory's own descriptor */
    }
    long limit = sysconf(_SC_OPEN_MAX);
    if (limit < 0 || limit > 65536)
        limit = 65536;
    int count = 0;
    for (int fd = 0; fd < limit; fd++)
        count += fcntl(fd, F_GETFD) != -1;
    return count;
}

bool proc_has_children(void)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int rc;
    do
        rc = waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
    while (rc != 0 && errno == EINTR);
    if (rc != 0 && errno != ECHILD)
        fail_sys("waitid");
    return rc == 0;
}

/* ---- starting a child --------------------------------------------------- */

/* What the child's stream S becomes: how, and from which descriptor. */
struct wiring {
    enum proc_stream how[STREAMS];
    int source[STREAMS];       /* descriptor to dup onto S, -1: none */
    int pipe_ends[STREAMS][2]; /* PROC_PIPE: [0] read, [1] write; else -1 */
};

static void close_wiring(struct wiring *wiring)
{
    for (int s = 0; s < STREAMS; s++) {
        proc_close(&wiring->pipe_ends[s][0]);
        proc_close(&wiring->pipe_ends[s][1]);
    }
}

/* Fills WIRING from OPTIONS, making the pipes.  Returns 0 or an errno. */
static int plan_wiring(const struct proc_options *options, struct wiring *wiring)
{
    const struct proc_redirect *redirect[STREAMS] = {&options->in, &options->out, &options->err};
    for (int s = 0; s < STREAMS; s++) {
        wiring->how[s] = redirect[s]->how;
        wiring->source[s] = -1;
        wiring->pipe_ends[s][0] = wiring->pipe_ends[s][1] = -1;
    }
    for (int s = 0; s < STREAMS; s++) {
        int fd = redirect[s]->fd;
        switch (redirect[s]->how) {
        case PROC_INHERIT:
        case PROC_NULL:
            break;
        case PROC_FD:
            if (fd < 0 || (fd <= 2 && fd != s))
                return EINVAL;
            wiring->source[s] = fd == s ? -1 : fd;
            break;
        case PROC_PIPE: {
            int error = make_pipe(wiring->pipe_ends[s]);
            if (error != 0)
                return error;
            /* The child reads its stdin from the read end, writes to the write end. */
            wiring->source[s] = wiring->pipe_ends[s][s == 0 ? 0 : 1];
            break;
        }
        default:
            return EINVAL;
        }
    }
    return 0;
}

static int open_flags(int stream) { return stream == 0 ? O_RDONLY : O_WRONLY; }

static int add_file_actions(posix_spawn_file_actions_t *actions, const struct wiring *wiring)
{
    for (int s = 0; s < STREAMS; s++) {
        int error = 0;
        if (wiring->how[s] == PROC_NULL)
            error = posix_spawn_file_actions_addopen(actions, s, "/dev/null", open_flags(s), 0);
        else if (wiring->source[s] >= 0)
            error = posix_spawn_file_actions_adddup2(actions, wiring->source[s], s);
        if (error != 0)
            return error;
    }
    return 0;
}

/* Python's restore_signals: the child starts with SIGPIPE and SIGXFSZ at
 * their default action (an ignored signal stays ignored across exec) and
 * with no signal blocked. */
static int add_signal_defaults(posix_spawnattr_t *attr)
{
    sigset_t defaults, none;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGXFSZ);
    sigemptyset(&none);
    int error = posix_spawnattr_setsigdefault(attr, &defaults);
    if (error == 0)
        error = posix_spawnattr_setsigmask(attr, &none);
    if (error == 0)
        error = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    return error;
}

/* What spawn_posix needs, passed through children_start. */
struct spawn_request {
    char *const *argv, *const *envp;
    posix_spawn_file_actions_t *actions;
    posix_spawnattr_t *attr;
};

static int start_posix(void *context, pid_t *pid)
{
    const struct spawn_request *request = context;
    return posix_spawnp(pid, request->argv[0], request->actions, request->attr, request->argv,
                        request->envp);
}

/* glibc's posix_spawnp reports a failed exec (ENOENT, EACCES) as its own
 * result and leaves no child behind.  The child is tracked (children.h). */
static int spawn_posix(pid_t *pid, char *const argv[], char *const envp[],
                       const struct wiring *wiring)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    int error = posix_spawn_file_actions_init(&actions);
    if (error != 0)
        return error;
    error = posix_spawnattr_init(&attr);
    if (error != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return error;
    }
    error = add_file_actions(&actions, wiring);
    if (error == 0)
        error = add_signal_defaults(&attr);
    struct spawn_request request = {argv, envp, &actions, &attr};
    if (error == 0)
        error = children_start(start_posix, &request, pid);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    return error;
}

/* The forked child: only async-signal-safe calls until exec.  A failure is
 * sent to the parent as an errno value on REPORT_FD, which exec closes. */
static _Noreturn void exec_child(char *const argv[], char *const envp[],
                                 const struct wiring *wiring, int report_fd)
{
    struct sigaction default_action;
    memset(&default_action, 0, sizeof default_action);
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    sigaction(SIGPIPE, &default_action, NULL);
    sigaction(SIGXFSZ, &default_action, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 0; s < STREAMS; s++) {
        int fd = wiring->source[s];
        if (wiring->how[s] == PROC_NULL && (fd = open("/dev/null", open_flags(s))) < 0)
            goto failed;
        if (fd >= 0 && fd != s && dup2(fd, s) < 0)
            goto failed;
        if (wiring->how[s] == PROC_NULL && fd != s)
            close(fd);
    }
    environ = (char **)envp;
    execvp(argv[0], argv);
failed:;
    int error = errno;
    ssize_t ignored = write(report_fd, &error, sizeof error);
    (void)ignored;
    _exit(127);
}

/* fork then exec, with a close-on-exec pipe telling the parent whether the
 * exec happened: end of file means it did, an errno value that it failed. */
static int spawn_fork(pid_t *pid, char *const argv[], char *const envp[],
                      const struct wiring *wiring)
{
    int report[2];
    int error = make_pipe(report);
    if (error != 0)
        return error;
    pid_t child = children_fork();
    if (child < 0) {
        error = errno;
        proc_close(&report[0]);
        proc_close(&report[1]);
        return error;
    }
    if (child == 0)
        exec_child(argv, envp, wiring, report[1]);
    proc_close(&report[1]);
    int child_error = 0;
    ssize_t got;
    while ((got = read(report[0], &child_error, sizeof child_error)) < 0 && errno == EINTR)
        ;
    proc_close(&report[0]);
    if (got > 0) {
        int status;
        children_reap(child, true, &status);
        return child_error != 0 ? child_error : ECHILD;
    }
    *pid = child;
    return 0;
}

int proc_spawn(struct proc *proc, char *const argv[], const struct proc_options *options)
{
    static const struct proc_options inherit_all;
    *proc = (struct proc){.pid = -1, .in = -1, .out = -1, .err = -1};
    if (argv == NULL || argv[0] == NULL)
        return EINVAL;
    if (options == NULL)
        options = &inherit_all;
    struct wiring wiring;
    int error = plan_wiring(options, &wiring);
    char *const *envp = options->env != NULL ? options->env : environ;
    pid_t pid = -1;
    if (error == 0)
        error = options->method == PROC_FORK_EXEC ? spawn_fork(&pid, argv, envp, &wiring)
                                                  : spawn_posix(&pid, argv, envp, &wiring);
    if (error != 0) {
        close_wiring(&wiring);
        return error;
    }
    /* The parent keeps its own ends; the child's ends now live in the child. */
    *proc = (struct proc){.pid = pid,
                          .in = wiring.pipe_ends[0][1],
                          .out = wiring.pipe_ends[1][0],
                          .err = wiring.pipe_ends[2][0]};
    wiring.pipe_ends[0][1] = wiring.pipe_ends[1][0] = wiring.pipe_ends[2][0] = -1;
    close_wiring(&wiring);
    return 0;
}

/* ---- waiting and stopping ----------------------------------------------- */

/* Reaps PROC if it has ended (blocking until it does when BLOCK). */
static bool reap(struct proc *proc, bool block)
{
    if (proc->pid < 0 || proc->ended)
        return true;
    int status;
    if (!children_reap(proc->pid, block, &status))
        return false;
    proc->ended = true;
    proc->status = status;
    return true;
}

bool proc_poll(struct proc *proc) { return reap(proc, false); }

bool proc_wait(struct proc *proc, double timeout_s)
{
    if (timeout_s < 0)
        return reap(proc, true);
    /* POSIX has no waitpid with a deadline: poll, with pauses that start
     * short (most children the caller waits on with a deadline end soon) and
     * double up to WAIT_PAUSE_MAX_S, never past the deadline. */
    double deadline = clock_now() + timeout_s, pause = 0.0001;
    while (!reap(proc, false)) {
        double left = deadline - clock_now();
        if (left <= 0)
            return false;
        clock_sleep(pause < left ? pause : left);
        pause = fmin(2 * pause, WAIT_PAUSE_MAX_S);
    }
    return true;
}

static void send_signal(struct proc *proc, int signal_number)
{
    /* A reaped child's pid may already belong to another process. */
    if (proc->pid < 0 || proc->ended)
        return;
    if (kill(proc->pid, signal_number) != 0)
        fail_sys("kill");
}

void proc_terminate(struct proc *proc) { send_signal(proc, SIGTERM); }

void proc_kill(struct proc *proc) { send_signal(proc, SIGKILL); }

void proc_stop(struct proc *proc, double grace_s)
{
    proc_close_pipes(proc);
    if (proc->pid < 0 || proc_poll(proc))
        return;
    proc_terminate(proc);
    if (!proc_wait(proc, grace_s)) {
        proc_kill(proc);
        proc_wait(proc, -1);
    }
}

/* ---- communicating ------------------------------------------------------ */

void proc_output_free(struct proc_output *output)
{
    free(output->data);
    *output = (struct proc_output){0};
}

/* write(2) that turns the SIGPIPE a closed reader would raise into EPIPE for
 * this thread only: SIGPIPE is blocked around the write and, if the write
 * raised it, taken off the pending set before unblocking. */
static ssize_t write_without_sigpipe(int fd, const void *data, size_t size)
{
    sigset_t pipe_only, previous, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    int error = pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);
    if (error != 0)
        fail_code("pthread_sigmask", error);
    sigemptyset(&pending);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE) == 1;
    ssize_t written = write(fd, data, size);
    int write_errno = errno;
    if (written < 0 && write_errno == EPIPE && !was_pending) {
        struct timespec no_wait = {0, 0};
        while (sigtimedwait(&pipe_only, NULL, &no_wait) < 0 && errno == EINTR)
            ;
    }
    error = pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (error != 0)
        fail_code("pthread_sigmask", error);
    errno = write_errno;
    return written;
}

/* Writes what the pipe takes now of IO's remaining input (the write end is
 * non-blocking); closes it when all is written or the child stopped reading. */
static void feed(struct proc *proc, struct proc_io *io)
{
    const char *rest = (const char *)io->input + io->sent;
    ssize_t written = write_without_sigpipe(proc->in, rest, io->input_size - io->sent);
    if (written >= 0) {
        io->sent += (size_t)written;
        if (io->sent == io->input_size)
            proc_close(&proc->in);
        return;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return;
    if (errno != EPIPE)
        fail_sys("write");
    proc_close(&proc->in); /* the child closed its stdin: drop the rest */
}

static void ensure_room(struct proc_output *output, size_t room)
{
    if (output->capacity - output->size > room)
        return;
    size_t capacity = output->capacity ? output->capacity : READ_CHUNK;
    while (capacity - output->size <= room)
        capacity *= 2;
    char *data = realloc(output->data, capacity);
    if (data == NULL)
        fail_wrong("out of memory for %zu bytes of a child's output", capacity);
    output->data = data;
    output->capacity = capacity;
    output->data[output->size] = '\0'; /* a string even if nothing more comes */
}

/* Reads what is there from *FD into OUTPUT; closes *FD at end of file. */
static void drain(int *fd, struct proc_output *output)
{
    ensure_room(output, READ_CHUNK);
    ssize_t got = read(*fd, output->data + output->size, READ_CHUNK);
    if (got > 0) {
        output->size += (size_t)got;
        output->data[output->size] = '\0';
    } else if (got == 0) {
        proc_close(fd);
    } else if (errno != EINTR && errno != EAGAIN) {
        fail_sys("read");
    }
}

/* One open pipe end of one child, as handed to poll. */
struct slot {
    size_t child;
    int stream; /* 0 stdin, 1 stdout, 2 stderr */
};

static size_t collect_slots(struct proc *procs, size_t count, struct pollfd *fds,
                            struct slot *slots)
{
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        const int ends[STREAMS] = {procs[i].in, procs[i].out, procs[i].err};
        for (int s = 0; s < STREAMS; s++) {
            if (ends[s] < 0)
                continue;
            fds[n] = (struct pollfd){.fd = ends[s], .events = s == 0 ? POLLOUT : POLLIN};
            slots[n++] = (struct slot){.child = i, .stream = s};
        }
    }
    return n;
}

/* Milliseconds left before DEADLINE for poll: -1 without a deadline, 0 when
 * it has passed, rounded up so poll never returns just before it. */
static int poll_timeout_ms(double deadline)
{
    if (deadline < 0)
        return -1;
    double left_ms = ceil((deadline - clock_now()) * 1000.0);
    return left_ms <= 0 ? 0 : left_ms > INT_MAX ? INT_MAX : (int)left_ms;
}

static void start_feeding(struct proc *procs, struct proc_io *io, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (procs[i].in < 0)
            continue;
        if (io[i].input == NULL || io[i].sent >= io[i].input_size) {
            proc_close(&procs[i].in); /* nothing to say: the child sees end of file */
            continue;
        }
        int flags = fcntl(procs[i].in, F_GETFL);
        if (flags < 0 || fcntl(procs[i].in, F_SETFL, flags | O_NONBLOCK) != 0)
            fail_sys("fcntl");
    }
}

/* Moves data through every open pipe until all are closed; false when the
 * deadline came first. */
static bool pump(struct proc *procs, struct proc_io *io, size_t count, double deadline)
{
    struct pollfd *fds = calloc(STREAMS * count + 1, sizeof *fds);
    struct slot *slots = calloc(STREAMS * count + 1, sizeof *slots);
    if (fds == NULL || slots == NULL)
        fail_wrong("out of memory for %zu children's pipes", count);
    bool done = true;
    for (size_t n; (n = collect_slots(procs, count, fds, slots)) > 0;) {
        int timeout_ms = poll_timeout_ms(deadline);
        int ready = timeout_ms == 0 ? 0 : poll(fds, (nfds_t)n, timeout_ms);
        if (ready < 0 && errno != EINTR)
            fail_sys("poll");
        if (ready == 0 && timeout_ms == 0) {
            done = false;
            break;
        }
        for (size_t k = 0; ready > 0 && k < n; k++) {
            if (fds[k].revents == 0)
                continue;
            struct proc *proc = &procs[slots[k].child];
            struct proc_io *child_io = &io[slots[k].child];
            if (slots[k].stream == 0)
                feed(proc, child_io);
            else if (slots[k].stream == 1)
                drain(&proc->out, &child_io->out);
            else
                drain(&proc->err, &child_io->err);
        }
    }
    free(fds);
    free(slots);
    return done;
}

bool proc_communicate_all(struct proc *procs, struct proc_io *io, size_t count, double timeout_s)
{
    double deadline = timeout_s < 0 ? -1.0 : clock_now() + timeout_s;
    start_feeding(procs, io, count);
    if (!pump(procs, io, count, deadline))
        return false;
    for (size_t i = 0; i < count; i++) {
        double left = deadline < 0 ? -1.0 : fmax(0.0, deadline - clock_now());
        if (!proc_wait(&procs[i], left))
            return false;
    }
    return true;
}

bool proc_communicate(struct proc *proc, struct proc_io *io, double timeout_s)
{
    return proc_communicate_all(proc, io, 1, timeout_s);
}

/* ---- how a child ended -------------------------------------------------- */

int proc_returncode(const struct proc *proc)
{
    if (WIFEXITED(proc->status))
        return WEXITSTATUS(proc->status);
    if (WIFSIGNALED(proc->status))
        return -WTERMSIG(proc->status);
    return INT_MIN;
}

bool proc_succeeded(const struct proc *proc)
{
    return proc->pid > 0 && proc->ended && WIFEXITED(proc->status) &&
           WEXITSTATUS(proc->status) == 0;
}

static const char *signal_name(int number)
{
    static const struct {
        int number;
        const char *name;
    } names[] = {
        {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
        {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},   {SIGKILL, "SIGKILL"},
        {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"}, {SIGPIPE, "SIGPIPE"},
        {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"}, {SIGXFSZ, "SIGXFSZ"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].number == number)
            return names[i].name;
    return "?";
}

/* WCOREDUMP is not POSIX, though every Unix has it. */
static bool core_dumped(int status)
{
#ifdef WCOREDUMP
    return WCOREDUMP(status);
#else
    (void)status;
    return false;
#endif
}

const char *proc_describe_status(int status, char *buf, size_t size)
{
    if (WIFEXITED(status))
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, size, "killed by signal %d (%s)%s", WTERMSIG(status),
                 signal_name(WTERMSIG(status)), core_dumped(status) ? " (core dumped)" : "");
    else
        snprintf(buf, size, "wait status 0x%x", (unsigned)status);
    return buf;
}

const char *proc_describe(const struct proc *proc, char *buf, size_t size)
{
    if (proc->pid < 0)
        snprintf(buf, size, "never started");
    else if (!proc->ended)
        snprintf(buf, size, "still running");
    else
        proc_describe_status(proc->status, buf, size);
    return buf;
}
