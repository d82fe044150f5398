/* cli — strict command-line parsing, the same for every conclab program.
 *
 * Every program takes --mode=VARIANT, --size=quick|book|large, --json, --list,
 * --sweep and --help, plus options of its own described by a table of
 * cli_option.
 * Options are written --name=value or --name value.  Nothing is guessed: a
 * value that is not exactly an integer (or decimal) in range, an unknown
 * choice, an unknown option, a missing value or an unexpected argument is an error,
 * reported in one line that names the option (exit 2 through cli_parse_or_exit).
 */
#ifndef CONCLAB_CLI_H
#define CONCLAB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

enum cli_size { CLI_SIZE_QUICK, CLI_SIZE_BOOK, CLI_SIZE_LARGE };

enum cli_kind {
    CLI_FLAG,   /* --name alone; sets *flag */
    CLI_INT,    /* --name=N with min <= N <= max; sets *integer */
    CLI_CHOICE, /* --name=WORD, WORD one of choices; sets *choice to its index */
    CLI_DECIMAL, /* --name=D.DD with at most `decimals` digits after the point; sets
                    *integer to the value times 10^decimals (exact, no floating point);
                    min and max are in those units: 0..1000 with decimals 3 is 0..1 */
    CLI_TEXT,    /* --name=VALUE, any text but the empty one (a file name); sets *text */
};

struct cli_option {
    const char *name; /* without the leading dashes: "workers" */
    enum cli_kind kind;
    const char *help; /* one line for --help */
    long long min, max;         /* CLI_INT: the accepted range */
    long long *integer;         /* CLI_INT: holds the default, receives the value */
    const char *const *choices; /* CLI_CHOICE: NULL-terminated words */
    int *choice;                /* CLI_CHOICE: holds the default index, receives one */
    bool *flag;                 /* CLI_FLAG: receives true */
    bool *given;                /* optional: set true when the option was on the line */
    int decimals;               /* CLI_DECIMAL: digits allowed after the point, 1..9 */
    const char **text;          /* CLI_TEXT: holds the default (NULL: none), receives the
                                   value, which points into argv */
    const char *metavar;        /* CLI_TEXT: what --help shows after '=' ("FILE"); NULL: TEXT */
};

/* A variant as run_all.sh times it: NAME and the arguments that select it. */
struct cli_variant {
    const char *name; /* "threads-split" */
    const char *args; /* "--mode=threads --split" */
};

struct cli_program {
    const char *name;       /* "factorize" */
    const char *summary;    /* the question the experiment answers, one line */
    const char *positional; /* metavar of positional arguments ("NUMBER"), NULL: none allowed */
    const char *epilogue;   /* more text for --help, may be NULL */
    const struct cli_option *options;
    size_t n_options;
    const struct cli_variant *variants;
    size_t n_variants;
    /* The arguments that run one point of a sweep over the number of workers,
     * with the placeholder {workers} (hyperfine's parameter-scan syntax):
     * "--mode=threads --workers={workers}".  --sweep prints it on one line, so
     * a driver can time 1..N workers; NULL: the program has no sweep and
     * --sweep prints nothing. */
    const char *sweep;
};

/* More positional arguments than this are refused: no program needs them. */
#define CLI_MAX_POSITIONAL 64

/* What every program gets besides its own options. */
struct cli_common {
    enum cli_size size; /* default CLI_SIZE_BOOK */
    bool json;
    char *positional[CLI_MAX_POSITIONAL]; /* in order; they point into argv */
    int n_positional;
};

enum cli_status {
    CLI_RUN,  /* parsed: run the experiment */
    CLI_DONE, /* --help, --list or --sweep was printed on OUT: exit 0 */
    CLI_BAD,  /* error written to the caller's buffer: exit 2 */
};

/* Parses TEXT as a decimal integer in [MIN, MAX].  Rejects an empty string,
 * spaces, a '+' sign, trailing characters ("12x", "1e3") and overflow.  On
 * failure returns false and writes why ("not an integer", "must be between 1
 * and 1024") into WHY. */
bool cli_parse_integer(const char *text, long long min, long long max, long long *out,
                       char *why, size_t why_size);

/* Parses TEXT as a decimal number with at most DECIMALS (1..9) digits after
 * the point, and stores it scaled by 10^DECIMALS: "0.05" with DECIMALS 3 gives
 * 50.  Digits are required before the point, and after it when there is one:
 * "1", "0.5", "-2.25" are numbers; "", ".5", "5.", "+1", " 1", "1e-2", "0x1",
 * "1,5" and "0.0501" (DECIMALS 3) are not.  The scaled value must lie in
 * [MIN, MAX].  On failure returns false and writes why ("not a decimal number
 * with at most 3 digits after the point", "must be between 0 and 1") into
 * WHY. */
bool cli_parse_decimal(const char *text, int decimals, long long min, long long max,
                       long long *out, char *why, size_t why_size);

/* Writes VALUE / 10^DECIMALS as a decimal without trailing zeros ("0.05",
 * "1", "-2.5") into BUF. */
void cli_format_decimal(long long value, int decimals, char *buf, size_t size);

/* Parses ARGV against PROGRAM's options and the common ones, after setting
 * COMMON to its defaults.  --help, --list and --sweep print on OUT; given
 * together, --help wins over --list and --list over --sweep.  On CLI_BAD a
 * one-line message, without the program's name, is in ERROR. */
enum cli_status cli_parse(const struct cli_program *program, int argc, char **argv,
                          struct cli_common *common, FILE *out, char *error, size_t error_size);

/* cli_parse, then exit(0) after --help/--list, or print the error and exit(2).
 * Also names the program for fail.h's messages. */
void cli_parse_or_exit(const struct cli_program *program, int argc, char **argv,
                       struct cli_common *common);

/* Prints PROGRAM's --help text on OUT. */
void cli_print_help(const struct cli_program *program, FILE *out);

/* "quick", "book" or "large". */
const char *cli_size_name(enum cli_size size);

#ifdef __cplusplus
}
#endif

#endif
