"""Several processes share one file (docs/storage.md): each opens its own handle; no update
is lost, no call sees SQLITE_BUSY, and the audit chain stays whole."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import mfa_core
from conftest import KEY, enroll

PROCESSES = 4
ROUNDS = 10

WORKER = textwrap.dedent(
    """
    import sys
    import mfa_core

    path, key, actor, target, rounds = sys.argv[1], bytes.fromhex(sys.argv[2]), *sys.argv[3:5], int(sys.argv[5])
    with mfa_core.Core.open(path, key) as core:
        for _ in range(rounds):
            core.reset_mfa(actor, target, reason="from another process")
    """
)


def test_processes_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "mfa.db"
    with mfa_core.Core.open(path, KEY) as core:
        org = core.create_org("Acme", mfa_core.Policy(reset_limit_per_hour=PROCESSES * ROUNDS))
        olga = core.create_user(org.id, "olga@acme.test", "owner")
        users = [core.create_user(org.id, f"u{i}@acme.test", "member") for i in range(PROCESSES)]
        for user in users:
            enroll(core, user.id)
        start = core.audit_checkpoint().seq
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(path), KEY.hex(), olga.id, user.id, str(ROUNDS)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for user in users
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    with mfa_core.Core.open(path, KEY) as core:
        assert [core.get_user(u.id).credential_epoch for u in users] == [ROUNDS] * PROCESSES
        assert core.audit_checkpoint().seq == start + PROCESSES * ROUNDS
        assert core.verify_audit() == mfa_core.AuditReport(ok=True, checked=start + PROCESSES * ROUNDS,
                                                           first_bad_seq=None)  # fmt: skip


def test_a_forked_child_cannot_use_the_parents_handle(tmp_path: Path) -> None:
    with mfa_core.Core.open(tmp_path / "mfa.db", KEY) as core:
        org = core.create_org("Acme")
        pid = os.fork()
        if pid == 0:  # the child: report through the exit status only
            try:
                core.get_org(org.id)
                status = 1
            except mfa_core.InvalidInput as err:
                status = 0 if "another process" in str(err) else 2
            core.close()  # does nothing in the child
            os._exit(status)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert core.get_org(org.id) == org  # the parent's handle is untouched
        assert core.verify_audit().ok
