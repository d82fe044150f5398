/* stats — the few statistics that results need: medians, spreads, a
 * confidence interval for a speedup, and the verdict on a change. */
#ifndef CONCLAB_STATS_H
#define CONCLAB_STATS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Median of VALUES[0..N), N >= 1; VALUES is left as it was. */
double stats_median(const double *values, size_t n);

/* The nearest-rank percentile P (0 < P <= 100) of VALUES[0..N), N >= 1:
 * the smallest value with at least P % of the values at or below it (P = 50
 * of an even count is the lower middle value, not the median's mean of the
 * two).  VALUES is left as it was. */
double stats_percentile(const double *values, size_t n, double p);

/* Arithmetic mean of VALUES[0..N), N >= 1. */
double stats_mean(const double *values, size_t n);

/* Sample standard deviation (divisor N - 1); 0 when N < 2. */
double stats_stddev(const double *values, size_t n);

struct stats_interval {
    double low, high;
};

/* The 95 % percentile-bootstrap interval of the speedup
 * median(BASE) / median(VARIANT): RESAMPLES times, each sample is redrawn
 * with replacement, the ratio of the redrawn medians recorded; the interval
 * spans the 2.5th to the 97.5th percentile of those ratios.  The random
 * stream starts from SEED, so the same times always give the same interval.
 * N_BASE, N_VARIANT >= 1; RESAMPLES >= 40. */
struct stats_interval stats_speedup_interval(const double *base, size_t n_base,
                                             const double *variant, size_t n_variant,
                                             unsigned resamples, uint64_t seed);

enum stats_verdict { STATS_SAME, STATS_REGRESSION, STATS_IMPROVEMENT, STATS_TOO_FEW_RUNS };

/* Fewer runs than this on either side get no verdict (STATS_TOO_FEW_RUNS):
 * the bootstrapped median of 3 or 4 times takes only a handful of values,
 * so its "95 %" interval is far too narrow, and two runs of the same build
 * on a busy machine would be called a regression (seen: 4 of 104 speedups
 * between two --quick runs of 3). */
#define STATS_MIN_RUNS 5

/* Judges a speedup NOW against BASELINE.  A regression needs both: NOW is
 * lower by more than THRESHOLD (a fraction: 0.10 for 10 %), and NOW's whole
 * interval lies below BASELINE's, so noise alone cannot trip it.  An
 * improvement is the mirror image.  Anything else is STATS_SAME. */
enum stats_verdict stats_judge(double baseline, struct stats_interval baseline_ci, double now,
                               struct stats_interval now_ci, double threshold);

/* The Mann–Whitney U test of two independent samples A and B (run times):
 * does one tend to be larger than the other?  U counts the pairs (a, b)
 * with a > b, a tie counting one half; its two-sided p-value is exact when
 * there is no tie and both samples hold at most STATS_EXACT_MAX values (the
 * permutation distribution of U, counted), else from the normal
 * approximation with the tie correction of the variance and a continuity
 * correction of 0.5.  EFFECT is U / (N_A N_B), the common-language effect
 * size: the chance that a value drawn from A is larger than one drawn from
 * B (ties counting half); 0.5 means no tendency either way.  It makes no
 * assumption on the shape of either distribution, which suits run times
 * (skewed, with a long tail of hiccups).  N_A, N_B >= 1. */
struct stats_rank_test {
    double u;      /* U of A */
    double p;      /* two-sided p-value */
    double effect; /* U / (N_A N_B) */
    int exact;     /* 1 when p is exact, 0 when from the normal approximation */
};

#define STATS_EXACT_MAX 20

struct stats_rank_test stats_mann_whitney(const double *a, size_t n_a, const double *b, size_t n_b);

/* A change counts only with p below this (docs/results.md): with 5 runs a
 * side the smallest two-sided p there is, for samples that do not overlap
 * at all, is 2 / C(10, 5) = 0.0079, so a quick run can still reach it. */
#define STATS_SIGNIFICANCE 0.01

/* Judges a change of a ratio from BEFORE to NOW (speedups: larger is
 * better) by a threshold and a rank test: a regression when NOW is lower by
 * more than THRESHOLD (a fraction) and P < STATS_SIGNIFICANCE; an
 * improvement is the mirror image; anything else is STATS_SAME. */
enum stats_verdict stats_judge_ranked(double before, double now, double p, double threshold);

/* "same", "REGRESSION", "improved" or "too few runs". */
const char *stats_verdict_name(enum stats_verdict verdict);

#ifdef __cplusplus
}
#endif

#endif
