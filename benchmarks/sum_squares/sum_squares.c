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
 * checked against the closed form (n-1)·n·(2n-1)/6.  The kernel, the process
 * pool and the checks are in sum_squares_work.c, which sum_squares_mpi shares.
 *
 * --gil (seq and threads) runs under common/gil, an emulation of CPython's
 * GIL: threads-gil is the pool as CPython runs it, one thread at a time,
 * switching every interval at a check point between blocks of a task.
 */
#include "sum_squares_work.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "cli.h"
#include "clock.h"
#include "fail.h"
#include "gil.h"
#include "pin.h"
#include "report.h"
#include "sysinfo.h"
#include "thread_team.h"

/* ---- a pool of threads -------------------------------------------------- */

struct thread_pool {
    struct sum_squares_tasks *tasks;
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
    struct sum_squares_tasks *tasks = pool->tasks;
    for (;;) {
        size_t k = atomic_fetch_add_explicit(&pool->next, 1, memory_order_relaxed);
        if (k >= tasks->count)
            return;
        tasks->sum[k] = sum_squares_task(tasks->n[k], pool->checkpoint, pool->checkpoint_context);
        tasks->worker[k] = self->id;
    }
}

/* The eval-breaker check between two blocks of a task. */
static void gil_checkpoint_between_blocks(void *unused)
{
    (void)unused;
    gil_checkpoint();
}

/* Under --gil the pool's threads are GIL threads (thread_team) that check
 * for a drop request between blocks, as a Python loop would. */
static void run_threads(struct sum_squares_tasks *tasks, size_t n_workers)
{
    struct thread_pool pool = {
        .tasks = tasks, .checkpoint = gil_enabled() ? gil_checkpoint_between_blocks : NULL};
    atomic_init(&pool.next, 0);
    struct pool_member *members = sum_squares_calloc(n_workers, sizeof *members);
    for (size_t i = 0; i < n_workers; i++)
        members[i] = (struct pool_member){&pool, (int)i};
    thread_team_run(n_workers, pool_thread, members, sizeof *members);
    free(members);
}

/* ---- the program -------------------------------------------------------- */

enum mode { MODE_SEQ, MODE_THREADS, MODE_PROCESSES };
static const char *const mode_names[] = {"seq", "threads", "processes", NULL};

static const struct cli_variant variants[] = {
    {"seq", MODE_SEQ, NULL},
    {"threads", MODE_THREADS, NULL},
    {"processes", MODE_PROCESSES, NULL},
    {"threads-gil", MODE_THREADS, "--gil"},
};

static const struct cli_sweep sweep[] = {
    {"threads", MODE_THREADS, "--workers={workers}", false},
    {"processes", MODE_PROCESSES, "--workers={workers}", false},
};

struct settings {
    int mode;
    long long workers, base, tasks;
    struct gil_options gil;
    int pin;
    struct cli_common common;
};

static struct settings parse_settings(int argc, char **argv)
{
    struct settings settings = {.workers = sysinfo_online_cores(), .gil = GIL_OPTIONS_DEFAULT};
    const struct cli_option options[] = {
        {.name = "workers", .kind = CLI_INT, .min = 1, .max = THREAD_TEAM_MAX,
         .integer = &settings.workers, .modes = CLI_MODE(MODE_THREADS) | CLI_MODE(MODE_PROCESSES),
         .help = "size of the pool, one worker per online core unless given"},
        SUM_SQUARES_CLI_OPTIONS(&settings.base, &settings.tasks),
        GIL_CLI_OPTIONS_FOR(&settings.gil, CLI_MODE(MODE_SEQ) | CLI_MODE(MODE_THREADS)),
        PIN_CLI_OPTION(&settings.pin),
    };
    const struct cli_program program = {
        .name = "sum_squares",
        .summary = "Sum i*i for i below n, for 20 n near 5000000, sequentially or in a pool "
                   "of threads or of processes (the note “[Python] 동시성 프로그래밍”, multiprocessing.Pool).",
        .epilogue = "Sums are exact 128-bit integers, checked against (n-1)n(2n-1)/6.",
        .modes = mode_names,
        .mode_help = "how the tasks are run",
        .mode = &settings.mode,
        CLI_OPTIONS(options),
        CLI_VARIANTS(variants),
        CLI_SWEEP(sweep),
    };
    cli_parse_or_exit(&program, argc, argv, &settings.common);
    pin_set_policy(settings.pin);
    sum_squares_check_range(settings.base, settings.tasks);
    return settings;
}

/* Workers that can run at once: the pool, at most one per core and task;
 * one under the GIL. */
static long long parallelism(const struct settings *settings)
{
    if (settings->mode == MODE_SEQ || settings->gil.enabled)
        return 1;
    long long usable = settings->workers < settings->tasks ? settings->workers : settings->tasks;
    return usable < sysinfo_online_cores() ? usable : sysinfo_online_cores();
}

static void describe(struct report *report, const struct settings *settings,
                     const struct sum_squares_tasks *tasks, double elapsed)
{
    report_param_text(report, "mode", mode_names[settings->mode]);
    report_param_text(report, "size", cli_size_name(settings->common.size));
    report_param_int(report, "base", settings->base);
    report_param_int(report, "tasks", settings->tasks);
    if (settings->mode != MODE_SEQ)
        report_param_int(report, "workers", settings->workers);
    double elements = sum_squares_elements(tasks);
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
    if (settings->gil.enabled) {
        report_metric(report, "ideal_speedup", 1.0, "x");
        report_note(report, "under the GIL one pool thread at a time sums: the ideal speedup is "
                            "1, as CPython's ThreadPoolExecutor gets");
        return;
    }
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
    struct sum_squares_tasks tasks =
        sum_squares_make_tasks((uint64_t)settings.base, (size_t)settings.tasks);

    gil_init(&settings.gil);
    double start = clock_now();
    if (settings.mode == MODE_SEQ) {
        gil_thread_begin(); /* alone on the GIL: nobody to switch with */
        sum_squares_run_seq(&tasks);
        gil_thread_end();
    } else if (settings.mode == MODE_THREADS) {
        run_threads(&tasks, (size_t)settings.workers);
    } else {
        sum_squares_run_processes(&tasks, (size_t)settings.workers);
    }
    double elapsed = clock_since(start);

    char variant[32];
    struct report *report = report_new(
        "sum_squares", gil_variant_name(&settings.gil, mode_names[settings.mode], variant,
                                        sizeof variant));
    describe(report, &settings, &tasks, elapsed);
    report_elapsed(report, elapsed);
    pin_report(report);
    gil_report(report);
    gil_shutdown();
    sum_squares_report_spread(report, &tasks,
                              settings.mode == MODE_SEQ ? 0 : (size_t)settings.workers);
    sum_squares_check_sums(report, &tasks);
    sum_squares_attach_sums(report, &tasks);
    sum_squares_free_tasks(&tasks);
    return report_finish(report, settings.common.json, stdout);
}
