"""Enrollment, verification and recovery codes (docs/enrollment.md), through Python."""

from __future__ import annotations

import datetime as dt
import urllib.parse

import pytest

import mfa_core
from authenticator import totp, wrong_totp
from conftest import T0, advance, enroll, unix

UTC = dt.timezone.utc


@pytest.fixture
def bob(core: mfa_core.Core, org: mfa_core.Org) -> mfa_core.User:
    return core.create_user(org.id, "bob@acme.test", "member")


def test_begin_gives_a_base32_secret_and_an_otpauth_uri(core: mfa_core.Core, bob: mfa_core.User) -> None:
    e = core.begin_enrollment(bob.id)
    assert len(e.secret) == 32 and e.secret.isupper() and e.secret.isalnum()
    uri = urllib.parse.urlsplit(e.uri)
    assert (uri.scheme, uri.netloc, uri.path) == ("otpauth", "totp", "/Acme:bob%40acme.test")
    assert urllib.parse.parse_qs(uri.query) == {
        "secret": [e.secret], "issuer": ["Acme"], "algorithm": ["SHA1"], "digits": ["6"], "period": ["30"],
    }  # fmt: skip
    again = core.begin_enrollment(bob.id)
    assert again.secret != e.secret  # a new pending secret replaces the old one
    with pytest.raises(mfa_core.InvalidCode):
        core.confirm_enrollment(bob.id, totp(e.secret, T0))
    codes = core.confirm_enrollment(bob.id, totp(again.secret, T0))
    assert len(codes) == mfa_core.RECOVERY_CODE_COUNT == 10 and len(set(codes)) == 10
    assert all(isinstance(c, str) for c in codes)
    status = core.mfa_status(bob.id)
    assert status.state is mfa_core.MfaState.ENROLLED and status.deadline is None
    assert status.recovery_codes_remaining == 10


def test_conflicts(core: mfa_core.Core, bob: mfa_core.User) -> None:
    with pytest.raises(mfa_core.Conflict, match="no pending"):
        core.confirm_enrollment(bob.id, "123456")
    enroll(core, bob.id)
    with pytest.raises(mfa_core.Conflict, match="already enrolled"):
        core.begin_enrollment(bob.id)


def test_a_locked_out_user_cannot_enroll(core: mfa_core.Core) -> None:
    org = core.create_org("Acme", mfa_core.Policy(mfa_required=True, enrollment_window=60))
    bob = core.create_user(org.id, "bob@acme.test", "member")
    advance(core, 60)
    with pytest.raises(mfa_core.Forbidden, match="locked out"):
        core.begin_enrollment(bob.id)


def test_verify_accepts_t_minus_1_to_t_plus_1_and_refuses_replays(core: mfa_core.Core, bob: mfa_core.User) -> None:
    secret, _ = enroll(core, bob.id)
    advance(core, 90)
    now = unix(core)
    with pytest.raises(mfa_core.InvalidCode):
        core.verify(bob.id, totp(secret, now, -2))
    with pytest.raises(mfa_core.InvalidCode):
        core.verify(bob.id, totp(secret, now, 2))
    v = core.verify(bob.id, totp(secret, now, -1))
    assert v.method is mfa_core.VerifyMethod.TOTP and v.recovery_codes_remaining == 10
    with pytest.raises(mfa_core.InvalidCode) as caught:
        core.verify(bob.id, totp(secret, now, -1))  # replay
    assert caught.value.http_status == 401
    assert core.verify(bob.id, totp(secret, now, 1)).method == "totp"
    with pytest.raises(mfa_core.InvalidCode):
        core.verify(bob.id, totp(secret, now, 0))  # at or before the last accepted step


@pytest.mark.parametrize("code", ["12345", "1234567", "12 345", " 12345", "12345a", "١٢٣٤٥٦", "+12345", ""])
def test_codes_are_exactly_six_ascii_digits(core: mfa_core.Core, bob: mfa_core.User, code: str) -> None:
    enroll(core, bob.id)
    with pytest.raises(mfa_core.InvalidCode):
        core.verify(bob.id, code)


@pytest.mark.parametrize("code", ["12\x003456", "\ud800" * 6])
def test_codes_with_nul_or_not_unicode_are_invalid_input(core: mfa_core.Core, bob: mfa_core.User, code: str) -> None:
    enroll(core, bob.id)
    for call in (core.verify, core.confirm_enrollment, core.regenerate_recovery_codes):
        with pytest.raises(mfa_core.InvalidInput):
            call(bob.id, code)


@pytest.mark.parametrize("code", [None, b"123456", 123456])
def test_codes_of_the_wrong_type_are_type_errors(core: mfa_core.Core, bob: mfa_core.User, code: object) -> None:
    enroll(core, bob.id)
    for call in (core.verify, core.confirm_enrollment, core.regenerate_recovery_codes):
        with pytest.raises(TypeError, match=r"^(code|proof) must be str, not "):
            call(bob.id, code)  # type: ignore[arg-type]


def test_verify_of_a_user_with_nothing_enrolled(core: mfa_core.Core, bob: mfa_core.User) -> None:
    with pytest.raises(mfa_core.MfaNotEnabled):
        core.verify(bob.id, "123456")


def test_recovery_codes_are_single_use_and_regenerated(core: mfa_core.Core, bob: mfa_core.User) -> None:
    secret, codes = enroll(core, bob.id)
    v = core.verify(bob.id, codes[3])
    assert v.method is mfa_core.VerifyMethod.RECOVERY_CODE and v.recovery_codes_remaining == 9
    with pytest.raises(mfa_core.InvalidCode):
        core.verify(bob.id, codes[3])
    advance(core, 30)
    fresh = core.regenerate_recovery_codes(bob.id, totp(secret, unix(core)))
    assert set(fresh).isdisjoint(codes) and core.mfa_status(bob.id).recovery_codes_remaining == 10
    with pytest.raises(mfa_core.InvalidCode):
        core.verify(bob.id, codes[4])
    assert core.verify(bob.id, fresh[0]).recovery_codes_remaining == 9


def test_throttling_doubles_retry_after(core: mfa_core.Core) -> None:
    org = core.create_org("Acme", mfa_core.Policy(max_failed_verifications=2))
    bob = core.create_user(org.id, "bob@acme.test", "member")
    secret, _ = enroll(core, bob.id)
    advance(core, 30)
    for _ in range(2):
        with pytest.raises(mfa_core.InvalidCode):
            core.verify(bob.id, wrong_totp(secret, unix(core)))
    with pytest.raises(mfa_core.RateLimited) as caught:
        core.verify(bob.id, totp(secret, unix(core)))  # right, but throttled
    assert caught.value.retry_after == 30 and caught.value.http_status == 429
    advance(core, 30)
    with pytest.raises(mfa_core.InvalidCode):
        core.verify(bob.id, wrong_totp(secret, unix(core)))
    with pytest.raises(mfa_core.RateLimited) as caught:
        core.verify(bob.id, totp(secret, unix(core)))
    assert caught.value.retry_after == 60
    advance(core, 60)
    assert core.verify(bob.id, totp(secret, unix(core))).method == "totp"


def test_a_disabled_user_cannot_verify(core: mfa_core.Core, org: mfa_core.Org, bob: mfa_core.User) -> None:
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    _, codes = enroll(core, bob.id)
    core.disable_user(olga.id, bob.id)
    with pytest.raises(mfa_core.Unauthenticated):
        core.verify(bob.id, codes[0])
