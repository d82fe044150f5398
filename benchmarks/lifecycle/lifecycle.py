#!/usr/bin/env python3
"""lifecycle: which states does a thread really pass through, as the kernel sees it?

Seed 003 lists a thread's life as New -> Runnable -> Running <-> Not Running
-> Dead.  This script walks one threading.Thread through them and reads, at
each step, the state letter Linux shows in /proc/self/task/<native_id>/stat
and the thread's CPU time (time.pthread_getcpuclockid).  Under CPython a
thread that Python calls runnable is often asleep in the kernel: it waits for
the GIL on a condition variable.  conclab times this file beside the C
program (as py-walk).

Same command line as the C program: --mode=walk, --size, --list, --json,
--sleep-ms.  Linux only (it reads /proc).
Exit status: 0 every state observed, 1 a state not observed, 2 bad command line.
"""
import argparse
import json
import os
import sys
import time
from threading import Lock, Thread

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import experiment_cli  # noqa: E402  (benchmarks/experiment_cli.py: the shared command line)

LIMIT_S = 10.0
POLL_S = 0.0005
SPIN, SLEEP, WAKE, FINISH = range(4)
BORN, SLEEPING, LOCKING, RUNNING_AGAIN, ENDING = range(5)


class Walker(Thread):
    """The thread walked through the states: CPU, a sleep, a lock, CPU, return."""

    def __init__(self, sleep_s, gate):
        super().__init__()
        self.sleep_s = sleep_s
        self.gate = gate
        self.command = SPIN
        self.phase = BORN

    def spin_until(self, command):
        while self.command < command:
            pass

    def start(self):
        super().start()
        # Before Python 3.8 there is no native_id: wait until run() has read
        # its own task id (from 3.8 on, start() returns with native_id set).
        while thread_native_id(self) is None:
            time.sleep(POLL_S)

    def run(self):
        if not hasattr(self, "native_id"):
            self.task_id = int(os.readlink("/proc/thread-self").rsplit("/", 1)[1])
        self.spin_until(SLEEP)
        self.phase = SLEEPING
        while True:  # sleeps on until the main thread has seen it asleep
            time.sleep(self.sleep_s)
            if self.command >= WAKE:
                break
        self.phase = LOCKING
        with self.gate:
            pass
        self.phase = RUNNING_AGAIN
        self.spin_until(FINISH)
        self.phase = ENDING


def thread_native_id(thread):
    """Thread.native_id (Python 3.8+), or before 3.8 the task id run() read."""
    return getattr(thread, "native_id", getattr(thread, "task_id", None))


def task_state(tid):
    """The state letter of task TID, or '-' when it does not exist."""
    try:
        with open(f"/proc/self/task/{tid}/stat", encoding="ascii", errors="replace") as stat:
            line = stat.read()
    except (FileNotFoundError, ProcessLookupError):
        return "-"
    return line[line.rindex(")") + 2] if ")" in line else "-"


def cpu_ms(thread):
    try:
        return 1e3 * time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    except AttributeError:  # Python 3.6 has no pthread_getcpuclockid
        return task_cpu_ms(thread_native_id(thread))
    except (OSError, TypeError):
        return -1.0


def task_cpu_ms(tid):
    """The CPU time of task TID from /proc (its schedstat's first field, in ns), or -1."""
    try:
        with open("/proc/self/task/{}/schedstat".format(tid), encoding="ascii") as schedstat:
            return int(schedstat.read().split()[0]) / 1e6
    except (OSError, ValueError, IndexError):
        return -1.0


class Walk:
    def __init__(self, sleep_s):
        self.gate = Lock()
        self.worker = Walker(sleep_s, self.gate)
        self.start = time.perf_counter()
        self.states = []

    def observe(self, state, letter, cpu, ok, meaning):
        self.states.append({"state": state, "kernel": letter, "cpu_ms": cpu, "ok": ok,
                            "t_ms": 1e3 * (time.perf_counter() - self.start),
                            "meaning": meaning})

    def wait_for_phase(self, phase):
        deadline = time.perf_counter() + LIMIT_S
        while self.worker.phase < phase and time.perf_counter() < deadline:
            time.sleep(POLL_S)

    def poll_for(self, letter, phase):
        deadline = time.perf_counter() + LIMIT_S
        seen = task_state(thread_native_id(self.worker))
        while seen != letter and self.worker.phase == phase and time.perf_counter() < deadline:
            time.sleep(POLL_S)
            seen = task_state(thread_native_id(self.worker))
        return seen

    def poll_running(self):
        before, deadline = cpu_ms(self.worker), time.perf_counter() + LIMIT_S
        while time.perf_counter() < deadline:
            time.sleep(POLL_S)
            seen, now = task_state(thread_native_id(self.worker)), cpu_ms(self.worker)
            if seen == "R" and now > before:
                return seen, now
        return task_state(thread_native_id(self.worker)), cpu_ms(self.worker)

    def run(self):
        worker = self.worker
        self.observe("New", "-", -1, thread_native_id(worker) is None,
                     "the Thread object exists; no kernel task yet (native_id is None)")
        self.gate.acquire()  # the lock the worker will wait on
        worker.start()
        letter = task_state(thread_native_id(worker))
        self.observe("Runnable", letter, cpu_ms(worker), letter != "-",
                     "start() returned: the task exists (S here often means: waiting for the GIL)")
        letter, cpu = self.poll_running()
        self.observe("Running", letter, cpu, letter == "R", "spinning in run(): its CPU time grows")
        worker.command = SLEEP
        self.wait_for_phase(SLEEPING)
        letter = self.poll_for("S", SLEEPING)
        self.observe("Not Running (sleeping)", letter, cpu_ms(worker), letter == "S",
                     "in time.sleep(), which releases the GIL")
        worker.command = WAKE
        self.wait_for_phase(LOCKING)
        letter = self.poll_for("S", LOCKING)
        self.observe("Not Running (waiting on a lock)", letter, cpu_ms(worker), letter == "S",
                     "blocked acquiring a Lock the main thread holds")
        self.gate.release()
        self.wait_for_phase(RUNNING_AGAIN)
        letter, cpu = self.poll_running()
        self.observe("Running (again)", letter, cpu, letter == "R", "the lock was released")
        tid = thread_native_id(worker)
        worker.command = FINISH
        worker.join()
        deadline = time.perf_counter() + LIMIT_S
        letter = task_state(tid)
        while letter != "-" and time.perf_counter() < deadline:
            time.sleep(POLL_S)
            letter = task_state(tid)
        self.observe("Dead", letter, -1, letter == "-" and not worker.is_alive(),
                     "run() returned and join() is done: the task is gone from /proc")


def main():
    parser = experiment_cli.OneLineParser(description="Walk one thread through its states and show what the "
                                       "kernel says at each (the study note on Learning Concurrency in Python).")
    parser.add_argument("--mode", choices=["walk"], default="walk")
    parser.add_argument("--size", choices=["quick", "book", "large"], default="book")
    experiment_cli.add_output_options(parser, [("walk", "--mode=walk")])
    parser.add_argument("--sleep-ms", type=experiment_cli.integer(1, 10000))
    args = parser.parse_args()
    if not os.path.isdir("/proc/self/task"):
        sys.stderr.write("lifecycle.py: needs Linux's /proc/self/task\n")
        return 1
    milliseconds = args.sleep_ms or (20 if args.size == "quick" else 100)
    walk = Walk(milliseconds / 1e3)
    walk.run()
    elapsed = 1e-3 * walk.states[-1]["t_ms"]
    ok = all(s["ok"] for s in walk.states)
    checks = [{"name": s["state"], "ok": s["ok"], "detail": f"kernel state {s['kernel']}"}
              for s in walk.states]
    if args.json:
        print(json.dumps({"experiment": "lifecycle", "variant": "walk", "language": "python",
                          "parameters": {"sleep_ms": milliseconds, "size": args.size},
                          "elapsed_s": elapsed, "checks": checks,
                          "data": {"states": walk.states}, "ok": ok}))
    else:
        print(f"lifecycle.py walk: {elapsed:.3f} s")
        for s in walk.states:
            print(f"  {s['t_ms']:9.3f} ms  {s['state']:<32} kernel: {s['kernel']}  "
                  f"cpu {max(s['cpu_ms'], 0):.3f} ms  {'ok   ' if s['ok'] else 'WRONG'}  "
                  f"{s['meaning']}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
