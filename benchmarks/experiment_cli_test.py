"""Tests of experiment_cli, the command line the Python originals share:
python3 benchmarks/experiment_cli_test.py (CTest runs it)."""
import argparse
import io
import os
import sys
import unittest
from contextlib import redirect_stderr, redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import experiment_cli  # noqa: E402


class Integer(unittest.TestCase):
    def test_takes_integers_in_range(self):
        parse = experiment_cli.integer(-5, 10)
        self.assertEqual([parse(t) for t in ("-5", "0", "7", "10")], [-5, 0, 7, 10])

    def test_refuses_what_is_not_a_plain_integer_in_range(self):
        parse = experiment_cli.integer(1, 100)
        for text in ("", "abc", "12x", "1e3", "1.5", "+5", " 5", "1_0", "0", "-1", "101",
                     "99999999999999999999"):
            with self.subTest(text=text), self.assertRaises(argparse.ArgumentTypeError) as caught:
                parse(text)
            self.assertIn("from 1 to 100", str(caught.exception))


class OneLineParser(unittest.TestCase):
    def test_a_bad_value_is_one_line_naming_the_option_and_exit_2(self):
        parser = experiment_cli.OneLineParser(prog="demo")
        parser.add_argument("--workers", type=experiment_cli.integer(1, 8))
        err, out = io.StringIO(), io.StringIO()
        with redirect_stderr(err), redirect_stdout(out), self.assertRaises(SystemExit) as caught:
            parser.parse_args(["--workers=9"])
        self.assertEqual(caught.exception.code, 2)
        self.assertEqual(out.getvalue(), "")
        self.assertEqual(err.getvalue(),
                         "demo: argument --workers: '9' must be an integer from 1 to 8\n")

    def test_list_prints_the_variants_and_exits_0_before_anything_else(self):
        parser = experiment_cli.OneLineParser(prog="demo")
        parser.add_argument("--mode", choices=["seq"], required=True)
        experiment_cli.add_output_options(parser, [("seq", "--mode=seq"), ("seq-gil", "--mode=seq --gil")])
        out = io.StringIO()
        with redirect_stdout(out), self.assertRaises(SystemExit) as caught:
            parser.parse_args(["--list"])
        self.assertEqual(caught.exception.code, 0)
        self.assertEqual(out.getvalue(), "seq\t--mode=seq\nseq-gil\t--mode=seq --gil\n")


def usage_error(parser, args):
    """Parses ARGS, which must be a usage error: (stderr, exit status)."""
    err, out = io.StringIO(), io.StringIO()
    with redirect_stderr(err), redirect_stdout(out), unittest.TestCase().assertRaises(SystemExit) as caught:
        parser.parse_args(args)
    assert out.getvalue() == "", out.getvalue()
    return err.getvalue(), caught.exception.code


def demo_parser():
    parser = experiment_cli.OneLineParser(prog="demo")
    parser.add_argument("--mode", choices=["seq", "threads"], default="seq")
    parser.add_argument("--size", choices=["quick", "book"], default="book")
    parser.add_argument("--workers", type=experiment_cli.integer(1, 8), default=2)
    experiment_cli.add_output_options(parser, [("seq", "--mode=seq")])
    return parser


class StrictLikeTheCPrograms(unittest.TestCase):
    def test_refuses_abbreviated_options(self):
        for args in (["--mod=seq"], ["--si=quick"], ["--js"], ["--work", "2"]):
            with self.subTest(args=args):
                err, code = usage_error(demo_parser(), args)
                self.assertEqual(code, 2)
                self.assertIn("unrecognized arguments: " + args[0], err)

    def test_refuses_an_option_given_twice(self):
        for args in (["--mode=seq", "--mode=threads"], ["--mode", "seq", "--mode=seq"],
                     ["--json", "--json"], ["--workers=2", "--size=quick", "--workers", "3"]):
            with self.subTest(args=args):
                err, code = usage_error(demo_parser(), args)
                self.assertEqual(code, 2)
                name = args[-1].split("=")[0] if args[-1].startswith("--") else args[-2]
                self.assertEqual(err, f"demo: argument {name}: given twice: give each option once\n")

    def test_a_newline_in_a_value_stays_on_one_line(self):
        for args in (["--mode=a\nb"], ["--workers=1\n2"], ["stray\nword"], ["--size=\x01"]):
            with self.subTest(args=args):
                err, code = usage_error(demo_parser(), args)
                self.assertEqual(code, 2)
                self.assertEqual(err.count("\n"), 1, err)
                self.assertTrue(err.endswith("\n"))
        err, _ = usage_error(demo_parser(), ["--workers=1\n2"])
        self.assertEqual(err, "demo: argument --workers: '1\\n2' must be an integer from 1 to 8\n")

    def test_full_spellings_still_parse(self):
        args = demo_parser().parse_args(["--mode", "threads", "--size=quick", "--workers=3", "--json"])
        self.assertEqual((args.mode, args.size, args.workers, args.json), ("threads", "quick", 3, True))


if __name__ == "__main__":
    unittest.main()
