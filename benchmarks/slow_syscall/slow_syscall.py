#!/usr/bin/env python3
"""slow_syscall: do threads help when the work is waiting?

Effective Python (2nd ed.), item 53, as the study note in seed 002 runs it:
five calls of select() that each wait 0.1 s, one after the other (seq; the
note measured 0.518 s), then one thread per call (threads; 0.109 s).  A
blocked system call releases the GIL, so the waits overlap.  poll-one is the
event-loop answer: one thread, one selector waiting on every descriptor at
once, as asyncio does.

The note's snippet waits on a fresh TCP socket, socket.socket().  On Linux
that socket reports hang-up, select() returns at once, and nothing is
measured.  So the calls wait on an unbound UDP socket (or an empty pipe), and
every wait is checked to last at least the timeout; --descriptor=tcp shows
the pitfall (exit 1).

Same command line as the C program: --mode, --size, --list, --json, --calls,
--timeout-ms, --descriptor.  Exit status: 0 right, 1 wrong, 2 bad command line.
"""
import argparse
import json
import os
import select
import selectors
import socket
import sys
import time
from threading import Thread

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import experiment_cli  # noqa: E402  (benchmarks/experiment_cli.py: the shared command line)

SIZES = {"quick": (5, 10), "book": (5, 100), "large": (50, 100)}  # calls, timeout ms
VARIANTS = [("seq", "--mode=seq"), ("threads", "--mode=threads"),
            ("poll-one", "--mode=poll-one")]
MAX_CALLS, MAX_TIMEOUT_MS = 256, 10000


class Waitable:
    """A descriptor that stays unreadable: nobody sends to the UDP socket, and
    the pipe's write end stays open (closed, the read end would be at EOF)."""

    def __init__(self, kind):
        self.keep = None
        if kind == "pipe":
            read_end, self.keep = os.pipe()
            self.file = os.fdopen(read_end, "rb")
        elif kind == "udp":
            self.file = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        else:
            self.file = socket.socket()  # the note's: a fresh TCP socket

    def fileno(self):
        return self.file.fileno()

    def close(self):
        self.file.close()
        if self.keep is not None:
            os.close(self.keep)


class Call:
    def __init__(self, waitable, timeout):
        self.waitable, self.timeout = waitable, timeout
        self.wait, self.ready = 0.0, False


def slow_systemcall(call):
    """The book's slow_systemcall(): one select() with a timeout, timed."""
    start = time.perf_counter()
    readable, _, _ = select.select([call.waitable], [], [], call.timeout)
    call.wait, call.ready = time.perf_counter() - start, bool(readable)


def run_seq(calls):
    for call in calls:
        slow_systemcall(call)


def run_threads(calls):
    threads = [Thread(target=slow_systemcall, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_poll_one(calls):
    """One selector waits on every pending call until the earliest deadline."""
    start = time.perf_counter()
    with selectors.DefaultSelector() as selector:
        for call in calls:
            selector.register(call.waitable, selectors.EVENT_READ, call)
        pending = set(calls)
        while pending:
            earliest = min(start + call.timeout for call in pending)
            events = selector.select(max(0.0, earliest - time.perf_counter()))
            now = time.perf_counter()
            ready = {key.data for key, _ in events}
            for call in list(pending):
                if call in ready or now >= start + call.timeout:
                    call.wait, call.ready = now - start, call in ready
                    selector.unregister(call.waitable)
                    pending.discard(call)


def checks(calls, timeout_ms):
    short = [c for c in calls if c.wait < timeout_ms / 1000]
    ready = [c for c in calls if c.ready]
    return [{"name": "each_wait_at_least_timeout", "ok": not short,
             "detail": f"{len(short)} of {len(calls)} calls waited less than {timeout_ms} ms"},
            {"name": "descriptors_stayed_unreadable", "ok": not ready,
             "detail": f"{len(ready)} of {len(calls)} descriptors became readable"}]


def parse_args():
    parser = experiment_cli.OneLineParser(description="Slow select() calls in sequence, in threads, or in "
                                       "one selector (Effective Python item 53).")
    parser.add_argument("--mode", choices=[name for name, _ in VARIANTS], default="seq")
    parser.add_argument("--size", choices=list(SIZES), default="book")
    parser.add_argument("--calls", type=experiment_cli.integer(1, MAX_CALLS))
    parser.add_argument("--timeout-ms", type=experiment_cli.integer(1, MAX_TIMEOUT_MS))
    parser.add_argument("--descriptor", choices=["udp", "pipe", "tcp"], default="udp")
    experiment_cli.add_output_options(parser, VARIANTS)
    return parser.parse_args()


def main():
    args = parse_args()
    n_calls = args.calls or SIZES[args.size][0]
    timeout_ms = args.timeout_ms or SIZES[args.size][1]
    calls = [Call(Waitable(args.descriptor), timeout_ms / 1000) for _ in range(n_calls)]
    run = {"seq": run_seq, "threads": run_threads, "poll-one": run_poll_one}[args.mode]
    start = time.perf_counter()
    run(calls)
    elapsed = time.perf_counter() - start
    for call in calls:
        call.waitable.close()
    results = checks(calls, timeout_ms)
    ok = all(c["ok"] for c in results)
    waits = [call.wait for call in calls]
    if args.json:
        print(json.dumps({"experiment": "slow_syscall", "variant": args.mode, "language": "python",
                          "parameters": {"calls": n_calls, "timeout_ms": timeout_ms,
                                         "descriptor": args.descriptor, "size": args.size},
                          "elapsed_s": elapsed, "data": {"waits_s": waits},
                          "checks": results, "ok": ok}))
    else:
        print(f"slow_syscall.py {args.mode}: {elapsed:.3f} s")
        print("  per-call waits (ms): " + " ".join(f"{w * 1000:.2f}" for w in waits))
        experiment_cli.print_checks(results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
