"""Eight Python threads share one Core (docs/storage.md, issue 4 item 4).

The GIL is released during storage work. The proof: with the interpreter's switch interval
raised to a minute, a thread holding the GIL is never pre-empted, so other threads can only run
while a call has let the GIL go. If the calls kept it, each thread would run its whole loop
alone and the completion log would be eight solid blocks; released, the threads take turns.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import mfa_core
from conftest import KEY, enroll

THREADS = 8
ROUNDS = 12


@pytest.fixture
def no_preemption() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(60.0)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def test_eight_threads_make_progress_together_and_keep_the_chain(tmp_path: Path, no_preemption: None) -> None:
    with mfa_core.Core.open(tmp_path / "mfa.db", KEY) as core:
        org = core.create_org("Acme", mfa_core.Policy(reset_limit_per_hour=THREADS * ROUNDS))
        olga = core.create_user(org.id, "olga@acme.test", "owner")
        users = [core.create_user(org.id, f"u{i}@acme.test", "member") for i in range(THREADS)]
        for user in users:
            enroll(core, user.id)
        start = core.audit_checkpoint().seq
        log: list[int] = []
        errors: list[BaseException] = []
        barrier = threading.Barrier(THREADS)

        def work(n: int) -> None:
            try:
                barrier.wait()
                for _ in range(ROUNDS):
                    core.reset_mfa(olga.id, users[n].id, reason=f"thread {n}")
                    log.append(n)
                    core.mfa_status(users[n].id)
                    log.append(n)
            except BaseException as err:  # reported below, with the thread's number
                errors.append(err)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads)
        assert errors == []

        assert len(log) == THREADS * ROUNDS * 2
        switches = sum(1 for a, b in zip(log, log[1:]) if a != b)
        # Serialised by the GIL there would be exactly THREADS - 1 switches.
        assert switches > 4 * THREADS, f"threads did not interleave: {switches} switches in {log}"

        for user in users:
            assert core.mfa_status(user.id).credential_epoch == ROUNDS
        assert core.audit_checkpoint().seq == start + THREADS * ROUNDS
        report = core.verify_audit()
        assert report.ok and report.checked == start + THREADS * ROUNDS


def test_close_while_other_threads_call_is_safe(tmp_path: Path) -> None:
    core = mfa_core.Core.open(tmp_path / "mfa.db", KEY)
    org = core.create_org("Acme")
    outcomes: list[str] = []

    def work() -> None:
        for i in range(50):
            try:
                core.create_user(org.id, f"{threading.get_ident()}-{i}@acme.test", "member")
                outcomes.append("ok")
            except mfa_core.InvalidInput as err:
                assert "closed" in str(err)
                outcomes.append("closed")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    core.close()
    for t in threads:
        t.join()
    assert len(outcomes) == 200 and set(outcomes) <= {"ok", "closed"}
    with mfa_core.Core.open(tmp_path / "mfa.db", KEY) as again:
        assert len(again.list_users(org.id)) == outcomes.count("ok")
        assert again.verify_audit().ok
