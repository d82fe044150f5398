/* amdahl — how much faster can N threads make a program that is partly serial?
 *
 * Source: the study note of seed 004, after hamait's "concurrency and Future"
 * primer: "the speed of a program on many cores is limited by the time its
 * sequential part takes" (Amdahl's law).  If a fraction s of the work must run
 * on one thread and the rest splits evenly over N, the speedup over one thread
 * is at most
 *
 *     S(N) = 1 / (s + (1 - s) / N),   never more than 1/s however large N is.
 *
 * The work here is a fixed number of steps of a 64-bit congruential generator
 * (amdahl.h); --serial=s of them run first on the main thread, the rest in
 * --workers threads, one equal chunk each.  The total is checked exactly
 * against a closed form.  Every run prints S(N) as predicted_speedup beside
 * its own time, so a sweep of --workers shows law and measurement together.
 *
 * Variants (--list): workers-1, workers-2, ... up to the cores online (every
 * count to 8, then doublings, then the core count itself): --mode=threads
 * --workers=N; then seq, --mode=seq: both parts on the main thread, no
 * thread at all: the cost of starting threads is the difference to workers-1.
 * --sweep prints "--mode=threads --workers={workers}" for a parameter scan.
 */
#include "amdahl.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "clock.h"
#include "fail.h"
#include "report.h"
#include "sysinfo.h"
#include "thread_team.h"

/* ---- the kernel --------------------------------------------------------- */

struct lcg_span lcg_span_then(struct lcg_span first, struct lcg_span second)
{
    /* Run SECOND from FIRST's end state mul1*x0 + add1 and substitute. */
    return (struct lcg_span){
        .mul = second.mul * first.mul,
        .add = second.mul * first.add + second.add,
        .sum_mul = first.sum_mul + second.sum_mul * first.mul,
        .sum_add = first.sum_add + second.sum_mul * first.add + second.sum_add,
    };
}

struct lcg_span lcg_span_of(uint64_t count)
{
    struct lcg_span result = {.mul = 1, .add = 0, .sum_mul = 0, .sum_add = 0};
    struct lcg_span power = {.mul = AMDAHL_LCG_MULTIPLIER, .add = AMDAHL_LCG_INCREMENT,
                             .sum_mul = 1, .sum_add = 0};
    /* Every power is a span of the same generator, so they commute and the
     * order of composition does not matter. */
    for (; count > 0; count >>= 1) {
        if (count & 1)
            result = lcg_span_then(result, power);
        power = lcg_span_then(power, power);
    }
    return result;
}

uint64_t lcg_jump(uint64_t state, uint64_t count)
{
    struct lcg_span span = lcg_span_of(count);
    return span.mul * state + span.add;
}

uint64_t lcg_walk(uint64_t *state, uint64_t count)
{
    uint64_t x = *state, sum = 0;
    for (uint64_t i = 0; i < count; i++) {
        sum += x;
        x = x * AMDAHL_LCG_MULTIPLIER + AMDAHL_LCG_INCREMENT;
    }
    *state = x;
    return sum;
}

/* ---- the work, cut into a serial part and equal chunks ------------------ */

#define AMDAHL_SEED 2019u         /* the year of the seed note; any value works */
#define SERIAL_DECIMALS 3         /* --serial in thousandths */
#define SERIAL_ONE 1000           /* 1.000 in those units */
#define MAX_WORKERS 1024
#define MAX_WORK 100000000000LL   /* 1e11 steps: minutes on one core */
#define MIN_WORK 1000LL
#define BOOK_WORK 1000000000LL /* about a second on one core */

/* One worker's chunk: steps [first, first + count) of the whole sequence. */
struct chunk {
    uint64_t origin;    /* the state where the parallel part begins */
    uint64_t offset;    /* steps from there to this chunk's first */
    uint64_t count;
    uint64_t sum;       /* out: sum of the chunk's states */
    uint64_t end_state; /* out: the state after its last step */
};

struct outcome {
    uint64_t serial_sum, serial_end;
    struct chunk *chunks;
    size_t n_chunks;
    double serial_s, parallel_s, elapsed_s;
};

static void run_chunk(struct chunk *chunk)
{
    uint64_t state = lcg_jump(chunk->origin, chunk->offset);
    chunk->sum = lcg_walk(&state, chunk->count);
    chunk->end_state = state;
}

static void *chunk_thread(void *arg)
{
    run_chunk(arg);
    return NULL;
}

/* Runs every chunk in a thread of its own and joins them all, also those
 * started before a pthread_create that failed. */
static void run_in_threads(struct chunk *chunks, size_t n_chunks)
{
    pthread_t *threads = calloc(n_chunks, sizeof *threads);
    if (threads == NULL)
        fail_wrong("out of memory for %zu threads", n_chunks);
    size_t started = 0;
    int error = 0;
    for (; started < n_chunks; started++) {
        error = thread_team_create(&threads[started], chunk_thread, &chunks[started]);
        if (error != 0)
            break;
    }
    for (size_t i = 0; i < started; i++) {
        int join_error = pthread_join(threads[i], NULL);
        if (join_error != 0)
            fail_code("pthread_join", join_error);
    }
    free(threads);
    if (error != 0)
        fail_code("pthread_create", error);
}

/* Cuts the parallel part, PARALLEL steps starting at ORIGIN, into N equal
 * chunks: their sizes differ by at most one step. */
static struct chunk *make_chunks(uint64_t origin, uint64_t parallel, size_t n)
{
    struct chunk *chunks = calloc(n, sizeof *chunks);
    if (chunks == NULL)
        fail_wrong("out of memory for %zu chunks", n);
    for (size_t k = 0; k < n; k++) {
        uint64_t first = parallel * k / n, end = parallel * (k + 1) / n;
        chunks[k] = (struct chunk){.origin = origin, .offset = first, .count = end - first};
    }
    return chunks;
}

/* ---- the program -------------------------------------------------------- */

/* threads first: cli's default mode is the first. */
enum mode { MODE_THREADS, MODE_SEQ };
static const char *const mode_names[] = {"threads", "seq", NULL};

struct settings {
    int mode;
    long long workers, serial, work;
    struct cli_common common;
};

static uint64_t serial_steps(const struct settings *settings)
{
    return (uint64_t)settings->work * (uint64_t)settings->serial / SERIAL_ONE;
}

static struct outcome run(const struct settings *settings)
{
    uint64_t serial = serial_steps(settings), parallel = (uint64_t)settings->work - serial;
    struct outcome outcome = {.serial_end = AMDAHL_SEED, .n_chunks = (size_t)settings->workers};
    double start = clock_now();
    outcome.serial_sum = lcg_walk(&outcome.serial_end, serial);
    outcome.serial_s = clock_since(start);
    /* The chunks start from the state the serial part computed: the parallel
     * part really depends on the serial one, as in a program that must read
     * its input before it can split it. */
    outcome.chunks = make_chunks(outcome.serial_end, parallel, outcome.n_chunks);
    double parallel_start = clock_now();
    if (settings->mode == MODE_SEQ)
        run_chunk(&outcome.chunks[0]);
    else
        run_in_threads(outcome.chunks, outcome.n_chunks);
    outcome.parallel_s = clock_since(parallel_start);
    outcome.elapsed_s = clock_since(start);
    return outcome;
}

/* Amdahl's bound for serial fraction S (0..1) on N workers. */
static double amdahl_speedup(double s, double n) { return 1.0 / (s + (1.0 - s) / n); }

/* The variants: every worker count up to 8, then doublings, then the core
 * count itself, all capped by the cores online. */
#define MAX_VARIANTS 33 /* 32 worker counts at most, and seq */
static char variant_names[MAX_VARIANTS][32];
static char variant_args[MAX_VARIANTS][32];
static struct cli_variant variants[MAX_VARIANTS];

static size_t add_variant(size_t count, long long workers)
{
    snprintf(variant_names[count], sizeof variant_names[count], "workers-%lld", workers);
    snprintf(variant_args[count], sizeof variant_args[count], "--workers=%lld", workers);
    variants[count] = (struct cli_variant){variant_names[count], MODE_THREADS, variant_args[count]};
    return count + 1;
}

static size_t make_variants(int cores)
{
    long long top = cores < MAX_WORKERS ? cores : MAX_WORKERS, n = 1;
    size_t count = 0;
    for (; n <= top; n = n < 8 ? n + 1 : 2 * n)
        count = add_variant(count, n);
    /* Past 8 the loop stops at a power of two; the core count ends the list. */
    if (top > 8 && n / 2 != top)
        count = add_variant(count, top);
    /* Last, not first: workers-1 stays the baseline of the speedups. */
    variants[count] = (struct cli_variant){"seq", MODE_SEQ, NULL};
    return count + 1;
}

static const struct cli_sweep sweep[] = {
    {"threads", MODE_THREADS, "--workers={workers}", false},
};

static struct settings parse_settings(int argc, char **argv)
{
    int cores = sysinfo_online_cores();
    struct settings settings = {.serial = 50,
                                .workers = cores < MAX_WORKERS ? cores : MAX_WORKERS};
    const struct cli_option options[] = {
        {.name = "workers", .kind = CLI_INT, .min = 1, .max = MAX_WORKERS,
         .integer = &settings.workers, .modes = CLI_MODE(MODE_THREADS),
         .help = "threads sharing the parallel part; default: online cores"},
        {.name = "serial", .kind = CLI_DECIMAL, .decimals = SERIAL_DECIMALS, .min = 0,
         .max = SERIAL_ONE, .integer = &settings.serial,
         .help = "fraction of the work run on one thread, up to 3 decimals"},
        {.name = "work", .kind = CLI_INT, .min = MIN_WORK, .max = MAX_WORK,
         .integer = &settings.work,
         /* quick: tens of milliseconds at 2 workers, as the Amdahl fit
          * needs points longer than the start-up (20 ms or more). */
         .by_size = CLI_BY_SIZE(30000000LL, BOOK_WORK, 8000000000LL),
         .help = "generator steps in all; book: about a second on one core"},
    };
    const struct cli_program program = {
        .name = "amdahl",
        .summary = "A fixed amount of work, a fraction --serial of it on one thread and the "
                   "rest split over --workers threads: measured time beside Amdahl's "
                   "1/(s + (1-s)/N) (the note “동시성과 Future”).",
        .epilogue = "The sum of all states is checked against a closed form computed in "
                    "O(log n) steps.",
        .modes = mode_names,
        .mode_help = "threads: the parallel part in --workers threads; seq: all on the main "
                     "thread",
        .mode = &settings.mode,
        CLI_OPTIONS(options),
        .variants = variants,
        .n_variants = make_variants(cores),
        CLI_SWEEP(sweep),
    };
    cli_parse_or_exit(&program, argc, argv, &settings.common);
    if (settings.mode == MODE_SEQ)
        settings.workers = 1;
    return settings;
}

static void describe(struct report *report, const struct settings *settings,
                     const struct outcome *outcome)
{
    char serial_text[32];
    cli_format_decimal(settings->serial, SERIAL_DECIMALS, serial_text, sizeof serial_text);
    double s = (double)serial_steps(settings) / (double)settings->work;
    double n = (double)settings->workers;
    report_param_text(report, "mode", mode_names[settings->mode]);
    report_param_text(report, "size", cli_size_name(settings->common.size));
    report_param_int(report, "workers", settings->workers);
    report_param_text(report, "serial", serial_text);
    report_param_int(report, "work", settings->work);
    report_metric(report, "serial_fraction", s, "");
    report_metric(report, "predicted_speedup", amdahl_speedup(s, n), "x");
    report_metric(report, "serial_s", outcome->serial_s, "s");
    report_metric(report, "parallel_s", outcome->parallel_s, "s");
    report_note(report, "Amdahl: with s = %.3f on N = %lld workers the speedup over one worker is "
                        "at most 1/(s + (1-s)/N) = %.2f",
                s, settings->workers, amdahl_speedup(s, n));
    if (s > 0)
        report_note(report, "with any number of workers it stays below 1/s = %.1f", 1.0 / s);
    int cores = sysinfo_online_cores();
    if (settings->workers > cores)
        report_note(report, "only %d cores are online: at most %d workers run at once, so "
                            "expect no more than %.2f",
                    cores, cores, amdahl_speedup(s, (double)cores));
}

static void check(struct report *report, const struct settings *settings,
                  const struct outcome *outcome)
{
    uint64_t total = outcome->serial_sum, counted = serial_steps(settings);
    uint64_t smallest = UINT64_MAX, largest = 0;
    for (size_t k = 0; k < outcome->n_chunks; k++) {
        const struct chunk *chunk = &outcome->chunks[k];
        total += chunk->sum;
        counted += chunk->count;
        smallest = chunk->count < smallest ? chunk->count : smallest;
        largest = chunk->count > largest ? chunk->count : largest;
    }
    struct lcg_span whole = lcg_span_of((uint64_t)settings->work);
    uint64_t expected = whole.sum_mul * AMDAHL_SEED + whole.sum_add;
    report_check(report, "checksum", total == expected,
                 "sum of all %llu states mod 2^64: %llu; closed form %llu",
                 (unsigned long long)settings->work, (unsigned long long)total,
                 (unsigned long long)expected);
    uint64_t end = outcome->chunks[outcome->n_chunks - 1].end_state;
    uint64_t expected_end = whole.mul * AMDAHL_SEED + whole.add;
    report_check(report, "end_state", end == expected_end,
                 "the last chunk ends at %llu; closed form %llu", (unsigned long long)end,
                 (unsigned long long)expected_end);
    report_check(report, "even_split", counted == (uint64_t)settings->work && largest - smallest <= 1,
                 "%llu steps counted of %lld; chunks of %llu to %llu steps",
                 (unsigned long long)counted, settings->work, (unsigned long long)smallest,
                 (unsigned long long)largest);
}

static void attach_chunks(struct report *report, const struct outcome *outcome)
{
    cJSON *counts = cJSON_CreateArray();
    for (size_t k = 0; counts != NULL && k < outcome->n_chunks; k++)
        cJSON_AddItemToArray(counts, cJSON_CreateNumber((double)outcome->chunks[k].count));
    report_data(report, "chunk_steps", counts);
}

int main(int argc, char **argv)
{
    struct settings settings = parse_settings(argc, argv);
    struct outcome outcome = run(&settings);
    char variant[32] = "seq";
    if (settings.mode == MODE_THREADS)
        snprintf(variant, sizeof variant, "workers-%lld", settings.workers);
    struct report *report = report_new("amdahl", variant);
    describe(report, &settings, &outcome);
    report_elapsed(report, outcome.elapsed_s);
    check(report, &settings, &outcome);
    attach_chunks(report, &outcome);
    free(outcome.chunks);
    return report_finish(report, settings.common.json, stdout);
}
