#!/usr/bin/env python3
"""factorize: do threads make CPU-bound Python code faster?

Effective Python (2nd ed.), item 53, as the study note in seed 002 runs it:
factorize 10000000 and 20000000 by testing every candidate from 1 to n, first
one after the other (seq), then with one thread per number (threads).  The
note measured 1.718 s and 1.691 s: the GIL lets one thread run bytecode at a
time, so the threads gain nothing.  conclab times this file beside the C
program (as py-seq and py-threads) to show the same on this machine.

Same command line as the C program: --mode, --size, --list, --json, NUMBER...
Exit status: 0 right answer, 1 wrong answer, 2 bad command line.
"""
import argparse
import json
import os
import sys
import time
from threading import Thread

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import experiment_cli  # noqa: E402  (benchmarks/experiment_cli.py: the shared command line)

SIZES = {"quick": [100000, 200000], "book": [10000000, 20000000],
         "large": [10000000 * k for k in range(1, 9)]}
BOOK_COUNTS = {10000000: 64, 20000000: 72}
VARIANTS = [("seq", "--mode=seq"), ("threads", "--mode=threads")]


def factorize(number):
    """The book's generator: every i from 1 to number that divides it."""
    for i in range(1, number + 1):
        if number % i == 0:
            yield i


class FactorizeThread(Thread):
    def __init__(self, number):
        super().__init__()
        self.number = number
        self.factors = []

    def run(self):
        self.factors = list(factorize(self.number))


def run_seq(numbers):
    return [list(factorize(n)) for n in numbers]


def run_threads(numbers):
    threads = [FactorizeThread(n) for n in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [thread.factors for thread in threads]


def count_by_primes(n):
    """Divisor count from the prime factorisation, independent of factorize()."""
    count, prime = 1, 2
    while prime * prime <= n:
        exponent = 0
        while n % prime == 0:
            n //= prime
            exponent += 1
        count *= exponent + 1
        prime += 1
    return count * 2 if n > 1 else count


def check(number, divisors):
    expected = BOOK_COUNTS.get(number, count_by_primes(number))
    exact = all(number % d == 0 for d in divisors) and divisors == sorted(set(divisors))
    return {"name": f"divisors({number})", "ok": exact and len(divisors) == expected,
            "detail": f"{len(divisors)} found, {expected} expected"}


def parse_args():
    parser = experiment_cli.OneLineParser(description="Factorize numbers sequentially or in threads "
                                       "(Effective Python item 53).")
    parser.add_argument("--mode", choices=[name for name, _ in VARIANTS], default="seq")
    parser.add_argument("--size", choices=list(SIZES), default="book")
    experiment_cli.add_output_options(parser, VARIANTS)
    parser.add_argument("numbers", nargs="*", type=experiment_cli.integer(1, 10**10), metavar="NUMBER")
    return parser.parse_args()


def main():
    args = parse_args()
    numbers = args.numbers or SIZES[args.size]
    start = time.perf_counter()
    results = run_seq(numbers) if args.mode == "seq" else run_threads(numbers)
    elapsed = time.perf_counter() - start
    checks = [check(n, divisors) for n, divisors in zip(numbers, results)]
    ok = all(c["ok"] for c in checks)
    if args.json:
        print(json.dumps({"experiment": "factorize", "variant": args.mode, "language": "python",
                          "parameters": {"numbers": numbers, "size": args.size},
                          "elapsed_s": elapsed, "checks": checks, "ok": ok}))
    else:
        print(f"factorize.py {args.mode}: {elapsed:.3f} s")
        experiment_cli.print_checks(checks)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
