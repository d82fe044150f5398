/* sum_squares_work — the tasks of the sum_squares experiment and what more
 * than one program does with them: run them one after the other, run them in
 * a pool of forked processes that talk through pipes (multiprocessing.Pool's
 * shape), check every sum against the closed form and list the sums in the
 * JSON report.  sum_squares and sum_squares_mpi both link it, so that the MPI
 * version is timed beside the very same sequential run and process pool.
 * The kernel itself is declared in sum_squares.h. */
#ifndef CONCLAB_SUM_SQUARES_WORK_H
#define CONCLAB_SUM_SQUARES_WORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "sum_squares.h"

#ifdef __cplusplus
extern "C" {
#endif

struct report;

/* Task k sums the squares below n[k]; sum[k] and worker[k] (who did it) are
 * written by exactly one thread or by the parent, and read after the run. */
struct sum_squares_tasks {
    size_t count;
    uint64_t *n;
    sum_squares_u128 *sum;
    int *worker;
};

/* ---- which tasks ---- */

#define SUM_SQUARES_MAX_TASKS 100000

/* Two cli_option initializers, --base=N and --tasks=N: the tasks are n =
 * *BASE .. *BASE + *TASKS - 1; *BASE_GIVEN and *TASKS_GIVEN say whether they
 * were on the command line. */
#define SUM_SQUARES_CLI_OPTIONS(base, base_given, tasks, tasks_given)                           \
    {.name = "base", .kind = CLI_INT, .min = 1, .max = (long long)SUM_SQUARES_MAX_N,           \
     .integer = (base), .given = (base_given),                                                 \
     .help = "n of the first task; the default depends on --size"},                           \
    {                                                                                          \
        .name = "tasks", .kind = CLI_INT, .min = 1, .max = SUM_SQUARES_MAX_TASKS,              \
        .integer = (tasks), .given = (tasks_given),                                            \
        .help = "number of tasks, n = base .. base+tasks-1; the default depends on --size"     \
    }

/* The tasks of each size, for --help. */
#define SUM_SQUARES_SIZES_HELP                                                                 \
    "Sizes: quick = 20 tasks from 1500000, book = 20 tasks from 5000000, large = 160 tasks "      \
    "from 5000000."

/* Sets *BASE and *TASKS, unless given, to what SIZE asks for: quick, tens
 * of milliseconds; book, the seed's 20 tasks of about 5e6; large, the same
 * tasks eight times over, to keep many cores balanced.  A usage error (exit
 * 2) when the last n is past SUM_SQUARES_MAX_N. */
void sum_squares_apply_size(enum cli_size size, long long *base, bool base_given,
                            long long *tasks, bool tasks_given);

/* ---- running them ---- */

/* calloc, or exit with EXIT_WRONG when memory is out. */
void *sum_squares_calloc(size_t count, size_t size);

/* COUNT tasks with n = BASE, BASE+1, ...; sums and workers zero.  Free with
 * sum_squares_free_tasks. */
struct sum_squares_tasks sum_squares_make_tasks(uint64_t base, size_t count);
void sum_squares_free_tasks(struct sum_squares_tasks *tasks);

/* Every task one after the other, in this thread (worker 0). */
void sum_squares_run_seq(struct sum_squares_tasks *tasks);

/* Every task in a pool of N_WORKERS forked children, one task at a time per
 * child: (index, n) down the child's task pipe, the 16 bytes of the sum back
 * on its result pipe.  Every child is reaped before it returns.  A failed
 * system call or a child that died or answered wrongly exits with
 * EXIT_WRONG. */
void sum_squares_run_processes(struct sum_squares_tasks *tasks, size_t n_workers);

/* The checks of the answer: every sum equals the closed form, and the
 * seed's first task (n = 5000000) has the sum CPython prints. */
void sum_squares_check_sums(struct report *report, const struct sum_squares_tasks *tasks);

/* How evenly N_WORKERS workers shared the work: the elements each summed
 * (report_spread's elements_per_worker).  Nothing for seq (N_WORKERS 0). */
void sum_squares_report_spread(struct report *report, const struct sum_squares_tasks *tasks,
                               size_t n_workers);

/* Every task's n, sum (a decimal string) and worker as data.sums. */
void sum_squares_attach_sums(struct report *report, const struct sum_squares_tasks *tasks);

/* Elements summed by all the tasks together. */
double sum_squares_elements(const struct sum_squares_tasks *tasks);

#ifdef __cplusplus
}
#endif

#endif
