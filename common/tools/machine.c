#include "machine.h"

#include <stdio.h>
#include <string.h>

#include "json_file.h"

static const cJSON *object_at(const cJSON *object, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(object, name);
}

/* Appends ", TEXT" (or TEXT first) to NOTE. */
static void add_note(char *note, size_t size, const char *text)
{
    size_t used = strlen(note);
    snprintf(note + used, size - used, "%s%s", used ? ", " : "", text);
}

/* The CPUs a run was pinned to (--cpus), or "none". */
static const char *pinning(const cJSON *meta)
{
    const char *cpus = json_text(object_at(meta, "state"), "pinned_cpus");
    return *cpus ? cpus : "none";
}

void machine_busy_note(const cJSON *meta, const char *experiment, const char *when, char *note, size_t size)
{
    const cJSON *load = object_at(object_at(meta, "load"), experiment);
    double cores = json_number(meta, "cores", 0);
    char text[160];
    if (load == NULL)
        return;
    double highest = json_number(load, "load_before", 0);
    if (json_number(load, "load_after", 0) > highest)
        highest = json_number(load, "load_after", 0);
    if (cores > 0 && highest > cores) {
        snprintf(text, sizeof text, "load %.1f on %.0f cores %s", highest, cores, when);
        add_note(note, size, text);
    }
    if (json_number(load, "steal_percent", 0) >= 10) {
        snprintf(text, sizeof text, "%.0f %% stolen %s", json_number(load, "steal_percent", 0), when);
        add_note(note, size, text);
    }
}

void machine_note(const cJSON *a, const cJSON *b, const char *experiment, char *note, size_t size)
{
    char text[300];
    note[0] = '\0';
    if (strcmp(json_text(a, "cpu"), json_text(b, "cpu")) != 0)
        add_note(note, size, "another CPU");
    if (json_number(a, "cores", 0) != json_number(b, "cores", 0)) {
        snprintf(text, sizeof text, "%.0f cores then, %.0f now", json_number(a, "cores", 0),
                 json_number(b, "cores", 0));
        add_note(note, size, text);
    }
    if (strcmp(pinning(a), pinning(b)) != 0) {
        snprintf(text, sizeof text, "pinned to CPUs %s then, %s now", pinning(a), pinning(b));
        add_note(note, size, text);
    }
    double aslr_a = json_number(object_at(a, "state"), "aslr", -1), aslr_b = json_number(object_at(b, "state"), "aslr", -1);
    if (aslr_a >= 0 && aslr_b >= 0 && aslr_a != aslr_b) {
        snprintf(text, sizeof text, "ASLR %.0f then, %.0f now", aslr_a, aslr_b);
        add_note(note, size, text);
    }
    machine_busy_note(a, experiment, "then", note, size);
    machine_busy_note(b, experiment, "now", note, size);
}

