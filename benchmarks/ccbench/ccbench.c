/* ccbench — how quickly does an I/O thread answer, and how much can it
 * serve, while 0, 1, 2 ... N threads compute beside it, with and without a GIL?
 *
 * CPython's own Tools/ccbench (Antoine Pitrou, written with the new GIL of
 * 3.2; removed in 3.12) measured exactly this: its "latency" test timed UDP
 * pings sent by another process to a thread of the interpreter, from the
 * send until that thread had them, and its "I/O bandwidth" test counted the
 * 1024-byte UDP packets per second that thread echoed back to a client doing
 * ping-pong; each with 0, 1, 2 ... CPU-bound threads beside it.  This is the
 * same measurement, in C, under common/gil's emulation of CPython's GIL and
 * without it, beside its Python original (ccbench.py) run by CPython.
 *
 * Variants (--mode), each a round per neighbour count 0..--neighbours:
 *   latency    a client thread (never a GIL thread: ccbench's client was a
 *              process of its own) sends a ping every --ping-interval-ms
 *              (10 ms) on loopback; the server thread receives it with the
 *              GIL released (socket.recv) and stamps it once it runs again;
 *              latency = that moment - the send time in the ping
 *   bandwidth  the client sends a 1024-byte packet and waits for its echo,
 *              for --duration-ms; the server echoes each one (recv, then
 *              sendto, both with the GIL released): packets per second
 *
 * The neighbours compute (a linear congruential step) until their round
 * ends, checking the eval breaker every GIL_CHECK_EVERY steps.  Under --gil
 * the server and the neighbours are GIL threads: a ping that arrives while a
 * neighbour holds the GIL waits for a switch interval, a drop request and
 * the neighbour's next check point (the convoy effect; docs/gil.md).
 * latency-1ms-gil and latency-20ms-gil sweep the interval.
 *
 * The answer: every ping and echo arrived, intact (a pattern derived from
 * its number) and in order, and every neighbour computed.  Loopback only;
 * every wait is bounded (a receive timeout), and the run's length is capped.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "fail.h"
#include "gil.h"
#include "report.h"
#include "stats.h"
#include "thread_team.h"

enum mode { MODE_LATENCY, MODE_BANDWIDTH };
static const char *const mode_names[] = {"latency", "bandwidth", NULL};

static const struct cli_variant variants[] = {
    {"latency", MODE_LATENCY, NULL},
    {"latency-gil", MODE_LATENCY, "--gil"},
    {"latency-1ms-gil", MODE_LATENCY, "--gil --switch-interval-ms=1"},
    {"latency-20ms-gil", MODE_LATENCY, "--gil --switch-interval-ms=20"},
    {"bandwidth", MODE_BANDWIDTH, NULL},
    {"bandwidth-gil", MODE_BANDWIDTH, "--gil"},
};

#define MAX_NEIGHBOURS 16
#define MAX_PINGS 10000
#define PING_BYTES 64
#define ECHO_BYTES 1024 /* ccbench's BANDWIDTH_PACKET_SIZE */
#define MAGIC 0x63636231u /* "ccb1" */
/* The longest run a command line may ask for, all rounds together. */
#define MAX_RUN_S 600
/* A datagram the server awaits longer than this (plus four switch
 * intervals) means the client is gone: the round fails instead of hanging. */
#define RECEIVE_TIMEOUT_S 5

/* ---- packets --------------------------------------------------------------- */

/* The head of every datagram; the rest is a pattern derived from SEQ. */
struct packet_head {
    uint32_t magic;
    uint32_t end; /* 1: the client's last word of the round */
    uint64_t seq;
    double sent_at; /* clock_now() of the client, when it sent it */
};

static unsigned char pattern_byte(uint64_t seq, size_t i)
{
    return (unsigned char)((seq * 131u + i * 7u) & 0xffu);
}

static void fill_packet(unsigned char *buf, size_t size, uint64_t seq, bool end)
{
    struct packet_head head = {MAGIC, end ? 1u : 0u, seq, clock_now()};
    memcpy(buf, &head, sizeof head);
    for (size_t i = sizeof head; i < size; i++)
        buf[i] = pattern_byte(seq, i);
}

/* True when BUF (GOT bytes) is a whole packet of SIZE bytes; its head in *HEAD. */
static bool packet_intact(const unsigned char *buf, ssize_t got, size_t size,
                          struct packet_head *head)
{
    if (got != (ssize_t)size)
        return false;
    memcpy(head, buf, sizeof *head);
    if (head->magic != MAGIC)
        return false;
    for (size_t i = sizeof *head; i < size; i++)
        if (buf[i] != pattern_byte(head->seq, i))
            return false;
    return true;
}

/* ---- one round ------------------------------------------------------------- */

struct round {
    enum mode mode;
    int server_fd, client_fd;
    size_t pings;        /* latency: pings to send */
    double interval_s;   /* latency: between two pings */
    double duration_s;   /* bandwidth: how long the client keeps going */
    double timeout_s;    /* the longest wait for a datagram */
    atomic_bool stop;    /* the neighbours' end */
    atomic_int running;  /* neighbours that have started computing */
    /* the server's account (written by the server thread only) */
    double *latency_ms;  /* latency: one per ping */
    size_t received, damaged, out_of_order;
    double first_at, last_at; /* bandwidth: first and last echo */
    int server_error;    /* errno of a failed call, or ETIMEDOUT */
    const char *server_call;
    /* the client's account (the main thread's) */
    size_t sent, echoes_bad;
    int client_error;
    const char *client_call;
};

struct neighbour {
    struct round *round;
    unsigned long long iterations;
    uint64_t sink;
};

/* The neighbour: computes until its round ends, checking the eval breaker
 * every GIL_CHECK_EVERY steps. */
static void *neighbour_main(void *arg)
{
    struct neighbour *neighbour = arg;
    gil_thread_begin();
    atomic_fetch_add_explicit(&neighbour->round->running, 1, memory_order_release);
    uint64_t x = neighbour->sink;
    while (!atomic_load_explicit(&neighbour->round->stop, memory_order_acquire)) {
        for (int i = 0; i < GIL_CHECK_EVERY; i++)
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        neighbour->iterations += GIL_CHECK_EVERY;
        gil_checkpoint();
    }
    neighbour->sink = x;
    gil_thread_end();
    return NULL;
}

/* socket.recvfrom: with the GIL released, as CPython's sock_recvfrom. */
static ssize_t receive(int fd, unsigned char *buf, size_t size, struct sockaddr_in *from)
{
    ssize_t got;
    do {
        socklen_t length = sizeof *from;
        GIL_RELEASED(got = recvfrom(fd, buf, size, 0, (struct sockaddr *)from, &length));
    } while (got < 0 && errno == EINTR);
    return got;
}

static void server_failed(struct round *round, const char *call)
{
    round->server_error = errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno;
    round->server_call = call;
}

/* The server's datagram: intact, in order; false at the client's end word. */
static bool take_datagram(struct round *round, const unsigned char *buf, ssize_t got,
                          size_t size, double now)
{
    struct packet_head head;
    if (!packet_intact(buf, got, size, &head)) {
        round->damaged++;
        return true;
    }
    if (head.end)
        return false;
    round->out_of_order += head.seq != round->received;
    if (round->mode == MODE_LATENCY && round->received < round->pings)
        round->latency_ms[round->received] = (now - head.sent_at) * 1e3;
    if (round->received == 0)
        round->first_at = now;
    round->last_at = now;
    round->received++;
    return true;
}

/* The I/O thread, a GIL thread: receive (and echo) until the end word. */
static void *server_main(void *arg)
{
    struct round *round = arg;
    size_t size = round->mode == MODE_LATENCY ? PING_BYTES : ECHO_BYTES;
    unsigned char buf[ECHO_BYTES + 1];
    gil_thread_begin();
    for (;;) {
        struct sockaddr_in from;
        ssize_t got = receive(round->server_fd, buf, sizeof buf, &from);
        if (got < 0) {
            server_failed(round, "recvfrom");
            break;
        }
        double now = clock_now(); /* the thread runs again: under --gil it holds the GIL */
        if (!take_datagram(round, buf, got, size, now))
            break;
        if (round->mode != MODE_BANDWIDTH)
            continue;
        ssize_t put;
        GIL_RELEASED(put = sendto(round->server_fd, buf, (size_t)got, 0,
                                  (const struct sockaddr *)&from, sizeof from));
        if (put < 0) {
            server_failed(round, "sendto");
            break;
        }
    }
    gil_thread_end();
    return NULL;
}

static bool client_send(struct round *round, unsigned char *buf, size_t size, uint64_t seq,
                        bool end)
{
    fill_packet(buf, size, seq, end);
    if (send(round->client_fd, buf, size, 0) == (ssize_t)size)
        return true;
    round->client_error = errno;
    round->client_call = "send";
    return false;
}

/* The client's pings: one every interval, on an absolute schedule. */
static void run_pinger(struct round *round)
{
    unsigned char buf[PING_BYTES];
    double start = clock_now();
    for (size_t k = 0; k < round->pings; k++) {
        double due = start + (double)k * round->interval_s, now = clock_now();
        if (due > now)
            clock_sleep(due - now);
        if (!client_send(round, buf, sizeof buf, k, false))
            return;
        round->sent++;
    }
}

/* Waits for the echo of SEQ; false (and the error noted) if none came. */
static bool await_echo(struct round *round, unsigned char *buf, uint64_t seq)
{
    struct pollfd readable = {.fd = round->client_fd, .events = POLLIN};
    int ready;
    do
        ready = poll(&readable, 1, (int)(round->timeout_s * 1e3));
    while (ready < 0 && errno == EINTR);
    if (ready <= 0) {
        round->client_error = ready == 0 ? ETIMEDOUT : errno;
        round->client_call = "poll";
        return false;
    }
    ssize_t got = recv(round->client_fd, buf, ECHO_BYTES + 1, 0);
    struct packet_head head;
    if (got < 0) {
        round->client_error = errno;
        round->client_call = "recv";
        return false;
    }
    round->echoes_bad += !packet_intact(buf, got, ECHO_BYTES, &head) || head.seq != seq;
    return true;
}

/* The client's ping-pong: a packet, its echo, the next, for the duration. */
static void run_echo_client(struct round *round)
{
    unsigned char out[ECHO_BYTES], in[ECHO_BYTES + 1];
    double end = clock_now() + round->duration_s;
    for (uint64_t seq = 0; clock_now() < end; seq++) {
        if (!client_send(round, out, sizeof out, seq, false))
            return;
        round->sent++;
        if (!await_echo(round, in, seq))
            return;
    }
}

static void run_client(struct round *round)
{
    if (round->mode == MODE_LATENCY)
        run_pinger(round);
    else
        run_echo_client(round);
    unsigned char buf[ECHO_BYTES];
    size_t size = round->mode == MODE_LATENCY ? PING_BYTES : ECHO_BYTES;
    /* The end word goes even after a failure: the server must stop. */
    if (!client_send(round, buf, size, round->sent, true) && round->client_error == 0)
        round->client_error = errno;
}

/* ---- sockets ----------------------------------------------------------------- */

static struct sockaddr_in loopback_any(void)
{
    return (struct sockaddr_in){.sin_family = AF_INET, .sin_port = 0,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
}

/* A UDP socket bound to a free loopback port; its address in *ADDRESS. */
static int bound_socket(struct sockaddr_in *address)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        fail_sys("socket");
    *address = loopback_any();
    socklen_t length = sizeof *address;
    if (bind(fd, (const struct sockaddr *)address, sizeof *address) != 0 ||
        getsockname(fd, (struct sockaddr *)address, &length) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        fail_sys("bind");
    }
    return fd;
}

/* The server's socket, with a receive timeout, and the client's, connected to it. */
static void open_sockets(struct round *round)
{
    struct sockaddr_in server, client;
    round->server_fd = bound_socket(&server);
    round->client_fd = bound_socket(&client);
    struct timeval timeout = {.tv_sec = (time_t)round->timeout_s,
                              .tv_usec = (suseconds_t)((round->timeout_s - (double)(time_t)round->timeout_s) * 1e6)};
    if (setsockopt(round->server_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0)
        fail_sys("setsockopt");
    if (connect(round->client_fd, (const struct sockaddr *)&server, sizeof server) != 0)
        fail_sys("connect");
}

static void close_sockets(struct round *round)
{
    if (close(round->server_fd) != 0 || close(round->client_fd) != 0)
        fail_sys("close");
}

/* ---- the rounds -------------------------------------------------------------- */

struct settings {
    int mode;
    long long neighbours, pings, ping_interval_ms, duration_ms;
    struct gil_options gil;
    struct cli_common common;
};

/* What one round with N neighbours found. */
struct outcome {
    size_t neighbours;
    struct round round;
    unsigned long long min_iterations; /* of the neighbour that computed least */
};

static void join_thread(pthread_t thread)
{
    int rc = pthread_join(thread, NULL);
    if (rc != 0)
        fail_code("pthread_join", rc);
}

/* Ends a round whose threads could not all start: the neighbours stop, the
 * server gets its end word; all joined, then the program fails. */
static void abandon_round(struct round *round, pthread_t *threads, size_t started, int error)
{
    atomic_store_explicit(&round->stop, true, memory_order_release);
    if (started > 0) {
        unsigned char buf[ECHO_BYTES];
        client_send(round, buf, round->mode == MODE_LATENCY ? PING_BYTES : ECHO_BYTES, 0, true);
    }
    for (size_t k = 0; k < started; k++)
        join_thread(threads[k]);
    close_sockets(round);
    fail_code("pthread_create", error);
}

/* Waits (bounded) until every neighbour computes, so that the client's
 * first ping meets them busy. */
static void await_neighbours(struct round *round, size_t n)
{
    double deadline = clock_now() + RECEIVE_TIMEOUT_S;
    while ((size_t)atomic_load_explicit(&round->running, memory_order_acquire) < n &&
           clock_now() < deadline)
        clock_sleep(0.0005);
}

static void run_round(struct outcome *outcome, struct neighbour *neighbours, pthread_t *threads)
{
    struct round *round = &outcome->round;
    size_t n = outcome->neighbours;
    open_sockets(round);
    /* threads[0] is the server, threads[1..n] the neighbours */
    int error = thread_team_create(&threads[0], server_main, round);
    size_t started = error == 0;
    for (size_t k = 0; error == 0 && k < n; k++) {
        neighbours[k] = (struct neighbour){.round = round, .sink = k + 1};
        error = thread_team_create(&threads[k + 1], neighbour_main, &neighbours[k]);
        started += error == 0;
    }
    if (error != 0)
        abandon_round(round, threads, started, error);
    await_neighbours(round, n);
    run_client(round);
    join_thread(threads[0]); /* the server ends at the client's end word */
    atomic_store_explicit(&round->stop, true, memory_order_release);
    outcome->min_iterations = n > 0 ? ~0ULL : 0;
    for (size_t k = 0; k < n; k++) {
        join_thread(threads[k + 1]);
        if (neighbours[k].iterations < outcome->min_iterations)
            outcome->min_iterations = neighbours[k].iterations;
    }
    close_sockets(round);
}

/* ---- report ------------------------------------------------------------------ */

static void report_round(struct report *report, const struct outcome *outcome, cJSON *rounds)
{
    const struct round *round = &outcome->round;
    char name[64];
    cJSON *item = cJSON_CreateObject();
    if (item == NULL)
        fail_wrong("out of memory for the report");
    cJSON_AddNumberToObject(item, "neighbours", (double)outcome->neighbours);
    cJSON_AddNumberToObject(item, "received", (double)round->received);
    cJSON_AddNumberToObject(item, "neighbour_min_iterations", (double)outcome->min_iterations);
    if (round->mode == MODE_LATENCY && round->received > 0) {
        static const struct { const char *name; double p; } points[] = {
            {"p50", 50}, {"p90", 90}, {"p99", 99}, {"max", 100}};
        for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
            double value = stats_percentile(round->latency_ms, round->received, points[i].p);
            snprintf(name, sizeof name, "latency_%s_ms_n%zu", points[i].name, outcome->neighbours);
            report_metric(report, name, value, "ms");
            cJSON_AddNumberToObject(item, points[i].name, value);
        }
    } else if (round->mode == MODE_BANDWIDTH && round->received > 1) {
        double rate = (double)(round->received - 1) / (round->last_at - round->first_at);
        snprintf(name, sizeof name, "packets_per_s_n%zu", outcome->neighbours);
        report_metric(report, name, rate, "packets/s");
        cJSON_AddNumberToObject(item, "packets_per_s", rate);
    }
    cJSON_AddItemToArray(rounds, item);
}

static void check_round(struct report *report, const struct outcome *outcome)
{
    const struct round *round = &outcome->round;
    char name[64];
    size_t n = outcome->neighbours;
    snprintf(name, sizeof name, "all_arrived_n%zu", n);
    if (round->client_error != 0 || round->server_error != 0)
        report_check(report, name, false, "with %zu neighbour(s): %s: %s", n,
                     round->client_error ? round->client_call : round->server_call,
                     strerror(round->client_error ? round->client_error : round->server_error));
    else
        report_check(report, name, round->received == round->sent && round->sent > 0,
                     "with %zu neighbour(s): %zu of %zu %s arrived", n, round->received,
                     round->sent, round->mode == MODE_LATENCY ? "pings" : "packets");
    snprintf(name, sizeof name, "intact_in_order_n%zu", n);
    report_check(report, name,
                 round->damaged == 0 && round->out_of_order == 0 && round->echoes_bad == 0,
                 "with %zu neighbour(s): %zu damaged, %zu out of order, %zu bad echoes", n,
                 round->damaged, round->out_of_order, round->echoes_bad);
    if (n > 0) {
        snprintf(name, sizeof name, "neighbours_computed_n%zu", n);
        report_check(report, name, outcome->min_iterations > 0,
                     "with %zu neighbour(s): the least busy one did %llu iterations", n,
                     outcome->min_iterations);
    }
}

static void explain(struct report *report, const struct settings *settings,
                    const struct outcome *outcomes, size_t n_outcomes)
{
    if (settings->mode == MODE_LATENCY && n_outcomes > 1 && outcomes[1].round.received > 0) {
        double alone = stats_percentile(outcomes[0].round.latency_ms, outcomes[0].round.received, 50);
        double one = stats_percentile(outcomes[1].round.latency_ms, outcomes[1].round.received, 50);
        report_note(report, "a ping took %.3f ms (p50) with nobody computing, %.3f ms beside one "
                            "computing thread%s",
                    alone, one,
                    settings->gil.enabled ? ": it waited for the GIL, about a switch interval"
                                          : "");
    }
}

static void report_run(struct report *report, const struct settings *settings,
                       struct outcome *outcomes, size_t n_outcomes, double elapsed)
{
    report_param_text(report, "mode", mode_names[settings->mode]);
    report_param_text(report, "size", cli_size_name(settings->common.size));
    report_param_int(report, "neighbours", settings->neighbours);
    if (settings->mode == MODE_LATENCY) {
        report_param_int(report, "pings", settings->pings);
        report_param_int(report, "ping_interval_ms", settings->ping_interval_ms);
    } else {
        report_param_int(report, "duration_ms", settings->duration_ms);
        report_param_int(report, "packet_bytes", ECHO_BYTES);
    }
    report_elapsed(report, elapsed);
    cJSON *rounds = cJSON_CreateArray();
    if (rounds == NULL)
        fail_wrong("out of memory for the report");
    for (size_t k = 0; k < n_outcomes; k++) {
        report_round(report, &outcomes[k], rounds);
        check_round(report, &outcomes[k]);
    }
    report_data(report, "rounds", rounds);
    explain(report, settings, outcomes, n_outcomes);
}

/* ---- the program ------------------------------------------------------------- */

/* A usage error (exit 2) when the rounds would take longer than MAX_RUN_S. */
static void check_run_length(const struct settings *settings)
{
    double per_round_s = settings->mode == MODE_LATENCY
                             ? (double)settings->pings * (double)settings->ping_interval_ms / 1e3
                             : (double)settings->duration_ms / 1e3;
    if (per_round_s * (double)(settings->neighbours + 1) > MAX_RUN_S)
        fail_usage("%lld rounds of %.1f s each is more than %d s", settings->neighbours + 1,
                   per_round_s, MAX_RUN_S);
}

static struct settings parse_settings(int argc, char **argv)
{
    struct settings settings = {.ping_interval_ms = 10, .gil = GIL_OPTIONS_DEFAULT};
    const struct cli_option options[] = {
        {.name = "neighbours", .kind = CLI_INT, .min = 0, .max = MAX_NEIGHBOURS,
         .integer = &settings.neighbours, .by_size = CLI_BY_SIZE(1, 2, 4),
         .help = "rounds with 0, 1 ... N computing threads"},
        {.name = "pings", .kind = CLI_INT, .min = 1, .max = MAX_PINGS, .integer = &settings.pings,
         .by_size = CLI_BY_SIZE(10, 100, 300), .modes = CLI_MODE(MODE_LATENCY),
         .help = "pings per round"},
        {.name = "ping-interval-ms", .kind = CLI_INT, .min = 1, .max = 1000,
         .integer = &settings.ping_interval_ms, .modes = CLI_MODE(MODE_LATENCY),
         .help = "milliseconds from one ping to the next"},
        {.name = "duration-ms", .kind = CLI_INT, .min = 10, .max = 60000,
         .integer = &settings.duration_ms, .by_size = CLI_BY_SIZE(100, 500, 2000),
         .modes = CLI_MODE(MODE_BANDWIDTH),
         .help = "how long each round's client keeps sending"},
        GIL_CLI_OPTIONS(&settings.gil),
    };
    const struct cli_program program = {
        .name = "ccbench",
        .summary = "Time UDP pings to an I/O thread, and count the packets it echoes, beside "
                   "0..N computing threads, with and without an emulated GIL (CPython's "
                   "Tools/ccbench).",
        .epilogue = "Loopback only.  Latency runs from the client's send until the I/O thread "
                    "runs again with the ping (under --gil: holds the GIL).\n"
                    "Every ping and echo must arrive intact and in order, else the answer is "
                    "wrong (exit 1).",
        .modes = mode_names,
        .mode_help = "latency: a ping every --ping-interval-ms; bandwidth: ping-pong of 1024-byte "
                     "packets",
        .mode = &settings.mode,
        CLI_OPTIONS(options),
        CLI_VARIANTS(variants),
    };
    cli_parse_or_exit(&program, argc, argv, &settings.common);
    check_run_length(&settings);
    return settings;
}

/* The variant's name: the mode, the interval when it is not the default, -gil. */
static const char *variant_name(const struct settings *settings, char *name, size_t size)
{
    char base[48];
    if (settings->gil.enabled && settings->gil.switch_interval_ms != GIL_DEFAULT_INTERVAL_MS)
        snprintf(base, sizeof base, "%s-%lldms", mode_names[settings->mode],
                 settings->gil.switch_interval_ms);
    else
        snprintf(base, sizeof base, "%s", mode_names[settings->mode]);
    return gil_variant_name(&settings->gil, base, name, size);
}

int main(int argc, char **argv)
{
    struct settings settings = parse_settings(argc, argv);
    size_t n_outcomes = (size_t)settings.neighbours + 1, pings = (size_t)settings.pings;
    struct outcome *outcomes = calloc(n_outcomes, sizeof *outcomes);
    struct neighbour *neighbours = calloc((size_t)settings.neighbours + 1, sizeof *neighbours);
    pthread_t *threads = calloc((size_t)settings.neighbours + 1, sizeof *threads);
    double *latencies = calloc(n_outcomes * pings, sizeof *latencies);
    if (outcomes == NULL || neighbours == NULL || threads == NULL || latencies == NULL)
        fail_wrong("out of memory for %zu rounds", n_outcomes);
    double interval_s = (double)settings.gil.switch_interval_ms / 1e3;

    gil_init(&settings.gil);
    double start = clock_now();
    for (size_t k = 0; k < n_outcomes; k++) {
        outcomes[k] = (struct outcome){
            .neighbours = k,
            .round = {.mode = (enum mode)settings.mode, .pings = pings,
                      .interval_s = (double)settings.ping_interval_ms / 1e3,
                      .duration_s = (double)settings.duration_ms / 1e3,
                      .timeout_s = RECEIVE_TIMEOUT_S + 4 * interval_s,
                      .latency_ms = latencies + k * pings}};
        run_round(&outcomes[k], neighbours, threads);
    }
    double elapsed = clock_since(start);

    char variant[64];
    struct report *report = report_new("ccbench", variant_name(&settings, variant, sizeof variant));
    report_run(report, &settings, outcomes, n_outcomes, elapsed);
    gil_report(report);
    gil_shutdown();
    free(latencies);
    free(threads);
    free(neighbours);
    free(outcomes);
    return report_finish(report, settings.common.json, stdout);
}
