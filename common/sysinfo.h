/* sysinfo — facts about the machine, kept with every result so that numbers
 * from different machines are never compared blindly. */
#ifndef CONCLAB_SYSINFO_H
#define CONCLAB_SYSINFO_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Processors online now (sysconf(_SC_NPROCESSORS_ONLN)); at least 1. */
int sysinfo_online_cores(void);

/* Writes the CPU's model name (from /proc/cpuinfo) into BUF, at most SIZE
 * bytes with the terminating NUL; "unknown" when it cannot be read. */
void sysinfo_cpu_model(char *buf, size_t size);

/* Writes "sysname release machine" from uname(2) into BUF; "unknown" on error. */
void sysinfo_kernel(char *buf, size_t size);

/* The compiler that built the program, e.g. "gcc 12.2.0". */
const char *sysinfo_compiler(void);

#ifdef __cplusplus
}
#endif

#endif
