#include "queue.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "fail.h"

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

static void lock(struct queue *queue)
{
    int rc = pthread_mutex_lock(&queue->mutex);
    if (rc != 0)
        fail_code("pthread_mutex_lock", rc);
}

static void unlock(struct queue *queue)
{
    int rc = pthread_mutex_unlock(&queue->mutex);
    if (rc != 0)
        fail_code("pthread_mutex_unlock", rc);
}

static void wake_one(pthread_cond_t *cond)
{
    int rc = pthread_cond_signal(cond);
    if (rc != 0)
        fail_code("pthread_cond_signal", rc);
}

static void wake_all(pthread_cond_t *cond)
{
    int rc = pthread_cond_broadcast(cond);
    if (rc != 0)
        fail_code("pthread_cond_broadcast", rc);
}

/* Sleeps on COND (the mutex held).  False when DEADLINE passed first; a
 * true return may be spurious, so callers re-check their condition. */
static bool sleep_on(struct queue *queue, pthread_cond_t *cond, enum wait_kind kind,
                     const struct timespec *deadline)
{
    int rc = kind == WAIT_UNTIL ? pthread_cond_timedwait(cond, &queue->mutex, deadline)
                                : pthread_cond_wait(cond, &queue->mutex);
    if (rc == ETIMEDOUT)
        return false;
    if (rc != 0)
        fail_code(kind == WAIT_UNTIL ? "pthread_cond_timedwait" : "pthread_cond_wait", rc);
    return true;
}

/* TIMEOUT_S from now on the monotonic clock, the clock the conditions use. */
static struct timespec deadline_after(double timeout_s)
{
    struct timespec deadline;
    if (clock_gettime(CLOCK_MONOTONIC, &deadline) != 0)
        fail_sys("clock_gettime");
    if (!(timeout_s > 0))
        return deadline;
    if (timeout_s > 1e9) /* keeps the sum below any time_t overflow */
        timeout_s = 1e9;
    double whole = floor(timeout_s);
    deadline.tv_sec += (time_t)whole;
    deadline.tv_nsec += (long)((timeout_s - whole) * 1e9);
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec += 1;
        deadline.tv_nsec -= 1000000000L;
    }
    return deadline;
}

static int init_conditions(struct queue *queue)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc != 0)
        return rc;
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int made = 0;
    pthread_cond_t *conds[] = {&queue->not_empty, &queue->not_full, &queue->all_done};
    for (; rc == 0 && made < 3; made++)
        rc = pthread_cond_init(conds[made], &attr);
    if (rc != 0) {
        /* made counts the attempt that failed too; destroy only the others */
        for (int i = 0; i < made - 1; i++)
            pthread_cond_destroy(conds[i]);
    }
    pthread_condattr_destroy(&attr);
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
        wake_one(&queue->not_empty);
}

static void *pop(struct queue *queue)
{
    void *item = queue->items[queue->head];
    queue->head = (queue->head + 1) % queue->slots;
    queue->count--;
    queue->stats.gets++;
    if (queue->stats.waiting_putters > 0)
        wake_one(&queue->not_full);
    return item;
}

static enum queue_status put(struct queue *queue, void *item, enum wait_kind kind,
                             const struct timespec *deadline)
{
    enum queue_status status = QUEUE_OK;
    bool waited = false;
    lock(queue);
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
    unlock(queue);
    return status;
}

static enum queue_status get(struct queue *queue, void **item, enum wait_kind kind,
                             const struct timespec *deadline)
{
    enum queue_status status = QUEUE_OK;
    bool waited = false;
    lock(queue);
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
    unlock(queue);
    return status;
}

enum queue_status queue_put(struct queue *queue, void *item)
{
    return put(queue, item, WAIT_FOREVER, NULL);
}

enum queue_status queue_try_put(struct queue *queue, void *item)
{
    return put(queue, item, NO_WAIT, NULL);
}

enum queue_status queue_put_timeout(struct queue *queue, void *item, double timeout_s)
{
    struct timespec deadline = deadline_after(timeout_s);
    return put(queue, item, WAIT_UNTIL, &deadline);
}

enum queue_status queue_get(struct queue *queue, void **item)
{
    return get(queue, item, WAIT_FOREVER, NULL);
}

enum queue_status queue_try_get(struct queue *queue, void **item)
{
    return get(queue, item, NO_WAIT, NULL);
}

enum queue_status queue_get_timeout(struct queue *queue, void **item, double timeout_s)
{
    struct timespec deadline = deadline_after(timeout_s);
    return get(queue, item, WAIT_UNTIL, &deadline);
}

void queue_close(struct queue *queue)
{
    lock(queue);
    queue->closed = true;
    wake_all(&queue->not_empty);
    wake_all(&queue->not_full);
    unlock(queue);
}

bool queue_task_done(struct queue *queue)
{
    lock(queue);
    bool counted = queue->stats.unfinished > 0;
    if (counted && --queue->stats.unfinished == 0)
        wake_all(&queue->all_done);
    unlock(queue);
    return counted;
}

void queue_join(struct queue *queue)
{
    lock(queue);
    while (queue->stats.unfinished > 0)
        sleep_on(queue, &queue->all_done, WAIT_FOREVER, NULL);
    unlock(queue);
}

size_t queue_size(struct queue *queue)
{
    lock(queue);
    size_t count = queue->count;
    unlock(queue);
    return count;
}

size_t queue_capacity(const struct queue *queue)
{
    return queue->capacity;
}

bool queue_is_closed(struct queue *queue)
{
    lock(queue);
    bool closed = queue->closed;
    unlock(queue);
    return closed;
}

struct queue_stats queue_get_stats(struct queue *queue)
{
    lock(queue);
    struct queue_stats stats = queue->stats;
    unlock(queue);
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
