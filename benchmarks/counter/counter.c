/* counter — what does a lock cost, and what happens without one?
 *
 * Effective Python (2nd ed.), item 54 ("Use Lock to prevent data races in
 * threads"), as the study note in seed 002 runs it: six threads each add 1 to
 * one shared counter a million times.  The note found 6000000 without a lock
 * (1.068 s) and with the book's LockingCounter (2.322 s).  In C the threads
 * run on several cores at once, so the unlocked counter loses updates, and
 * the price of each way of keeping it exact becomes visible.
 *
 * Variants (--mode):
 *   unlocked  read, add, write back with nothing around it: a deliberate
 *             lost-update race.  The read and the write are relaxed atomic
 *             operations split in two, so the race is on the value, not
 *             undefined behaviour, and ThreadSanitizer stays quiet.  Losing
 *             updates is this variant's result, not a failure.
 *   mutex     a pthread mutex around the increment: the book's LockingCounter
 *   spinlock  a pthread spin lock around the increment: waiters burn CPU
 *   atomic    one atomic fetch-add per increment, no lock
 *   sharded   one counter per thread, each on its own cache line, summed
 *             after the join: the approximate (sloppy) counter of OSTEP and
 *             perfbook, exact here because it is read only at the end
 *
 * --gil runs any variant under common/gil, an emulation of CPython's GIL:
 * one thread at a time increments, with a check point (the eval breaker)
 * after every increment.  unlocked-gil has one more between its load and its
 * store, where CPython before 3.10 could switch threads between two
 * bytecodes: a switch there loses every update the other threads made
 * meanwhile.  mutex-gil checks where CPython 3.11 does, never inside the
 * locked block (see add_mutex_gil).  The locked variants stay exact, and a
 * thread that finds the lock taken by a thread waiting for the GIL lets go
 * of the GIL (mutex, as Lock.acquire does) or hands it over when asked
 * (spinlock).
 */
#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "cli.h"
#include "clock.h"
#include "fail.h"
#include "gil.h"
#include "pin.h"
#include "report.h"
#include "thread_team.h"

enum mode { MODE_UNLOCKED, MODE_MUTEX, MODE_SPINLOCK, MODE_ATOMIC, MODE_SHARDED };
static const char *const mode_names[] = {"unlocked", "mutex", "spinlock", "atomic", "sharded",
                                         NULL};

#define MAX_THREADS 256
#define MAX_INCREMENTS 100000000LL
/* Counters written by different threads live this far apart, so that no
 * two share a cache line (64 bytes on the x86 and most ARM cores). */
#define CACHE_LINE 64

/* ---- the counters --------------------------------------------------------- */

/* The one counter every thread shares, with both kinds of lock; a variant
 * uses the fields it needs. */
struct shared_counter {
    _Atomic long long racy; /* unlocked and atomic */
    long long guarded;      /* mutex and spinlock */
    pthread_mutex_t mutex;
    pthread_spinlock_t spin;
};

/* One thread's part: its own shard (sharded), on its own cache line. */
struct worker {
    alignas(CACHE_LINE) _Atomic long long shard;
    struct shared_counter *shared;
    enum mode mode;
    bool gil;
    long long increments;
    /* unlocked-gil: switches that fell between a load and its store */
    unsigned long long switched_mid_update;
    /* clock_now() just before its first increment and just after its last */
    double first_s, last_s;
};

/* The five ways to add 1.  Each is one small function, so that the loop
 * below is compiled once per variant with the increment inlined, and the
 * time per increment is the increment's, not a dispatch's. */
typedef void add_one_fn(struct shared_counter *shared, struct worker *worker);

/* count += 1 as CPython runs it: load, add, store.  Another thread's store
 * between our load and our store is lost. */
static inline void add_unlocked(struct shared_counter *shared, struct worker *worker)
{
    (void)worker;
    long long value = atomic_load_explicit(&shared->racy, memory_order_relaxed);
    atomic_store_explicit(&shared->racy, value + 1, memory_order_relaxed);
}

/* A lock call that fails stops the program; the test costs one predicted
 * branch, nothing beside the lock itself. */
static inline void must(const char *call, int error)
{
    if (__builtin_expect(error != 0, 0))
        fail_code(call, error);
}

/* The book's LockingCounter: with self.lock: self.count += offset. */
static inline void add_mutex(struct shared_counter *shared, struct worker *worker)
{
    (void)worker;
    must("pthread_mutex_lock", pthread_mutex_lock(&shared->mutex));
    shared->guarded++;
    must("pthread_mutex_unlock", pthread_mutex_unlock(&shared->mutex));
}

static inline void add_spinlock(struct shared_counter *shared, struct worker *worker)
{
    (void)worker;
    must("pthread_spin_lock", pthread_spin_lock(&shared->spin));
    shared->guarded++;
    must("pthread_spin_unlock", pthread_spin_unlock(&shared->spin));
}

/* Relaxed is enough: nothing else is published through the counter. */
static inline void add_atomic(struct shared_counter *shared, struct worker *worker)
{
    (void)worker;
    atomic_fetch_add_explicit(&shared->racy, 1, memory_order_relaxed);
}

/* The shard is relaxed-atomic too: then a reader could peek at the shards
 * while they count (the approximate counter's progress read) without a data
 * race, and the compiler keeps one store per increment instead of folding
 * the loop into one addition. */
static inline void add_sharded(struct shared_counter *shared, struct worker *worker)
{
    (void)shared;
    long long mine = atomic_load_explicit(&worker->shard, memory_order_relaxed);
    atomic_store_explicit(&worker->shard, mine + 1, memory_order_relaxed);
}

/* The book's worker(): add 1, INCREMENTS times.  All a thread does. */
static inline void repeat(add_one_fn *add_one, struct worker *worker)
{
    struct shared_counter *shared = worker->shared;
    const long long increments = worker->increments;
    for (long long i = 0; i < increments; i++)
        add_one(shared, worker);
}

/* ---- the same under the emulated GIL ---------------------------------------- */

/* CPython before 3.10 could switch between the load and the store of
 * self.count += offset; when it does, the store writes back a value that is
 * a whole time slice old. */
static inline void add_unlocked_gil(struct shared_counter *shared, struct worker *worker)
{
    long long value = atomic_load_explicit(&shared->racy, memory_order_relaxed);
    worker->switched_mid_update += gil_checkpoint();
    atomic_store_explicit(&shared->racy, value + 1, memory_order_relaxed);
}

/* with self.lock: self.count += offset, with the eval-breaker checks where
 * CPython 3.11 has them (Python/ceval.c): at the RESUME that enters
 * LockingCounter.increment, before the lock, and after the CALL of
 * __exit__ has returned, the lock released.  BEFORE_WITH, LOAD_ATTR,
 * BINARY_OP and STORE_ATTR check nothing, so 3.11 never switches inside
 * the block.  Should the lock still be held by another thread (it never is
 * here), gil_mutex_lock blocks with the GIL released, as Lock.acquire. */
static inline void add_mutex_gil(struct shared_counter *shared, struct worker *worker)
{
    (void)worker;
    gil_checkpoint(); /* RESUME: entering increment() */
    must("pthread_mutex_lock", gil_mutex_lock(&shared->mutex));
    shared->guarded++;
    must("pthread_mutex_unlock", pthread_mutex_unlock(&shared->mutex));
    gil_checkpoint(); /* CALL __exit__ returned */
}

/* A spin in Python code: the spinner keeps the GIL, but checks the eval
 * breaker while it spins, so the holder it waits for can ask for the GIL
 * and finish.  Without that check the two would wait for each other. */
static inline void add_spinlock_gil(struct shared_counter *shared, struct worker *worker)
{
    (void)worker;
    int rc;
    while ((rc = pthread_spin_trylock(&shared->spin)) == EBUSY)
        gil_checkpoint();
    must("pthread_spin_trylock", rc);
    shared->guarded++;
    gil_checkpoint();
    must("pthread_spin_unlock", pthread_spin_unlock(&shared->spin));
}

/* The loop with the eval-breaker check on its back edge, after every
 * increment, as CPython checks at every backward jump. */
static inline void repeat_under_gil(add_one_fn *add_one, struct worker *worker)
{
    struct shared_counter *shared = worker->shared;
    const long long increments = worker->increments;
    for (long long i = 0; i < increments; i++) {
        add_one(shared, worker);
        gil_checkpoint();
    }
}

static void worker_under_gil(struct worker *worker)
{
    switch (worker->mode) {
    case MODE_UNLOCKED: repeat_under_gil(add_unlocked_gil, worker); break;
    case MODE_MUTEX: repeat_under_gil(add_mutex_gil, worker); break;
    case MODE_SPINLOCK: repeat_under_gil(add_spinlock_gil, worker); break;
    case MODE_ATOMIC: repeat_under_gil(add_atomic, worker); break;
    case MODE_SHARDED: repeat_under_gil(add_sharded, worker); break;
    }
}

static void increment_all(struct worker *worker)
{
    if (worker->gil) {
        worker_under_gil(worker);
        return;
    }
    switch (worker->mode) {
    case MODE_UNLOCKED: repeat(add_unlocked, worker); break;
    case MODE_MUTEX: repeat(add_mutex, worker); break;
    case MODE_SPINLOCK: repeat(add_spinlock, worker); break;
    case MODE_ATOMIC: repeat(add_atomic, worker); break;
    case MODE_SHARDED: repeat(add_sharded, worker); break;
    }
}

/* The team's start gate (thread_team.h) lets every thread begin at once;
 * the times show whether they then really incremented side by side. */
static void worker_main(void *arg)
{
    struct worker *worker = arg;
    worker->first_s = clock_now();
    increment_all(worker);
    worker->last_s = clock_now();
}

/* One run of every thread from a zero count; its seconds. */
static double run_trial(struct shared_counter *shared, struct worker *workers, size_t n)
{
    atomic_store_explicit(&shared->racy, 0, memory_order_relaxed);
    shared->guarded = 0;
    for (size_t i = 0; i < n; i++) {
        atomic_store_explicit(&workers[i].shard, 0, memory_order_relaxed);
        workers[i].switched_mid_update = 0;
    }
    double start = clock_now();
    thread_team_run(n, worker_main, workers, sizeof *workers);
    return clock_since(start);
}

/* ---- did the threads overlap? ---------------------------------------------- */

/* When threads start or stop incrementing, for a sweep over time. */
struct edge {
    double at;
    int step; /* +1 a thread starts, -1 one stops */
};

static int by_time(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->step - y->step; /* a stop before a start at the same instant */
}

/* How the threads' increments overlapped in time. */
struct overlap {
    int most_at_once;  /* the most threads incrementing at the same moment */
    double together_s; /* time during which two or more were */
    double span_s;     /* from the first thread's first increment to the last one's last */
};

static struct overlap measure_overlap(const struct worker *workers, size_t n)
{
    struct edge *edges = calloc(2 * n, sizeof *edges);
    if (edges == NULL)
        fail_wrong("out of memory for %zu threads' times", n);
    for (size_t i = 0; i < n; i++) {
        edges[2 * i] = (struct edge){workers[i].first_s, +1};
        edges[2 * i + 1] = (struct edge){workers[i].last_s, -1};
    }
    qsort(edges, 2 * n, sizeof *edges, by_time);
    struct overlap overlap = {0, 0, edges[2 * n - 1].at - edges[0].at};
    int active = 0;
    for (size_t k = 0; k < 2 * n; k++) {
        if (active >= 2)
            overlap.together_s += edges[k].at - edges[k - 1].at;
        active += edges[k].step;
        overlap.most_at_once = active > overlap.most_at_once ? active : overlap.most_at_once;
    }
    free(edges);
    return overlap;
}

/* The first thread's first increment: the origin of the reported times. */
static double earliest_start(const struct worker *workers, size_t n)
{
    double origin = workers[0].first_s;
    for (size_t i = 1; i < n; i++)
        origin = workers[i].first_s < origin ? workers[i].first_s : origin;
    return origin;
}

/* How unevenly the threads got their turns: each thread's finish, from the
 * earliest start.  Every thread does the same increments, so with turns
 * shared evenly they all finish near the end; a lock that lets its holder
 * take it again and again (a spin lock, an unfair mutex) lets some finish
 * long before the others: a large finish_s_cv. */
static void report_finishes(struct report *report, const struct worker *workers, size_t n)
{
    double origin = earliest_start(workers, n);
    double *finish = calloc(n, sizeof *finish);
    if (finish == NULL)
        fail_wrong("out of memory for %zu threads' times", n);
    for (size_t i = 0; i < n; i++)
        finish[i] = workers[i].last_s - origin;
    report_spread(report, "finish_s", finish, n, "s");
    free(finish);
}

/* Each thread's interval, from the earliest start, for the JSON. */
static cJSON *intervals(const struct worker *workers, size_t n)
{
    double origin = earliest_start(workers, n);
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddNumberToObject(entry, "first_s", workers[i].first_s - origin);
        cJSON_AddNumberToObject(entry, "last_s", workers[i].last_s - origin);
        cJSON_AddItemToArray(list, entry);
    }
    return list;
}

static void shared_counter_init(struct shared_counter *shared)
{
    atomic_init(&shared->racy, 0);
    shared->guarded = 0;
    must("pthread_mutex_init", pthread_mutex_init(&shared->mutex, NULL));
    must("pthread_spin_init", pthread_spin_init(&shared->spin, PTHREAD_PROCESS_PRIVATE));
}

static void shared_counter_destroy(struct shared_counter *shared)
{
    must("pthread_mutex_destroy", pthread_mutex_destroy(&shared->mutex));
    must("pthread_spin_destroy", pthread_spin_destroy(&shared->spin));
}

/* The total after the join, read the way the variant counts. */
static long long counted(struct shared_counter *shared, struct worker *workers,
                         size_t n_workers, enum mode mode)
{
    if (mode == MODE_MUTEX || mode == MODE_SPINLOCK)
        return shared->guarded;
    if (mode != MODE_SHARDED)
        return atomic_load_explicit(&shared->racy, memory_order_relaxed);
    long long sum = 0;
    for (size_t i = 0; i < n_workers; i++)
        sum += atomic_load_explicit(&workers[i].shard, memory_order_relaxed);
    return sum;
}

/* ---- the program ---------------------------------------------------------- */

/* mutex, the book's LockingCounter, comes first: run_all.sh's speedups are
 * over the first variant, and the racy unlocked one is neither right nor
 * steady enough (its time swings with the cache line's traffic) to be the
 * reference. */
static const struct cli_variant variants[] = {
    {"mutex", MODE_MUTEX, NULL},       {"unlocked", MODE_UNLOCKED, NULL},
    {"spinlock", MODE_SPINLOCK, NULL}, {"atomic", MODE_ATOMIC, NULL},
    {"sharded", MODE_SHARDED, NULL},   {"unlocked-gil", MODE_UNLOCKED, "--gil"},
    {"mutex-gil", MODE_MUTEX, "--gil"},
};

/* Each thread does the same increments, so the work grows with the threads:
 * the sweep compares throughput, and shows what contention does to it. */
static const struct cli_sweep sweep[] = {
    {"mutex", MODE_MUTEX, "--threads={workers}", true},
    {"spinlock", MODE_SPINLOCK, "--threads={workers}", true},
    {"sharded", MODE_SHARDED, "--threads={workers}", true},
};

/* The default increments at every size but quick, and the unlocked one's at
 * every size. */
#define BOOK_INCREMENTS 1000000

struct settings {
    int mode;
    long long threads, increments;
    bool increments_given;
    struct gil_options gil;
    int pin;
    struct cli_common common;
};

/* The race needs threads that overlap (report_overlap): 100000 increments
 * take a fraction of a millisecond, and on a busy machine the threads then
 * often run one after the other; a million overlap.  So unlocked without
 * --gil keeps the book's increments at every size, unless given. */
static void unlocked_increments(struct settings *settings)
{
    if (!settings->increments_given && settings->mode == MODE_UNLOCKED && !settings->gil.enabled)
        settings->increments = BOOK_INCREMENTS;
}

static struct settings parse_settings(int argc, char **argv)
{
    struct settings settings = {.gil = GIL_OPTIONS_DEFAULT};
    const struct cli_option options[] = {
        {.name = "threads", .kind = CLI_INT, .min = 1, .max = MAX_THREADS,
         .integer = &settings.threads, .by_size = CLI_BY_SIZE(6, 6, 64),
         .help = "threads adding to the counter"},
        {.name = "increments", .kind = CLI_INT, .min = 1, .max = MAX_INCREMENTS,
         .integer = &settings.increments, .given = &settings.increments_given,
         .by_size = CLI_BY_SIZE(100000, BOOK_INCREMENTS, BOOK_INCREMENTS),
         .help = "additions of 1 per thread; unlocked without --gil: 1000000 at every size, "
                 "doubled after a trial whose threads never overlapped, unless given"},
        GIL_CLI_OPTIONS(&settings.gil),
        PIN_CLI_OPTION(&settings.pin),
    };
    const struct cli_program program = {
        .name = "counter",
        .summary = "Threads add 1 to one counter, without a lock, with a mutex, a spin lock, an "
                   "atomic, or per-thread shards (Effective Python item 54).",
        .positional = NULL,
        .epilogue = "Book size: 6 threads x 1000000 increments; the note found 6000000 both "
                    "without a lock (1.068 s) and with one (2.322 s).\n"
                    "Every variant but unlocked must be exact (else exit 1); unlocked reports "
                    "the updates it lost.\n"
                    "--gil: one thread at a time, switching as CPython before 3.10 did, also "
                    "between the load and the store of an unlocked increment.",
        .modes = mode_names,
        .mode_help = "how the shared counter is kept",
        .mode = &settings.mode,
        CLI_OPTIONS(options),
        CLI_VARIANTS(variants),
        CLI_SWEEP(sweep),
    };
    cli_parse_or_exit(&program, argc, argv, &settings.common);
    pin_set_policy(settings.pin);
    unlocked_increments(&settings);
    return settings;
}

static void describe(struct report *report, const struct settings *settings, double elapsed)
{
    long long expected = settings->threads * settings->increments;
    report_param_text(report, "mode", mode_names[settings->mode]);
    report_param_text(report, "size", cli_size_name(settings->common.size));
    report_param_int(report, "threads", settings->threads);
    report_param_int(report, "increments", settings->increments);
    report_elapsed(report, elapsed);
    /* Wall time of the whole run per increment: what one increment costs
     * the program, all threads together. */
    report_metric(report, "ns_per_increment", elapsed * 1e9 / (double)expected, "ns");
}

/* Under the GIL only one thread runs: every update lost was lost at a switch
 * between a load and its store. */
static void note_gil_losses(struct report *report, long long lost, long long expected,
                            unsigned long long switched_mid_update)
{
    report_metric(report, "switches_mid_update", (double)switched_mid_update, "");
    if (lost > 0)
        report_note(report, "lost %lld of %lld updates (%.1f%%) with one thread at a time: the "
                            "GIL switched %llu times between a load and its store, and each "
                            "such store wrote back a stale value (CPython before 3.10)",
                    lost, expected, 100.0 * (double)lost / (double)expected,
                    switched_mid_update);
    else
        report_note(report, "no update lost: %s; more increments or a shorter "
                            "--switch-interval-ms make losses likely",
                    switched_mid_update == 0
                        ? "no switch fell between a load and its store"
                        : "the switches between a load and its store saw no other store");
}

/* A trial whose threads never incremented at the same moment tested no race:
 * the unlocked counter runs again, at most this many trials in all. */
#define MAX_TRIALS 10

/* A void trial's threads each finished within one time slice (a million
 * relaxed increments take about a millisecond), so on a busy machine they
 * ran one after the other.  Unless --increments was given, the next trial
 * doubles the work: threads that each need several time slices are
 * preempted and overlap, and the report states the increments it used.
 * Returns the new number of increments per thread. */
static long long longer_trial(struct worker *workers, size_t n, long long increments)
{
    if (increments <= MAX_INCREMENTS / 2)
        increments *= 2;
    for (size_t i = 0; i < n; i++)
        workers[i].increments = increments;
    return increments;
}

/* Whether the run must show threads incrementing side by side: the
 * unlocked counter, without the GIL, with two threads or more. */
static bool must_overlap(const struct settings *settings)
{
    return settings->mode == MODE_UNLOCKED && !settings->gil.enabled && settings->threads >= 2;
}

/* How long the threads incremented side by side.  Without the GIL the
 * unlocked counter is only put to the test when they did: a trial whose
 * threads went one after the other (a busy machine, one core) lost nothing
 * because nothing raced.  It is run again (MAX_TRIALS in all), and when no
 * trial overlapped the run fails, rather than pass for a race that did not
 * happen.  Under the GIL one thread runs at a time by design, and with one
 * thread there is nobody to overlap with. */
static void report_overlap(struct report *report, const struct settings *settings,
                           const struct overlap *overlap, int trials)
{
    report_metric(report, "threads_at_once", overlap->most_at_once, "");
    report_metric(report, "overlap_s", overlap->together_s, "s");
    double percent = overlap->span_s > 0 ? 100.0 * overlap->together_s / overlap->span_s : 0;
    report_metric(report, "overlap_percent", percent, "%");
    if (!must_overlap(settings))
        return;
    report_metric(report, "trials", trials, "");
    if (trials > 1)
        report_note(report, "%d trial(s) void and run again: their threads ran one after the "
                            "other (a busy machine?); the figures are those of trial %d, "
                            "%lld increments per thread",
                    trials - 1, trials, settings->increments);
    report_check(report, "threads_overlapped", overlap->most_at_once >= 2,
                 "%d of %lld threads incremented at once, two or more for %.3f of %.3f ms%s",
                 overlap->most_at_once, settings->threads, overlap->together_s * 1e3,
                 overlap->span_s * 1e3,
                 overlap->most_at_once >= 2 ? ""
                                            : ": one after the other, so the race was not put "
                                              "to the test (a busy machine? one core?)");
}

static void check_total(struct report *report, const struct settings *settings, long long found,
                        unsigned long long switched_mid_update)
{
    long long expected = settings->threads * settings->increments;
    long long lost = expected - found;
    report_metric(report, "expected", (double)expected, "");
    report_metric(report, "found", (double)found, "");
    report_metric(report, "lost", (double)lost, "");
    report_metric(report, "lost_percent", 100.0 * (double)lost / (double)expected, "%");
    if (settings->mode != MODE_UNLOCKED) {
        report_check(report, "exact", found == expected, "found %lld, expected %lld (%lld lost)",
                     found, expected, lost);
        return;
    }
    /* A lost update only ever drops increments: the total can be anything from
     * 1 to the expected one, never more. */
    report_check(report, "nothing_invented", found >= 1 && found <= expected,
                 "found %lld, between 1 and the expected %lld", found, expected);
    if (settings->gil.enabled)
        note_gil_losses(report, lost, expected, switched_mid_update);
    else if (lost > 0)
        report_note(report, "lost %lld of %lld updates (%.1f%%): threads on different cores "
                            "read the same value and both wrote back value + 1",
                    lost, expected, 100.0 * (double)lost / (double)expected);
    else
        report_note(report, "no update lost this time: the threads did not overlap (one thread, "
                            "one core, or too little work); the race is still there");
}

int main(int argc, char **argv)
{
    struct settings settings = parse_settings(argc, argv);
    size_t n_workers = (size_t)settings.threads;
    struct shared_counter shared;
    shared_counter_init(&shared);
    struct worker *workers = aligned_alloc(CACHE_LINE, n_workers * sizeof *workers);
    if (workers == NULL)
        fail_wrong("out of memory for %zu workers", n_workers);
    for (size_t i = 0; i < n_workers; i++) {
        workers[i] = (struct worker){.shared = &shared, .mode = settings.mode,
                                     .gil = settings.gil.enabled,
                                     .increments = settings.increments};
        atomic_init(&workers[i].shard, 0);
    }

    gil_init(&settings.gil);
    double elapsed = 0;
    struct overlap overlap;
    int trials = 0;
    do {
        if (trials > 0 && !settings.increments_given)
            settings.increments = longer_trial(workers, n_workers, settings.increments);
        elapsed = run_trial(&shared, workers, n_workers);
        overlap = measure_overlap(workers, n_workers);
        trials++;
    } while (must_overlap(&settings) && overlap.most_at_once < 2 && trials < MAX_TRIALS);

    long long found = counted(&shared, workers, n_workers, settings.mode);
    unsigned long long switched_mid_update = 0;
    for (size_t i = 0; i < n_workers; i++)
        switched_mid_update += workers[i].switched_mid_update;
    cJSON *times = intervals(workers, n_workers);
    shared_counter_destroy(&shared);
    char variant[32];
    struct report *report = report_new(
        "counter", gil_variant_name(&settings.gil, mode_names[settings.mode], variant,
                                    sizeof variant));
    describe(report, &settings, elapsed);
    check_total(report, &settings, found, switched_mid_update);
    report_overlap(report, &settings, &overlap, trials);
    report_finishes(report, workers, n_workers);
    free(workers);
    report_data(report, "threads", times);
    pin_report(report);
    gil_report(report);
    gil_shutdown();
    return report_finish(report, settings.common.json, stdout);
}
