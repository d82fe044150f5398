/* fail — error reporting and the exit codes every conclab program shares.
 *
 * Exit codes (DESIGN.md): 0 the answer is right, 1 the answer is wrong or a
 * system call failed, 2 the command line was wrong.  Messages are one line on
 * stderr, prefixed with the program's name.
 */
#ifndef CONCLAB_FAIL_H
#define CONCLAB_FAIL_H

#ifdef __cplusplus
extern "C" {
#endif

enum conclab_exit {
    EXIT_RIGHT = 0, /* every check passed */
    EXIT_WRONG = 1, /* a check failed, or the system refused a call */
    EXIT_USAGE = 2, /* bad command line; nothing was run */
};

/* Names the program in every later message (pass argv[0]; the directory part
 * is dropped).  Until it is called, messages say "conclab". */
void fail_set_program(const char *argv0);

/* The name set by fail_set_program. */
const char *fail_program(void);

/* Prints "prog: CALL: strerror(errno)" and exits with EXIT_WRONG.  For calls
 * that report failure through errno (open, fork, pipe, read...).  When the
 * error means that a limit was reached, fail_hint's words follow. */
_Noreturn void fail_sys(const char *call);

/* Same, for calls that return their error number instead of setting errno
 * (the pthread_* family). */
_Noreturn void fail_code(const char *call, int error_number);

/* The limit that ERROR_NUMBER says was reached, as " (...)" to put after
 * strerror's words, naming the ulimit that sets it: EAGAIN (conclab fails on
 * it only where a process or thread could not be started), EMFILE, ENFILE,
 * ENOMEM.  "" for any other error. */
const char *fail_hint(int error_number);

/* Prints "prog: MESSAGE" and exits with EXIT_USAGE. */
_Noreturn void fail_usage(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Prints "prog: MESSAGE" and exits with EXIT_WRONG, for failures that are not
 * a system call's (a child that died, a short read). */
_Noreturn void fail_wrong(const char *format, ...) __attribute__((format(printf, 1, 2)));

#ifdef __cplusplus
}
#endif

#endif
