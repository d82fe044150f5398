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

/* U of A: the pairs (a, b) with a > b, a tie counting one half. */
static double u_statistic(const double *a, size_t n_a, const double *b, size_t n_b)
{
    double u = 0;
    for (size_t i = 0; i < n_a; i++)
        for (size_t j = 0; j < n_b; j++)
            u += a[i] > b[j] ? 1 : a[i] == b[j] ? 0.5 : 0;
    return u;
}

/* The sum of t^3 - t over the groups of tied values of A and B pooled
 * (0 when all differ): what ties take from U's variance. */
static double tie_term(const double *a, size_t n_a, const double *b, size_t n_b)
{
    size_t n = n_a + n_b;
    double *pooled = malloc(n * sizeof *pooled);
    if (pooled == NULL)
        fail_wrong("out of memory for %zu values", n);
    memcpy(pooled, a, n_a * sizeof *pooled);
    memcpy(pooled + n_a, b, n_b * sizeof *pooled);
    qsort(pooled, n, sizeof *pooled, compare_doubles);
    double term = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && pooled[j] == pooled[i])
            j++;
        double t = (double)(j - i);
        term += t * t * t - t;
        i = j;
    }
    free(pooled);
    return term;
}

/* The exact two-sided p of U = U_OBSERVED (a whole number) for samples of
 * M and N values without ties: the number of orderings of the pooled
 * values that give each U, counted by the recursion on the largest value
 * (from A it beats all N values of B, from B none):
 * count(m, n, u) = count(m - 1, n, u - n) + count(m, n - 1, u).  The counts
 * stay below C(40, 20) < 2^53, exact in a double. */
static double exact_p(size_t m, size_t n, double u_observed)
{
    size_t width = m * n + 1;
    double *count = calloc((m + 1) * (n + 1) * width, sizeof *count);
    if (count == NULL)
        fail_wrong("out of memory for the exact distribution of U");
#define COUNT(i, j, u) count[((i) * (n + 1) + (j)) * width + (u)]
    for (size_t i = 0; i <= m; i++)
        for (size_t j = 0; j <= n; j++) {
            if (i == 0 || j == 0) {
                COUNT(i, j, 0) = 1;
                continue;
            }
            for (size_t u = 0; u <= i * j; u++)
                COUNT(i, j, u) = (u >= j ? COUNT(i - 1, j, u - j) : 0) + (u <= i * (j - 1) ? COUNT(i, j - 1, u) : 0);
        }
    double total = 0, lower = 0, upper = 0;
    for (size_t u = 0; u < width; u++) {
        double c = COUNT(m, n, u);
        total += c;
        lower += (double)u <= u_observed ? c : 0;
        upper += (double)u >= u_observed ? c : 0;
    }
#undef COUNT
    free(count);
    double p = 2 * (lower < upper ? lower : upper) / total;
    return p < 1 ? p : 1;
}

/* The two-sided p of U from the normal approximation: mean M N / 2,
 * variance M N / 12 ((M + N + 1) - TIES / ((M + N)(M + N - 1))), and a
 * continuity correction of one half toward the mean. */
static double normal_p(size_t m, size_t n, double u, double ties)
{
    double mn = (double)m * (double)n, total = (double)(m + n);
    double variance = mn / 12 * ((total + 1) - ties / (total * (total - 1)));
    if (variance <= 0) /* every value equal: nothing tells the samples apart */
        return 1;
    double distance = fabs(u - mn / 2) - 0.5;
    if (distance <= 0)
        return 1;
    return erfc(distance / sqrt(variance) / sqrt(2.0));
}

struct stats_rank_test stats_mann_whitney(const double *a, size_t n_a, const double *b, size_t n_b)
{
    struct stats_rank_test test = {.u = u_statistic(a, n_a, b, n_b)};
    test.effect = test.u / ((double)n_a * (double)n_b);
    double ties = tie_term(a, n_a, b, n_b);
    test.exact = ties == 0 && n_a <= STATS_EXACT_MAX && n_b <= STATS_EXACT_MAX;
    test.p = test.exact ? exact_p(n_a, n_b, test.u) : normal_p(n_a, n_b, test.u, ties);
    return test;
}

enum stats_verdict stats_judge_ranked(double before, double now, double p, double threshold)
{
    if (p >= STATS_SIGNIFICANCE)
        return STATS_SAME;
    if (now < before * (1 - threshold))
        return STATS_REGRESSION;
    if (now > before * (1 + threshold))
        return STATS_IMPROVEMENT;
    return STATS_SAME;
}

const char *stats_verdict_name(enum stats_verdict verdict)
{
    static const char *const names[] = {"same", "REGRESSION", "improved", "too few runs"};
    return names[verdict];
}
