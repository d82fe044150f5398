#define _GNU_SOURCE /* program_invocation_name */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "fail.h"

static const char *const size_names[] = {"quick", "book", "large", NULL};

const char *cli_size_name(enum cli_size size) { return size_names[size]; }

bool cli_parse_integer(const char *text, long long min, long long max, long long *out,
                       char *why, size_t why_size)
{
    /* strtoll alone would accept " 12", "+12" and stop silently at "12x". */
    const char *digits = text[0] == '-' ? text + 1 : text;
    if (*digits < '0' || *digits > '9') {
        snprintf(why, why_size, "not an integer");
        return false;
    }
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (*end != '\0') {
        snprintf(why, why_size, "not an integer");
        return false;
    }
    if (errno == ERANGE || value < min || value > max) {
        snprintf(why, why_size, "must be between %lld and %lld", min, max);
        return false;
    }
    *out = value;
    return true;
}

/* 10^DECIMALS for DECIMALS in 0..9. */
static long long power_of_ten(int decimals)
{
    long long power = 1;
    while (decimals-- > 0)
        power *= 10;
    return power;
}

void cli_format_decimal(long long value, int decimals, char *buf, size_t size)
{
    /* Unsigned, so that the smallest long long has a magnitude too. */
    unsigned long long magnitude = value < 0 ? 0ULL - (unsigned long long)value
                                             : (unsigned long long)value;
    unsigned long long power = (unsigned long long)power_of_ten(decimals);
    unsigned long long whole = magnitude / power, fraction = magnitude % power;
    if (fraction == 0) {
        snprintf(buf, size, "%s%llu", value < 0 ? "-" : "", whole);
        return;
    }
    while (fraction % 10 == 0) {
        fraction /= 10;
        decimals--;
    }
    snprintf(buf, size, "%s%llu.%0*llu", value < 0 ? "-" : "", whole, decimals, fraction);
}

/* True when TEXT is -?DIGITS or -?DIGITS.DIGITS with 1..DECIMALS digits after
 * the point. */
static bool is_decimal_syntax(const char *text, int decimals)
{
    const char *cursor = text[0] == '-' ? text + 1 : text;
    size_t whole = strspn(cursor, "0123456789");
    if (whole == 0)
        return false;
    cursor += whole;
    if (*cursor == '\0')
        return true;
    size_t fraction = strspn(cursor + 1, "0123456789");
    return *cursor == '.' && fraction > 0 && fraction <= (size_t)decimals &&
           cursor[1 + fraction] == '\0';
}

/* The digits of TEXT, the point skipped, padded with zeros to DECIMALS digits
 * after it: TEXT times 10^DECIMALS, sign ignored.  False on overflow. */
static bool scaled_magnitude(const char *text, int decimals, long long *out)
{
    long long value = 0;
    int after_point = -1;
    for (const char *c = text[0] == '-' ? text + 1 : text; *c != '\0'; c++) {
        if (*c == '.') {
            after_point = 0;
            continue;
        }
        after_point += after_point >= 0;
        if (value > (LLONG_MAX - (*c - '0')) / 10)
            return false;
        value = value * 10 + (*c - '0');
    }
    for (int pad = after_point < 0 ? 0 : after_point; pad < decimals; pad++) {
        if (value > LLONG_MAX / 10)
            return false;
        value *= 10;
    }
    *out = value;
    return true;
}

bool cli_parse_decimal(const char *text, int decimals, long long min, long long max,
                       long long *out, char *why, size_t why_size)
{
    if (!is_decimal_syntax(text, decimals)) {
        snprintf(why, why_size, "not a decimal number with at most %d digits after the point",
                 decimals);
        return false;
    }
    long long value = 0;
    bool fits = scaled_magnitude(text, decimals, &value);
    value = text[0] == '-' ? -value : value;
    if (!fits || value < min || value > max) {
        char low[32], high[32];
        cli_format_decimal(min, decimals, low, sizeof low);
        cli_format_decimal(max, decimals, high, sizeof high);
        snprintf(why, why_size, "must be between %s and %s", low, high);
        return false;
    }
    *out = value;
    return true;
}

const char *cli_quote(const char *text, char *buf, size_t size)
{
    static const char more[] = "...";
    if (size < sizeof more) {
        if (size > 0)
            buf[0] = '\0';
        return buf;
    }
    size_t room = size - sizeof more; /* what may come before "..." and its NUL */
    size_t used = 0;
    buf[0] = '\0';
    for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++) {
        char one[5] = {(char)*c, '\0'};
        if (*c == '\n' || *c == '\t' || *c == '\r')
            snprintf(one, sizeof one, "\\%c", *c == '\n' ? 'n' : *c == '\t' ? 't' : 'r');
        else if (*c < 0x20 || *c == 0x7f)
            snprintf(one, sizeof one, "\\x%02x", *c);
        size_t length = strlen(one);
        if (used + length > room) {
            memcpy(buf + used, more, sizeof more);
            return buf;
        }
        memcpy(buf + used, one, length + 1);
        used += length;
    }
    return buf;
}

static enum cli_status bad(char *error, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static enum cli_status bad(char *error, size_t size, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(error, size, format, args);
    va_end(args);
    return CLI_BAD;
}

static void join_choices(const char *const *choices, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; choices[i] != NULL; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", i ? "|" : "", choices[i]);
    }
}

static int find_choice(const char *const *choices, const char *word)
{
    for (int i = 0; choices[i] != NULL; i++)
        if (strcmp(choices[i], word) == 0)
            return i;
    return -1;
}

/* Applies VALUE (NULL for a bare flag) to OPTION. */
static enum cli_status apply_option(const struct cli_option *option, const char *value,
                                    char *error, size_t size)
{
    char why[128], quoted[CLI_QUOTED_MAX];
    if (value != NULL)
        cli_quote(value, quoted, sizeof quoted); /* echoed below: one line, whatever it holds */
    switch (option->kind) {
    case CLI_FLAG:
        if (value != NULL)
            return bad(error, size, "--%s takes no value (got '%s')", option->name, quoted);
        *option->flag = true;
        break;
    case CLI_INT: {
        long long parsed;
        if (!cli_parse_integer(value, option->min, option->max, &parsed, why, sizeof why))
            return bad(error, size, "--%s='%s': %s", option->name, quoted, why);
        *option->integer = parsed;
        break;
    }
    case CLI_DECIMAL: {
        long long parsed;
        if (!cli_parse_decimal(value, option->decimals, option->min, option->max, &parsed, why,
                               sizeof why))
            return bad(error, size, "--%s='%s': %s", option->name, quoted, why);
        *option->integer = parsed;
        break;
    }
    case CLI_CHOICE: {
        int index = find_choice(option->choices, value);
        if (index < 0) {
            char words[256];
            join_choices(option->choices, words, sizeof words);
            return bad(error, size, "--%s='%s': unknown, expected one of %s", option->name,
                       quoted, words);
        }
        *option->choice = index;
        break;
    }
    case CLI_TEXT:
        if (value[0] == '\0')
            return bad(error, size, "--%s='': must not be empty", option->name);
        *option->text = value;
        break;
    }
    if (option->given != NULL)
        *option->given = true;
    return CLI_RUN;
}

/* Marks OPTION (one of PROGRAM's or of COMMON's) as given; true when it
 * was already. */
static bool already_given(const struct cli_option *option, const struct cli_program *program,
                          const struct cli_option *common, bool *given)
{
    size_t index = option >= program->options && option < program->options + program->n_options
                       ? (size_t)(option - program->options)
                       : program->n_options + (size_t)(option - common);
    bool before = given[index];
    given[index] = true;
    return before;
}

static const struct cli_option *find_option(const struct cli_option *options, size_t n_options,
                                            const char *name, size_t name_len)
{
    for (size_t i = 0; i < n_options; i++) {
        const char *candidate = options[i].name;
        if (strlen(candidate) == name_len && strncmp(candidate, name, name_len) == 0)
            return &options[i];
    }
    return NULL;
}

static void print_list(const struct cli_program *program, FILE *out)
{
    for (size_t i = 0; i < program->n_variants; i++)
        fprintf(out, "%s\t%s\n", program->variants[i].name, program->variants[i].args);
}

static void print_sweep(const struct cli_program *program, FILE *out)
{
    for (size_t i = 0; i < program->n_sweep; i++)
        fprintf(out, "%s\t%s\t%s\n", program->sweep[i].series, program->sweep[i].args,
                program->sweep[i].weak ? "weak" : "strong");
}

static void print_size_sweep(const struct cli_program *program, FILE *out)
{
    if (program->size_sweep != NULL)
        fprintf(out, "%s\n", program->size_sweep);
}

static void print_option_line(FILE *out, const char *left, const char *help)
{
    fprintf(out, "  %-30s %s\n", left, help);
}

void cli_print_help(const struct cli_program *program, FILE *out)
{
    fprintf(out, "usage: %s [OPTION]...%s%s%s\n", program->name,
            program->positional ? " [" : "", program->positional ? program->positional : "",
            program->positional ? "]..." : "");
    fprintf(out, "%s\n\noptions:\n", program->summary);
    char left[320], help[512];
    for (size_t i = 0; i < program->n_options; i++) {
        const struct cli_option *option = &program->options[i];
        switch (option->kind) {
        case CLI_FLAG:
            snprintf(left, sizeof left, "--%s", option->name);
            snprintf(help, sizeof help, "%s", option->help);
            break;
        case CLI_INT:
            snprintf(left, sizeof left, "--%s=N", option->name);
            snprintf(help, sizeof help, "%s (%lld..%lld, default %lld)", option->help,
                     option->min, option->max, *option->integer);
            break;
        case CLI_DECIMAL: {
            char low[32], high[32], initial[32];
            cli_format_decimal(option->min, option->decimals, low, sizeof low);
            cli_format_decimal(option->max, option->decimals, high, sizeof high);
            cli_format_decimal(*option->integer, option->decimals, initial, sizeof initial);
            snprintf(left, sizeof left, "--%s=X", option->name);
            snprintf(help, sizeof help, "%s (%s..%s, default %s)", option->help, low, high,
                     initial);
            break;
        }
        case CLI_CHOICE: {
            char words[256];
            join_choices(option->choices, words, sizeof words);
            snprintf(left, sizeof left, "--%s=%s", option->name, words);
            snprintf(help, sizeof help, "%s (default %s)", option->help,
                     option->choices[*option->choice]);
            break;
        }
        case CLI_TEXT:
            snprintf(left, sizeof left, "--%s=%s", option->name,
                     option->metavar != NULL ? option->metavar : "TEXT");
            snprintf(help, sizeof help, "%s (default %s)", option->help,
                     *option->text != NULL ? *option->text : "none");
            break;
        }
        print_option_line(out, left, help);
    }
    print_option_line(out, "--size=quick|book|large",
                      "quick: for tests; book: the source's parameters (default); large: many cores");
    print_option_line(out, "--json", "print one JSON object on stdout instead of the human report");
    print_option_line(out, "--list", "print the variants run_all.sh times: NAME<TAB>ARGS per line");
    print_option_line(out, "--sweep",
                      program->n_sweep > 0
                          ? "print the worker sweep: SERIES<TAB>ARGS<TAB>strong|weak per line, "
                            "{workers} in ARGS standing for the number of workers"
                          : "print the worker sweep (none for this program)");
    print_option_line(out, "--size-sweep",
                      program->size_sweep != NULL
                          ? "print the size sweep: NAME=V1,V2,... the values of --NAME at "
                            "which every variant is timed"
                          : "print the size sweep (none for this program)");
    print_option_line(out, "--help", "print this text");
    fprintf(out, "\nexit status: 0 the answer was checked and is right, 1 it is wrong or the "
                 "system refused, 2 bad command line\n");
    if (program->epilogue != NULL)
        fprintf(out, "\n%s\n", program->epilogue);
}

static enum cli_status add_positional(const struct cli_program *program, const char *arg,
                                     struct cli_common *common, char *error, size_t size)
{
    char quoted[CLI_QUOTED_MAX];
    if (program->positional == NULL)
        return bad(error, size, "unexpected argument '%s'", cli_quote(arg, quoted, sizeof quoted));
    if (common->n_positional == CLI_MAX_POSITIONAL)
        return bad(error, size, "too many %s arguments (at most %d)", program->positional,
                   CLI_MAX_POSITIONAL);
    common->positional[common->n_positional++] = (char *)arg;
    return CLI_RUN;
}

enum cli_status cli_parse(const struct cli_program *program, int argc, char **argv,
                          struct cli_common *common, FILE *out, char *error, size_t error_size)
{
    memset(common, 0, sizeof *common);
    bool wants_help = false, wants_list = false, wants_sweep = false, wants_size_sweep = false;
    bool options_ended = false;
    int size_index = CLI_SIZE_BOOK;
    const struct cli_option common_options[] = {
        {.name = "size", .kind = CLI_CHOICE, .choices = size_names, .choice = &size_index},
        {.name = "json", .kind = CLI_FLAG, .flag = &common->json},
        {.name = "help", .kind = CLI_FLAG, .flag = &wants_help},
        {.name = "list", .kind = CLI_FLAG, .flag = &wants_list},
        {.name = "sweep", .kind = CLI_FLAG, .flag = &wants_sweep},
        {.name = "size-sweep", .kind = CLI_FLAG, .flag = &wants_size_sweep},
    };
    const size_t n_common = sizeof common_options / sizeof common_options[0];
    /* Which options were on the line, program's first: a second --mode would
     * otherwise silently win over the first. */
    bool given[CLI_MAX_OPTIONS] = {false};
    if (program->n_options + n_common > CLI_MAX_OPTIONS)
        return bad(error, error_size, "%zu options, at most %d", program->n_options + n_common,
                   CLI_MAX_OPTIONS);

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        enum cli_status status;
        if (!options_ended && strcmp(arg, "--") == 0) {
            options_ended = true;
            continue;
        }
        if (options_ended || strncmp(arg, "--", 2) != 0) {
            /* "-5" lands here too, so a program taking numbers can say why it is wrong. */
            if ((status = add_positional(program, arg, common, error, error_size)) != CLI_RUN)
                return status;
            continue;
        }
        const char *name = arg + 2;
        const char *equals = strchr(name, '=');
        size_t name_len = equals ? (size_t)(equals - name) : strlen(name);
        const char *value = equals ? equals + 1 : NULL;
        const struct cli_option *option =
            find_option(program->options, program->n_options, name, name_len);
        if (option == NULL)
            option = find_option(common_options, n_common, name, name_len);
        if (option == NULL) {
            char quoted[CLI_QUOTED_MAX];
            cli_quote(arg, quoted, sizeof quoted);
            quoted[strcspn(quoted, "=")] = '\0';
            return bad(error, error_size, "unknown option '%s' (see --help)", quoted);
        }
        if (already_given(option, program, common_options, given))
            return bad(error, error_size, "--%s given twice: give each option once",
                       option->name);
        if (option->kind != CLI_FLAG && value == NULL) {
            if (i + 1 == argc)
                return bad(error, error_size, "--%s needs a value", option->name);
            value = argv[++i];
        }
        if ((status = apply_option(option, value, error, error_size)) != CLI_RUN)
            return status;
    }
    common->size = (enum cli_size)size_index;
    if (wants_help) {
        cli_print_help(program, out);
        return CLI_DONE;
    }
    if (wants_list) {
        print_list(program, out);
        return CLI_DONE;
    }
    if (wants_sweep) {
        print_sweep(program, out);
        return CLI_DONE;
    }
    if (wants_size_sweep) {
        print_size_sweep(program, out);
        return CLI_DONE;
    }
    return CLI_RUN;
}

/* Refuses to run (exit 1) with a main stack smaller than CLI_MIN_STACK_KB:
 * far better than a SIGSEGV somewhere in the run.  A constructor, so that
 * it runs before main, whose frame alone may hold over 10 KiB of arrays. */
__attribute__((constructor)) static void check_stack_limit(void)
{
    fail_set_program(program_invocation_name);
    struct rlimit limit;
    if (getrlimit(RLIMIT_STACK, &limit) != 0)
        fail_sys("getrlimit");
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < (rlim_t)CLI_MIN_STACK_KB * 1024)
        fail_wrong("the stack limit, ulimit -s %llu (KiB), is below the %d KiB this program "
                   "needs: raise it (8192 is usual)",
                   (unsigned long long)limit.rlim_cur / 1024, CLI_MIN_STACK_KB);
}

void cli_parse_or_exit(const struct cli_program *program, int argc, char **argv,
                       struct cli_common *common)
{
    fail_set_program(argc > 0 ? argv[0] : program->name);
    char error[512];
    switch (cli_parse(program, argc, argv, common, stdout, error, sizeof error)) {
    case CLI_RUN:
        return;
    case CLI_DONE:
        exit(EXIT_RIGHT);
    case CLI_BAD:
        fail_usage("%s", error);
    }
}
