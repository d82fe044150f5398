#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fail.h"

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_in_place(double *values, size_t n)
{
    qsort(values, n, sizeof *values, compare_doubles);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

static double *copy_of(const double *values, size_t n)
{
    double *copy = malloc(n * sizeof *copy);
    if (copy == NULL)
        fail_wrong("out of memory for %zu values", n);
    memcpy(copy, values, n * sizeof *copy);
    return copy;
}

double stats_median(const double *values, size_t n)
{
    double *copy = copy_of(values, n);
    double median = median_in_place(copy, n);
    free(copy);
    return median;
}

double stats_percentile(const double *values, size_t n, double p)
{
    double *copy = copy_of(values, n);
    qsort(copy, n, sizeof *copy, compare_doubles);
    /* rank = ceil(p/100 * n), within 1..n; the small allowance keeps a
     * product that is whole but rounded up (0.29 * 100 = 29.000000000000004)
     * from moving one rank up. */
    double exact = p / 100.0 * (double)n;
    size_t rank = (size_t)ceil(exact - 1e-9);
    rank = rank < 1 ? 1 : rank > n ? n : rank;
    double value = copy[rank - 1];
    free(copy);
    return value;
}

double stats_mean(const double *values, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += values[i];
    return sum / (double)n;
}

double stats_stddev(const double *values, size_t n)
{
    if (n < 2)
        return 0;
    double mean = stats_mean(values, n), squares = 0;
    for (size_t i = 0; i < n; i++)
        squares += (values[i] - mean) * (values[i] - mean);
    return sqrt(squares / (double)(n - 1));
}

/* splitmix64: a small, well-mixed generator, so that a seed fixes the stream. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Median of a resample of VALUES drawn with replacement into SCRATCH. */
static double resampled_median(const double *values, size_t n, double *scratch, uint64_t *state)
{
    for (size_t i = 0; i < n; i++)
        scratch[i] = values[next_random(state) % n];
    return median_in_place(scratch, n);
}

struct stats_interval stats_speedup_interval(const double *base, size_t n_base,
                                             const double *variant, size_t n_variant,
                                             unsigned resamples, uint64_t seed)
{
    double *ratios = malloc(resamples * sizeof *ratios);
    double *scratch = malloc((n_base > n_variant ? n_base : n_variant) * sizeof *scratch);
    if (ratios == NULL || scratch == NULL)
        fail_wrong("out of memory for %u resamples", resamples);
    uint64_t state = seed;
    for (unsigned r = 0; r < resamples; r++) {
        double base_median = resampled_median(base, n_base, scratch, &state);
        ratios[r] = base_median / resampled_median(variant, n_variant, scratch, &state);
    }
    qsort(ratios, resamples, sizeof *ratios, compare_doubles);
    struct stats_interval interval = {ratios[(size_t)(0.025 * (resamples - 1))],
                                      ratios[(size_t)ceil(0.975 * (resamples - 1))]};
    free(ratios);
    free(scratch);
    return interval;
}

enum stats_verdict stats_judge(double baseline, struct stats_interval baseline_ci, double now,
                               struct stats_interval now_ci, double threshold)
{
    if (now < baseline * (1 - threshold) && now_ci.high < baseline_ci.low)
        return STATS_REGRESSION;
    if (now > baseline * (1 + threshold) && now_ci.low > baseline_ci.high)
        return STATS_IMPROVEMENT;
    return STATS_SAME;
}

const char *stats_verdict_name(enum stats_verdict verdict)
{
    static const char *const names[] = {"same", "REGRESSION", "improved", "too few runs"};
    return names[verdict];
}
