#include "queue.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "clock.h"
#include "fail.h"
#include "sync.h"

/* The items live in a ring: ITEMS[(HEAD + i) % SLOTS] for i < COUNT.  A
 * bounded queue allocates CAPACITY slots once; an unbounded one doubles. */
struct queue {
    pthread_mutex_t mutex;
    pthread_cond_t not_empty; /* getters sleep here */
    pthread_cond_t not_full;  /* putters sleep here */
    pthread_cond_t all_done;  /* join sleeps here */
    void **items;
    size_t slots, head, count;
    size_t capacity; /* 0: unbounded; never changes, read without the mutex */
    bool closed;
    struct queue_stats stats;
};

enum { INITIAL_SLOTS = 16 };

/* How a call may wait: not at all, without limit, or until a deadline. */
enum wait_kind { NO_WAIT, WAIT_FOREVER, WAIT_UNTIL };

/* Sleeps on COND (the mutex held).  False when DEADLINE (a clock_now()
 * value) passed first; a true return may be spurious, so callers re-check
 * their condition. */
static bool sleep_on(struct queue *queue, pthread_cond_t *cond, enum wait_kind kind,
                     double deadline)
{
    return sync_wait_until(cond, &queue->mutex, kind == WAIT_UNTIL ? deadline : INFINITY);
}

static int init_conditions(struct queue *queue)
{
    pthread_cond_t *conds[] = {&queue->not_empty, &queue->not_full, &queue->all_done};
    int made = 0, rc = 0;
    while (made < 3 && (rc = sync_cond_init_monotonic(conds[made])) == 0)
        made++;
    for (int i = 0; rc != 0 && i < made; i++)
        pthread_cond_destroy(conds[i]);
    return rc;
}

struct queue *queue_new(size_t capacity)
{
    struct queue *queue = calloc(1, sizeof *queue);
    if (queue == NULL)
        return NULL;
    queue->capacity = capacity;
    queue->slots = capacity != 0 ? capacity : INITIAL_SLOTS;
    queue->items = calloc(queue->slots, sizeof *queue->items);
    if (queue->items == NULL) {
        free(queue);
        errno = ENOMEM;
        return NULL;
    }
    int rc = pthread_mutex_init(&queue->mutex, NULL);
    if (rc == 0) {
        rc = init_conditions(queue);
        if (rc != 0)
            pthread_mutex_destroy(&queue->mutex);
    }
    if (rc != 0) {
        free(queue->items);
        free(queue);
        errno = rc;
        return NULL;
    }
    return queue;
}

void queue_free(struct queue *queue)
{
    if (queue == NULL)
        return;
    pthread_cond_destroy(&queue->not_empty);
    pthread_cond_destroy(&queue->not_full);
    pthread_cond_destroy(&queue->all_done);
    pthread_mutex_destroy(&queue->mutex);
    free(queue->items);
    free(queue);
}

static bool is_full(const struct queue *queue)
{
    return queue->capacity != 0 && queue->count == queue->capacity;
}

/* Doubles an unbounded queue's ring, unrolling it so HEAD is 0 again. */
static void grow(struct queue *queue)
{
    size_t slots = 2 * queue->slots;
    void **items = malloc(slots * sizeof *items);
    if (items == NULL)
        fail_wrong("queue: out of memory for %zu items", slots);
    for (size_t i = 0; i < queue->count; i++)
        items[i] = queue->items[(queue->head + i) % queue->slots];
    free(queue->items);
    queue->items = items;
    queue->slots = slots;
    queue->head = 0;
}

static void push(struct queue *queue, void *item)
{
    if (queue->count == queue->slots)
        grow(queue);
    queue->items[(queue->head + queue->count) % queue->slots] = item;
    queue->count++;
    queue->stats.puts++;
    queue->stats.unfinished++;
    if (queue->count > queue->stats.max_size)
        queue->stats.max_size = queue->count;
    if (queue->stats.waiting_getters > 0)
        sync_signal(&queue->not_empty);
}

static void *pop(struct queue *queue)
{
    void *item = queue->items[queue->head];
    queue->head = (queue->head + 1) % queue->slots;
    queue->count--;
    queue->stats.gets++;
    if (queue->stats.waiting_putters > 0)
        sync_signal(&queue->not_full);
    return item;
}

static enum queue_status put(struct queue *queue, void *item, enum wait_kind kind,
                             double deadline)
{
    enum queue_status status = QUEUE_OK;
    bool waited = false;
    sync_lock(&queue->mutex);
    while (!queue->closed && is_full(queue)) {
        if (kind == NO_WAIT) {
            status = QUEUE_FULL;
            break;
        }
        if (!waited)
            queue->stats.put_waits++;
        waited = true;
        queue->stats.waiting_putters++;
        bool woken = sleep_on(queue, &queue->not_full, kind, deadline);
        queue->stats.waiting_putters--;
        if (!woken && !queue->closed && is_full(queue)) {
            status = QUEUE_TIMEOUT;
            break;
        }
    }
    if (queue->closed)
        status = QUEUE_CLOSED;
    else if (status == QUEUE_OK)
        push(queue, item);
    sync_unlock(&queue->mutex);
    return status;
}

static enum queue_status get(struct queue *queue, void **item, enum wait_kind kind,
                             double deadline)
{
    enum queue_status status = QUEUE_OK;
    bool waited = false;
    sync_lock(&queue->mutex);
    while (!queue->closed && queue->count == 0) {
        if (kind == NO_WAIT) {
            status = QUEUE_EMPTY;
            break;
        }
        if (!waited)
            queue->stats.get_waits++;
        waited = true;
        queue->stats.waiting_getters++;
        bool woken = sleep_on(queue, &queue->not_empty, kind, deadline);
        queue->stats.waiting_getters--;
        if (!woken && !queue->closed && queue->count == 0) {
            status = QUEUE_TIMEOUT;
            break;
        }
    }
    /* Closed or not, what is in the queue is delivered first. */
    if (queue->count > 0) {
        *item = pop(queue);
        status = QUEUE_OK;
    } else if (queue->closed) {
        status = QUEUE_CLOSED;
    }
    sync_unlock(&queue->mutex);
    return status;
}

enum queue_status queue_put(struct queue *queue, void *item)
{
    return put(queue, item, WAIT_FOREVER, INFINITY);
}

enum queue_status queue_try_put(struct queue *queue, void *item)
{
    return put(queue, item, NO_WAIT, 0);
}

enum queue_status queue_put_timeout(struct queue *queue, void *item, double timeout_s)
{
    return put(queue, item, WAIT_UNTIL, clock_now() + timeout_s);
}

enum queue_status queue_get(struct queue *queue, void **item)
{
    return get(queue, item, WAIT_FOREVER, INFINITY);
}

enum queue_status queue_try_get(struct queue *queue, void **item)
{
    return get(queue, item, NO_WAIT, 0);
}

enum queue_status queue_get_timeout(struct queue *queue, void **item, double timeout_s)
{
    return get(queue, item, WAIT_UNTIL, clock_now() + timeout_s);
}

void queue_close(struct queue *queue)
{
    sync_lock(&queue->mutex);
    queue->closed = true;
    sync_broadcast(&queue->not_empty);
    sync_broadcast(&queue->not_full);
    sync_unlock(&queue->mutex);
}

bool queue_task_done(struct queue *queue)
{
    sync_lock(&queue->mutex);
    bool counted = queue->stats.unfinished > 0;
    if (counted && --queue->stats.unfinished == 0)
        sync_broadcast(&queue->all_done);
    sync_unlock(&queue->mutex);
    return counted;
}

void queue_join(struct queue *queue)
{
    sync_lock(&queue->mutex);
    while (queue->stats.unfinished > 0)
        sleep_on(queue, &queue->all_done, WAIT_FOREVER, INFINITY);
    sync_unlock(&queue->mutex);
}

size_t queue_size(struct queue *queue)
{
    sync_lock(&queue->mutex);
    size_t count = queue->count;
    sync_unlock(&queue->mutex);
    return count;
}

size_t queue_capacity(const struct queue *queue)
{
    return queue->capacity;
}

bool queue_is_closed(struct queue *queue)
{
    sync_lock(&queue->mutex);
    bool closed = queue->closed;
    sync_unlock(&queue->mutex);
    return closed;
}

struct queue_stats queue_get_stats(struct queue *queue)
{
    sync_lock(&queue->mutex);
    struct queue_stats stats = queue->stats;
    sync_unlock(&queue->mutex);
    return stats;
}

const char *queue_status_name(enum queue_status status)
{
    switch (status) {
    case QUEUE_OK:
        return "ok";
    case QUEUE_CLOSED:
        return "closed";
    case QUEUE_EMPTY:
        return "empty";
    case QUEUE_FULL:
        return "full";
    case QUEUE_TIMEOUT:
        return "timeout";
    }
    return "unknown";
}
