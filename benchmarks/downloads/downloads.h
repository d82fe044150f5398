/* downloads — the parts of the downloads experiment that its unit test uses:
 * the bodies the server sends and how they are checked, the local HTTP
 * server, the response parser and a blocking fetch. */
#ifndef CONCLAB_DOWNLOADS_H
#define CONCLAB_DOWNLOADS_H

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

/* CRC-32 (IEEE 802.3, as zlib.crc32) of LENGTH bytes at DATA, continuing
 * from CRC (0 to start). */
uint32_t crc32_update(uint32_t crc, const void *data, size_t length);

/* The CRC-32 of item ITEM's body of SIZE bytes. */
uint32_t body_crc(uint64_t item, uint64_t size);

/* ---- the server ----------------------------------------------------------
 * An HTTP/1.1 server in a child process, listening on 127.0.0.1 only, on a
 * port the kernel picks.  One thread, epoll, non-blocking sockets: it holds
 * any number of connections at once.  GET /item/K is answered 200 with K's
 * body after LATENCY_MS, the same for every request whatever the others do
 * (a timerfd wakes it at each deadline); connections stay open between
 * requests unless the client sends "Connection: close".  Other paths: 404,
 * unreadable requests: 400, both at once and closing.  It stops when the
 * parent closes the control pipe or dies. */

struct server_config {
    long latency_ms;
    uint64_t body_bytes;
};

struct server {
    pid_t pid;
    int port;
    int control_fd; /* write end: closing it stops the server */
    int stats_fd;   /* read end: the server's counters arrive here at its end */
};

struct server_stats {
    uint64_t responses;      /* 200 responses written in full */
    uint64_t rejected;       /* 404 and 400 responses */
    uint64_t connections;    /* accepted */
    uint64_t most_open;      /* connections open at once, at the most */
};

/* Starts the server.  0, or an error number (nothing left behind). */
int server_start(struct server *server, const struct server_config *config);

/* Stops it and reaps it, waiting at most a few seconds before killing it.
 * True when it ended by exiting 0 after sending its counters into *STATS. */
bool server_stop(struct server *server, struct server_stats *stats);

/* ---- the client side ------------------------------------------------------ */

/* An HTTP response read in pieces: status line, headers, Content-Length
 * bytes of body (checksummed on the fly, never stored). */
struct response_parser {
    char head[2048];
    size_t head_length;
    bool in_body;
    int status;
    uint64_t content_length;
    uint64_t body_received;
    uint32_t crc;
};

enum parse_status { PARSE_MORE, PARSE_DONE, PARSE_ERROR };

void parser_init(struct response_parser *parser);

/* Feeds LENGTH bytes.  PARSE_DONE once the whole body is in: it must end
 * exactly at the end of DATA (the client never pipelines).  PARSE_ERROR for
 * a head without "HTTP/1.x NNN" or Content-Length, or too long. */
enum parse_status parser_feed(struct response_parser *parser, const char *data, size_t length);

/* One download: what came back and how long it took. */
struct fetch {
    uint64_t item;
    double latency_s; /* from starting the request (connecting, if it had to) to the last byte */
    int error;        /* errno of a failed connect/send/recv, ETIMEDOUT, EPROTO; 0 */
    int status;
    uint64_t length;
    uint32_t crc;
    bool right; /* status 200, BYTES long, the right CRC */
};

/* Judges F against what item F->item must be: sets F->right. */
void fetch_judge(struct fetch *f, uint64_t body_bytes);

/* Writes "GET /item/ITEM HTTP/1.1" with Host (and Connection: close when
 * CLOSE) into BUF; returns its length. */
size_t request_format(char *buf, size_t size, int port, uint64_t item, bool close);

/* A blocking TCP connection to 127.0.0.1:PORT with TCP_NODELAY and send and
 * receive timeouts of TIMEOUT_S; -1 with errno set on failure. */
int connect_blocking(int port, double timeout_s);

/* Sends REQUEST on FD and reads the response into *RESULT (not judged),
 * with RESULT->latency_s counted from STARTED (a clock_now() value).
 * Blocking calls run with the emulated GIL released.  False when the
 * connection failed (RESULT->error says why); the caller closes FD then. */
bool fetch_on(int fd, const char *request, size_t length, double started, struct fetch *result);

#ifdef __cplusplus
}
#endif

#endif
