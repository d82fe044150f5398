#include "gil.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "fail.h"
#include "sync.h"

struct gil {
    /* Written by gil_init/gil_shutdown only, while no GIL thread runs. */
    bool enabled;
    long interval_us;

    /* "locked", "switches" and the registry are guarded by MUTEX;
     * a change of "locked" is signalled on COND. */
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    bool locked;
    /* The thread that holds or last held the GIL (its number + 1; 0 none).
     * Written with both mutexes held, so drop_gil may read it under
     * SWITCH_MUTEX alone; a change is signalled on SWITCH_COND. */
    long last_holder;
    pthread_mutex_t switch_mutex;
    pthread_cond_t switch_cond;
    unsigned long long switches;

    /* Every thread that began, by number: its account once it ended. */
    struct gil_thread_stats *threads;
    size_t n_threads, capacity;
    size_t running; /* began and not yet ended */
};

static struct gil the_gil;

/* CPython's gil_drop_request: set by a waiter, read without the mutex by
 * the holder at every check point.  Zero while the GIL is off, so a check
 * point costs one relaxed load. */
static atomic_int drop_request;

/* The calling thread, when it is a GIL thread. */
struct gil_thread {
    bool active;  /* between gil_thread_begin and gil_thread_end */
    bool holding; /* holds the GIL now */
    long id;      /* its number + 1, never 0 */
    struct gil_thread_stats stats;
};

static _Thread_local struct gil_thread self;

/* Thread.start()'s hand-shake: the creator waits, with the GIL released,
 * until the new thread has taken the GIL (its _started event is set). */
struct start_handshake {
    void *(*body)(void *);
    void *arg;
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    bool started;
};

/* The hand-shake the calling thread still owes its creator, if any. */
static _Thread_local struct start_handshake *pending_start;

/* ---- the two halves, as in ceval_gil.c ---------------------------------- */

static void set_drop_request(void) { atomic_store_explicit(&drop_request, 1, memory_order_relaxed); }
static void reset_drop_request(void) { atomic_store_explicit(&drop_request, 0, memory_order_relaxed); }
static bool drop_requested(void) { return atomic_load_explicit(&drop_request, memory_order_relaxed); }

/* take_gil: wait until the GIL is free; after each interval that passed
 * with no switch, ask the holder to drop it. */
static void take_gil(struct gil_thread *thread)
{
    struct gil *gil = &the_gil;
    int saved_errno = errno;
    double start = clock_now();
    sync_lock(&gil->mutex);
    while (gil->locked) {
        unsigned long long switches_before = gil->switches;
        double deadline = clock_now() + (double)gil->interval_us / 1e6;
        bool timed_out = !sync_wait_until(&gil->cond, &gil->mutex, deadline);
        if (timed_out && gil->locked && gil->switches == switches_before) {
            set_drop_request();
            thread->stats.drop_requests++;
        }
    }
    /* SWITCH_MUTEX orders the change of holder with a dropper that waits
     * for it in drop_gil. */
    sync_lock(&gil->switch_mutex);
    gil->locked = true;
    if (gil->last_holder != thread->id) {
        gil->last_holder = thread->id;
        gil->switches++;
    }
    sync_signal(&gil->switch_cond);
    sync_unlock(&gil->switch_mutex);
    /* The request, whoever made it, is answered: this thread now runs. */
    reset_drop_request();
    sync_unlock(&gil->mutex);
    thread->holding = true;
    thread->stats.acquisitions++;
    thread->stats.wait_s += clock_since(start);
    errno = saved_errno;
}

/* drop_gil: free the GIL and wake one waiter.  With FORCE_SWITCHING, when
 * a waiter asked for it, stay off the GIL until someone else has taken it:
 * otherwise on a multi-core machine the dropper, still running, usually
 * takes it back before the woken waiter is even scheduled.  A thread that
 * ends (FINAL) does not wait. */
static void drop_gil(struct gil_thread *thread, bool final)
{
    struct gil *gil = &the_gil;
    thread->holding = false;
    sync_lock(&gil->mutex);
    gil->locked = false;
    sync_signal(&gil->cond);
    sync_unlock(&gil->mutex);
    if (final || !drop_requested())
        return;
    sync_lock(&gil->switch_mutex);
    if (gil->last_holder == thread->id) {
        reset_drop_request();
        /* The waiter that asked is still waiting (it leaves take_gil only
         * with the GIL), so someone other than this thread takes it. */
        while (gil->last_holder == thread->id)
            sync_wait(&gil->switch_cond, &gil->switch_mutex);
    }
    sync_unlock(&gil->switch_mutex);
}

/* ---- set up and tear down ---------------------------------------------- */

const char *gil_variant_name(const struct gil_options *options, const char *base, char *name,
                             size_t size)
{
    snprintf(name, size, "%s%s", base, options->enabled ? "-gil" : "");
    return name;
}

void gil_init(const struct gil_options *options)
{
    gil_init_us(options->enabled, (long)options->switch_interval_ms * 1000);
}

void gil_init_us(bool enabled, long interval_us)
{
    if (the_gil.enabled)
        fail_wrong("gil_init: the GIL is already set up");
    if (!enabled)
        return;
    the_gil = (struct gil){.enabled = true, .interval_us = interval_us > 0 ? interval_us : 1};
    sync_mutex_init(&the_gil.mutex);
    sync_mutex_init(&the_gil.switch_mutex);
    sync_cond_init(&the_gil.cond);
    sync_cond_init(&the_gil.switch_cond);
    reset_drop_request();
}

void gil_shutdown(void)
{
    if (!the_gil.enabled)
        return;
    sync_lock(&the_gil.mutex);
    size_t running = the_gil.running;
    sync_unlock(&the_gil.mutex);
    if (running != 0)
        fail_wrong("gil_shutdown: %zu thread(s) did not call gil_thread_end", running);
    pthread_cond_destroy(&the_gil.cond);
    pthread_cond_destroy(&the_gil.switch_cond);
    pthread_mutex_destroy(&the_gil.mutex);
    pthread_mutex_destroy(&the_gil.switch_mutex);
    free(the_gil.threads);
    reset_drop_request();
    the_gil = (struct gil){.enabled = false};
}

bool gil_enabled(void) { return the_gil.enabled; }

/* ---- threads ------------------------------------------------------------ */

/* Gives the calling thread its number, under the mutex. */
static long register_thread(void)
{
    struct gil *gil = &the_gil;
    sync_lock(&gil->mutex);
    if (gil->n_threads == gil->capacity) {
        size_t capacity = gil->capacity ? 2 * gil->capacity : 16;
        struct gil_thread_stats *threads = realloc(gil->threads, capacity * sizeof *threads);
        if (threads == NULL) {
            sync_unlock(&gil->mutex);
            fail_wrong("out of memory for %zu GIL threads", capacity);
        }
        gil->threads = threads;
        gil->capacity = capacity;
    }
    gil->threads[gil->n_threads] = (struct gil_thread_stats){0};
    long id = (long)++gil->n_threads;
    gil->running++;
    sync_unlock(&gil->mutex);
    return id;
}

/* _started.set(): tells a creator waiting in gil_thread_start that this
 * thread runs.  The creator may free the hand-shake as soon as the mutex is
 * unlocked, so it is not touched afterwards. */
static void announce_start(void)
{
    struct start_handshake *handshake = pending_start;
    if (handshake == NULL)
        return;
    pending_start = NULL;
    sync_lock(&handshake->mutex);
    handshake->started = true;
    sync_signal(&handshake->cond);
    sync_unlock(&handshake->mutex);
}

void gil_thread_begin(void)
{
    if (!the_gil.enabled)
        return;
    if (self.active)
        fail_wrong("gil_thread_begin: this thread already began");
    self = (struct gil_thread){.active = true, .id = register_thread()};
    take_gil(&self);
    announce_start();
}

void gil_thread_end(void)
{
    if (!the_gil.enabled || !self.active)
        return;
    if (self.holding)
        drop_gil(&self, true);
    sync_lock(&the_gil.mutex);
    the_gil.threads[self.id - 1] = self.stats;
    the_gil.running--;
    sync_unlock(&the_gil.mutex);
    self.active = false;
}

bool gil_checkpoint(void)
{
    if (!drop_requested() || !self.holding)
        return false;
    self.stats.forced_drops++;
    drop_gil(&self, false);
    take_gil(&self);
    return true;
}

void gil_release(void)
{
    if (!self.holding)
        return;
    self.stats.blocking_releases++;
    drop_gil(&self, false);
}

void gil_reacquire(void)
{
    if (self.active && !self.holding)
        take_gil(&self);
}

int gil_mutex_lock(pthread_mutex_t *mutex)
{
    /* The fast path, as acquire_timed in CPython's Modules/_threadmodule.c:
     * a free lock is taken while holding the GIL. */
    int rc = pthread_mutex_trylock(mutex);
    if (rc != EBUSY)
        return rc;
    GIL_RELEASED(rc = pthread_mutex_lock(mutex));
    return rc;
}

/* ---- queues and thread starts, as CPython's ------------------------------ */

enum queue_status gil_queue_get(struct queue *queue, void **item)
{
    enum queue_status status = queue_try_get(queue, item);
    if (status != QUEUE_EMPTY)
        return status;
    GIL_RELEASED(status = queue_get(queue, item));
    return status;
}

enum queue_status gil_queue_put(struct queue *queue, void *item)
{
    enum queue_status status = queue_try_put(queue, item);
    if (status != QUEUE_FULL)
        return status;
    GIL_RELEASED(status = queue_put(queue, item));
    return status;
}

void gil_queue_join(struct queue *queue)
{
    if (queue_get_stats(queue).unfinished == 0)
        return;
    GIL_RELEASED(queue_join(queue));
}

/* The new thread's start routine under a hand-shake: it owes the creator
 * the announcement, made by gil_thread_begin or, failing that, at the end. */
static void *started_thread_main(void *arg)
{
    struct start_handshake *handshake = arg;
    void *(*body)(void *) = handshake->body;
    void *body_arg = handshake->arg;
    pending_start = handshake;
    void *result = body(body_arg);
    announce_start();
    return result;
}

int gil_thread_start(pthread_t *thread, const pthread_attr_t *attr, void *(*body)(void *),
                     void *arg)
{
    if (!self.holding)
        return pthread_create(thread, attr, body, arg);
    struct start_handshake handshake = {.body = body, .arg = arg};
    sync_mutex_init(&handshake.mutex);
    sync_cond_init(&handshake.cond);
    int rc = pthread_create(thread, attr, started_thread_main, &handshake);
    if (rc == 0) {
        gil_release();
        sync_lock(&handshake.mutex);
        while (!handshake.started)
            sync_wait(&handshake.cond, &handshake.mutex);
        sync_unlock(&handshake.mutex);
        gil_reacquire();
    }
    pthread_cond_destroy(&handshake.cond);
    pthread_mutex_destroy(&handshake.mutex);
    return rc;
}

/* ---- statistics ---------------------------------------------------------- */

struct gil_stats gil_stats(void)
{
    struct gil *gil = &the_gil;
    struct gil_stats stats = {.enabled = gil->enabled};
    if (!gil->enabled)
        return stats;
    sync_lock(&gil->mutex);
    stats.switch_interval_s = (double)gil->interval_us / 1e6;
    stats.switches = gil->switches;
    stats.n_threads = gil->n_threads;
    for (size_t i = 0; i < gil->n_threads; i++) {
        stats.drop_requests += gil->threads[i].drop_requests;
        stats.forced_drops += gil->threads[i].forced_drops;
        stats.wait_s += gil->threads[i].wait_s;
    }
    sync_unlock(&gil->mutex);
    return stats;
}

struct gil_thread_stats gil_thread_stats(size_t index)
{
    struct gil_thread_stats stats = {0};
    if (!the_gil.enabled)
        return stats;
    sync_lock(&the_gil.mutex);
    if (index < the_gil.n_threads)
        stats = the_gil.threads[index];
    sync_unlock(&the_gil.mutex);
    return stats;
}

static cJSON *thread_json(size_t index, const struct gil_thread_stats *stats)
{
    cJSON *item = cJSON_CreateObject();
    if (item == NULL)
        return NULL;
    cJSON_AddNumberToObject(item, "thread", (double)index);
    cJSON_AddNumberToObject(item, "wait_s", stats->wait_s);
    cJSON_AddNumberToObject(item, "acquisitions", (double)stats->acquisitions);
    cJSON_AddNumberToObject(item, "forced_drops", (double)stats->forced_drops);
    cJSON_AddNumberToObject(item, "drop_requests", (double)stats->drop_requests);
    cJSON_AddNumberToObject(item, "blocking_releases", (double)stats->blocking_releases);
    return item;
}

/* Per-thread metrics and the same under data "gil". */
static void report_threads(struct report *report, const struct gil_stats *stats)
{
    cJSON *data = cJSON_CreateObject();
    cJSON *threads = data ? cJSON_AddArrayToObject(data, "threads") : NULL;
    if (data != NULL) {
        cJSON_AddNumberToObject(data, "switch_interval_s", stats->switch_interval_s);
        cJSON_AddNumberToObject(data, "switches", (double)stats->switches);
    }
    for (size_t i = 0; i < stats->n_threads; i++) {
        struct gil_thread_stats thread = gil_thread_stats(i);
        char name[48];
        snprintf(name, sizeof name, "gil_wait_s_thread%zu", i);
        report_metric(report, name, thread.wait_s, "s");
        if (threads != NULL)
            cJSON_AddItemToArray(threads, thread_json(i, &thread));
    }
    if (data == NULL || threads == NULL)
        fail_wrong("out of memory for the GIL report");
    report_data(report, "gil", data);
}

void gil_report(struct report *report)
{
    struct gil_stats stats = gil_stats();
    report_param_bool(report, "gil", stats.enabled);
    if (!stats.enabled)
        return;
    report_param_int(report, "switch_interval_ms",
                     (long long)(stats.switch_interval_s * 1000 + 0.5));
    report_metric(report, "gil_switches", (double)stats.switches, "");
    report_metric(report, "gil_drop_requests", (double)stats.drop_requests, "");
    report_metric(report, "gil_forced_drops", (double)stats.forced_drops, "");
    report_metric(report, "gil_wait_s", stats.wait_s, "s");
    report_threads(report, &stats);
    if (stats.n_threads < 2) {
        report_note(report, "emulated GIL: %s", stats.n_threads == 0
                                                   ? "no thread of this process took it"
                                                   : "one thread held it, with no one to switch with");
        return;
    }
    report_note(report,
                "emulated GIL, switch interval %.3g ms: %zu threads took turns on it; it went "
                "to a new holder %llu times, and %llu times a holder gave it up because a "
                "waiter had asked",
                stats.switch_interval_s * 1000, stats.n_threads, stats.switches,
                stats.forced_drops);
}
