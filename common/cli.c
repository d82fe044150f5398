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

static enum cli_status defect(char *error, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* As bad, for a defect of the program's tables: "defect in the program: ...". */
static enum cli_status defect(char *error, size_t size, const char *format, ...)
{
    int used = snprintf(error, size, "defect in the program: ");
    va_list args;
    va_start(args, format);
    if (used >= 0 && (size_t)used < size)
        vsnprintf(error + used, size - (size_t)used, format, args);
    va_end(args);
    return CLI_DEFECT;
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
    for (size_t i = 0; i < program->n_variants; i++) {
        const struct cli_variant *variant = &program->variants[i];
        fprintf(out, "%s\t--mode=%s%s%s\n", variant->name, program->modes[variant->mode],
                variant->args != NULL ? " " : "", variant->args != NULL ? variant->args : "");
    }
}

static void print_sweep(const struct cli_program *program, FILE *out)
{
    for (size_t i = 0; i < program->n_sweep; i++) {
        const struct cli_sweep *series = &program->sweep[i];
        fprintf(out, "%s\t--mode=%s %s\t%s\n", series->series, program->modes[series->mode],
                series->args, series->weak ? "weak" : "strong");
    }
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

/* "A|B|C": the modes whose bits are in MASK, all of them when MASK is 0. */
static void join_modes(const char *const *modes, unsigned mask, char *buf, size_t size)
{
    buf[0] = '\0';
    for (int i = 0; modes[i] != NULL; i++) {
        if (mask != 0 && (mask & CLI_MODE(i)) == 0)
            continue;
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", used ? "|" : "", modes[i]);
    }
}

/* Formats VALUE as OPTION writes it: an integer, or a decimal in its units. */
static void format_value(const struct cli_option *option, long long value, char *buf,
                         size_t size)
{
    if (option->kind == CLI_DECIMAL)
        cli_format_decimal(value, option->decimals, buf, size);
    else
        snprintf(buf, size, "%lld", value);
}

/* "default 6; quick: 2; large: 64" for an option with CLI_BY_SIZE, else
 * "default 6". */
static void describe_default(const struct cli_option *option, char *buf, size_t size)
{
    char book[32], quick[32], large[32];
    if (!option->by_size.set) {
        format_value(option, *option->integer, book, sizeof book);
        snprintf(buf, size, "default %s", book);
        return;
    }
    format_value(option, option->by_size.value[CLI_SIZE_BOOK], book, sizeof book);
    format_value(option, option->by_size.value[CLI_SIZE_QUICK], quick, sizeof quick);
    format_value(option, option->by_size.value[CLI_SIZE_LARGE], large, sizeof large);
    snprintf(buf, size, "default %s; quick: %s; large: %s", book, quick, large);
}

/* The left column and the help text of OPTION's line in --help. */
static void describe_option(const struct cli_program *program, const struct cli_option *option,
                            char *left, size_t left_size, char *help, size_t help_size)
{
    char facts[512] = "", initial[128], words[256];
    switch (option->kind) {
    case CLI_FLAG:
        snprintf(left, left_size, "--%s", option->name);
        break;
    case CLI_INT:
    case CLI_DECIMAL: {
        char low[32], high[32];
        format_value(option, option->min, low, sizeof low);
        format_value(option, option->max, high, sizeof high);
        describe_default(option, initial, sizeof initial);
        snprintf(left, left_size, "--%s=%s", option->name, option->kind == CLI_INT ? "N" : "X");
        snprintf(facts, sizeof facts, "%s..%s, %s", low, high, initial);
        break;
    }
    case CLI_CHOICE:
        join_choices(option->choices, words, sizeof words);
        snprintf(left, left_size, "--%s=%s", option->name, words);
        snprintf(facts, sizeof facts, "default %s", option->choices[*option->choice]);
        break;
    case CLI_TEXT:
        snprintf(left, left_size, "--%s=%s", option->name,
                 option->metavar != NULL ? option->metavar : "TEXT");
        snprintf(facts, sizeof facts, "default %s",
                 *option->text != NULL ? *option->text : "none");
        break;
    }
    if (option->modes != 0) {
        join_modes(program->modes, option->modes, words, sizeof words);
        size_t used = strlen(facts);
        snprintf(facts + used, sizeof facts - used, "%sonly with --mode=%s", used ? "; " : "",
                 words);
    }
    if (option->needs != NULL) {
        size_t used = strlen(facts);
        snprintf(facts + used, sizeof facts - used, "%sonly with --%s", used ? "; " : "",
                 option->needs);
    }
    if (facts[0] != '\0')
        snprintf(help, help_size, "%s (%s)", option->help, facts);
    else
        snprintf(help, help_size, "%s", option->help);
}

void cli_print_help(const struct cli_program *program, FILE *out)
{
    fprintf(out, "usage: %s [OPTION]...%s%s%s\n", program->name,
            program->positional ? " [" : "", program->positional ? program->positional : "",
            program->positional ? "]..." : "");
    fprintf(out, "%s\n\noptions:\n", program->summary);
    char left[320], help[1024], words[256];
    join_modes(program->modes, 0, words, sizeof words);
    snprintf(left, sizeof left, "--mode=%s", words);
    snprintf(help, sizeof help, "%s (default %s)",
             program->mode_help != NULL ? program->mode_help : "the variant to run",
             program->modes[0]);
    print_option_line(out, left, help);
    for (size_t i = 0; i < program->n_options; i++) {
        describe_option(program, &program->options[i], left, sizeof left, help, sizeof help);
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

static size_t count_modes(const struct cli_program *program)
{
    size_t n = 0;
    while (program->modes != NULL && program->modes[n] != NULL)
        n++;
    return n;
}

/* True when a variant of PROGRAM selects mode M. */
static bool mode_listed(const struct cli_program *program, int m)
{
    for (size_t i = 0; i < program->n_variants; i++)
        if (program->variants[i].mode == m)
            return true;
    return false;
}

/* The index of PROGRAM's flag named NAME, or -1. */
static int find_flag(const struct cli_program *program, const char *name)
{
    for (size_t i = 0; i < program->n_options; i++)
        if (program->options[i].kind == CLI_FLAG && strcmp(program->options[i].name, name) == 0)
            return (int)i;
    return -1;
}

static enum cli_status check_option(const struct cli_program *program,
                                    const struct cli_option *option, size_t n_modes, char *error,
                                    size_t size)
{
    static const char *const common_names[] = {"mode", "size",  "json",       "help",
                                               "list", "sweep", "size-sweep", NULL};
    if (find_choice(common_names, option->name) >= 0)
        return defect(error, size, "--%s is an option of every program, not the program's own",
                      option->name);
    if (option->modes >> n_modes != 0)
        return defect(error, size, "--%s applies to a mode the program does not have",
                      option->name);
    if (option->needs != NULL && find_flag(program, option->needs) < 0)
        return defect(error, size, "--%s needs --%s, which is no flag of the program",
                      option->name, option->needs);
    if (!option->by_size.set)
        return CLI_RUN;
    if (option->kind != CLI_INT && option->kind != CLI_DECIMAL)
        return defect(error, size, "--%s has defaults by size but is not a number",
                      option->name);
    for (int size_index = 0; size_index < 3; size_index++) {
        long long value = option->by_size.value[size_index];
        if (value < option->min || value > option->max)
            return defect(error, size, "--%s's default at --size=%s is outside its range",
                          option->name, size_names[size_index]);
    }
    return CLI_RUN;
}

/* Checks what the program declares, before any argument is read: a defect
 * found here is the program's, and no command line could avoid it. */
static enum cli_status check_program(const struct cli_program *program, char *error,
                                     size_t size)
{
    size_t n_modes = count_modes(program);
    if (n_modes == 0 || n_modes > CLI_MAX_MODES || program->mode == NULL)
        return defect(error, size, "a program needs 1 to %d modes and a place for the one "
                                   "given", CLI_MAX_MODES);
    for (size_t i = 0; i < program->n_variants; i++)
        if (program->variants[i].mode < 0 || (size_t)program->variants[i].mode >= n_modes)
            return defect(error, size, "variant %s selects no mode of --mode",
                          program->variants[i].name);
    for (size_t i = 0; i < program->n_sweep; i++)
        if (program->sweep[i].mode < 0 || (size_t)program->sweep[i].mode >= n_modes)
            return defect(error, size, "sweep series %s selects no mode of --mode",
                          program->sweep[i].series);
    for (size_t m = 0; m < n_modes; m++)
        if (!mode_listed(program, (int)m))
            return defect(error, size,
                          "--mode=%s is accepted but no --list line selects it: run_all.sh "
                          "would never time it",
                          program->modes[m]);
    for (size_t i = 0; i < program->n_options; i++) {
        enum cli_status status =
            check_option(program, &program->options[i], n_modes, error, size);
        if (status != CLI_RUN)
            return status;
    }
    return CLI_RUN;
}

/* After the whole line is read: the defaults by size of the options not
 * given, and the options given with a mode they do not apply to or without
 * the flag they need. */
static enum cli_status settle_options(const struct cli_program *program, enum cli_size size,
                                      const bool *given, char *error, size_t error_size)
{
    int mode = *program->mode;
    for (size_t i = 0; i < program->n_options; i++) {
        const struct cli_option *option = &program->options[i];
        if (!given[i] && option->by_size.set)
            *option->integer = option->by_size.value[size];
        if (given[i] && option->modes != 0 && (option->modes & CLI_MODE(mode)) == 0) {
            char words[256];
            join_modes(program->modes, option->modes, words, sizeof words);
            return bad(error, error_size, "--%s applies only with --mode=%s, not --mode=%s",
                       option->name, words, program->modes[mode]);
        }
        if (given[i] && option->needs != NULL && !given[find_flag(program, option->needs)])
            return bad(error, error_size, "--%s applies only with --%s", option->name,
                       option->needs);
    }
    return CLI_RUN;
}

enum cli_status cli_parse(const struct cli_program *program, int argc, char **argv,
                          struct cli_common *common, FILE *out, char *error, size_t error_size)
{
    memset(common, 0, sizeof *common);
    enum cli_status checked = check_program(program, error, error_size);
    if (checked != CLI_RUN)
        return checked;
    *program->mode = 0;
    bool wants_help = false, wants_list = false, wants_sweep = false, wants_size_sweep = false;
    bool options_ended = false;
    int size_index = CLI_SIZE_BOOK;
    const struct cli_option common_options[] = {
        {.name = "mode", .kind = CLI_CHOICE, .choices = program->modes, .choice = program->mode},
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
    enum cli_status settled = settle_options(program, common->size, given, error, error_size);
    if (settled != CLI_RUN && !wants_help)
        return settled;
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
    case CLI_DEFECT:
        fail_wrong("%s", error);
    }
}
