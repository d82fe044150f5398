/* no_orphans — runs a command and fails if it leaves any process behind.
 *
 *   no_orphans [--interrupt-after=SECONDS [--grace=SECONDS]] COMMAND [ARG...]
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
 * terminal's Ctrl-C would).  Its children then have a grace (--grace, 2 s
 * unless told) to end by themselves (the program is expected to have told
 * them to); only those still running after that count as left behind.
 * --grace=0 asks more: that COMMAND ends only after all of them have.
 *
 * Exit status: COMMAND's (128 + N when killed by signal N), or 125 when a
 * process was left behind or no_orphans itself failed.  A test tool: its
 * messages start with "no_orphans:" and it never prints on stdout.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LEFT_BEHIND 125
#define DEFAULT_GRACE_S 2.0
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

/* Waits for PID, sending it SIGINT once INTERRUPT_AFTER seconds have passed
 * (never, when negative).  Returns PID, or -1 when waiting failed. */
static pid_t wait_interrupting(pid_t pid, int *status, double interrupt_after)
{
    if (interrupt_after < 0)
        return wait_for(pid, status, 0);
    for (long looks = (long)(interrupt_after * 1e9 / PAUSE_NS); looks > 0; looks--) {
        pid_t got = wait_for(pid, status, WNOHANG);
        if (got != 0)
            return got;
        pause_briefly();
    }
    if (kill(pid, SIGINT) != 0 && errno != ESRCH)
        perror("no_orphans: kill");
    return wait_for(pid, status, 0);
}

/* Reaps the children this subreaper was given that have ended or end
 * within GRACE_S. */
static void reap_those_that_end(double grace_s)
{
    int status;
    for (long pauses = (long)(grace_s * 1e9 / PAUSE_NS);; pauses--) {
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

/* When ARG is PREFIX followed by a number of seconds: true, with the number
 * in *SECONDS.  Exits with status 2 when the number is not one from 0 to
 * 3600 (from above 0 unless ZERO_ALLOWED). */
static bool seconds_option(const char *arg, const char *prefix, bool zero_allowed,
                           double *seconds)
{
    size_t length = strlen(prefix);
    if (strncmp(arg, prefix, length) != 0)
        return false;
    char *end;
    *seconds = strtod(arg + length, &end);
    bool low_ok = zero_allowed ? *seconds >= 0 : *seconds > 0;
    if (end == arg + length || *end != '\0' || !(low_ok && *seconds < 3600)) {
        fprintf(stderr, "no_orphans: %s: SECONDS must be a number from %s to below 3600\n", arg,
                zero_allowed ? "0" : "above 0");
        exit(2);
    }
    return true;
}

int main(int argc, char **argv)
{
    double interrupt_after = -1, grace_s = DEFAULT_GRACE_S;
    int first = 1;
    if (first < argc && seconds_option(argv[first], "--interrupt-after=", false, &interrupt_after))
        first++;
    if (interrupt_after >= 0 && first < argc &&
        seconds_option(argv[first], "--grace=", true, &grace_s))
        first++;
    char **command = argv + first;
    if (command[0] == NULL) {
        fprintf(stderr, "usage: no_orphans [--interrupt-after=SECONDS [--grace=SECONDS]] "
                        "COMMAND [ARG...]\n");
        return 2;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L) != 0) {
        perror("no_orphans: prctl(PR_SET_CHILD_SUBREAPER)");
        return LEFT_BEHIND;
    }
    pid_t pid = start(command);
    int status;
    if (pid < 0 || wait_interrupting(pid, &status, interrupt_after) != pid) {
        perror("no_orphans: fork/waitpid");
        return LEFT_BEHIND;
    }
    /* The kernel hands over the orphans before the command's own end can be
     * waited for, so they are all our children now. */
    if (interrupt_after >= 0)
        reap_those_that_end(grace_s);
    int left = reap_leftovers(pid);
    if (left > 0) {
        fprintf(stderr, "no_orphans: %s left %d process%s behind\n", command[0], left,
                left == 1 ? "" : "es");
        return LEFT_BEHIND;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
