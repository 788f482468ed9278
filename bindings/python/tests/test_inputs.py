"""Bad inputs of every Python type, for every argument of every operation (contract section 9,
issue 4 item 6): each is `InvalidInput` (also a `ValueError`) and changes nothing."""

from __future__ import annotations

from typing import Any, Callable

import pytest

import mfa_core
from conftest import enroll

#: Not a str for any text argument: None, bytes, huge and small ints, floats, containers.
NOT_TEXT = [None, b"abc", bytearray(b"abc"), 10**40, -1, 1.5, True, ["a"], {"a": 1}, object()]
#: Text the core refuses wherever text goes: a NUL byte, and a lone surrogate (not Unicode).
BAD_TEXT = ["a\0b", "\ud800"]


def calls(core: mfa_core.Core, ids: dict[str, str]) -> dict[str, tuple[Callable[..., Any], dict[str, Any], set[str]]]:
    """Every operation with valid arguments, by name; the set names arguments that may be None."""
    org, olga, bob = ids["org"], ids["olga"], ids["bob"]
    return {
        "create_org": (core.create_org, {"name": "Acme"}, {"policy"}),
        "get_org": (core.get_org, {"org": org}, set()),
        "create_user": (core.create_user, {"org": org, "email": "new@acme.test", "role": "member"}, set()),
        "get_user": (core.get_user, {"user": bob}, set()),
        "find_user_by_email": (core.find_user_by_email, {"org": org, "email": "bob@acme.test"}, set()),
        "list_users": (core.list_users, {"org": org}, set()),
        "set_role": (core.set_role, {"actor": olga, "target": bob, "role": "admin", "actor_proof": None},
                     {"actor_proof"}),
        "disable_user": (core.disable_user, {"actor": olga, "target": bob, "actor_proof": None}, {"actor_proof"}),
        "enable_user": (core.enable_user, {"actor": olga, "target": bob}, set()),
        "begin_enrollment": (core.begin_enrollment, {"user": olga}, set()),
        "confirm_enrollment": (core.confirm_enrollment, {"user": olga, "code": "123456"}, set()),
        "regenerate_recovery_codes": (core.regenerate_recovery_codes, {"user": bob, "proof": "123456"}, set()),
        "verify": (core.verify, {"user": bob, "code": "123456"}, set()),
        "mfa_status": (core.mfa_status, {"user": bob}, set()),
        "reset_mfa": (core.reset_mfa, {"actor": olga, "target": bob, "window": None, "reason": None,
                                       "proof": None, "actor_proof": None},
                      {"window", "reason", "proof", "actor_proof"}),
        "reset_mfa_many": (core.reset_mfa_many, {"actor": olga, "targets": [bob], "window": None, "reason": None,
                                                 "proof": None, "actor_proof": None},
                           {"window", "reason", "proof", "actor_proof"}),
        "audit_events": (core.audit_events, {"after_seq": None, "limit": None, "actor": None, "target": None,
                                             "action": None},
                         {"after_seq", "limit", "actor", "target", "action"}),
    }  # fmt: skip


CASES = [
    (op, arg)
    for op, args in {
        "create_org": ["name"],
        "get_org": ["org"],
        "create_user": ["org", "email", "role"],
        "get_user": ["user"],
        "find_user_by_email": ["org", "email"],
        "list_users": ["org"],
        "set_role": ["actor", "target", "role", "actor_proof"],
        "disable_user": ["actor", "target", "actor_proof"],
        "enable_user": ["actor", "target"],
        "begin_enrollment": ["user"],
        "confirm_enrollment": ["user", "code"],
        "regenerate_recovery_codes": ["user", "proof"],
        "verify": ["user", "code"],
        "mfa_status": ["user"],
        "reset_mfa": ["actor", "target", "reason", "proof", "actor_proof"],
        "reset_mfa_many": ["actor", "reason", "proof", "actor_proof"],
        "audit_events": ["actor", "target", "action"],
    }.items()
    for arg in args
]


@pytest.mark.parametrize(("op", "arg"), CASES, ids=[f"{op}.{arg}" for op, arg in CASES])
def test_every_text_argument_refuses_other_types_and_bad_text(core: mfa_core.Core, op: str, arg: str) -> None:
    org = core.create_org("Acme")
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    bob = core.create_user(org.id, "bob@acme.test", "member")
    enroll(core, bob.id)
    call, valid, optional = calls(core, {"org": org.id, "olga": olga.id, "bob": bob.id})[op]
    before = core.audit_checkpoint()
    for bad in NOT_TEXT + BAD_TEXT:
        if bad is None and arg in optional:
            continue
        with pytest.raises(mfa_core.InvalidInput) as caught:
            call(**{**valid, arg: bad})
        assert isinstance(caught.value, ValueError), (bad, caught.value)
    assert core.audit_checkpoint() == before


def test_window_and_counts_refuse_other_types(core: mfa_core.Core) -> None:
    org = core.create_org("Acme")
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    bob = core.create_user(org.id, "bob@acme.test", "member")
    enroll(core, bob.id)
    for bad in [b"60", "60", 1.0, True, -1, 2**64, 10**40, [60], object()]:
        with pytest.raises(mfa_core.InvalidInput):
            core.reset_mfa(olga.id, bob.id, window=bad)
        with pytest.raises(mfa_core.InvalidInput):
            core.reset_mfa_many(olga.id, [bob.id], window=bad)
        with pytest.raises(mfa_core.InvalidInput):
            core.audit_events(limit=bad)
        with pytest.raises(mfa_core.InvalidInput):
            core.audit_events(after_seq=bad)
    for bad in [1, 0, "true", None, b""]:
        with pytest.raises(mfa_core.InvalidInput):
            core.reset_mfa(olga.id, bob.id, dry_run=bad)
    assert core.mfa_status(bob.id).credential_epoch == 0


def test_huge_strings_are_refused_by_the_core_not_the_interpreter(core: mfa_core.Core) -> None:
    org = core.create_org("Acme")
    huge = "x" * 10_000_000
    for call in (lambda: core.get_user(huge), lambda: core.create_org(huge),
                 lambda: core.create_user(org.id, huge + "@a.test", "member")):  # fmt: skip
        with pytest.raises(mfa_core.InvalidInput):
            call()
