#!/usr/bin/env python3
"""fanout: a new thread for every task, or a fixed team fed by a queue?

Effective Python (2nd ed.), items 56 and 57, and seed 002: the Game of Life
on the book's 5 x 9 torus with a glider, 5 generations, where game_logic does
blocking I/O (here time.sleep of --io-us).  seq updates the cells one after
another; thread-per-cell starts a Thread for every cell of every generation
(item 56, with its LockingGrid); pool runs --workers StoppableWorkers on a
ClosableQueue (item 57's simulate_pipeline).  conclab times this file beside
the C program (as py-<variant>).

Same command line as the C program: --mode, --size, --list, --json,
--workers, --rows, --cols, --generations, --io-us.
Exit status: 0 right answer, 1 wrong answer, 2 bad command line.
"""
import argparse
import json
import os
import sys
import time
from queue import Queue
from threading import Lock, Thread

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import experiment_cli  # noqa: E402  (benchmarks/experiment_cli.py: the shared command line)

ALIVE = "*"
EMPTY = "-"
SIZES = {"quick": (5, 9, 2), "book": (5, 9, 5), "large": (50, 90, 5)}
VARIANTS = [("seq", "--mode=seq"), ("thread-per-cell", "--mode=thread-per-cell"),
            ("pool", "--mode=pool"), ("pool-wide", "--mode=pool --workers=45")]
GLIDER = [(0, 3), (1, 4), (2, 2), (2, 3), (2, 4)]


class Grid:
    def __init__(self, height, width):
        self.height = height
        self.width = width
        self.rows = [[EMPTY] * width for _ in range(height)]

    def get(self, y, x):
        return self.rows[y % self.height][x % self.width]

    def set(self, y, x, state):
        self.rows[y % self.height][x % self.width] = state

    def lines(self):
        return ["".join(row) for row in self.rows]


class LockingGrid(Grid):
    """Item 56's grid: every access under one lock, for the threads."""

    def __init__(self, height, width):
        super().__init__(height, width)
        self.lock = Lock()

    def get(self, y, x):
        with self.lock:
            return super().get(y, x)

    def set(self, y, x, state):
        with self.lock:
            return super().set(y, x, state)


def count_neighbors(y, x, get):
    return sum(get(y + dy, x + dx) == ALIVE
               for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx)


def game_rule(state, neighbors):
    if state == ALIVE:
        return ALIVE if neighbors in (2, 3) else EMPTY
    return ALIVE if neighbors == 3 else EMPTY


def make_game_logic(io_s):
    def game_logic(state, neighbors):
        if io_s > 0:
            time.sleep(io_s)  # the book's blocking my_socket.recv(100)
        return game_rule(state, neighbors)
    return game_logic


def step_cell(y, x, get, set_, game_logic):
    state = get(y, x)
    neighbors = count_neighbors(y, x, get)
    set_(y, x, game_logic(state, neighbors))


# ---- the three ways ------------------------------------------------------------

def simulate(grid, game_logic):
    next_grid = Grid(grid.height, grid.width)
    for y in range(grid.height):
        for x in range(grid.width):
            step_cell(y, x, grid.get, next_grid.set, game_logic)
    return next_grid


def simulate_threaded(grid, game_logic):
    next_grid = LockingGrid(grid.height, grid.width)
    threads = []
    for y in range(grid.height):
        for x in range(grid.width):
            args = (y, x, grid.get, next_grid.set, game_logic)
            thread = Thread(target=step_cell, args=args)
            thread.start()  # Fan out
            threads.append(thread)
    for thread in threads:
        thread.join()  # Fan in
    return next_grid


class ClosableQueue(Queue):
    SENTINEL = object()

    def close(self):
        self.put(self.SENTINEL)

    def __iter__(self):
        while True:
            item = self.get()
            try:
                if item is self.SENTINEL:
                    return
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
            self.out_queue.put(self.func(item))


def simulate_pipeline(grid, in_queue, out_queue):
    for y in range(grid.height):
        for x in range(grid.width):
            state = grid.get(y, x)
            neighbors = count_neighbors(y, x, grid.get)
            in_queue.put((y, x, state, neighbors))  # Fan out
    in_queue.join()
    out_queue.close()
    next_grid = Grid(grid.height, grid.width)
    for y, x, next_state in out_queue:  # Fan in
        next_grid.set(y, x, next_state)
    return next_grid


def run_generations(grid, args, game_logic):
    if args.mode == "seq":
        for _ in range(args.generations):
            grid = simulate(grid, game_logic)
        return grid, 0
    if args.mode == "thread-per-cell":
        for _ in range(args.generations):
            grid = simulate_threaded(grid, game_logic)
        return grid, args.generations * grid.height * grid.width
    in_queue, out_queue = ClosableQueue(), ClosableQueue()

    def game_logic_thread(item):
        y, x, state, neighbors = item
        return y, x, game_logic(state, neighbors)

    threads = [StoppableWorker(game_logic_thread, in_queue, out_queue)
               for _ in range(args.workers)]
    for thread in threads:
        thread.start()
    for _ in range(args.generations):
        grid = simulate_pipeline(grid, in_queue, out_queue)
    for _ in threads:
        in_queue.close()
    in_queue.join()
    for thread in threads:
        thread.join()
    return grid, args.workers


# ---- checks and command line ---------------------------------------------------

def initial_grid(rows, cols):
    grid = Grid(rows, cols)
    for top in range(0, rows - 4, 5):
        for left in range(0, cols - 8, 9):
            for y, x in GLIDER:
                grid.set(top + y, left + x, ALIVE)
    return grid


def parse_args():
    parser = experiment_cli.OneLineParser(description="Game of Life with blocking I/O per cell: one thread "
                                       "per cell or a fixed pool (Effective Python items 56-57).")
    parser.add_argument("--mode", choices=["seq", "thread-per-cell", "pool"], default="seq")
    parser.add_argument("--size", choices=list(SIZES), default="book")
    experiment_cli.add_output_options(parser, VARIANTS)
    parser.add_argument("--workers", type=experiment_cli.integer(1, 1024))
    parser.add_argument("--rows", type=experiment_cli.integer(3, 200))
    parser.add_argument("--cols", type=experiment_cli.integer(3, 200))
    parser.add_argument("--generations", type=experiment_cli.integer(1, 1000))
    parser.add_argument("--io-us", type=experiment_cli.integer(0, 1000000), default=1000)
    args = parser.parse_args()
    if args.workers is not None and args.mode != "pool":
        parser.error("--workers applies only with --mode=pool")
    args.workers = args.workers or 5
    rows, cols, generations = SIZES[args.size]
    args.rows, args.cols = args.rows or rows, args.cols or cols
    args.generations = args.generations or generations
    return args


def main():
    args = parse_args()
    grid = initial_grid(args.rows, args.cols)
    start = time.perf_counter()
    result, threads = run_generations(grid, args, make_game_logic(args.io_us / 1e6))
    elapsed = time.perf_counter() - start
    reference = initial_grid(args.rows, args.cols)
    for _ in range(args.generations):
        reference = simulate(reference, game_rule)
    differ = sum(a != b for row_a, row_b in zip(result.lines(), reference.lines())
                 for a, b in zip(row_a, row_b))
    checks = [{"name": "grid", "ok": differ == 0,
               "detail": f"{differ} cells differ from a simulation without I/O"}]
    ok = all(c["ok"] for c in checks)
    variant = "pool-wide" if args.mode == "pool" and args.workers == 45 else args.mode
    if args.json:
        print(json.dumps({"experiment": "fanout", "variant": variant, "language": "python",
                          "parameters": {"rows": args.rows, "cols": args.cols,
                                         "generations": args.generations, "io_us": args.io_us},
                          "elapsed_s": elapsed, "metrics": {"threads_created": threads},
                          "checks": checks, "data": {"final_grid": result.lines()}, "ok": ok}))
    else:
        print(f"fanout.py {variant}: {elapsed:.3f} s, {threads} threads created")
        for line in result.lines() if args.rows <= 10 else []:
            print(f"  {line}")
        experiment_cli.print_checks(checks)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
