/* machine — what the machine's state recorded in meta.json (run_all.sh:
 * "state", "load", "cores", "cpu") says about a comparison.
 */
#ifndef CONCLAB_MACHINE_H
#define CONCLAB_MACHINE_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Appends to NOTE (of SIZE bytes, a string) what makes META's times of
 * EXPERIMENT suspect, each followed by WHEN ("then", "now", "during it"): a
 * load average above the cores before or after it, a tenth of the time
 * stolen by the hypervisor while it ran.  Nothing when META has no record
 * of EXPERIMENT. */
void machine_busy_note(const cJSON *meta, const char *experiment, const char *when, char *note, size_t size);

/* Fills NOTE with how the machine's state of two runs (metas A, then, and
 * B, now) differs for EXPERIMENT: another CPU, other cores, other pinning
 * (--cpus), another ASLR setting, and either run's busy notes; "" when
 * nothing recorded differs. */
void machine_note(const cJSON *a, const cJSON *b, const char *experiment, char *note, size_t size);

#endif
