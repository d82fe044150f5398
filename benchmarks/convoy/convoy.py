#!/usr/bin/env python3
"""convoy: what does a CPU-bound thread do to an I/O thread's response time?

Effective Python (2nd ed.), item 53, says threads are fine for blocking I/O:
select() releases the GIL.  Here an I/O thread makes short blocking waits
(select() with a 1 ms timeout on a pipe nobody writes), alone (alone) and
beside a thread that computes in pure Python until the I/O thread is done
(neighbour).  Each wait is timed from the call until the I/O thread runs
Python code again.  With the neighbour, CPython shows the GIL's convoy effect
by itself: every wait ends with the GIL held by the computing thread, and the
I/O thread gets it back only after a switch interval (sys.getswitchinterval(),
5 ms), so each 1 ms wait takes about 6 ms.

Same command line as the C program: --mode, --size, --list, --json.
Exit status: 0 right answer, 1 wrong answer, 2 bad command line.
"""
import json
import math
import os
import select
import sys
import time
from threading import Thread

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import experiment_cli  # noqa: E402  (benchmarks/experiment_cli.py: the shared command line)

SIZES = {"quick": 20, "book": 200, "large": 2000}  # waits the I/O thread makes
WAIT_S = 0.001
VARIANTS = [("alone", "--mode=alone"), ("neighbour", "--mode=neighbour")]


class Shared:
    def __init__(self):
        # The write end stays open: closed, the read end would be readable (EOF).
        self.read_end, self.write_end = os.pipe()
        self.io_done = False
        self.latencies = []
        self.became_ready = 0
        self.iterations = 0


def io_thread(shared, ops):
    for _ in range(ops):
        start = time.perf_counter()
        readable, _, _ = select.select([shared.read_end], [], [], WAIT_S)
        shared.latencies.append(time.perf_counter() - start)
        shared.became_ready += bool(readable)
    shared.io_done = True


def neighbour(shared):
    """Pure Python arithmetic until the I/O thread is done: it holds the GIL
    except when the interpreter makes it hand over."""
    x, iterations = 1, 0
    while not shared.io_done:
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        iterations += 1
    shared.iterations = iterations


def run(mode, ops):
    shared = Shared()
    threads = [Thread(target=io_thread, args=(shared, ops))]
    if mode == "neighbour":
        threads.append(Thread(target=neighbour, args=(shared,)))
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    os.close(shared.read_end)
    os.close(shared.write_end)
    return shared, elapsed


def percentile(values, p):
    """Nearest rank, as the C program's stats_percentile."""
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(p / 100 * len(ordered) - 1e-9)))
    return ordered[rank - 1]


def checks(shared, mode):
    short = [w for w in shared.latencies if w < WAIT_S]
    found = [{"name": "each_wait_at_least_timeout", "ok": not short,
              "detail": f"{len(short)} of {len(shared.latencies)} waits were shorter than "
                        f"{WAIT_S * 1000:g} ms"},
             {"name": "descriptor_stayed_unreadable", "ok": shared.became_ready == 0,
              "detail": f"{shared.became_ready} waits found the pipe readable"}]
    if mode == "neighbour":
        found.append({"name": "neighbour_computed", "ok": shared.iterations > 0,
                      "detail": f"the neighbour did {shared.iterations} iterations meanwhile"})
    return found


def parse_args():
    parser = experiment_cli.OneLineParser(description="Time an I/O thread's short blocking waits, alone and "
                                       "beside a CPU-bound thread (the GIL's convoy effect).")
    parser.add_argument("--mode", choices=[name for name, _ in VARIANTS], default="alone")
    parser.add_argument("--size", choices=list(SIZES), default="book")
    experiment_cli.add_output_options(parser, VARIANTS)
    return parser.parse_args()


def main():
    args = parse_args()
    ops = SIZES[args.size]
    shared, elapsed = run(args.mode, ops)
    ms = [w * 1000 for w in shared.latencies]
    metrics = {"latency_p50_ms": percentile(ms, 50), "latency_p90_ms": percentile(ms, 90),
               "latency_p99_ms": percentile(ms, 99), "latency_max_ms": max(ms),
               "ops_per_s": ops / elapsed, "switch_interval_ms": sys.getswitchinterval() * 1000}
    if args.mode == "neighbour":
        metrics["neighbour_iterations"] = shared.iterations
    results = checks(shared, args.mode)
    ok = all(c["ok"] for c in results)
    if args.json:
        print(json.dumps({"experiment": "convoy", "variant": args.mode, "language": "python",
                          "parameters": {"ops": ops, "wait_us": int(WAIT_S * 1e6),
                                         "size": args.size},
                          "elapsed_s": elapsed, "metrics": metrics,
                          "data": {"latencies_ms": ms}, "checks": results, "ok": ok}))
    else:
        print(f"convoy.py {args.mode}: {elapsed:.3f} s, {ops} waits of {WAIT_S * 1000:g} ms")
        for name, value in metrics.items():
            # A count in full (1234567, not 1.235e+06); a measurement to 4 digits.
            print(f"  {name}: {value}" if isinstance(value, int) else f"  {name}: {value:.4g}")
        experiment_cli.print_checks(results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
