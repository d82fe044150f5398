"""experiment_cli — the command line every Python original shares with its C
program (benchmarks/<name>/<name>.py imports it from here).

The contract of common/cli.h, in Python: a usage error is one line on stderr,
naming the program and the option, with exit status 2 and nothing on stdout
(what the user typed is echoed with its control characters escaped, so that a
newline in a value cannot split it); an option is spelled out in full (no
argparse abbreviations: --mod is not --mode) and given at most once; --json
prints one JSON object; --list prints the variants run_all.sh times,
NAME<TAB>ARGS, one per line.
"""
import argparse
import re
import sys


def _escaped(text):
    """TEXT on one line: each control character as its escape (\\n, \\x01)."""
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: repr(m.group())[1:-1], text)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 2; no
    abbreviated option (allow_abbrev, Python 3.5+) and no option twice, as
    the C programs refuse both."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):
        sys.stderr.write(f"{self.prog}: {_escaped(message)}\n")
        sys.exit(2)

    def parse_known_args(self, args=None, namespace=None):
        words = sys.argv[1:] if args is None else list(args)
        self._refuse_repeated(words)
        return super().parse_known_args(words, namespace)

    def _refuse_repeated(self, words):
        """A second --mode would silently win over the first: an error."""
        seen = set()
        k = 0
        while k < len(words) and words[k] != "--":
            name, has_value = words[k].split("=", 1)[0], "=" in words[k]
            action = self._option_string_actions.get(name) if words[k].startswith("--") else None
            if action is not None:
                if action.dest in seen:
                    self.error(f"argument {name}: given twice: give each option once")
                seen.add(action.dest)
                if not has_value and action.nargs != 0:
                    k += 1  # its value, which may look like an option
            k += 1


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
