#include "history.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "fail.h"
#include "json_file.h"
#include "stats.h"

/* One speedup of one run, as history.jsonl holds it. */
struct point {
    char *series; /* "experiment variant (host, size)" */
    char *run, *commit;
    double speedup;
};

struct points {
    struct point *items;
    size_t n, capacity;
};

static char *copy_text(const char *text)
{
    char *copy = strdup(text);
    if (copy == NULL)
        fail_wrong("out of memory");
    return copy;
}

static void add_point(struct points *points, const cJSON *record)
{
    const cJSON *speedup = cJSON_GetObjectItemCaseSensitive(record, "speedup");
    const char *variant = json_text(record, "variant");
    /* A baseline's speedup over itself is 1 by definition: no series. */
    if (!cJSON_IsNumber(speedup) || !*variant || strcmp(variant, json_text(record, "baseline")) == 0)
        return;
    if (points->n == points->capacity) {
        points->capacity = points->capacity ? 2 * points->capacity : 64;
        points->items = realloc(points->items, points->capacity * sizeof *points->items);
        if (points->items == NULL)
            fail_wrong("out of memory");
    }
    char series[512];
    snprintf(series, sizeof series, "%s %s (%s, %s)", json_text(record, "experiment"), variant,
             json_text(record, "host"), json_text(record, "size"));
    points->items[points->n++] = (struct point){.series = copy_text(series),
                                                .run = copy_text(json_text(record, "run")),
                                                .commit = copy_text(json_text(record, "git_commit")),
                                                .speedup = speedup->valuedouble};
}

/* Every speedup of FILE in the file's order; a line that is no JSON object
 * is skipped. */
static struct points read_points(const char *path)
{
    FILE *file = fopen(path, "r");
    if (file == NULL)
        fail_usage("%s: %s", path, strerror(errno));
    struct points points = {0};
    char *line = NULL;
    size_t size = 0;
    while (getline(&line, &size, file) != -1) {
        cJSON *record = cJSON_Parse(line);
        if (cJSON_IsObject(record))
            add_point(&points, record);
        cJSON_Delete(record);
    }
    if (ferror(file))
        fail_wrong("%s: read: %s", path, strerror(errno));
    free(line);
    fclose(file);
    return points;
}

static double squared_deviations(const double *x, size_t n)
{
    double mean = stats_mean(x, n), sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (x[i] - mean) * (x[i] - mean);
    return sum;
}

struct search {
    const char *series;
    const struct point *const *at; /* the series' points, in order */
    const double *x;
    size_t min_segment;
    double threshold;
    int steps;
};

static void print_step(struct search *s, size_t lo, size_t k, size_t hi, double p)
{
    double before = stats_median(s->x + lo, k - lo), after = stats_median(s->x + k, hi - k);
    printf("%s: step after run %s (commit %.12s) to run %s (commit %.12s): %.2f -> %.2f (%+.1f%%), "
           "%zu runs before, %zu after, p %.2g\n",
           s->series, s->at[k - 1]->run, s->at[k - 1]->commit, s->at[k]->run, s->at[k]->commit, before,
           after, 100 * (after / before - 1), k - lo, hi - k, p);
    s->steps++;
}

/* Binary segmentation of x[lo, hi). */
static void segment(struct search *s, size_t lo, size_t hi)
{
    if (hi - lo < 2 * s->min_segment)
        return;
    double whole = squared_deviations(s->x + lo, hi - lo), best_gain = 0;
    size_t best = 0;
    for (size_t k = lo + s->min_segment; k + s->min_segment <= hi; k++) {
        double gain = whole - squared_deviations(s->x + lo, k - lo) - squared_deviations(s->x + k, hi - k);
        if (gain > best_gain) {
            best_gain = gain;
            best = k;
        }
    }
    if (best == 0)
        return;
    double before = stats_median(s->x + lo, best - lo), after = stats_median(s->x + best, hi - best);
    struct stats_rank_test test = stats_mann_whitney(s->x + lo, best - lo, s->x + best, hi - best);
    bool big = after < before * (1 - s->threshold) || after > before * (1 + s->threshold);
    if (!big || test.p >= HISTORY_SIGNIFICANCE)
        return;
    segment(s, lo, best);
    print_step(s, lo, best, hi, test.p);
    segment(s, best, hi);
}

/* Steps of the series of POINTS named SERIES. */
static int steps_of(const struct points *points, const char *series, size_t min_segment, double threshold)
{
    size_t n = 0;
    const struct point **at = malloc(points->n * sizeof *at);
    double *x = malloc(points->n * sizeof *x);
    if (at == NULL || x == NULL)
        fail_wrong("out of memory");
    for (size_t i = 0; i < points->n; i++)
        if (strcmp(points->items[i].series, series) == 0) {
            at[n] = &points->items[i];
            x[n++] = points->items[i].speedup;
        }
    struct search s = {.series = series, .at = at, .x = x, .min_segment = min_segment, .threshold = threshold};
    segment(&s, 0, n);
    free(at);
    free(x);
    return s.steps;
}

int history_command(int argc, char **argv)
{
    long long min_segment = 4, percent = 10;
    char why[128];
    if (argc < 1)
        fail_usage("usage: conclab-results history FILE [--min-segment=N] [--threshold=PERCENT]");
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--min-segment=", 14) == 0) {
            if (!cli_parse_integer(argv[i] + 14, 2, 1000, &min_segment, why, sizeof why))
                fail_usage("--min-segment: expected an integer from 2 to 1000");
        } else if (strncmp(argv[i], "--threshold=", 12) == 0) {
            if (!cli_parse_integer(argv[i] + 12, 0, 100, &percent, why, sizeof why))
                fail_usage("--threshold: expected --threshold=PERCENT, an integer from 0 to 100");
        } else {
            fail_usage("history: unknown option '%s'", argv[i]);
        }
    }
    struct points points = read_points(argv[0]);
    int steps = 0;
    size_t series = 0;
    for (size_t i = 0; i < points.n; i++) {
        bool first = true;
        for (size_t j = 0; j < i && first; j++)
            first = strcmp(points.items[j].series, points.items[i].series) != 0;
        if (!first)
            continue;
        series++;
        steps += steps_of(&points, points.items[i].series, (size_t)min_segment, (double)percent / 100);
    }
    printf("%d step%s in %zu series of %s (binary segmentation: at least %lld runs a side, a change of "
           "more than %lld%%, Mann-Whitney p < %g)\n",
           steps, steps == 1 ? "" : "s", series, argv[0], min_segment, percent, HISTORY_SIGNIFICANCE);
    for (size_t i = 0; i < points.n; i++) {
        free(points.items[i].series);
        free(points.items[i].run);
        free(points.items[i].commit);
    }
    free(points.items);
    return EXIT_RIGHT;
}
