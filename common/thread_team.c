#include "thread_team.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "fail.h"
#include "gil.h"
#include "pin.h"

/* Holds the bodies back until every thread exists (or creation failed).
 * The threads wait by yielding, not by sleeping on a condition variable: a
 * woken thread is placed near its waker, so sleepers released together tend
 * to queue up on one core and run one after the other; runnable threads are
 * spread over the cores and start at the same moment. */
struct start_gate {
    atomic_bool open, cancelled;
};

/* What pthread_create hands to one thread: the body, its item, the gate. */
struct member {
    pthread_t thread;
    void (*body)(void *item);
    void *item;
    struct start_gate *gate;
    size_t index; /* the member's place in the team, for pin_worker */
};

/* True when the body may run, false when the team was cancelled. */
static bool wait_at_gate(struct start_gate *gate)
{
    while (!atomic_load_explicit(&gate->open, memory_order_acquire))
        sched_yield();
    return !atomic_load_explicit(&gate->cancelled, memory_order_relaxed);
}

static void open_gate(struct start_gate *gate, bool cancelled)
{
    atomic_store_explicit(&gate->cancelled, cancelled, memory_order_relaxed);
    atomic_store_explicit(&gate->open, true, memory_order_release);
}

/* Under --gil every member is a Python thread: it holds the emulated GIL
 * while its body runs (no-ops without it).  The gate is passed first, so
 * that the wait for the other members does not hold the GIL. */
static void *member_main(void *arg)
{
    struct member *member = arg;
    pin_worker(member->index);
    if (wait_at_gate(member->gate)) {
        gil_thread_begin();
        member->body(member->item);
        gil_thread_end();
    }
    return NULL;
}

int thread_team_attr_init(pthread_attr_t *attr)
{
    int error = pthread_attr_init(attr);
    if (error != 0)
        return error;
    error = pthread_attr_setstacksize(attr, THREAD_TEAM_STACK_BYTES);
    if (error != 0)
        pthread_attr_destroy(attr);
    return error;
}

int thread_team_create(pthread_t *thread, void *(*body)(void *), void *arg)
{
    pthread_attr_t attr;
    int error = thread_team_attr_init(&attr);
    if (error != 0)
        return error;
    error = pthread_create(thread, &attr, body, arg);
    pthread_attr_destroy(&attr);
    return error;
}

int thread_team_start(pthread_t *thread, void *(*body)(void *), void *arg)
{
    pthread_attr_t attr;
    int error = thread_team_attr_init(&attr);
    if (error != 0)
        return error;
    error = gil_thread_start(thread, &attr, body, arg);
    pthread_attr_destroy(&attr);
    return error;
}

/* Creates up to COUNT threads; returns how many exist, *ERROR the
 * pthread_create error that stopped it (0 when all were created). */
static size_t create_members(struct member *members, size_t count, int *error)
{
    size_t started = 0;
    *error = 0;
    for (; started < count; started++) {
        *error = thread_team_create(&members[started].thread, member_main, &members[started]);
        if (*error != 0)
            break;
    }
    return started;
}

void thread_team_run(size_t count, void (*body)(void *item), void *items, size_t item_size)
{
    if (count == 0)
        return;
    if (count > THREAD_TEAM_MAX)
        fail_wrong("thread_team_run: %zu threads asked, at most %d", count, THREAD_TEAM_MAX);
    struct member *members = calloc(count, sizeof *members);
    if (members == NULL)
        fail_wrong("out of memory for %zu threads", count);
    struct start_gate gate;
    atomic_init(&gate.open, false);
    atomic_init(&gate.cancelled, false);
    for (size_t i = 0; i < count; i++)
        members[i] = (struct member){
            .body = body, .item = (char *)items + i * item_size, .gate = &gate, .index = i};

    int create_error;
    size_t started = create_members(members, count, &create_error);
    open_gate(&gate, create_error != 0);
    /* Join whatever started, also when a later pthread_create failed. */
    int join_error = 0;
    for (size_t i = 0; i < started; i++) {
        int error = pthread_join(members[i].thread, NULL);
        join_error = join_error ? join_error : error;
    }
    free(members);
    if (create_error != 0)
        fail_code("pthread_create", create_error);
    if (join_error != 0)
        fail_code("pthread_join", join_error);
}
