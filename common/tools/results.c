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
 *   conclab-results compare BASELINE CURRENT [--threshold=PERCENT]
 *       prints experiment, variant, baseline speedup, now, change, verdict; exits 1
 *       when any speedup fell by more than PERCENT (default 10) with intervals
 *       that do not overlap, 0 otherwise, 2 on bad input.  A speedup from fewer
 *       than STATS_MIN_RUNS runs, or over another baseline variant than in
 *       BASELINE, gets no verdict; CPython's (py-*) are judged
 *       but never counted: they are the reference, not conclab's code.  Warns when the two
 *       summaries come from machines with other CPUs or core counts.
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
#include "html.h"
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

/* Prints one line per variant of EXPERIMENT; returns the regressions found
 * and adds to *UNJUDGED the speedups with too few runs for a verdict. */
static int compare_experiment(const cJSON *baseline, const cJSON *current, double threshold,
                              int *unjudged)
{
    int regressions = 0;
    const cJSON *was;
    cJSON_ArrayForEach(was, baseline)
    {
        const cJSON *now = cJSON_GetObjectItemCaseSensitive(current, was->string);
        if (now == NULL) {
            printf("%-16s %-20s %8.2f %8s %8s  missing now\n", baseline->string, was->string,
                   json_number(was, "speedup", 0), "-", "-");
            continue;
        }
        double before = json_number(was, "speedup", 0), after = json_number(now, "speedup", 0);
        /* A speedup over another variant than before measures something else. */
        if (strcmp(json_text(was, "baseline"), json_text(now, "baseline")) != 0) {
            printf("%-16s %-20s %8.2f %8.2f %8s  not compared: over %s then, over %s now\n",
                   baseline->string, was->string, before, after, "-", json_text(was, "baseline"),
                   json_text(now, "baseline"));
            ++*unjudged;
            continue;
        }
        double fewest = runs_behind(baseline, was);
        if (runs_behind(current, now) < fewest)
            fewest = runs_behind(current, now);
        enum stats_verdict verdict =
            fewest < STATS_MIN_RUNS
                ? STATS_TOO_FEW_RUNS
                : stats_judge(before, interval_of(was), after, interval_of(now), threshold);
        /* CPython's speedups are the reference beside conclab's: a change
         * there says the machine or the interpreter changed, not this code. */
        bool reference = is_python(was->string);
        regressions += verdict == STATS_REGRESSION && !reference;
        *unjudged += verdict == STATS_TOO_FEW_RUNS;
        printf("%-16s %-20s %8.2f %8.2f %+7.1f%%  %s%s\n", baseline->string, was->string, before,
               after, 100 * (after / before - 1), stats_verdict_name(verdict),
               reference && verdict == STATS_REGRESSION ? " (CPython: shown, not counted)" : "");
    }
    return regressions;
}

static int compare(const char *baseline_path, const char *current_path, double threshold)
{
    cJSON *baseline = json_read(baseline_path, false), *current = json_read(current_path, false);
    warn_if_other_machine(baseline, current);
    printf("%-16s %-20s %8s %8s %8s  %s\n", "experiment", "variant", "baseline", "now", "change",
           "verdict");
    int regressions = 0, unjudged = 0;
    const cJSON *experiment;
    cJSON_ArrayForEach(experiment, cJSON_GetObjectItemCaseSensitive(baseline, "experiments"))
    {
        const cJSON *now = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(current, "experiments"), experiment->string);
        if (now == NULL)
            printf("%-16s (not in this run)\n", experiment->string);
        else
            regressions += compare_experiment(experiment, now, threshold, &unjudged);
    }
    printf("%d regression%s (threshold %.0f%%, intervals: %s)\n", regressions,
           regressions == 1 ? "" : "s", 100 * threshold, json_text(current, "ci_method"));
    if (unjudged > 0)
        printf("%d speedup%s judged: fewer than %d runs (time with --runs %d or more), or "
               "over another baseline variant than before\n",
               unjudged, unjudged == 1 ? " not" : "s not", STATS_MIN_RUNS, 2 * STATS_MIN_RUNS);
    cJSON_Delete(baseline);
    cJSON_Delete(current);
    return regressions > 0 ? EXIT_WRONG : EXIT_RIGHT;
}

static _Noreturn void usage(void)
{
    fail_usage("usage: conclab-results summarize RUN_DIR | compare BASELINE CURRENT "
               "[--threshold=PERCENT] | lessons RUN_DIR [EXPERIMENT] | lessons --check FILE... | "
               "html RUN_DIR [EXPERIMENT...]");
}

int main(int argc, char **argv)
{
    fail_set_program("conclab-results");
    if (argc == 3 && strcmp(argv[1], "summarize") == 0)
        return summarize(argv[2]);
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "compare") == 0) {
        long long percent = 10;
        char why[128];
        if (argc == 5 && (strncmp(argv[4], "--threshold=", 12) != 0 ||
                          !cli_parse_integer(argv[4] + 12, 0, 100, &percent, why, sizeof why)))
            fail_usage("--threshold: expected --threshold=PERCENT, an integer from 0 to 100");
        return compare(argv[2], argv[3], (double)percent / 100);
    }
    if (argc >= 2 && strcmp(argv[1], "lessons") == 0)
        return lessons_command(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "html") == 0)
        return html_command(argc - 2, argv + 2);
    usage();
}
