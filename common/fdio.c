#include "fdio.h"

#include <errno.h>
#include <unistd.h>

bool fdio_write_all(int fd, const void *data, size_t size)
{
    const char *bytes = data;
    while (size > 0) {
        ssize_t written = write(fd, bytes, size);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return false;
        bytes += written;
        size -= (size_t)written;
    }
    return true;
}

enum fdio_read fdio_read_all(int fd, void *data, size_t size)
{
    char *bytes = data;
    size_t got_total = 0;
    while (got_total < size) {
        ssize_t got = read(fd, bytes + got_total, size - got_total);
        if (got < 0 && errno == EINTR)
            continue;
        if (got == 0 && got_total == 0)
            return FDIO_END;
        if (got <= 0)
            return FDIO_BROKEN;
        got_total += (size_t)got;
    }
    return FDIO_WHOLE;
}
