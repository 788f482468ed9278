"""An authenticator app in a few lines (RFC 6238: SHA-1, 6 digits, 30 s), written from the RFC
rather than taken from mfa_core, so that the tests check the module against an independent
implementation."""

from __future__ import annotations

import base64
import hashlib
import hmac

PERIOD = 30


def totp(secret_b32: str, at: int, offset: int = 0) -> str:
    """The code of the base32 ``secret`` for the step ``offset`` steps after the one holding
    Unix time ``at``."""
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    step = at // PERIOD + offset
    mac = hmac.new(key, step.to_bytes(8, "big"), hashlib.sha1).digest()
    start = mac[-1] & 0x0F
    number = int.from_bytes(mac[start : start + 4], "big") & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def wrong_totp(secret_b32: str, at: int) -> str:
    """A six-digit code accepted for none of steps t-1, t, t+1: from (code at t + 1) mod 10^6
    upwards, the first that differs from all three (tests/scenarios/README.md)."""
    valid = {totp(secret_b32, at, k) for k in (-1, 0, 1)}
    candidate = (int(totp(secret_b32, at)) + 1) % 1_000_000
    while f"{candidate:06d}" in valid:
        candidate = (candidate + 1) % 1_000_000
    return f"{candidate:06d}"
