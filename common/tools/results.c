/* conclab-results — turns a run's hyperfine exports into speedups with
 * confidence intervals, and holds a run against a baseline.
 *
 *   conclab-results summarize RUN_DIR
 *       reads RUN_DIR/meta.json and RUN_DIR/<experiment>/hyperfine.json, writes
 *       RUN_DIR/summary.json: per experiment and variant the median, mean and
 *       standard deviation of the runs, and the speedup over the experiment's
 *       baseline variant (the first C variant, i.e. the first of --list; for
 *       CPython's py-* variants the first py-* one, for each interpreter's own
 *       (py3.8-*, py3.11-*: run_all.sh --python) the first of its own) with a 95 % interval from a
 *       percentile bootstrap of the ratio of medians (2000 resamples, fixed seed),
 *       and "lessons": per experiment the verdicts on its lessons (lessons.h).
 *   conclab-results lessons RUN_DIR [EXPERIMENT] | lessons --check FILE...
 *       prints the verdicts on the lessons, or checks lessons.json files
 *       (lessons.c).
 *   conclab-results html RUN_DIR [EXPERIMENT...]
 *       writes RUN_DIR/index.html, the run as one self-contained web page (html.c).
 *   conclab-results compare BASELINE CURRENT [--threshold=PERCENT] [--json=FILE]
 *       prints experiment, variant, baseline speedup, now, change, the p of a
 *       Mann-Whitney U test of the runs' speedups then and now, the chance
 *       that a run now is worse than one then, and the verdict (FILE: the same
 *       as JSON); exits 1 when any speedup fell by more than PERCENT (default
 *       10) with p < STATS_SIGNIFICANCE (a summary made before runs' speedups
 *       were kept: with intervals that do not overlap), 0 otherwise, 2 on bad
 *       input.  A verdict line names what differs in the machine's state
 *       (meta.json) between the two runs.  A speedup from fewer
 *       than STATS_MIN_RUNS runs, or over another baseline variant than in
 *       BASELINE, gets no verdict; CPython's (py-*) are judged
 *       but never counted: they are the reference, not conclab's code.  Warns when the two
 *       summaries come from machines with other CPUs or core counts.
 *   conclab-results history FILE [--min-segment=N] [--threshold=PERCENT]
 *       the steps in results/history.jsonl (history.c).
 *   conclab-results ab DIR [--threshold=PERCENT]
 *       run_all.sh --ab: the interleaved times of two builds (ab.c).
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "fail.h"
#include "ab.h"
#include "history.h"
#include "html.h"
#include "machine.h"
#include "json_file.h"
#include "lessons.h"
#include "stats.h"

enum { RESAMPLES = 2000 };
static const uint64_t BOOTSTRAP_SEED = 20190101;
static const char CI_METHOD[] =
    "95% percentile bootstrap of median(baseline)/median(variant), 2000 resamples, fixed seed";

/* ---- summarize ------------------------------------------------------------ */

struct sample {
    const char *name;
    double *times;
    size_t n;
};

static struct sample read_sample(const cJSON *result, const char *path)
{
    const cJSON *times = cJSON_GetObjectItemCaseSensitive(result, "times");
    struct sample sample = {.name = json_text(result, "command"),
                            .n = (size_t)cJSON_GetArraySize(times)};
    if (sample.n == 0 || !*sample.name)
        fail_usage("%s: a result without a command name or times", path);
    sample.times = malloc(sample.n * sizeof *sample.times);
    if (sample.times == NULL)
        fail_wrong("out of memory");
    size_t i = 0;
    const cJSON *time;
    cJSON_ArrayForEach(time, times) sample.times[i++] = time->valuedouble;
    return sample;
}

static cJSON *summarize_variant(const struct sample *variant, const struct sample *base)
{
    cJSON *out = cJSON_CreateObject();
    double median = stats_median(variant->times, variant->n);
    struct stats_interval ci = stats_speedup_interval(base->times, base->n, variant->times,
                                                      variant->n, RESAMPLES, BOOTSTRAP_SEED);
    cJSON_AddNumberToObject(out, "runs", (double)variant->n);
    cJSON_AddNumberToObject(out, "median_s", median);
    cJSON_AddNumberToObject(out, "mean_s", stats_mean(variant->times, variant->n));
    cJSON_AddNumberToObject(out, "stddev_s", stats_stddev(variant->times, variant->n));
    cJSON_AddStringToObject(out, "baseline", base->name);
    cJSON_AddNumberToObject(out, "speedup", stats_median(base->times, base->n) / median);
    cJSON_AddNumberToObject(out, "speedup_low", ci.low);
    cJSON_AddNumberToObject(out, "speedup_high", ci.high);
    /* Each run's speedup, median(baseline) / this run's time: the sample
     * that compare's rank test holds against another run's. */
    double base_median = stats_median(base->times, base->n);
    cJSON *runs = cJSON_AddArrayToObject(out, "speedup_runs");
    for (size_t i = 0; i < variant->n; i++)
        cJSON_AddItemToArray(runs, cJSON_CreateNumber(base_median / variant->times[i]));
    return out;
}

/* The length of VARIANT's group prefix: "py-" for CPython's variants, or
 * with several interpreters "py3.11-", "py3.11_2-" (run_all.sh --python);
 * 0 for conclab's own. */
static size_t python_prefix_length(const char *variant)
{
    if (strncmp(variant, "py", 2) != 0)
        return 0;
    size_t length = 2 + strspn(variant + 2, "0123456789._");
    return variant[length] == '-' ? length + 1 : 0;
}

static bool is_python(const char *variant) { return python_prefix_length(variant) > 0; }

/* True when A and B are of the same group: both C, or the same interpreter. */
static bool same_group(const char *a, const char *b)
{
    size_t length = python_prefix_length(a);
    return length == python_prefix_length(b) && strncmp(a, b, length) == 0;
}

static cJSON *summarize_experiment(const char *path)
{
    cJSON *export = json_read(path, true);
    if (export == NULL)
        return NULL;
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(export, "results");
    size_t n = (size_t)cJSON_GetArraySize(results);
    struct sample *samples = calloc(n ? n : 1, sizeof *samples);
    if (samples == NULL)
        fail_wrong("out of memory");
    size_t i = 0;
    const cJSON *result;
    cJSON_ArrayForEach(result, results)
        samples[i++] = read_sample(result, path);
    cJSON *variants = cJSON_CreateObject();
    for (i = 0; i < n; i++) {
        /* The baseline is the first variant of the same group. */
        size_t base = 0;
        while (!same_group(samples[base].name, samples[i].name))
            base++;
        cJSON_AddItemToObject(variants, samples[i].name, summarize_variant(&samples[i], &samples[base]));
    }
    for (i = 0; i < n; i++)
        free(samples[i].times);
    free(samples);
    cJSON_Delete(export);
    return variants;
}

static int summarize(const char *run_dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/meta.json", run_dir);
    cJSON *summary = cJSON_CreateObject();
    cJSON_AddItemToObject(summary, "meta", json_read(path, false));
    cJSON_AddStringToObject(summary, "ci_method", CI_METHOD);
    cJSON *experiments = cJSON_AddObjectToObject(summary, "experiments");
    DIR *dir = opendir(run_dir);
    if (dir == NULL)
        fail_usage("%s: %s", run_dir, strerror(errno));
    const struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s/hyperfine.json", run_dir, entry->d_name);
        cJSON *variants = summarize_experiment(path);
        if (variants != NULL)
            cJSON_AddItemToObject(experiments, entry->d_name, variants);
    }
    closedir(dir);
    /* The verdict on each experiment's lessons (lessons.c). */
    struct lessons_tally tally = {0};
    lessons_judge_run(run_dir, cJSON_GetObjectItemCaseSensitive(summary, "meta"),
                      cJSON_AddObjectToObject(summary, "lessons"), &tally);
    snprintf(path, sizeof path, "%s/summary.json", run_dir);
    json_write(path, summary);
    cJSON_Delete(summary);
    return EXIT_RIGHT;
}

/* ---- compare -------------------------------------------------------------- */

static struct stats_interval interval_of(const cJSON *variant)
{
    return (struct stats_interval){json_number(variant, "speedup_low", 0),
                                   json_number(variant, "speedup_high", 0)};
}

static void warn_if_other_machine(const cJSON *baseline, const cJSON *current)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(baseline, "meta");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(current, "meta");
    if (json_number(a, "cores", 0) != json_number(b, "cores", 0) ||
        strcmp(json_text(a, "cpu"), json_text(b, "cpu")) != 0)
        printf("warning: the baseline comes from another machine (%s, %.0f cores; now %s, %.0f "
               "cores): speedups there are not comparable\n",
               json_text(a, "cpu"), json_number(a, "cores", 0), json_text(b, "cpu"), json_number(b, "cores", 0));
}

/* The fewest runs behind VARIANT's speedup in EXPERIMENT: its own or its
 * baseline's. */
static double runs_behind(const cJSON *experiment, const cJSON *variant)
{
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(experiment, json_text(variant, "baseline"));
    double own = json_number(variant, "runs", 0);
    double base_runs = base != NULL ? json_number(base, "runs", 0) : 0;
    return own < base_runs ? own : base_runs;
}

/* The numbers of the array at NAME in OBJECT, in a new array (*N of them);
 * NULL when there is none or it holds something else than numbers. */
static double *numbers_at(const cJSON *object, const char *name, size_t *n)
{
    const cJSON *array = cJSON_GetObjectItemCaseSensitive(object, name);
    *n = (size_t)cJSON_GetArraySize(array);
    if (!cJSON_IsArray(array) || *n == 0)
        return NULL;
    double *values = malloc(*n * sizeof *values);
    if (values == NULL)
        fail_wrong("out of memory");
    size_t i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, array)
    {
        if (!cJSON_IsNumber(item)) {
            free(values);
            return NULL;
        }
        values[i++] = item->valuedouble;
    }
    return values;
}

/* The rank test of a speedup's runs then (WAS) against now (NOW): p, and
 * the effect "worse", the chance that a run now has a lower speedup than
 * one then.  p is negative when either summary lacks the runs (one made
 * before summaries kept them). */
static struct stats_rank_test rank_speedups(const cJSON *was, const cJSON *now)
{
    struct stats_rank_test test = {.p = -1};
    size_t n_was, n_now;
    double *then = numbers_at(was, "speedup_runs", &n_was), *today = numbers_at(now, "speedup_runs", &n_now);
    if (then != NULL && today != NULL)
        test = stats_mann_whitney(then, n_was, today, n_now);
    free(then);
    free(today);
    return test;
}

/* "0.0012", "1.1e-05", or "-" for none: a p-value in 9 columns. */
static const char *p_text(double p, char *text, size_t size)
{
    if (p < 0)
        snprintf(text, size, "-");
    else
        snprintf(text, size, "%.2g", p);
    return text;
}

/* ---- compare -------------------------------------------------------------- */

struct compare_tally {
    int regressions, unjudged, by_intervals;
};

/* The verdict on one speedup, WAS then and NOW now, over the same baseline
 * variant: by the threshold and the rank test of the runs' speedups, or,
 * when a summary lacks them, by the threshold and the intervals. */
static enum stats_verdict judge_speedup(const cJSON *was, const cJSON *now, double fewest,
                                        double threshold, struct stats_rank_test test)
{
    double before = json_number(was, "speedup", 0), after = json_number(now, "speedup", 0);
    if (fewest < STATS_MIN_RUNS)
        return STATS_TOO_FEW_RUNS;
    if (test.p < 0)
        return stats_judge(before, interval_of(was), after, interval_of(now), threshold);
    return stats_judge_ranked(before, after, test.p, threshold);
}

/* Adds VARIANT's line to the verdicts of EXPERIMENT in JSON. */
static void record_verdict(cJSON *json, const char *experiment, const char *variant, double before,
                           double after, struct stats_rank_test test, enum stats_verdict verdict,
                           const char *machine)
{
    cJSON *group = cJSON_GetObjectItemCaseSensitive(json, experiment);
    if (group == NULL)
        group = cJSON_AddObjectToObject(json, experiment);
    cJSON *line = cJSON_AddObjectToObject(group, variant);
    cJSON_AddNumberToObject(line, "before", before);
    cJSON_AddNumberToObject(line, "now", after);
    cJSON_AddNumberToObject(line, "ratio", before > 0 ? after / before : 0);
    if (test.p >= 0) {
        cJSON_AddNumberToObject(line, "p", test.p);
        cJSON_AddBoolToObject(line, "p_exact", test.exact);
        cJSON_AddNumberToObject(line, "p_worse", test.effect);
    } else {
        cJSON_AddNullToObject(line, "p");
        cJSON_AddNullToObject(line, "p_worse");
    }
    cJSON_AddStringToObject(line, "verdict", stats_verdict_name(verdict));
    cJSON_AddStringToObject(line, "machine_differs", machine);
}

/* Prints one line per variant of EXPERIMENT, records each in JSON, and
 * counts regressions and unjudged speedups into TALLY. */
static void compare_experiment(const cJSON *baseline, const cJSON *current, double threshold,
                               const char *machine, cJSON *json, struct compare_tally *tally)
{
    const cJSON *was;
    char p[32];
    cJSON_ArrayForEach(was, baseline)
    {
        const cJSON *now = cJSON_GetObjectItemCaseSensitive(current, was->string);
        if (now == NULL) {
            printf("%-16s %-20s %8.2f %8s %8s %9s %6s  missing now\n", baseline->string, was->string,
                   json_number(was, "speedup", 0), "-", "-", "-", "-");
            continue;
        }
        double before = json_number(was, "speedup", 0), after = json_number(now, "speedup", 0);
        /* A speedup over another variant than before measures something else. */
        if (strcmp(json_text(was, "baseline"), json_text(now, "baseline")) != 0) {
            printf("%-16s %-20s %8.2f %8.2f %8s %9s %6s  not compared: over %s then, over %s now\n",
                   baseline->string, was->string, before, after, "-", "-", "-",
                   json_text(was, "baseline"), json_text(now, "baseline"));
            tally->unjudged++;
            continue;
        }
        double fewest = runs_behind(baseline, was);
        if (runs_behind(current, now) < fewest)
            fewest = runs_behind(current, now);
        struct stats_rank_test test = rank_speedups(was, now);
        enum stats_verdict verdict = judge_speedup(was, now, fewest, threshold, test);
        tally->by_intervals += test.p < 0 && verdict != STATS_TOO_FEW_RUNS;
        /* CPython's speedups are the reference beside conclab's: a change
         * there says the machine or the interpreter changed, not this code. */
        bool reference = is_python(was->string);
        tally->regressions += verdict == STATS_REGRESSION && !reference;
        tally->unjudged += verdict == STATS_TOO_FEW_RUNS;
        char worse[16] = "-";
        if (test.p >= 0)
            snprintf(worse, sizeof worse, "%.2f", test.effect);
        printf("%-16s %-20s %8.2f %8.2f %+7.1f%% %9s %6s  %s%s%s%s%s\n", baseline->string, was->string,
               before, after, 100 * (after / before - 1), p_text(test.p, p, sizeof p), worse,
               stats_verdict_name(verdict),
               reference && verdict == STATS_REGRESSION ? " (CPython: shown, not counted)" : "",
               *machine ? " [machine differs: " : "", machine, *machine ? "]" : "");
        record_verdict(json, baseline->string, was->string, before, after, test, verdict, machine);
    }
}

static int compare(const char *baseline_path, const char *current_path, double threshold,
                   const char *json_path)
{
    cJSON *baseline = json_read(baseline_path, false), *current = json_read(current_path, false);
    const cJSON *meta_then = cJSON_GetObjectItemCaseSensitive(baseline, "meta");
    const cJSON *meta_now = cJSON_GetObjectItemCaseSensitive(current, "meta");
    warn_if_other_machine(baseline, current);
    printf("%-16s %-20s %8s %8s %8s %9s %6s  %s\n", "experiment", "variant", "baseline", "now", "change",
           "p", "worse", "verdict");
    struct compare_tally tally = {0};
    cJSON *verdicts = cJSON_CreateObject();
    const cJSON *experiment;
    char machine[1024];
    cJSON_ArrayForEach(experiment, cJSON_GetObjectItemCaseSensitive(baseline, "experiments"))
    {
        const cJSON *now = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(current, "experiments"), experiment->string);
        if (now == NULL) {
            printf("%-16s (not in this run)\n", experiment->string);
            continue;
        }
        machine_note(meta_then, meta_now, experiment->string, machine, sizeof machine);
        compare_experiment(experiment, now, threshold, machine, verdicts, &tally);
    }
    printf("%d regression%s (threshold %.0f%%, Mann-Whitney p < %g; intervals: %s)\n", tally.regressions,
           tally.regressions == 1 ? "" : "s", 100 * threshold, STATS_SIGNIFICANCE,
           json_text(current, "ci_method"));
    printf("p: Mann-Whitney U test of the runs' speedups then and now; worse: the chance that a run "
           "now has a lower speedup than one then (0.5: no change)\n");
    if (tally.by_intervals > 0)
        printf("%d speedup%s judged by the intervals alone: a summary without the runs' speedups "
               "(made before they were kept)\n",
               tally.by_intervals, tally.by_intervals == 1 ? "" : "s");
    if (tally.unjudged > 0)
        printf("%d speedup%s judged: fewer than %d runs (time with --runs %d or more), or "
               "over another baseline variant than before\n",
               tally.unjudged, tally.unjudged == 1 ? " not" : "s not", STATS_MIN_RUNS, 2 * STATS_MIN_RUNS);
    if (json_path != NULL) {
        cJSON *out = cJSON_CreateObject();
        cJSON_AddNumberToObject(out, "threshold", threshold);
        cJSON_AddNumberToObject(out, "significance", STATS_SIGNIFICANCE);
        cJSON_AddStringToObject(out, "test", "Mann-Whitney U of the runs' speedups, two-sided");
        cJSON_AddNumberToObject(out, "regressions", tally.regressions);
        cJSON_AddItemToObject(out, "experiments", verdicts);
        verdicts = NULL;
        json_write(json_path, out);
        cJSON_Delete(out);
    }
    cJSON_Delete(verdicts);
    cJSON_Delete(baseline);
    cJSON_Delete(current);
    return tally.regressions > 0 ? EXIT_WRONG : EXIT_RIGHT;
}

/* Reads --threshold=PERCENT and --json=FILE from ARGV[0..ARGC) into
 * *THRESHOLD (a fraction) and *JSON_PATH. */
static void compare_options(int argc, char **argv, double *threshold, const char **json_path)
{
    char why[128];
    for (int i = 0; i < argc; i++) {
        long long percent;
        if (strncmp(argv[i], "--threshold=", 12) == 0) {
            if (!cli_parse_integer(argv[i] + 12, 0, 100, &percent, why, sizeof why))
                fail_usage("--threshold: expected --threshold=PERCENT, an integer from 0 to 100");
            *threshold = (double)percent / 100;
        } else if (strncmp(argv[i], "--json=", 7) == 0 && argv[i][7] != '\0') {
            *json_path = argv[i] + 7;
        } else {
            fail_usage("unknown option '%s' (expected --threshold=PERCENT or --json=FILE)", argv[i]);
        }
    }
}

static _Noreturn void usage(void)
{
    fail_usage("usage: conclab-results summarize RUN_DIR | compare BASELINE CURRENT "
               "[--threshold=PERCENT] [--json=FILE] | ab DIR [--threshold=PERCENT] | lessons RUN_DIR [EXPERIMENT] | lessons --check FILE... | "
               "html RUN_DIR [EXPERIMENT...] | history FILE [--min-segment=N] [--threshold=PERCENT]");
}

int main(int argc, char **argv)
{
    fail_set_program("conclab-results");
    if (argc == 3 && strcmp(argv[1], "summarize") == 0)
        return summarize(argv[2]);
    if (argc >= 4 && argc <= 6 && strcmp(argv[1], "compare") == 0) {
        double threshold = 0.10;
        const char *json_path = NULL;
        compare_options(argc - 4, argv + 4, &threshold, &json_path);
        return compare(argv[2], argv[3], threshold, json_path);
    }
    if (argc >= 3 && argc <= 4 && strcmp(argv[1], "ab") == 0) {
        double threshold = 0.10;
        const char *unused = NULL;
        compare_options(argc - 3, argv + 3, &threshold, &unused);
        return ab_command(argv[2], threshold);
    }
    if (argc >= 2 && strcmp(argv[1], "lessons") == 0)
        return lessons_command(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "history") == 0)
        return history_command(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "html") == 0)
        return html_command(argc - 2, argv + 2);
    usage();
}
