"""Every argument of every operation, treated as the standard library treats arguments: a value of
the wrong type is a ``TypeError`` (a bug in the calling code, not an ``MfaError``), a value of the
right type that is not acceptable is ``InvalidInput`` (a ``ValueError``). Either way nothing
changes."""

from __future__ import annotations

import datetime as dt
import inspect
import uuid
from typing import Any, Callable

import pytest

import mfa_core
from conftest import KEY, T0, enroll

UTC = dt.timezone.utc
ZERO_MAC = "0" * 64

#: Values of the wrong type for a ``str`` argument (``None`` is added where it is required).
NOT_TEXT: list[object] = [b"abc", bytearray(b"abc"), 7, 10**40, 1.5, True, ["a"], {"a": 1}, object()]
#: Text no argument takes: a NUL byte, a lone surrogate (not Unicode).
BAD_TEXT: list[object] = ["a\0b", "\ud800"]
NOT_INT: list[object] = ["5", b"5", 1.0, True, [1], object()]

#: By kind of argument: (values of the wrong type, values of the right type that are refused).
KINDS: dict[str, tuple[list[object], list[object]]] = {
    "text": (NOT_TEXT, BAD_TEXT),
    "id": (NOT_TEXT, [*BAD_TEXT, "not-a-uuid", "0190a1b2c3d47e5f8a9b0c1d2e3f4a5b", "\0" * 36]),
    "role": (NOT_TEXT, [*BAD_TEXT, "root", "", "owner\0"]),
    "name": (NOT_TEXT, [*BAD_TEXT, "", "   ", "x" * 201]),
    "email": (NOT_TEXT, [*BAD_TEXT, "", "ab", "a@b@c", "a b@c"]),
    "code": (NOT_TEXT, BAD_TEXT),
    "reason": (NOT_TEXT, [*BAD_TEXT, "x" * (mfa_core.MAX_REASON_CHARS + 1)]),
    "action": (NOT_TEXT, [*BAD_TEXT, "mfa.nope"]),
    "issuer": (NOT_TEXT, [*BAD_TEXT, "a:b"]),
    "ids": (["abc", b"abc", 5, 1.5, [5], [None], [b"x"], (1,)], []),
    "count": (NOT_INT, [-1, 2**64, 10**40]),
    "limit": (NOT_INT, [-1, 0, mfa_core.MAX_AUDIT_PAGE + 1, 2**70]),
    "seconds": ([*NOT_INT, dt.datetime(2030, 1, 1, tzinfo=UTC)],
                [-1, 0, 10**40, dt.timedelta(seconds=1.5), dt.timedelta(seconds=-1),
                 mfa_core.MAX_WINDOW_SECONDS + 1]),
    "bool": ([1, 0, "true", b"", [], 1.0], []),
    "durability": (NOT_TEXT, [*BAD_TEXT, "", "fast", "FULL "]),
    "time": ([1.5, "1700000000", b"", True, [1], dt.date(2030, 1, 1), object()],
             [dt.datetime(2030, 1, 1), -1, 10**12, 10**40]),
    "key": (["k" * 32, list(range(32)), 7, memoryview(KEY), object()], [b"", bytes(31), bytes(33), bytes(64)]),
    "path": ([b"/tmp/x.db", 3, 1.5, ["x"], object()], ["", "a\0b"]),
    "policy": ([{"mfa_required": True}, "default", 1, mfa_core.Policy,
                mfa_core.Policy(mfa_required=1),  # type: ignore[arg-type]
                mfa_core.Policy(reset_limit_per_hour=True),
                mfa_core.Policy(enrollment_window="7d"),  # type: ignore[arg-type]
                mfa_core.Policy(max_failed_verifications=5.0)],  # type: ignore[arg-type]
               [mfa_core.Policy(reset_limit_per_hour=2**32), mfa_core.Policy(max_failed_verifications=0),
                mfa_core.Policy(enrollment_window=-1), mfa_core.Policy(enrollment_window=0)]),
    "checkpoint": ([[1, ZERO_MAC], {"seq": 1, "mac": ZERO_MAC}, "1:00", 5, (1.0, ZERO_MAC), (True, ZERO_MAC),
                    (1, b"00"), (None, ZERO_MAC)],
                   [(), (1,), (1, ZERO_MAC, 3), (-1, ZERO_MAC), (2**64, ZERO_MAC), (1, "xyz"), (1, "\ud800")]),
}  # fmt: skip

#: Every operation's arguments: name -> (kind, may be None).
SIGNATURES: dict[str, dict[str, tuple[str, bool]]] = {
    "open": {"path": ("path", False), "key": ("key", False), "manual_clock": ("time", True),
             "issuer": ("issuer", True), "create_if_missing": ("bool", True), "durability": ("durability", True)},
    "set_time": {"time": ("time", False)},
    "create_org": {"name": ("name", False), "policy": ("policy", True)},
    "get_org": {"org": ("id", False)},
    "create_user": {"org": ("id", False), "email": ("email", False), "role": ("role", False)},
    "get_user": {"user": ("id", False)},
    "find_user_by_email": {"org": ("id", False), "email": ("text", False)},
    "list_users": {"org": ("id", False)},
    "set_role": {"actor": ("id", False), "target": ("id", False), "role": ("role", False),
                 "actor_proof": ("code", True)},
    "disable_user": {"actor": ("id", False), "target": ("id", False), "actor_proof": ("code", True)},
    "enable_user": {"actor": ("id", False), "target": ("id", False)},
    "update_policy": {"actor": ("id", False), "org": ("id", False), "mfa_required": ("bool", True),
                      "enrollment_window": ("seconds", True), "reset_limit_per_hour": ("count", True),
                      "max_failed_verifications": ("count", True), "require_step_up": ("bool", True),
                      "actor_proof": ("code", True)},
    "delete_user": {"actor": ("id", False), "target": ("id", False), "actor_proof": ("code", True)},
    "rename_user": {"actor": ("id", False), "target": ("id", False), "new_email": ("email", False),
                    "actor_proof": ("code", True)},
    "begin_enrollment": {"user": ("id", False)},
    "confirm_enrollment": {"user": ("id", False), "code": ("code", False)},
    "regenerate_recovery_codes": {"user": ("id", False), "proof": ("code", False)},
    "verify": {"user": ("id", False), "code": ("code", False)},
    "mfa_status": {"user": ("id", False)},
    "reset_mfa": {"actor": ("id", False), "target": ("id", False), "window": ("seconds", True),
                  "reason": ("reason", True), "dry_run": ("bool", False), "proof": ("code", True),
                  "actor_proof": ("code", True)},
    "reset_mfa_many": {"actor": ("id", False), "targets": ("ids", False), "window": ("seconds", True),
                       "reason": ("reason", True), "dry_run": ("bool", False), "proof": ("code", True),
                       "actor_proof": ("code", True)},
    "audit_events": {"after_seq": ("count", True), "limit": ("limit", True), "actor": ("id", True),
                     "target": ("id", True), "action": ("action", True)},
    "verify_audit": {"checkpoint": ("checkpoint", True)},
    "backup": {"path": ("path", False)},
}  # fmt: skip

#: Operations without arguments, which there is nothing to check for.
NO_ARGUMENTS = {"close", "info", "now", "list_orgs", "audit_checkpoint"}


def valid(core: mfa_core.Core) -> dict[str, tuple[Callable[..., Any], dict[str, Any]]]:
    """Each operation with valid arguments, on a store with an org, an owner and an enrolled
    member."""
    org = core.create_org("Acme")
    olga = core.create_user(org.id, "olga@acme.test", "owner").id
    bob = core.create_user(org.id, "bob@acme.test", "member").id
    enroll(core, bob)
    cp = tuple(core.audit_checkpoint())
    return {
        "open": (mfa_core.Core.open, {"path": ":memory:", "key": KEY, "manual_clock": T0, "issuer": "Acme",
                                      "create_if_missing": True, "durability": "normal"}),
        "set_time": (core.set_time, {"time": T0 + 1}),
        "create_org": (core.create_org, {"name": "Beta", "policy": mfa_core.Policy()}),
        "get_org": (core.get_org, {"org": org.id}),
        "create_user": (core.create_user, {"org": org.id, "email": "new@acme.test", "role": "member"}),
        "get_user": (core.get_user, {"user": bob}),
        "find_user_by_email": (core.find_user_by_email, {"org": org.id, "email": "bob@acme.test"}),
        "list_users": (core.list_users, {"org": org.id}),
        "set_role": (core.set_role, {"actor": olga, "target": bob, "role": "admin", "actor_proof": None}),
        "disable_user": (core.disable_user, {"actor": olga, "target": bob, "actor_proof": None}),
        "enable_user": (core.enable_user, {"actor": olga, "target": bob}),
        "update_policy": (core.update_policy, {"actor": olga, "org": org.id, "mfa_required": True,
                                               "enrollment_window": 3600, "reset_limit_per_hour": 3,
                                               "max_failed_verifications": 4, "require_step_up": False,
                                               "actor_proof": None}),
        "delete_user": (core.delete_user, {"actor": olga, "target": bob, "actor_proof": None}),
        "rename_user": (core.rename_user, {"actor": olga, "target": bob, "new_email": "robert@acme.test",
                                           "actor_proof": None}),
        "begin_enrollment": (core.begin_enrollment, {"user": olga}),
        "confirm_enrollment": (core.confirm_enrollment, {"user": olga, "code": "123456"}),
        "regenerate_recovery_codes": (core.regenerate_recovery_codes, {"user": bob, "proof": "123456"}),
        "verify": (core.verify, {"user": bob, "code": "123456"}),
        "mfa_status": (core.mfa_status, {"user": bob}),
        "reset_mfa": (core.reset_mfa, {"actor": olga, "target": bob, "window": 3600, "reason": "lost phone",
                                       "dry_run": False, "proof": None, "actor_proof": None}),
        "reset_mfa_many": (core.reset_mfa_many, {"actor": olga, "targets": [bob], "window": 3600,
                                                 "reason": "lost phones", "dry_run": False, "proof": None,
                                                 "actor_proof": None}),
        "audit_events": (core.audit_events, {"after_seq": 0, "limit": 10, "actor": olga, "target": bob,
                                             "action": "mfa.reset"}),
        "verify_audit": (core.verify_audit, {"checkpoint": cp}),
        "backup": (core.backup, {"path": "copy.db"}),
    }  # fmt: skip


CASES = [(op, arg) for op, args in SIGNATURES.items() for arg in args]


def test_every_argument_of_every_operation_is_covered() -> None:
    methods = {name for name in dir(mfa_core.Core) if not name.startswith("_") and name != "closed"}
    assert methods == set(SIGNATURES) | NO_ARGUMENTS
    for name in methods:
        params = inspect.signature(getattr(mfa_core.Core, name)).parameters
        assert [p for p in params if p not in ("self", "cls")] == list(SIGNATURES.get(name, {})), name


@pytest.mark.parametrize(("op", "arg"), CASES, ids=[f"{op}.{arg}" for op, arg in CASES])
def test_wrong_types_are_type_errors_and_bad_values_invalid_input(core: mfa_core.Core, op: str, arg: str) -> None:
    call, args = valid(core)[op]
    kind, optional = SIGNATURES[op][arg]
    wrong, bad = KINDS[kind]
    if not optional:
        wrong = [None, *wrong]
    before = (core.audit_checkpoint(), core.now())
    for value in wrong:
        with pytest.raises(TypeError) as caught:
            call(**{**args, arg: value})
        err = caught.value
        assert not isinstance(err, (mfa_core.MfaError, ValueError)), (value, err)
        assert str(err).startswith((f"{arg} must be ", f"{arg}.", f"each of {arg} must be ")), err
    for value in bad:
        with pytest.raises(mfa_core.InvalidInput) as invalid:
            call(**{**args, arg: value})
        assert isinstance(invalid.value, ValueError) and invalid.value.code == "invalid_input"
    assert (core.audit_checkpoint(), core.now()) == before


def test_type_errors_name_the_type_never_the_value(core: mfa_core.Core) -> None:
    with pytest.raises(TypeError) as caught:
        core.verify(str(uuid.uuid4()), 123456)  # type: ignore[arg-type]
    assert str(caught.value) == "code must be str, not int"
    with pytest.raises(TypeError) as key:
        mfa_core.Core.open(":memory:", "secret key of 32 characters!!!!!")  # type: ignore[arg-type]
    assert "secret" not in str(key.value) and str(key.value).endswith("not str")
    with pytest.raises(TypeError, match=r"^policy\.mfa_required must be bool, not int$"):
        core.create_org("Acme", mfa_core.Policy(mfa_required=1))  # type: ignore[arg-type]


def test_the_accepted_types(core: mfa_core.Core) -> None:
    """What each kind does take, besides ``str`` and ``int``: so the refusals above are about
    the types, not the values."""
    org = core.create_org("Acme", mfa_core.Policy(enrollment_window=dt.timedelta(hours=1)))
    olga = core.create_user(uuid.UUID(org.id), "olga@acme.test", mfa_core.Role.OWNER)
    bob = core.create_user(org.id, "bob@acme.test", "member")
    enroll(core, bob.id)
    receipt = core.reset_mfa(uuid.UUID(olga.id), bob.id, window=dt.timedelta(days=1), dry_run=True)
    assert receipt.dry_run and receipt.deadline == core.now() + dt.timedelta(days=1)
    outcomes = core.reset_mfa_many(olga.id, (t for t in [uuid.UUID(bob.id)]), dry_run=True)
    assert [o.ok for o in outcomes] == [True]
    core.set_time(dt.datetime.fromtimestamp(T0 + 60, dt.timezone(dt.timedelta(hours=-5))))
    assert core.now() == dt.datetime.fromtimestamp(T0 + 60, UTC)
    assert core.audit_events(actor=uuid.UUID(olga.id)) == []
    with mfa_core.Core.open(":memory:", bytearray(KEY), manual_clock=dt.datetime.fromtimestamp(T0, UTC)) as other:
        assert other.now() == dt.datetime.fromtimestamp(T0, UTC)


def test_huge_strings_are_refused_by_the_core_not_the_interpreter(core: mfa_core.Core) -> None:
    org = core.create_org("Acme")
    huge = "x" * 10_000_000
    for call in (lambda: core.get_user(huge), lambda: core.create_org(huge),
                 lambda: core.create_user(org.id, huge + "@a.test", "member")):  # fmt: skip
        with pytest.raises(mfa_core.InvalidInput):
            call()


def test_too_many_targets_is_invalid_input(core: mfa_core.Core) -> None:
    org = core.create_org("Acme")
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    with pytest.raises(mfa_core.InvalidInput, match="at most"):
        core.reset_mfa_many(olga.id, [olga.id] * (mfa_core.MAX_BULK_TARGETS + 1))


def test_an_iterable_that_fails_passes_its_own_error_through(core: mfa_core.Core) -> None:
    org = core.create_org("Acme")
    olga = core.create_user(org.id, "olga@acme.test", "owner")

    def targets() -> Any:
        yield olga.id
        raise KeyError("from the host's own code")

    with pytest.raises(KeyError, match="host's own code"):
        core.reset_mfa_many(olga.id, targets())
