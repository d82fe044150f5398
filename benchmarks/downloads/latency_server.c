/* latency_server — the local HTTP server of the downloads experiment (see
 * latency_server.h): an epoll loop in a child process that holds every
 * request for a fixed latency, then answers it with the item's body.
 */
#define _GNU_SOURCE /* accept4, pipe2 */
#include "latency_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "children.h"
#include "clock.h"
#include "fail.h"

/* ---- bodies ---------------------------------------------------------------- */

enum { UNIT = 16 };

void body_fill(uint64_t item, uint64_t offset, char *buf, size_t length)
{
    char unit[UNIT + 1];
    snprintf(unit, sizeof unit, "%015llu\n", (unsigned long long)(item % 1000000000000000ULL));
    size_t i = 0, phase = (size_t)(offset % UNIT);
    for (; i < length && phase != 0; phase = (phase + 1) % UNIT)
        buf[i++] = unit[phase];
    /* Whole lines by copying: the server makes megabytes of these. */
    for (; length - i >= UNIT; i += UNIT)
        memcpy(buf + i, unit, UNIT);
    for (size_t k = 0; i < length; k++)
        buf[i++] = unit[k];
}

/* ---- the server (child process) ----------------------------------------- */

enum conn_state { READING, WAITING, WRITING, DRAINING };

struct conn {
    int fd;
    enum conn_state state;
    uint32_t watching; /* epoll events registered, 0: not in the epoll set */
    char request[1024];
    size_t request_length;
    bool keep_alive;
    int status;
    uint64_t item;
    char head[256];
    size_t head_length;
    uint64_t body_length, sent; /* sent counts head and body bytes */
    double due;                 /* WAITING: when the response may go */
    struct conn *next_due;      /* the FIFO of waiting connections */
    struct conn *prev, *next;   /* every open connection */
};

struct server_state {
    struct server_config config;
    int epoll_fd, listen_fd, control_fd, timer_fd;
    struct conn *all;                  /* open connections */
    struct conn *due_first, *due_last; /* deadlines ascend: the latency is fixed */
    uint64_t open;
    struct server_stats stats;
    char scratch[64 * 1024]; /* bodies are made here, piece by piece */
};

/* epoll tags for the server's own descriptors. */
static char listen_tag, control_tag, timer_tag;

static _Noreturn void server_fail(const char *call)
{
    int error = errno;
    fprintf(stderr, "%s: server: %s: %s%s\n", fail_program(), call, strerror(error),
            fail_hint(error));
    _exit(EXIT_WRONG);
}

static void epoll_set(struct server_state *s, int fd, void *tag, uint32_t *watching,
                      uint32_t events)
{
    struct epoll_event event = {.events = events, .data.ptr = tag};
    int op = events == 0 ? EPOLL_CTL_DEL : *watching == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (events == *watching)
        return;
    if (epoll_ctl(s->epoll_fd, op, fd, &event) != 0)
        server_fail("epoll_ctl");
    *watching = events;
}

static void conn_close(struct server_state *s, struct conn *c)
{
    close(c->fd); /* leaves the epoll set with it */
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        s->all = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    s->open--;
    free(c);
}

static void accept_all(struct server_state *s)
{
    for (;;) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
            continue;
        if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (fd < 0)
            server_fail("accept4");
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = calloc(1, sizeof *c);
        if (c == NULL)
            server_fail("calloc");
        c->fd = fd;
        c->state = READING;
        c->next = s->all;
        if (s->all != NULL)
            s->all->prev = c;
        s->all = c;
        s->stats.connections++;
        if (++s->open > s->stats.most_open)
            s->stats.most_open = s->open;
        epoll_set(s, fd, c, &c->watching, EPOLLIN);
    }
}

static void arm_timer(struct server_state *s)
{
    struct itimerspec when = {{0, 0}, {0, 0}};
    if (s->due_first != NULL) {
        double due = s->due_first->due;
        when.it_value.tv_sec = (time_t)floor(due);
        when.it_value.tv_nsec = (long)((due - floor(due)) * 1e9);
        if (when.it_value.tv_sec == 0 && when.it_value.tv_nsec == 0)
            when.it_value.tv_nsec = 1; /* zero would disarm it */
    }
    if (timerfd_settime(s->timer_fd, TFD_TIMER_ABSTIME, &when, NULL) != 0)
        server_fail("timerfd_settime");
}

/* Parses C's request head: sets status, item and keep_alive. */
static void parse_request(struct conn *c)
{
    static const char get[] = "GET /item/";
    char *line_end = strstr(c->request, "\r\n");
    c->status = 400;
    c->keep_alive = false;
    if (line_end == NULL || strncmp(c->request, "GET ", 4) != 0)
        return;
    c->status = 404;
    if (strncmp(c->request, get, sizeof get - 1) != 0)
        return;
    const char *digits = c->request + sizeof get - 1, *p = digits;
    uint64_t item = 0;
    for (; p < line_end && *p >= '0' && *p <= '9' && p - digits < 15; p++)
        item = item * 10 + (uint64_t)(*p - '0');
    if (p == digits || strncmp(p, " HTTP/1.", 8) != 0)
        return;
    c->status = 200;
    c->item = item;
    /* HTTP/1.1 keeps the connection open unless the client says close. */
    c->keep_alive = p[8] == '1';
    for (const char *h = line_end; (h = strstr(h, "\r\n")) != NULL && h[2] != '\r'; h += 2) {
        if (strncasecmp(h + 2, "connection: close", 17) == 0)
            c->keep_alive = false;
    }
}

static void prepare_response(struct server_state *s, struct conn *c)
{
    static const char *const reasons[] = {[0] = "OK", [1] = "Bad Request", [2] = "Not Found"};
    const char *reason = reasons[c->status == 200 ? 0 : c->status == 400 ? 1 : 2];
    c->body_length = c->status == 200 ? s->config.body_bytes : 0;
    int n = snprintf(c->head, sizeof c->head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/octet-stream\r\n"
                     "Content-Length: %llu\r\n%s\r\n",
                     c->status, reason, (unsigned long long)c->body_length,
                     c->keep_alive ? "" : "Connection: close\r\n");
    c->head_length = (size_t)n;
    c->sent = 0;
}

static void write_some(struct server_state *s, struct conn *c);

static void start_writing(struct server_state *s, struct conn *c)
{
    c->state = WRITING;
    write_some(s, c);
}

static void on_readable(struct server_state *s, struct conn *c)
{
    for (;;) {
        size_t room = sizeof c->request - 1 - c->request_length;
        ssize_t got = recv(c->fd, c->request + c->request_length, room, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (got <= 0) {
            conn_close(s, c); /* the client is done (or gone) */
            return;
        }
        c->request_length += (size_t)got;
        c->request[c->request_length] = '\0';
        char *end = strstr(c->request, "\r\n\r\n");
        if (end == NULL && c->request_length < sizeof c->request - 1)
            continue;
        parse_request(c);
        if (end == NULL || (size_t)(end + 4 - c->request) != c->request_length) {
            c->status = 400; /* too long, or pipelined: neither is ours */
            c->keep_alive = false;
        }
        c->request_length = 0;
        prepare_response(s, c);
        if (c->status != 200) {
            s->stats.rejected++;
            start_writing(s, c);
            return;
        }
        /* Out of the epoll set while it waits: a client that hangs up now
         * finds out when its response goes. */
        epoll_set(s, c->fd, c, &c->watching, 0);
        c->state = WAITING;
        c->due = clock_now() + (double)s->config.latency_ms / 1000.0;
        c->next_due = NULL;
        if (s->due_last != NULL)
            s->due_last->next_due = c;
        else
            s->due_first = c;
        s->due_last = c;
        if (s->due_first == c)
            arm_timer(s);
        return;
    }
}

/* Sends what the socket takes of C's response; then reads the next
 * request, or closes. */
static void write_some(struct server_state *s, struct conn *c)
{
    uint64_t total = c->head_length + c->body_length;
    while (c->sent < total) {
        const char *data;
        size_t length;
        if (c->sent < c->head_length) {
            data = c->head + c->sent;
            length = c->head_length - (size_t)c->sent;
        } else {
            uint64_t offset = c->sent - c->head_length, left = c->body_length - offset;
            length = left < sizeof s->scratch ? (size_t)left : sizeof s->scratch;
            body_fill(c->item, offset, s->scratch, length);
            data = s->scratch;
        }
        ssize_t put = send(c->fd, data, length, MSG_NOSIGNAL);
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            epoll_set(s, c->fd, c, &c->watching, EPOLLOUT);
            return;
        }
        if (put < 0) {
            conn_close(s, c); /* the client went away */
            return;
        }
        c->sent += (uint64_t)put;
    }
    if (c->status == 200)
        s->stats.responses++;
    if (!c->keep_alive) {
        /* A lingering close: closing with unread input would send a reset,
         * and the client could lose the response.  Say we are done, then
         * read and drop whatever comes until the client closes too. */
        shutdown(c->fd, SHUT_WR);
        c->state = DRAINING;
        epoll_set(s, c->fd, c, &c->watching, EPOLLIN);
        return;
    }
    c->state = READING;
    epoll_set(s, c->fd, c, &c->watching, EPOLLIN);
}

static void drain(struct server_state *s, struct conn *c)
{
    for (;;) {
        ssize_t got = recv(c->fd, c->request, sizeof c->request, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (got <= 0) {
            conn_close(s, c);
            return;
        }
    }
}

static void on_timer(struct server_state *s)
{
    uint64_t expirations;
    if (read(s->timer_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
        server_fail("read timerfd");
    double now = clock_now();
    while (s->due_first != NULL && s->due_first->due <= now) {
        struct conn *c = s->due_first;
        s->due_first = c->next_due;
        if (s->due_first == NULL)
            s->due_last = NULL;
        start_writing(s, c);
    }
    arm_timer(s);
}

static void on_event(struct server_state *s, const struct epoll_event *event, bool *stop)
{
    void *tag = event->data.ptr;
    if (tag == &listen_tag) {
        accept_all(s);
    } else if (tag == &timer_tag) {
        on_timer(s);
    } else if (tag == &control_tag) {
        *stop = true; /* the parent closed its end, or died */
    } else {
        struct conn *c = tag;
        if (c->state == WRITING)
            write_some(s, c);
        else if (c->state == DRAINING)
            drain(s, c);
        else
            on_readable(s, c);
    }
}

static void add_own(struct server_state *s, int fd, void *tag)
{
    uint32_t watching = 0;
    epoll_set(s, fd, tag, &watching, EPOLLIN);
}

static _Noreturn void server_main(const struct server_config *config, int listen_fd,
                                  int control_fd, int stats_fd)
{
    struct server_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        server_fail("calloc");
    s->config = *config;
    s->listen_fd = listen_fd;
    s->control_fd = control_fd;
    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (s->epoll_fd < 0 || s->timer_fd < 0)
        server_fail("epoll_create1/timerfd_create");
    if (fcntl(listen_fd, F_SETFL, O_NONBLOCK) != 0)
        server_fail("fcntl");
    add_own(s, listen_fd, &listen_tag);
    add_own(s, control_fd, &control_tag);
    add_own(s, s->timer_fd, &timer_tag);
    bool stop = getppid() == 1; /* the parent died before we got here */
    struct epoll_event events[256];
    while (!stop) {
        int n = epoll_wait(s->epoll_fd, events, 256, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            server_fail("epoll_wait");
        for (int i = 0; i < n && !stop; i++)
            on_event(s, &events[i], &stop);
    }
    while (s->all != NULL)
        conn_close(s, s->all);
    struct server_stats stats = s->stats;
    close(s->epoll_fd);
    close(s->timer_fd);
    free(s);
    close(listen_fd);
    close(control_fd);
    bool sent = write(stats_fd, &stats, sizeof stats) == (ssize_t)sizeof stats;
    close(stats_fd);
    _exit(sent ? EXIT_RIGHT : EXIT_WRONG);
}

/* A TCP socket listening on 127.0.0.1, on a port the kernel picks. */
static int listen_on_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0 ||
        listen(fd, SOMAXCONN) != 0 ||
        getsockname(fd, (struct sockaddr *)&address, &length) != 0) {
        int error = errno;
        close(fd);
        errno = error;
        return -1;
    }
    *port = ntohs(address.sin_port);
    return fd;
}

/* The pid of the server running now, 0 when none: what the exit handler
 * ends.  Atomic, because any thread may call exit(). */
static atomic_int running_pid;
static bool exit_handler_installed; /* server_start runs in one thread at a time */

/* At exit() with the server still running (a failure ended the program
 * early): end the server and wait for it, so that the program never ends
 * before its child.  SIGTERM, because the program will not read the
 * server's counters; it ends at once (its default action). */
static void end_server_at_exit(void)
{
    pid_t pid = atomic_exchange(&running_pid, 0);
    if (pid <= 0)
        return;
    int status;
    (void)kill(pid, SIGTERM);
    children_reap(pid, true, &status);
}

static void close_all(const int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

int server_start(struct server *server, const struct server_config *config)
{
    if (!exit_handler_installed && atexit(end_server_at_exit) != 0)
        return ENOMEM;
    exit_handler_installed = true;
    int port, control[2] = {-1, -1}, stats[2] = {-1, -1};
    int listen_fd = listen_on_loopback(&port);
    if (listen_fd < 0 || pipe2(control, O_CLOEXEC) != 0 || pipe2(stats, O_CLOEXEC) != 0) {
        int error = errno;
        close_all((int[]){listen_fd, control[0], control[1], stats[0], stats[1]}, 5);
        return error;
    }
    pid_t pid = children_fork(); /* flushes stdio; the server ends with this program */
    if (pid == 0) {
        close(control[1]);
        close(stats[0]);
        server_main(config, listen_fd, control[0], stats[1]);
    }
    int error = errno;
    if (pid > 0)
        atomic_store(&running_pid, pid);
    /* The child listens; connections wait in the backlog till then. */
    close_all((int[]){listen_fd, control[0], stats[1]}, 3);
    if (pid < 0) {
        close_all((int[]){control[1], stats[0]}, 2);
        return error;
    }
    *server = (struct server){.pid = pid, .port = port, .control_fd = control[1],
                              .stats_fd = stats[0]};
    return 0;
}

bool server_stop(struct server *server, struct server_stats *stats)
{
    atomic_store(&running_pid, 0); /* ours to end now, not the exit handler's */
    close(server->control_fd);
    struct pollfd ready = {.fd = server->stats_fd, .events = POLLIN};
    int n;
    while ((n = poll(&ready, 1, 5000)) < 0 && errno == EINTR)
        ;
    struct server_stats counted;
    bool got = n == 1 &&
               read(server->stats_fd, &counted, sizeof counted) == (ssize_t)sizeof counted;
    close(server->stats_fd);
    if (!got)
        kill(server->pid, SIGKILL);
    int status;
    children_reap(server->pid, true, &status);
    if (got)
        *stats = counted;
    return got && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
