/* contract_fake — a throw-away experiment for the tests of the tests: it keeps
 * every rule that check_experiment.sh checks, or breaks one of them when
 * CONTRACT_FAKE_MISTAKE names it, so that check_contract_test.sh can prove
 * that the generated tests catch each mistake.
 *
 * The work: add 1 for each of --steps steps, split over --workers (mode
 * split) or not (mode seq), sleeping a millisecond per step so that a large
 * run is still busy when the interrupt test signals it.  The check: the total
 * equals --steps.
 *
 * CONTRACT_FAKE_MISTAKE:
 *   two-objects    --json prints a second JSON object before the report
 *   unlisted-mode  --mode accepts "spare", which --list omits (cli itself
 *                  refuses to start such a program)
 *   broken-variant --list names a variant whose arguments are refused
 *   zero-workers   --workers admits 0, which does no work: a wrong total
 *   done-early     --size=large is over before any interrupt can come
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "fail.h"
#include "report.h"

enum mode { MODE_SEQ, MODE_SPLIT, MODE_SPARE };

static bool mistake(const char *name)
{
    const char *planted = getenv("CONTRACT_FAKE_MISTAKE");
    return planted != NULL && strcmp(planted, name) == 0;
}

static void sleep_a_millisecond(void)
{
    struct timespec pause = {0, 1000000L};
    while (nanosleep(&pause, &pause) != 0)
        if (errno != EINTR)
            fail_sys("nanosleep");
}

/* The steps one worker of N adds: an equal share, the first ones one more. */
static long long share(long long steps, long long workers, long long worker)
{
    return steps / workers + (worker < steps % workers);
}

static long long run(int mode, long long steps, long long workers)
{
    long long total = 0, parts = mode == MODE_SPLIT ? workers : 1;
    for (long long worker = 0; worker < parts; worker++)
        for (long long step = 0; step < share(steps, parts, worker); step++) {
            sleep_a_millisecond();
            total++;
        }
    return total;
}

int main(int argc, char **argv)
{
    static const char *const listed_modes[] = {"seq", "split", NULL};
    static const char *const modes_with_spare[] = {"seq", "split", "spare", NULL};
    static const struct cli_variant variants[] = {{"seq", MODE_SEQ, NULL},
                                                  {"split", MODE_SPLIT, NULL}};
    static const struct cli_variant broken_variants[] = {{"seq", MODE_SEQ, NULL},
                                                         {"split", MODE_SPLIT, "--workers=0"}};
    int mode = MODE_SEQ;
    long long steps = 0, workers = 2;
    const struct cli_option options[] = {
        {.name = "steps", .kind = CLI_INT, .min = 1, .max = 1000000, .integer = &steps,
         .by_size = CLI_BY_SIZE(5, 100, mistake("done-early") ? 1 : 100000),
         .help = "steps of a millisecond"},
        {.name = "workers", .kind = CLI_INT, .min = mistake("zero-workers") ? 0 : 1, .max = 8,
         .integer = &workers, .modes = CLI_MODE(MODE_SPLIT),
         .help = "workers that share the steps"},
    };
    const struct cli_program program = {
        .name = "contract_fake",
        .summary = "A throw-away experiment for the tests of the generated tests.",
        .modes = mistake("unlisted-mode") ? modes_with_spare : listed_modes,
        .mode_help = "how the steps are taken",
        .mode = &mode,
        .options = options,
        .n_options = sizeof options / sizeof options[0],
        .variants = mistake("broken-variant") ? broken_variants : variants,
        .n_variants = 2,
    };
    struct cli_common common;
    cli_parse_or_exit(&program, argc, argv, &common);

    double start = clock_now();
    long long total = run(mode, steps, workers);
    double elapsed = clock_since(start);

    struct report *report = report_new("contract_fake", modes_with_spare[mode]);
    report_param_text(report, "size", cli_size_name(common.size));
    report_param_int(report, "steps", steps);
    report_elapsed(report, elapsed);
    report_check(report, "total", total == steps, "%lld of %lld steps taken", total, steps);
    if (common.json && mistake("two-objects"))
        printf("{\"warming_up\": true}\n");
    return report_finish(report, common.json, stdout);
}
