/* queue — a closable, optionally bounded, blocking FIFO of pointers.
 *
 * The C counterpart of Python's queue.Queue with the ClosableQueue of
 * Effective Python item 55: producers put, consumers get until the queue is
 * closed *and* drained, and task_done/join let a producer wait until every
 * item it put has been handled.  Items are plain pointers (NULL included);
 * the queue never looks at them and never frees them.
 *
 *   struct queue *q = queue_new(0);            // 0: unbounded
 *   producer:  queue_put(q, item) ... queue_close(q);
 *   consumer:  void *item;
 *              while (queue_get(q, &item) == QUEUE_OK) { use(item); queue_task_done(q); }
 *
 * Every function is safe to call from any number of threads at once, except
 * queue_free.  One mutex guards the queue; waiters sleep on condition
 * variables (no polling), on the monotonic clock when they have a timeout.
 *
 * Blocking calls (put, get and their timed forms, join) may sleep: a caller
 * holding a lock of its own — an emulated GIL, for one — should release it
 * around them, as CPython releases the GIL around a blocking acquire.
 *
 * Failures of the pthread calls underneath are programming errors; they end
 * the program through fail.h (exit 1).  Out of memory while an unbounded
 * queue grows does too.
 */
#ifndef CONCLAB_QUEUE_H
#define CONCLAB_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum queue_status {
    QUEUE_OK = 0,  /* the item was put or got */
    QUEUE_CLOSED,  /* put: the queue is closed; get: closed and drained */
    QUEUE_EMPTY,   /* try_get: nothing there now (the queue is still open) */
    QUEUE_FULL,    /* try_put: at capacity now */
    QUEUE_TIMEOUT, /* a timed call waited its whole timeout */
};

/* Counters, for reports and tests.  A "wait" is one call that had to sleep
 * at least once (a put on a full queue, a get on an empty one). */
struct queue_stats {
    size_t puts, gets;            /* successful calls so far */
    size_t put_waits, get_waits;  /* of those calls (or failed ones), how many slept */
    size_t max_size;              /* the most items held at once */
    size_t waiting_putters;       /* threads asleep in a put right now */
    size_t waiting_getters;       /* threads asleep in a get right now */
    size_t unfinished;            /* items put and not yet task_done */
};

/* A new, open, empty queue holding at most CAPACITY items; 0 means no limit.
 * Returns NULL with errno set (ENOMEM, or what pthread initialisation said). */
struct queue *queue_new(size_t capacity);

/* Frees QUEUE.  No thread may be using it or waiting on it any more.  Items
 * still inside are not freed: drain them first with queue_try_get if they
 * own memory.  NULL is ignored. */
void queue_free(struct queue *queue);

/* Appends ITEM, sleeping while the queue is full.  QUEUE_OK, or QUEUE_CLOSED
 * when the queue is closed before or while waiting (ITEM was not put). */
enum queue_status queue_put(struct queue *queue, void *item);

/* Like queue_put, but never sleeps: QUEUE_FULL instead. */
enum queue_status queue_try_put(struct queue *queue, void *item);

/* Like queue_put, but sleeps at most TIMEOUT_S seconds (>= 0): QUEUE_TIMEOUT. */
enum queue_status queue_put_timeout(struct queue *queue, void *item, double timeout_s);

/* Removes the oldest item into *ITEM, sleeping while the queue is empty and
 * open.  QUEUE_OK, or QUEUE_CLOSED once the queue is closed and drained
 * (*ITEM is then left alone).  Items put before close are all delivered. */
enum queue_status queue_get(struct queue *queue, void **item);

/* Like queue_get, but never sleeps: QUEUE_EMPTY while open and empty. */
enum queue_status queue_try_get(struct queue *queue, void **item);

/* Like queue_get, but sleeps at most TIMEOUT_S seconds (>= 0): QUEUE_TIMEOUT. */
enum queue_status queue_get_timeout(struct queue *queue, void **item, double timeout_s);

/* Closes QUEUE: later puts fail with QUEUE_CLOSED, gets drain what is left
 * and then return QUEUE_CLOSED.  Wakes every thread waiting in a put or get.
 * Closing twice is harmless.  Does not touch the unfinished-task count. */
void queue_close(struct queue *queue);

/* Marks one got item as handled (Python's task_done).  Returns false, and
 * changes nothing, when there is no unfinished item: more task_done calls
 * than items put is a bug in the caller (Python raises ValueError). */
bool queue_task_done(struct queue *queue);

/* Sleeps until every item ever put has been marked with queue_task_done
 * (returns at once when none is unfinished).  Closing does not end a join. */
void queue_join(struct queue *queue);

/* Items held now, the capacity given to queue_new, whether it is closed. */
size_t queue_size(struct queue *queue);
size_t queue_capacity(const struct queue *queue);
bool queue_is_closed(struct queue *queue);

/* A consistent snapshot of QUEUE's counters. */
struct queue_stats queue_get_stats(struct queue *queue);

/* "ok", "closed", "empty", "full" or "timeout". */
const char *queue_status_name(enum queue_status status);

#ifdef __cplusplus
}
#endif

#endif
