"""mfa_core quickstart: an org, two users, TOTP enrollment, a verification, and an admin's
reset of a user who lost their phone, with the audit trail checked at the end.

Run: python examples/python/quickstart.py (after `pip install ./bindings/python`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time

import mfa_core


def authenticator_code(secret: str, at: float) -> str:
    """What the user's authenticator app shows (RFC 6238: SHA-1, 6 digits, 30 s steps)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, (int(at) // 30).to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return f"{(int.from_bytes(mac[offset:offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"


def main() -> None:
    # The host keeps this 32-byte key somewhere safe (a KMS, a secrets manager): it encrypts
    # the TOTP secrets and keys the audit chain. ":memory:" keeps this demo self-contained;
    # pass a file path to keep the data.
    key = os.urandom(32)
    with mfa_core.Core.open(":memory:", key) as core:
        org = core.create_org("Acme", mfa_core.Policy(mfa_required=True))
        admin = core.create_user(org.id, "ann@acme.example", mfa_core.Role.ADMIN)
        bob = core.create_user(org.id, "bob@acme.example", mfa_core.Role.MEMBER)
        print("bob must enroll:", core.mfa_status(bob.id).state)

        # Bob scans the QR code of `enrollment.uri` and types the code his app shows.
        enrollment = core.begin_enrollment(bob.id)
        print("enrollment:", enrollment)  # the secret never appears in a repr
        recovery_codes = core.confirm_enrollment(bob.id, authenticator_code(enrollment.secret, time.time()))
        print("bob is", core.mfa_status(bob.id).state, "with", recovery_codes)

        # Later, Bob signs in with a recovery code (a TOTP code of the step just used would
        # be a replay).
        verification = core.verify(bob.id, recovery_codes[0])
        print("signed in with a", verification.method, "-", verification.recovery_codes_remaining, "left")

        # Bob loses his phone: the admin resets his MFA. He must enroll again within a day,
        # and sessions opened before the reset (an older credential_epoch) should end.
        receipt = core.reset_mfa(admin.id, bob.id, window=24 * 3600, reason="lost phone, ticket 4711")
        print("reset:", receipt.previous_state, "->", receipt.state, "until", receipt.deadline.isoformat())
        print("credential epoch is now", receipt.credential_epoch)

        # A member may not reset anyone else: every refusal is an MfaError with a stable code.
        try:
            core.reset_mfa(bob.id, admin.id)
        except mfa_core.Forbidden as err:
            print(f"refused ({err.code}, HTTP {err.http_status}): {err}")

        for event in core.audit_events(action="mfa.reset"):
            print(f"audit #{event.seq}: {event.action} {event.outcome} code={event.code} reason={event.reason}")
        report = core.verify_audit(core.audit_checkpoint())
        print(f"audit chain ok={report.ok}, {report.checked} events checked")
        if not report.ok:
            raise SystemExit("the audit chain is broken")


if __name__ == "__main__":
    main()
