/* history — steps (change points) in results/history.jsonl.
 */
#ifndef CONCLAB_HISTORY_H
#define CONCLAB_HISTORY_H

/* conclab-results history FILE [--min-segment=N] [--threshold=PERCENT]:
 * reads FILE, one JSON record a line as run_all.sh appends them (a line that
 * is none is skipped, as run_all.sh does), groups the speedups by
 * experiment, variant, host and size in the order of the file, and finds
 * the steps in each series by binary segmentation: the split that most
 * lowers the sum of squared deviations from the segments' means, kept when
 * both sides hold at least N runs (default 4), their medians differ by more
 * than PERCENT (default 10) and a Mann-Whitney U test of the two sides gives
 * p < HISTORY_SIGNIFICANCE; then each side is searched again.  Prints one
 * line per step: the series, the runs and commits on either side, the
 * medians before and after, the change and p.  Returns 0 (also with no
 * step), exits 2 on bad input or a missing file. */
int history_command(int argc, char **argv);

/* Each point of a series is one run's median speedup, so a segment of 4
 * runs is already 40 timings; the smallest two-sided p of 4 against 4 is
 * 2 / C(8, 4) = 0.029. */
#define HISTORY_SIGNIFICANCE 0.05

#endif
