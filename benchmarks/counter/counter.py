#!/usr/bin/env python3
"""counter: what does a lock cost, and what happens without one?

Effective Python (2nd ed.), item 54, as the study note in seed 002 runs it:
six threads each add 1 to one shared counter a million times.  The note found
6000000 both without a lock (unlocked, 1.068 s) and with the book's
LockingCounter (mutex, 2.322 s).  Since CPython 3.10 a thread switch happens
only at calls and backward jumps, never inside `self.count += offset`, so the
unlocked counter loses nothing in practice; the race is still there in the
language's rules.  sharded gives each thread its own counter, summed at the
end.  The C program's spinlock and atomic variants have no counterpart in the
standard library.

Same command line as the C program: --mode, --size, --list, --json, --threads,
--increments.  Exit status: 0 right, 1 wrong, 2 bad command line.
"""
import argparse
import json
import os
import sys
import time
from threading import Lock, Thread

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import experiment_cli  # noqa: E402  (benchmarks/experiment_cli.py: the shared command line)

SIZES = {"quick": (6, 10000), "book": (6, 1000000), "large": (64, 1000000)}
# mutex first, as in counter.c: the reference of run_all.sh's speedups.
VARIANTS = [("mutex", "--mode=mutex"), ("unlocked", "--mode=unlocked"),
            ("sharded", "--mode=sharded")]
MAX_THREADS, MAX_INCREMENTS = 256, 100000000


class Counter:
    """The book's Counter: no lock."""

    def __init__(self, threads):
        self.count = 0

    def increment(self, index, offset):
        self.count += offset

    def total(self):
        return self.count


class LockingCounter(Counter):
    """The book's LockingCounter: a Lock around the increment."""

    def __init__(self, threads):
        super().__init__(threads)
        self.lock = Lock()

    def increment(self, index, offset):
        with self.lock:
            self.count += offset


class ShardedCounter:
    """One count per thread, added up after the threads are joined."""

    def __init__(self, threads):
        self.counts = [0] * threads

    def increment(self, index, offset):
        self.counts[index] += offset

    def total(self):
        return sum(self.counts)


COUNTERS = {"unlocked": Counter, "mutex": LockingCounter, "sharded": ShardedCounter}


def worker(index, how_many, counter):
    """The book's worker: add 1, how_many times."""
    for _ in range(how_many):
        counter.increment(index, 1)


def run(mode, threads, how_many):
    counter = COUNTERS[mode](threads)
    workers = [Thread(target=worker, args=(i, how_many, counter)) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return counter.total()


def parse_args():
    parser = experiment_cli.OneLineParser(description="Threads add 1 to one counter, with or without a lock "
                                       "(Effective Python item 54).")
    parser.add_argument("--mode", choices=list(COUNTERS), default="unlocked")
    parser.add_argument("--size", choices=list(SIZES), default="book")
    parser.add_argument("--threads", type=experiment_cli.integer(1, MAX_THREADS))
    parser.add_argument("--increments", type=experiment_cli.integer(1, MAX_INCREMENTS))
    experiment_cli.add_output_options(parser, VARIANTS)
    return parser.parse_args()


def check(mode, expected, found):
    if mode == "unlocked":  # losing updates is its result; inventing them is wrong
        return {"name": "nothing_invented", "ok": 1 <= found <= expected,
                "detail": f"found {found}, between 1 and the expected {expected}"}
    return {"name": "exact", "ok": found == expected,
            "detail": f"found {found}, expected {expected}"}


def main():
    args = parse_args()
    threads = args.threads or SIZES[args.size][0]
    how_many = args.increments or SIZES[args.size][1]
    expected = threads * how_many
    start = time.perf_counter()
    found = run(args.mode, threads, how_many)
    elapsed = time.perf_counter() - start
    result = check(args.mode, expected, found)
    if args.json:
        print(json.dumps({"experiment": "counter", "variant": args.mode, "language": "python",
                          "parameters": {"threads": threads, "increments": how_many,
                                         "size": args.size},
                          "elapsed_s": elapsed,
                          "metrics": {"expected": expected, "found": found,
                                      "lost": expected - found,
                                      "ns_per_increment": elapsed * 1e9 / expected},
                          "checks": [result], "ok": result["ok"]}))
    else:
        print(f"counter.py {args.mode}: {elapsed:.3f} s, expected {expected}, found {found}, "
              f"lost {expected - found}, {elapsed * 1e9 / expected:.1f} ns per increment")
        print(f"  check {result['name']:<18} {'ok   ' if result['ok'] else 'WRONG'}  {result['detail']}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
