/* no_orphans — runs a command and fails if it leaves any process behind.
 *
 *   no_orphans [--interrupt-after=SECONDS [--ended-within=SECONDS]] COMMAND [ARG...]
 *
 * A process that exits before its children orphans them: they are handed to
 * the nearest "child subreaper" ancestor, or to init.  no_orphans makes itself
 * a subreaper (Linux prctl) and runs COMMAND in a process group of its own, so
 * whatever COMMAND leaves behind, running or dead and unreaped, becomes
 * no_orphans's child.  After COMMAND ends, every such process is killed,
 * reaped and counted.
 *
 * With --interrupt-after, COMMAND gets SIGINT after SECONDS if it still runs,
 * sent to its pid alone, as `kill -INT PID` does (not to its group, as a
 * terminal's Ctrl-C would).  COMMAND must then end after its children, not
 * before (common/children.h): those that have ended by then, even unreaped,
 * are fine, and a process already dying gets GRACE_S to be gone (such as
 * LeakSanitizer's tracer, killed when the program it checks dies); any still
 * running after that counts as left behind.  (mpiexec, which takes a second
 * to stop its ranks, does not fit in that grace: its launcher must wait.)
 *
 * With --ended-within as well, COMMAND must have ended within that many
 * seconds of the SIGINT (a bound for "it did not wait out a grace", never a
 * measurement): exit status 123 otherwise.
 *
 * Exit status: COMMAND's (128 + N when killed by signal N), 123 when it
 * ended too late after the SIGINT, or 125 when a process was left behind or
 * no_orphans itself failed.  A test tool: its
 * messages start with "no_orphans:" and it never prints on stdout.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LEFT_BEHIND 125
#define ENDED_LATE 123
#define GRACE_S 0.5
#define PAUSE_NS 10000000L /* 10 ms between two looks */

static pid_t wait_for(pid_t pid, int *status, int flags)
{
    pid_t got;
    while ((got = waitpid(pid, status, flags)) < 0 && errno == EINTR)
        ;
    return got;
}

static void pause_briefly(void)
{
    struct timespec pause = {0, PAUSE_NS};
    while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
        ;
}

static pid_t start(char **argv)
{
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        execvp(argv[0], argv);
        fprintf(stderr, "no_orphans: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (pid > 0)
        setpgid(pid, pid); /* also here: whichever runs first, the group exists */
    return pid;
}

static double now_s(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* Waits for PID, sending it SIGINT once INTERRUPT_AFTER seconds have passed
 * (never, when negative).  Returns PID, or -1 when waiting failed; *TO_END
 * the seconds from the SIGINT to PID's end (0 when it was not sent). */
static pid_t wait_interrupting(pid_t pid, int *status, double interrupt_after, double *to_end)
{
    *to_end = 0;
    if (interrupt_after < 0)
        return wait_for(pid, status, 0);
    for (long looks = (long)(interrupt_after * 1e9 / PAUSE_NS); looks > 0; looks--) {
        pid_t got = wait_for(pid, status, WNOHANG);
        if (got != 0)
            return got;
        pause_briefly();
    }
    double sent = now_s();
    if (kill(pid, SIGINT) != 0 && errno != ESRCH)
        perror("no_orphans: kill");
    pid_t got = wait_for(pid, status, 0);
    *to_end = now_s() - sent;
    return got;
}

/* Reaps the children this subreaper was given that have ended or end
 * within GRACE_S. */
static void reap_those_that_end(void)
{
    int status;
    for (long pauses = (long)(GRACE_S * 1e9 / PAUSE_NS);; pauses--) {
        pid_t got;
        while ((got = wait_for(-1, &status, WNOHANG)) > 0)
            ;
        if (got < 0 || pauses <= 0)
            return; /* ECHILD: every one of them ended */
        pause_briefly();
    }
}

/* Kills what is left of the group LEADER led and reaps every child this
 * subreaper was given; returns how many there were. */
static int reap_leftovers(pid_t leader)
{
    int left = 0, status;
    if (kill(-leader, SIGKILL) != 0 && errno != ESRCH)
        perror("no_orphans: kill");
    while (wait_for(-1, &status, 0) > 0)
        left++;
    return left;
}

/* "PREFIX SECONDS" (PREFIX ends with '='): the seconds, or -1 when ARG is
 * not that option. */
static double seconds_option(const char *arg, const char *prefix)
{
    if (arg == NULL || strncmp(arg, prefix, strlen(prefix)) != 0)
        return -1;
    char *end;
    double seconds = strtod(arg + strlen(prefix), &end);
    if (*end != '\0' || !(seconds > 0 && seconds < 3600)) {
        fprintf(stderr, "no_orphans: %s: SECONDS must be a number above 0 and below 3600\n", arg);
        exit(2);
    }
    return seconds;
}

int main(int argc, char **argv)
{
    char **command = argv + 1;
    double interrupt_after = seconds_option(command[0], "--interrupt-after=");
    double ended_within = -1;
    if (interrupt_after > 0) {
        command++;
        ended_within = seconds_option(command[0], "--ended-within=");
        command += ended_within > 0;
    }
    if (argc < 2 || command[0] == NULL) {
        fprintf(stderr, "usage: no_orphans [--interrupt-after=SECONDS [--ended-within=SECONDS]] "
                        "COMMAND [ARG...]\n");
        return 2;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L) != 0) {
        perror("no_orphans: prctl(PR_SET_CHILD_SUBREAPER)");
        return LEFT_BEHIND;
    }
    pid_t pid = start(command);
    int status;
    double to_end = 0;
    if (pid < 0 || wait_interrupting(pid, &status, interrupt_after, &to_end) != pid) {
        perror("no_orphans: fork/waitpid");
        return LEFT_BEHIND;
    }
    /* The kernel hands over the orphans before the command's own end can be
     * waited for, so they are all our children now. */
    if (interrupt_after >= 0)
        reap_those_that_end();
    int left = reap_leftovers(pid);
    if (left > 0) {
        fprintf(stderr, "no_orphans: %s left %d process%s behind\n", command[0], left,
                left == 1 ? "" : "es");
        return LEFT_BEHIND;
    }
    if (ended_within > 0 && to_end > ended_within) {
        fprintf(stderr, "no_orphans: %s ended %.2f s after SIGINT, later than %g s\n",
                command[0], to_end, ended_within);
        return ENDED_LATE;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
