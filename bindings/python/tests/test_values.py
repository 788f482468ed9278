"""Value types: immutable, readable, and never showing a secret (issue 4 item 2)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle

import pytest

import mfa_core
from authenticator import totp
from conftest import KEY, T0, advance, unix


def test_no_secret_in_any_repr_str_error_or_audit_event(core: mfa_core.Core, org: mfa_core.Org) -> None:
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    bob = core.create_user(org.id, "bob@acme.test", "member")
    enrollment = core.begin_enrollment(bob.id)
    first = totp(enrollment.secret, T0)
    codes = core.confirm_enrollment(bob.id, first)
    advance(core, 30)
    second = totp(enrollment.secret, unix(core))
    shown: list[object] = [enrollment, codes, core.verify(bob.id, second), core.mfa_status(bob.id)]
    for attempt in (second, codes[0] + "x", "12\x0034"):
        try:
            core.verify(bob.id, attempt)
        except mfa_core.MfaError as err:
            shown += [err, err.problem_details()]
    try:
        core.reset_mfa(bob.id, bob.id, proof=codes[1] + "0")
    except mfa_core.Forbidden as err:
        shown += [err, err.problem_details()]
    shown.append(core.reset_mfa(olga.id, bob.id, reason="lost phone"))
    shown += core.audit_events()
    secrets = [enrollment.secret, enrollment.secret.lower(), first, second, KEY.hex(), *codes]
    for value in shown:
        for text in (repr(value), str(value)):
            for secret in secrets:
                assert secret not in text, f"a secret shows in {text}"
    assert repr(enrollment) == str(enrollment) == "Enrollment(secret=<redacted>, uri=<redacted>)"
    assert repr(codes) == str(codes) == "RecoveryCodes(<10 redacted>)"
    assert f"{codes!r}" == "RecoveryCodes(<10 redacted>)"


def test_recovery_codes_are_an_immutable_tuple_of_str(core: mfa_core.Core, org: mfa_core.Org) -> None:
    bob = core.create_user(org.id, "bob@acme.test", "member")
    codes = core.confirm_enrollment(bob.id, totp(core.begin_enrollment(bob.id).secret, T0))
    assert isinstance(codes, tuple) and isinstance(codes, mfa_core.RecoveryCodes)
    assert list(codes) == [codes[i] for i in range(10)]
    with pytest.raises(TypeError):
        codes[0] = "x"  # type: ignore[index]
    with pytest.raises(AttributeError):
        codes.extra = 1  # type: ignore[attr-defined]


def test_results_are_frozen_and_comparable(core: mfa_core.Core, org: mfa_core.Org) -> None:
    user = core.create_user(org.id, "ann@acme.test", "owner")
    status = core.mfa_status(user.id)
    for value in (org, org.policy, user, status, core.verify_audit()):
        field = dataclasses.fields(value)[0].name  # type: ignore[arg-type]
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, field, None)
        assert value == pickle.loads(pickle.dumps(value))
    assert repr(user).startswith("User(id='") and "role=<Role.OWNER: 'owner'>" in repr(user)


def test_enums_are_their_contract_strings() -> None:
    assert [m.value for m in mfa_core.MfaState] == ["not_enrolled", "enrollment_required", "locked_out", "enrolled"]
    assert mfa_core.Role("admin") is mfa_core.Role.ADMIN and f"{mfa_core.Role.ADMIN}" == "admin"
    assert {str(o) for o in mfa_core.Outcome} == {"success", "denied", "failure"}
    assert {str(s) for s in mfa_core.UserStatus} == {"active", "disabled"}
    assert {str(m) for m in mfa_core.VerifyMethod} == {"totp", "recovery_code"}


def test_the_package_exports_what_it_documents() -> None:
    for name in mfa_core.__all__:
        assert hasattr(mfa_core, name), name
    assert mfa_core.Core.__module__ == "mfa_core"
    assert mfa_core.MAX_BULK_TARGETS == 10_000 and mfa_core.MAX_WINDOW_SECONDS == 365 * 86400


def test_results_and_errors_pickle(core: mfa_core.Core, org: mfa_core.Org) -> None:
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    outcomes = core.reset_mfa_many(olga.id, [olga.id, "nope"])
    for outcome in outcomes:
        again = pickle.loads(pickle.dumps(outcome))
        assert again.target == outcome.target and type(again.error) is type(outcome.error)
        assert again.error is not None and outcome.error is not None
        assert again.error.problem_details() == outcome.error.problem_details()
    limited = mfa_core._native._error_for_code("rate_limited", "slow down", 30)
    assert isinstance(limited, mfa_core.RateLimited)
    again = pickle.loads(pickle.dumps(limited))
    assert isinstance(again, mfa_core.RateLimited) and again.retry_after == 30 and str(again) == "slow down"
    for event in core.audit_events():
        assert pickle.loads(pickle.dumps(event)) == event


def test_results_are_what_their_constructors_build(core: mfa_core.Core, org: mfa_core.Org) -> None:
    """The native module fills results in as ``pickle`` does, without running ``__init__``:
    each has exactly its fields, equal to what the constructor builds from them."""
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    bob = core.create_user(org.id, "bob@acme.test", "member")
    enrollment = core.begin_enrollment(bob.id)
    core.confirm_enrollment(bob.id, totp(enrollment.secret, T0))
    advance(core, 30)
    values: list[object] = [org, org.policy, olga, enrollment, core.mfa_status(bob.id), core.verify_audit(),
                            core.verify(bob.id, totp(enrollment.secret, unix(core))),
                            core.reset_mfa(olga.id, bob.id), *core.reset_mfa_many(olga.id, [olga.id]),
                            *core.audit_events(), core.info(),
                            core.create_org("Beta", mfa_core.Policy(enrollment_window=90061))]  # fmt: skip
    kinds = set()
    for value in values:
        assert dataclasses.is_dataclass(value) and not isinstance(value, type)
        kinds.add(type(value).__name__)
        fields = [f.name for f in dataclasses.fields(value)]
        assert list(vars(value)) == fields, type(value)
        rebuilt = dataclasses.replace(value)
        assert rebuilt == value and repr(rebuilt) == repr(value) and vars(rebuilt) == vars(value)
        assert [type(v) for v in vars(rebuilt).values()] == [type(v) for v in vars(value).values()]
    assert kinds == {"Org", "Policy", "User", "Enrollment", "MfaStatus", "AuditReport", "Verification",
                     "ResetReceipt", "ResetOutcome", "AuditEvent", "StoreInfo"}  # fmt: skip
    assert values[-1].policy.enrollment_window == dt.timedelta(days=1, hours=1, minutes=1, seconds=1)  # type: ignore[attr-defined]
