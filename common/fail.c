#include "fail.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *program_name = "conclab";

void fail_set_program(const char *argv0)
{
    if (argv0 == NULL || *argv0 == '\0')
        return;
    const char *slash = strrchr(argv0, '/');
    program_name = slash ? slash + 1 : argv0;
}

const char *fail_program(void) { return program_name; }

const char *fail_hint(int error_number)
{
    switch (error_number) {
    case EAGAIN:
        /* glibc's pthread_create says EAGAIN also when a stack cannot be mapped. */
        return " (no room for another process or thread: the limit on them, ulimit -u, "
               "or on memory for a stack, ulimit -v)";
    case EMFILE:
        return " (this process has as many descriptors open as its limit, ulimit -n, allows)";
    case ENFILE:
        return " (the system's table of open files is full)";
    case ENOMEM:
        return " (out of memory, or the limit on address space, ulimit -v, was reached)";
    default:
        return "";
    }
}

void fail_code(const char *call, int error_number)
{
    fprintf(stderr, "%s: %s: %s%s\n", program_name, call, strerror(error_number),
            fail_hint(error_number));
    exit(EXIT_WRONG);
}

void fail_sys(const char *call) { fail_code(call, errno); }

static _Noreturn void fail_with(int status, const char *format, va_list args)
{
    fprintf(stderr, "%s: ", program_name);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    exit(status);
}

void fail_usage(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fail_with(EXIT_USAGE, format, args);
}

void fail_wrong(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fail_with(EXIT_WRONG, format, args);
}
