/* conclab-results — turns a run's hyperfine exports into speedups with
 * confidence intervals, and holds a run against a baseline.
 *
 *   conclab-results summarize RUN_DIR
 *       reads RUN_DIR/meta.json and RUN_DIR/<experiment>/hyperfine.json, writes
 *       RUN_DIR/summary.json: per experiment and variant the median, mean and
 *       standard deviation of the runs, and the speedup over the experiment's
 *       baseline variant (the first C variant, i.e. the first of --list; for
 *       CPython's py-* variants the first py-* one) with a 95 % interval from a
 *       percentile bootstrap of the ratio of medians (2000 resamples, fixed seed).
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
#include "stats.h"

enum { RESAMPLES = 2000 };
static const uint64_t BOOTSTRAP_SEED = 20190101;
static const char CI_METHOD[] =
    "95% percentile bootstrap of median(baseline)/median(variant), 2000 resamples, fixed seed";

/* ---- files ---------------------------------------------------------------- */

static cJSON *read_json(const char *path, bool missing_ok)
{
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        if (missing_ok && (errno == ENOENT || errno == ENOTDIR))
            return NULL;
        fail_usage("%s: %s", path, strerror(errno));
    }
    char *text = NULL;
    size_t size = 0;
    FILE *buffer = open_memstream(&text, &size);
    if (buffer == NULL)
        fail_sys("open_memstream");
    int c;
    while ((c = fgetc(file)) != EOF)
        fputc(c, buffer);
    bool read_error = ferror(file);
    fclose(file);
    fclose(buffer);
    if (read_error)
        fail_usage("%s: read error", path);
    cJSON *json = cJSON_Parse(text);
    free(text);
    if (json == NULL)
        fail_usage("%s: not valid JSON", path);
    return json;
}

/* Writes JSON to PATH through a temporary file, so PATH is whole or absent. */
static void write_json(const char *path, const cJSON *json)
{
    char temporary[4096 + 8];
    snprintf(temporary, sizeof temporary, "%s.new", path);
    char *text = cJSON_Print(json);
    FILE *file = fopen(temporary, "w");
    if (text == NULL || file == NULL)
        fail_sys(temporary);
    bool ok = fputs(text, file) >= 0 && fputc('\n', file) != EOF;
    ok &= fclose(file) == 0;
    cJSON_free(text);
    if (!ok)
        fail_sys(temporary);
    if (rename(temporary, path) != 0)
        fail_sys("rename");
}

static double number_at(const cJSON *object, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsNumber(item) ? item->valuedouble : 0;
}

static const char *text_at(const cJSON *object, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsString(item) ? item->valuestring : "";
}

/* ---- summarize ------------------------------------------------------------ */

struct sample {
    const char *name;
    double *times;
    size_t n;
};

static struct sample read_sample(const cJSON *result, const char *path)
{
    const cJSON *times = cJSON_GetObjectItemCaseSensitive(result, "times");
    struct sample sample = {.name = text_at(result, "command"),
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

static bool is_python(const char *variant) { return strncmp(variant, "py-", 3) == 0; }

static cJSON *summarize_experiment(const char *path)
{
    cJSON *export = read_json(path, true);
    if (export == NULL)
        return NULL;
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(export, "results");
    size_t n = (size_t)cJSON_GetArraySize(results);
    struct sample *samples = calloc(n ? n : 1, sizeof *samples);
    if (samples == NULL)
        fail_wrong("out of memory");
    size_t i = 0, c_base = n, py_base = n;
    const cJSON *result;
    cJSON_ArrayForEach(result, results)
    {
        samples[i] = read_sample(result, path);
        if (is_python(samples[i].name) ? py_base == n : c_base == n)
            *(is_python(samples[i].name) ? &py_base : &c_base) = i;
        i++;
    }
    cJSON *variants = cJSON_CreateObject();
    for (i = 0; i < n; i++) {
        const struct sample *base = &samples[is_python(samples[i].name) ? py_base : c_base];
        cJSON_AddItemToObject(variants, samples[i].name, summarize_variant(&samples[i], base));
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
    cJSON_AddItemToObject(summary, "meta", read_json(path, false));
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
    snprintf(path, sizeof path, "%s/summary.json", run_dir);
    write_json(path, summary);
    cJSON_Delete(summary);
    return EXIT_RIGHT;
}

/* ---- compare -------------------------------------------------------------- */

static struct stats_interval interval_of(const cJSON *variant)
{
    return (struct stats_interval){number_at(variant, "speedup_low"),
                                   number_at(variant, "speedup_high")};
}

static void warn_if_other_machine(const cJSON *baseline, const cJSON *current)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(baseline, "meta");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(current, "meta");
    if (number_at(a, "cores") != number_at(b, "cores") ||
        strcmp(text_at(a, "cpu"), text_at(b, "cpu")) != 0)
        printf("warning: the baseline comes from another machine (%s, %.0f cores; now %s, %.0f "
               "cores): speedups there are not comparable\n",
               text_at(a, "cpu"), number_at(a, "cores"), text_at(b, "cpu"), number_at(b, "cores"));
}

/* The fewest runs behind VARIANT's speedup in EXPERIMENT: its own or its
 * baseline's. */
static double runs_behind(const cJSON *experiment, const cJSON *variant)
{
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(experiment, text_at(variant, "baseline"));
    double own = number_at(variant, "runs");
    double base_runs = base != NULL ? number_at(base, "runs") : 0;
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
                   number_at(was, "speedup"), "-", "-");
            continue;
        }
        double before = number_at(was, "speedup"), after = number_at(now, "speedup");
        /* A speedup over another variant than before measures something else. */
        if (strcmp(text_at(was, "baseline"), text_at(now, "baseline")) != 0) {
            printf("%-16s %-20s %8.2f %8.2f %8s  not compared: over %s then, over %s now\n",
                   baseline->string, was->string, before, after, "-", text_at(was, "baseline"),
                   text_at(now, "baseline"));
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
    cJSON *baseline = read_json(baseline_path, false), *current = read_json(current_path, false);
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
           regressions == 1 ? "" : "s", 100 * threshold, text_at(current, "ci_method"));
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
               "[--threshold=PERCENT]");
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
    usage();
}
