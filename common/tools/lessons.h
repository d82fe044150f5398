/* lessons — did a run show what each experiment is for?
 *
 * An experiment declares its lessons in benchmarks/<name>/lessons.json, which
 * run_all.sh copies into the experiment's folder of the run.  A lesson is a
 * number from the run held against an interval: the ratio of two variants'
 * medians from the same hyperfine call ("speedup"), or a field of a variant's
 * verification JSON, optionally divided by another's ("metric").  Its verdict
 * is shown (true), not shown (false, with why: the machine was busy, or it
 * was quiet), or not judged (null, with why: a size the lesson does not hold
 * at, too few cores, a variant that was not timed).  See docs/results.md.
 */
#ifndef CONCLAB_LESSONS_H
#define CONCLAB_LESSONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

struct lessons_tally {
    int shown;
    int not_shown; /* judged and outside the interval */
    int unjudged;  /* could not be judged: a missing variant, too few cores */
    int excused;   /* not judged at this size, as the lesson declares */
};

/* The verdicts on the lessons of EXPERIMENT in RUN_DIR (RUN_DIR/EXPERIMENT/
 * lessons.json against its hyperfine.json, verify-*.json and load.json, and
 * META, the run's meta.json), as a JSON array, empty when the experiment
 * declares no lessons.  Adds them to TALLY.  Never exits: a file that cannot
 * be read makes its lessons not judged, saying why. */
cJSON *lessons_judge(const char *run_dir, const char *experiment, const cJSON *meta,
                     struct lessons_tally *tally);

/* Adds to LESSONS (an object) one array of verdicts per experiment folder of
 * RUN_DIR that holds a lessons.json. */
void lessons_judge_run(const char *run_dir, const cJSON *meta, cJSON *lessons,
                       struct lessons_tally *tally);

/* Prints one line per verdict: PREFIX "lesson: TEXT — shown", "— NOT shown:
 * WHY" or "— WHY" (not judged). */
void lessons_print(FILE *out, const char *prefix, const cJSON *verdicts);

/* True when LESSON (one element of lessons.json's "lessons") is well formed;
 * otherwise false with the problem in WHY. */
bool lessons_valid(const cJSON *lesson, char *why, size_t why_size);

/* conclab-results lessons ...: ARGV holds the words after "lessons". */
int lessons_command(int argc, char **argv);

#endif
