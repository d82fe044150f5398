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
 * *BASE .. *BASE + *TASKS - 1.  Their defaults by size: quick, tens of
 * milliseconds (from 50000 it took 3 ms, and starting the workers swamped
 * the speedup); book, the source's 20 tasks of about 5e6; large, the same
 * tasks eight times over, to keep many cores balanced. */
#define SUM_SQUARES_CLI_OPTIONS(base, tasks)                                                    \
    {.name = "base", .kind = CLI_INT, .min = 1, .max = (long long)SUM_SQUARES_MAX_N,           \
     .integer = (base), .by_size = CLI_BY_SIZE(1500000, 5000000, 5000000),                     \
     .help = "n of the first task"},                                                           \
    {                                                                                          \
        .name = "tasks", .kind = CLI_INT, .min = 1, .max = SUM_SQUARES_MAX_TASKS,              \
        .integer = (tasks), .by_size = CLI_BY_SIZE(20, 20, 160),                               \
        .help = "number of tasks, n = base .. base+tasks-1"                                    \
    }

/* A usage error (exit 2) when the last n, BASE + TASKS - 1, is past
 * SUM_SQUARES_MAX_N. */
void sum_squares_check_range(long long base, long long tasks);

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
