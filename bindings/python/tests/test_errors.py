"""The exception tree (docs/errors.md): one class per code, mapped from the core's enum,
with the builtin bases a Python user catches, HTTP statuses and RFC 7807 problem details."""

from __future__ import annotations

import json

import pytest

import mfa_core

#: The table of docs/errors.md, written out independently of the module.
TABLE = {
    "invalid_input": (mfa_core.InvalidInput, 400, ValueError),
    "unauthenticated": (mfa_core.Unauthenticated, 401, None),
    "forbidden": (mfa_core.Forbidden, 403, PermissionError),
    "not_found": (mfa_core.NotFound, 404, LookupError),
    "mfa_not_enabled": (mfa_core.MfaNotEnabled, 400, None),
    "conflict": (mfa_core.Conflict, 409, None),
    "invalid_code": (mfa_core.InvalidCode, 401, None),
    "rate_limited": (mfa_core.RateLimited, 429, None),
    "storage": (mfa_core.Storage, 503, None),
    "internal": (mfa_core.Internal, 500, None),
}


def test_every_core_code_has_a_class() -> None:
    assert list(mfa_core.ERROR_CODES) == list(TABLE)


GENERIC_DETAIL = {
    "storage": "The identity store is unavailable or failed to save; try again later.",
    "internal": "An internal error occurred in the identity core.",
}


@pytest.mark.parametrize("code", list(TABLE))
def test_each_code_arrives_as_its_class(code: str) -> None:
    cls, status, builtin = TABLE[code]
    err = mfa_core._native._error_for_code(code, f"something about {code}", 42)
    assert type(err) is cls and isinstance(err, mfa_core.MfaError)
    assert err.code == code and err.http_status == status
    assert str(err) == err.message == f"something about {code}"
    if builtin is not None:
        assert isinstance(err, builtin)
    problem = err.problem_details()
    expected = {
        "type": f"urn:mfa-core:error:{code}",
        "status": status,
        # A storage or internal error's message names files, quotes SQLite or a panic: it stays
        # in the message (for logs), and HTTP clients get a fixed sentence.
        "detail": GENERIC_DETAIL.get(code, f"something about {code}"),
        "code": code,
        "title": problem["title"],
    }
    if code == "rate_limited":
        expected["retry_after"] = 42
        assert isinstance(err, mfa_core.RateLimited) and err.retry_after == 42
    assert problem == expected and isinstance(problem["title"], str) and problem["title"]
    assert json.loads(json.dumps(problem)) == problem
    problem["status"] = 0  # a copy: the exception's own details are untouched
    assert err.problem_details()["status"] == status


def test_only_the_intended_builtins() -> None:
    for cls in (mfa_core.Unauthenticated, mfa_core.MfaNotEnabled, mfa_core.Conflict, mfa_core.InvalidCode,
                mfa_core.RateLimited, mfa_core.Storage, mfa_core.Internal):  # fmt: skip
        assert not issubclass(cls, (ValueError, PermissionError, LookupError))
    assert issubclass(mfa_core.MfaError, Exception)


def test_an_unknown_code_is_refused() -> None:
    with pytest.raises(mfa_core.InvalidInput):
        mfa_core._native._error_for_code("teapot", "x")


def test_errors_raised_by_operations_carry_the_core_message(core: mfa_core.Core) -> None:
    with pytest.raises(mfa_core.InvalidInput) as caught:
        core.get_user("nope")
    err = caught.value
    assert err.message == 'user is not a UUID: "nope"'
    assert err.problem_details()["title"] == "Invalid input"
    assert repr(err) == "InvalidInput('user is not a UUID: \"nope\"')"
