"""experiment_cli — the command line every Python original shares with its C
program (benchmarks/<name>/<name>.py imports it from here).

The contract of common/cli.h, in Python: a usage error is one line on stderr,
naming the program and the option, with exit status 2 and nothing on stdout;
--json prints one JSON object; --list prints the variants run_all.sh times,
NAME<TAB>ARGS, one per line.
"""
import argparse
import re
import sys


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 2."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: {message}\n")
        sys.exit(2)


def integer(low, high):
    """An argparse type: a decimal integer from LOW to HIGH.  Anything else
    ("abc", "1e3", "", a value out of range) is a usage error that names the
    option (argparse puts "argument --NAME:" first) and the range."""
    def parse(text):
        if not re.fullmatch(r"-?[0-9]+", text) or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"'{text}' must be an integer from {low} to {high}")
        return int(text)
    return parse


class _ListVariants(argparse.Action):
    """--list: prints the variants as NAME<TAB>ARGS lines and exits 0, at
    once, as --help does."""

    def __init__(self, option_strings, dest, variants, **kwargs):
        super().__init__(option_strings, dest, nargs=0, **kwargs)
        self.variants = variants

    def __call__(self, parser, namespace, values, option_string=None):
        for name, args in self.variants:
            print(f"{name}\t{args}")
        parser.exit(0)


def add_output_options(parser, variants):
    """--json, and --list of VARIANTS ((NAME, ARGS) pairs), as every program
    has them."""
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--list", action=_ListVariants, variants=list(variants),
                        help="the variants run_all.sh times, NAME<TAB>ARGS, and exit")


def print_checks(checks):
    """The human lines of a report's checks: name, ok or WRONG, what was compared."""
    width = max([12] + [len(c["name"]) for c in checks])
    for c in checks:
        print(f"  check {c['name']:<{width}} {'ok   ' if c['ok'] else 'WRONG'}  {c['detail']}")
