#!/usr/bin/env python3
"""downloads: threads or an event loop for I/O-bound work?

Seed 001, the study note on concurrency in Python: fetch two sites 80 times
each (160 requests) one after the other with requests.Session, then with
ThreadPoolExecutor(max_workers=5) and a session per thread, then with
asyncio and aiohttp.  Here, with the standard library only and no internet:
the program starts its own HTTP/1.1 server (asyncio, in a forked child,
listening on 127.0.0.1 only) that answers each request after --latency-ms
with a body of --bytes, and the clients are

  seq                 http.client, one kept-alive connection, one at a time
  thread-pool         ThreadPoolExecutor(max_workers=5).map, a connection per thread
  event-loop          asyncio with raw streams (open_connection), up to
                      --connections at once (100, aiohttp's default limit)
  thread-per-request  a threading.Thread and a connection per request

Every response is checked: status 200, length, CRC-32 of the body.
Same command line as the C program: --mode, --size, --list, --json,
--requests, --latency-ms, --bytes, --workers, --connections.
Exit status: 0 right answer, 1 wrong answer, 2 bad command line.
"""
import argparse
import asyncio
import concurrent.futures
import http.client
import json
import math
import os
import re
import resource
import select
import socket
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import experiment_cli  # noqa: E402  (benchmarks/experiment_cli.py: the shared command line)

SIZES = {"quick": (16, 5, 4096), "book": (160, 20, 16384), "large": (640, 20, 16384)}
VARIANTS = [("seq", "--mode=seq"), ("thread-pool", "--mode=thread-pool"),
            ("event-loop", "--mode=event-loop"),
            ("thread-per-request", "--mode=thread-per-request")]
IO_TIMEOUT_S = 10.0
REQUEST = re.compile(rb"GET /item/(\d{1,15}) HTTP/1\.([01])\r\n")
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ ]*(\d+)", re.IGNORECASE)


def body(item, size):
    """Item's body: its 16-byte line, repeated and cut to SIZE bytes."""
    unit = f"{item % 10**15:015d}\n".encode()
    return (unit * (size // len(unit) + 1))[:size]


def run_until_done(coroutine):
    """asyncio.run (Python 3.7+); before 3.7, a new event loop run until COROUTINE is done."""
    if hasattr(asyncio, "run"):
        return asyncio.run(coroutine)
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(coroutine)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


# ---- the server, in a child process -------------------------------------

def serve(sock, control_fd, stats_fd, latency_s, size):
    stats = {"responses": 0, "rejected": 0, "connections": 0, "most_open": 0}
    open_now = 0

    async def answer(reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        match = REQUEST.match(head)
        if not match:
            status = b"404 Not Found" if head.startswith(b"GET ") else b"400 Bad Request"
            writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
            stats["rejected"] += 1
            return False
        keep = match.group(2) == b"1" and b"connection: close" not in head.lower()
        await asyncio.sleep(latency_s)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                     b"Content-Length: %d\r\n%s\r\n" % (size, b"" if keep else b"Connection: close\r\n")
                     + body(int(match.group(1)), size))
        await writer.drain()
        stats["responses"] += 1
        return keep

    async def handle(reader, writer):
        nonlocal open_now
        stats["connections"] += 1
        open_now += 1
        stats["most_open"] = max(stats["most_open"], open_now)
        try:
            while await answer(reader, writer):
                pass
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass  # the client closed, or sent something too long
        finally:
            open_now -= 1
            writer.close()

    async def main():
        server = await asyncio.start_server(handle, sock=sock, backlog=socket.SOMAXCONN)
        stopped = asyncio.Event()
        # the running loop (get_running_loop is 3.7+); end of file: stop
        asyncio.get_event_loop().add_reader(control_fd, stopped.set)
        await stopped.wait()
        server.close()

    run_until_done(main())
    os.write(stats_fd, json.dumps(stats).encode())


class Server:
    def __init__(self, latency_ms, size):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(socket.SOMAXCONN)
        self.port = sock.getsockname()[1]
        control_r, self.control_w = os.pipe()
        self.stats_r, stats_w = os.pipe()
        sys.stdout.flush()
        self.pid = os.fork()
        if self.pid == 0:
            code = 1
            try:
                os.close(self.control_w)
                os.close(self.stats_r)
                serve(sock, control_r, stats_w, latency_ms / 1000, size)
                code = 0
            finally:
                os._exit(code)
        sock.close()
        os.close(control_r)
        os.close(stats_w)

    def stop(self):
        """The server's counters and whether it exited 0."""
        os.close(self.control_w)
        data = b""
        while select.select([self.stats_r], [], [], 5)[0]:
            chunk = os.read(self.stats_r, 4096)
            if not chunk:
                break
            data += chunk
        os.close(self.stats_r)
        if not data:
            os.kill(self.pid, 9)
        _, status = os.waitpid(self.pid, 0)
        exited_zero = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        return (json.loads(data) if data else {}), exited_zero


# ---- the clients ------------------------------------------------------------

def judged(item, started, status, data, size):
    right = status == 200 and len(data) == size and zlib.crc32(data) == zlib.crc32(body(item, size))
    return {"item": item, "latency_s": time.perf_counter() - started, "right": right}


def failed(item, started, error):
    return {"item": item, "latency_s": time.perf_counter() - started, "right": False,
            "error": repr(error)}


def get(conn, item, size, headers=None):
    started = time.perf_counter()
    try:
        conn.request("GET", f"/item/{item}", headers=headers or {})
        response = conn.getresponse()
        return judged(item, started, response.status, response.read(), size)
    except (OSError, http.client.HTTPException) as error:
        conn.close()
        return failed(item, started, error)


def connection(port):
    return http.client.HTTPConnection("127.0.0.1", port, timeout=IO_TIMEOUT_S)


def run_seq(port, args):
    conn = connection(port)
    results = [get(conn, item, args.bytes) for item in range(args.requests)]
    conn.close()
    return results


def run_thread_pool(port, args):
    local, everyone, lock = threading.local(), [], threading.Lock()

    def download(item):
        if not hasattr(local, "conn"):
            local.conn = connection(port)
            with lock:
                everyone.append(local.conn)
        return get(local.conn, item, args.bytes)

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.workers) as executor:
        results = list(executor.map(download, range(args.requests)))
    for conn in everyone:
        conn.close()
    return results


def run_thread_per_request(port, args):
    results = [None] * args.requests

    def download(item):
        conn = connection(port)
        results[item] = get(conn, item, args.bytes, {"Connection": "close"})
        conn.close()

    threads = [threading.Thread(target=download, args=(item,)) for item in range(args.requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def run_event_loop(port, args):
    results = [None] * args.requests
    items = iter(range(args.requests))  # shared by the coroutines of one thread

    async def fetch(reader, writer, item):
        started = time.perf_counter()
        writer.write(b"GET /item/%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (item, port))
        head = await reader.readuntil(b"\r\n\r\n")
        length = CONTENT_LENGTH.search(head)
        data = await reader.readexactly(int(length.group(1))) if length else b""
        return judged(item, started, int(head[9:12]), data, args.bytes)

    async def worker():
        reader = writer = None
        for item in items:
            try:
                if writer is None:
                    reader, writer = await asyncio.wait_for(
                        asyncio.open_connection("127.0.0.1", port), IO_TIMEOUT_S)
                results[item] = await asyncio.wait_for(fetch(reader, writer, item),
                                                       IO_TIMEOUT_S + args.latency_ms / 1000)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
                results[item] = failed(item, time.perf_counter(), error)
                if writer is not None:
                    writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()
            if hasattr(writer, "wait_closed"):  # Python 3.7+
                await writer.wait_closed()

    async def main():
        await asyncio.gather(*(worker() for _ in range(min(args.connections, args.requests))))

    run_until_done(main())
    return results


CLIENTS = {"seq": run_seq, "thread-pool": run_thread_pool, "event-loop": run_event_loop,
           "thread-per-request": run_thread_per_request}


# ---- checks and the command line ---------------------------------------------

def checks_for(results, stats, server_ok, args):
    right = sum(r["right"] for r in results)
    shortest = min(r["latency_s"] for r in results)
    return [
        {"name": "responses", "ok": right == args.requests,
         "detail": f"{right} of {args.requests} right: status 200, {args.bytes} bytes, the item's CRC-32"},
        {"name": "server_answered_each_once",
         "ok": server_ok and stats.get("responses") == args.requests and stats.get("rejected") == 0,
         "detail": f"the server wrote {stats.get('responses')} responses, rejected {stats.get('rejected')}"},
        {"name": "server_stopped_cleanly", "ok": server_ok, "detail": "it sent its counters and exited 0"},
        {"name": "latency_floor", "ok": right == args.requests and shortest >= args.latency_ms / 1000,
         "detail": f"the fastest response took {shortest * 1000:.3f} ms"},
    ]


def parse_args():
    parser = experiment_cli.OneLineParser(description="Fetch URLs from a local HTTP server with a fixed latency.")
    parser.add_argument("--mode", choices=[name for name, _ in VARIANTS], default="seq")
    parser.add_argument("--size", choices=list(SIZES), default="book")
    parser.add_argument("--requests", type=experiment_cli.integer(1, 10000))
    parser.add_argument("--latency-ms", type=experiment_cli.integer(0, 1000))
    parser.add_argument("--bytes", type=experiment_cli.integer(0, 1048576))
    parser.add_argument("--workers", type=experiment_cli.integer(1, 1024))
    parser.add_argument("--connections", type=experiment_cli.integer(1, 10000))
    experiment_cli.add_output_options(parser, VARIANTS)
    args = parser.parse_args()
    if args.workers is not None and args.mode != "thread-pool":
        parser.error("--workers applies only with --mode=thread-pool")
    if args.connections is not None and args.mode != "event-loop":
        parser.error("--connections applies only with --mode=event-loop")
    requests, latency_ms, size = SIZES[args.size]
    args.requests = args.requests or requests
    args.latency_ms = latency_ms if args.latency_ms is None else args.latency_ms
    args.bytes = size if args.bytes is None else args.bytes
    args.workers = args.workers or 5
    args.connections = args.connections or 100
    return args


def raise_descriptor_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def main():
    args = parse_args()
    raise_descriptor_limit(args.requests + 64)
    server = Server(args.latency_ms, args.bytes)
    start = time.perf_counter()
    try:
        results = CLIENTS[args.mode](server.port, args)
    finally:
        elapsed = time.perf_counter() - start
        stats, server_ok = server.stop()
    checks = checks_for(results, stats, server_ok, args)
    ok = all(c["ok"] for c in checks)
    latencies = sorted(r["latency_s"] * 1000 for r in results)
    p50 = latencies[max(0, math.ceil(0.5 * len(latencies)) - 1)]
    if args.json:
        print(json.dumps({"experiment": "downloads", "variant": args.mode, "language": "python",
                          "parameters": {"requests": args.requests, "latency_ms": args.latency_ms,
                                         "bytes": args.bytes, "size": args.size},
                          "elapsed_s": elapsed, "requests_per_s": args.requests / elapsed,
                          "latency_p50_ms": p50, "server": stats, "checks": checks, "ok": ok}))
    else:
        print(f"downloads.py {args.mode}: {args.requests} requests in {elapsed:.3f} s "
              f"({args.requests / elapsed:.0f}/s, median latency {p50:.1f} ms)")
        experiment_cli.print_checks(checks)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
