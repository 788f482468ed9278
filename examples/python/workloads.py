"""The benchmark workloads (docs/benchmarks.md) through the Python module, one JSON line per run:

    python examples/python/workloads.py [--members N] [--resets R] [--verifies V] [--dir D]

A: reset storm (one call at a time), B: verify storm, C: the reset storm from 8 threads sharing
one handle (the GIL is released during storage work, so the calls share commits), D:
``reset_mfa_many``, E: ``verify_audit`` throughput; then workload A as hand-written SQL through
Python's own ``sqlite3`` (one ``BEGIN IMMEDIATE``, the user update, the recovery-code delete,
one audit insert, ``COMMIT``), the floor that any code committing once per call lands near. The
store is a real file under ``--dir`` (default ``target``, which should not be a tmpfs), WAL with
``synchronous=FULL``. After the runs the chain, the reset targets' states and the event counts
are checked; a failed check exits non-zero and prints no figures.

With ``--fixture DIR`` (used by ``scripts/bench.sh``) it runs only workloads A and B, on a copy of
the store that ``workloads --make-fixture`` wrote, and adds the process's CPU time per call.
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import hmac
import json
import resource
import shutil
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import mfa_core

T0 = 1_700_000_010
ADMINS = 20
THREADS = 8
KEY = bytes([5] * 32)


def code_at(secret: bytes, at: int) -> str:
    """The authenticator's code (RFC 6238: SHA-1, 6 digits, 30 s) for Unix time ``at``."""
    mac = hmac.new(secret, (at // 30).to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return f"{(int.from_bytes(mac[offset:offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"


@dataclass
class Fixture:
    """One store set up as docs/benchmarks.md says, with every user's secret kept to compute codes."""

    core: mfa_core.Core
    owner: str
    admins: list[str]
    members: list[str]
    secrets: dict[str, bytes]
    directory: tempfile.TemporaryDirectory[str]

    def close(self) -> None:
        self.core.close()
        self.directory.cleanup()


def fixture(members: int, where: str) -> Fixture:
    directory = tempfile.TemporaryDirectory(dir=where)
    core = mfa_core.Core.open(Path(directory.name) / "bench.db", KEY, manual_clock=T0)
    policy = mfa_core.Policy(mfa_required=True, reset_limit_per_hour=1_000_000, max_failed_verifications=5)
    org = core.create_org("Bench", policy).id
    users = [("owner@bench.test", mfa_core.Role.OWNER)]
    users += [(f"admin{i}@bench.test", mfa_core.Role.ADMIN) for i in range(ADMINS)]
    users += [(f"m{i}@bench.test", mfa_core.Role.MEMBER) for i in range(members)]
    enrolled: list[Optional[tuple[str, bytes]]] = [None] * len(users)

    def enroll(start: int) -> None:
        # Set-up rides on group commit: eight threads enroll interleaved slices.
        for i in range(start, len(users), THREADS):
            email, role = users[i]
            user = core.create_user(org, email, role).id
            text = core.begin_enrollment(user).secret
            secret = base64.b32decode(text + "=" * (-len(text) % 8))
            core.confirm_enrollment(user, code_at(secret, T0))
            enrolled[i] = (user, secret)

    run_threads([functools.partial(enroll, n) for n in range(THREADS)])
    pairs = [pair for pair in enrolled if pair is not None]
    assert len(pairs) == len(users)
    ids = [user for user, _ in pairs]
    return Fixture(core, ids[0], ids[1 : ADMINS + 1], ids[ADMINS + 1 :], dict(pairs), directory)


def run_threads(work: list[Callable[[], None]]) -> None:
    """Runs each callable on its own thread; re-raises the first failure."""
    errors: list[BaseException] = []

    def guarded(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as err:  # re-raised below, on the main thread
            errors.append(err)

    threads = [threading.Thread(target=guarded, args=(job,)) for job in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def figures(latencies: list[float], wall: float) -> dict[str, float]:
    """``{ops_per_s, p50_us, p99_us}`` from per-call latencies (seconds) and the phase's wall."""
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[int((len(ordered) - 1) * p)] * 1e6)

    return {"ops_per_s": round(len(ordered) / wall), "p50_us": pct(0.50), "p99_us": pct(0.99)}


def reset_storm(f: Fixture, targets: list[str]) -> dict[str, float]:
    latencies = []
    start = time.perf_counter()
    for i, target in enumerate(targets):
        t = time.perf_counter()
        f.core.reset_mfa(f.admins[i % ADMINS], target)
        latencies.append(time.perf_counter() - t)
    return figures(latencies, time.perf_counter() - start)


def threaded_reset_storm(f: Fixture, targets: list[str]) -> dict[str, float]:
    latencies: list[float] = []  # list.append is atomic under the GIL

    def slice_of(n: int) -> None:
        for i in range(n, len(targets), THREADS):
            t = time.perf_counter()
            f.core.reset_mfa(f.admins[i % ADMINS], targets[i])
            latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    run_threads([functools.partial(slice_of, n) for n in range(THREADS)])
    return figures(latencies, time.perf_counter() - start)


def verify_storm(f: Fixture, users: list[str], calls: int) -> dict[str, float]:
    rounds = -(-calls // len(users))
    # Codes computed before the phase: round r runs one step after round r - 1.
    plan = []
    for r in range(rounds):
        at = T0 + 60 + 30 * (r + 1)
        plan.append((at, [code_at(f.secrets[u], at) for u in users]))
    latencies: list[float] = []
    start = time.perf_counter()
    for at, codes in plan:
        f.core.set_time(at)
        for user, code in zip(users, codes):
            if len(latencies) == calls:
                break
            t = time.perf_counter()
            f.core.verify(user, code)
            latencies.append(time.perf_counter() - t)
    return figures(latencies, time.perf_counter() - start)


def check_resets(f: Fixture, targets: list[str]) -> None:
    for target in targets:
        status = f.core.mfa_status(target)
        if (status.state, status.credential_epoch) != (mfa_core.MfaState.ENROLLMENT_REQUIRED, 1):
            raise SystemExit(f"check failed: target {target} is {status}")


def successes(core: mfa_core.Core, action: str) -> int:
    n, after_seq = 0, 0
    while True:
        page = core.audit_events(after_seq=after_seq, limit=mfa_core.MAX_AUDIT_PAGE, action=action)
        if not page:
            return n
        n += sum(1 for e in page if e.outcome is mfa_core.Outcome.SUCCESS)
        after_seq = page[-1].seq


def baseline(members: int, resets: int, where: str) -> dict[str, float]:
    """Workload A as the SQL a hand-written endpoint would run, with no checks, MACs or crypto."""
    with tempfile.TemporaryDirectory(dir=where) as directory:
        db = sqlite3.connect(Path(directory) / "baseline.db", isolation_level=None)
        db.executescript(
            """PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
            CREATE TABLE users (id TEXT PRIMARY KEY, secret BLOB, deadline INTEGER, epoch INTEGER NOT NULL);
            CREATE TABLE codes (user_id TEXT, hash BLOB, PRIMARY KEY (user_id, hash)) WITHOUT ROWID;
            CREATE TABLE audit (seq INTEGER PRIMARY KEY, at INTEGER, actor TEXT, target TEXT, action TEXT);"""
        )
        ids = [f"user-{i:08}" for i in range(members)]
        db.execute("BEGIN")
        db.executemany("INSERT INTO users VALUES (?, x'00', NULL, 0)", [(i,) for i in ids])
        db.execute("COMMIT")
        latencies = []
        start = time.perf_counter()
        for i, user in enumerate(ids[:resets]):
            t = time.perf_counter()
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "UPDATE users SET secret = NULL, deadline = ?, epoch = epoch + 1 WHERE id = ?", (T0 + 604_860, user)
            )
            db.execute("DELETE FROM codes WHERE user_id = ?", (user,))
            db.execute(
                "INSERT INTO audit (at, actor, target, action) VALUES (?, ?, ?, 'mfa.reset')",
                (T0 + 60, f"admin-{i % ADMINS}", user),
            )
            db.execute("COMMIT")
            latencies.append(time.perf_counter() - t)
        wall = time.perf_counter() - start
        db.close()
    return figures(latencies, wall)


def cpu_seconds() -> float:
    """User plus system CPU time of the whole process (every thread) so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def fixture_run(where: str, resets: int, verifies: int, durability: str) -> None:
    """Workloads A and B on a copy of ``where/fixture.db``, with CPU per call; one JSON line."""
    index = json.loads((Path(where) / "fixture.json").read_text())
    secrets = {u: base64.b32decode(s + "=" * (-len(s) % 8)) for u, s in index["secrets"].items()}
    admins, members = index["admins"], index["members"]
    with tempfile.TemporaryDirectory(dir=where) as directory:
        db = Path(directory) / "run.db"
        shutil.copyfile(Path(where) / "fixture.db", db)
        core = mfa_core.Core.open(db, KEY, manual_clock=T0 + 60, durability=durability)
        events = core.verify_audit().checked
        targets = members[:resets]
        users = [index["owner"], *admins, *members[resets:]]
        plan: list[tuple[int, list[tuple[str, str]]]] = []
        left = verifies
        for r in range(-(-verifies // len(users))):
            at = T0 + 60 + 30 * (r + 1)
            plan.append((at, [(u, code_at(secrets[u], at)) for u in users[: min(left, len(users))]]))
            left -= len(plan[-1][1])

        cpu = cpu_seconds()
        latencies: list[float] = []
        start = time.perf_counter()
        for i, target in enumerate(targets):
            t = time.perf_counter()
            core.reset_mfa(admins[i % ADMINS], target)
            latencies.append(time.perf_counter() - t)
        reset = figures(latencies, time.perf_counter() - start)
        reset["cpu_us"] = round((cpu_seconds() - cpu) * 1e6 / resets)

        cpu = cpu_seconds()
        latencies = []
        start = time.perf_counter()
        for at, round_ in plan:
            core.set_time(at)
            for user, code in round_:
                t = time.perf_counter()
                core.verify(user, code)
                latencies.append(time.perf_counter() - t)
        verify = figures(latencies, time.perf_counter() - start)
        verify["cpu_us"] = round((cpu_seconds() - cpu) * 1e6 / verifies)

        report = core.verify_audit()
        if not report.ok or report.checked != events + resets + verifies:
            raise SystemExit(f"check failed: {report}")
        for target in targets:
            status = core.mfa_status(target)
            if (status.state, status.credential_epoch) != (mfa_core.MfaState.ENROLLMENT_REQUIRED, 1):
                raise SystemExit(f"check failed: target {target} is {status}")
        core.close()
    sizes = {"resets": resets, "verifies": verifies}
    sync = durability.upper()
    print(json.dumps({"impl": "python", "sync": sync, **sizes, "A_reset": reset, "B_verify": verify}))


def main() -> None:
    parser = argparse.ArgumentParser(description="benchmark workloads through the Python module")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--resets", type=int, default=5_000)
    parser.add_argument("--verifies", type=int, default=20_000)
    parser.add_argument("--dir", default="target", help="where the stores go (not a tmpfs)")
    parser.add_argument("--fixture", help="run A and B on a copy of DIR/fixture.db (scripts/bench.sh)")
    parser.add_argument("--durability", default="full", choices=["full", "normal"], help="with --fixture")
    a = parser.parse_args()
    if a.fixture:
        fixture_run(a.fixture, a.resets, a.verifies, a.durability)
        return
    if not 0 < a.resets * 2 <= a.members:
        parser.error("--resets must be at most half of --members")

    f = fixture(a.members, a.dir)
    f.core.set_time(T0 + 60)
    a_targets, rest = f.members[: a.resets], f.members[a.resets :]
    reset = reset_storm(f, a_targets)
    verify = verify_storm(f, [f.owner, *f.admins, *rest], a.verifies)
    bulk_targets = rest[: a.resets]
    start = time.perf_counter()
    outcomes = f.core.reset_mfa_many(f.owner, bulk_targets)
    bulk_wall = time.perf_counter() - start
    if not all(o.ok for o in outcomes):
        raise SystemExit("check failed: a bulk reset was refused")
    start = time.perf_counter()
    audit = f.core.verify_audit()
    audit_wall = time.perf_counter() - start
    if not audit.ok:
        raise SystemExit("check failed: the audit chain is broken")
    check_resets(f, a_targets)
    check_resets(f, bulk_targets)
    if successes(f.core, "mfa.reset") != 2 * a.resets or successes(f.core, "mfa.verify") != a.verifies:
        raise SystemExit("check failed: event counts")
    f.close()

    g = fixture(a.members, a.dir)
    g.core.set_time(T0 + 60)
    c_targets = g.members[: a.resets]
    concurrent = threaded_reset_storm(g, c_targets)
    if not g.core.verify_audit().ok:
        raise SystemExit("check failed: the audit chain is broken after workload C")
    check_resets(g, c_targets)
    g.close()

    floor = baseline(a.members, a.resets, a.dir)
    sizes = {"members": a.members, "resets": a.resets, "verifies": a.verifies}
    print(json.dumps({
        "impl": "python",
        "sync": "FULL",
        **sizes,
        "A_reset": reset,
        "B_verify": verify,
        "C_reset_8_threads": concurrent,
        "D_bulk": {"targets_per_s": round(a.resets / bulk_wall)},
        "E_verify_audit": {"events": audit.checked, "events_per_s": round(audit.checked / audit_wall)},
    }))  # fmt: skip
    print(json.dumps({"impl": "baseline-sql-python", "sync": "FULL", **sizes, "A_reset": floor}))


if __name__ == "__main__":
    main()
