#ifndef CONCLAB_PIN_H
#define CONCLAB_PIN_H
/* Placement of workers on CPUs (--pin), as will-it-scale's: none leaves it
 * to the scheduler; core puts worker i on the i-th CPU this process may run
 * on (its affinity at start, so taskset still limits it), round robin when
 * there are more workers than CPUs.
 *
 *   int pin = PIN_NONE;
 *   PIN_CLI_OPTION(&pin),          in the cli_option table
 *   pin_set_policy(pin);           after cli_parse_or_exit
 *   pin_worker(i);                 first thing in worker i (thread or child)
 *   pin_report(report);            records parameters.pin
 */
#include <stddef.h>

#include "report.h"

#ifdef __cplusplus
extern "C" {
#endif

enum pin_policy { PIN_NONE, PIN_CORE };

extern const char *const pin_names[]; /* "none", "core", NULL */

#define PIN_CLI_OPTION(policy)                                                                \
    {                                                                                         \
        .name = "pin", .kind = CLI_CHOICE, .choices = pin_names, .choice = (policy),          \
        .help = "workers' placement: none (the scheduler's) or core (worker i on CPU i, "     \
                "round robin)"                                                                \
    }

/* Sets the policy for every later pin_worker, and reads the CPUs this
 * process may run on.  Call once, before any worker starts. */
void pin_set_policy(int policy);

/* Under PIN_CORE, binds the calling thread (in a forked child: the child) to
 * the CPU of worker INDEX; under PIN_NONE does nothing.  Ends the program
 * (fail_code) when sched_setaffinity fails. */
void pin_worker(size_t index);

/* Records the policy as parameters.pin. */
void pin_report(struct report *report);

#ifdef __cplusplus
}
#endif

#endif
