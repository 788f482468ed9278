"""Shared fixtures: a fresh in-memory store on a manual clock, and small builders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import mfa_core


from authenticator import totp

#: The scenarios' key and start time (tests/scenarios/README.md), used everywhere for clarity.
KEY = bytes(range(32))
T0 = 1_700_000_010


@pytest.fixture
def core() -> Iterator[mfa_core.Core]:
    with mfa_core.Core.open(":memory:", KEY, manual_clock=T0) as handle:
        yield handle


@pytest.fixture
def org(core: mfa_core.Core) -> mfa_core.Org:
    return core.create_org("Acme")


def unix(core: mfa_core.Core) -> int:
    return int(core.now().timestamp())


def enroll(core: mfa_core.Core, user: str) -> tuple[str, mfa_core.RecoveryCodes]:
    """Enrolls ``user`` with the current code; returns its secret and recovery codes. The
    confirming step counts as used: advance 30 s before the next code."""
    secret = core.begin_enrollment(user).secret
    codes = core.confirm_enrollment(user, totp(secret, unix(core)))
    return secret, codes


def advance(core: mfa_core.Core, seconds: int) -> None:
    core.set_time(unix(core) + seconds)
