"""What the Python binding adds to a single call, measured against the Rust API in one run:

    cargo build --release -p mfa-core --example single_calls
    python examples/python/overhead.py --rust target/release/examples/single_calls [--calls N] [--rounds R]

For each store (in memory, then a file under ``--dir`` with ``synchronous=FULL``) and each round,
the Rust run (``crates/mfa-core/examples/single_calls.rs``) and this script's Python run take turns
on the same fixture: an org, 20 admins and ``2 * calls`` enrolled members on a manual clock;
then ``calls`` single ``reset_mfa(admin, member)`` calls and ``calls`` single ``verify(user,
code)`` calls (codes computed first), each timed on its own. One JSON line per run, then one per
store and operation with the medians over the rounds of three figures per call: ``cpu``, the
calling thread's CPU time (which waiting for a busy machine's cores does not inflate: the
overhead itself), ``p50``, the median call, and ``mean``, the phase's wall time; for each,
``ratio`` (Python's speed as a fraction of Rust's), the overhead in microseconds, and both
times. Without ``--rust`` only the Python runs are made.
"""

from __future__ import annotations

import argparse
import base64
import functools
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import mfa_core
from workloads import KEY, T0, THREADS, code_at, run_threads

ADMINS = 20


def figures(latencies: list[float], cpu_ns: int, wall: float) -> dict[str, float]:
    """``{cpu_us, p50_us, mean_us}`` of one phase, per call: the calling thread's CPU time, the
    median call and the phase's wall time."""
    n = len(latencies)
    return {
        "cpu_us": round(cpu_ns / n / 1e3, 1),
        "p50_us": round(sorted(latencies)[n // 2] * 1e6, 1),
        "mean_us": round(wall / n * 1e6, 1),
    }


def python_run(store: str, calls: int, where: str) -> dict[str, Any]:
    """The Python half: the same fixture and calls as the Rust bench."""
    with tempfile.TemporaryDirectory(dir=where) as directory:
        path = ":memory:" if store == "memory" else str(Path(directory) / "overhead.db")
        with mfa_core.Core.open(path, KEY, manual_clock=T0) as core:
            policy = mfa_core.Policy(mfa_required=True, reset_limit_per_hour=1_000_000)
            org = core.create_org("Bench", policy).id
            users = [(f"admin{i}@bench.test", mfa_core.Role.ADMIN) for i in range(ADMINS)]
            users += [(f"m{i}@bench.test", mfa_core.Role.MEMBER) for i in range(2 * calls)]
            enrolled: list[tuple[str, bytes]] = [("", b"")] * len(users)

            def enroll(start: int) -> None:
                # Set-up rides on group commit: eight threads enroll interleaved slices.
                for i in range(start, len(users), THREADS):
                    user = core.create_user(org, *users[i]).id
                    text = core.begin_enrollment(user).secret
                    secret = base64.b32decode(text + "=" * (-len(text) % 8))
                    core.confirm_enrollment(user, code_at(secret, T0))
                    enrolled[i] = (user, secret)

            run_threads([functools.partial(enroll, n) for n in range(THREADS)])
            admins = [user for user, _ in enrolled[:ADMINS]]
            targets = [user for user, _ in enrolled[ADMINS : ADMINS + calls]]
            verifiers = enrolled[ADMINS + calls :]

            core.set_time(T0 + 60)
            latencies = []
            start, cpu = time.perf_counter(), time.thread_time_ns()
            for i, target in enumerate(targets):
                t = time.perf_counter()
                core.reset_mfa(admins[i % ADMINS], target)
                latencies.append(time.perf_counter() - t)
            reset = figures(latencies, time.thread_time_ns() - cpu, time.perf_counter() - start)

            # One step later, so that no code is a replay of the enrollment's; codes computed first.
            at = T0 + 90
            codes = [(user, code_at(secret, at)) for user, secret in verifiers]
            core.set_time(at)
            latencies = []
            start, cpu = time.perf_counter(), time.thread_time_ns()
            for user, code in codes:
                t = time.perf_counter()
                core.verify(user, code)
                latencies.append(time.perf_counter() - t)
            verify = figures(latencies, time.thread_time_ns() - cpu, time.perf_counter() - start)

            for target in targets:
                status = core.mfa_status(target)
                if (status.state, status.credential_epoch) != (mfa_core.MfaState.ENROLLMENT_REQUIRED, 1):
                    raise SystemExit(f"check failed: target {target} is {status}")
    return {"impl": "python", "store": store, "calls": calls, "reset": reset, "verify": verify}


def rust_run(binary: str, store: str, calls: int, where: str) -> dict[str, Any]:
    done = subprocess.run(
        [binary, "--store", store, "--calls", str(calls), "--dir", where],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="the Python binding's per-call overhead against Rust")
    parser.add_argument("--rust", help="the Rust half (target/release/examples/single_calls)")
    parser.add_argument("--calls", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--store", choices=["memory", "file"], action="append", help="default: both")
    parser.add_argument("--dir", default="target", help="where the file stores go (not a tmpfs)")
    a = parser.parse_args()
    if a.calls < 1 or a.rounds < 1:
        parser.error("--calls and --rounds must be at least 1")
    for store in a.store or ["memory", "file"]:
        runs: dict[str, list[dict[str, Any]]] = {"rust": [], "python": []}
        for _ in range(a.rounds):
            if a.rust:
                runs["rust"].append(rust_run(a.rust, store, a.calls, a.dir))
                print(json.dumps(runs["rust"][-1]), flush=True)
            runs["python"].append(python_run(store, a.calls, a.dir))
            print(json.dumps(runs["python"][-1]), flush=True)
        if not a.rust:
            continue
        for op in ("reset", "verify"):
            line: dict[str, Any] = {"store": store, "op": op}
            for figure in ("cpu_us", "p50_us", "mean_us"):
                rust = statistics.median(r[op][figure] for r in runs["rust"])
                python = statistics.median(r[op][figure] for r in runs["python"])
                name = figure[: -len("_us")]
                line[f"ratio_{name}"] = round(rust / python, 3)
                line[f"overhead_{name}_us"] = round(python - rust, 1)
                line[f"rust_{name}_us"], line[f"python_{name}_us"] = rust, python
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
