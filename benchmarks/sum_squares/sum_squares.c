/* sum_squares — how much faster does CPU-bound work get with a pool of
 * processes, and with a pool of threads?
 *
 * Source: the study note of seed 001 (Real Python's "Speed up your Python
 * program with concurrency", CPU-bound part): sum(i * i for i in range(n)) for
 * the 20 numbers n = 5000000 + x, x in 0..19, one after the other, then with
 * multiprocessing.Pool().map.  In CPython only the processes gain: the GIL
 * keeps threads on one core.  In C both pools can use every core.
 *
 * Variants (--mode):
 *   seq        the 20 tasks one after the other, the reference
 *   threads    a pool of --workers threads, each pulling the next task from a
 *              shared atomic index until none is left (ThreadPoolExecutor.map)
 *   processes  a pool of --workers forked children, the multiprocessing.Pool
 *              shape: the parent sends task (index, n) records down each
 *              child's task pipe, one task at a time, and the child sends the
 *              128-bit sum back as 16 raw bytes on its result pipe; no thread
 *              and no process per task
 *
 * Every sum is exact (unsigned 128 bits, as Python's unbounded integers) and
 * checked against the closed form (n-1)·n·(2n-1)/6.
 */
#include "sum_squares.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "fail.h"
#include "report.h"
#include "sysinfo.h"
#include "thread_team.h"

/* ---- the kernel --------------------------------------------------------- */

sum_squares_u128 sum_squares_range(uint64_t lo, uint64_t hi)
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

/* Task k sums the squares below n[k]; sum[k] and worker[k] (who did it) are
 * written by exactly one thread or by the parent, and read after the run. */
struct task_list {
    size_t count;
    uint64_t *n;
    sum_squares_u128 *sum;
    int *worker;
};

static void *checked_calloc(size_t count, size_t size)
{
    void *memory = calloc(count, size);
    if (memory == NULL)
        fail_wrong("out of memory for %zu items", count);
    return memory;
}

static struct task_list make_tasks(uint64_t base, size_t count)
{
    struct task_list tasks = {.count = count};
    tasks.n = checked_calloc(count, sizeof *tasks.n);
    tasks.sum = checked_calloc(count, sizeof *tasks.sum);
    tasks.worker = checked_calloc(count, sizeof *tasks.worker);
    for (size_t k = 0; k < count; k++)
        tasks.n[k] = base + k;
    return tasks;
}

static void free_tasks(struct task_list *tasks)
{
    free(tasks->n);
    free(tasks->sum);
    free(tasks->worker);
}

static void run_seq(struct task_list *tasks)
{
    for (size_t k = 0; k < tasks->count; k++)
        tasks->sum[k] = sum_squares_task(tasks->n[k], NULL, NULL);
}

/* ---- a pool of threads -------------------------------------------------- */

struct thread_pool {
    struct task_list *tasks;
    atomic_size_t next; /* the next task nobody has taken yet */
    /* Passed to every task; NULL for plain C threads.  An emulated GIL plugs
     * its check point in here (and is taken and left around pool_thread's
     * loop). */
    sum_squares_checkpoint *checkpoint;
    void *checkpoint_context;
};

struct pool_member {
    struct thread_pool *pool;
    int id;
};

/* One thread of the pool: take the next task until none is left.  Each sum
 * and worker slot is written by the one thread that took its task. */
static void pool_thread(void *item)
{
    struct pool_member *self = item;
    struct thread_pool *pool = self->pool;
    struct task_list *tasks = pool->tasks;
    for (;;) {
        size_t k = atomic_fetch_add_explicit(&pool->next, 1, memory_order_relaxed);
        if (k >= tasks->count)
            return;
        tasks->sum[k] = sum_squares_task(tasks->n[k], pool->checkpoint, pool->checkpoint_context);
        tasks->worker[k] = self->id;
    }
}

static void run_threads(struct task_list *tasks, size_t n_workers)
{
    struct thread_pool pool = {.tasks = tasks};
    atomic_init(&pool.next, 0);
    struct pool_member *members = checked_calloc(n_workers, sizeof *members);
    for (size_t i = 0; i < n_workers; i++)
        members[i] = (struct pool_member){&pool, (int)i};
    thread_team_run(n_workers, pool_thread, members, sizeof *members);
    free(members);
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

/* Writes all SIZE bytes; false on error (EPIPE when the reader is gone). */
static bool write_all(int fd, const void *data, size_t size)
{
    const char *bytes = data;
    while (size > 0) {
        ssize_t written = write(fd, bytes, size);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return false;
        bytes += written;
        size -= (size_t)written;
    }
    return true;
}

enum read_result { READ_WHOLE, READ_END, READ_BROKEN };

/* Reads exactly SIZE bytes: READ_WHOLE; end of file before the first byte:
 * READ_END (the writer closed cleanly); anything else: READ_BROKEN. */
static enum read_result read_whole(int fd, void *data, size_t size)
{
    char *bytes = data;
    size_t got_total = 0;
    while (got_total < size) {
        ssize_t got = read(fd, bytes + got_total, size - got_total);
        if (got < 0 && errno == EINTR)
            continue;
        if (got == 0 && got_total == 0)
            return READ_END;
        if (got <= 0)
            return READ_BROKEN;
        got_total += (size_t)got;
    }
    return READ_WHOLE;
}

/* The child: take tasks until the parent closes the task pipe, answer each. */
static _Noreturn void child_main(int task_fd, int result_fd)
{
    struct task_message task;
    enum read_result status = READ_BROKEN;
    bool answered = true;
    while (answered && (status = read_whole(task_fd, &task, sizeof task)) == READ_WHOLE) {
        if (task.n > SUM_SQUARES_MAX_N)
            break;
        sum_squares_u128 sum = sum_squares_task(task.n, NULL, NULL);
        struct result_message result = {.index = task.index};
        memcpy(result.sum, &sum, sizeof sum);
        answered = write_all(result_fd, &result, sizeof result);
    }
    close(task_fd);
    close(result_fd);
    _exit(answered && status == READ_END ? EXIT_RIGHT : EXIT_WRONG);
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
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close_pipe(task);
        close_pipe(result);
        errno = saved;
        return "fork";
    }
    if (pid == 0) {
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
        while (waitpid(children[i].pid, &status, 0) < 0) {
            if (errno != EINTR)
                fail_sys("waitpid");
        }
        all_right &= WIFEXITED(status) && WEXITSTATUS(status) == EXIT_RIGHT;
    }
    return all_right;
}

/* Sends task K to CHILD; false when the child is gone (EPIPE). */
static bool send_task(struct child *child, const struct task_list *tasks, size_t k)
{
    struct task_message message = {.index = k, .n = tasks->n[k]};
    child->task = k;
    child->busy = write_all(child->task_fd, &message, sizeof message);
    return child->busy;
}

/* Takes CHILD's answer into TASKS; false when the child sent none (it died)
 * or answered another task than the one it was given. */
static bool take_result(struct child *child, int id, struct task_list *tasks)
{
    struct result_message result;
    if (read_whole(child->result_fd, &result, sizeof result) != READ_WHOLE ||
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
                                     struct task_list *tasks)
{
    struct pollfd *fds = checked_calloc(n_children, sizeof *fds);
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

static void run_processes(struct task_list *tasks, size_t n_workers)
{
    /* A child that died leaves its task pipe without a reader: writing to it
     * must fail with EPIPE, not kill the parent. */
    struct sigaction ignore = {.sa_handler = SIG_IGN};
    sigemptyset(&ignore.sa_mask);
    if (sigaction(SIGPIPE, &ignore, NULL) != 0)
        fail_sys("sigaction");

    struct child *children = checked_calloc(n_workers, sizeof *children);
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

static void check_sums(struct report *report, const struct task_list *tasks)
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

static void attach_sums(struct report *report, const struct task_list *tasks)
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

/* ---- the program -------------------------------------------------------- */

enum mode { MODE_SEQ, MODE_THREADS, MODE_PROCESSES };
static const char *const mode_names[] = {"seq", "threads", "processes", NULL};

static const struct cli_variant variants[] = {
    {"seq", "--mode=seq"},
    {"threads", "--mode=threads"},
    {"processes", "--mode=processes"},
};

#define MAX_TASKS 100000
#define MAX_WORKERS THREAD_TEAM_MAX

struct settings {
    int mode;
    long long workers, base, tasks;
    bool workers_given, base_given, tasks_given;
    struct cli_common common;
};

/* quick: a few milliseconds; book: the seed's 20 tasks of about 5e6; large:
 * the same tasks, eight times as many, to keep many cores balanced. */
static void apply_size(struct settings *settings)
{
    static const long long base[] = {[CLI_SIZE_QUICK] = 50000, [CLI_SIZE_BOOK] = 5000000,
                                     [CLI_SIZE_LARGE] = 5000000};
    static const long long tasks[] = {[CLI_SIZE_QUICK] = 20, [CLI_SIZE_BOOK] = 20,
                                      [CLI_SIZE_LARGE] = 160};
    if (!settings->base_given)
        settings->base = base[settings->common.size];
    if (!settings->tasks_given)
        settings->tasks = tasks[settings->common.size];
    if ((unsigned long long)(settings->base + settings->tasks - 1) > SUM_SQUARES_MAX_N)
        fail_usage("--base + --tasks - 1 must be at most %llu", SUM_SQUARES_MAX_N);
}

static struct settings parse_settings(int argc, char **argv)
{
    /* base and tasks hold the book's values only for --help: apply_size
     * sets them from --size unless they were given. */
    struct settings settings = {
        .mode = MODE_SEQ, .workers = sysinfo_online_cores(), .base = 5000000, .tasks = 20};
    const struct cli_option options[] = {
        {.name = "mode", .kind = CLI_CHOICE, .help = "how the tasks are run",
         .choices = mode_names, .choice = &settings.mode},
        {.name = "workers", .kind = CLI_INT, .min = 1, .max = MAX_WORKERS,
         .integer = &settings.workers, .given = &settings.workers_given,
         .help = "threads/processes: size of the pool; default: online cores"},
        {.name = "base", .kind = CLI_INT, .min = 1, .max = (long long)SUM_SQUARES_MAX_N,
         .integer = &settings.base, .given = &settings.base_given,
         .help = "n of the first task; the default depends on --size"},
        {.name = "tasks", .kind = CLI_INT, .min = 1, .max = MAX_TASKS,
         .integer = &settings.tasks, .given = &settings.tasks_given,
         .help = "number of tasks, n = base .. base+tasks-1; the default depends on --size"},
    };
    const struct cli_program program = {
        .name = "sum_squares",
        .summary = "Sum i*i for i below n, for 20 n near 5000000, sequentially or in a pool "
                   "of threads or of processes (seed 001, multiprocessing.Pool).",
        .epilogue = "Sizes: quick = 20 tasks from 50000, book = 20 tasks from 5000000, "
                    "large = 160 tasks from 5000000.\n"
                    "Sums are exact 128-bit integers, checked against (n-1)n(2n-1)/6.",
        .options = options,
        .n_options = sizeof options / sizeof options[0],
        .variants = variants,
        .n_variants = sizeof variants / sizeof variants[0],
        .sweep = "--mode=processes --workers={workers}",
    };
    cli_parse_or_exit(&program, argc, argv, &settings.common);
    if (settings.workers_given && settings.mode == MODE_SEQ)
        fail_usage("--workers needs --mode=threads or --mode=processes");
    apply_size(&settings);
    return settings;
}

static double elements_of(const struct task_list *tasks)
{
    double total = 0;
    for (size_t k = 0; k < tasks->count; k++)
        total += (double)tasks->n[k];
    return total;
}

/* Workers that can run at once: the pool, at most one per core and task. */
static long long parallelism(const struct settings *settings)
{
    if (settings->mode == MODE_SEQ)
        return 1;
    long long usable = settings->workers < settings->tasks ? settings->workers : settings->tasks;
    return usable < sysinfo_online_cores() ? usable : sysinfo_online_cores();
}

static void describe(struct report *report, const struct settings *settings,
                     const struct task_list *tasks, double elapsed)
{
    report_param_text(report, "mode", mode_names[settings->mode]);
    report_param_text(report, "size", cli_size_name(settings->common.size));
    report_param_int(report, "base", settings->base);
    report_param_int(report, "tasks", settings->tasks);
    if (settings->mode != MODE_SEQ)
        report_param_int(report, "workers", settings->workers);
    double elements = elements_of(tasks);
    double ns = elapsed * 1e9 / elements;
    report_metric(report, "elements", elements, "");
    report_metric(report, "ns_per_element", ns, "ns");
    report_metric(report, "core_ns_per_element", ns * (double)parallelism(settings), "ns");
    report_note(report, "core_ns_per_element is the time per element on each of the %lld core(s) "
                        "at work: one multiply and one 128-bit add, about a cycle, when the "
                        "cores are not shared",
                parallelism(settings));
    if (settings->mode == MODE_SEQ)
        return;
    /* The tasks are nearly equal: the busiest worker takes ceil(tasks/workers). */
    long long rounds = (settings->tasks + settings->workers - 1) / settings->workers;
    double ideal = (double)settings->tasks / (double)rounds;
    if (ideal > sysinfo_online_cores())
        ideal = sysinfo_online_cores();
    report_metric(report, "ideal_speedup", ideal, "x");
    report_note(report, "%lld tasks on %lld %s and %d core(s): at best %.2fx faster than seq",
                settings->tasks, settings->workers,
                settings->mode == MODE_THREADS ? "threads" : "processes",
                sysinfo_online_cores(), ideal);
}

int main(int argc, char **argv)
{
    struct settings settings = parse_settings(argc, argv);
    struct task_list tasks = make_tasks((uint64_t)settings.base, (size_t)settings.tasks);

    double start = clock_now();
    if (settings.mode == MODE_SEQ)
        run_seq(&tasks);
    else if (settings.mode == MODE_THREADS)
        run_threads(&tasks, (size_t)settings.workers);
    else
        run_processes(&tasks, (size_t)settings.workers);
    double elapsed = clock_since(start);

    struct report *report = report_new("sum_squares", mode_names[settings.mode]);
    describe(report, &settings, &tasks, elapsed);
    report_elapsed(report, elapsed);
    check_sums(report, &tasks);
    attach_sums(report, &tasks);
    free_tasks(&tasks);
    return report_finish(report, settings.common.json, stdout);
}
