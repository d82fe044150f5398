#define _GNU_SOURCE
#include "pin.h"

#include <sched.h>

#include "fail.h"

const char *const pin_names[] = {"none", "core", NULL};

static int policy = PIN_NONE;
/* The CPUs this process could run on when the policy was set, in order. */
static int cpus[CPU_SETSIZE];
static size_t n_cpus;

void pin_set_policy(int chosen)
{
    policy = chosen;
    n_cpus = 0;
    if (policy == PIN_NONE)
        return;
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
        fail_sys("sched_getaffinity");
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &allowed))
            cpus[n_cpus++] = cpu;
}

void pin_worker(size_t index)
{
    if (policy == PIN_NONE || n_cpus == 0)
        return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpus[index % n_cpus], &one);
    /* pid 0: the calling thread, on Linux */
    if (sched_setaffinity(0, sizeof one, &one) != 0)
        fail_sys("sched_setaffinity");
}

void pin_report(struct report *report)
{
    report_param_text(report, "pin", pin_names[policy]);
}
