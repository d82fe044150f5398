#include "ab.h"

#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "fail.h"
#include "json_file.h"
#include "machine.h"
#include "stats.h"

enum { RESAMPLES = 2000 };
static const uint64_t BOOTSTRAP_SEED = 20190101;

struct samples {
    double *values;
    size_t n;
};

/* The times at NAME of a variant's entry in ab.json; a missing, empty or
 * non-numeric list is bad input (exit 2). */
static struct samples samples_at(const cJSON *variant, const char *name, const char *path)
{
    const cJSON *array = cJSON_GetObjectItemCaseSensitive(variant, name);
    struct samples s = {.n = (size_t)cJSON_GetArraySize(array)};
    if (!cJSON_IsArray(array) || s.n == 0)
        fail_usage("%s: %s has no times \"%s\"", path, variant->string, name);
    s.values = malloc(s.n * sizeof *s.values);
    if (s.values == NULL)
        fail_wrong("out of memory");
    size_t i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, array)
    {
        if (!cJSON_IsNumber(item) || item->valuedouble <= 0)
            fail_usage("%s: %s: a time that is not a positive number", path, variant->string);
        s.values[i++] = item->valuedouble;
    }
    return s;
}

/* B against A for one variant: prints its line, returns its summary. */
static cJSON *judge_variant(const char *experiment, const cJSON *variant, double threshold,
                            const char *path, const char *busy, enum stats_verdict *verdict)
{
    struct samples a = samples_at(variant, "a", path), b = samples_at(variant, "b", path);
    double median_a = stats_median(a.values, a.n), median_b = stats_median(b.values, b.n);
    double ratio = median_b / median_a;
    /* median(B) / median(A): the "speedup" of B as base over A. */
    struct stats_interval ci = stats_speedup_interval(b.values, b.n, a.values, a.n, RESAMPLES, BOOTSTRAP_SEED);
    struct stats_rank_test test = stats_mann_whitney(b.values, b.n, a.values, a.n);
    size_t fewest = a.n < b.n ? a.n : b.n;
    /* As a speedup of B over A (1 / ratio), the judgement is compare's. */
    *verdict = fewest < STATS_MIN_RUNS ? STATS_TOO_FEW_RUNS
               : test.p >= STATS_SIGNIFICANCE ? STATS_SAME
               : ratio > 1 + threshold       ? STATS_REGRESSION
               : ratio < 1 - threshold       ? STATS_IMPROVEMENT
                                             : STATS_SAME;
    char p[32];
    snprintf(p, sizeof p, "%.2g", test.p);
    printf("%-16s %-20s %8.4f %8.4f %6.3f [%5.3f-%5.3f] %9s %6.2f  %s%s%s%s\n", experiment, variant->string,
           median_a, median_b, ratio, ci.low, ci.high, p, test.effect, stats_verdict_name(*verdict),
           *busy ? " [machine busy: " : "", busy, *busy ? "]" : "");
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "runs_a", (double)a.n);
    cJSON_AddNumberToObject(out, "runs_b", (double)b.n);
    cJSON_AddNumberToObject(out, "median_a_s", median_a);
    cJSON_AddNumberToObject(out, "median_b_s", median_b);
    cJSON_AddNumberToObject(out, "ratio", ratio);
    cJSON_AddNumberToObject(out, "ratio_low", ci.low);
    cJSON_AddNumberToObject(out, "ratio_high", ci.high);
    cJSON_AddNumberToObject(out, "p", test.p);
    cJSON_AddBoolToObject(out, "p_exact", test.exact);
    cJSON_AddNumberToObject(out, "p_slower", test.effect);
    cJSON_AddStringToObject(out, "verdict", stats_verdict_name(*verdict));
    cJSON_AddStringToObject(out, "machine_busy", busy);
    free(a.values);
    free(b.values);
    return out;
}

int ab_command(const char *dir, double threshold)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/ab.json", dir);
    cJSON *ab = json_read(path, false);
    const cJSON *experiments = cJSON_GetObjectItemCaseSensitive(ab, "experiments");
    if (!cJSON_IsObject(experiments))
        fail_usage("%s: no \"experiments\" object", path);
    cJSON *summary = cJSON_CreateObject();
    char meta_path[4096];
    snprintf(meta_path, sizeof meta_path, "%s/meta.json", dir);
    cJSON_AddItemToObject(summary, "meta", json_read(meta_path, true));
    cJSON_AddStringToObject(summary, "method",
                            "A and B interleaved per variant; ratio median(B)/median(A) with a 95% "
                            "percentile bootstrap interval (2000 resamples, fixed seed); p: two-sided "
                            "Mann-Whitney U test of B's times against A's");
    cJSON_AddNumberToObject(summary, "threshold", threshold);
    cJSON_AddNumberToObject(summary, "significance", STATS_SIGNIFICANCE);
    cJSON *out = cJSON_AddObjectToObject(summary, "experiments");
    printf("%-16s %-20s %8s %8s %6s %13s %9s %6s  %s\n", "experiment", "variant", "A (s)", "B (s)", "B/A",
           "95% interval", "p", "slower", "verdict");
    int regressions = 0, unjudged = 0;
    const cJSON *experiment, *variant;
    char busy[512];
    cJSON_ArrayForEach(experiment, experiments)
    {
        /* A and B shared the machine's state; a busy one is still said. */
        busy[0] = '\0';
        machine_busy_note(cJSON_GetObjectItemCaseSensitive(summary, "meta"), experiment->string, "during it",
                          busy, sizeof busy);
        cJSON *group = cJSON_AddObjectToObject(out, experiment->string);
        cJSON_ArrayForEach(variant, experiment)
        {
            enum stats_verdict verdict;
            cJSON_AddItemToObject(group, variant->string,
                                  judge_variant(experiment->string, variant, threshold, path, busy, &verdict));
            regressions += verdict == STATS_REGRESSION;
            unjudged += verdict == STATS_TOO_FEW_RUNS;
        }
    }
    cJSON_AddNumberToObject(summary, "regressions", regressions);
    printf("%d regression%s (threshold %.0f%%, Mann-Whitney p < %g); B/A > 1: B (this tree) is slower; "
           "slower: the chance that a run of B is slower than one of A (0.5: no change)\n",
           regressions, regressions == 1 ? "" : "s", 100 * threshold, STATS_SIGNIFICANCE);
    if (unjudged > 0)
        printf("%d variant%s judged: fewer than %d rounds (time with --runs %d or more)\n", unjudged,
               unjudged == 1 ? " not" : "s not", STATS_MIN_RUNS, 2 * STATS_MIN_RUNS);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    json_write(path, summary);
    cJSON_Delete(summary);
    cJSON_Delete(ab);
    return regressions > 0 ? EXIT_WRONG : EXIT_RIGHT;
}
