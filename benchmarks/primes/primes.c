/* primes — a pool of threads or a pool of processes for CPU-bound work?
 *
 * Seed 004 (the study note on concurrent.futures), its ProcessPoolExecutor
 * example, with Effective Python (2nd ed.) items 59-64 behind it: is_prime by
 * trial division with the odd divisors up to sqrt(n), mapped over the notes'
 * PRIMES list 112272535095293, 112582705942171, 112272535095293,
 * 115280095190773, 115797848077099 and 1099726899285419 (the last one is
 * 3306091 x 332636609, not prime).  The note took 4.9 s in CPython with a
 * process pool.  In CPython a thread pool gains nothing here (the GIL); C
 * threads run in parallel, so here the pools are compared as pools.
 *
 * Variants (--mode):
 *   seq           one number after the other, the reference
 *   thread-pool   executor.map over a pool of --workers threads (default:
 *                 the cores online), one task per number, as the notes do
 *   process-pool  the same over a pool of --workers forked processes;
 *                 numbers and answers cross pipes as bytes (the pickling)
 * Switches:
 *   --gil         thread-pool (or seq) under common/gil, an emulation of
 *                 CPython's GIL: why Python needs the processes here
 *   --split       each number's divisor range cut into pieces of
 *                 --piece-size candidates, one task each; a piece that
 *                 finds a divisor cancels the later pieces of its number
 *                 (future_cancel from a done callback).  Six tasks, five of
 *                 them the same size, cannot keep two cores busy to the end:
 *                 one task per number gains at most 1.77 on two cores.
 */
#include "primes.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "executor.h"
#include "fail.h"
#include "gil.h"
#include "pin.h"
#include "report.h"
#include "sync.h"
#include "sysinfo.h"

/* ---- the kernel ---------------------------------------------------------- */

uint64_t isqrt_u64(uint64_t n)
{
    uint64_t root = 0;
    for (uint64_t bit = (uint64_t)1 << 62; bit != 0; bit >>= 2) {
        if (n >= root + bit) {
            n -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
    }
    return root;
}

uint64_t smallest_odd_divisor(uint64_t n, uint64_t lo, uint64_t hi)
{
    /* Blocks of GIL_CHECK_EVERY candidates with a GIL check point between
     * them, where CPython's loop would check its eval breaker.  hi <= 2^32,
     * so candidate + 2 never overflows. */
    for (uint64_t block = lo; block <= hi; block += 2 * GIL_CHECK_EVERY) {
        uint64_t last = hi - block < 2 * GIL_CHECK_EVERY ? hi : block + 2 * GIL_CHECK_EVERY - 1;
        for (uint64_t candidate = block; candidate <= last; candidate += 2) {
            if (n % candidate == 0)
                return candidate;
        }
        gil_checkpoint();
    }
    return 0;
}

bool is_prime_by_trial(uint64_t n, uint64_t *divisor)
{
    uint64_t found = 0;
    bool prime;
    if (n < 4) {
        prime = n >= 2;
    } else if (n % 2 == 0) {
        found = 2;
        prime = false;
    } else {
        found = smallest_odd_divisor(n, 3, isqrt_u64(n));
        prime = found == 0;
    }
    if (divisor != NULL)
        *divisor = found;
    return prime;
}

/* Odd candidates from LO to HI (LO odd). */
static uint64_t odd_count(uint64_t lo, uint64_t hi)
{
    return hi < lo ? 0 : (hi - lo) / 2 + 1;
}

uint64_t trial_divisions(uint64_t n, uint64_t divisor)
{
    if (n < 4 || n % 2 == 0)
        return 1;
    return divisor != 0 ? odd_count(3, divisor) : odd_count(3, isqrt_u64(n));
}

/* A * B mod M without overflow, M < 2^63: double and add. */
static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
    uint64_t result = 0;
    a %= m;
    for (; b != 0; b >>= 1) {
        if (b & 1)
            result = result >= m - a ? result - (m - a) : result + a;
        a = a >= m - a ? a - (m - a) : a + a;
    }
    return result;
}

static uint64_t powmod(uint64_t base, uint64_t exponent, uint64_t m)
{
    uint64_t result = 1 % m;
    for (base %= m; exponent != 0; exponent >>= 1) {
        if (exponent & 1)
            result = mulmod(result, base, m);
        base = mulmod(base, base, m);
    }
    return result;
}

bool is_prime_miller_rabin(uint64_t n)
{
    static const uint64_t bases[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
    if (n < 2)
        return false;
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        if (n % bases[i] == 0)
            return n == bases[i];
    }
    uint64_t odd = n - 1;
    int twos = 0;
    for (; odd % 2 == 0; odd /= 2)
        twos++;
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        uint64_t x = powmod(bases[i], odd, n);
        if (x == 1 || x == n - 1)
            continue;
        bool witness = true;
        for (int r = 1; r < twos && witness; r++) {
            x = mulmod(x, x, n);
            witness = x != n - 1;
        }
        if (witness)
            return false;
    }
    return true;
}

/* ---- tasks: what travels to a worker and back ---------------------------- */

/* One number's answer, as a worker sends it back. */
struct verdict {
    uint64_t prime;   /* 1 or 0 */
    uint64_t divisor; /* the smallest found, 0 if none */
};

/* The notes' task: is_prime(n) for one number. */
static int number_task(const void *arg, size_t size, struct executor_output *out)
{
    uint64_t n;
    if (size != sizeof n)
        return EINVAL;
    memcpy(&n, arg, sizeof n);
    struct verdict verdict = {0};
    verdict.prime = is_prime_by_trial(n, &verdict.divisor);
    return executor_output_write(out, &verdict, sizeof verdict) ? 0 : ENOMEM;
}

/* --split: the odd candidates LO..HI of one number. */
struct piece {
    uint64_t n, lo, hi;
};

static int piece_task(const void *arg, size_t size, struct executor_output *out)
{
    struct piece piece;
    if (size != sizeof piece)
        return EINVAL;
    memcpy(&piece, arg, sizeof piece);
    uint64_t divisor = smallest_odd_divisor(piece.n, piece.lo, piece.hi);
    return executor_output_write(out, &divisor, sizeof divisor) ? 0 : ENOMEM;
}

/* ---- settings ------------------------------------------------------------ */

enum mode { MODE_SEQ, MODE_THREAD_POOL, MODE_PROCESS_POOL };
static const char *const mode_names[] = {"seq", "thread-pool", "process-pool", NULL};

static const struct cli_variant variants[] = {
    {"seq", MODE_SEQ, NULL},
    {"thread-pool", MODE_THREAD_POOL, NULL},
    {"process-pool", MODE_PROCESS_POOL, NULL},
    {"thread-pool-gil", MODE_THREAD_POOL, "--gil"},
    {"thread-pool-split", MODE_THREAD_POOL, "--split"},
    {"process-pool-split", MODE_PROCESS_POOL, "--split"},
};

#define POOL_MODES (CLI_MODE(MODE_THREAD_POOL) | CLI_MODE(MODE_PROCESS_POOL))

/* The notes' PRIMES, and what their program printed for them. */
static const uint64_t book_numbers[] = {112272535095293, 112582705942171, 112272535095293,
                                        115280095190773, 115797848077099, 1099726899285419};
static const bool book_answers[] = {true, true, true, true, true, false};
/* The same shape, about a seventh of the work (tens of milliseconds, so that
 * starting the pool does not swamp the speedup): four primes (one twice) near
 * 10^13 and 980027 x 100000007, whose divisor ends the search about a third of
 * the way, as 3306091 does for the last of the notes' list. */
static const uint64_t quick_numbers[] = {10000000000037, 10000001000029, 10000000000037,
                                         9980000000011,  9999999000001,  98002706860189};

#define BOOK_COUNT (sizeof book_numbers / sizeof book_numbers[0])
#define LARGE_REPEAT 4
#define MAX_WORKERS 256
#define MAX_PIECES 100000

struct settings {
    int mode;
    bool split;
    long long workers, piece_size;
    uint64_t numbers[CLI_MAX_POSITIONAL];
    size_t n_numbers;
    bool book_list; /* the notes' list (or repeats of it): their answers apply */
    struct gil_options gil;
    int pin;
    struct cli_common common;
};

static void default_numbers(struct settings *settings)
{
    enum cli_size size = settings->common.size;
    const uint64_t *list = size == CLI_SIZE_QUICK ? quick_numbers : book_numbers;
    size_t repeat = size == CLI_SIZE_LARGE ? LARGE_REPEAT : 1;
    for (size_t r = 0; r < repeat; r++)
        for (size_t i = 0; i < BOOK_COUNT; i++)
            settings->numbers[settings->n_numbers++] = list[i];
    settings->book_list = size != CLI_SIZE_QUICK;
}

static void parse_numbers(struct settings *settings)
{
    for (int i = 0; i < settings->common.n_positional; i++) {
        long long value;
        char why[128], quoted[CLI_QUOTED_MAX];
        const char *text = settings->common.positional[i];
        if (!cli_parse_integer(text, 1, (long long)PRIMES_MAX_NUMBER, &value, why, sizeof why))
            fail_usage("NUMBER '%s': %s", cli_quote(text, quoted, sizeof quoted), why);
        settings->numbers[settings->n_numbers++] = (uint64_t)value;
    }
}

/* Pieces of N's odd candidates 3..sqrt(N) for --split; none when N needs
 * no division (even, or below 9). */
static size_t pieces_of(uint64_t n, uint64_t piece_size)
{
    if (n < 9 || n % 2 == 0)
        return 0;
    uint64_t candidates = odd_count(3, isqrt_u64(n));
    return (size_t)((candidates + piece_size - 1) / piece_size);
}

static void check_combinations(const struct settings *settings)
{
    size_t total = 0;
    for (size_t i = 0; settings->split && i < settings->n_numbers; i++)
        total += pieces_of(settings->numbers[i], (uint64_t)settings->piece_size);
    if (total > MAX_PIECES)
        fail_usage("--split would make %zu pieces (at most %d): raise --piece-size", total,
                   MAX_PIECES);
}

static const struct cli_sweep sweep[] = {
    {"threads", MODE_THREAD_POOL, "--split --workers={workers}", false},
    {"processes", MODE_PROCESS_POOL, "--split --workers={workers}", false},
};

static struct settings parse_settings(int argc, char **argv)
{
    struct settings settings = {.workers = sysinfo_online_cores(),
                                .piece_size = 500000,
                                .gil = GIL_OPTIONS_DEFAULT};
    if (settings.workers > MAX_WORKERS)
        settings.workers = MAX_WORKERS;
    const struct cli_option options[] = {
        {.name = "workers", .kind = CLI_INT, .min = 1, .max = MAX_WORKERS,
         .integer = &settings.workers, .modes = POOL_MODES,
         .help = "threads or processes in the pool; default: the cores online"},
        {.name = "split", .kind = CLI_FLAG, .flag = &settings.split, .modes = POOL_MODES,
         .help = "one task per piece of a number's divisor range, not per number"},
        {.name = "piece-size", .kind = CLI_INT, .min = 1000, .max = 1000000000,
         .integer = &settings.piece_size, .needs = "split",
         .modes = POOL_MODES, .help = "odd candidates per piece"},
        /* Not the process pool: each worker process would have a GIL of its
         * own, as with multiprocessing. */
        GIL_CLI_OPTIONS_FOR(&settings.gil, CLI_MODE(MODE_SEQ) | CLI_MODE(MODE_THREAD_POOL)),
        PIN_CLI_OPTION(&settings.pin),
    };
    const struct cli_program program = {
        .name = "primes",
        .summary = "Test numbers for primality by trial division, sequentially or mapped over a "
                   "thread pool or a process pool (the note “동시성과 Future”, concurrent.futures).",
        .positional = "NUMBER",
        .epilogue = "Without NUMBERs: the notes' PRIMES list (book), the same shape near 10^13 "
                    "(quick), the notes' list four times (large).\n"
                    "One task per number keeps at most min(workers, tasks) cores busy, and the "
                    "last round may be short of tasks; --split evens the work out.",
        .modes = mode_names,
        .mode_help = "who tests the numbers",
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
    check_combinations(&settings);
    return settings;
}

/* ---- three ways to run the tasks ---------------------------------------- */

struct answers {
    bool prime[CLI_MAX_POSITIONAL];
    uint64_t divisor[CLI_MAX_POSITIONAL];
};

static void run_seq(const struct settings *settings, struct answers *answers)
{
    gil_thread_begin();
    for (size_t i = 0; i < settings->n_numbers; i++)
        answers->prime[i] = is_prime_by_trial(settings->numbers[i], &answers->divisor[i]);
    gil_thread_end();
}

static void begin_gil_thread(void *unused)
{
    (void)unused;
    gil_thread_begin();
}

static void end_gil_thread(void *unused)
{
    (void)unused;
    gil_thread_end();
}

static struct executor *make_pool(const struct settings *settings)
{
    const struct executor_options gil_threads = {begin_gil_thread, end_gil_thread, NULL};
    size_t workers = (size_t)settings->workers;
    struct executor *pool = settings->mode == MODE_THREAD_POOL
                                ? executor_new_threads(workers, &gil_threads)
                                : executor_new_processes(workers, NULL);
    if (pool == NULL)
        fail_sys(settings->mode == MODE_THREAD_POOL ? "executor_new_threads"
                                                    : "executor_new_processes");
    return pool;
}

/* The notes' shape: executor.map(is_prime, PRIMES). */
static void run_map(struct executor *pool, const struct settings *settings,
                    struct answers *answers)
{
    struct verdict verdicts[CLI_MAX_POSITIONAL];
    struct executor_map_failure failure;
    enum future_outcome outcome =
        executor_map(pool, number_task, settings->numbers, sizeof(uint64_t), settings->n_numbers,
                     verdicts, sizeof verdicts[0], EXECUTOR_FOREVER, &failure);
    if (outcome != FUTURE_OK)
        fail_wrong("the task for %llu: %s (error %d)",
                   (unsigned long long)settings->numbers[failure.index],
                   future_outcome_name(outcome), failure.error);
    for (size_t i = 0; i < settings->n_numbers; i++) {
        answers->prime[i] = verdicts[i].prime != 0;
        answers->divisor[i] = verdicts[i].divisor;
    }
}

/* --split: the futures of one number's pieces, in candidate order.  Done
 * callbacks run in the pool's threads while the pieces are still being
 * submitted, so the plan's mutex guards the arrays and FOUND. */
struct number_pieces {
    pthread_mutex_t *plan_mutex;
    struct future **futures; /* NULL: not submitted, its number was decided */
    size_t count, submitted;
    size_t found; /* the first piece known to hold a divisor; SIZE_MAX: none yet */
};

struct piece_ref {
    struct number_pieces *number;
    size_t index;
};

/* CPython's Lock.acquire: under --gil a waiter lets go of the GIL (else a
 * waiter holding the GIL and a holder wanting it would wait for each other). */
static void lock_plan(pthread_mutex_t *mutex)
{
    int rc = gil_mutex_lock(mutex);
    if (rc != 0)
        fail_code("pthread_mutex_lock", rc);
}

/* A piece's done callback: once it found a divisor, the later pieces of its
 * number need not run.  (Cancelling runs their callbacks here too; they
 * return at once, having no result.) */
static void cancel_later_pieces(struct future *future, void *arg)
{
    const struct piece_ref *ref = arg;
    struct number_pieces *number = ref->number;
    const void *data;
    size_t size;
    uint64_t divisor = 0;
    if (future_result(future, 0, &data, &size) == FUTURE_OK && size == sizeof divisor)
        memcpy(&divisor, data, sizeof divisor);
    if (divisor == 0)
        return;
    lock_plan(number->plan_mutex);
    if (ref->index < number->found)
        number->found = ref->index;
    for (size_t k = ref->index + 1; k < number->submitted; k++) {
        if (number->futures[k] != NULL)
            future_cancel(number->futures[k]);
    }
    sync_unlock(number->plan_mutex);
}

/* Submits piece K of NUMBER (N's odd candidates), unless an earlier piece
 * already found a divisor.  The future is submitted and recorded under the
 * plan's mutex: a callback that finds a divisor meanwhile waits for it, so
 * it sees this piece and cancels it before a worker can start it.  Returns
 * false when the piece was left out. */
static bool submit_piece(struct executor *pool, struct number_pieces *number, struct piece_ref *ref,
                         const struct piece *piece)
{
    size_t k = ref->index;
    struct future *future = NULL;
    lock_plan(number->plan_mutex);
    if (number->found > k) {
        future = executor_submit(pool, piece_task, piece, sizeof *piece);
        if (future == NULL)
            fail_sys("executor_submit");
    }
    number->futures[k] = future;
    number->submitted = k + 1;
    sync_unlock(number->plan_mutex);
    /* Outside the mutex: on a future already done the callback runs here. */
    if (future != NULL)
        future_add_done_callback(future, cancel_later_pieces, ref);
    return future != NULL;
}

/* Submits every piece of every number, pieces[i] holding number i's.
 * Returns how many were left out because their number was decided. */
static size_t submit_pieces(struct executor *pool, const struct settings *settings,
                            pthread_mutex_t *plan_mutex, struct number_pieces *pieces,
                            struct future **all, struct piece_ref *refs)
{
    size_t used = 0, left_out = 0;
    uint64_t size = (uint64_t)settings->piece_size;
    for (size_t i = 0; i < settings->n_numbers; i++) {
        uint64_t n = settings->numbers[i], top = isqrt_u64(n);
        pieces[i] = (struct number_pieces){.plan_mutex = plan_mutex, .futures = &all[used],
                                           .count = pieces_of(n, size), .found = SIZE_MAX};
        for (size_t k = 0; k < pieces[i].count; k++, used++) {
            struct piece piece = {.n = n, .lo = 3 + 2 * size * k};
            piece.hi = top - piece.lo < 2 * (size - 1) ? top : piece.lo + 2 * (size - 1);
            refs[used] = (struct piece_ref){&pieces[i], k};
            left_out += !submit_piece(pool, &pieces[i], &refs[used], &piece);
        }
    }
    return left_out;
}

/* Number I's answer from its pieces: the first divisor in candidate order;
 * a piece cancelled or left out is right only after one that found one. */
static void gather_pieces(const struct settings *settings, size_t i,
                          const struct number_pieces *pieces, struct answers *answers)
{
    uint64_t n = settings->numbers[i], divisor = 0;
    if (pieces->count == 0) {
        answers->prime[i] = is_prime_by_trial(n, &answers->divisor[i]);
        return;
    }
    for (size_t k = 0; k < pieces->count; k++) {
        struct future *future = pieces->futures[k];
        const void *data = NULL;
        size_t size = 0;
        enum future_outcome outcome = future == NULL
                                          ? FUTURE_CANCELLED
                                          : future_result(future, EXECUTOR_FOREVER, &data, &size);
        if (outcome == FUTURE_CANCELLED && divisor != 0)
            continue;
        if (outcome != FUTURE_OK || size != sizeof divisor) {
            char why[160] = "left out";
            fail_wrong("piece %zu of %llu: %s", k, (unsigned long long)n,
                       future ? future_describe(future, why, sizeof why) : why);
        }
        uint64_t found;
        memcpy(&found, data, sizeof found);
        if (divisor == 0)
            divisor = found;
    }
    answers->prime[i] = divisor == 0;
    answers->divisor[i] = divisor;
}

struct split_counts {
    size_t pieces, cancelled;
};

static struct split_counts run_split(struct executor *pool, const struct settings *settings,
                                     struct answers *answers)
{
    size_t total = 0;
    for (size_t i = 0; i < settings->n_numbers; i++)
        total += pieces_of(settings->numbers[i], (uint64_t)settings->piece_size);
    struct future **all = calloc(total ? total : 1, sizeof *all);
    struct piece_ref *refs = calloc(total ? total : 1, sizeof *refs);
    struct number_pieces pieces[CLI_MAX_POSITIONAL];
    if (all == NULL || refs == NULL)
        fail_wrong("out of memory for %zu pieces", total);
    pthread_mutex_t plan_mutex;
    int rc = pthread_mutex_init(&plan_mutex, NULL);
    if (rc != 0)
        fail_code("pthread_mutex_init", rc);
    size_t left_out = submit_pieces(pool, settings, &plan_mutex, pieces, all, refs);
    for (size_t i = 0; i < settings->n_numbers; i++)
        gather_pieces(settings, i, &pieces[i], answers);
    /* The pool finishes, and runs its last callbacks, before the plan goes. */
    executor_shutdown(pool, true, false);
    struct split_counts counts = {.pieces = total,
                                  .cancelled = executor_get_stats(pool).cancelled + left_out};
    for (size_t k = 0; k < total; k++)
        future_free(all[k]);
    pthread_mutex_destroy(&plan_mutex);
    free(all);
    free(refs);
    return counts;
}

/* ---- what the schedule allows ------------------------------------------ */

/* Total work over the makespan when COSTS[0..COUNT), in order, each go to
 * the worker free first: the speedup a perfect machine with WORKERS cores
 * would show for this list of tasks. */
static double ideal_speedup(const uint64_t *costs, size_t count, size_t workers)
{
    uint64_t *busy_until = calloc(workers, sizeof *busy_until);
    if (busy_until == NULL)
        fail_wrong("out of memory for %zu workers", workers);
    uint64_t total = 0, makespan = 0;
    for (size_t t = 0; t < count; t++) {
        size_t first_free = 0;
        for (size_t w = 1; w < workers; w++)
            first_free = busy_until[w] < busy_until[first_free] ? w : first_free;
        busy_until[first_free] += costs[t];
        total += costs[t];
        makespan = busy_until[first_free] > makespan ? busy_until[first_free] : makespan;
    }
    free(busy_until);
    return makespan ? (double)total / (double)makespan : 1.0;
}

/* Candidates each task tests, in submission order, from the answers. */
static size_t task_costs(const struct settings *settings, const struct answers *answers,
                         uint64_t *costs)
{
    size_t count = 0;
    for (size_t i = 0; i < settings->n_numbers; i++) {
        uint64_t n = settings->numbers[i], d = answers->divisor[i];
        if (!settings->split) {
            costs[count++] = trial_divisions(n, d);
            continue;
        }
        size_t pieces = pieces_of(n, (uint64_t)settings->piece_size);
        uint64_t size = (uint64_t)settings->piece_size, top = isqrt_u64(n);
        for (size_t k = 0; k < pieces; k++) {
            uint64_t lo = 3 + 2 * size * k, last = lo + 2 * (size - 1);
            uint64_t hi = last < top ? last : top;
            uint64_t end = d != 0 && d < hi ? d : hi; /* pieces past d: cancelled, 0 */
            costs[count++] = d != 0 && d < lo ? 0 : odd_count(lo, end);
        }
    }
    return count;
}

/* ---- the report ---------------------------------------------------------- */

static void variant_name(const struct settings *settings, char *name, size_t size)
{
    snprintf(name, size, "%s%s%s", mode_names[settings->mode], settings->split ? "-split" : "",
             settings->gil.enabled ? "-gil" : "");
}

static void describe(struct report *report, const struct settings *settings)
{
    char numbers[CLI_MAX_POSITIONAL * 21] = "";
    for (size_t i = 0; i < settings->n_numbers; i++) {
        size_t used = strlen(numbers);
        snprintf(numbers + used, sizeof numbers - used, "%s%llu", i ? "," : "",
                 (unsigned long long)settings->numbers[i]);
    }
    report_param_text(report, "mode", mode_names[settings->mode]);
    report_param_text(report, "size", cli_size_name(settings->common.size));
    report_param_text(report, "numbers", numbers);
    report_param_int(report, "workers", settings->mode == MODE_SEQ ? 1 : settings->workers);
    report_param_bool(report, "split", settings->split);
    if (settings->split)
        report_param_int(report, "piece_size", settings->piece_size);
}

static void report_schedule(struct report *report, const struct settings *settings,
                            const struct answers *answers)
{
    uint64_t *costs = calloc(MAX_PIECES + CLI_MAX_POSITIONAL, sizeof *costs);
    if (costs == NULL)
        fail_wrong("out of memory for the task costs");
    size_t count = task_costs(settings, answers, costs);
    uint64_t tested = 0;
    for (size_t t = 0; t < count; t++)
        tested += costs[t];
    report_metric(report, "candidates_tested", (double)tested, "");
    if (settings->mode != MODE_SEQ)
        report_metric(report, "tasks", (double)count, "");
    double ideal = settings->mode == MODE_SEQ || settings->gil.enabled
                       ? 1.0
                       : ideal_speedup(costs, count, (size_t)settings->workers);
    free(costs);
    report_metric(report, "ideal_speedup", ideal, "x");
    if (settings->gil.enabled && settings->mode == MODE_THREAD_POOL)
        report_note(report, "under the GIL one pool thread at a time tests numbers: the ideal "
                            "speedup is 1, which is why the notes use a process pool");
    else if (settings->mode != MODE_SEQ && !settings->split)
        report_note(report, "%zu tasks on %lld workers, in order, each to the worker free first: "
                            "even a perfect machine gains at most %.2f (--split evens it out)",
                    count, settings->workers, ideal);
}

static void check_answers(struct report *report, const struct settings *settings,
                          const struct answers *answers)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < settings->n_numbers; i++) {
        uint64_t n = settings->numbers[i], d = answers->divisor[i];
        bool expected = is_prime_miller_rabin(n);
        char name[48], text[24], found[48] = "";
        snprintf(name, sizeof name, "prime(%llu)", (unsigned long long)n);
        if (d != 0)
            snprintf(found, sizeof found, ", divisor %llu", (unsigned long long)d);
        report_check(report, name,
                     answers->prime[i] == expected && (d == 0 || (d > 1 && d < n && n % d == 0)),
                     "trial division: %s%s; Miller-Rabin: %s",
                     answers->prime[i] ? "prime" : "not prime", found,
                     expected ? "prime" : "not prime");
        cJSON *item = cJSON_CreateObject();
        snprintf(text, sizeof text, "%llu", (unsigned long long)n);
        cJSON_AddStringToObject(item, "number", text); /* beyond 2^53: text */
        cJSON_AddBoolToObject(item, "prime", answers->prime[i]);
        snprintf(text, sizeof text, "%llu", (unsigned long long)d);
        cJSON_AddStringToObject(item, "divisor", text);
        cJSON_AddItemToArray(list, item);
    }
    report_data(report, "answers", list);
    if (!settings->book_list)
        return;
    bool same = true;
    for (size_t i = 0; i < settings->n_numbers; i++)
        same &= answers->prime[i] == book_answers[i % BOOK_COUNT];
    report_check(report, "notes_answers", same,
                 "the notes printed: prime x5, then 1099726899285419 is not prime");
}

/* How evenly the pool's workers shared the tasks (none for seq). */
static void report_tasks_per_worker(struct report *report, const size_t *counts, size_t n)
{
    if (n == 0)
        return;
    double tasks[MAX_WORKERS];
    for (size_t i = 0; i < n; i++)
        tasks[i] = (double)counts[i];
    report_spread(report, "tasks_per_worker", tasks, n, "tasks");
}

int main(int argc, char **argv)
{
    struct settings settings = parse_settings(argc, argv);
    gil_init(&settings.gil);
    struct answers answers = {0};
    struct split_counts split = {0};
    size_t tasks_per_worker[MAX_WORKERS], n_counted = 0;
    double elapsed;
    if (settings.mode == MODE_SEQ) {
        double start = clock_now();
        run_seq(&settings, &answers);
        elapsed = clock_since(start);
    } else {
        /* The caller is a Python thread too: its waits release the GIL. */
        gil_thread_begin();
        double start = clock_now();
        struct executor *pool = make_pool(&settings);
        if (settings.split)
            split = run_split(pool, &settings, &answers);
        else
            run_map(pool, &settings, &answers);
        n_counted = executor_tasks_per_worker(pool, tasks_per_worker, MAX_WORKERS);
        executor_free(pool);
        elapsed = clock_since(start);
        gil_thread_end();
    }

    char variant[64];
    variant_name(&settings, variant, sizeof variant);
    struct report *report = report_new("primes", variant);
    describe(report, &settings);
    report_elapsed(report, elapsed);
    report_schedule(report, &settings, &answers);
    if (settings.split) {
        report_metric(report, "pieces", (double)split.pieces, "");
        report_metric(report, "pieces_cancelled", (double)split.cancelled, "");
    }
    report_tasks_per_worker(report, tasks_per_worker, n_counted);
    pin_report(report);
    gil_report(report);
    gil_shutdown();
    check_answers(report, &settings, &answers);
    return report_finish(report, settings.common.json, stdout);
}
