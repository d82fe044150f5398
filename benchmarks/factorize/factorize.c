/* factorize — do threads make CPU-bound Python code faster?
 *
 * Effective Python (2nd ed.), item 53, and the study note in seed 002: factorize
 * 10000000 and 20000000 by testing every candidate from 1 to n, first one after
 * the other, then with one thread per number.  CPython took 1.718 s sequentially
 * and 1.691 s with threads: the GIL lets one thread run at a time.  C threads do
 * run in parallel, so here the question becomes how much they can gain.
 *
 * Variants (--mode):
 *   seq        both numbers in one thread, the reference
 *   threads    one thread per number, as the book does; the larger number is
 *              2/3 of the work, so even with enough cores the ideal speedup is
 *              (10M + 20M) / 20M = 1.5
 *   threads --split     every number's range cut into --workers equal chunks,
 *              worker k doing chunk k of each: balanced, the real parallel limit
 *   processes  one child per number (fork), divisors sent back through a pipe;
 *              with --split, one child per chunk as above
 *
 * --gil runs any variant under common/gil, an emulation of CPython's GIL: one
 * thread at a time does the work, handing over every switch interval (5 ms,
 * --switch-interval-ms).  threads-gil (--mode=threads --gil) is the book's
 * experiment as CPython runs it: no faster than seq.  Each child of
 * processes has a GIL of its own, as with multiprocessing.
 *
 * --sweep gives run_all.sh threads --split at 1..N workers, drawn against
 * Amdahl's law.
 */
#include "factorize.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "children.h"
#include "cli.h"
#include "clock.h"
#include "fail.h"
#include "fdio.h"
#include "gil.h"
#include "pin.h"
#include "report.h"
#include "sysinfo.h"
#include "thread_team.h"

/* ---- the kernel --------------------------------------------------------- */

void divisor_list_push(struct divisor_list *list, uint64_t value)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? 2 * list->capacity : 64;
        uint64_t *items = realloc(list->items, capacity * sizeof *items);
        if (items == NULL)
            fail_wrong("out of memory for %zu divisors", capacity);
        list->items = items;
        list->capacity = capacity;
    }
    list->items[list->count++] = value;
}

void divisor_list_free(struct divisor_list *list)
{
    free(list->items);
    *list = (struct divisor_list){0};
}

void divisors_in_range(uint64_t n, uint64_t lo, uint64_t hi, struct divisor_list *list)
{
    /* Blocks of GIL_CHECK_EVERY candidates with a GIL check point between
     * them, where CPython's loop checks its eval breaker (a no-op without
     * --gil).  hi <= FACTORIZE_MAX_NUMBER, so nothing here overflows. */
    for (uint64_t block = lo; block <= hi; block += GIL_CHECK_EVERY) {
        uint64_t last = hi - block < GIL_CHECK_EVERY ? hi : block + GIL_CHECK_EVERY - 1;
        for (uint64_t candidate = block; candidate <= last; candidate++)
            if (n % candidate == 0)
                divisor_list_push(list, candidate);
        gil_checkpoint();
    }
}

uint64_t divisor_count_by_primes(uint64_t n)
{
    uint64_t count = 1;
    for (uint64_t prime = 2; prime * prime <= n; prime++) {
        uint64_t exponent = 0;
        while (n % prime == 0) {
            n /= prime;
            exponent++;
        }
        count *= exponent + 1;
    }
    return n > 1 ? count * 2 : count;
}

/* ---- the work, cut into jobs -------------------------------------------- */

/* A piece is the range [lo, hi] of candidates for one number. */
struct piece {
    size_t number;
    uint64_t lo, hi;
    struct divisor_list found;
};

/* A job is what one thread or child does: pieces [first, first + count). */
struct job {
    struct piece *pieces;
    size_t count;
};

struct plan {
    struct piece *pieces;
    size_t n_pieces;
    struct job *jobs;
    size_t n_jobs;
};

static void *checked_calloc(size_t count, size_t size)
{
    void *memory = calloc(count, size);
    if (memory == NULL)
        fail_wrong("out of memory for %zu items", count);
    return memory;
}

/* Cuts the work on NUMBERS into N_JOBS jobs.  Without SPLIT a job holds whole
 * numbers: all of them when n_jobs == 1, else number k for job k.  With SPLIT
 * job k holds chunk k of every number's range [1, n]. */
static struct plan make_plan(const uint64_t *numbers, size_t n_numbers, size_t n_jobs, bool split)
{
    struct plan plan = {.n_pieces = split ? n_numbers * n_jobs : n_numbers, .n_jobs = n_jobs};
    plan.pieces = checked_calloc(plan.n_pieces, sizeof *plan.pieces);
    plan.jobs = checked_calloc(n_jobs, sizeof *plan.jobs);
    size_t next = 0;
    for (size_t job = 0; job < n_jobs; job++) {
        plan.jobs[job].pieces = &plan.pieces[next];
        for (size_t i = 0; i < n_numbers; i++) {
            uint64_t n = numbers[i];
            if (split) {
                plan.pieces[next++] = (struct piece){
                    .number = i, .lo = 1 + n * job / n_jobs, .hi = n * (job + 1) / n_jobs};
            } else if (n_jobs == 1 || i == job) {
                plan.pieces[next++] = (struct piece){.number = i, .lo = 1, .hi = n};
            }
        }
        plan.jobs[job].count = (size_t)(&plan.pieces[next] - plan.jobs[job].pieces);
    }
    return plan;
}

static void free_plan(struct plan *plan)
{
    for (size_t i = 0; i < plan->n_pieces; i++)
        divisor_list_free(&plan->pieces[i].found);
    free(plan->pieces);
    free(plan->jobs);
}

/* Runs in the thread or child that does the job; with --gil the job is
 * done holding the emulated GIL, as a Python thread runs bytecode. */
static void run_job(struct job *job, const uint64_t *numbers)
{
    gil_thread_begin();
    for (size_t i = 0; i < job->count; i++) {
        struct piece *piece = &job->pieces[i];
        if (piece->lo <= piece->hi)
            divisors_in_range(numbers[piece->number], piece->lo, piece->hi, &piece->found);
    }
    gil_thread_end();
}

/* ---- three ways to run the jobs ----------------------------------------- */

struct thread_task {
    struct job *job;
    const uint64_t *numbers;
    size_t index; /* the thread's place, for pin_worker */
};

static void *thread_main(void *arg)
{
    struct thread_task *task = arg;
    pin_worker(task->index);
    run_job(task->job, task->numbers);
    return NULL;
}

static void run_in_threads(struct plan *plan, const uint64_t *numbers)
{
    pthread_t *threads = checked_calloc(plan->n_jobs, sizeof *threads);
    struct thread_task *tasks = checked_calloc(plan->n_jobs, sizeof *tasks);
    size_t started = 0;
    int error = 0;
    for (; started < plan->n_jobs; started++) {
        tasks[started] = (struct thread_task){&plan->jobs[started], numbers, started};
        error = thread_team_create(&threads[started], thread_main, &tasks[started]);
        if (error != 0)
            break;
    }
    /* Join whatever started, even when a later pthread_create failed. */
    for (size_t i = 0; i < started; i++) {
        int join_error = pthread_join(threads[i], NULL);
        if (join_error != 0)
            fail_code("pthread_join", join_error);
    }
    free(threads);
    free(tasks);
    if (error != 0)
        fail_code("pthread_create", error);
}

/* The child's side: compute the job, then write each piece's count and
 * divisors as raw uint64_t values (one machine, so no byte-order question). */
static _Noreturn void child_main(struct job *job, const uint64_t *numbers, int fd)
{
    run_job(job, numbers);
    for (size_t i = 0; i < job->count; i++) {
        uint64_t count = job->pieces[i].found.count;
        if (!fdio_write_all(fd, &count, sizeof count) ||
            !fdio_write_all(fd, job->pieces[i].found.items, count * sizeof(uint64_t))) {
            perror("factorize child: write");
            _exit(EXIT_WRONG);
        }
    }
    _exit(EXIT_RIGHT);
}

static bool read_job(int fd, struct job *job)
{
    for (size_t i = 0; i < job->count; i++) {
        uint64_t count, divisor;
        if (fdio_read_all(fd, &count, sizeof count) != FDIO_WHOLE)
            return false;
        for (uint64_t k = 0; k < count; k++) {
            if (fdio_read_all(fd, &divisor, sizeof divisor) != FDIO_WHOLE)
                return false;
            divisor_list_push(&job->pieces[i].found, divisor);
        }
    }
    return true;
}

struct child {
    pid_t pid;
    int fd; /* read end of the child's pipe, -1 once closed */
};

/* Reaps CHILD; true when it exited with status 0. */
static bool reap(struct child *child)
{
    int status;
    children_reap(child->pid, true, &status);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Starts one child per job.  Returns how many started; on failure *CALL names
 * the system call that failed and errno says why. */
static size_t start_children(struct plan *plan, const uint64_t *numbers, struct child *children,
                             const char **call)
{
    for (size_t i = 0; i < plan->n_jobs; i++) {
        int ends[2];
        if (pipe(ends) != 0) {
            *call = "pipe";
            return i;
        }
        pid_t pid = children_fork(); /* ends with this program (children.h) */
        if (pid < 0) {
            int saved = errno;
            close(ends[0]);
            close(ends[1]);
            errno = saved;
            *call = "fork";
            return i;
        }
        if (pid == 0) {
            pin_worker(i);
            /* The child keeps only its own write end: the parent's table of
             * children and the read ends of its elder siblings are not its own. */
            close(ends[0]);
            for (size_t k = 0; k < i; k++)
                close(children[k].fd);
            free(children);
            child_main(&plan->jobs[i], numbers, ends[1]);
        }
        close(ends[1]);
        children[i] = (struct child){.pid = pid, .fd = ends[0]};
    }
    return plan->n_jobs;
}

static void run_in_processes(struct plan *plan, const uint64_t *numbers)
{
    struct child *children = checked_calloc(plan->n_jobs, sizeof *children);
    const char *failed_call = NULL;
    size_t started = start_children(plan, numbers, children, &failed_call);
    int saved_errno = errno;
    bool all_right = true;
    for (size_t i = 0; i < started; i++) {
        /* Reading to the end before waiting: a child blocked on a full pipe
         * would otherwise never exit. */
        bool complete = failed_call == NULL && read_job(children[i].fd, &plan->jobs[i]);
        close(children[i].fd);
        if (failed_call != NULL)
            kill(children[i].pid, SIGTERM);
        all_right &= reap(&children[i]) && complete;
    }
    free(children);
    if (failed_call != NULL)
        fail_code(failed_call, saved_errno);
    if (!all_right)
        fail_wrong("a child process failed or sent an incomplete answer");
}

/* ---- checks ------------------------------------------------------------- */

/* The counts the book and the notes give for their two numbers. */
static uint64_t book_count(uint64_t n)
{
    return n == 10000000 ? 64 : n == 20000000 ? 72 : 0;
}

static bool is_exact_divisor_list(uint64_t n, const struct divisor_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        if (n % list->items[i] != 0 || (i > 0 && list->items[i] <= list->items[i - 1]))
            return false;
    }
    return list->count > 0 && list->items[0] == 1 && list->items[list->count - 1] == n;
}

static void check_number(struct report *report, uint64_t n, const struct divisor_list *list)
{
    char name[64];
    uint64_t expected = divisor_count_by_primes(n);
    snprintf(name, sizeof name, "divisors(%llu)", (unsigned long long)n);
    report_check(report, name, list->count == expected && is_exact_divisor_list(n, list),
                 "%zu found, ascending, each divides n; %llu expected from the prime factorisation",
                 list->count, (unsigned long long)expected);
    if (book_count(n) != 0) {
        snprintf(name, sizeof name, "book(%llu)", (unsigned long long)n);
        report_check(report, name, list->count == book_count(n), "%zu found, the book says %llu",
                     list->count, (unsigned long long)book_count(n));
    }
}

/* Gathers each number's divisors from its pieces, which ascend job by job. */
static void merge(const struct plan *plan, struct divisor_list *merged)
{
    for (size_t p = 0; p < plan->n_pieces; p++) {
        const struct piece *piece = &plan->pieces[p];
        for (size_t k = 0; k < piece->found.count; k++)
            divisor_list_push(&merged[piece->number], piece->found.items[k]);
    }
}

/* ---- the program -------------------------------------------------------- */

enum mode { MODE_SEQ, MODE_THREADS, MODE_PROCESSES };
static const char *const mode_names[] = {"seq", "threads", "processes", NULL};

static const struct cli_variant variants[] = {
    {"seq", MODE_SEQ, NULL},
    {"threads", MODE_THREADS, NULL},
    {"threads-split", MODE_THREADS, "--split"},
    {"processes", MODE_PROCESSES, NULL},
    {"threads-gil", MODE_THREADS, "--gil"},
    /* One thread under the GIL: what the emulator itself costs (check points). */
    {"seq-gil", MODE_SEQ, "--gil"},
};

#define PARALLEL_MODES (CLI_MODE(MODE_THREADS) | CLI_MODE(MODE_PROCESSES))

struct settings {
    int mode;
    bool split;
    long long workers;
    uint64_t numbers[CLI_MAX_POSITIONAL];
    size_t n_numbers;
    struct gil_options gil;
    int pin;
    struct cli_common common;
};

static void default_numbers(struct settings *settings)
{
    /* Tens of milliseconds: enough that process start-up does not swamp the
     * speedups (100000 200000 took 2 ms, and threads looked no faster). */
    static const uint64_t quick[] = {3000000, 6000000};
    static const uint64_t book[] = {10000000, 20000000};
    static const uint64_t large[] = {10000000, 20000000, 30000000, 40000000,
                                     50000000, 60000000, 70000000, 80000000};
    const uint64_t *chosen = book;
    size_t count = 2;
    if (settings->common.size == CLI_SIZE_QUICK)
        chosen = quick;
    if (settings->common.size == CLI_SIZE_LARGE) {
        chosen = large;
        count = sizeof large / sizeof large[0];
    }
    memcpy(settings->numbers, chosen, count * sizeof *chosen);
    settings->n_numbers = count;
}

static void parse_numbers(struct settings *settings)
{
    for (int i = 0; i < settings->common.n_positional; i++) {
        long long value;
        char why[128], quoted[CLI_QUOTED_MAX];
        const char *text = settings->common.positional[i];
        if (!cli_parse_integer(text, 1, (long long)FACTORIZE_MAX_NUMBER, &value, why, sizeof why))
            fail_usage("NUMBER '%s': %s", cli_quote(text, quoted, sizeof quoted), why);
        settings->numbers[settings->n_numbers++] = (uint64_t)value;
    }
}

/* The balanced split, in threads and in processes: the book's one thread
 * per number stops at 1.5. */
static const struct cli_sweep sweep[] = {
    {"threads", MODE_THREADS, "--split --workers={workers}", false},
    {"processes", MODE_PROCESSES, "--split --workers={workers}", false},
};

static struct settings parse_settings(int argc, char **argv)
{
    struct settings settings = {.workers = sysinfo_online_cores(), .gil = GIL_OPTIONS_DEFAULT};
    const struct cli_option options[] = {
        {.name = "split", .kind = CLI_FLAG, .flag = &settings.split, .modes = PARALLEL_MODES,
         .help = "cut every number's range into --workers equal chunks"},
        {.name = "workers", .kind = CLI_INT, .min = 1, .max = 1024, .integer = &settings.workers,
         .modes = PARALLEL_MODES, .needs = "split",
         .help = "threads or processes sharing the work; default: online cores"},
        GIL_CLI_OPTIONS(&settings.gil),
        PIN_CLI_OPTION(&settings.pin),
    };
    const struct cli_program program = {
        .name = "factorize",
        .summary = "Factorize numbers by trial division of every candidate 1..n, sequentially, "
                   "in threads or in processes (Effective Python item 53).",
        .positional = "NUMBER",
        .epilogue = "Without NUMBERs: 3000000 6000000 (quick), 10000000 20000000 (book), "
                    "10000000..80000000 by 10000000 (large).\n"
                    "One thread per number can gain at most sum/largest: 1.5 for the book's "
                    "numbers; --split balances the work.",
        .modes = mode_names,
        .mode_help = "how the numbers are factorized",
        .mode = &settings.mode,
        CLI_OPTIONS(options),
        CLI_VARIANTS(variants),
        CLI_SWEEP(sweep),
    };
    cli_parse_or_exit(&program, argc, argv, &settings.common);
    pin_set_policy(settings.pin);
    parse_numbers(&settings);
    if (settings.n_numbers == 0)
        default_numbers(&settings);
    return settings;
}

/* The --list name: mode, then -split, then -gil ("threads-split-gil"). */
static void variant_name(const struct settings *settings, char *name, size_t size)
{
    snprintf(name, size, "%s%s%s", mode_names[settings->mode], settings->split ? "-split" : "",
             settings->gil.enabled ? "-gil" : "");
}

static void describe(struct report *report, const struct settings *settings)
{
    char numbers[CLI_MAX_POSITIONAL * 21] = "";
    uint64_t total = 0, largest = 0;
    for (size_t i = 0; i < settings->n_numbers; i++) {
        size_t used = strlen(numbers);
        snprintf(numbers + used, sizeof numbers - used, "%s%llu", i ? "," : "",
                 (unsigned long long)settings->numbers[i]);
        total += settings->numbers[i];
        largest = settings->numbers[i] > largest ? settings->numbers[i] : largest;
    }
    report_param_text(report, "mode", mode_names[settings->mode]);
    report_param_text(report, "size", cli_size_name(settings->common.size));
    report_param_text(report, "numbers", numbers);
    report_param_bool(report, "split", settings->split);
    if (settings->split)
        report_param_int(report, "workers", settings->workers);
    report_metric(report, "candidates_tested", (double)total, "");
    if (settings->mode == MODE_SEQ)
        return;
    double ideal = settings->split ? (double)settings->workers : (double)total / (double)largest;
    if (settings->gil.enabled && settings->mode == MODE_THREADS) {
        report_metric(report, "ideal_speedup", 1.0, "x");
        report_note(report, "under the GIL one thread at a time does the work, whatever the "
                            "cores: the ideal speedup is 1, as CPython's 1.718 s vs 1.691 s");
        return;
    }
    report_metric(report, "ideal_speedup", ideal, "x");
    if (settings->gil.enabled)
        report_note(report, "each child process runs under a GIL of its own, as with "
                            "multiprocessing: the GIL does not hold processes back");
    if (!settings->split)
        report_note(report,
                    "one %s per number: the largest number is %.0f%% of the work, so even with "
                    "enough cores the ideal speedup is sum/largest = %.2f",
                    settings->mode == MODE_THREADS ? "thread" : "process",
                    100.0 * (double)largest / (double)total, ideal);
    if (settings->split)
        report_note(report, "the work is cut evenly into %lld chunks per number; the speedup can "
                            "reach the number of cores (%d online)",
                    settings->workers, sysinfo_online_cores());
}

static void attach_divisors(struct report *report, const struct settings *settings,
                            const struct divisor_list *merged)
{
    cJSON *all = cJSON_CreateObject();
    for (size_t i = 0; all != NULL && i < settings->n_numbers; i++) {
        char key[24];
        snprintf(key, sizeof key, "%llu", (unsigned long long)settings->numbers[i]);
        cJSON *list = cJSON_AddArrayToObject(all, key);
        for (size_t k = 0; list != NULL && k < merged[i].count; k++)
            cJSON_AddItemToArray(list, cJSON_CreateNumber((double)merged[i].items[k]));
    }
    report_data(report, "divisors", all);
}

int main(int argc, char **argv)
{
    struct settings settings = parse_settings(argc, argv);
    gil_init(&settings.gil);
    size_t n_jobs = settings.split ? (size_t)settings.workers
                    : settings.mode == MODE_SEQ ? 1 : settings.n_numbers;
    struct plan plan = make_plan(settings.numbers, settings.n_numbers, n_jobs, settings.split);

    double start = clock_now();
    if (settings.mode == MODE_SEQ)
        run_job(&plan.jobs[0], settings.numbers);
    else if (settings.mode == MODE_THREADS)
        run_in_threads(&plan, settings.numbers);
    else
        run_in_processes(&plan, settings.numbers);
    double elapsed = clock_since(start);

    struct divisor_list merged[CLI_MAX_POSITIONAL] = {{0}};
    merge(&plan, merged);
    free_plan(&plan);

    char variant[64];
    variant_name(&settings, variant, sizeof variant);
    struct report *report = report_new("factorize", variant);
    describe(report, &settings);
    report_elapsed(report, elapsed);
    pin_report(report);
    gil_report(report);
    gil_shutdown();
    for (size_t i = 0; i < settings.n_numbers; i++)
        check_number(report, settings.numbers[i], &merged[i]);
    attach_divisors(report, &settings, merged);
    for (size_t i = 0; i < settings.n_numbers; i++)
        divisor_list_free(&merged[i]);
    return report_finish(report, settings.common.json, stdout);
}
