/* latency_server — the local HTTP server that the downloads experiment
 * fetches from: a stand-in for a remote site, with a fixed latency.
 *
 * An HTTP/1.1 server in a child process, listening on 127.0.0.1 only, on a
 * port the kernel picks.  One thread, epoll, non-blocking sockets: it holds
 * any number of connections at once, so it is never what the clients wait
 * for.  GET /item/K is answered 200 with K's body after LATENCY_MS, the same
 * for every request whatever the others do (a timerfd wakes it at each
 * deadline); connections stay open between requests unless the client sends
 * "Connection: close".  Other paths: 404, unreadable requests: 400, both at
 * once and closing.
 *
 * It ends with the program that started it: when server_stop is called,
 * when the program exits by any other path (a failure's exit() included:
 * it is ended before the program is gone), on SIGINT, SIGTERM or SIGHUP
 * (common/children.h), and when the program dies (it sees its control pipe
 * close).  One server at a time per program.
 */
#ifndef CONCLAB_LATENCY_SERVER_H
#define CONCLAB_LATENCY_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- bodies ---------------------------------------------------------------
 * The body of /item/K is the 16-byte line "%015llu\n" of K mod 10^15,
 * repeated and cut to the size asked: different for every item, cheap to
 * make on both sides (Python: (f"{k:015d}\n" * n)[:size]). */

/* Writes bytes [OFFSET, OFFSET + LENGTH) of item ITEM's body into BUF. */
void body_fill(uint64_t item, uint64_t offset, char *buf, size_t length);

/* ---- the server ---------------------------------------------------------- */

struct server_config {
    long latency_ms;     /* how long each response is held */
    uint64_t body_bytes; /* the size of every 200 response's body */
};

struct server {
    pid_t pid;
    int port;
    int control_fd; /* write end: closing it stops the server */
    int stats_fd;   /* read end: the server's counters arrive here at its end */
};

struct server_stats {
    uint64_t responses;   /* 200 responses written in full */
    uint64_t rejected;    /* 404 and 400 responses */
    uint64_t connections; /* accepted */
    uint64_t most_open;   /* connections open at once, at the most */
};

/* Starts the server (a tracked child, common/children.h) as CONFIG says and
 * fills *SERVER; it accepts connections on SERVER->port from now on.
 * Returns 0, or an error number with nothing left behind (no child, no
 * descriptor).  From here until server_stop, an exit() of this program ends
 * the server and waits for it first.  Call it from one thread at a time. */
int server_start(struct server *server, const struct server_config *config);

/* Stops the server started into *SERVER: closes its control pipe, waits a
 * few seconds at most for its counters (then kills it), reaps it and closes
 * every descriptor of *SERVER.  True when it ended by exiting 0 after
 * sending its counters into *STATS; false otherwise (*STATS is then left as
 * it was).  Call it once per server_start, from the thread that started it. */
bool server_stop(struct server *server, struct server_stats *stats);

#ifdef __cplusplus
}
#endif

#endif
