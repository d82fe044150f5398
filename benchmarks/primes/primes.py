#!/usr/bin/env python3
"""primes: a pool of threads or a pool of processes for CPU-bound work?

Seed 004, the study note on concurrent.futures, in its ProcessPoolExecutor
example: is_prime by trial division with the odd divisors up to sqrt(n),
mapped over the notes' PRIMES list.  The note's run took 4.9 s.  Here the
same map runs one number after the other (seq), over a ThreadPoolExecutor
(thread-pool: the GIL lets one thread compute at a time) and over a
ProcessPoolExecutor (process-pool: one interpreter, and one GIL, per core).

Same command line as the C program: --mode, --workers, --size, --list,
--json, NUMBER...  Exit status: 0 right answer, 1 wrong answer, 2 bad command
line.
"""
import argparse
import concurrent.futures
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import experiment_cli  # noqa: E402  (benchmarks/experiment_cli.py: the shared command line)

BOOK = [112272535095293, 112582705942171, 112272535095293,
        115280095190773, 115797848077099, 1099726899285419]
BOOK_ANSWERS = [True, True, True, True, True, False]
SIZES = {"quick": [1000000007, 1000000009, 1000000007, 998244353, 999999937, 99989300153],
         "book": BOOK, "large": BOOK * 4}
VARIANTS = [("seq", "--mode=seq"), ("thread-pool", "--mode=thread-pool"),
            ("process-pool", "--mode=process-pool")]
MAX_NUMBER = 10**18
MAX_WORKERS = 256


def exact_isqrt(n):
    """math.isqrt (Python 3.8+), or before 3.8 the float root corrected to be exact."""
    if hasattr(math, "isqrt"):
        return math.isqrt(n)
    root = int(math.sqrt(n))
    while root * root > n:
        root -= 1
    while (root + 1) * (root + 1) <= n:
        root += 1
    return root


def is_prime(n):
    """The notes' function, except that 2 is prime and 0 and 1 are not, and
    that math.isqrt is exact where floor(math.sqrt(n)) may round below 10**18."""
    if n < 4:
        return n >= 2
    if n % 2 == 0:
        return False
    sqrt_n = exact_isqrt(n)
    for i in range(3, sqrt_n + 1, 2):
        if n % i == 0:
            return False
    return True


def miller_rabin(n):
    """An answer that shares nothing with trial division (exact below 3.3e24)."""
    bases = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]
    if n < 2:
        return False
    for p in bases:
        if n % p == 0:
            return n == p
    odd, twos = n - 1, 0
    while odd % 2 == 0:
        odd //= 2
        twos += 1
    for a in bases:
        x = pow(a, odd, n)
        if x in (1, n - 1):
            continue
        for _ in range(twos - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def run(mode, numbers, workers):
    if mode == "seq":
        return [is_prime(n) for n in numbers]
    pool = (concurrent.futures.ThreadPoolExecutor if mode == "thread-pool"
            else concurrent.futures.ProcessPoolExecutor)
    with pool(max_workers=workers) as executor:
        return list(executor.map(is_prime, numbers))


def checks_for(numbers, answers, book_list):
    checks = [{"name": f"prime({n})", "ok": answer == miller_rabin(n),
               "detail": f"trial division: {answer}, Miller-Rabin: {miller_rabin(n)}"}
              for n, answer in zip(numbers, answers)]
    if book_list:
        expected = [BOOK_ANSWERS[i % len(BOOK)] for i in range(len(numbers))]
        checks.append({"name": "notes_answers", "ok": answers == expected,
                       "detail": "the notes printed: prime x5, then not prime"})
    return checks


def parse_args():
    parser = experiment_cli.OneLineParser(description="Test numbers for primality by trial division, "
                                       "sequentially or mapped over a thread or process pool.")
    parser.add_argument("--mode", choices=[name for name, _ in VARIANTS], default="seq")
    parser.add_argument("--size", choices=list(SIZES), default="book")
    parser.add_argument("--workers", type=experiment_cli.integer(1, MAX_WORKERS), default=None,
                        help="pool size; default: the cores online")
    experiment_cli.add_output_options(parser, VARIANTS)
    parser.add_argument("numbers", nargs="*", type=experiment_cli.integer(1, MAX_NUMBER), metavar="NUMBER")
    args = parser.parse_args()
    if args.workers is not None and args.mode == "seq":
        parser.error("--workers needs --mode=thread-pool or --mode=process-pool")
    return args


def main():
    args = parse_args()
    numbers = args.numbers or SIZES[args.size]
    pool_size = args.workers or min(os.cpu_count() or 1, MAX_WORKERS)
    start = time.perf_counter()
    answers = run(args.mode, numbers, pool_size)
    elapsed = time.perf_counter() - start
    checks = checks_for(numbers, answers, not args.numbers and args.size != "quick")
    ok = all(c["ok"] for c in checks)
    if args.json:
        print(json.dumps({"experiment": "primes", "variant": args.mode, "language": "python",
                          "parameters": {"numbers": numbers, "size": args.size,
                                         "workers": 1 if args.mode == "seq" else pool_size},
                          "elapsed_s": elapsed, "checks": checks, "ok": ok}))
    else:
        print(f"primes.py {args.mode}: {elapsed:.3f} s")
        for n, answer in zip(numbers, answers):
            print(f"  {n} is prime: {answer}")
        experiment_cli.print_checks(checks)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
