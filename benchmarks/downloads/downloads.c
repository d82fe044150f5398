/* downloads — threads or an event loop for I/O-bound work?
 *
 * Seed 001 (the study note on concurrency in Python): download two sites 80
 * times each, 160 requests, one after the other with requests.Session, then
 * with ThreadPoolExecutor(max_workers=5), then with asyncio and aiohttp.  The
 * time goes into waiting for the network, so the threads help even in
 * CPython, and an event loop that waits for all requests at once helps most
 * (Effective Python items 60-64 tell the same story).
 *
 * There is no internet here, and a remote site would make the numbers
 * meaningless anyway: the program starts its own HTTP/1.1 server
 * (latency_server.h), in a child process listening on 127.0.0.1 only, that
 * answers every request after a fixed latency (--latency-ms, default 20)
 * with a body of --bytes.  The server holds any number of connections at
 * once (epoll), so it is never the bottleneck: the clients are what is
 * measured.
 *
 * Variants (--mode), each fetching --requests URLs (default 160):
 *   seq                 one keep-alive connection, one request after another
 *   thread-pool         executor.map over --workers threads (default 5), each
 *                       with a keep-alive connection of its own
 *   event-loop          one thread, non-blocking sockets and epoll, up to
 *                       --connections at once (default 100, aiohttp's limit)
 *   thread-per-request  one thread and one connection per request
 * --gil runs the threads under common/gil, an emulation of CPython's GIL:
 * they release it while they wait on a socket, so they still overlap.
 * Every response is checked: status 200, Content-Length and length equal to
 * --bytes, CRC-32 of the body (zlib's, as Python's zlib.crc32) equal to
 * that of the item's known body.
 *
 * This file: the four clients first, then the client's side of HTTP, the
 * settings, the report.
 */
#include "downloads.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include "cli.h"
#include "clock.h"
#include "executor.h"
#include "fail.h"
#include "gil.h"
#include "report.h"

/* ---- the clients ------------------------------------------------------------ */

/* What every client needs to know; set once before any client thread starts. */
static struct {
    int port;
    double timeout_s;
} target;

static struct sockaddr_in loopback(int port)
{
    return (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
}

/* seq: one keep-alive connection, as requests.Session; a new one after a
 * failure. */
static void run_seq(size_t n, struct fetch *results)
{
    gil_thread_begin();
    int fd = -1;
    for (size_t i = 0; i < n; i++) {
        char request[160];
        size_t length = request_format(request, sizeof request, target.port, i, false);
        double started = clock_now();
        results[i].item = i;
        if (fd < 0 && (fd = connect_blocking(target.port, target.timeout_s)) < 0) {
            results[i].error = errno;
            continue;
        }
        if (!fetch_on(fd, request, length, started, &results[i])) {
            close(fd);
            fd = -1;
        }
    }
    if (fd >= 0)
        close(fd);
    gil_thread_end();
}

/* thread-pool: each pool thread's keep-alive connection, as the notes'
 * thread_local session. */
static _Thread_local int session_fd = -1;

static int download_task(const void *arg, size_t size, struct executor_output *out)
{
    struct fetch result = {0};
    if (size != sizeof result.item)
        return EINVAL;
    memcpy(&result.item, arg, sizeof result.item);
    char request[160];
    size_t length = request_format(request, sizeof request, target.port, result.item, false);
    double started = clock_now();
    if (session_fd < 0)
        session_fd = connect_blocking(target.port, target.timeout_s);
    if (session_fd < 0) {
        result.error = errno;
    } else if (!fetch_on(session_fd, request, length, started, &result)) {
        close(session_fd);
        session_fd = -1;
    }
    return executor_output_write(out, &result, sizeof result) ? 0 : ENOMEM;
}

static void pool_thread_begins(void *unused)
{
    (void)unused;
    gil_thread_begin();
}

static void pool_thread_ends(void *unused)
{
    (void)unused;
    if (session_fd >= 0)
        close(session_fd);
    session_fd = -1;
    gil_thread_end();
}

static void run_thread_pool(size_t n, size_t workers, struct fetch *results)
{
    const struct executor_options options = {pool_thread_begins, pool_thread_ends, NULL};
    uint64_t *items = calloc(n, sizeof *items);
    if (items == NULL)
        fail_wrong("out of memory for %zu items", n);
    for (size_t i = 0; i < n; i++)
        items[i] = i;
    gil_thread_begin(); /* the caller is a Python thread too */
    struct executor *pool = executor_new_threads(workers, &options);
    if (pool == NULL)
        fail_sys("executor_new_threads");
    struct executor_map_failure failure;
    enum future_outcome outcome = executor_map(pool, download_task, items, sizeof *items, n,
                                               results, sizeof *results, EXECUTOR_FOREVER,
                                               &failure);
    executor_free(pool);
    gil_thread_end();
    free(items);
    if (outcome != FUTURE_OK)
        fail_wrong("download task %zu: %s (error %d)", failure.index,
                   future_outcome_name(outcome), failure.error);
}

/* thread-per-request: a thread and a connection for each URL.  Stacks of
 * this size, not the default (ulimit -s: 8 MiB or 32 KiB alike). */
#define THREAD_STACK (256 * 1024)

static void *request_thread_main(void *arg)
{
    struct fetch *result = arg;
    char request[160];
    size_t length = request_format(request, sizeof request, target.port, result->item, true);
    gil_thread_begin();
    double started = clock_now();
    int fd = connect_blocking(target.port, target.timeout_s);
    if (fd < 0)
        result->error = errno;
    else
        fetch_on(fd, request, length, started, result);
    if (fd >= 0)
        close(fd);
    gil_thread_end();
    return NULL;
}

static void run_thread_per_request(size_t n, struct fetch *results)
{
    pthread_t *threads = calloc(n, sizeof *threads);
    pthread_attr_t attr;
    if (threads == NULL)
        fail_wrong("out of memory for %zu threads", n);
    int error = pthread_attr_init(&attr);
    if (error == 0)
        error = pthread_attr_setstacksize(&attr, THREAD_STACK);
    if (error != 0)
        fail_code("pthread_attr_setstacksize", error);
    size_t started = 0;
    gil_thread_begin(); /* the caller, a Python thread, starts them: Thread.start() */
    for (; started < n; started++) {
        results[started].item = started;
        error = gil_thread_start(&threads[started], &attr, request_thread_main,
                                 &results[started]);
        if (error != 0)
            break;
    }
    pthread_attr_destroy(&attr);
    for (size_t i = 0; i < started; i++) {
        int rc;
        GIL_RELEASED(rc = pthread_join(threads[i], NULL));
        if (rc != 0)
            fail_code("pthread_join", rc);
    }
    gil_thread_end();
    free(threads);
    if (error != 0)
        fail_code("pthread_create", error);
}

/* ---- event-loop ---------------------------------------------------------- */

/* One connection of the loop: it fetches one item at a time. */
struct loop_conn {
    int fd; /* -1: the slot is free */
    bool connecting;
    uint32_t watching;
    struct fetch *current;
    char request[160];
    size_t request_length, sent;
    struct response_parser parser;
    double started;
};

struct event_loop {
    int epoll_fd;
    struct loop_conn *conns;
    size_t n_conns;
    struct fetch *results;
    size_t n_items, next_item, finished;
};

static void loop_watch(struct event_loop *loop, struct loop_conn *c, uint32_t events)
{
    if (events == c->watching)
        return;
    struct epoll_event event = {.events = events, .data.ptr = c};
    if (epoll_ctl(loop->epoll_fd, c->watching ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &event) != 0)
        fail_sys("epoll_ctl");
    c->watching = events;
}

static void loop_open(struct event_loop *loop, struct loop_conn *c);
static void loop_send(struct event_loop *loop, struct loop_conn *c);

/* Gives C the next item, if any is left: true when it got one. */
static bool loop_take_next(struct event_loop *loop, struct loop_conn *c)
{
    if (loop->next_item == loop->n_items)
        return false;
    size_t item = loop->next_item++;
    c->current = &loop->results[item];
    c->current->item = item;
    c->request_length = request_format(c->request, sizeof c->request, target.port, item, false);
    c->sent = 0;
    parser_init(&c->parser);
    c->started = clock_now();
    return true;
}

static void loop_close(struct loop_conn *c)
{
    close(c->fd); /* leaves the epoll set with it */
    c->fd = -1;
    c->watching = 0;
}

/* The request on C failed: record why, and go on with a new connection. */
static void loop_fail(struct event_loop *loop, struct loop_conn *c, int error)
{
    c->current->error = error;
    c->current->latency_s = clock_since(c->started);
    loop->finished++;
    loop_close(c);
    if (loop_take_next(loop, c))
        loop_open(loop, c);
}

static void loop_open(struct event_loop *loop, struct loop_conn *c)
{
    int one = 1;
    struct sockaddr_in address = loopback(target.port);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        fail_sys("socket"); /* the descriptors were counted: a real failure */
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->connecting = true;
    if (connect(c->fd, (struct sockaddr *)&address, sizeof address) == 0) {
        c->connecting = false;
        loop_send(loop, c);
    } else if (errno == EINPROGRESS) {
        loop_watch(loop, c, EPOLLOUT);
    } else {
        loop_fail(loop, c, errno);
    }
}

static void loop_send(struct event_loop *loop, struct loop_conn *c)
{
    while (c->sent < c->request_length) {
        ssize_t put = send(c->fd, c->request + c->sent, c->request_length - c->sent, MSG_NOSIGNAL);
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            loop_watch(loop, c, EPOLLOUT);
            return;
        }
        if (put < 0) {
            loop_fail(loop, c, errno);
            return;
        }
        c->sent += (size_t)put;
    }
    loop_watch(loop, c, EPOLLIN);
}

/* The response is in: record it, then the next request on the same
 * connection, or close it when nothing is left. */
static void loop_done(struct event_loop *loop, struct loop_conn *c)
{
    c->current->latency_s = clock_since(c->started);
    c->current->status = c->parser.status;
    c->current->length = c->parser.body_received;
    c->current->crc = c->parser.crc;
    loop->finished++;
    if (loop_take_next(loop, c))
        loop_send(loop, c);
    else
        loop_close(c);
}

static void loop_receive(struct event_loop *loop, struct loop_conn *c)
{
    static char buf[64 * 1024]; /* one thread */
    for (;;) {
        ssize_t got = recv(c->fd, buf, sizeof buf, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (got <= 0) {
            loop_fail(loop, c, got == 0 ? ECONNRESET : errno);
            return;
        }
        enum parse_status status = parser_feed(&c->parser, buf, (size_t)got);
        if (status == PARSE_ERROR) {
            loop_fail(loop, c, EPROTO);
            return;
        }
        if (status == PARSE_DONE) {
            loop_done(loop, c);
            return;
        }
    }
}

static void loop_event(struct event_loop *loop, struct loop_conn *c)
{
    if (c->connecting) {
        int error = 0;
        socklen_t length = sizeof error;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0)
            error = errno;
        if (error != 0) {
            loop_fail(loop, c, error);
            return;
        }
        c->connecting = false;
    }
    if (c->sent < c->request_length)
        loop_send(loop, c);
    else
        loop_receive(loop, c);
}

/* Nothing moved for the whole timeout: every request still out fails. */
static void loop_give_up(struct event_loop *loop)
{
    for (size_t i = 0; i < loop->n_conns; i++) {
        struct loop_conn *c = &loop->conns[i];
        if (c->fd < 0)
            continue;
        c->current->error = ETIMEDOUT;
        loop->finished++;
        loop_close(c);
    }
    for (; loop->next_item < loop->n_items; loop->next_item++, loop->finished++) {
        struct fetch *never = &loop->results[loop->next_item];
        *never = (struct fetch){.item = loop->next_item, .error = ETIMEDOUT};
    }
}

static void run_event_loop(size_t n, size_t connections, struct fetch *results)
{
    struct event_loop loop = {.results = results, .n_items = n,
                              .n_conns = connections < n ? connections : n};
    loop.conns = calloc(loop.n_conns, sizeof *loop.conns);
    loop.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (loop.conns == NULL || loop.epoll_fd < 0)
        fail_sys("epoll_create1");
    gil_thread_begin();
    for (size_t i = 0; i < loop.n_conns; i++) {
        loop.conns[i].fd = -1;
        if (loop_take_next(&loop, &loop.conns[i]))
            loop_open(&loop, &loop.conns[i]);
    }
    struct epoll_event events[256];
    int timeout_ms = (int)(target.timeout_s * 1000);
    while (loop.finished < n) {
        int ready;
        GIL_RELEASED(ready = epoll_wait(loop.epoll_fd, events, 256, timeout_ms));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0)
            fail_sys("epoll_wait");
        if (ready == 0)
            loop_give_up(&loop);
        for (int i = 0; i < ready; i++)
            loop_event(&loop, events[i].data.ptr);
    }
    gil_thread_end();
    close(loop.epoll_fd);
    free(loop.conns);
}

/* ---- HTTP on the client side ------------------------------------------------- */

/* CRC-32 (IEEE 802.3, zlib's, as Python's zlib.crc32) of LENGTH bytes at
 * DATA, continuing from CRC (0 to start). */
static uint32_t crc_more(uint32_t crc, const char *data, size_t length)
{
    while (length > 0) {
        uInt piece = length > UINT_MAX ? UINT_MAX : (uInt)length; /* zlib's limit per call */
        crc = (uint32_t)crc32(crc, (const Bytef *)data, piece);
        data += piece;
        length -= piece;
    }
    return crc;
}

uint32_t body_crc(uint64_t item, uint64_t size)
{
    char chunk[4096];
    uint32_t crc = 0;
    for (uint64_t offset = 0; offset < size; offset += sizeof chunk) {
        size_t length = size - offset < sizeof chunk ? (size_t)(size - offset) : sizeof chunk;
        body_fill(item, offset, chunk, length);
        crc = crc_more(crc, chunk, length);
    }
    return crc;
}

void parser_init(struct response_parser *parser)
{
    memset(parser, 0, sizeof *parser);
}

/* Reads status and Content-Length from the complete head. */
static bool parse_head(struct response_parser *p)
{
    p->head[p->head_length] = '\0';
    if (strncmp(p->head, "HTTP/1.", 7) != 0 || p->head[8] != ' ')
        return false;
    char *end;
    long status = strtol(p->head + 9, &end, 10);
    if (end != p->head + 12 || status < 100 || status > 599)
        return false;
    p->status = (int)status;
    for (const char *h = p->head; (h = strstr(h, "\r\n")) != NULL && h[2] != '\r'; h += 2) {
        if (strncasecmp(h + 2, "content-length:", 15) != 0)
            continue;
        const char *digits = h + 17;
        while (*digits == ' ')
            digits++;
        if (*digits < '0' || *digits > '9')
            return false;
        p->content_length = strtoull(digits, NULL, 10);
        return true;
    }
    return false;
}

enum parse_status parser_feed(struct response_parser *p, const char *data, size_t length)
{
    size_t used = 0;
    while (!p->in_body && used < length) {
        if (p->head_length == sizeof p->head - 1)
            return PARSE_ERROR;
        p->head[p->head_length++] = data[used++];
        if (p->head_length >= 4 && memcmp(p->head + p->head_length - 4, "\r\n\r\n", 4) == 0) {
            if (!parse_head(p))
                return PARSE_ERROR;
            p->in_body = true;
        }
    }
    size_t rest = length - used;
    if (rest > p->content_length - p->body_received)
        return PARSE_ERROR; /* more than the body: nothing else was asked for */
    p->crc = crc_more(p->crc, data + used, rest);
    p->body_received += rest;
    return p->in_body && p->body_received == p->content_length ? PARSE_DONE : PARSE_MORE;
}

void fetch_judge(struct fetch *f, uint64_t body_bytes)
{
    f->right = f->error == 0 && f->status == 200 && f->length == body_bytes &&
               f->crc == body_crc(f->item, body_bytes);
}

size_t request_format(char *buf, size_t size, int port, uint64_t item, bool close)
{
    int n = snprintf(buf, size, "GET /item/%llu HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n",
                     (unsigned long long)item, port, close ? "Connection: close\r\n" : "");
    return n < 0 ? 0 : (size_t)n;
}

int connect_blocking(int port, double timeout_s)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1, rc;
    struct timeval limit = {.tv_sec = (time_t)timeout_s,
                            .tv_usec = (suseconds_t)((timeout_s - floor(timeout_s)) * 1e6)};
    struct sockaddr_in address = loopback(port);
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit) != 0) {
        rc = -1;
    } else {
        GIL_RELEASED(rc = connect(fd, (struct sockaddr *)&address, sizeof address));
    }
    if (rc != 0) {
        int error = errno;
        close(fd);
        errno = error;
        return -1;
    }
    return fd;
}

/* errno after a blocking call on a socket with timeouts: ETIMEDOUT when
 * the timeout ran out. */
static int socket_error(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno;
}

static bool send_all(int fd, const char *data, size_t length, int *error)
{
    while (length > 0) {
        ssize_t put;
        GIL_RELEASED(put = send(fd, data, length, MSG_NOSIGNAL));
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0) {
            *error = socket_error();
            return false;
        }
        data += put;
        length -= (size_t)put;
    }
    return true;
}

/* What a fetch reads into.  On the heap, not the stack: 18 KiB was most of
 * what a 32 KiB main stack (ulimit -s 32) had left, and seq overflowed it. */
struct receiving {
    struct response_parser parser;
    char buf[16 * 1024];
};

/* Reads the response on FD into R->parser: PARSE_DONE or PARSE_ERROR, or
 * PARSE_MORE with *ERROR set when the connection failed first. */
static enum parse_status receive_response(int fd, struct receiving *r, int *error)
{
    enum parse_status status = PARSE_MORE;
    parser_init(&r->parser);
    while (status == PARSE_MORE) {
        ssize_t got;
        GIL_RELEASED(got = recv(fd, r->buf, sizeof r->buf, 0));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            *error = got == 0 ? ECONNRESET : socket_error();
            return PARSE_MORE;
        }
        status = parser_feed(&r->parser, r->buf, (size_t)got);
    }
    return status;
}

bool fetch_on(int fd, const char *request, size_t length, double started, struct fetch *result)
{
    struct receiving *r = malloc(sizeof *r);
    if (r == NULL) {
        result->error = ENOMEM;
        return false;
    }
    enum parse_status status = PARSE_MORE;
    if (send_all(fd, request, length, &result->error))
        status = receive_response(fd, r, &result->error);
    if (status == PARSE_DONE) {
        result->latency_s = clock_since(started);
        result->status = r->parser.status;
        result->length = r->parser.body_received;
        result->crc = r->parser.crc;
    } else if (status == PARSE_ERROR) {
        result->latency_s = clock_since(started);
        result->error = EPROTO;
    }
    free(r);
    return status == PARSE_DONE;
}

/* ---- settings ------------------------------------------------------------ */

enum mode { MODE_SEQ, MODE_THREAD_POOL, MODE_EVENT_LOOP, MODE_THREAD_PER_REQUEST };
static const char *const mode_names[] = {"seq", "thread-pool", "event-loop",
                                         "thread-per-request", NULL};

static const struct cli_variant variants[] = {
    {"seq", MODE_SEQ, NULL},
    {"thread-pool", MODE_THREAD_POOL, NULL},
    {"event-loop", MODE_EVENT_LOOP, NULL},
    {"thread-per-request", MODE_THREAD_PER_REQUEST, NULL},
    {"thread-pool-gil", MODE_THREAD_POOL, "--gil"},
};

#define MAX_REQUESTS 10000
#define MAX_BYTES (1024 * 1024)
#define MAX_TRAFFIC (1024LL * 1024 * 1024) /* requests x bytes */
#define MAX_EXPECTED_S 600                 /* the least time a run can take */
#define IO_TIMEOUT_S 10.0                  /* beyond the latency, per call */

struct settings {
    int mode;
    long long requests, latency_ms, bytes, workers, connections;
    struct gil_options gil;
    struct cli_common common;
};

static long long concurrency(const struct settings *s)
{
    switch (s->mode) {
    case MODE_THREAD_POOL:
        return s->workers < s->requests ? s->workers : s->requests;
    case MODE_EVENT_LOOP:
        return s->connections < s->requests ? s->connections : s->requests;
    case MODE_THREAD_PER_REQUEST:
        return s->requests;
    default:
        return 1;
    }
}

/* The least time the run can take: rounds of requests, each a latency. */
static double lower_bound_s(const struct settings *s)
{
    long long rounds = (s->requests + concurrency(s) - 1) / concurrency(s);
    return (double)rounds * (double)s->latency_ms / 1000.0;
}

static void check_combinations(const struct settings *s)
{
    if (s->requests * s->bytes > MAX_TRAFFIC)
        fail_usage("--requests x --bytes is more than 1 GiB of downloads: ask for less");
    if (lower_bound_s(s) > MAX_EXPECTED_S)
        fail_usage("--requests=%lld at --latency-ms=%lld would take at least %.0f s with "
                   "--mode=%s: ask for fewer requests or less latency",
                   s->requests, s->latency_ms, lower_bound_s(s), mode_names[s->mode]);
}

/* Waiting, not computing: a pool keeps gaining past the cores. */
static const struct cli_sweep sweep[] = {
    {"threads", MODE_THREAD_POOL, "--workers={workers}", false},
};

static struct settings parse_settings(int argc, char **argv)
{
    struct settings s = {.workers = 5, .connections = 100, .gil = GIL_OPTIONS_DEFAULT};
    const struct cli_option options[] = {
        {.name = "requests", .kind = CLI_INT, .min = 1, .max = MAX_REQUESTS,
         .integer = &s.requests, .by_size = CLI_BY_SIZE(16, 160, 640),
         .help = "URLs to fetch (book: two sites x 80, as the notes)"},
        {.name = "latency-ms", .kind = CLI_INT, .min = 0, .max = 1000, .integer = &s.latency_ms,
         .by_size = CLI_BY_SIZE(5, 20, 20), .help = "how long the server holds each response"},
        {.name = "bytes", .kind = CLI_INT, .min = 0, .max = MAX_BYTES, .integer = &s.bytes,
         .by_size = CLI_BY_SIZE(4096, 16384, 16384), .help = "body size of each response"},
        {.name = "workers", .kind = CLI_INT, .min = 1, .max = 1024, .integer = &s.workers,
         .modes = CLI_MODE(MODE_THREAD_POOL),
         .help = "threads, each with its own connection, as many as the notes' pool"},
        {.name = "connections", .kind = CLI_INT, .min = 1, .max = MAX_REQUESTS,
         .integer = &s.connections, .modes = CLI_MODE(MODE_EVENT_LOOP),
         .help = "connections open at once, as many as aiohttp's limit"},
        GIL_CLI_OPTIONS(&s.gil),
    };
    const struct cli_program program = {
        .name = "downloads",
        .summary = "Fetch URLs from a local HTTP server with a fixed latency: one after "
                   "another, in a thread pool, in an event loop, or a thread each (the note “[Python] 동시성 프로그래밍”).",
        .epilogue = "The server runs in a child process on 127.0.0.1 only, on a port the kernel "
                    "picks, and stops with the program.\n"
                    "C10K: --mode=event-loop --requests=5000 --connections=5000 holds 5000 "
                    "connections at once in one thread.",
        .modes = mode_names,
        .mode_help = "how the client fetches",
        .mode = &s.mode,
        CLI_OPTIONS(options),
        CLI_VARIANTS(variants),
        CLI_SWEEP(sweep),
    };
    cli_parse_or_exit(&program, argc, argv, &s.common);
    check_combinations(&s);
    return s;
}

/* Descriptors: the client's and the server's tables each need one per
 * connection at once.  Raises the soft limit as far as the hard one. */
static void ensure_descriptors(const struct settings *s)
{
    rlim_t need = (rlim_t)concurrency(s) + 64;
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        fail_sys("getrlimit");
    if (limit.rlim_cur >= need)
        return;
    limit.rlim_cur = limit.rlim_max == RLIM_INFINITY || limit.rlim_max > need ? need
                                                                              : limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
        fail_sys("setrlimit");
    if (limit.rlim_cur < need)
        fail_wrong("%lld connections at once need %llu descriptors, but the limit (ulimit -n) "
                   "is %llu",
                   concurrency(s), (unsigned long long)need, (unsigned long long)limit.rlim_cur);
}

/* ---- the report ---------------------------------------------------------- */

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Latency percentiles (nearest rank) in milliseconds. */
static void report_latencies(struct report *report, const struct fetch *results, size_t n)
{
    double *sorted = calloc(n, sizeof *sorted);
    if (sorted == NULL)
        fail_wrong("out of memory for %zu latencies", n);
    for (size_t i = 0; i < n; i++)
        sorted[i] = results[i].latency_s * 1000.0;
    qsort(sorted, n, sizeof *sorted, by_value);
    static const struct {
        const char *name;
        double percent;
    } ranks[] = {{"latency_p50_ms", 50}, {"latency_p90_ms", 90}, {"latency_p99_ms", 99}};
    for (size_t r = 0; r < sizeof ranks / sizeof ranks[0]; r++) {
        size_t rank = (size_t)ceil(ranks[r].percent / 100.0 * (double)n);
        report_metric(report, ranks[r].name, sorted[rank ? rank - 1 : 0], "ms");
    }
    report_metric(report, "latency_min_ms", sorted[0], "ms");
    report_metric(report, "latency_max_ms", sorted[n - 1], "ms");
    free(sorted);
}

static void describe(struct report *report, const struct settings *s)
{
    report_param_text(report, "mode", mode_names[s->mode]);
    report_param_text(report, "size", cli_size_name(s->common.size));
    report_param_int(report, "requests", s->requests);
    report_param_int(report, "latency_ms", s->latency_ms);
    report_param_int(report, "bytes", s->bytes);
    if (s->mode == MODE_THREAD_POOL)
        report_param_int(report, "workers", s->workers);
    if (s->mode == MODE_EVENT_LOOP)
        report_param_int(report, "connections", s->connections);
}

static void explain(struct report *report, const struct settings *s)
{
    report_metric(report, "in_flight_at_most", (double)concurrency(s), "");
    report_metric(report, "lower_bound_s", lower_bound_s(s), "s");
    static const char *const who[] = {"one request at a time", "%lld pool threads",
                                      "%lld connections in one thread", "%lld threads"};
    char what[80];
    snprintf(what, sizeof what, who[s->mode], concurrency(s));
    report_note(report, "%s: at least ceil(%lld / %lld) x %lld ms = %.3f s of waiting", what,
                s->requests, concurrency(s), s->latency_ms, lower_bound_s(s));
    if (s->gil.enabled && s->mode != MODE_SEQ && s->mode != MODE_EVENT_LOOP)
        report_note(report, "under the GIL the threads still overlap their waits: each releases "
                            "it in connect, send and recv, as CPython does");
}

static void check_results(struct report *report, const struct settings *s,
                          struct fetch *results, const struct server_stats *stats, bool server_ok)
{
    size_t n = (size_t)s->requests, right = 0, first_wrong = n;
    double floor_s = (double)s->latency_ms / 1000.0, shortest = INFINITY;
    for (size_t i = 0; i < n; i++) {
        fetch_judge(&results[i], (uint64_t)s->bytes);
        right += results[i].right;
        if (!results[i].right && first_wrong == n)
            first_wrong = i;
        shortest = fmin(shortest, results[i].latency_s);
    }
    if (first_wrong == n) {
        report_check(report, "responses", true,
                     "%zu of %zu right: status 200, %lld bytes, the item's CRC-32", right, n,
                     s->bytes);
    } else {
        const struct fetch *f = &results[first_wrong];
        report_check(report, "responses", false,
                     "%zu of %zu right; item %zu: %s, status %d, %llu bytes, CRC-32 %08x", right,
                     n, first_wrong, f->error ? strerror(f->error) : "no error", f->status,
                     (unsigned long long)f->length, (unsigned)f->crc);
    }
    report_check(report, "server_answered_each_once",
                 server_ok && stats->responses == n && stats->rejected == 0,
                 "the server wrote %llu responses and rejected %llu requests",
                 (unsigned long long)stats->responses, (unsigned long long)stats->rejected);
    report_check(report, "server_stopped_cleanly", server_ok,
                 "it sent its counters and exited 0");
    report_check(report, "latency_floor", right == n && shortest >= floor_s,
                 "the fastest response took %.3f ms, the server holds each %lld ms",
                 shortest * 1000.0, s->latency_ms);
}

int main(int argc, char **argv)
{
    struct settings s = parse_settings(argc, argv);
    ensure_descriptors(&s);
    size_t n = (size_t)s.requests;
    struct fetch *results = calloc(n, sizeof *results);
    if (results == NULL)
        fail_wrong("out of memory for %zu results", n);
    struct server server;
    const struct server_config config = {.latency_ms = (long)s.latency_ms,
                                         .body_bytes = (uint64_t)s.bytes};
    int error = server_start(&server, &config);
    if (error != 0)
        fail_code("starting the server", error);
    target.port = server.port;
    target.timeout_s = IO_TIMEOUT_S + (double)s.latency_ms / 1000.0;
    gil_init(&s.gil);

    double start = clock_now();
    if (s.mode == MODE_SEQ)
        run_seq(n, results);
    else if (s.mode == MODE_THREAD_POOL)
        run_thread_pool(n, (size_t)s.workers, results);
    else if (s.mode == MODE_EVENT_LOOP)
        run_event_loop(n, (size_t)s.connections, results);
    else
        run_thread_per_request(n, results);
    double elapsed = clock_since(start);

    struct server_stats stats = {0};
    bool server_ok = server_stop(&server, &stats);
    char variant[64];
    snprintf(variant, sizeof variant, "%s%s", mode_names[s.mode], s.gil.enabled ? "-gil" : "");
    struct report *report = report_new("downloads", variant);
    describe(report, &s);
    report_elapsed(report, elapsed);
    report_metric(report, "requests_per_s", elapsed > 0 ? (double)n / elapsed : 0, "1/s");
    report_latencies(report, results, n);
    report_metric(report, "server_connections", (double)stats.connections, "");
    report_metric(report, "server_most_open", (double)stats.most_open, "");
    explain(report, &s);
    gil_report(report);
    gil_shutdown();
    check_results(report, &s, results, &stats, server_ok);
    free(results);
    return report_finish(report, s.common.json, stdout);
}

