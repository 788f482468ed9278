"""The audit trail (docs/audit.md): paging, filters, checkpoints and tamper detection."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pickle
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
    assert core.audit_events(after_seq=2, limit=2) == events[2:4]
    assert core.audit_events(target=uuid.UUID(bob.id)) == [e for e in events if e.target == bob.id]
    assert core.audit_events(actor=olga.id) == [reset]
    assert core.audit_events(action="mfa.reset") == [reset]
    assert core.audit_events(after_seq=len(events)) == []
    assert set(mfa_core.AUDIT_ACTIONS) >= {e.action for e in events}


def test_events_are_plain_json_data(core: mfa_core.Core, org: mfa_core.Org) -> None:
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    bob = core.create_user(org.id, "bob@acme.test", "member")
    enroll(core, bob.id)
    core.reset_mfa(olga.id, bob.id, reason="lost phone")
    events = core.audit_events()
    for event in events:
        assert type(event.detail) is dict
        assert json.loads(json.dumps(event.detail)) == event.detail
        plain = dataclasses.asdict(event)
        assert plain["detail"] == event.detail and plain["seq"] == event.seq and plain["at"] == event.at
        data = event.to_dict()
        assert list(data) == [f.name for f in dataclasses.fields(event)]
        assert data["at"] == event.at.isoformat() and data["outcome"] == event.outcome.value
        text = json.dumps(data)
        assert mfa_core.AuditEvent.from_dict(json.loads(text)) == event
        assert json.loads(text)["detail"] == event.detail
    reset = events[-1]
    assert reset.to_dict()["detail"] == {**reset.detail} and reset.to_dict()["at"].endswith("+00:00")
    assert mfa_core.AuditEvent.from_dict(reset.to_dict()).at.tzinfo is not None
    shifted = {**reset.to_dict(), "at": reset.at.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat()}
    assert mfa_core.AuditEvent.from_dict(shifted) == reset
    with pytest.raises(ValueError, match="UTC offset"):
        mfa_core.AuditEvent.from_dict({**reset.to_dict(), "at": reset.at.replace(tzinfo=None).isoformat()})
    with pytest.raises(ValueError):
        mfa_core.AuditEvent.from_dict({**reset.to_dict(), "outcome": "maybe"})
    with pytest.raises(KeyError):
        mfa_core.AuditEvent.from_dict({k: v for k, v in reset.to_dict().items() if k != "mac"})


def test_an_events_detail_is_its_own(core: mfa_core.Core, org: mfa_core.Org) -> None:
    """``detail`` is a new dict for every event read: changing one changes no other, nor the
    trail; ``to_dict`` copies it deeply."""
    first = core.audit_events()[0]
    again = core.audit_events()[0]
    assert first.detail == again.detail and first.detail is not again.detail
    first.detail["policy"]["mfa_required"] = "forged"
    first.detail["forged"] = True
    assert again.detail["policy"]["mfa_required"] is False and "forged" not in again.detail
    assert core.audit_events()[0] == again
    assert core.verify_audit().ok
    data = again.to_dict()
    data["detail"]["policy"]["reset_limit_per_hour"] = 0
    assert again.detail["policy"]["reset_limit_per_hour"] == 20
    assert hash(first) == hash(again)  # the frozen event hashes without its detail


@pytest.mark.parametrize(
    "query",
    [{"limit": 0}, {"limit": mfa_core.MAX_AUDIT_PAGE + 1}, {"limit": 2**70}, {"limit": -1},
     {"after_seq": -1}, {"after_seq": 2**64}, {"action": "mfa.nope"}, {"actor": "nope"}],
    ids=repr,
)  # fmt: skip
def test_bad_queries_are_invalid_input(core: mfa_core.Core, query: dict[str, object]) -> None:
    with pytest.raises(mfa_core.InvalidInput):
        core.audit_events(**query)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "query",
    [{"limit": "5"}, {"after_seq": 1.0}, {"after_seq": True}, {"action": b"mfa.reset"}, {"target": 5}],
    ids=repr,
)
def test_queries_of_the_wrong_type_are_type_errors(core: mfa_core.Core, query: dict[str, object]) -> None:
    with pytest.raises(TypeError, match=f"^{next(iter(query))} must be "):
        core.audit_events(**query)  # type: ignore[arg-type]


def test_checkpoints(core: mfa_core.Core) -> None:
    empty = core.audit_checkpoint()
    assert empty == mfa_core.Checkpoint(seq=0, mac="0" * 64) == (0, "0" * 64)
    core.create_org("Acme")
    cp = core.audit_checkpoint()
    assert cp.seq == 1 and cp.mac == core.audit_events()[0].mac
    assert core.verify_audit() == mfa_core.AuditReport(ok=True, checked=1, first_bad_seq=None)
    assert core.verify_audit(cp).ok
    ahead = mfa_core.Checkpoint(seq=5, mac="ab" * 32)
    report = core.verify_audit(ahead)
    assert not report.ok and report.first_bad_seq is not None
    for bad in [mfa_core.Checkpoint(seq=1, mac="xyz"), mfa_core.Checkpoint(seq=-1, mac="0" * 64)]:
        with pytest.raises(mfa_core.InvalidInput):
            core.verify_audit(bad)


def test_a_checkpoint_unpacks_and_round_trips_as_a_plain_tuple(core: mfa_core.Core) -> None:
    core.create_org("Acme")
    checkpoint = core.audit_checkpoint()
    seq, mac = checkpoint
    assert (seq, mac) == (checkpoint.seq, checkpoint.mac) == (1, core.audit_events()[0].mac)
    assert isinstance(checkpoint, tuple) and checkpoint._asdict() == {"seq": seq, "mac": mac}
    with pytest.raises(AttributeError):
        checkpoint.seq = 2  # type: ignore[misc]
    # Stored as the host likes (JSON here) and read back as a plain tuple.
    stored = json.dumps(checkpoint)
    assert stored == f'[1, "{mac}"]'
    restored = tuple(json.loads(stored))
    assert type(restored) is tuple and core.verify_audit(restored) == core.verify_audit(checkpoint)
    assert core.verify_audit((seq, mac)) == mfa_core.AuditReport(ok=True, checked=1, first_bad_seq=None)
    core.create_org("Beta")
    assert core.verify_audit((seq, mac)).ok  # an older checkpoint of the same chain
    forged = (seq, "ab" * 32)
    assert core.verify_audit(forged) == mfa_core.AuditReport(ok=False, checked=2, first_bad_seq=1)
    assert pickle.loads(pickle.dumps(checkpoint)) == checkpoint


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
