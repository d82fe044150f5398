/* slow_syscall — do threads help when the work is waiting?
 *
 * Effective Python (2nd ed.), item 53 ("Use threads for blocking I/O, avoid
 * for parallelism"), as the study note in seed 002 runs it: five calls of
 * select() that each wait 0.1 s on a socket that never becomes readable,
 * first one after the other (the note: 0.518 s), then one thread per call
 * (0.109 s).  A thread blocked in a system call uses no CPU, and CPython
 * releases its GIL around the call, so the five waits overlap.
 *
 * Each call must really wait.  On Linux, select() on a fresh, unconnected TCP
 * socket (the book's socket.socket()) returns at once: the socket reports
 * hang-up, which counts as readable.  So the calls wait on a descriptor that
 * stays unreadable (an unbound UDP socket by default, or the read end of an
 * empty pipe whose write end is kept open), and the program checks that every
 * wait lasted at least the timeout.  --descriptor=tcp shows the pitfall: the
 * check fails and the program exits with 1.
 *
 * Variants (--mode):
 *   seq       the calls one after the other: about calls x timeout
 *   threads   one thread per call, as the book does: about one timeout
 *   poll-one  no threads: a small event loop waits on all descriptors in one
 *             poll() call, the answer asyncio's selector loop gives
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "fail.h"
#include "gil.h"
#include "report.h"
#include "thread_team.h"

enum mode { MODE_SEQ, MODE_THREADS, MODE_POLL_ONE };
static const char *const mode_names[] = {"seq", "threads", "poll-one", NULL};

enum descriptor_kind { DESCRIPTOR_UDP, DESCRIPTOR_PIPE, DESCRIPTOR_TCP };
static const char *const descriptor_names[] = {"udp", "pipe", "tcp", NULL};

/* The most calls: one descriptor and, in threads, one thread each. */
#define MAX_CALLS 256
#define MAX_TIMEOUT_MS 10000
/* Waits listed one by one in the human report; the JSON has all of them. */
#define WAITS_SHOWN 16

/* ---- descriptors that stay unreadable ------------------------------------ */

/* FD is what select/poll watch; KEEP is a second descriptor that must stay
 * open meanwhile (a pipe's write end: closing it would make the read end
 * readable, at end of file), or -1. */
struct waitable {
    int fd, keep;
};

static struct waitable open_waitable(enum descriptor_kind kind)
{
    struct waitable waitable = {.fd = -1, .keep = -1};
    if (kind == DESCRIPTOR_PIPE) {
        int ends[2];
        if (pipe(ends) != 0)
            fail_sys("pipe");
        return (struct waitable){.fd = ends[0], .keep = ends[1]};
    }
    waitable.fd = socket(AF_INET, kind == DESCRIPTOR_TCP ? SOCK_STREAM : SOCK_DGRAM, 0);
    if (waitable.fd < 0)
        fail_sys("socket");
    return waitable;
}

static void close_waitable(struct waitable *waitable)
{
    if (close(waitable->fd) != 0)
        fail_sys("close");
    if (waitable->keep >= 0 && close(waitable->keep) != 0)
        fail_sys("close");
    *waitable = (struct waitable){.fd = -1, .keep = -1};
}

/* ---- one slow system call ------------------------------------------------ */

/* One call of the experiment: its descriptor, and what the wait was. */
struct call {
    struct waitable waitable;
    double timeout_s;
    double wait_s;     /* measured around the whole call */
    bool became_ready; /* the descriptor was readable: the call did not wait */
};

static struct timeval timeval_rounded_up(double seconds)
{
    double whole = floor(seconds);
    long micros = (long)ceil((seconds - whole) * 1e6);
    if (micros >= 1000000)
        return (struct timeval){.tv_sec = (time_t)whole + 1, .tv_usec = 0};
    return (struct timeval){.tv_sec = (time_t)whole, .tv_usec = micros};
}

/* Blocks in select() until FD is readable or TIMEOUT_S has passed; true when
 * FD became readable.  A signal restarts the wait with the time that is left,
 * so the whole timeout passes. */
static bool select_until_readable(int fd, double timeout_s)
{
    if (fd >= FD_SETSIZE)
        fail_wrong("descriptor %d is beyond select()'s limit of %d", fd, FD_SETSIZE);
    double deadline = clock_now() + timeout_s;
    for (;;) {
        double left = deadline - clock_now();
        if (left <= 0)
            return false;
        fd_set readable;
        FD_ZERO(&readable);
        FD_SET(fd, &readable);
        struct timeval timeout = timeval_rounded_up(left);
        int ready;
        /* CPython's select.select waits with the GIL released. */
        GIL_RELEASED(ready = select(fd + 1, &readable, NULL, NULL, &timeout));
        if (ready > 0)
            return true;
        if (ready == 0)
            return false;
        if (errno != EINTR)
            fail_sys("select");
    }
}

/* The book's slow_systemcall(): one select() with a timeout, timed.  This is
 * all a thread of the threads variant does. */
static void slow_systemcall(void *arg)
{
    struct call *call = arg;
    double start = clock_now();
    call->became_ready = select_until_readable(call->waitable.fd, call->timeout_s);
    call->wait_s = clock_since(start);
}

/* ---- the three variants --------------------------------------------------- */

static void run_seq(struct call *calls, size_t n_calls)
{
    for (size_t i = 0; i < n_calls; i++)
        slow_systemcall(&calls[i]);
}

static void run_threads(struct call *calls, size_t n_calls)
{
    thread_team_run(n_calls, slow_systemcall, calls, sizeof *calls);
}

/* Milliseconds for poll() that cover SECONDS, rounded up so that poll never
 * returns before the deadline it was computed from. */
static int poll_ms_rounded_up(double seconds)
{
    return seconds <= 0 ? 0 : (int)ceil(seconds * 1e3);
}

/* Ends call I of the event loop at NOW: it leaves the set that poll watches
 * (the last pending entry takes its place). */
static void finish_call(struct call *calls, struct pollfd *watched, size_t *index_of,
                        size_t *pending, size_t slot, double started, bool ready)
{
    struct call *call = &calls[index_of[slot]];
    call->wait_s = clock_since(started);
    call->became_ready = ready;
    (*pending)--;
    watched[slot] = watched[*pending];
    index_of[slot] = index_of[*pending];
}

/* The event loop's answer: every call is a pending wait with a deadline; one
 * poll() waits on all pending descriptors until the earliest deadline, then
 * every call that is past its deadline, or whose descriptor became readable,
 * is done.  All calls start together, so one poll() usually ends them all. */
static void run_poll_one(struct call *calls, size_t n_calls)
{
    struct pollfd watched[MAX_CALLS];
    size_t index_of[MAX_CALLS];
    for (size_t i = 0; i < n_calls; i++) {
        watched[i] = (struct pollfd){.fd = calls[i].waitable.fd, .events = POLLIN};
        index_of[i] = i;
    }
    size_t pending = n_calls;
    double started = clock_now();
    while (pending > 0) {
        double earliest = started + calls[index_of[0]].timeout_s;
        for (size_t slot = 1; slot < pending; slot++)
            earliest = fmin(earliest, started + calls[index_of[slot]].timeout_s);
        int ready;
        GIL_RELEASED(ready = poll(watched, (nfds_t)pending,
                                  poll_ms_rounded_up(earliest - clock_now())));
        if (ready < 0 && errno != EINTR)
            fail_sys("poll");
        double now = clock_now();
        for (size_t slot = pending; slot-- > 0;) {
            bool readable = ready > 0 && watched[slot].revents != 0;
            bool expired = now >= started + calls[index_of[slot]].timeout_s;
            if (readable || expired)
                finish_call(calls, watched, index_of, &pending, slot, started, readable);
        }
    }
}

/* ---- the program ---------------------------------------------------------- */

static const struct cli_variant variants[] = {
    {"seq", MODE_SEQ, NULL},
    {"threads", MODE_THREADS, NULL},
    {"poll-one", MODE_POLL_ONE, NULL},
    {"threads-gil", MODE_THREADS, "--gil"},
};

struct settings {
    int mode, descriptor;
    long long calls, timeout_ms;
    struct gil_options gil;
    struct cli_common common;
};

static struct settings parse_settings(int argc, char **argv)
{
    struct settings settings = {.descriptor = DESCRIPTOR_UDP, .gil = GIL_OPTIONS_DEFAULT};
    const struct cli_option options[] = {
        {.name = "calls", .kind = CLI_INT, .min = 1, .max = MAX_CALLS, .integer = &settings.calls,
         .by_size = CLI_BY_SIZE(5, 5, 50), .help = "number of slow calls"},
        {.name = "timeout-ms", .kind = CLI_INT, .min = 1, .max = MAX_TIMEOUT_MS,
         .integer = &settings.timeout_ms, .by_size = CLI_BY_SIZE(10, 100, 100),
         .help = "how long each call waits"},
        {.name = "descriptor", .kind = CLI_CHOICE, .choices = descriptor_names,
         .choice = &settings.descriptor,
         .help = "what each call waits on: udp, pipe, or tcp (the book's fresh "
                 "TCP socket: on Linux it does not wait, and the check fails)"},
        GIL_CLI_OPTIONS(&settings.gil),
    };
    const struct cli_program program = {
        .name = "slow_syscall",
        .summary = "Make slow select() calls one after the other, in one thread each, or in one "
                   "poll() for all (Effective Python item 53).",
        .positional = NULL,
        .epilogue = "Book size: 5 calls of 100 ms; the note measured 0.518 s sequentially and "
                    "0.109 s with threads.\n"
                    "Every call must wait at least the timeout, else the answer is wrong "
                    "(exit 1).\n"
                    "--gil: the calls wait with the emulated GIL released, as CPython's do, so "
                    "threads-gil still overlaps them.",
        .modes = mode_names,
        .mode_help = "how the calls are made",
        .mode = &settings.mode,
        CLI_OPTIONS(options),
        CLI_VARIANTS(variants),
    };
    cli_parse_or_exit(&program, argc, argv, &settings.common);
    return settings;
}

/* What the run would take if the calls cost nothing but their waits. */
static double ideal_seconds(const struct settings *settings)
{
    double timeout_s = (double)settings->timeout_ms / 1e3;
    return settings->mode == MODE_SEQ ? (double)settings->calls * timeout_s : timeout_s;
}

static void describe(struct report *report, const struct settings *settings, double elapsed)
{
    report_param_text(report, "mode", mode_names[settings->mode]);
    report_param_text(report, "size", cli_size_name(settings->common.size));
    report_param_int(report, "calls", settings->calls);
    report_param_int(report, "timeout_ms", settings->timeout_ms);
    report_param_text(report, "descriptor", descriptor_names[settings->descriptor]);
    report_elapsed(report, elapsed);
    double ideal = ideal_seconds(settings);
    report_metric(report, "ideal_s", ideal, "s");
    report_metric(report, "overhead_s", elapsed - ideal, "s");
    if (settings->mode == MODE_SEQ)
        report_note(report, "one call after the other: the waits add up to calls x timeout "
                            "= %.3f s", ideal);
    else if (elapsed >= ideal)
        report_note(report, "%s: the waits overlap, so the ideal is one timeout, %.3f s; "
                            "the rest, %.2f ms, is the cost of %s",
                    mode_names[settings->mode], ideal, (elapsed - ideal) * 1e3,
                    settings->mode == MODE_THREADS ? "starting and joining the threads"
                                                   : "the event loop");
}

/* Per-call waits: a metric for the spread, all of them as JSON data, the
 * first few in a note for the reader. */
static void report_waits(struct report *report, const struct call *calls, size_t n_calls,
                         double elapsed)
{
    double shortest = calls[0].wait_s, longest = calls[0].wait_s, sum = 0;
    cJSON *waits = cJSON_CreateArray();
    char shown[WAITS_SHOWN * 12 + 1] = "";
    size_t used = 0;
    for (size_t i = 0; i < n_calls; i++) {
        shortest = fmin(shortest, calls[i].wait_s);
        longest = fmax(longest, calls[i].wait_s);
        sum += calls[i].wait_s;
        if (waits != NULL)
            cJSON_AddItemToArray(waits, cJSON_CreateNumber(calls[i].wait_s));
        if (i < WAITS_SHOWN)
            used += (size_t)snprintf(shown + used, sizeof shown - used, "%s%.2f", i ? " " : "",
                                     calls[i].wait_s * 1e3);
    }
    report_data(report, "waits_s", waits);
    report_metric(report, "wait_shortest_s", shortest, "s");
    report_metric(report, "wait_longest_s", longest, "s");
    report_metric(report, "waits_total_s", sum, "s");
    /* How many waits were in progress at once, on average: 1 for seq. */
    report_metric(report, "overlap", elapsed > 0 ? sum / elapsed : 0, "x");
    report_note(report, "per-call waits (ms)%s: %s",
                n_calls > WAITS_SHOWN ? " of the first calls" : "", shown);
}

static void check_waits(struct report *report, const struct settings *settings,
                        const struct call *calls, size_t n_calls)
{
    size_t short_waits = 0, ready = 0;
    double shortest = calls[0].wait_s, timeout_s = (double)settings->timeout_ms / 1e3;
    for (size_t i = 0; i < n_calls; i++) {
        short_waits += calls[i].wait_s < timeout_s;
        ready += calls[i].became_ready;
        shortest = fmin(shortest, calls[i].wait_s);
    }
    report_check(report, "each_wait_at_least_timeout", short_waits == 0,
                 "%zu of %zu calls waited less than %lld ms; the shortest waited %.3f ms",
                 short_waits, n_calls, settings->timeout_ms, shortest * 1e3);
    report_check(report, "descriptors_stayed_unreadable", ready == 0,
                 "%zu of %zu descriptors (%s) became readable during the wait", ready, n_calls,
                 descriptor_names[settings->descriptor]);
    if (ready > 0)
        report_note(report, "a %s descriptor was readable at once, so the call measured nothing%s",
                    descriptor_names[settings->descriptor],
                    settings->descriptor == DESCRIPTOR_TCP
                        ? ": on Linux an unconnected TCP socket reports hang-up, which select() "
                          "and poll() count as readable"
                        : "");
}

int main(int argc, char **argv)
{
    struct settings settings = parse_settings(argc, argv);
    size_t n_calls = (size_t)settings.calls;
    struct call calls[MAX_CALLS];
    for (size_t i = 0; i < n_calls; i++)
        calls[i] = (struct call){.waitable = open_waitable(settings.descriptor),
                                 .timeout_s = (double)settings.timeout_ms / 1e3};

    gil_init(&settings.gil);
    /* seq and poll-one wait in the main thread, a Python thread too; each
     * thread of the threads variant is one of its own (thread_team). */
    bool in_main = settings.mode != MODE_THREADS;
    double start = clock_now();
    if (in_main)
        gil_thread_begin();
    if (settings.mode == MODE_SEQ)
        run_seq(calls, n_calls);
    else if (settings.mode == MODE_THREADS)
        run_threads(calls, n_calls);
    else
        run_poll_one(calls, n_calls);
    if (in_main)
        gil_thread_end();
    double elapsed = clock_since(start);

    for (size_t i = 0; i < n_calls; i++)
        close_waitable(&calls[i].waitable);
    char variant[32];
    struct report *report = report_new(
        "slow_syscall", gil_variant_name(&settings.gil, mode_names[settings.mode], variant,
                                         sizeof variant));
    describe(report, &settings, elapsed);
    report_waits(report, calls, n_calls, elapsed);
    check_waits(report, &settings, calls, n_calls);
    gil_report(report);
    gil_shutdown();
    return report_finish(report, settings.common.json, stdout);
}
