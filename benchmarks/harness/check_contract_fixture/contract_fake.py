#!/usr/bin/env python3
"""contract_fake: the Python original of the throw-away experiment
contract_fake.c, for the tests of the generated tests.  It keeps the
contract of a Python original, or breaks one rule of it when the environment
variable CONTRACT_FAKE_MISTAKE names it:

  py-unlisted-mode   --mode accepts "spare", which --list omits
  py-extra-variant   --list names a variant the C program does not have
  py-other-baseline  --list starts with another variant than the C program
  py-bad-json        --json prints Python's repr, not JSON
  py-ok-false        --json says "ok": false, yet the exit status is 0
  py-wrong-exit      a right answer, exit status 1
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
import experiment_cli  # noqa: E402  (benchmarks/experiment_cli.py)

MISTAKE = os.environ.get("CONTRACT_FAKE_MISTAKE", "")
SIZES = {"quick": 5, "book": 100, "large": 100000}
MODES = ["seq", "split"] + (["spare"] if MISTAKE == "py-unlisted-mode" else [])
VARIANTS = [("seq", "--mode=seq"), ("split", "--mode=split")]
if MISTAKE == "py-extra-variant":
    VARIANTS.append(("spare", "--mode=seq"))
if MISTAKE == "py-other-baseline":
    VARIANTS.reverse()


def main():
    parser = experiment_cli.OneLineParser(description="A throw-away experiment.")
    parser.add_argument("--mode", choices=MODES, default="seq")
    parser.add_argument("--size", choices=list(SIZES), default="book")
    parser.add_argument("--steps", type=experiment_cli.integer(1, 1000000))
    experiment_cli.add_output_options(parser, VARIANTS)
    args = parser.parse_args()
    steps = args.steps or SIZES[args.size]
    start = time.perf_counter()
    total = 0
    for _ in range(steps):
        time.sleep(0.001)
        total += 1
    elapsed = time.perf_counter() - start
    checks = [{"name": "total", "ok": total == steps, "detail": f"{total} of {steps} steps taken"}]
    ok = all(c["ok"] for c in checks)
    report = {"experiment": "contract_fake", "variant": args.mode, "language": "python",
              "parameters": {"size": args.size, "steps": steps}, "elapsed_s": elapsed,
              "checks": checks, "ok": ok and MISTAKE != "py-ok-false"}
    if args.json:
        print(repr(report) if MISTAKE == "py-bad-json" else json.dumps(report))
    else:
        print(f"contract_fake.py {args.mode}: {elapsed:.3f} s")
        experiment_cli.print_checks(checks)
    return 1 if MISTAKE == "py-wrong-exit" or not ok else 0


if __name__ == "__main__":
    sys.exit(main())
