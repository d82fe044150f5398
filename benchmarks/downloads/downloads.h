/* downloads — the client parts of the downloads experiment that its unit
 * test uses: how a body is checked, the response parser and a blocking
 * fetch.  The server they talk to is latency_server.h. */
#ifndef CONCLAB_DOWNLOADS_H
#define CONCLAB_DOWNLOADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "latency_server.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The CRC-32 (IEEE 802.3, as zlib.crc32) of item ITEM's body of SIZE bytes
 * (body_fill, latency_server.h). */
uint32_t body_crc(uint64_t item, uint64_t size);

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
