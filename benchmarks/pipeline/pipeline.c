/* pipeline — does a blocking queue beat polling when threads work in a chain?
 *
 * Effective Python (2nd ed.), item 55 ("Use Queue to coordinate work between
 * threads"), and the ClosableQueue/StoppableWorker review in seed 002: 1000
 * items go through three stages — download, resize, upload — each stage one
 * thread reading its in-queue and writing its out-queue.  The book's first
 * version polls a plain deque under a lock and sleeps 10 ms when it finds it
 * empty (its main thread checks the done queue every 100 ms); the fixed
 * version blocks on queue.Queue, closes it when the input ends, and uses
 * task_done/join to know when a stage has finished.
 *
 * Variants (--mode):
 *   sequential      each item through the three stages in one thread: the reference
 *   queue           three StoppableWorker threads on blocking ClosableQueues (common/queue)
 *   queue-bounded   the same with --capacity items per queue: back-pressure on the producer
 *   busy-wait       the book's first version: lock, pop, and sleep --poll-us when empty
 *   busy-wait --poll-us=0  (listed as busy-spin) never sleeps, only yields: quick
 *                   to react, but it keeps the cores busy doing nothing
 *
 * Each stage does --work-us of work per item, slept (--work=sleep: I/O such
 * as a download) or burnt on the CPU (--work=spin).  The book's stages return
 * their item at once: --work-us=0.  Reported: items per second, end-to-end
 * latency percentiles (from the producer's put to the end of the last
 * stage), and the CPU time the whole process used (getrusage), which is
 * where polling shows.
 *
 * Every thread's work is in one stage function, every blocking wait in one
 * function (take, give, pause_polling, stage_work), so a scheduler such as an
 * emulated GIL has one place to go for each.
 *
 * --gil runs every variant under common/gil, an emulation of CPython's GIL:
 * the stages and the main thread are Python threads; queue waits, sleeps,
 * yields and joins release the GIL, a CPU stage (--work=spin) checks the
 * eval breaker as it spins.  Slept work still overlaps; spun work is done
 * one stage at a time.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "fail.h"
#include "queue.h"
#include "gil.h"
#include "report.h"
#include "thread_team.h"

#define N_STAGES 3

/* Longest run a command line may ask for, items x stages x work, in seconds
 * of sequential work: more is refused as absurd. */
#define MAX_SEQUENTIAL_WORK_S 3600

enum mode { MODE_SEQUENTIAL, MODE_QUEUE, MODE_QUEUE_BOUNDED, MODE_BUSY_WAIT };
static const char *const mode_names[] = {"sequential", "queue", "queue-bounded", "busy-wait",
                                         NULL};
enum work_kind { WORK_SLEEP, WORK_SPIN };
static const char *const work_names[] = {"sleep", "spin", NULL};

static const struct cli_variant variants[] = {
    {"sequential", MODE_SEQUENTIAL, NULL},
    {"queue", MODE_QUEUE, NULL},
    {"queue-bounded", MODE_QUEUE_BOUNDED, NULL},
    {"busy-wait", MODE_BUSY_WAIT, NULL},
    {"busy-spin", MODE_BUSY_WAIT, "--poll-us=0"},
};

struct settings {
    int mode, work;
    long long items, work_us, capacity, poll_us;
    struct gil_options gil;
    struct cli_common common;
};

/* One piece of work.  VALUE is transformed by each stage in turn, so the
 * final value proves that every stage ran exactly once and in order. */
struct item {
    size_t id;
    uint64_t value;
    double put_at, done_at; /* clock_now() when handed to the pipeline / finished */
};

/* ---- what a stage does ---------------------------------------------------- */

/* The stages' transformations: none commutes with another, and applying one
 * twice gives a different value, so a skipped, repeated or reordered stage
 * shows in the result. */
static uint64_t stage_apply(int stage, uint64_t value)
{
    switch (stage) {
    case 0: /* download: a step of Knuth's MMIX linear congruential generator */
        return value * 6364136223846793005ULL + 1442695040888963407ULL;
    case 1: /* resize: an xorshift */
        return value ^ (value >> 29) ^ (value << 17);
    default: /* upload: a rotation plus a constant */
        return ((value << 23) | (value >> 41)) + 0x9e3779b97f4a7c15ULL;
    }
}

/* Burns SECONDS of this thread's own CPU time: time it spends descheduled
 * does not count, so three spinning stages on two cores really compete. */
static void spin_cpu(double seconds)
{
    struct timespec now;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) != 0)
        fail_sys("clock_gettime");
    double end = (double)now.tv_sec + (double)now.tv_nsec / 1e9 + seconds;
    volatile uint64_t sink = 0;
    do {
        /* the eval-breaker check of a CPU loop (a no-op without --gil) */
        gil_checkpoint();
        for (int i = 0; i < 256; i++)
            sink = sink * 2862933555777941757ULL + 3037000493ULL;
        if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) != 0)
            fail_sys("clock_gettime");
    } while ((double)now.tv_sec + (double)now.tv_nsec / 1e9 < end);
}

/* The stage's work on one item: a blocking sleep (I/O) or CPU. */
static void stage_work(const struct settings *settings)
{
    double seconds = (double)settings->work_us / 1e6;
    if (settings->work_us == 0)
        return;
    if (settings->work == WORK_SLEEP)
        GIL_RELEASED(clock_sleep(seconds)); /* time.sleep lets go of the GIL */
    else
        spin_cpu(seconds);
}

static void run_stage(int stage, struct item *item, const struct settings *settings)
{
    stage_work(settings);
    item->value = stage_apply(stage, item->value);
    if (stage == N_STAGES - 1)
        item->done_at = clock_now();
}

static uint64_t initial_value(size_t id)
{
    return 0x243f6a8885a308d3ULL ^ (uint64_t)id;
}

/* ---- threads -------------------------------------------------------------- */

/* Starts N threads running BODY(ARGS + k * ARG_SIZE), each as
 * Thread.start() does (under --gil the new thread takes the GIL first).
 * Returns how many started; on failure *ERROR holds pthread_create's error. */
static size_t start_threads(pthread_t *threads, size_t n, void *(*body)(void *), void *args,
                            size_t arg_size, int *error)
{
    *error = 0;
    for (size_t k = 0; k < n; k++) {
        *error = thread_team_start(&threads[k], body, (char *)args + k * arg_size);
        if (*error != 0)
            return k;
    }
    return n;
}

static void join_threads(pthread_t *threads, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        int rc;
        GIL_RELEASED(rc = pthread_join(threads[k], NULL));
        if (rc != 0)
            fail_code("pthread_join", rc);
    }
}

/* The process's CPU time so far (user and system), all threads. */
struct cpu_time {
    double user_s, system_s;
};

static struct cpu_time cpu_now(void)
{
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0)
        fail_sys("getrusage");
    return (struct cpu_time){
        (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6,
        (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6};
}

/* What a run leaves behind, besides the items themselves. */
struct outcome {
    struct item **done; /* in the order the last stage finished them */
    size_t n_done;
    double elapsed_s;
    struct cpu_time cpu;
    /* busy-wait */
    unsigned long long polls, empty_polls;
    /* queues */
    size_t put_waits, get_waits, max_queued;
};

/* ---- sequential ----------------------------------------------------------- */

static void run_sequential(struct item *items, const struct settings *settings,
                           struct outcome *outcome)
{
    for (size_t i = 0; i < (size_t)settings->items; i++) {
        items[i].put_at = clock_now();
        for (int stage = 0; stage < N_STAGES; stage++)
            run_stage(stage, &items[i], settings);
        outcome->done[outcome->n_done++] = &items[i];
    }
}

/* ---- blocking queues: ClosableQueue + StoppableWorker --------------------- */

struct queue_stage {
    int index;
    struct queue *in, *out;
    const struct settings *settings;
};

/* The only places a queue thread blocks.  Under --gil, as queue.Queue's
 * get and put: an item that is there (or room that is free) is taken
 * holding the GIL; only a wait releases it. */
static bool take(struct queue *queue, struct item **item)
{
    void *got;
    enum queue_status status;
    status = gil_queue_get(queue, &got);
    if (status != QUEUE_OK)
        return false; /* closed and drained: the StoppableWorker's end */
    *item = got;
    return true;
}

static void give(struct queue *queue, struct item *item)
{
    enum queue_status status;
    status = gil_queue_put(queue, item);
    if (status != QUEUE_OK)
        fail_wrong("put on the next stage's queue: %s (it was closed too early)",
                   queue_status_name(status));
}

/* StoppableWorker.run: for item in in_queue: out_queue.put(func(item)). */
static void *queue_stage_main(void *arg)
{
    struct queue_stage *stage = arg;
    struct item *item;
    gil_thread_begin();
    while (take(stage->in, &item)) {
        run_stage(stage->index, item, stage->settings);
        give(stage->out, item);
        queue_task_done(stage->in);
    }
    gil_thread_end();
    return NULL;
}

static void make_queues(struct queue **queues, const struct settings *settings)
{
    for (int k = 0; k <= N_STAGES; k++) {
        /* The done queue is never bounded: nobody reads it until the end. */
        size_t capacity = settings->mode == MODE_QUEUE_BOUNDED && k < N_STAGES
                              ? (size_t)settings->capacity : 0;
        queues[k] = queue_new(capacity);
        if (queues[k] == NULL)
            fail_sys("queue_new");
    }
}

static void account_queues(struct queue **queues, struct outcome *outcome)
{
    for (int k = 0; k < N_STAGES; k++) {
        struct queue_stats stats = queue_get_stats(queues[k]);
        outcome->put_waits += stats.put_waits;
        outcome->get_waits += stats.get_waits;
        if (stats.max_size > outcome->max_queued)
            outcome->max_queued = stats.max_size;
    }
}

static void run_queues(struct item *items, const struct settings *settings,
                       struct outcome *outcome)
{
    struct queue *queues[N_STAGES + 1];
    make_queues(queues, settings);
    struct queue_stage stages[N_STAGES];
    for (int k = 0; k < N_STAGES; k++)
        stages[k] = (struct queue_stage){k, queues[k], queues[k + 1], settings};
    pthread_t threads[N_STAGES];
    int error;
    size_t started = start_threads(threads, N_STAGES, queue_stage_main, stages,
                                   sizeof stages[0], &error);
    if (started == N_STAGES) {
        for (size_t i = 0; i < (size_t)settings->items; i++) {
            items[i].put_at = clock_now();
            give(queues[0], &items[i]);
        }
    }
    /* The book's shutdown, stage by stage: close the in-queue, wait until
     * every item in it was handled, then do the same one stage down. */
    for (int k = 0; k < N_STAGES; k++) {
        queue_close(queues[k]);
        if (started == N_STAGES)
            gil_queue_join(queues[k]);
    }
    join_threads(threads, started);
    if (error != 0)
        fail_code("pthread_create", error);
    void *done;
    while (queue_try_get(queues[N_STAGES], &done) == QUEUE_OK)
        outcome->done[outcome->n_done++] = done;
    account_queues(queues, outcome);
    for (int k = 0; k <= N_STAGES; k++)
        queue_free(queues[k]);
}

/* ---- busy-wait: the book's MyQueue and polling Worker --------------------- */

/* A plain list under a lock: get fails at once when it is empty.  Each of the
 * N items passes through each list once, so N slots never wrap. */
struct plain_queue {
    pthread_mutex_t mutex;
    struct item **items;
    size_t head, tail;
};

/* The book's Lock: under --gil, one that waits with the GIL released. */
static void plain_lock(struct plain_queue *queue)
{
    int rc = gil_mutex_lock(&queue->mutex);
    if (rc != 0)
        fail_code("pthread_mutex_lock", rc);
}

static void plain_unlock(struct plain_queue *queue)
{
    int rc = pthread_mutex_unlock(&queue->mutex);
    if (rc != 0)
        fail_code("pthread_mutex_unlock", rc);
}

static void plain_put(struct plain_queue *queue, struct item *item)
{
    plain_lock(queue);
    queue->items[queue->tail++] = item;
    plain_unlock(queue);
}

static bool plain_get(struct plain_queue *queue, struct item **item)
{
    plain_lock(queue);
    bool got = queue->head < queue->tail;
    if (got)
        *item = queue->items[queue->head++];
    plain_unlock(queue);
    return got;
}

static size_t plain_length(struct plain_queue *queue)
{
    plain_lock(queue);
    size_t length = queue->tail - queue->head;
    plain_unlock(queue);
    return length;
}

struct poll_stage {
    int index;
    struct plain_queue *in, *out;
    const struct settings *settings;
    atomic_bool *stop;
    unsigned long long polls, empty_polls;
};

/* What a poller does when it found nothing: sleep, or with no interval at
 * all just give the core away (Python's time.sleep(0)).  Both let go of the
 * GIL, as time.sleep does. */
static void pause_polling(long long microseconds)
{
    if (microseconds == 0)
        GIL_RELEASED(sched_yield());
    else
        GIL_RELEASED(clock_sleep((double)microseconds / 1e6));
}

/* Worker.run: poll the in-queue; sleep when it is empty; leave when told. */
static void *poll_stage_main(void *arg)
{
    struct poll_stage *stage = arg;
    struct item *item;
    gil_thread_begin();
    for (;;) {
        stage->polls++;
        if (plain_get(stage->in, &item)) {
            run_stage(stage->index, item, stage->settings);
            plain_put(stage->out, item);
        } else if (atomic_load_explicit(stage->stop, memory_order_acquire)) {
            gil_thread_end();
            return NULL;
        } else {
            stage->empty_polls++;
            pause_polling(stage->settings->poll_us);
        }
    }
}

static void init_plain_queues(struct plain_queue *queues, size_t n_items)
{
    for (int k = 0; k <= N_STAGES; k++) {
        queues[k] = (struct plain_queue){.items = calloc(n_items, sizeof(struct item *))};
        if (queues[k].items == NULL)
            fail_wrong("out of memory for %zu items", n_items);
        int rc = pthread_mutex_init(&queues[k].mutex, NULL);
        if (rc != 0)
            fail_code("pthread_mutex_init", rc);
    }
}

static void run_busy_wait(struct item *items, const struct settings *settings,
                          struct outcome *outcome)
{
    size_t n = (size_t)settings->items;
    struct plain_queue queues[N_STAGES + 1];
    init_plain_queues(queues, n);
    atomic_bool stop = false;
    struct poll_stage stages[N_STAGES];
    for (int k = 0; k < N_STAGES; k++)
        stages[k] = (struct poll_stage){k, &queues[k], &queues[k + 1], settings, &stop, 0, 0};
    pthread_t threads[N_STAGES];
    int error;
    size_t started = start_threads(threads, N_STAGES, poll_stage_main, stages,
                                   sizeof stages[0], &error);
    if (started == N_STAGES) {
        for (size_t i = 0; i < n; i++) {
            items[i].put_at = clock_now();
            plain_put(&queues[0], &items[i]);
        }
        /* The book's main thread checks the done list ten times less often
         * than the workers poll (0.1 s against 0.01 s). */
        while (plain_length(&queues[N_STAGES]) < n)
            pause_polling(10 * settings->poll_us);
    }
    atomic_store_explicit(&stop, true, memory_order_release);
    join_threads(threads, started);
    if (error != 0)
        fail_code("pthread_create", error);
    struct item *done;
    while (plain_get(&queues[N_STAGES], &done))
        outcome->done[outcome->n_done++] = done;
    for (int k = 0; k < N_STAGES; k++) {
        outcome->polls += stages[k].polls;
        outcome->empty_polls += stages[k].empty_polls;
    }
    for (int k = 0; k <= N_STAGES; k++) {
        pthread_mutex_destroy(&queues[k].mutex);
        free(queues[k].items);
    }
}

/* ---- checks and report ---------------------------------------------------- */

static uint64_t expected_value(size_t id)
{
    uint64_t value = initial_value(id);
    for (int stage = 0; stage < N_STAGES; stage++)
        value = stage_apply(stage, value);
    return value;
}

static void check_outcome(struct report *report, const struct outcome *outcome, size_t n)
{
    report_check(report, "items_done", outcome->n_done == n, "%zu of %zu items came out",
                 outcome->n_done, n);
    unsigned char *seen = calloc(n ? n : 1, 1);
    if (seen == NULL)
        fail_wrong("out of memory for %zu flags", n);
    size_t once = 0, right_value = 0, in_order = 0;
    for (size_t k = 0; k < outcome->n_done; k++) {
        const struct item *item = outcome->done[k];
        once += item->id < n && seen[item->id]++ == 0;
        right_value += item->value == expected_value(item->id);
        in_order += item->id == k;
    }
    free(seen);
    report_check(report, "each_item_once", once == n && outcome->n_done == n,
                 "%zu distinct items of %zu, none twice", once, n);
    report_check(report, "stages_in_order", right_value == outcome->n_done,
                 "%zu items carry the value of download, resize, upload applied once each",
                 right_value);
    report_check(report, "fifo", in_order == outcome->n_done,
                 "%zu items left in the order they entered (one thread per stage keeps it)",
                 in_order);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile P (0 < P <= 100) of SORTED[0..N), N >= 1. */
static double percentile(const double *sorted, size_t n, double p)
{
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    return sorted[rank == 0 ? 0 : (rank > n ? n : rank) - 1];
}

static void report_latency(struct report *report, const struct outcome *outcome)
{
    size_t n = outcome->n_done;
    if (n == 0)
        return;
    double *latency = malloc(n * sizeof *latency);
    if (latency == NULL)
        fail_wrong("out of memory for %zu latencies", n);
    for (size_t k = 0; k < n; k++)
        latency[k] = 1e3 * (outcome->done[k]->done_at - outcome->done[k]->put_at);
    qsort(latency, n, sizeof *latency, compare_doubles);
    report_metric(report, "latency_p50_ms", percentile(latency, n, 50), "ms");
    report_metric(report, "latency_p90_ms", percentile(latency, n, 90), "ms");
    report_metric(report, "latency_p99_ms", percentile(latency, n, 99), "ms");
    report_metric(report, "latency_max_ms", latency[n - 1], "ms");
    free(latency);
}

static const char *variant_name(const struct settings *settings)
{
    if (settings->mode == MODE_BUSY_WAIT && settings->poll_us == 0)
        return "busy-spin";
    return mode_names[settings->mode];
}

static void describe(struct report *report, const struct settings *settings)
{
    report_param_text(report, "mode", mode_names[settings->mode]);
    report_param_text(report, "size", cli_size_name(settings->common.size));
    report_param_int(report, "items", settings->items);
    report_param_text(report, "stages", "download,resize,upload");
    report_param_text(report, "work", work_names[settings->work]);
    report_param_int(report, "work_us", settings->work_us);
    if (settings->mode == MODE_QUEUE_BOUNDED)
        report_param_int(report, "capacity", settings->capacity);
    if (settings->mode == MODE_BUSY_WAIT)
        report_param_int(report, "poll_us", settings->poll_us);
}

static void report_outcome(struct report *report, const struct settings *settings,
                           const struct outcome *outcome)
{
    double cpu_s = outcome->cpu.user_s + outcome->cpu.system_s;
    double elapsed = outcome->elapsed_s > 0 ? outcome->elapsed_s : 1e-9;
    report_elapsed(report, outcome->elapsed_s);
    report_metric(report, "items_per_s", (double)outcome->n_done / elapsed, "items/s");
    report_latency(report, outcome);
    report_metric(report, "cpu_s", cpu_s, "s");
    report_metric(report, "cpu_user_s", outcome->cpu.user_s, "s");
    report_metric(report, "cpu_system_s", outcome->cpu.system_s, "s");
    report_metric(report, "cores_busy", cpu_s / elapsed, "cores");
    report_metric(report, "work_s", (double)settings->items * N_STAGES *
                                         (double)settings->work_us / 1e6, "s");
    if (settings->mode == MODE_BUSY_WAIT) {
        report_metric(report, "polls", (double)outcome->polls, "");
        report_metric(report, "empty_polls", (double)outcome->empty_polls, "");
        report_note(report, "the workers polled %llu times for %lld items x %d stages; %llu "
                            "polls found nothing and %s",
                    outcome->polls, settings->items, N_STAGES, outcome->empty_polls,
                    settings->poll_us ? "slept" : "only yielded the core");
    }
    if (settings->mode == MODE_QUEUE || settings->mode == MODE_QUEUE_BOUNDED) {
        report_metric(report, "put_waits", (double)outcome->put_waits, "");
        report_metric(report, "get_waits", (double)outcome->get_waits, "");
        report_metric(report, "max_queued", (double)outcome->max_queued, "items");
        if (settings->mode == MODE_QUEUE_BOUNDED)
            report_check(report, "bounded", outcome->max_queued <= (size_t)settings->capacity,
                         "at most %zu items waited in a stage's queue, capacity %lld",
                         outcome->max_queued, settings->capacity);
    }
    report_note(report, "the stages' own work adds up to %.3f s; CPU time counts every "
                        "thread of the process, polling included",
                (double)settings->items * N_STAGES * (double)settings->work_us / 1e6);
}

/* ---- the program ---------------------------------------------------------- */

static void check_combinations(const struct settings *settings)
{
    double sequential_s = (double)settings->items * N_STAGES * (double)settings->work_us / 1e6;
    if (sequential_s > MAX_SEQUENTIAL_WORK_S)
        fail_usage("--items=%lld x %d stages x --work-us=%lld is %.0f s of work; at most %d s "
                   "is accepted",
                   settings->items, N_STAGES, settings->work_us, sequential_s,
                   MAX_SEQUENTIAL_WORK_S);
}

static struct settings parse_settings(int argc, char **argv)
{
    struct settings settings = {.work = WORK_SLEEP, .work_us = 100, .capacity = 1,
                                .poll_us = 10000, .gil = GIL_OPTIONS_DEFAULT};
    const struct cli_option options[] = {
        {.name = "items", .kind = CLI_INT, .min = 1, .max = 1000000, .integer = &settings.items,
         .by_size = CLI_BY_SIZE(100, 1000, 10000), .help = "items sent through the pipeline"},
        {.name = "work-us", .kind = CLI_INT, .min = 0, .max = 1000000,
         .integer = &settings.work_us,
         .help = "microseconds of work per item in each stage (the book's stages do none: 0)"},
        {.name = "work", .kind = CLI_CHOICE, .choices = work_names, .choice = &settings.work,
         .help = "sleep (waiting, like I/O) or spin (CPU)"},
        {.name = "capacity", .kind = CLI_INT, .min = 1, .max = 1000000,
         .integer = &settings.capacity, .modes = CLI_MODE(MODE_QUEUE_BOUNDED),
         .help = "items each stage's queue holds, as the book's Queue(1)"},
        {.name = "poll-us", .kind = CLI_INT, .min = 0, .max = 1000000,
         .integer = &settings.poll_us, .modes = CLI_MODE(MODE_BUSY_WAIT),
         .help = "sleep after an empty poll, as the book's 0.01 s (0: only yield)"},
        GIL_CLI_OPTIONS(&settings.gil),
    };
    const struct cli_program program = {
        .name = "pipeline",
        .summary = "Send items through download -> resize -> upload threads, polling or on "
                   "blocking queues (Effective Python item 55).",
        .epilogue = "Latency is measured from the producer's put to the end of the last stage; "
                    "CPU time is the whole process's (getrusage).\n"
                    "busy-wait's main thread checks the done list every 10 x --poll-us, as the "
                    "book's checks every 0.1 s.",
        .modes = mode_names,
        .mode_help = "how the stages are connected",
        .mode = &settings.mode,
        CLI_OPTIONS(options),
        CLI_VARIANTS(variants),
    };
    cli_parse_or_exit(&program, argc, argv, &settings.common);
    check_combinations(&settings);
    return settings;
}

int main(int argc, char **argv)
{
    struct settings settings = parse_settings(argc, argv);
    size_t n = (size_t)settings.items;
    struct item *items = calloc(n, sizeof *items);
    struct outcome outcome = {.done = calloc(n, sizeof(struct item *))};
    if (items == NULL || outcome.done == NULL)
        fail_wrong("out of memory for %zu items", n);
    for (size_t i = 0; i < n; i++)
        items[i] = (struct item){.id = i, .value = initial_value(i)};

    gil_init(&settings.gil);
    struct cpu_time cpu_before = cpu_now();
    double start = clock_now();
    gil_thread_begin(); /* the main thread, producer and waiter, is a Python thread too */
    if (settings.mode == MODE_SEQUENTIAL)
        run_sequential(items, &settings, &outcome);
    else if (settings.mode == MODE_BUSY_WAIT)
        run_busy_wait(items, &settings, &outcome);
    else
        run_queues(items, &settings, &outcome);
    gil_thread_end();
    outcome.elapsed_s = clock_since(start);
    struct cpu_time cpu_after = cpu_now();
    outcome.cpu = (struct cpu_time){cpu_after.user_s - cpu_before.user_s,
                                    cpu_after.system_s - cpu_before.system_s};

    char variant[32];
    struct report *report = report_new(
        "pipeline", gil_variant_name(&settings.gil, variant_name(&settings), variant,
                                     sizeof variant));
    describe(report, &settings);
    report_outcome(report, &settings, &outcome);
    check_outcome(report, &outcome, n);
    gil_report(report);
    gil_shutdown();
    free(outcome.done);
    free(items);
    return report_finish(report, settings.common.json, stdout);
}
