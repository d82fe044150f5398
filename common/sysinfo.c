#include "sysinfo.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

int sysinfo_online_cores(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores >= 1 ? (int)cores : 1;
}

static void copy_trimmed(char *buf, size_t size, const char *text)
{
    while (*text == ' ' || *text == '\t')
        text++;
    snprintf(buf, size, "%s", text);
    size_t len = strlen(buf);
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
        buf[--len] = '\0';
}

void sysinfo_cpu_model(char *buf, size_t size)
{
    snprintf(buf, size, "unknown");
    FILE *cpuinfo = fopen("/proc/cpuinfo", "r");
    if (cpuinfo == NULL)
        return;
    char line[512];
    while (fgets(line, sizeof line, cpuinfo) != NULL) {
        /* x86 says "model name", some ARM kernels only "Hardware"/"Processor". */
        if (strncmp(line, "model name", 10) == 0 || strncmp(line, "Processor", 9) == 0) {
            const char *colon = strchr(line, ':');
            if (colon != NULL) {
                copy_trimmed(buf, size, colon + 1);
                break;
            }
        }
    }
    fclose(cpuinfo);
}

void sysinfo_kernel(char *buf, size_t size)
{
    struct utsname names;
    if (uname(&names) != 0) {
        snprintf(buf, size, "unknown");
        return;
    }
    snprintf(buf, size, "%s %s %s", names.sysname, names.release, names.machine);
}

const char *sysinfo_compiler(void)
{
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#else
    return "unknown";
#endif
}
