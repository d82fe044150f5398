/* ab — the verdicts of run_all.sh --ab: two builds, A (another revision)
 * and B (this tree), timed interleaved, variant by variant.
 */
#ifndef CONCLAB_AB_H
#define CONCLAB_AB_H

/* Reads DIR/ab.json, {"experiments": {E: {V: {"a": [seconds...], "b":
 * [seconds...]}}}}, and DIR/meta.json; prints per variant the medians of A
 * and B, B/A with its 95 % bootstrap interval, the p of a Mann-Whitney U
 * test of the two samples, the chance that a run of B is slower than one of
 * A, and the verdict, with a note when the machine was busy (a load average
 * above the cores, a tenth of the time stolen: meta.json's "load"); writes
 * the same to DIR/summary.json.  B is a
 * REGRESSION when B/A > 1 + THRESHOLD and p < STATS_SIGNIFICANCE, improved
 * when B/A < 1 - THRESHOLD and p < STATS_SIGNIFICANCE.  Returns 1 when a
 * variant regressed, 0 otherwise; bad input exits 2. */
int ab_command(const char *dir, double threshold);

#endif
