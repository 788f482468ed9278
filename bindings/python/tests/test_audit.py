"""The audit trail (contract section 7): paging, filters, checkpoints and tamper detection."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from pathlib import Path

import pytest

import mfa_core
from conftest import KEY, T0, enroll

UTC = dt.timezone.utc


def test_events_page_and_filter(core: mfa_core.Core, org: mfa_core.Org) -> None:
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    bob = core.create_user(org.id, "bob@acme.test", "member")
    enroll(core, bob.id)
    core.reset_mfa(olga.id, bob.id, reason="lost phone")
    events = core.audit_events()
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert [e.action for e in events] == ["org.create", "user.create", "user.create", "mfa.enroll.begin",
                                          "mfa.enroll.confirm", "mfa.reset"]  # fmt: skip
    first = events[0]
    assert first.at == dt.datetime.fromtimestamp(T0, UTC) and first.org == org.id
    assert first.actor is None and first.outcome is mfa_core.Outcome.SUCCESS and first.code is None
    assert first.detail["policy"]["reset_limit_per_hour"] == 20
    assert len(first.mac) == 64 and int(first.mac, 16) >= 0
    reset = events[-1]
    assert reset.detail["credential_epoch"] == 1 and reset.detail["previous_state"] == "enrolled"
    with pytest.raises(TypeError):
        reset.detail["window"] = 1  # type: ignore[index]
    assert core.audit_events(after_seq=2, limit=2) == events[2:4]
    assert core.audit_events(target=uuid.UUID(bob.id)) == [e for e in events if e.target == bob.id]
    assert core.audit_events(actor=olga.id) == [reset]
    assert core.audit_events(action="mfa.reset") == [reset]
    assert core.audit_events(after_seq=len(events)) == []
    assert set(mfa_core.AUDIT_ACTIONS) >= {e.action for e in events}


@pytest.mark.parametrize(
    "query",
    [{"limit": 0}, {"limit": mfa_core.MAX_AUDIT_PAGE + 1}, {"limit": 2**70}, {"limit": -1}, {"limit": "5"},
     {"after_seq": -1}, {"after_seq": 2**64}, {"after_seq": 1.0}, {"after_seq": True},
     {"action": "mfa.nope"}, {"action": b"mfa.reset"}, {"actor": "nope"}, {"target": 5}],
    ids=repr,
)  # fmt: skip
def test_bad_queries_are_invalid_input(core: mfa_core.Core, query: dict[str, object]) -> None:
    with pytest.raises(mfa_core.InvalidInput):
        core.audit_events(**query)  # type: ignore[arg-type]


def test_checkpoints(core: mfa_core.Core) -> None:
    empty = core.audit_checkpoint()
    assert empty == mfa_core.Checkpoint(seq=0, mac="0" * 64)
    core.create_org("Acme")
    cp = core.audit_checkpoint()
    assert cp.seq == 1 and cp.mac == core.audit_events()[0].mac
    assert core.verify_audit() == mfa_core.AuditReport(ok=True, checked=1, first_bad_seq=None)
    assert core.verify_audit(cp).ok
    ahead = mfa_core.Checkpoint(seq=5, mac="ab" * 32)
    report = core.verify_audit(ahead)
    assert not report.ok and report.first_bad_seq is not None
    for bad in [mfa_core.Checkpoint(seq=1, mac="xyz"), mfa_core.Checkpoint(seq=-1, mac="0" * 64), (1, "0" * 64)]:
        with pytest.raises(mfa_core.InvalidInput):
            core.verify_audit(bad)  # type: ignore[arg-type]


def test_an_edited_row_is_found(tmp_path: Path) -> None:
    path = tmp_path / "mfa.db"
    with mfa_core.Core.open(path, KEY, manual_clock=T0) as core:
        org = core.create_org("Acme")
        for i in range(3):
            core.create_user(org.id, f"u{i}@acme.test", "member")
    db = sqlite3.connect(path)
    table = next(
        name for (name,) in db.execute("select name from sqlite_master where type = 'table'") if "audit" in name
    )
    columns = [row[1] for row in db.execute(f"pragma table_info({table})")]
    assert "reason" in columns
    db.execute(f"update {table} set reason = 'forged' where seq = 3")
    db.commit()
    db.close()
    with mfa_core.Core.open(path, KEY) as core:
        assert core.verify_audit() == mfa_core.AuditReport(ok=False, checked=2, first_bad_seq=3)
