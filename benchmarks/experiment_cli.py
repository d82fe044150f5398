"""experiment_cli — the command line every Python original shares with its C
program (benchmarks/<name>/<name>.py imports it from here).

The contract of common/cli.h, in Python: a usage error is one line on stderr,
naming the program and the option, with exit status 2 and nothing on stdout;
--json prints one JSON object; --list prints the variants run_all.sh times,
NAME<TAB>ARGS, one per line.
"""
import argparse
import sys


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 2."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: {message}\n")
        sys.exit(2)


def add_output_options(parser):
    """--json and --list, as every program has them."""
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--list", action="store_true", help="the variants run_all.sh times")


def print_variants(variants):
    """--list: (NAME, ARGS) pairs as NAME<TAB>ARGS lines."""
    for name, args in variants:
        print(f"{name}\t{args}")


def print_checks(checks):
    """The human lines of a report's checks: name, ok or WRONG, what was compared."""
    width = max([12] + [len(c["name"]) for c in checks])
    for c in checks:
        print(f"  check {c['name']:<{width}} {'ok   ' if c['ok'] else 'WRONG'}  {c['detail']}")
