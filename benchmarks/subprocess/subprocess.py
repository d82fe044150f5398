#!/usr/bin/env python3
"""subprocess: what does a child process cost, and how are children wired together?

Effective Python (2nd ed.), item 52, as the study notes in seeds 000 and 002
run it, step by step: run `echo` and check it (run), poll a child while doing
other work (poll), ten `sleep 1` children side by side (sleep-parallel; the
notes measured 1.03 s and 1.09 s) or one after another (sleep-seq), openssl
children fed through pipes (encrypt), chained into `openssl dgst` (pipeline),
and a `sleep 10` stopped after a 0.1 s timeout (timeout, returncode -15).
spawn-posix and spawn-fork start `true` again and again to price one child.
conclab times this file beside the C program (as py-<variant>).

Same command line as the C program: --mode, --spawn, --size, --list, --json.
Exit status: 0 right answer, 1 wrong answer or a program that cannot start,
2 bad command line.
"""
import os
import sys

# This file is called subprocess.py, and Python puts the script's folder first
# on sys.path, so `import subprocess` would import this very file instead of
# the standard library's module.  Take the folder off the path first.
_HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.curdir) != _HERE]

import argparse  # noqa: E402  (after the sys.path fix above)
import json  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import experiment_cli  # noqa: E402  (benchmarks/experiment_cli.py: the shared command line)

GREETING = "Hello from the child!"
PASSWORD = "zf7ShyBhZ0raQDdE/FiZpm/m/8f9X+M1"
VARIANTS = [("sleep-seq", "--mode=sleep-seq"), ("sleep-parallel", "--mode=sleep-parallel"),
            ("run", "--mode=run"), ("poll", "--mode=poll"), ("encrypt", "--mode=encrypt"),
            ("pipeline", "--mode=pipeline"), ("timeout", "--mode=timeout"),
            ("spawn-posix", "--mode=spawn --spawn=posix"),
            ("spawn-fork", "--mode=spawn --spawn=fork")]
MODES = ["sleep-seq", "sleep-parallel", "run", "poll", "encrypt", "pipeline", "timeout", "spawn"]
# Per size: sleeping children and their sleep, spawned children.
SIZES = {"quick": {"sleepers": 10, "sleep": 0.02, "spawned": 10},
         "book": {"sleepers": 10, "sleep": 1.0, "spawned": 100},
         "large": {"sleepers": 10, "sleep": 1.0, "spawned": 1000}}
ENCRYPT = ["openssl", "enc", "-des3", "-pbkdf2", "-pass", "env:password"]
HASH = ["openssl", "dgst", "-sha256", "-binary"]

started = []  # every Popen, so that an error can stop them all


def popen(args, **kwargs):
    proc = subprocess.Popen(args, **kwargs)
    started.append(proc)
    return proc


def check(name, ok, detail):
    return {"name": name, "ok": bool(ok), "detail": detail}


def all_exited_zero(procs):
    codes = [proc.returncode for proc in procs]
    return check("returncodes", all(code == 0 for code in codes), f"returncodes {codes}")


def run_echo(_):
    result = subprocess.run(["echo", GREETING], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            encoding="utf-8")
    return [check("returncode", result.returncode == 0, f"returncode {result.returncode}"),
            check("stdout", result.stdout == GREETING + "\n", f"the child said {result.stdout!r}")]


def run_poll(_):
    proc = popen(["sleep", "0.000001"])
    polls, total, n = 0, 0, 0
    while proc.poll() is None:
        polls += 1
        for _ in range(1000):  # the other work done between polls
            n += 1
            total += n
    return [check("returncode", proc.poll() == 0, f"returncode {proc.poll()} after {polls} polls"),
            check("work", total == n * (n + 1) // 2, f"summed 1..{n}")]


def run_sleep_parallel(size):
    start = time.perf_counter()
    sleep_procs = [popen(["sleep", str(size["sleep"])]) for _ in range(size["sleepers"])]
    for proc in sleep_procs:
        proc.communicate()
    delta = time.perf_counter() - start
    return [all_exited_zero(sleep_procs),
            check("slept", delta >= size["sleep"], f"{delta:.3f} s for {size['sleep']} s sleeps")]


def run_sleep_seq(size):
    start = time.perf_counter()
    procs = []
    for _ in range(size["sleepers"]):
        procs.append(popen(["sleep", str(size["sleep"])]))
        procs[-1].communicate()
    delta = time.perf_counter() - start
    total = size["sleepers"] * size["sleep"]
    return [all_exited_zero(procs), check("slept", delta >= total, f"{delta:.3f} s for {total} s")]


def run_encrypt_child(data, salt=None):
    """The book's run_encrypt: start openssl and hand it the data at once."""
    env = os.environ.copy()
    env["password"] = PASSWORD
    proc = popen(ENCRYPT + (["-S", salt] if salt else []), env=env,
                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    proc.stdin.write(data)
    proc.stdin.flush()  # make sure the child gets the input
    return proc


def filter_through(args, data, env=None):
    """Runs ARGS with DATA on stdin; returns (returncode, stdout)."""
    result = subprocess.run(args, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)
    return result.returncode, result.stdout


def run_encrypt(_):
    inputs = [os.urandom(10) for _ in range(3)]
    procs = [run_encrypt_child(data) for data in inputs]
    outputs = [proc.communicate()[0] for proc in procs]
    env = dict(os.environ, password=PASSWORD)
    back = [filter_through(["openssl", "enc", "-d"] + ENCRYPT[2:], out, env) for out in outputs]
    same = sum(code == 0 and plain == data for (code, plain), data in zip(back, inputs))
    return [all_exited_zero(procs),
            check("decrypts", same == len(inputs), f"{same} of {len(inputs)} decrypt to the input")]


def run_pipeline(_):
    inputs = [os.urandom(100) for _ in range(3)]
    salts = [os.urandom(8).hex() for _ in inputs]  # known salts make the check repeatable
    encrypt_procs, hash_procs = [], []
    for data, salt in zip(inputs, salts):
        encrypt_proc = run_encrypt_child(data, salt)
        encrypt_procs.append(encrypt_proc)
        hash_procs.append(popen(HASH, stdin=encrypt_proc.stdout, stdout=subprocess.PIPE))
        # The hash child has its own copy of the pipe now; ours would keep the
        # encrypt child from getting SIGPIPE if the hash child died.
        encrypt_proc.stdout.close()
        encrypt_proc.stdout = None
    for proc in encrypt_procs:
        proc.communicate()
    digests = [proc.communicate()[0] for proc in hash_procs]
    env = dict(os.environ, password=PASSWORD)
    same = 0
    for data, salt, digest in zip(inputs, salts, digests):
        _, cipher = filter_through(ENCRYPT + ["-S", salt], data, env)
        same += len(digest) == 32 and filter_through(HASH, cipher)[1] == digest
    return [all_exited_zero(encrypt_procs + hash_procs),
            check("digests", same == len(inputs),
                  f"{same} of {len(inputs)} digests equal openssl dgst of the same encryption")]


def run_timeout(_):
    proc = popen(["sleep", "10"])
    start = time.perf_counter()
    try:
        proc.communicate(timeout=0.1)
    except subprocess.TimeoutExpired:
        proc.terminate()
        proc.wait()
    delta = time.perf_counter() - start
    return [check("returncode", proc.poll() == -15,
                  f"returncode {proc.poll()} after {delta:.3f} s, expected -15 (SIGTERM)")]


def libc_posix_spawnp(file, argv, env):
    """os.posix_spawnp for Python before 3.8, which lacks it: libc's, through ctypes."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    strings = ctypes.c_char_p * (len(argv) + 1)
    entries = ["{}={}".format(key, value).encode() for key, value in env.items()]
    pid = ctypes.c_int()
    error = libc.posix_spawnp(ctypes.byref(pid), file.encode(), None, None,
                              strings(*[arg.encode() for arg in argv], None),
                              (ctypes.c_char_p * (len(entries) + 1))(*entries, None))
    if error != 0:
        raise OSError(error, os.strerror(error), file)
    return pid.value


def exit_code(status):
    """os.waitstatus_to_exitcode (Python 3.9+): the exit status, or -N for signal N."""
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)


def spawn_once(method):
    if method == "posix":
        spawnp = getattr(os, "posix_spawnp", libc_posix_spawnp)
        pid = spawnp("true", ["true"], os.environ)
    else:
        pid = os.fork()
        if pid == 0:
            try:
                os.execvp("true", ["true"])
            finally:
                os._exit(127)
    return exit_code(os.waitpid(pid, 0)[1])


def run_spawn(size, method):
    codes = [spawn_once(method) for _ in range(size["spawned"])]
    return [check("returncodes", codes == [0] * len(codes),
                  f"{codes.count(0)} of {len(codes)} children exited 0")]


RUNNERS = {"sleep-seq": run_sleep_seq, "sleep-parallel": run_sleep_parallel, "run": run_echo,
           "poll": run_poll, "encrypt": run_encrypt, "pipeline": run_pipeline,
           "timeout": run_timeout}


def parse_args():
    parser = experiment_cli.OneLineParser(description="Child processes side by side, through pipes, with a "
                                       "timeout (Effective Python item 52).")
    parser.add_argument("--mode", choices=MODES, default="sleep-seq")
    parser.add_argument("--spawn", choices=["posix", "fork"], default="posix",
                        help="spawn: os.posix_spawnp or os.fork + os.execvp")
    parser.add_argument("--size", choices=list(SIZES), default="book")
    experiment_cli.add_output_options(parser, VARIANTS)
    args = parser.parse_args()
    if args.spawn != "posix" and args.mode != "spawn":
        parser.error("--spawn applies only to --mode=spawn")
    return args


def stop_all():
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def run(args):
    size = SIZES[args.size]
    if args.mode == "spawn":
        return run_spawn(size, args.spawn)
    return RUNNERS[args.mode](size)


def main():
    args = parse_args()
    variant = f"spawn-{args.spawn}" if args.mode == "spawn" else args.mode
    start = time.perf_counter()
    try:
        checks = run(args)
    except FileNotFoundError as error:
        stop_all()
        sys.stderr.write(f"subprocess.py: cannot start '{error.filename}': No such file or "
                         "directory (is it installed and on PATH?)\n")
        return 1
    elapsed = time.perf_counter() - start
    ok = all(c["ok"] for c in checks)
    if args.json:
        print(json.dumps({"experiment": "subprocess", "variant": variant, "language": "python",
                          "parameters": {"size": args.size}, "elapsed_s": elapsed,
                          "checks": checks, "ok": ok}))
    else:
        print(f"subprocess.py {variant}: {elapsed:.3f} s")
        experiment_cli.print_checks(checks)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
