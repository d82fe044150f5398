#!/usr/bin/env python3
"""amdahl: how much faster can N workers make a program that is partly serial?

Seed 004's note on Amdahl's law: the speed of a program on many cores is
limited by the time its sequential part takes.  With a fraction s of the work
on one worker and the rest split evenly over N, the speedup over one worker is
at most 1 / (s + (1 - s) / N), and never more than 1 / s.

The work is a fixed number of steps of the 64-bit congruential generator
x -> A*x + C (mod 2^64), summing the states.  --serial=s of the steps run first
in the main thread; the rest are cut into --workers equal chunks, each started
from its own state computed in closed form.  --mode=threads runs the chunks in
threads, as the C program does: the GIL lets one of them run at a time, so
CPython gains nothing.  --mode=processes runs them in a ProcessPoolExecutor, as
the note's own example does: that is the Amdahl curve in CPython.

CPython is over a hundred times slower per step than C, so each size does a
hundredth of the C program's steps (book: 10000000 instead of 1000000000).

Same command line as the C program: --mode, --workers, --serial, --work,
--size, --json, --list.  Exit status: 0 right answer, 1 wrong, 2 bad command line.
"""
import argparse
import json
import os
import re
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import experiment_cli  # noqa: E402  (benchmarks/experiment_cli.py: the shared command line)

A = 6364136223846793005
C = 1442695040888963407
MASK = (1 << 64) - 1
SEED = 2019
WORK = {"quick": 10_000, "book": 10_000_000, "large": 80_000_000}
MAX_WORKERS = 1024
MIN_WORK, MAX_WORK = 1000, 100_000_000_000
CORES = os.cpu_count() or 1


def compose(first, second):
    """The span of FIRST's steps then SECOND's; a span (mul, add, sum_mul,
    sum_add) maps the start state x0 to the end state mul*x0 + add and to the
    sum of the states on the way, sum_mul*x0 + sum_add."""
    m1, a1, sm1, sa1 = first
    m2, a2, sm2, sa2 = second
    return (m2 * m1 & MASK, (m2 * a1 + a2) & MASK,
            (sm1 + sm2 * m1) & MASK, (sa1 + sm2 * a1 + sa2) & MASK)


def span(count):
    """COUNT steps in closed form, by repeated doubling: O(log COUNT)."""
    result, power = (1, 0, 0, 0), (A, C, 1, 0)
    while count:
        if count & 1:
            result = compose(result, power)
        power = compose(power, power)
        count >>= 1
    return result


def walk(state, count):
    """The work: COUNT steps one by one; returns (sum of states, end state)."""
    total = 0
    for _ in range(count):
        total += state
        state = (state * A + C) & MASK
    return total & MASK, state


def run_chunk(chunk):
    origin, offset, count = chunk
    mul, add, _, _ = span(offset)
    return walk((mul * origin + add) & MASK, count)


def make_chunks(origin, parallel, workers):
    """PARALLEL steps from ORIGIN cut into WORKERS chunks within one step of each other."""
    return [(origin, parallel * k // workers, parallel * (k + 1) // workers - parallel * k // workers)
            for k in range(workers)]


def run_threads(chunks):
    results = [None] * len(chunks)

    def work(k):
        results[k] = run_chunk(chunks[k])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(chunks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def run_processes(chunks):
    with ProcessPoolExecutor(max_workers=len(chunks)) as executor:
        return list(executor.map(run_chunk, chunks))


def run(mode, work, serial_steps, workers):
    start = time.perf_counter()
    serial_sum, origin = walk(SEED, serial_steps)
    chunks = make_chunks(origin, work - serial_steps, workers)
    if mode == "seq":
        results = [run_chunk(chunks[0])]
    elif mode == "threads":
        results = run_threads(chunks)
    else:
        results = run_processes(chunks)
    return time.perf_counter() - start, serial_sum, chunks, results


def check(work, serial_sum, chunks, results):
    mul, add, sum_mul, sum_add = span(work)
    total = (serial_sum + sum(s for s, _ in results)) & MASK
    expected = (sum_mul * SEED + sum_add) & MASK
    end, expected_end = results[-1][1], (mul * SEED + add) & MASK
    counts = [count for _, _, count in chunks]
    return [
        {"name": "checksum", "ok": total == expected,
         "detail": f"sum of all {work} states mod 2^64: {total}; closed form {expected}"},
        {"name": "end_state", "ok": end == expected_end,
         "detail": f"the last chunk ends at {end}; closed form {expected_end}"},
        {"name": "even_split", "ok": max(counts) - min(counts) <= 1,
         "detail": f"chunks of {min(counts)} to {max(counts)} steps"},
    ]


def worker_counts():
    """1, 2 and the cores online: enough for the curve without timing CPython for ages."""
    return sorted({n for n in (1, 2, CORES) if n <= min(CORES, MAX_WORKERS)})


# Python's variants are named by mode and workers (threads-2, processes-2),
# the C program's by workers alone (workers-2): every thread of C runs at
# once, and C has no process pool here.
PYTHON_ONLY_VARIANTS = {
    "threads-*": "the C program's workers-N under CPython's GIL, named by mode beside processes-N",
    "processes-*": "a ProcessPoolExecutor, the note's own example; the C program has threads only",
}


def variants():
    for mode in ("threads", "processes"):
        for n in worker_counts():
            yield f"{mode}-{n}", f"--mode={mode} --workers={n}"
    yield "seq", "--mode=seq"


def serial_thousandths(text):
    """A decimal 0..1 with at most 3 digits after the point, in thousandths (exact)."""
    match = re.fullmatch(r"([0-9]+)(?:\.([0-9]{1,3}))?", text)
    value = int(match.group(1)) * 1000 + int((match.group(2) or "").ljust(3, "0")) if match else -1
    if not 0 <= value <= 1000:
        raise argparse.ArgumentTypeError(
            f"'{text}': must be a decimal from 0 to 1 with at most 3 digits after the point")
    return value


def parse_args():
    parser = experiment_cli.OneLineParser(description="Fixed work, a fraction on one thread, the rest over "
                                       "--workers threads or processes: Amdahl's law (the study note on concurrent.futures, 2019).")
    parser.add_argument("--mode", choices=["seq", "threads", "processes"], default="threads")
    parser.add_argument("--workers", type=experiment_cli.integer(1, MAX_WORKERS), default=None)
    parser.add_argument("--serial", type=serial_thousandths, default=50,
                        help="fraction of the work run on one thread (default 0.05)")
    parser.add_argument("--work", type=experiment_cli.integer(MIN_WORK, MAX_WORK), default=None,
                        help="generator steps in all (default by --size)")
    parser.add_argument("--size", choices=list(WORK), default="book")
    experiment_cli.add_output_options(parser, variants())
    args = parser.parse_args()
    if args.mode == "seq" and args.workers is not None:
        parser.error("--workers needs --mode=threads or --mode=processes")
    args.workers = 1 if args.mode == "seq" else args.workers or min(CORES, MAX_WORKERS)
    args.work = args.work or WORK[args.size]
    return args


def main():
    args = parse_args()
    serial_steps = args.work * args.serial // 1000
    elapsed, serial_sum, chunks, results = run(args.mode, args.work, serial_steps, args.workers)
    checks = check(args.work, serial_sum, chunks, results)
    ok = all(c["ok"] for c in checks)
    s = serial_steps / args.work
    predicted = 1 / (s + (1 - s) / args.workers)
    variant = "seq" if args.mode == "seq" else f"{args.mode}-{args.workers}"
    if args.json:
        print(json.dumps({"experiment": "amdahl", "variant": variant, "language": "python",
                          "parameters": {"mode": args.mode, "size": args.size, "workers": args.workers,
                                         "serial": args.serial / 1000, "work": args.work},
                          "elapsed_s": elapsed,
                          "metrics": {"serial_fraction": {"value": s, "unit": ""},
                                      "predicted_speedup": {"value": predicted, "unit": "x"}},
                          "checks": checks, "ok": ok}))
    else:
        print(f"amdahl.py {variant}: {elapsed:.3f} s for {args.work} steps, serial fraction {s:.3f}; "
              f"Amdahl predicts at most {predicted:.2f}x over one worker"
              + (" (not with threads: the GIL runs one at a time)" if args.mode == "threads" else ""))
        experiment_cli.print_checks(checks)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
