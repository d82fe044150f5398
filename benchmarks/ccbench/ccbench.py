#!/usr/bin/env python3
"""ccbench: how quickly does an I/O thread answer, and how much can it serve,
while 0, 1, 2 ... N threads compute beside it?

CPython's own Tools/ccbench (written with the new GIL of 3.2, removed in 3.12)
measured this: UDP pings from another process to a thread of the interpreter,
timed from the send until that thread has them ("latency"), and 1024-byte
packets that thread echoes to a client doing ping-pong ("I/O bandwidth"), each
with 0, 1, 2 ... CPU-bound threads beside it.  This is the same measurement as
the C program's, under CPython's own GIL: a ping every 10 ms (ccbench's was
every 100 ms), percentiles instead of a mean, and --switch-interval-ms for
sys.setswitchinterval (latency-1ms, latency-20ms).

The client is a process of its own (forked before any thread of the round
starts), as ccbench's was; the server thread and the neighbours are threads of
this interpreter.  Loopback only; every wait is bounded.

Same command line as the C program: --mode, --size, --list, --json,
--neighbours, --pings, --ping-interval-ms, --duration-ms, --switch-interval-ms.
Exit status: 0 right answer, 1 wrong answer, 2 bad command line.
"""
import json
import math
import os
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import experiment_cli  # noqa: E402  (benchmarks/experiment_cli.py: the shared command line)

# neighbours (the rounds are 0..N), pings per round, bandwidth round in ms
SIZES = {"quick": (1, 10, 100), "book": (2, 100, 500), "large": (4, 300, 2000)}
VARIANTS = [("latency", "--mode=latency"),
            ("latency-1ms", "--mode=latency --switch-interval-ms=1"),
            ("latency-20ms", "--mode=latency --switch-interval-ms=20"),
            ("bandwidth", "--mode=bandwidth")]
# The C program's switch-interval variants run its emulated GIL
# (latency-1ms-gil, latency-20ms-gil); CPython's threads always run under the
# GIL, so here they are named without it.
PYTHON_ONLY_VARIANTS = {
    "latency-1ms": "CPython's own GIL at a 1 ms switch interval: the C program's latency-1ms-gil",
    "latency-20ms": "CPython's own GIL at a 20 ms switch interval: the C program's latency-20ms-gil",
}
HEAD = struct.Struct("<IIQd")  # magic, end word, sequence number, send time
MAGIC = 0x63636231
PING_BYTES, ECHO_BYTES = 64, 1024
RECEIVE_TIMEOUT_S = 5.0
MAX_RUN_S = 600
MASK64 = 0xFFFFFFFFFFFFFFFF


def _bodies(size):
    """The 256 patterns a packet of SIZE bytes carries after its head: byte i
    of packet number seq is (seq * 131 + i * 7) mod 256, as in the C program,
    which depends on seq mod 256 only.  Made once, so that neither side
    spends its time building them."""
    return [bytes((seq * 131 + i * 7) & 0xFF for i in range(HEAD.size, size)) for seq in range(256)]


BODIES = {PING_BYTES: _bodies(PING_BYTES), ECHO_BYTES: _bodies(ECHO_BYTES)}


def packet(seq, size, end=False):
    """A datagram: its head, then a pattern derived from its number."""
    return HEAD.pack(MAGIC, 1 if end else 0, seq, time.monotonic()) + BODIES[size][seq & 0xFF]


def intact(data, size):
    """The head of DATA if it is a whole packet of SIZE bytes, else None."""
    if len(data) != size:
        return None
    head = HEAD.unpack_from(data)
    if head[0] != MAGIC or data[HEAD.size:] != BODIES[size][head[2] & 0xFF]:
        return None
    return head


def bound_waits(sock, timeout_s):
    """A receive timeout in the kernel (SO_RCVTIMEO), as the C program sets:
    the socket stays a blocking one, so that each recv is one system call
    with the GIL released once, as ccbench's were.  (sock.settimeout would
    make each a poll() and then the call, releasing the GIL twice.)"""
    seconds = int(timeout_s)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                    struct.pack("@ll", seconds, int((timeout_s - seconds) * 1e6)))


# ---- the client, a process of its own --------------------------------------

def pinger(sock, pings, interval_s):
    start = time.monotonic()
    for k in range(pings):
        delay = start + k * interval_s - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sock.send(packet(k, PING_BYTES))
    return {"sent": pings, "bad_echoes": 0}


def echo_client(sock, duration_s, timeout_s):
    sent = bad = 0
    bound_waits(sock, timeout_s)
    end = time.monotonic() + duration_s
    while time.monotonic() < end:
        sock.send(packet(sent, ECHO_BYTES))
        sent += 1
        head = intact(sock.recv(ECHO_BYTES + 1), ECHO_BYTES)
        bad += head is None or head[2] != sent - 1
    return {"sent": sent, "bad_echoes": bad}


def client_main(address, mode, settings, go_r, result_w):
    """Waits for the word to go, runs the round's client, reports as JSON."""
    outcome = {"sent": 0, "bad_echoes": 0}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(address)
            os.read(go_r, 1)
            if mode == "latency":
                outcome = pinger(sock, settings["pings"], settings["interval_s"])
            else:
                outcome = echo_client(sock, settings["duration_s"], settings["timeout_s"])
        except OSError as error:
            outcome["error"] = "client: {}".format(error)
        finally:
            size = PING_BYTES if mode == "latency" else ECHO_BYTES
            sock.send(packet(outcome["sent"], size, end=True))
    os.write(result_w, json.dumps(outcome).encode())


def fork_client(address, mode, settings):
    """The client's process, forked while this one has no other thread;
    returns its pid and the two pipe ends the parent keeps."""
    go_r, go_w = os.pipe()
    result_r, result_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.close(go_w)
            os.close(result_r)
            client_main(address, mode, settings, go_r, result_w)
            status = 0
        finally:
            os._exit(status)
    os.close(go_r)
    os.close(result_w)
    return pid, go_w, result_r


# ---- the server thread and the neighbours ----------------------------------

class Round:
    def __init__(self, mode, neighbours):
        self.mode = mode
        self.stop = False
        self.running = 0
        self.running_lock = threading.Lock()
        self.iterations = [0] * neighbours
        self.latencies_ms = []
        self.received = self.damaged = self.out_of_order = 0
        self.first_at = self.last_at = 0.0
        self.error = None


def neighbour(state, index):
    """Pure Python arithmetic until the round ends: it holds the GIL except
    when the interpreter makes it hand over."""
    with state.running_lock:
        state.running += 1
    x, iterations = index + 1, 0
    while not state.stop:
        x = (x * 6364136223846793005 + 1442695040888963407) & MASK64
        iterations += 1
    state.iterations[index] = iterations


def take(state, data, size, now):
    """Accounts for one datagram; False at the client's end word."""
    head = intact(data, size) if state.mode == "latency" else (
        HEAD.unpack_from(data) if len(data) == size else None)  # echoes: the client checks
    if head is None or head[0] != MAGIC:
        state.damaged += 1
        return True
    if head[1]:
        return False
    state.out_of_order += head[2] != state.received
    if state.mode == "latency":
        state.latencies_ms.append((now - head[3]) * 1000)
    if state.received == 0:
        state.first_at = now
    state.last_at = now
    state.received += 1
    return True


def server(state, sock):
    size = PING_BYTES if state.mode == "latency" else ECHO_BYTES
    try:
        while True:
            data, sender = sock.recvfrom(ECHO_BYTES + 1)
            if not take(state, data, size, time.monotonic()):
                return
            if state.mode == "bandwidth":
                sock.sendto(data, sender)
    except OSError as error:  # EAGAIN: SO_RCVTIMEO passed
        state.error = "server: {}".format(error)


def run_round(mode, n, settings):
    state = Round(mode, n)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        bound_waits(sock, settings["timeout_s"])
        pid, go_w, result_r = fork_client(sock.getsockname(), mode, settings)
        try:
            threads = [threading.Thread(target=server, args=(state, sock))]
            threads += [threading.Thread(target=neighbour, args=(state, k)) for k in range(n)]
            for thread in threads:
                thread.daemon = True  # an interrupted run ends without them
                thread.start()
            deadline = time.monotonic() + RECEIVE_TIMEOUT_S
            while state.running < n and time.monotonic() < deadline:
                time.sleep(0.0005)
            os.write(go_w, b"g")
            threads[0].join()
            state.stop = True
            for thread in threads[1:]:
                thread.join()
            client = json.loads(read_all(result_r) or b'{"error": "client: no report"}')
            os.waitpid(pid, 0)
            pid = None
        finally:
            if pid is not None:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            os.close(go_w)
            os.close(result_r)
    return state, client


def read_all(fd):
    data = b""
    chunk = os.read(fd, 65536)
    while chunk:
        data += chunk
        chunk = os.read(fd, 65536)
    return data


# ---- report ----------------------------------------------------------------

def percentile(values, p):
    """Nearest rank, as the C program's stats_percentile."""
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(p / 100 * len(ordered) - 1e-9)))
    return ordered[rank - 1]


def round_report(mode, n, state, client, metrics, checks):
    if mode == "latency" and state.latencies_ms:
        for name, p in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100)):
            metrics["latency_{}_ms_n{}".format(name, n)] = percentile(state.latencies_ms, p)
    elif mode == "bandwidth" and state.received > 1:
        metrics["packets_per_s_n{}".format(n)] = (
            (state.received - 1) / (state.last_at - state.first_at))
    error = client.get("error") or state.error
    what = "pings" if mode == "latency" else "packets"
    checks.append({"name": "all_arrived_n{}".format(n),
                   "ok": not error and client["sent"] > 0 and state.received == client["sent"],
                   "detail": error or "with {} neighbour(s): {} of {} {} arrived".format(
                       n, state.received, client["sent"], what)})
    checks.append({"name": "intact_in_order_n{}".format(n),
                   "ok": state.damaged == 0 and state.out_of_order == 0 and client["bad_echoes"] == 0,
                   "detail": "with {} neighbour(s): {} damaged, {} out of order, {} bad echoes".format(
                       n, state.damaged, state.out_of_order, client["bad_echoes"])})
    if n > 0:
        checks.append({"name": "neighbours_computed_n{}".format(n), "ok": min(state.iterations) > 0,
                       "detail": "with {} neighbour(s): the least busy one did {} iterations".format(
                           n, min(state.iterations))})


def parse_args():
    parser = experiment_cli.OneLineParser(description="Time UDP pings to an I/O thread, and count the "
                                          "packets it echoes, beside 0..N computing threads "
                                          "(CPython's Tools/ccbench).")
    parser.add_argument("--mode", choices=["latency", "bandwidth"], default="latency")
    parser.add_argument("--size", choices=list(SIZES), default="book")
    parser.add_argument("--neighbours", type=experiment_cli.integer(0, 16))
    parser.add_argument("--pings", type=experiment_cli.integer(1, 10000))
    parser.add_argument("--ping-interval-ms", type=experiment_cli.integer(1, 1000))
    parser.add_argument("--duration-ms", type=experiment_cli.integer(10, 60000))
    parser.add_argument("--switch-interval-ms", type=experiment_cli.integer(1, 1000),
                        help="sys.setswitchinterval, in milliseconds (CPython's default: 5)")
    experiment_cli.add_output_options(parser, VARIANTS)
    args = parser.parse_args()
    if args.mode == "bandwidth" and (args.pings is not None or args.ping_interval_ms is not None):
        parser.error("--pings and --ping-interval-ms apply only with --mode=latency")
    if args.mode == "latency" and args.duration_ms is not None:
        parser.error("--duration-ms applies only with --mode=bandwidth")
    return args


def settings_of(args):
    neighbours, pings, duration_ms = SIZES[args.size]
    settings = {"neighbours": neighbours if args.neighbours is None else args.neighbours,
                "pings": pings if args.pings is None else args.pings,
                "interval_s": (args.ping_interval_ms or 10) / 1000,
                "duration_s": (duration_ms if args.duration_ms is None else args.duration_ms) / 1000,
                "timeout_s": RECEIVE_TIMEOUT_S + 4 * sys.getswitchinterval()}
    per_round = (settings["pings"] * settings["interval_s"] if args.mode == "latency"
                 else settings["duration_s"])
    if per_round * (settings["neighbours"] + 1) > MAX_RUN_S:
        experiment_cli.OneLineParser(prog="ccbench.py").error(
            "{} rounds of {:.1f} s each is more than {} s".format(
                settings["neighbours"] + 1, per_round, MAX_RUN_S))
    return settings


def main():
    args = parse_args()
    if args.switch_interval_ms is not None:
        sys.setswitchinterval(args.switch_interval_ms / 1000)
    settings = settings_of(args)
    metrics, checks, rounds = {}, [], []
    start = time.perf_counter()
    for n in range(settings["neighbours"] + 1):
        state, client = run_round(args.mode, n, settings)
        round_report(args.mode, n, state, client, metrics, checks)
        rounds.append({"neighbours": n, "received": state.received,
                       "neighbour_min_iterations": min(state.iterations) if n else 0})
    elapsed = time.perf_counter() - start
    metrics["switch_interval_ms"] = sys.getswitchinterval() * 1000
    ok = all(c["ok"] for c in checks)
    variant = args.mode + ("-{}ms".format(args.switch_interval_ms)
                           if args.switch_interval_ms not in (None, 5) else "")
    if args.json:
        print(json.dumps({"experiment": "ccbench", "variant": variant, "language": "python",
                          "parameters": dict(settings, mode=args.mode, size=args.size),
                          "elapsed_s": elapsed, "metrics": metrics, "data": {"rounds": rounds},
                          "checks": checks, "ok": ok}))
    else:
        print("ccbench.py {}: {:.3f} s, rounds with 0..{} computing threads".format(
            variant, elapsed, settings["neighbours"]))
        for name, value in metrics.items():
            print("  {}: {:.6g}".format(name, value))
        experiment_cli.print_checks(checks)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
