/* The kernel (sum_squares.h) and the work that sum_squares and
 * sum_squares_mpi share (sum_squares_work.h): the task list, the sequential
 * run, the pool of forked processes, and the checks of the sums. */
#include "sum_squares_work.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "children.h"
#include "fail.h"
#include "fdio.h"
#include "pin.h"
#include "report.h"

/* ---- the kernel --------------------------------------------------------- */

/* Never inlined: every variant runs this one copy of the loop.  Inlined
 * copies land at different code alignments, and a loop this tight runs at a
 * speed that depends on it: a forked child's inlined copy was 25 % slower
 * than seq's on an AMD EPYC VM, which is no lesson about processes. */
__attribute__((noinline)) sum_squares_u128 sum_squares_range(uint64_t lo, uint64_t hi)
{
    sum_squares_u128 sum = 0;
    for (uint64_t i = lo; i < hi; i++)
        sum += i * i; /* i < 2^32, so i * i is exact in 64 bits */
    return sum;
}

sum_squares_u128 sum_squares_task(uint64_t n, sum_squares_checkpoint *checkpoint, void *context)
{
    sum_squares_u128 sum = 0;
    for (uint64_t lo = 0; lo < n; lo += SUM_SQUARES_CHECK_EVERY) {
        uint64_t hi = n - lo > SUM_SQUARES_CHECK_EVERY ? lo + SUM_SQUARES_CHECK_EVERY : n;
        sum += sum_squares_range(lo, hi);
        if (checkpoint != NULL)
            checkpoint(context);
    }
    return sum;
}

sum_squares_u128 sum_squares_closed_form(uint64_t n)
{
    if (n == 0)
        return 0;
    sum_squares_u128 big = n;
    return (big - 1) * big * (2 * big - 1) / 6;
}

char *sum_squares_decimal(sum_squares_u128 value, char *buf)
{
    char digits[SUM_SQUARES_DECIMAL_SIZE];
    size_t count = 0;
    do {
        digits[count++] = (char)('0' + (int)(value % 10));
        value /= 10;
    } while (value != 0);
    for (size_t i = 0; i < count; i++)
        buf[i] = digits[count - 1 - i];
    buf[count] = '\0';
    return buf;
}

/* ---- the tasks ---------------------------------------------------------- */

void sum_squares_check_range(long long base, long long tasks)
{
    if ((unsigned long long)(base + tasks - 1) > SUM_SQUARES_MAX_N)
        fail_usage("--base + --tasks - 1 must be at most %llu", SUM_SQUARES_MAX_N);
}

void *sum_squares_calloc(size_t count, size_t size)
{
    void *memory = calloc(count, size);
    if (memory == NULL)
        fail_wrong("out of memory for %zu items", count);
    return memory;
}

struct sum_squares_tasks sum_squares_make_tasks(uint64_t base, size_t count)
{
    struct sum_squares_tasks tasks = {.count = count};
    tasks.n = sum_squares_calloc(count, sizeof *tasks.n);
    tasks.sum = sum_squares_calloc(count, sizeof *tasks.sum);
    tasks.worker = sum_squares_calloc(count, sizeof *tasks.worker);
    for (size_t k = 0; k < count; k++)
        tasks.n[k] = base + k;
    return tasks;
}

void sum_squares_free_tasks(struct sum_squares_tasks *tasks)
{
    free(tasks->n);
    free(tasks->sum);
    free(tasks->worker);
}

void sum_squares_run_seq(struct sum_squares_tasks *tasks)
{
    for (size_t k = 0; k < tasks->count; k++)
        tasks->sum[k] = sum_squares_task(tasks->n[k], NULL, NULL);
}

/* ---- a pool of processes ------------------------------------------------ */

/* What goes down a task pipe and comes back up a result pipe: fixed-size
 * records, far below PIPE_BUF, so each write is atomic. */
struct task_message {
    uint64_t index, n;
};

struct result_message {
    uint64_t index;
    unsigned char sum[sizeof(sum_squares_u128)]; /* the sum's bytes, as they lie in memory */
};

/* The child: take tasks until the parent closes the task pipe, answer each. */
static _Noreturn void child_main(int task_fd, int result_fd)
{
    struct task_message task;
    enum fdio_read status = FDIO_BROKEN;
    bool answered = true;
    while (answered && (status = fdio_read_all(task_fd, &task, sizeof task)) == FDIO_WHOLE) {
        if (task.n > SUM_SQUARES_MAX_N)
            break;
        sum_squares_u128 sum = sum_squares_task(task.n, NULL, NULL);
        struct result_message result = {.index = task.index};
        memcpy(result.sum, &sum, sizeof sum);
        answered = fdio_write_all(result_fd, &result, sizeof result);
    }
    close(task_fd);
    close(result_fd);
    _exit(answered && status == FDIO_END ? EXIT_RIGHT : EXIT_WRONG);
}

struct child {
    pid_t pid;
    int task_fd;   /* write end of its task pipe, -1 once closed */
    int result_fd; /* read end of its result pipe, -1 once closed */
    bool busy;     /* task was sent and its answer has not come back */
    size_t task;
};

/* Closes *FD if open and marks it closed; false when close failed. */
static bool close_fd(int *fd)
{
    bool closed = *fd < 0 || close(*fd) == 0 || errno == EINTR;
    *fd = -1;
    return closed;
}

static void close_pipe(int ends[2])
{
    close(ends[0]);
    close(ends[1]);
}

/* Forks child I with its two pipes.  The child closes the parent's ends of
 * the pipes of children 0..I-1, which it inherited: a child that kept another
 * child's task pipe open would keep that child from ever seeing its end.
 * Returns the failed call's name (errno says why), or NULL. */
static const char *start_child(struct child *children, size_t i)
{
    int task[2], result[2];
    if (pipe(task) != 0)
        return "pipe";
    if (pipe(result) != 0) {
        int saved = errno;
        close_pipe(task);
        errno = saved;
        return "pipe";
    }
    pid_t pid = children_fork(); /* ends with this program (children.h) */
    if (pid < 0) {
        int saved = errno;
        close_pipe(task);
        close_pipe(result);
        errno = saved;
        return "fork";
    }
    if (pid == 0) {
        pin_worker(i);
        close(task[1]);
        close(result[0]);
        for (size_t k = 0; k < i; k++) {
            close(children[k].task_fd);
            close(children[k].result_fd);
        }
        child_main(task[0], result[1]);
    }
    close(task[0]);
    close(result[1]);
    children[i] = (struct child){.pid = pid, .task_fd = task[1], .result_fd = result[0]};
    return NULL;
}

/* Closes every pipe (each child then sees the end of its tasks and exits)
 * and waits for all children, so none is left behind even on a failure.
 * With KILL_THEM, children are stopped first instead of finishing a task.
 * True when every pipe closed and every child exited with status 0. */
static bool stop_children(struct child *children, size_t count, bool kill_them)
{
    bool all_right = true;
    for (size_t i = 0; i < count; i++) {
        if (kill_them)
            kill(children[i].pid, SIGTERM);
        all_right &= close_fd(&children[i].task_fd);
        all_right &= close_fd(&children[i].result_fd);
    }
    for (size_t i = 0; i < count; i++) {
        int status;
        children_reap(children[i].pid, true, &status);
        all_right &= WIFEXITED(status) && WEXITSTATUS(status) == EXIT_RIGHT;
    }
    return all_right;
}

/* Sends task K to CHILD; false when the child is gone (EPIPE). */
static bool send_task(struct child *child, const struct sum_squares_tasks *tasks, size_t k)
{
    struct task_message message = {.index = k, .n = tasks->n[k]};
    child->task = k;
    child->busy = fdio_write_all(child->task_fd, &message, sizeof message);
    return child->busy;
}

/* Takes CHILD's answer into TASKS; false when the child sent none (it died)
 * or answered another task than the one it was given. */
static bool take_result(struct child *child, int id, struct sum_squares_tasks *tasks)
{
    struct result_message result;
    if (fdio_read_all(child->result_fd, &result, sizeof result) != FDIO_WHOLE ||
        result.index != child->task)
        return false;
    memcpy(&tasks->sum[result.index], result.sum, sizeof result.sum);
    tasks->worker[result.index] = id;
    child->busy = false;
    return true;
}

/* Waits until a busy child has something to say: an answer, or the end of
 * its pipe.  Returns poll's result (-1 with errno on failure). */
static int wait_for_answers(struct child *children, size_t n_children, struct pollfd *fds)
{
    for (size_t i = 0; i < n_children; i++)
        fds[i] = (struct pollfd){.fd = children[i].busy ? children[i].result_fd : -1,
                                 .events = POLLIN};
    int ready;
    do
        ready = poll(fds, n_children, -1);
    while (ready < 0 && errno == EINTR);
    return ready;
}

enum dispatch_result { DISPATCH_DONE, DISPATCH_CHILD_FAILED, DISPATCH_POLL_FAILED };

/* Gives each child a first task, then hands each child that answers the
 * next task, until every task is answered or something fails. */
static enum dispatch_result dispatch(struct child *children, size_t n_children,
                                     struct sum_squares_tasks *tasks)
{
    struct pollfd *fds = sum_squares_calloc(n_children, sizeof *fds);
    size_t next = 0, answered = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < n_children && next < tasks->count; i++)
        ok = send_task(&children[i], tasks, next++);
    enum dispatch_result result = ok ? DISPATCH_DONE : DISPATCH_CHILD_FAILED;
    while (result == DISPATCH_DONE && answered < tasks->count) {
        if (wait_for_answers(children, n_children, fds) < 0) {
            result = DISPATCH_POLL_FAILED;
            break;
        }
        for (size_t i = 0; ok && i < n_children; i++) {
            if (fds[i].revents == 0)
                continue;
            ok = take_result(&children[i], (int)i, tasks);
            if (ok)
                answered++;
            if (ok && next < tasks->count)
                ok = send_task(&children[i], tasks, next++);
        }
        if (!ok)
            result = DISPATCH_CHILD_FAILED;
    }
    free(fds);
    return result;
}

void sum_squares_run_processes(struct sum_squares_tasks *tasks, size_t n_workers)
{
    /* A child that died leaves its task pipe without a reader: writing to it
     * must fail with EPIPE, not kill the parent. */
    struct sigaction ignore = {.sa_handler = SIG_IGN};
    sigemptyset(&ignore.sa_mask);
    if (sigaction(SIGPIPE, &ignore, NULL) != 0)
        fail_sys("sigaction");

    struct child *children = sum_squares_calloc(n_workers, sizeof *children);
    const char *failed_call = NULL;
    size_t started = 0;
    while (started < n_workers && (failed_call = start_child(children, started)) == NULL)
        started++;
    enum dispatch_result result = DISPATCH_CHILD_FAILED;
    if (failed_call == NULL)
        result = dispatch(children, started, tasks);
    if (result == DISPATCH_POLL_FAILED)
        failed_call = "poll";
    int saved_errno = errno;
    bool exited_cleanly = stop_children(children, started, result != DISPATCH_DONE);
    free(children);
    if (failed_call != NULL)
        fail_code(failed_call, saved_errno);
    if (result != DISPATCH_DONE || !exited_cleanly)
        fail_wrong("a worker process failed or sent a wrong answer");
}

/* ---- checks and the report ---------------------------------------------- */

/* The seed's first task, as CPython prints it. */
#define BOOK_N 5000000u
#define BOOK_SUM "41666654166667500000"

void sum_squares_check_sums(struct report *report, const struct sum_squares_tasks *tasks)
{
    size_t right = 0, first_wrong = tasks->count;
    for (size_t k = 0; k < tasks->count; k++) {
        if (tasks->sum[k] == sum_squares_closed_form(tasks->n[k]))
            right++;
        else if (first_wrong == tasks->count)
            first_wrong = k;
    }
    char found[SUM_SQUARES_DECIMAL_SIZE] = "", expected[SUM_SQUARES_DECIMAL_SIZE] = "";
    if (first_wrong < tasks->count) {
        sum_squares_decimal(tasks->sum[first_wrong], found);
        sum_squares_decimal(sum_squares_closed_form(tasks->n[first_wrong]), expected);
    }
    report_check(report, "closed_form", right == tasks->count,
                 "%zu of %zu sums equal (n-1)n(2n-1)/6%s%s%s%s", right, tasks->count,
                 first_wrong < tasks->count ? "; first wrong: " : "", found,
                 first_wrong < tasks->count ? " instead of " : "", expected);
    for (size_t k = 0; k < tasks->count; k++) {
        if (tasks->n[k] != BOOK_N)
            continue;
        char text[SUM_SQUARES_DECIMAL_SIZE];
        sum_squares_decimal(tasks->sum[k], text);
        report_check(report, "python(5000000)", strcmp(text, BOOK_SUM) == 0,
                     "%s, CPython's sum(i * i for i in range(5000000)) is " BOOK_SUM, text);
    }
}

void sum_squares_attach_sums(struct report *report, const struct sum_squares_tasks *tasks)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t k = 0; list != NULL && k < tasks->count; k++) {
        char text[SUM_SQUARES_DECIMAL_SIZE];
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddItemToArray(list, entry);
        cJSON_AddNumberToObject(entry, "n", (double)tasks->n[k]);
        /* A string: JSON numbers are doubles, exact only below 2^53. */
        cJSON_AddStringToObject(entry, "sum", sum_squares_decimal(tasks->sum[k], text));
        cJSON_AddNumberToObject(entry, "worker", tasks->worker[k]);
    }
    report_data(report, "sums", list);
}

void sum_squares_report_spread(struct report *report, const struct sum_squares_tasks *tasks,
                               size_t n_workers)
{
    if (n_workers == 0)
        return;
    double *elements = sum_squares_calloc(n_workers, sizeof *elements);
    for (size_t k = 0; k < tasks->count; k++)
        if (tasks->worker[k] >= 0 && (size_t)tasks->worker[k] < n_workers)
            elements[tasks->worker[k]] += (double)tasks->n[k];
    report_spread(report, "elements_per_worker", elements, n_workers, "");
    free(elements);
}

/* ---- the report --------------------------------------------------------- */

double sum_squares_elements(const struct sum_squares_tasks *tasks)
{
    double total = 0;
    for (size_t k = 0; k < tasks->count; k++)
        total += (double)tasks->n[k];
    return total;
}
