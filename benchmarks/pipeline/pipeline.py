#!/usr/bin/env python3
"""pipeline: does a blocking queue beat polling when threads work in a chain?

Effective Python (2nd ed.), item 55, and the ClosableQueue/StoppableWorker
review in seed 002: items go through download -> resize -> upload, one thread
per stage.  The book's first version polls a deque under a Lock and sleeps
0.01 s when it is empty (its main thread checks the done list every 0.1 s);
the fixed version blocks on queue.Queue, closes it with a sentinel and uses
task_done/join.  conclab times this file beside the C program (as py-<variant>).

Same command line as the C program: --mode, --size, --list, --json, --items,
--work-us, --work, --capacity, --poll-us.
Exit status: 0 right answer, 1 wrong answer, 2 bad command line.
"""
import argparse
import json
import os
import sys
import time
from collections import deque
from queue import Queue
from threading import Lock, Thread

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import experiment_cli  # noqa: E402  (benchmarks/experiment_cli.py: the shared command line)

SIZES = {"quick": 100, "book": 1000, "large": 10000}
VARIANTS = [("sequential", "--mode=sequential"), ("queue", "--mode=queue"),
            ("queue-bounded", "--mode=queue-bounded"), ("busy-wait", "--mode=busy-wait"),
            ("busy-spin", "--mode=busy-wait --poll-us=0")]
MODES = ["sequential", "queue", "queue-bounded", "busy-wait"]
MASK = (1 << 64) - 1
STAGES = 3


class Item:
    """One piece of work: its value is transformed by each stage in turn."""

    def __init__(self, ident):
        self.ident = ident
        self.value = 0x243F6A8885A308D3 ^ ident
        self.put_at = self.done_at = 0.0


def transform(stage, value):
    """The stages' functions, the same as the C program's: none commutes."""
    if stage == 0:  # download
        return (value * 6364136223846793005 + 1442695040888963407) & MASK
    if stage == 1:  # resize
        return (value ^ (value >> 29) ^ (value << 17)) & MASK
    return ((((value << 23) | (value >> 41)) & MASK) + 0x9E3779B97F4A7C15) & MASK  # upload


def make_stage(stage, work, work_us):
    """The function a worker applies: some work, then the transformation."""
    seconds = work_us / 1e6

    def spin():
        end = time.thread_time() + seconds
        while time.thread_time() < end:
            pass

    def func(item):
        if seconds > 0:
            if work == "sleep":
                time.sleep(seconds)
            else:
                spin()
        item.value = transform(stage, item.value)
        if stage == STAGES - 1:
            item.done_at = time.perf_counter()
        return item
    return func


# ---- sequential ---------------------------------------------------------------

def run_sequential(items, funcs, _args):
    done = []
    for item in items:
        item.put_at = time.perf_counter()
        for func in funcs:
            func(item)
        done.append(item)
    return done, {}


# ---- busy-wait: the book's first version ---------------------------------------

class MyQueue:
    def __init__(self):
        self.items = deque()
        self.lock = Lock()

    def put(self, item):
        with self.lock:
            self.items.append(item)

    def get(self):
        with self.lock:
            return self.items.popleft()


class Worker(Thread):
    def __init__(self, func, in_queue, out_queue, poll_s):
        super().__init__()
        self.func = func
        self.in_queue = in_queue
        self.out_queue = out_queue
        self.poll_s = poll_s
        self.polled_count = 0
        self.work_done = 0

    def run(self):
        while True:
            self.polled_count += 1
            try:
                item = self.in_queue.get()
            except IndexError:
                time.sleep(self.poll_s)  # No work to do
            except AttributeError:
                return  # The magic exit signal: in_queue is None
            else:
                result = self.func(item)
                self.out_queue.put(result)
                self.work_done += 1


def run_busy_wait(items, funcs, args):
    poll_s = args.poll_us / 1e6
    queues = [MyQueue() for _ in range(STAGES + 1)]
    threads = [Worker(funcs[k], queues[k], queues[k + 1], poll_s) for k in range(STAGES)]
    for thread in threads:
        thread.start()
    for item in items:
        item.put_at = time.perf_counter()
        queues[0].put(item)
    while len(queues[STAGES].items) < len(items):
        time.sleep(10 * poll_s)  # the book's main thread: every 0.1 s
    for thread in threads:
        thread.in_queue = None
        thread.join()
    polls = sum(t.polled_count for t in threads)
    return list(queues[STAGES].items), {"polls": polls}


# ---- blocking queues: ClosableQueue and StoppableWorker ------------------------

class ClosableQueue(Queue):
    SENTINEL = object()

    def close(self):
        self.put(self.SENTINEL)

    def __iter__(self):
        while True:
            item = self.get()
            try:
                if item is self.SENTINEL:
                    return  # Cause the thread to exit
                yield item
            finally:
                self.task_done()


class StoppableWorker(Thread):
    def __init__(self, func, in_queue, out_queue):
        super().__init__()
        self.func = func
        self.in_queue = in_queue
        self.out_queue = out_queue

    def run(self):
        for item in self.in_queue:
            result = self.func(item)
            self.out_queue.put(result)


def run_queues(items, funcs, args):
    capacity = args.capacity if args.mode == "queue-bounded" else 0
    queues = [ClosableQueue(capacity) for _ in range(STAGES)] + [ClosableQueue()]
    threads = [StoppableWorker(funcs[k], queues[k], queues[k + 1]) for k in range(STAGES)]
    for thread in threads:
        thread.start()
    for item in items:
        item.put_at = time.perf_counter()
        queues[0].put(item)
    for k in range(STAGES):
        queues[k].close()
        queues[k].join()
    for thread in threads:
        thread.join()
    done = []
    while not queues[STAGES].empty():
        done.append(queues[STAGES].get())
    return done, {}


# ---- checks, report, command line ----------------------------------------------

def expected_value(ident):
    value = Item(ident).value
    for stage in range(STAGES):
        value = transform(stage, value)
    return value


def check(done, n):
    idents = [item.ident for item in done]
    right = sum(item.value == expected_value(item.ident) for item in done)
    return [
        {"name": "items_done", "ok": len(done) == n,
         "detail": f"{len(done)} of {n} items came out"},
        {"name": "each_item_once", "ok": sorted(idents) == list(range(n)),
         "detail": f"{len(set(idents))} distinct items of {n}"},
        {"name": "stages_in_order", "ok": right == len(done),
         "detail": f"{right} items carry the value of the three stages applied once each"},
        {"name": "fifo", "ok": idents == list(range(len(done))),
         "detail": "items left in the order they entered"},
    ]


def percentile(sorted_values, p):
    rank = max(1, min(len(sorted_values), -(-len(sorted_values) * p // 100)))
    return sorted_values[int(rank) - 1]


def parse_args():
    parser = experiment_cli.OneLineParser(description="Send items through download -> resize -> upload "
                                       "threads (Effective Python item 55).")
    parser.add_argument("--mode", choices=MODES, default="sequential")
    parser.add_argument("--size", choices=list(SIZES), default="book")
    experiment_cli.add_output_options(parser, VARIANTS)
    parser.add_argument("--items", type=experiment_cli.integer(1, 1000000))
    parser.add_argument("--work-us", type=experiment_cli.integer(0, 1000000), default=100)
    parser.add_argument("--work", choices=["sleep", "spin"], default="sleep")
    parser.add_argument("--capacity", type=experiment_cli.integer(1, 1000000))
    parser.add_argument("--poll-us", type=experiment_cli.integer(0, 1000000))
    args = parser.parse_args()
    if args.capacity is not None and args.mode != "queue-bounded":
        parser.error("--capacity applies only with --mode=queue-bounded")
    if args.poll_us is not None and args.mode != "busy-wait":
        parser.error("--poll-us applies only with --mode=busy-wait")
    args.capacity = 1 if args.capacity is None else args.capacity
    args.poll_us = 10000 if args.poll_us is None else args.poll_us
    args.items = args.items or SIZES[args.size]
    if args.items * STAGES * args.work_us / 1e6 > 3600:
        parser.error("more than 3600 s of work")
    return args


def main():
    args = parse_args()
    items = [Item(i) for i in range(args.items)]
    funcs = [make_stage(k, args.work, args.work_us) for k in range(STAGES)]
    run = {"sequential": run_sequential, "busy-wait": run_busy_wait}.get(args.mode, run_queues)
    cpu_start, start = time.process_time(), time.perf_counter()
    done, extra = run(items, funcs, args)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    checks = check(done, args.items)
    ok = all(c["ok"] for c in checks)
    latency = sorted(1e3 * (item.done_at - item.put_at) for item in done) or [0.0]
    variant = "busy-spin" if args.mode == "busy-wait" and args.poll_us == 0 else args.mode
    metrics = {"items_per_s": len(done) / elapsed if elapsed > 0 else 0.0, "cpu_s": cpu,
               "latency_p50_ms": percentile(latency, 50), "latency_p99_ms": percentile(latency, 99),
               **extra}
    if args.json:
        print(json.dumps({"experiment": "pipeline", "variant": variant, "language": "python",
                          "parameters": {"items": args.items, "size": args.size, "work": args.work,
                                         "work_us": args.work_us},
                          "elapsed_s": elapsed, "metrics": metrics, "checks": checks, "ok": ok}))
    else:
        print(f"pipeline.py {variant}: {elapsed:.3f} s, {metrics['items_per_s']:.0f} items/s, "
              f"CPU {cpu:.3f} s, latency p50 {metrics['latency_p50_ms']:.2f} ms"
              + (f", {extra['polls']} polls" if "polls" in extra else ""))
        experiment_cli.print_checks(checks)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
