/* no_orphans — runs a command and fails if it leaves any process behind.
 *
 *   no_orphans COMMAND [ARG...]
 *
 * A process that exits before its children orphans them: they are handed to
 * the nearest "child subreaper" ancestor, or to init.  no_orphans makes itself
 * a subreaper (Linux prctl) and runs COMMAND in a process group of its own, so
 * whatever COMMAND leaves behind, running or dead and unreaped, becomes
 * no_orphans's child.  After COMMAND ends, every such process is killed,
 * reaped and counted.  Exit status: COMMAND's (128 + N when killed by signal
 * N), or 125 when a process was left behind or no_orphans itself failed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEFT_BEHIND 125

static pid_t wait_for(pid_t pid, int *status)
{
    pid_t got;
    while ((got = waitpid(pid, status, 0)) < 0 && errno == EINTR)
        ;
    return got;
}

static pid_t start(char **argv)
{
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        execvp(argv[0], argv);
        fprintf(stderr, "no_orphans: cannot run %s\n", argv[0]);
        _exit(127);
    }
    if (pid > 0)
        setpgid(pid, pid); /* also here: whichever runs first, the group exists */
    return pid;
}

/* Kills what is left of the group LEADER led and reaps every child this
 * subreaper was given; returns how many there were. */
static int reap_leftovers(pid_t leader)
{
    int left = 0, status;
    if (kill(-leader, SIGKILL) != 0 && errno != ESRCH)
        perror("no_orphans: kill");
    while (wait_for(-1, &status) > 0)
        left++;
    return left;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: no_orphans COMMAND [ARG...]\n");
        return 2;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L) != 0) {
        perror("no_orphans: prctl(PR_SET_CHILD_SUBREAPER)");
        return LEFT_BEHIND;
    }
    pid_t pid = start(argv + 1);
    int status;
    if (pid < 0 || wait_for(pid, &status) != pid) {
        perror("no_orphans: fork/waitpid");
        return LEFT_BEHIND;
    }
    /* The kernel hands over the orphans before the command's own end can be
     * waited for, so they are all our children now. */
    int left = reap_leftovers(pid);
    if (left > 0) {
        fprintf(stderr, "no_orphans: %s left %d process%s behind\n", argv[1], left,
                left == 1 ? "" : "es");
        return LEFT_BEHIND;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
