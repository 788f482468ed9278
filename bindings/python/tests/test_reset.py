"""reset_mfa and reset_mfa_many (docs/reset.md): rules in order, effects, options, dry run,
self-reset proofs, step-up, the rate limit, and bulk outcomes."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

import mfa_core
from authenticator import totp
from conftest import T0, advance, enroll, unix

UTC = dt.timezone.utc


@pytest.fixture
def team(core: mfa_core.Core, org: mfa_core.Org) -> dict[str, mfa_core.User]:
    users = {
        name: core.create_user(org.id, f"{name}@acme.test", role)
        for name, role in [("olga", "owner"), ("ann", "admin"), ("bob", "member"), ("nel", "member")]
    }
    enroll(core, users["bob"].id)
    return users


def test_an_admin_resets_a_member(core: mfa_core.Core, team: dict[str, mfa_core.User]) -> None:
    ann, bob = team["ann"], team["bob"]
    advance(core, 60)
    receipt = core.reset_mfa(ann.id, uuid.UUID(bob.id), window=3600, reason="lost phone")
    assert receipt == mfa_core.ResetReceipt(
        target=bob.id,
        previous_state=mfa_core.MfaState.ENROLLED,
        state=mfa_core.MfaState.ENROLLMENT_REQUIRED,
        deadline=dt.datetime.fromtimestamp(T0 + 60 + 3600, UTC),
        credential_epoch=1,
        audit_seq=receipt.audit_seq,
        dry_run=False,
    )
    assert receipt.audit_seq is not None
    status = core.mfa_status(bob.id)
    assert status.state is mfa_core.MfaState.ENROLLMENT_REQUIRED and status.credential_epoch == 1
    assert status.deadline == receipt.deadline and status.recovery_codes_remaining == 0
    assert core.get_user(bob.id).credential_epoch == 1
    (event,) = core.audit_events(after_seq=receipt.audit_seq - 1)
    assert event.action == "mfa.reset" and event.reason == "lost phone"
    assert event.actor == ann.id and event.target == bob.id and event.outcome is mfa_core.Outcome.SUCCESS
    with pytest.raises(mfa_core.MfaNotEnabled):
        core.verify(bob.id, "123456")


def test_windows_as_timedelta_and_the_org_default(core: mfa_core.Core, team: dict[str, mfa_core.User]) -> None:
    olga, bob = team["olga"], team["bob"]
    r = core.reset_mfa(olga.id, bob.id, window=dt.timedelta(hours=2))
    assert r.deadline == dt.datetime.fromtimestamp(T0 + 7200, UTC)
    r = core.reset_mfa(olga.id, bob.id)
    assert r.deadline == dt.datetime.fromtimestamp(T0 + 7 * 86400, UTC)
    assert r.previous_state is mfa_core.MfaState.ENROLLMENT_REQUIRED and r.credential_epoch == 2


@pytest.mark.parametrize(
    "options",
    [
        {"window": 0},
        {"window": mfa_core.MAX_WINDOW_SECONDS + 1},
        {"window": dt.timedelta(seconds=-1)},
        {"window": dt.timedelta(milliseconds=1500)},
        {"window": -1},
        {"window": 10**40},
        {"reason": "x" * (mfa_core.MAX_REASON_CHARS + 1)},
        {"reason": "a\0b"},
        {"proof": "12\x0034"},
        {"actor_proof": "\ud800"},
    ],
    ids=lambda o: "-".join(f"{k}={v!r}"[:40] for k, v in o.items()),
)
def test_bad_options_are_invalid_input_and_change_nothing(
    core: mfa_core.Core, team: dict[str, mfa_core.User], options: dict[str, object]
) -> None:
    before = core.audit_checkpoint()
    with pytest.raises(mfa_core.InvalidInput) as caught:
        core.reset_mfa(team["olga"].id, team["bob"].id, **options)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError) and caught.value.http_status == 400
    assert core.audit_checkpoint() == before
    assert core.mfa_status(team["bob"].id).state is mfa_core.MfaState.ENROLLED


@pytest.mark.parametrize(
    "options",
    [{"window": 60.0}, {"window": "60"}, {"window": True}, {"reason": b"lost"}, {"reason": 5}, {"dry_run": 1},
     {"dry_run": "yes"}, {"dry_run": None}, {"proof": b"123456"}, {"proof": 123456}, {"actor_proof": 123456}],
    ids=lambda o: "-".join(f"{k}={v!r}"[:40] for k, v in o.items()),
)  # fmt: skip
def test_options_of_the_wrong_type_are_type_errors_and_change_nothing(
    core: mfa_core.Core, team: dict[str, mfa_core.User], options: dict[str, object]
) -> None:
    before = core.audit_checkpoint()
    with pytest.raises(TypeError) as caught:
        core.reset_mfa(team["olga"].id, team["bob"].id, **options)  # type: ignore[arg-type]
    assert not isinstance(caught.value, mfa_core.MfaError) and str(caught.value).startswith(f"{next(iter(options))} ")
    assert core.audit_checkpoint() == before
    assert core.mfa_status(team["bob"].id).state is mfa_core.MfaState.ENROLLED


@pytest.mark.parametrize("bad", ["not-a-uuid", "0190a1b2c3d47e5f8a9b0c1d2e3f4a5b", "\0" * 36, "\ud800"])
def test_bad_ids_are_invalid_input(core: mfa_core.Core, team: dict[str, mfa_core.User], bad: str) -> None:
    with pytest.raises(mfa_core.InvalidInput):
        core.reset_mfa(team["olga"].id, bad)
    with pytest.raises(mfa_core.InvalidInput):
        core.reset_mfa(bad, team["bob"].id)


@pytest.mark.parametrize("bad", [None, b"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", 10**40, 3.5, ["x"]])
def test_ids_of_the_wrong_type_are_type_errors(core: mfa_core.Core, team: dict[str, mfa_core.User], bad: object) -> None:
    with pytest.raises(TypeError, match="^target must be str or uuid.UUID, not "):
        core.reset_mfa(team["olga"].id, bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^actor must be str or uuid.UUID, not "):
        core.reset_mfa(bad, team["bob"].id)  # type: ignore[arg-type]


def test_the_rules_in_order(core: mfa_core.Core, team: dict[str, mfa_core.User]) -> None:
    olga, ann, bob, nel = team["olga"], team["ann"], team["bob"], team["nel"]
    stranger = str(uuid.uuid4())
    with pytest.raises(mfa_core.Unauthenticated):
        core.reset_mfa(stranger, bob.id)
    with pytest.raises(mfa_core.NotFound):
        core.reset_mfa(ann.id, stranger)
    with pytest.raises(mfa_core.Forbidden, match="proof"):
        core.reset_mfa(bob.id, bob.id)
    with pytest.raises(mfa_core.Forbidden):
        core.reset_mfa(nel.id, bob.id)
    with pytest.raises(mfa_core.Forbidden):
        core.reset_mfa(ann.id, olga.id)
    with pytest.raises(mfa_core.MfaNotEnabled) as caught:
        core.reset_mfa(ann.id, nel.id)
    assert caught.value.http_status == 400
    denied = core.audit_events(action="mfa.reset")
    assert [e.code for e in denied] == ["unauthenticated", "not_found", "forbidden", "forbidden", "forbidden",
                                        "mfa_not_enabled"]  # fmt: skip
    assert all(e.outcome is mfa_core.Outcome.DENIED for e in denied)


def test_an_other_orgs_user_is_not_found(core: mfa_core.Core, team: dict[str, mfa_core.User]) -> None:
    globex = core.create_org("Globex")
    gus = core.create_user(globex.id, "gus@globex.test", "member")
    enroll(core, gus.id)
    with pytest.raises(mfa_core.NotFound):
        core.reset_mfa(team["olga"].id, gus.id)


def test_self_reset_with_a_code_or_a_recovery_code(core: mfa_core.Core, org: mfa_core.Org) -> None:
    cat = core.create_user(org.id, "cat@acme.test", "member")
    secret, codes = enroll(core, cat.id)
    advance(core, 30)
    with pytest.raises(mfa_core.Forbidden):
        core.reset_mfa(cat.id, cat.id, proof="000000" if totp(secret, unix(core)) != "000000" else "111111")
    receipt = core.reset_mfa(cat.id, cat.id, proof=totp(secret, unix(core)))
    assert receipt.credential_epoch == 1
    secret, codes = enroll(core, cat.id)
    receipt = core.reset_mfa(cat.id, cat.id, proof=codes[0])
    assert receipt.credential_epoch == 2


def test_dry_run_changes_and_records_nothing(core: mfa_core.Core, team: dict[str, mfa_core.User]) -> None:
    before = core.audit_checkpoint()
    receipt = core.reset_mfa(team["ann"].id, team["bob"].id, dry_run=True, window=60)
    assert receipt.dry_run and receipt.audit_seq is None and receipt.credential_epoch == 1
    assert receipt.previous_state is mfa_core.MfaState.ENROLLED
    with pytest.raises(mfa_core.Forbidden):
        core.reset_mfa(team["nel"].id, team["bob"].id, dry_run=True)
    assert core.audit_checkpoint() == before
    assert core.mfa_status(team["bob"].id).state is mfa_core.MfaState.ENROLLED


def test_the_hourly_limit_with_retry_after(core: mfa_core.Core) -> None:
    org = core.create_org("Acme", mfa_core.Policy(reset_limit_per_hour=2))
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    bob = core.create_user(org.id, "bob@acme.test", "member")
    enroll(core, bob.id)
    core.reset_mfa(olga.id, bob.id)
    advance(core, 600)
    core.reset_mfa(olga.id, bob.id)
    advance(core, 60)
    with pytest.raises(mfa_core.RateLimited) as caught:
        core.reset_mfa(olga.id, bob.id)
    err = caught.value
    assert err.retry_after == 3600 - 660 and err.http_status == 429 and err.code == "rate_limited"
    assert err.problem_details()["retry_after"] == err.retry_after
    advance(core, err.retry_after)
    assert core.reset_mfa(olga.id, bob.id).credential_epoch == 3


def test_step_up_for_resets(core: mfa_core.Core) -> None:
    org = core.create_org("Acme", mfa_core.Policy(require_step_up=True))
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    bob = core.create_user(org.id, "bob@acme.test", "member")
    secret, _ = enroll(core, olga.id)
    enroll(core, bob.id)
    advance(core, 30)
    with pytest.raises(mfa_core.Forbidden, match="step-up"):
        core.reset_mfa(olga.id, bob.id)
    code = totp(secret, unix(core))
    assert core.reset_mfa(olga.id, bob.id, actor_proof=code).credential_epoch == 1
    with pytest.raises(mfa_core.Forbidden):  # replayed
        core.reset_mfa(olga.id, bob.id, actor_proof=code)


def test_reset_mfa_many_one_outcome_per_target_in_order(core: mfa_core.Core, team: dict[str, mfa_core.User]) -> None:
    olga = team["olga"]
    targets = (t for t in [team["bob"].id, team["nel"].id, "not-a-uuid", uuid.UUID(team["ann"].id)])
    outcomes = core.reset_mfa_many(olga.id, targets, reason="audit finding", window=dt.timedelta(days=1))
    assert [o.target for o in outcomes] == [team["bob"].id, team["nel"].id, "not-a-uuid", team["ann"].id]
    assert [o.ok for o in outcomes] == [True, False, False, False]
    assert outcomes[0].receipt is not None and outcomes[0].error is None
    assert outcomes[0].receipt.deadline == dt.datetime.fromtimestamp(T0 + 86400, UTC)
    assert [type(o.error) for o in outcomes[1:]] == [mfa_core.MfaNotEnabled, mfa_core.InvalidInput,
                                                     mfa_core.MfaNotEnabled]  # fmt: skip
    assert all(o.receipt is None for o in outcomes[1:])
    assert core.mfa_status(team["bob"].id).credential_epoch == 1


def test_reset_mfa_many_limits_and_rate(core: mfa_core.Core) -> None:
    org = core.create_org("Acme", mfa_core.Policy(reset_limit_per_hour=2))
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    users = [core.create_user(org.id, f"u{i}@acme.test", "member") for i in range(3)]
    for u in users:
        enroll(core, u.id)
    outcomes = core.reset_mfa_many(olga.id, [u.id for u in users])
    assert [o.ok for o in outcomes] == [True, True, False]
    assert isinstance(outcomes[2].error, mfa_core.RateLimited) and outcomes[2].error.retry_after == 3600
    assert core.reset_mfa_many(olga.id, []) == []
    with pytest.raises(mfa_core.InvalidInput, match="at most"):
        core.reset_mfa_many(olga.id, [users[0].id] * (mfa_core.MAX_BULK_TARGETS + 1))
    for bad in ["abc", b"abc", None, 5, [5], [None]]:
        with pytest.raises(TypeError):
            core.reset_mfa_many(olga.id, bad)  # type: ignore[arg-type]


def test_reset_mfa_many_dry_run(core: mfa_core.Core, team: dict[str, mfa_core.User]) -> None:
    before = core.audit_checkpoint()
    (outcome,) = core.reset_mfa_many(team["ann"].id, [team["bob"].id], dry_run=True)
    assert outcome.receipt is not None and outcome.receipt.dry_run and outcome.receipt.audit_seq is None
    assert core.audit_checkpoint() == before
