/* cli — strict command-line parsing, the same for every conclab program.
 *
 * Every program takes --mode=MODE, --size=quick|book|large, --json, --list,
 * --sweep, --size-sweep and --help, plus options of its own described by a
 * table of cli_option.  The program names its modes once (struct
 * cli_program's modes, indexed by its own enum); its variants and sweep
 * series name a mode by that enum, so --mode's choices and --list are one
 * list: a mode that no variant selects is a defect that stops the program
 * before it parses anything.  An option declares where it applies
 * (CLI_MODE bits, a flag it needs) and its default at each size
 * (CLI_BY_SIZE), and --help prints them.
 * Options are written --name=value or --name value.  Nothing is guessed: a
 * value that is not exactly an integer (or decimal) in range, an unknown
 * choice, an unknown option, an option given twice, a missing value or an
 * unexpected argument is an error, reported in one line that names the
 * option (exit 2 through cli_parse_or_exit); what the user typed is echoed
 * through cli_quote, so that even a value holding a newline stays one line.
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

/* An option's defaults at each --size (CLI_BY_SIZE below). */
struct cli_by_size {
    bool set;
    long long value[3]; /* indexed by enum cli_size; CLI_DECIMAL: scaled */
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
    /* CLI_INT, CLI_DECIMAL: the default at each --size, written
     * CLI_BY_SIZE(quick, book, large); applied after parsing unless the
     * option was given.  Unset: *integer's value at every size. */
    struct cli_by_size by_size;
    /* The modes where the option means something, CLI_MODE(A) | CLI_MODE(B);
     * given with another --mode it is an error.  0: every mode. */
    unsigned modes;
    /* The name of a CLI_FLAG of the same table that must be given too
     * ("gil" for --switch-interval-ms); given without it, the option is an
     * error.  NULL: none. */
    const char *needs;
};

/* The defaults of an option at --size=quick, book and large. */
#define CLI_BY_SIZE(quick, book, large)                                                          \
    {                                                                                            \
        .set = true, .value = {(quick), (book), (large)}                                         \
    }

/* The bit of mode M (the program's enum) in cli_option's modes. */
#define CLI_MODE(m) (1u << (m))

/* The most modes a program may have: each is a bit of cli_option's modes. */
#define CLI_MAX_MODES 32

/* A variant as run_all.sh times it: NAME, its mode and the other arguments
 * that select it.  --list prints "NAME<TAB>--mode=MODE ARGS". */
struct cli_variant {
    const char *name; /* "threads-split" */
    int mode;         /* the program's enum: MODE_THREADS */
    const char *args; /* "--split"; NULL: none */
};

/* One series of a worker sweep: the arguments that run one point, with the
 * placeholder {workers} (hyperfine's parameter-scan syntax).  Strong scaling:
 * the work is the same at every point, so N workers at best take 1/N of the
 * time.  Weak scaling: each worker does the same work (counter: increments
 * per thread), so the work grows with N and the driver compares throughput. */
struct cli_sweep {
    const char *series; /* "threads" */
    int mode;           /* MODE_THREADS: --sweep prints "--mode=threads " before ARGS */
    const char *args;   /* "--split --workers={workers}" */
    bool weak;          /* true: the work grows with the workers */
};

struct cli_program {
    const char *name;       /* "factorize" */
    const char *summary;    /* the question the experiment answers, one line */
    const char *positional; /* metavar of positional arguments ("NUMBER"), NULL: none allowed */
    const char *epilogue;   /* more text for --help, may be NULL */
    /* --mode's values, NULL-terminated, indexed by the program's enum; the
     * first is the default.  Every one must be selected by a variant. */
    const char *const *modes;
    const char *mode_help; /* --help's words for --mode: "how the tasks are run" */
    int *mode;             /* receives the index of the mode given, or 0 */
    const struct cli_option *options;
    size_t n_options;
    const struct cli_variant *variants;
    size_t n_variants;
    /* The series of the sweep over the number of workers (see struct
     * cli_sweep): --sweep prints one line per series, so a driver can time
     * each at 1, 2, ... workers; none (n_sweep 0): --sweep prints nothing. */
    const struct cli_sweep *sweep;
    size_t n_sweep;
    /* Where the parallel variants start to pay: "NAME=V1,V2,...", the values
     * of the program's option --NAME at which a driver times every variant
     * ("base=5000000,20000000").  --size-sweep prints it on one line; NULL:
     * the program has no size sweep and --size-sweep prints nothing. */
    const char *size_sweep;
};

/* A table of cli_program and its length, in one go:
 * { .name = "demo", CLI_OPTIONS(options), CLI_VARIANTS(variants), ... } */
#define CLI_OPTIONS(table) .options = (table), .n_options = sizeof(table) / sizeof((table)[0])
#define CLI_VARIANTS(table) .variants = (table), .n_variants = sizeof(table) / sizeof((table)[0])
#define CLI_SWEEP(table) .sweep = (table), .n_sweep = sizeof(table) / sizeof((table)[0])

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
    CLI_RUN,    /* parsed: run the experiment */
    CLI_DONE,   /* --help, --list, --sweep or --size-sweep was printed on OUT: exit 0 */
    CLI_BAD,    /* error written to the caller's buffer: exit 2 */
    CLI_DEFECT, /* the program's own tables break the contract (a mode no variant
                   selects, a default outside its range...): exit 1, whatever
                   the command line */
};

/* The most options a program may have, its own and the common ones. */
#define CLI_MAX_OPTIONS 64

/* Room for what cli_quote writes of one argument in a message. */
#define CLI_QUOTED_MAX 160

/* TEXT as a message may echo it: on one line, with every control character
 * written as a C escape (a newline as \n, a tab as \t, others as \xHH),
 * cut with "..." to fit SIZE bytes.  Returns BUF. */
const char *cli_quote(const char *text, char *buf, size_t size);

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

/* Checks PROGRAM's tables, then parses ARGV against its options and the
 * common ones, after setting COMMON to its defaults.  After the line is
 * read, each option with CLI_BY_SIZE that was not given takes its value at
 * the --size given, and an option given with a mode outside its CLI_MODE
 * bits, or without the flag it needs, is refused.  --help, --list, --sweep and --size-sweep print on OUT;
 * given together, the first of these in that order wins.  On CLI_BAD and
 * CLI_DEFECT a one-line message, without the program's name, is in ERROR. */
enum cli_status cli_parse(const struct cli_program *program, int argc, char **argv,
                          struct cli_common *common, FILE *out, char *error, size_t error_size);

/* The smallest limit on the main thread's stack (ulimit -s, in KiB) that a
 * conclab program runs under.  Every thread it starts has a stack of its own
 * (thread_team.h), but the main thread lives in this limit, together with
 * the environment and a random offset of up to 8 KiB.  Measured with a small
 * environment: the hungriest variant (slow_syscall seq) needs 28 KiB, most
 * 20-24; 64 leaves room for a larger environment.  Below it every program
 * that links this file says so and exits 1 before main runs, rather than
 * die of SIGSEGV half way.  (Far below it, at 16 KiB, the dynamic loader
 * itself may crash before that check can run.) */
#define CLI_MIN_STACK_KB 64

/* cli_parse, then exit(0) after --help/--list, or print the error and exit(2),
 * or exit(1) on a defect of the program.  Also names the program for fail.h's
 * messages. */
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
