/* convoy — what does a CPU-bound thread do to an I/O thread's response time?
 *
 * Effective Python (2nd ed.), item 53, says threads are fine for blocking
 * I/O: a thread blocked in a system call releases the GIL.  This experiment
 * asks what happens when the I/O thread shares the interpreter with a thread
 * that computes.  Its answer in CPython is the GIL's "convoy effect" (David
 * Beazley, "Understanding the Python GIL", 2010; CPython issue bpo-7946):
 * every time the I/O thread's wait ends, the CPU-bound thread holds the GIL,
 * and the I/O thread gets it back only after a whole switch interval.
 *
 * One I/O thread makes --ops short blocking waits: select() on the read end
 * of a pipe that nobody writes, with a --wait-us timeout (1 ms), and times
 * each one from the call until the thread runs again (under --gil: until it
 * holds the GIL again).
 *
 * Variants (--mode):
 *   alone      the I/O thread by itself
 *   neighbour  the I/O thread beside a CPU-bound thread that computes until
 *              the I/O thread is done
 *
 * --gil runs both under common/gil, an emulation of CPython's GIL.  The I/O
 * thread's waits release it, the neighbour checks for a drop request every
 * GIL_CHECK_EVERY iterations.  neighbour-gil is the convoy: each 1 ms wait
 * costs about 1 ms + one switch interval (5 ms, --switch-interval-ms).
 * Reported: the latency percentiles, how late each wait ended, and how much
 * the neighbour computed meanwhile.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/select.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "fail.h"
#include "gil.h"
#include "report.h"
#include "stats.h"
#include "thread_team.h"

enum mode { MODE_ALONE, MODE_NEIGHBOUR };
static const char *const mode_names[] = {"alone", "neighbour", NULL};

static const struct cli_variant variants[] = {
    {"alone", MODE_ALONE, NULL},
    {"neighbour", MODE_NEIGHBOUR, NULL},
    {"alone-gil", MODE_ALONE, "--gil"},
    {"neighbour-gil", MODE_NEIGHBOUR, "--gil"},
};

#define MAX_OPS 100000
#define MAX_WAIT_US 1000000
/* Longest run a command line may ask for, ops x wait, in seconds. */
#define MAX_WAITING_S 600

/* ---- the two threads ------------------------------------------------------- */

/* What both threads share: the descriptor, and the I/O thread's "done". */
struct shared {
    int fd;   /* read end of a pipe whose write end stays open: never readable */
    int keep; /* that write end */
    atomic_bool io_done;
};

enum role { ROLE_IO, ROLE_CPU };

/* One thread of the team, either role; each writes only its own member. */
struct member {
    enum role role;
    struct shared *shared;
    /* ROLE_IO */
    size_t ops;
    long long wait_us;
    double *latency_s; /* one per wait */
    size_t became_ready;
    /* ROLE_CPU */
    unsigned long long iterations;
    uint64_t sink;
};

/* One short blocking wait, with the GIL released around it as
 * select.select releases CPython's; true when FD (wrongly) became readable.
 * Returns only once this thread holds the GIL again. */
static bool wait_once(int fd, long long wait_us)
{
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(fd, &readable);
    struct timeval timeout = {.tv_sec = (time_t)(wait_us / 1000000),
                              .tv_usec = (suseconds_t)(wait_us % 1000000)};
    int ready;
    GIL_RELEASED(ready = select(fd + 1, &readable, NULL, NULL, &timeout));
    if (ready < 0)
        fail_sys("select");
    return ready > 0;
}

static void run_io(struct member *io)
{
    for (size_t k = 0; k < io->ops; k++) {
        double start = clock_now();
        io->became_ready += wait_once(io->shared->fd, io->wait_us);
        io->latency_s[k] = clock_since(start);
    }
    atomic_store_explicit(&io->shared->io_done, true, memory_order_release);
}

/* The neighbour: a CPU loop (a linear congruential step, which the compiler
 * cannot fold away) with the eval-breaker check after every block, until the
 * I/O thread is done. */
static void run_cpu(struct member *cpu)
{
    uint64_t x = cpu->sink;
    while (!atomic_load_explicit(&cpu->shared->io_done, memory_order_acquire)) {
        for (int i = 0; i < GIL_CHECK_EVERY; i++)
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        cpu->iterations += GIL_CHECK_EVERY;
        gil_checkpoint();
    }
    cpu->sink = x;
}

/* Under --gil each member is a GIL thread (thread_team). */
static void member_main(void *item)
{
    struct member *member = item;
    if (member->role == ROLE_IO)
        run_io(member);
    else
        run_cpu(member);
}

static void open_shared(struct shared *shared)
{
    int ends[2];
    if (pipe(ends) != 0)
        fail_sys("pipe");
    if (ends[0] >= FD_SETSIZE)
        fail_wrong("descriptor %d is beyond select()'s limit of %d", ends[0], FD_SETSIZE);
    shared->fd = ends[0];
    shared->keep = ends[1];
    atomic_init(&shared->io_done, false);
}

static void close_shared(struct shared *shared)
{
    if (close(shared->fd) != 0 || close(shared->keep) != 0)
        fail_sys("close");
}

/* ---- the program ------------------------------------------------------------ */

struct settings {
    int mode;
    long long ops, wait_us;
    struct gil_options gil;
    struct cli_common common;
};

static struct settings parse_settings(int argc, char **argv)
{
    struct settings settings = {.wait_us = 1000, .gil = GIL_OPTIONS_DEFAULT};
    const struct cli_option options[] = {
        {.name = "ops", .kind = CLI_INT, .min = 1, .max = MAX_OPS, .integer = &settings.ops,
         .by_size = CLI_BY_SIZE(20, 200, 2000), .help = "blocking waits the I/O thread makes"},
        {.name = "wait-us", .kind = CLI_INT, .min = 1, .max = MAX_WAIT_US,
         .integer = &settings.wait_us,
         .help = "each wait's timeout in microseconds"},
        GIL_CLI_OPTIONS(&settings.gil),
    };
    const struct cli_program program = {
        .name = "convoy",
        .summary = "Time an I/O thread's short blocking waits, alone and beside a CPU-bound "
                   "thread, with and without an emulated GIL (the convoy effect).",
        .epilogue = "Each wait is a select() with a timeout on a pipe nobody writes; its latency "
                    "runs from the call until the thread runs again (with --gil: holds the GIL).\n"
                    "Every wait must last at least its timeout, else the answer is wrong (exit 1).",
        .modes = mode_names,
        .mode_help = "the I/O thread alone or beside a CPU-bound one",
        .mode = &settings.mode,
        CLI_OPTIONS(options),
        CLI_VARIANTS(variants),
    };
    cli_parse_or_exit(&program, argc, argv, &settings.common);
    if ((double)settings.ops * (double)settings.wait_us / 1e6 > MAX_WAITING_S)
        fail_usage("--ops=%lld x --wait-us=%lld is more than %d s of waiting", settings.ops,
                   settings.wait_us, MAX_WAITING_S);
    return settings;
}

/* Latency percentiles, and how late the waits ended: latency - timeout. */
static void report_latency(struct report *report, const struct member *io)
{
    double *ms = malloc(io->ops * sizeof *ms);
    cJSON *list = cJSON_CreateArray();
    if (ms == NULL || list == NULL)
        fail_wrong("out of memory for %zu latencies", io->ops);
    for (size_t k = 0; k < io->ops; k++) {
        ms[k] = io->latency_s[k] * 1e3;
        cJSON_AddItemToArray(list, cJSON_CreateNumber(ms[k]));
    }
    double wait_ms = (double)io->wait_us / 1e3;
    double p50 = stats_percentile(ms, io->ops, 50), p99 = stats_percentile(ms, io->ops, 99);
    report_metric(report, "latency_p50_ms", p50, "ms");
    report_metric(report, "latency_p90_ms", stats_percentile(ms, io->ops, 90), "ms");
    report_metric(report, "latency_p99_ms", p99, "ms");
    report_metric(report, "latency_max_ms", stats_percentile(ms, io->ops, 100), "ms");
    report_metric(report, "late_p50_ms", p50 - wait_ms, "ms");
    report_metric(report, "late_p99_ms", p99 - wait_ms, "ms");
    report_data(report, "latencies_ms", list);
    free(ms);
}

static void explain(struct report *report, const struct settings *settings, double p50_ms)
{
    double wait_ms = (double)settings->wait_us / 1e3;
    if (settings->mode == MODE_ALONE)
        report_note(report, "alone, each %.3g ms wait took %.3f ms (p50): the timer's slack and "
                            "a wake-up%s", wait_ms, p50_ms,
                    settings->gil.enabled ? ", and taking back a GIL that nobody else wants" : "");
    else if (!settings->gil.enabled)
        report_note(report, "the neighbour computes on another core, and the kernel wakes the I/O "
                            "thread at once: %.3f ms (p50) for a %.3g ms wait", p50_ms, wait_ms);
    else
        report_note(report, "the convoy: each wait ended with the GIL held by the computing "
                            "neighbour; the I/O thread waited one switch interval (%lld ms) for "
                            "it, asked (a drop request), and got it at the neighbour's next check "
                            "point: %.3f ms (p50) for a %.3g ms wait",
                    settings->gil.switch_interval_ms, p50_ms, wait_ms);
}

static void describe(struct report *report, const struct settings *settings,
                     const struct member *members, double elapsed)
{
    const struct member *io = &members[0];
    report_param_text(report, "mode", mode_names[settings->mode]);
    report_param_text(report, "size", cli_size_name(settings->common.size));
    report_param_int(report, "ops", settings->ops);
    report_param_int(report, "wait_us", settings->wait_us);
    report_elapsed(report, elapsed);
    report_metric(report, "ops_per_s", (double)io->ops / elapsed, "ops/s");
    report_latency(report, io);
    explain(report, settings, stats_percentile(io->latency_s, io->ops, 50) * 1e3);
}

/* The answer: every wait waited, and the neighbour, if any, computed. */
static void check_answer(struct report *report, const struct settings *settings,
                         const struct member *members, double elapsed)
{
    const struct member *io = &members[0];
    double shortest = io->latency_s[0];
    for (size_t k = 1; k < io->ops; k++)
        shortest = shortest < io->latency_s[k] ? shortest : io->latency_s[k];
    report_check(report, "each_wait_at_least_timeout", shortest * 1e6 >= (double)io->wait_us,
                 "the shortest of %zu waits took %.3f ms, the timeout is %.3f ms", io->ops,
                 shortest * 1e3, (double)io->wait_us / 1e3);
    report_check(report, "descriptor_stayed_unreadable", io->became_ready == 0,
                 "%zu of %zu waits found the pipe readable", io->became_ready, io->ops);
    if (settings->mode == MODE_NEIGHBOUR) {
        const struct member *cpu = &members[1];
        report_metric(report, "neighbour_iterations", (double)cpu->iterations, "");
        report_metric(report, "neighbour_ns_per_iteration",
                      cpu->iterations ? elapsed * 1e9 / (double)cpu->iterations : 0, "ns");
        report_check(report, "neighbour_computed", cpu->iterations > 0,
                     "the neighbour did %llu iterations meanwhile", cpu->iterations);
    }
}

int main(int argc, char **argv)
{
    struct settings settings = parse_settings(argc, argv);
    struct shared shared;
    open_shared(&shared);
    size_t n_ops = (size_t)settings.ops;
    double *latency_s = calloc(n_ops, sizeof *latency_s);
    if (latency_s == NULL)
        fail_wrong("out of memory for %zu latencies", n_ops);
    struct member members[2] = {
        {.role = ROLE_IO, .shared = &shared, .ops = n_ops, .wait_us = settings.wait_us,
         .latency_s = latency_s},
        {.role = ROLE_CPU, .shared = &shared, .sink = 1},
    };
    size_t n_members = settings.mode == MODE_NEIGHBOUR ? 2 : 1;

    gil_init(&settings.gil);
    double start = clock_now();
    thread_team_run(n_members, member_main, members, sizeof members[0]);
    double elapsed = clock_since(start);
    close_shared(&shared);

    char variant[32];
    struct report *report = report_new(
        "convoy", gil_variant_name(&settings.gil, mode_names[settings.mode], variant,
                                   sizeof variant));
    describe(report, &settings, members, elapsed);
    check_answer(report, &settings, members, elapsed);
    gil_report(report);
    gil_shutdown();
    free(latency_s);
    return report_finish(report, settings.common.json, stdout);
}
