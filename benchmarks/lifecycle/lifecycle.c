/* lifecycle — which states does a thread really pass through, as the kernel sees it?
 *
 * Seed 003 (notes on "Learning Concurrency in Python") lists a thread's life
 * as New -> Runnable -> Running <-> Not Running -> Dead: New when the Thread
 * object exists, Runnable after start(), Running inside run(), Not Running
 * while it sleeps or waits (sleep(), a lock), Dead when run() has returned.
 * This program walks one thread through those states and, at each, reads
 * what Linux says about it: the state letter in /proc/self/task/<tid>/stat
 * (R running or runnable, S sleeping, D disk wait, ...) and the thread's CPU
 * time (pthread_getcpuclockid), each with a timestamp.  The states are
 * observed, not assumed: the program polls until it sees the expected letter
 * and fails (exit 1) if it never does.
 *
 * Variant (--mode): walk, the only one.
 *
 * What the kernel shows that the notes do not say: Runnable and Running are
 * one letter, R — only the CPU time tells a thread that waits for a core from
 * one that has it; both Not Running states are S; New has no kernel task at
 * all, and after Dead the task is gone from /proc.  To catch the thread
 * runnable before its first instruction, the worker is pinned to the main
 * thread's CPU (when the system allows), so it must wait for the main thread
 * to give the core up.
 */
#define _GNU_SOURCE /* CPU_SET, sched_setaffinity, pthread_attr_setaffinity_np, gettid */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "fail.h"
#include "report.h"
#include "thread_team.h"

/* How long the main thread waits to see a state before calling it missing. */
#define OBSERVE_LIMIT_S 10.0
/* How often it looks. */
#define POLL_S 0.0005

/* Where the worker is; it publishes each step before it takes it. */
enum phase { PHASE_BORN, PHASE_SLEEPING, PHASE_LOCKING, PHASE_RUNNING_AGAIN, PHASE_ENDING };

/* What the main thread allows the worker to do next. */
enum command { COMMAND_SPIN, COMMAND_SLEEP, COMMAND_WAKE, COMMAND_FINISH };

struct walk {
    atomic_int phase, command;
    atomic_long own_tid;  /* the worker's gettid(), published by its first step */
    pthread_mutex_t gate; /* held by the main thread while the worker waits on it */
    double sleep_s;
    pthread_t thread;
    long tid;             /* the worker's kernel task, found in /proc/self/task */
    clockid_t cpu_clock;  /* the worker's CPU-time clock */
    double start;         /* clock_now() when the walk began */
    struct report *report;
    cJSON *states;        /* the observations, for --json */
};

static void set_phase(struct walk *walk, enum phase phase)
{
    atomic_store_explicit(&walk->phase, phase, memory_order_release);
}

static int phase_of(struct walk *walk)
{
    return atomic_load_explicit(&walk->phase, memory_order_acquire);
}

static int command_of(struct walk *walk)
{
    return atomic_load_explicit(&walk->command, memory_order_acquire);
}

static void spin_until(struct walk *walk, enum command command)
{
    volatile unsigned long sink = 0;
    while (command_of(walk) < (int)command)
        for (int i = 0; i < 1000; i++)
            sink += (unsigned long)i;
}

/* The worker's run(): CPU, a sleep, a lock, CPU again, return.  It sleeps
 * again until the main thread has seen it asleep, so that even a short
 * --sleep-ms cannot slip by unobserved. */
static void *worker_main(void *arg)
{
    struct walk *walk = arg;
    atomic_store_explicit(&walk->own_tid, (long)gettid(), memory_order_release);
    spin_until(walk, COMMAND_SLEEP);
    set_phase(walk, PHASE_SLEEPING);
    do
        clock_sleep(walk->sleep_s);
    while (command_of(walk) < COMMAND_WAKE);
    set_phase(walk, PHASE_LOCKING);
    int rc = pthread_mutex_lock(&walk->gate);
    if (rc != 0)
        fail_code("pthread_mutex_lock", rc);
    rc = pthread_mutex_unlock(&walk->gate);
    if (rc != 0)
        fail_code("pthread_mutex_unlock", rc);
    set_phase(walk, PHASE_RUNNING_AGAIN);
    spin_until(walk, COMMAND_FINISH);
    set_phase(walk, PHASE_ENDING);
    return NULL;
}

/* ---- what the kernel says ------------------------------------------------- */

/* The task ids in /proc/self/task, at most MAX of them; returns how many. */
static size_t list_tasks(long *tids, size_t max)
{
    DIR *dir = opendir("/proc/self/task");
    if (dir == NULL)
        fail_sys("opendir /proc/self/task");
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        char *end;
        long tid = strtol(entry->d_name, &end, 10);
        if (*end == '\0' && tid > 0 && count < max)
            tids[count++] = tid;
    }
    closedir(dir);
    return count;
}

/* The one task in AFTER that is not in BEFORE, or 0 when there is none or
 * more than one (a tool such as ThreadSanitizer may start a background thread
 * of its own at the first pthread_create). */
static long new_task(const long *before, size_t n_before, const long *after, size_t n_after)
{
    long found = 0;
    int count = 0;
    for (size_t i = 0; i < n_after; i++) {
        bool known = false;
        for (size_t k = 0; k < n_before; k++)
            known |= after[i] == before[k];
        if (!known) {
            found = after[i];
            count++;
        }
    }
    return count == 1 ? found : 0;
}

/* The tid the worker published about itself, once it has run. */
static long published_tid(struct walk *walk)
{
    double start = clock_now();
    long tid;
    while ((tid = atomic_load_explicit(&walk->own_tid, memory_order_acquire)) == 0) {
        if (clock_since(start) > OBSERVE_LIMIT_S)
            fail_wrong("the worker never started");
        clock_sleep(POLL_S);
    }
    return tid;
}

/* TID's state letter from /proc/self/task/TID/stat, or '-' when the task no
 * longer exists.  The letter follows the command name, which is in
 * parentheses and may itself hold spaces or parentheses: take the last ')'. */
static char task_state(long tid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
    FILE *stat = fopen(path, "r");
    if (stat == NULL) {
        if (errno == ENOENT || errno == ESRCH)
            return '-';
        fail_sys("fopen /proc/self/task/TID/stat");
    }
    char *got = fgets(line, sizeof line, stat);
    fclose(stat);
    if (got == NULL)
        return '-'; /* the task went away while we read */
    char *paren = strrchr(line, ')');
    if (paren == NULL || paren[1] != ' ' || paren[2] == '\0')
        fail_wrong("unexpected format in %s: %s", path, line);
    return paren[2];
}

static double cpu_ms(const struct walk *walk)
{
    struct timespec used;
    if (clock_gettime(walk->cpu_clock, &used) != 0)
        return -1; /* the thread has ended */
    return (double)used.tv_sec * 1e3 + (double)used.tv_nsec / 1e6;
}

/* ---- observations --------------------------------------------------------- */

/* Records one observation: the state the notes name, what the kernel showed,
 * when, and the CPU time the worker had used (negative: none to read). */
static void observe(struct walk *walk, const char *state, char letter, double cpu, bool ok,
                    const char *meaning)
{
    double t_ms = 1e3 * clock_since(walk->start);
    char kernel[16];
    snprintf(kernel, sizeof kernel, "%c", letter);
    cJSON *entry = cJSON_CreateObject();
    if (entry == NULL || !cJSON_AddItemToArray(walk->states, entry) ||
        cJSON_AddStringToObject(entry, "state", state) == NULL ||
        cJSON_AddStringToObject(entry, "kernel", kernel) == NULL ||
        cJSON_AddNumberToObject(entry, "t_ms", t_ms) == NULL ||
        cJSON_AddNumberToObject(entry, "cpu_ms", cpu) == NULL ||
        cJSON_AddStringToObject(entry, "meaning", meaning) == NULL)
        fail_wrong("out of memory while recording a state");
    report_note(walk->report, "%9.3f ms  %-32s kernel: %c  cpu %.3f ms  %s", t_ms, state, letter,
                cpu < 0 ? 0.0 : cpu, meaning);
    report_check(walk->report, state, ok, "kernel state %c; %s", letter, meaning);
}

static void wait_for_phase(struct walk *walk, enum phase phase)
{
    double start = clock_now();
    while (phase_of(walk) < (int)phase) {
        if (clock_since(start) > OBSERVE_LIMIT_S)
            fail_wrong("the worker never reached step %d", (int)phase);
        clock_sleep(POLL_S);
    }
}

/* Polls the worker's state until it is LETTER while the worker is still in
 * PHASE; returns the last letter seen. */
static char poll_for(struct walk *walk, char letter, enum phase phase)
{
    double start = clock_now();
    char seen = task_state(walk->tid);
    while (seen != letter && phase_of(walk) == (int)phase && clock_since(start) < OBSERVE_LIMIT_S) {
        clock_sleep(POLL_S);
        seen = task_state(walk->tid);
    }
    return seen;
}

/* Running: state R while its CPU time grows.  Returns true when seen. */
static bool poll_running(struct walk *walk, double *cpu_at_end)
{
    double start = clock_now(), before = cpu_ms(walk);
    for (;;) {
        clock_sleep(POLL_S); /* gives the core away: the worker may share it */
        char seen = task_state(walk->tid);
        double now = cpu_ms(walk);
        *cpu_at_end = now;
        if (seen == 'R' && now > before)
            return true;
        if (clock_since(start) > OBSERVE_LIMIT_S)
            return false;
    }
}

/* The main thread's CPU, to pin the worker beside it: the first CPU of its
 * allowed set.  False when affinity cannot be read or set. */
static bool pin_main_thread(cpu_set_t *one_cpu)
{
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
        return false;
    CPU_ZERO(one_cpu);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (CPU_ISSET(cpu, &allowed)) {
            CPU_SET(cpu, one_cpu);
            return sched_setaffinity(0, sizeof *one_cpu, one_cpu) == 0;
        }
    }
    return false;
}

/* pthread_create, pinned to ONE_CPU when PINNED; returns pthread_create's error. */
static int create_worker(struct walk *walk, bool pinned, const cpu_set_t *one_cpu)
{
    pthread_attr_t attr;
    int rc = thread_team_attr_init(&attr); /* conclab's stack size, whatever ulimit -s says */
    if (rc != 0)
        fail_code("pthread_attr_init", rc);
    /* Unpinned if the system says no: the walk works either way. */
    if (pinned)
        (void)pthread_attr_setaffinity_np(&attr, sizeof *one_cpu, one_cpu);
    rc = pthread_create(&walk->thread, &attr, worker_main, walk);
    pthread_attr_destroy(&attr);
    return rc;
}

/* New and Runnable: before and right after pthread_create. */
static void walk_birth(struct walk *walk, bool pinned, const cpu_set_t *one_cpu)
{
    long before[64], after[64];
    size_t n_before = list_tasks(before, 64);
    observe(walk, "New", '-', -1, true,
            "the thread's data exists, but the kernel has no task for it yet");
    int rc = create_worker(walk, pinned, one_cpu);
    if (rc != 0)
        fail_code("pthread_create", rc);
    /* Look before the worker can say who it is: the new entry in /proc. */
    size_t n_after = list_tasks(after, 64);
    long seen_tid = new_task(before, n_before, after, n_after);
    rc = pthread_getcpuclockid(walk->thread, &walk->cpu_clock);
    if (rc != 0)
        fail_code("pthread_getcpuclockid", rc);
    char letter = seen_tid != 0 ? task_state(seen_tid) : '-';
    double cpu = cpu_ms(walk);
    walk->tid = published_tid(walk);
    if (seen_tid != walk->tid) { /* ambiguous: look again at the right task */
        letter = task_state(walk->tid);
        cpu = cpu_ms(walk);
    }
    observe(walk, "Runnable", letter, cpu, letter != '-',
            cpu <= 0 ? "the task exists and has not run yet: it waits for a CPU"
                     : "the task exists and has already started on a CPU");
}

static void walk_life(struct walk *walk)
{
    double cpu;
    bool running = poll_running(walk, &cpu);
    observe(walk, "Running", running ? 'R' : task_state(walk->tid), cpu, running,
            "spinning in run(): its CPU time grows");

    atomic_store_explicit(&walk->command, COMMAND_SLEEP, memory_order_release);
    wait_for_phase(walk, PHASE_SLEEPING);
    char letter = poll_for(walk, 'S', PHASE_SLEEPING);
    observe(walk, "Not Running (sleeping)", letter, cpu_ms(walk), letter == 'S',
            "in clock_nanosleep, off every run queue");
    atomic_store_explicit(&walk->command, COMMAND_WAKE, memory_order_release);

    wait_for_phase(walk, PHASE_LOCKING);
    letter = poll_for(walk, 'S', PHASE_LOCKING);
    observe(walk, "Not Running (waiting on a lock)", letter, cpu_ms(walk), letter == 'S',
            "blocked in the futex of a mutex the main thread holds");
    int rc = pthread_mutex_unlock(&walk->gate);
    if (rc != 0)
        fail_code("pthread_mutex_unlock", rc);

    wait_for_phase(walk, PHASE_RUNNING_AGAIN);
    running = poll_running(walk, &cpu);
    observe(walk, "Running (again)", running ? 'R' : task_state(walk->tid), cpu, running,
            "the lock was released: it runs again");
}

/* Dead: run() returned; after the join its task disappears from /proc. */
static void walk_death(struct walk *walk)
{
    atomic_store_explicit(&walk->command, COMMAND_FINISH, memory_order_release);
    int rc = pthread_join(walk->thread, NULL);
    if (rc != 0)
        fail_code("pthread_join", rc);
    double start = clock_now();
    char letter;
    while ((letter = task_state(walk->tid)) != '-' && clock_since(start) < OBSERVE_LIMIT_S)
        clock_sleep(POLL_S);
    observe(walk, "Dead", letter, -1, letter == '-',
            "run() returned and the thread was joined: its task is gone from /proc");
}

/* ---- the program ---------------------------------------------------------- */

enum mode { MODE_WALK };
static const char *const mode_names[] = {"walk", NULL};
static const struct cli_variant variants[] = {{"walk", MODE_WALK, NULL}};

struct settings {
    int mode;
    long long sleep_ms;
    struct cli_common common;
};

static struct settings parse_settings(int argc, char **argv)
{
    struct settings settings = {.mode = MODE_WALK};
    const struct cli_option options[] = {
        {.name = "sleep-ms", .kind = CLI_INT, .min = 1, .max = 10000,
         .integer = &settings.sleep_ms, .by_size = CLI_BY_SIZE(20, 100, 100),
         .help = "how long the thread sleeps in Not Running"},
    };
    const struct cli_program program = {
        .name = "lifecycle",
        .summary = "Walk one thread through New, Runnable, Running, Not Running and Dead, "
                   "and show what the kernel says at each step (the note on “Learning Concurrency in Python”).",
        .epilogue = "The kernel's letters (proc(5)): R running or runnable, S sleeping, "
                    "D uninterruptible, Z zombie; '-' here means no task.",
        .modes = mode_names,
        .mode_help = "walk: one thread through every state",
        .mode = &settings.mode,
        CLI_OPTIONS(options),
        CLI_VARIANTS(variants),
    };
    cli_parse_or_exit(&program, argc, argv, &settings.common);
    return settings;
}

int main(int argc, char **argv)
{
    struct settings settings = parse_settings(argc, argv);
    struct walk walk = {.sleep_s = (double)settings.sleep_ms / 1e3};
    atomic_init(&walk.phase, PHASE_BORN);
    atomic_init(&walk.command, COMMAND_SPIN);
    atomic_init(&walk.own_tid, 0);
    int rc = pthread_mutex_init(&walk.gate, NULL);
    if (rc != 0)
        fail_code("pthread_mutex_init", rc);
    walk.report = report_new("lifecycle", "walk");
    walk.states = cJSON_CreateArray();
    if (walk.states == NULL)
        fail_wrong("out of memory");
    report_param_text(walk.report, "mode", "walk");
    report_param_text(walk.report, "size", cli_size_name(settings.common.size));
    report_param_int(walk.report, "sleep_ms", settings.sleep_ms);

    cpu_set_t one_cpu;
    bool pinned = pin_main_thread(&one_cpu);
    report_param_bool(walk.report, "pinned", pinned);
    rc = pthread_mutex_lock(&walk.gate); /* the lock the worker will wait on */
    if (rc != 0)
        fail_code("pthread_mutex_lock", rc);
    walk.start = clock_now();
    walk_birth(&walk, pinned, &one_cpu);
    walk_life(&walk);
    walk_death(&walk);
    report_elapsed(walk.report, clock_since(walk.start));
    pthread_mutex_destroy(&walk.gate);
    report_data(walk.report, "states", walk.states);
    return report_finish(walk.report, settings.common.json, stdout);
}
