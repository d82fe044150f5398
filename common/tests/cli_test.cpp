// cli: strict parsing of integers, choices, flags and the common options.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"

namespace {

bool parses(const char *text, long long min, long long max, long long *out = nullptr)
{
    long long value = -12345;
    char why[128];
    const bool ok = cli_parse_integer(text, min, max, &value, why, sizeof why);
    if (out != nullptr)
        *out = value;
    return ok;
}

} // namespace

TEST(ParseInteger, AcceptsPlainDecimalsInRange)
{
    long long value = 0;
    EXPECT_TRUE(parses("1", 1, 10, &value));
    EXPECT_EQ(value, 1);
    EXPECT_TRUE(parses("10", 1, 10, &value));
    EXPECT_EQ(value, 10);
    EXPECT_TRUE(parses("-3", -5, 5, &value));
    EXPECT_EQ(value, -3);
    EXPECT_TRUE(parses("9223372036854775807", 0, 9223372036854775807LL, &value));
    EXPECT_EQ(value, 9223372036854775807LL);
}

TEST(ParseInteger, RejectsWhatIsNotExactlyAnInteger)
{
    for (const char *text : {"", "abc", "12x", "1e3", " 12", "12 ", "+12", "0x10", "1.5", "-", "--1"})
        EXPECT_FALSE(parses(text, -100, 100)) << "'" << text << "'";
}

TEST(ParseInteger, RejectsOutOfRangeAndOverflow)
{
    EXPECT_FALSE(parses("0", 1, 10));
    EXPECT_FALSE(parses("-1", 1, 10));
    EXPECT_FALSE(parses("11", 1, 10));
    EXPECT_FALSE(parses("99999999999999999999", 1, 9223372036854775807LL));
    EXPECT_FALSE(parses("-99999999999999999999", -9223372036854775807LL, 10));
}

TEST(ParseInteger, SaysWhy)
{
    long long value;
    char why[128];
    ASSERT_FALSE(cli_parse_integer("abc", 1, 8, &value, why, sizeof why));
    EXPECT_STREQ(why, "not an integer");
    ASSERT_FALSE(cli_parse_integer("9", 1, 8, &value, why, sizeof why));
    EXPECT_STREQ(why, "must be between 1 and 8");
}

namespace {

bool parses_decimal(const char *text, int decimals, long long min, long long max,
                    long long *out = nullptr)
{
    long long value = -12345;
    char why[128];
    const bool ok = cli_parse_decimal(text, decimals, min, max, &value, why, sizeof why);
    if (out != nullptr)
        *out = value;
    return ok;
}

std::string formatted(long long value, int decimals)
{
    char buf[32];
    cli_format_decimal(value, decimals, buf, sizeof buf);
    return buf;
}

} // namespace

TEST(ParseDecimal, ScalesExactly)
{
    long long value = 0;
    EXPECT_TRUE(parses_decimal("0.05", 3, 0, 1000, &value));
    EXPECT_EQ(value, 50);
    EXPECT_TRUE(parses_decimal("0.5", 3, 0, 1000, &value));
    EXPECT_EQ(value, 500);
    EXPECT_TRUE(parses_decimal("1", 3, 0, 1000, &value));
    EXPECT_EQ(value, 1000);
    EXPECT_TRUE(parses_decimal("0", 3, 0, 1000, &value));
    EXPECT_EQ(value, 0);
    EXPECT_TRUE(parses_decimal("0.125", 3, 0, 1000, &value));
    EXPECT_EQ(value, 125);
    EXPECT_TRUE(parses_decimal("-2.25", 2, -1000, 1000, &value));
    EXPECT_EQ(value, -225);
    EXPECT_TRUE(parses_decimal("007.1", 1, 0, 1000, &value));
    EXPECT_EQ(value, 71);
}

TEST(ParseDecimal, RejectsWhatIsNotExactlyADecimal)
{
    for (const char *text : {"", ".5", "5.", "+1", " 1", "1 ", "1e-2", "0x1", "1,5", "0.0501",
                             "-", "--1", "1.2.3", "abc", "0.5x", ".", "-.5", "nan", "inf"})
        EXPECT_FALSE(parses_decimal(text, 3, -1000, 1000)) << "'" << text << "'";
}

TEST(ParseDecimal, RejectsOutOfRangeAndOverflow)
{
    EXPECT_FALSE(parses_decimal("1.001", 3, 0, 1000));
    EXPECT_FALSE(parses_decimal("2", 3, 0, 1000));
    EXPECT_FALSE(parses_decimal("-0.001", 3, 0, 1000));
    EXPECT_FALSE(parses_decimal("9223372036854775.808", 3, 0, 9223372036854775807LL));
    EXPECT_FALSE(parses_decimal("99999999999999999999", 3, 0, 9223372036854775807LL));
    long long value = 0;
    EXPECT_TRUE(parses_decimal("9223372036854775.807", 3, 0, 9223372036854775807LL, &value));
    EXPECT_EQ(value, 9223372036854775807LL);
}

TEST(ParseDecimal, SaysWhyInTheUnitsTheUserTyped)
{
    long long value;
    char why[128];
    ASSERT_FALSE(cli_parse_decimal("0.0501", 3, 0, 1000, &value, why, sizeof why));
    EXPECT_STREQ(why, "not a decimal number with at most 3 digits after the point");
    ASSERT_FALSE(cli_parse_decimal("1.5", 3, 0, 1000, &value, why, sizeof why));
    EXPECT_STREQ(why, "must be between 0 and 1");
    ASSERT_FALSE(cli_parse_decimal("0.9", 2, 5, 50, &value, why, sizeof why));
    EXPECT_STREQ(why, "must be between 0.05 and 0.5");
}

TEST(FormatDecimal, DropsTrailingZeros)
{
    EXPECT_EQ(formatted(50, 3), "0.05");
    EXPECT_EQ(formatted(500, 3), "0.5");
    EXPECT_EQ(formatted(1000, 3), "1");
    EXPECT_EQ(formatted(0, 3), "0");
    EXPECT_EQ(formatted(1234, 3), "1.234");
    EXPECT_EQ(formatted(-225, 2), "-2.25");
    EXPECT_EQ(formatted(-5, 3), "-0.005");
}

namespace {

const char *const modes[] = {"seq", "threads", nullptr};
enum { SEQ, THREADS };

// PROGRAM's parse of ARGS (the program's name put first): its status, what
// it printed on stdout and its error message.
struct Outcome {
    cli_status status = CLI_RUN;
    cli_common common{};
    std::string out;
    std::string error;
};

Outcome parse_with(const cli_program &program, std::vector<const char *> args)
{
    Outcome outcome;
    args.insert(args.begin(), "demo");
    char *buffer = nullptr;
    size_t size = 0;
    FILE *stream = open_memstream(&buffer, &size);
    char message[512] = "";
    outcome.status = cli_parse(&program, static_cast<int>(args.size()),
                               const_cast<char **>(args.data()), &outcome.common, stream, message,
                               sizeof message);
    fclose(stream);
    outcome.out.assign(buffer, size);
    free(buffer);
    outcome.error = message;
    return outcome;
}

cli_option option(const char *name, cli_kind kind, long long min = 0, long long max = 0)
{
    cli_option option{};
    option.name = name;
    option.kind = kind;
    option.help = name;
    option.min = min;
    option.max = max;
    return option;
}

// A small program description and a parse of a command line against it:
// --workers (any mode), --split (threads only), --serial (a decimal),
// --file (text), --rounds (defaults by size: 2 quick, 10 book, 100 large),
// --piece (only with --split).
struct Parse {
    int mode = -1;
    long long workers = 4;
    long long serial = 50;
    long long rounds = -1, piece = 3;
    bool split = false, workers_given = false;
    const char *file = nullptr;
    cli_common common{};
    std::string out;
    std::string error;
    cli_status status = CLI_RUN;

    explicit Parse(std::vector<const char *> args, const char *positional = nullptr,
                   const cli_sweep *sweep = nullptr, const char *size_sweep = nullptr)
    {
        cli_option options[] = {option("workers", CLI_INT, 1, 64), option("split", CLI_FLAG),
                                option("serial", CLI_DECIMAL, 0, 1000), option("file", CLI_TEXT),
                                option("rounds", CLI_INT, 1, 1000), option("piece", CLI_INT, 1, 9)};
        options[0].integer = &workers;
        options[0].given = &workers_given;
        options[1].flag = &split;
        options[1].modes = CLI_MODE(THREADS);
        options[2].integer = &serial;
        options[2].decimals = 3;
        options[2].help = "serial fraction";
        options[3].text = &file;
        options[3].metavar = "FILE";
        options[3].help = "a file";
        options[4].integer = &rounds;
        options[4].by_size = {true, {2, 10, 100}};
        options[5].integer = &piece;
        options[5].needs = "split";
        const cli_variant variants[] = {{"seq", SEQ, nullptr}, {"threads", THREADS, nullptr}};
        const cli_program program = {"demo",    "A demo.", positional, "More.",
                                     modes,     "variant", &mode,      options,
                                     6,         variants,  2,          sweep,
                                     sweep != nullptr ? 2u : 0u, size_sweep};
        Outcome outcome = parse_with(program, std::move(args));
        status = outcome.status;
        common = outcome.common;
        out = outcome.out;
        error = outcome.error;
    }
};

} // namespace

TEST(Parse, DefaultsWhenNothingIsGiven)
{
    Parse parse({});
    EXPECT_EQ(parse.status, CLI_RUN);
    EXPECT_EQ(parse.mode, 0);
    EXPECT_EQ(parse.workers, 4);
    EXPECT_FALSE(parse.workers_given);
    EXPECT_EQ(parse.common.size, CLI_SIZE_BOOK);
    EXPECT_FALSE(parse.common.json);
}

TEST(Parse, ReadsEqualsAndSeparateValues)
{
    Parse parse({"--mode=threads", "--workers", "8", "--split", "--size=quick", "--json"});
    ASSERT_EQ(parse.status, CLI_RUN) << parse.error;
    EXPECT_EQ(parse.mode, 1);
    EXPECT_EQ(parse.workers, 8);
    EXPECT_TRUE(parse.workers_given);
    EXPECT_TRUE(parse.split);
    EXPECT_EQ(parse.common.size, CLI_SIZE_QUICK);
    EXPECT_TRUE(parse.common.json);
}

TEST(Parse, RejectsBadValuesNamingTheOption)
{
    const std::vector<std::vector<const char *>> bad_lines = {
        {"--workers=0"}, {"--workers=abc"}, {"--workers=65"}, {"--workers="}, {"--workers"},
        {"--mode=bogus"}, {"--size=huge"}, {"--split=yes"}, {"--nope"}, {"stray"}, {"-x"},
        {"--serial=1.5"}, {"--serial=.5"}, {"--serial="}, {"--serial"}, {"--sweep=yes"},
    };
    for (const auto &line : bad_lines) {
        Parse parse(line);
        EXPECT_EQ(parse.status, CLI_BAD) << line[0];
        EXPECT_FALSE(parse.error.empty()) << line[0];
        EXPECT_EQ(parse.error.find('\n'), std::string::npos) << parse.error;
    }
    EXPECT_NE(Parse({"--workers=0"}).error.find("--workers"), std::string::npos);
    EXPECT_NE(Parse({"--mode=bogus"}).error.find("seq|threads"), std::string::npos);
    EXPECT_NE(Parse({"--nope"}).error.find("--nope"), std::string::npos);
    EXPECT_EQ(Parse({"--serial=1.5"}).error, "--serial='1.5': must be between 0 and 1");
}

TEST(Parse, RefusesAnOptionGivenTwice)
{
    const std::vector<std::vector<const char *>> twice = {
        {"--mode=seq", "--mode=threads"}, {"--mode=seq", "--mode", "seq"}, {"--json", "--json"},
        {"--workers=2", "--split", "--workers", "3"}, {"--size=quick", "--size=quick"},
    };
    for (const auto &line : twice) {
        Parse parse(line);
        EXPECT_EQ(parse.status, CLI_BAD) << line[0];
        std::string name = std::string(line[0]).substr(0, std::string(line[0]).find('='));
        EXPECT_EQ(parse.error, name + " given twice: give each option once");
    }
    EXPECT_EQ(Parse({"--mode=seq", "--workers=2"}).status, CLI_RUN);
}

TEST(Parse, EchoesWhatWasTypedOnOneLine)
{
    EXPECT_EQ(Parse({"--mode=a\nb"}).error,
              "--mode='a\\nb': unknown, expected one of seq|threads");
    EXPECT_EQ(Parse({"--workers=1\t2"}).error, "--workers='1\\t2': not an integer");
    EXPECT_EQ(Parse({"stray\nword"}).error, "unexpected argument 'stray\\nword'");
    EXPECT_EQ(Parse({"--no\npe=1"}).error, "unknown option '--no\\npe' (see --help)");
    EXPECT_EQ(Parse({"--split=\x01"}).error, "--split takes no value (got '\\x01')");
}

TEST(Quote, EscapesControlCharactersAndCutsWithDots)
{
    char buf[16];
    EXPECT_STREQ(cli_quote("plain", buf, sizeof buf), "plain");
    EXPECT_STREQ(cli_quote("a\nb\r\x7f", buf, sizeof buf), "a\\nb\\r\\x7f");
    EXPECT_STREQ(cli_quote("0123456789abcdefghij", buf, sizeof buf), "0123456789ab...");
    EXPECT_STREQ(cli_quote("", buf, sizeof buf), "");
    char tiny[3] = "xy";
    EXPECT_STREQ(cli_quote("abc", tiny, sizeof tiny), "");
}

TEST(Parse, ReadsADecimalOption)
{
    Parse parse({"--serial=0.25"});
    ASSERT_EQ(parse.status, CLI_RUN) << parse.error;
    EXPECT_EQ(parse.serial, 250);
    EXPECT_EQ(Parse({"--serial", "1"}).serial, 1000);
    EXPECT_EQ(Parse({}).serial, 50);
}

TEST(Parse, ReadsATextOptionButNotAnEmptyOne)
{
    Parse parse({"--file=hosts.txt"});
    ASSERT_EQ(parse.status, CLI_RUN) << parse.error;
    EXPECT_STREQ(parse.file, "hosts.txt");
    EXPECT_STREQ(Parse({"--file", "-"}).file, "-");
    EXPECT_EQ(Parse({}).file, nullptr);
    EXPECT_EQ(Parse({"--file="}).status, CLI_BAD);
    EXPECT_EQ(Parse({"--file="}).error, "--file='': must not be empty");
    EXPECT_EQ(Parse({"--file"}).error, "--file needs a value");
    const std::string help = Parse({"--help"}).out;
    EXPECT_NE(help.find("--file=FILE"), std::string::npos) << help;
    EXPECT_NE(help.find("a file (default none)"), std::string::npos) << help;
}

TEST(Parse, CollectsPositionalsOnlyWhenTheProgramTakesThem)
{
    Parse parse({"12", "--json", "-5", "--", "--mode=seq"}, "NUMBER");
    ASSERT_EQ(parse.status, CLI_RUN) << parse.error;
    ASSERT_EQ(parse.common.n_positional, 3);
    EXPECT_STREQ(parse.common.positional[0], "12");
    EXPECT_STREQ(parse.common.positional[1], "-5");
    EXPECT_STREQ(parse.common.positional[2], "--mode=seq");
    EXPECT_EQ(Parse({"12"}).status, CLI_BAD);
}

TEST(Parse, RefusesTooManyPositionals)
{
    std::vector<const char *> many(CLI_MAX_POSITIONAL + 1, "7");
    EXPECT_EQ(Parse(many, "NUMBER").status, CLI_BAD);
}

TEST(Parse, HelpShowsEveryOptionAndDefault)
{
    Parse parse({"--help"});
    EXPECT_EQ(parse.status, CLI_DONE);
    for (const char *expected : {"usage: demo", "--mode=seq|threads", "default seq", "--workers=N",
                                 "1..64, default 4", "--split", "--size=quick|book|large", "--json",
                                 "--list", "--sweep", "--serial=X", "0..1, default 0.05", "More."})
        EXPECT_NE(parse.out.find(expected), std::string::npos) << expected << "\n" << parse.out;
}

TEST(Parse, ListPrintsNameTabArguments)
{
    Parse parse({"--list"});
    EXPECT_EQ(parse.status, CLI_DONE);
    EXPECT_EQ(parse.out, "seq\t--mode=seq\nthreads\t--mode=threads\n");
}

/* A sweep of two series, one of fixed work and one of work per worker. */
static const cli_sweep two_series[] = {
    {"threads", THREADS, "--workers={workers}", false},
    {"per-thread", THREADS, "--workers={workers} --each", true},
};

TEST(Parse, SweepPrintsOneLinePerSeries)
{
    Parse parse({"--sweep"}, nullptr, two_series);
    EXPECT_EQ(parse.status, CLI_DONE);
    EXPECT_EQ(parse.out, "threads\t--mode=threads --workers={workers}\tstrong\n"
                         "per-thread\t--mode=threads --workers={workers} --each\tweak\n");
    EXPECT_TRUE(parse.error.empty());
}

TEST(Parse, SweepPrintsNothingWhenTheProgramHasNone)
{
    Parse parse({"--sweep"});
    EXPECT_EQ(parse.status, CLI_DONE);
    EXPECT_EQ(parse.out, "");
}

TEST(Parse, SweepStillChecksTheRestOfTheLine)
{
    EXPECT_EQ(Parse({"--sweep", "--nope"}, nullptr, two_series).status, CLI_BAD);
    EXPECT_EQ(Parse({"--list", "--sweep"}, nullptr, two_series).out,
              "seq\t--mode=seq\nthreads\t--mode=threads\n");
}

TEST(Parse, SizeSweepPrintsTheProgramsSizeSweepOnOneLine)
{
    Parse parse({"--size-sweep"}, nullptr, nullptr, "base=10,20");
    EXPECT_EQ(parse.status, CLI_DONE);
    EXPECT_EQ(parse.out, "base=10,20\n");
    EXPECT_EQ(Parse({"--size-sweep"}).out, "");
    EXPECT_EQ(Parse({"--size-sweep", "--nope"}, nullptr, nullptr, "base=10").status, CLI_BAD);
}

TEST(Parse, SizeNames)
{
    EXPECT_STREQ(cli_size_name(CLI_SIZE_QUICK), "quick");
    EXPECT_STREQ(cli_size_name(CLI_SIZE_BOOK), "book");
    EXPECT_STREQ(cli_size_name(CLI_SIZE_LARGE), "large");
}

TEST(Parse, ModeIsTheProgramsOwnListAndDefaultsToItsFirst)
{
    EXPECT_EQ(Parse({}).mode, SEQ);
    EXPECT_EQ(Parse({"--mode=threads"}).mode, THREADS);
    EXPECT_EQ(Parse({"--mode=bogus"}).error, "--mode='bogus': unknown, expected one of seq|threads");
}

TEST(Parse, DefaultsBySizeUnlessGiven)
{
    EXPECT_EQ(Parse({}).rounds, 10);
    EXPECT_EQ(Parse({"--size=quick"}).rounds, 2);
    EXPECT_EQ(Parse({"--size=large"}).rounds, 100);
    EXPECT_EQ(Parse({"--rounds=7", "--size=large"}).rounds, 7);
    EXPECT_EQ(Parse({"--size=quick", "--rounds", "10"}).rounds, 10);
}

TEST(Parse, HelpPrintsTheDefaultsOfEverySizeAndWhereAnOptionApplies)
{
    const std::string help = Parse({"--help"}).out;
    EXPECT_NE(help.find("--rounds=N"), std::string::npos) << help;
    EXPECT_NE(help.find("rounds (1..1000, default 10; quick: 2; large: 100)"), std::string::npos)
        << help;
    EXPECT_NE(help.find("split (only with --mode=threads)"), std::string::npos) << help;
    EXPECT_NE(help.find("--mode=seq|threads"), std::string::npos) << help;
    EXPECT_NE(help.find("variant (default seq)"), std::string::npos) << help;
}

TEST(Parse, RefusesAnOptionOutsideTheModesItAppliesTo)
{
    Parse parse({"--split"});
    EXPECT_EQ(parse.status, CLI_BAD);
    EXPECT_EQ(parse.error, "--split applies only with --mode=threads, not --mode=seq");
    EXPECT_EQ(Parse({"--split", "--mode=seq"}).status, CLI_BAD);
    EXPECT_EQ(Parse({"--split", "--mode=threads"}).status, CLI_RUN);
    EXPECT_TRUE(Parse({"--mode=threads", "--split"}).split);
    EXPECT_EQ(Parse({"--split", "--help"}).status, CLI_DONE);
}

TEST(Parse, ListAndSweepSpellTheModeOfEachLine)
{
    const cli_variant variants[] = {{"threads-more", THREADS, "--more --even-more"},
                                    {"seq", SEQ, nullptr}};
    const cli_sweep sweep[] = {{"threads", THREADS, "--workers={workers}", true}};
    int mode = -1;
    const cli_program program = {"demo", "A demo.", nullptr, nullptr, modes,  nullptr, &mode,
                                 nullptr, 0,        variants, 2,      sweep,  1,       nullptr};
    EXPECT_EQ(parse_with(program, {"--list"}).out,
              "threads-more\t--mode=threads --more --even-more\nseq\t--mode=seq\n");
    EXPECT_EQ(parse_with(program, {"--sweep"}).out,
              "threads\t--mode=threads --workers={workers}\tweak\n");
    EXPECT_NE(parse_with(program, {"--help"}).out.find("the variant to run (default seq)"),
              std::string::npos);
}

// A program whose tables break the contract: no command line can run it.
struct Defect : ::testing::Test {
    int mode = 0;
    long long count = 5;
    cli_option options[1] = {option("count", CLI_INT, 1, 10)};
    cli_variant variants[2] = {{"seq", SEQ, nullptr}, {"threads", THREADS, nullptr}};
    cli_sweep sweep[1] = {{"threads", THREADS, "--count={workers}", false}};
    cli_program program = {"demo", "A demo.", nullptr, nullptr, modes, nullptr, &mode,
                           options, 1,        variants, 2,      sweep, 1,       nullptr};

    Defect() { options[0].integer = &count; }

    // The parse of --help, --list and a plain run: each must be CLI_DEFECT
    // with a message that holds WHAT.
    void expect_defect(const std::string &what)
    {
        for (const char *arg : {"--help", "--list", "--json"}) {
            Outcome outcome = parse_with(program, {arg});
            EXPECT_EQ(outcome.status, CLI_DEFECT) << arg;
            EXPECT_EQ(outcome.out, "") << arg;
            EXPECT_EQ(outcome.error.rfind("defect in the program: ", 0), 0u) << outcome.error;
            EXPECT_NE(outcome.error.find(what), std::string::npos) << outcome.error;
        }
    }
};

TEST_F(Defect, NoneInTheCleanTables)
{
    EXPECT_EQ(parse_with(program, {"--json"}).status, CLI_RUN);
}

TEST_F(Defect, AModeThatNoVariantSelects)
{
    program.n_variants = 1;
    expect_defect("--mode=threads is accepted but no --list line selects it");
}

TEST_F(Defect, AVariantOrASeriesWithAModeOutOfRange)
{
    variants[1].mode = 2;
    expect_defect("variant threads selects no mode");
    variants[1].mode = THREADS;
    sweep[0].mode = -1;
    expect_defect("sweep series threads selects no mode");
}

TEST_F(Defect, ADefaultBySizeOutsideTheRange)
{
    options[0].by_size = {true, {1, 5, 11}};
    expect_defect("--count's default at --size=large is outside its range");
}

TEST_F(Defect, DefaultsBySizeOnAnOptionThatIsNotANumber)
{
    options[0].kind = CLI_FLAG;
    options[0].by_size = {true, {1, 1, 1}};
    expect_defect("--count has defaults by size but is not a number");
}

TEST_F(Defect, AnOptionForAModeTheProgramLacks)
{
    options[0].modes = CLI_MODE(2);
    expect_defect("--count applies to a mode the program does not have");
}

TEST_F(Defect, AnOptionNamedLikeACommonOne)
{
    options[0].name = "mode";
    expect_defect("--mode is an option of every program");
}

TEST_F(Defect, AnOptionThatNeedsAFlagTheProgramLacks)
{
    options[0].needs = "gil";
    expect_defect("--count needs --gil, which is no flag of the program");
}

TEST_F(Defect, NoModes)
{
    program.modes = nullptr;
    expect_defect("a program needs 1 to 32 modes");
}

TEST(Parse, RefusesAnOptionWithoutTheFlagItNeeds)
{
    EXPECT_EQ(Parse({"--mode=threads", "--piece=4"}).error, "--piece applies only with --split");
    Parse parse({"--piece=4", "--mode=threads", "--split"});
    EXPECT_EQ(parse.status, CLI_RUN) << parse.error;
    EXPECT_EQ(parse.piece, 4);
    EXPECT_NE(Parse({"--help"}).out.find("piece (1..9, default 3; only with --split)"),
              std::string::npos);
}
