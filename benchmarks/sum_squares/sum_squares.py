#!/usr/bin/env python3
"""sum_squares: does a pool of processes make CPU-bound Python code faster?

The study note of seed 001 (after Real Python's concurrency tutorial) sums
i * i for i in range(n) for the twenty numbers n = 5000000 + x, x in 0..19:
first one after the other (seq), then with multiprocessing.Pool().map
(processes).  conclab adds the thread pool (threads, ThreadPoolExecutor.map)
to show that CPython's GIL keeps it on one core while the processes use them
all.  The note prints its durations but quotes none; conclab times this file
beside the C program (as py-seq, py-threads, py-processes) on the same machine.

Same command line as the C program: --mode, --size, --list, --json,
--workers, --base, --tasks.  Exit status: 0 right answer, 1 wrong, 2 bad
command line.
"""
import argparse
import concurrent.futures
import json
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import experiment_cli  # noqa: E402  (benchmarks/experiment_cli.py: the shared command line)

SIZES = {"quick": (50000, 20), "book": (5000000, 20), "large": (5000000, 160)}
VARIANTS = [("seq", "--mode=seq"), ("threads", "--mode=threads"),
            ("processes", "--mode=processes")]
MAX_N = 4000000000
MAX_WORKERS = 1024
MAX_TASKS = 100000


def cpu_bound(number):
    """The note's task, exactly."""
    return sum(i * i for i in range(number))


def run_seq(numbers, workers):
    return [cpu_bound(number) for number in numbers]


def run_threads(numbers, workers):
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as executor:
        return list(executor.map(cpu_bound, numbers))


def run_processes(numbers, workers):
    with multiprocessing.Pool(workers) as pool:
        return pool.map(cpu_bound, numbers)


RUNNERS = {"seq": run_seq, "threads": run_threads, "processes": run_processes}


def closed_form(n):
    """sum of i * i for i < n, without the loop."""
    return (n - 1) * n * (2 * n - 1) // 6


def check(numbers, sums):
    right = sum(1 for n, s in zip(numbers, sums) if s == closed_form(n))
    return {"name": "closed_form", "ok": right == len(numbers) == len(sums),
            "detail": f"{right} of {len(numbers)} sums equal (n-1)n(2n-1)/6"}


def parse_args():
    parser = experiment_cli.OneLineParser(description="Sum i*i below n for 20 n near 5000000, sequentially "
                                       "or in a pool of threads or processes (the study note on multiprocessing.Pool, after Real Python).")
    parser.add_argument("--mode", choices=list(RUNNERS), default="seq")
    parser.add_argument("--size", choices=list(SIZES), default="book")
    parser.add_argument("--workers", type=experiment_cli.integer(1, MAX_WORKERS),
                        help="pool size (threads, processes); default: online cores")
    parser.add_argument("--base", type=experiment_cli.integer(1, MAX_N), help="n of the first task")
    parser.add_argument("--tasks", type=experiment_cli.integer(1, MAX_TASKS), help="number of tasks")
    experiment_cli.add_output_options(parser, VARIANTS)
    args = parser.parse_args()
    if args.workers is not None and args.mode == "seq":
        parser.error("--workers needs --mode=threads or --mode=processes")
    base, tasks = SIZES[args.size]
    args.base = base if args.base is None else args.base
    args.tasks = tasks if args.tasks is None else args.tasks
    if args.base + args.tasks - 1 > MAX_N:
        parser.error(f"--base + --tasks - 1 must be at most {MAX_N}")
    args.workers = args.workers or os.cpu_count() or 1
    return args


def main():
    args = parse_args()
    numbers = [args.base + x for x in range(args.tasks)]
    start = time.perf_counter()
    sums = RUNNERS[args.mode](numbers, args.workers)
    elapsed = time.perf_counter() - start
    checks = [check(numbers, sums)]
    ok = all(c["ok"] for c in checks)
    parameters = {"size": args.size, "base": args.base, "tasks": args.tasks}
    if args.mode != "seq":
        parameters["workers"] = args.workers
    if args.json:
        print(json.dumps({"experiment": "sum_squares", "variant": args.mode, "language": "python",
                          "parameters": parameters, "elapsed_s": elapsed, "checks": checks,
                          "data": {"sums": [{"n": n, "sum": str(s)} for n, s in zip(numbers, sums)]},
                          "ok": ok}))
    else:
        print(f"sum_squares.py {args.mode}: {elapsed:.3f} s, "
              f"{elapsed * 1e9 / sum(numbers):.1f} ns per element")
        experiment_cli.print_checks(checks)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
