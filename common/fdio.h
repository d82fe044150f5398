/* fdio — whole reads and writes on a pipe or socket.
 *
 * read(2) and write(2) may move fewer bytes than asked, and a signal may
 * interrupt them (EINTR).  Messages between a parent and its children (the
 * process pools, factorize's children) are fixed-size records: these loops
 * move all of one, or say why not.  Both are async-signal-safe, so a forked
 * child of a threaded parent may use them.
 */
#ifndef CONCLAB_FDIO_H
#define CONCLAB_FDIO_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Writes all SIZE bytes of DATA to FD, again after EINTR.  False on an error,
 * with errno set (EPIPE: the reader is gone, when SIGPIPE is not fatal). */
bool fdio_write_all(int fd, const void *data, size_t size);

enum fdio_read {
    FDIO_WHOLE,  /* all SIZE bytes were read */
    FDIO_END,    /* end of file before the first byte: the writer closed cleanly */
    FDIO_BROKEN, /* an error (errno set), or end of file in the middle */
};

/* Reads exactly SIZE bytes from FD into DATA, again after EINTR (SIZE 0:
 * FDIO_WHOLE at once). */
enum fdio_read fdio_read_all(int fd, void *data, size_t size);

#ifdef __cplusplus
}
#endif

#endif
