/* report — what a program found, for a person or for run_all.sh.
 *
 * A program builds one report per run: its parameters, the elapsed seconds it
 * measured in-process (as the book does), metrics, the checks of its answer,
 * and notes that explain the result.  report_finish prints it as readable
 * lines, or with --json as one JSON object on stdout:
 *
 *   {"experiment": "factorize", "variant": "threads", "parameters": {...},
 *    "elapsed_s": 0.93, "metrics": {...}, "checks": [{"name", "ok", "detail"}],
 *    "notes": [...], "machine": {"cores", "cpu", "kernel", "compiler"}, "ok": true}
 *
 * "ok" is true only when there is at least one check and every check passed:
 * an unchecked result is not a result.  Out of memory exits with EXIT_WRONG.
 */
#ifndef CONCLAB_REPORT_H
#define CONCLAB_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

struct report;

/* A new, empty report for one run of VARIANT of EXPERIMENT. */
struct report *report_new(const char *experiment, const char *variant);

/* Records a parameter of the run (numbers, counts, switches). */
void report_param_int(struct report *report, const char *name, long long value);
void report_param_text(struct report *report, const char *name, const char *value);
void report_param_bool(struct report *report, const char *name, bool value);

/* Records the seconds the measured part took, timed with clock.h. */
void report_elapsed(struct report *report, double seconds);

/* Records a measured quantity other than the elapsed time (updates lost,
 * ideal speedup, waits).  UNIT may be "" for a plain number. */
void report_metric(struct report *report, const char *name, double value, const char *unit);

/* Attaches ITEM under NAME in the JSON "data" object (the report takes it);
 * not shown in the human form.  For lists a test wants to read back. */
void report_data(struct report *report, const char *name, cJSON *item);

/* How evenly the workers shared the work: VALUES[0..N) is each worker's share
 * (tasks, increments, seconds), N >= 1.  Records the metrics NAME_min,
 * NAME_max (in UNIT) and NAME_cv, the coefficient of variation (sample
 * standard deviation over the mean, 0 for one worker or a zero mean), and the
 * list under data.NAME. */
void report_spread(struct report *report, const char *name, const double *values, size_t n,
                   const char *unit);

/* Records one check of the answer, with a printf-style DETAIL saying what was
 * compared.  Returns OK, so callers can chain checks. */
bool report_check(struct report *report, const char *name, bool ok, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/* Adds a sentence that explains the result to the reader. */
void report_note(struct report *report, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* True when at least one check was recorded and all of them passed. */
bool report_ok(const struct report *report);

/* Renders REPORT as JSON text; the caller frees it with cJSON_free. */
char *report_to_json(const struct report *report);

/* Prints REPORT on OUT (JSON when AS_JSON), frees it, and returns the exit
 * status the program should end with: EXIT_RIGHT or EXIT_WRONG. */
int report_finish(struct report *report, bool as_json, FILE *out);

#ifdef __cplusplus
}
#endif

#endif
