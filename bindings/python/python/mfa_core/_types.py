"""The values operations take and return: ``str`` enums and frozen dataclasses.

Times are aware UTC ``datetime``s and ids lowercase UUID strings. Nothing here holds a secret in
its ``repr``: ``Enrollment`` and ``RecoveryCodes`` redact theirs, so logging a result is safe.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import uuid
from enum import Enum
from typing import Any, Mapping, NamedTuple, Optional, Tuple, Union

from ._errors import MfaError

# Spelled with ``typing`` so that they also evaluate on Python 3.9.
#: An id as the operations accept it: a UUID string (any case) or a ``uuid.UUID``.
Id = Union[str, uuid.UUID]
#: A duration: whole seconds, or a ``timedelta`` of whole seconds.
Seconds = Union[int, _dt.timedelta]
#: A point in time: an aware ``datetime``, or Unix seconds.
Time = Union[int, _dt.datetime]


class _StrEnum(str, Enum):
    """An enum whose members are their documented strings: ``Role.OWNER == "owner"``."""

    def __str__(self) -> str:
        return str(self.value)


class Role(_StrEnum):
    """A user's role in its org: ``OWNER`` > ``ADMIN`` > ``MEMBER``."""

    MEMBER = "member"
    ADMIN = "admin"
    OWNER = "owner"


class UserStatus(_StrEnum):
    """Whether a user may act and sign in."""

    ACTIVE = "active"
    DISABLED = "disabled"


class MfaState(_StrEnum):
    """A user's MFA state (docs/concepts.md). ``LOCKED_OUT`` is derived from the clock."""

    NOT_ENROLLED = "not_enrolled"
    ENROLLMENT_REQUIRED = "enrollment_required"
    LOCKED_OUT = "locked_out"
    ENROLLED = "enrolled"


class VerifyMethod(_StrEnum):
    """How a verification was satisfied."""

    TOTP = "totp"
    RECOVERY_CODE = "recovery_code"


class Outcome(_StrEnum):
    """Outcome of an audited event."""

    SUCCESS = "success"
    DENIED = "denied"
    FAILURE = "failure"


@dataclasses.dataclass(frozen=True)
class Policy:
    """Org policy (docs/concepts.md); the defaults are the documented ones. ``enrollment_window``
    may be given as seconds or a ``timedelta`` and is read back as a ``timedelta`` (an ``int``
    too large for one is kept as given). The core checks the values when the org is created,
    so a ``Policy`` itself never raises."""

    mfa_required: bool = False
    enrollment_window: Seconds = _dt.timedelta(days=7)
    reset_limit_per_hour: int = 20
    max_failed_verifications: int = 5
    require_step_up: bool = False

    def __post_init__(self) -> None:
        window = self.enrollment_window
        if isinstance(window, int) and not isinstance(window, bool):
            try:
                object.__setattr__(self, "enrollment_window", _dt.timedelta(seconds=window))
            except OverflowError:
                pass  # Kept as given: the core refuses it (InvalidInput) where it is used.


@dataclasses.dataclass(frozen=True)
class Org:
    """A tenant."""

    id: str
    name: str
    policy: Policy
    created_at: _dt.datetime


@dataclasses.dataclass(frozen=True)
class User:
    """A user of an org (never any MFA secret)."""

    id: str
    org: str
    email: str
    role: Role
    status: UserStatus
    #: Increments on every MFA reset: end sessions opened under an older epoch.
    credential_epoch: int
    created_at: _dt.datetime


@dataclasses.dataclass(frozen=True)
class MfaStatus:
    """What ``mfa_status`` returns."""

    user: str
    state: MfaState
    #: Enrollment deadline, for ``ENROLLMENT_REQUIRED`` and ``LOCKED_OUT``.
    deadline: Optional[_dt.datetime]
    credential_epoch: int
    #: Unused recovery codes left (0 unless enrolled).
    recovery_codes_remaining: int


@dataclasses.dataclass(frozen=True)
class Enrollment:
    """A pending enrollment: show ``secret`` (base32, for manual entry) or ``uri`` (for a QR
    code) to the user once. Neither appears in ``repr``."""

    secret: str = dataclasses.field(repr=False)
    uri: str = dataclasses.field(repr=False)

    def __repr__(self) -> str:
        return "Enrollment(secret=<redacted>, uri=<redacted>)"


class RecoveryCodes(Tuple[str, ...]):
    """Ten single-use recovery codes, shown once: a tuple of ``str`` whose ``repr`` shows only
    how many there are."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"RecoveryCodes(<{len(self)} redacted>)"

    __str__ = __repr__


@dataclasses.dataclass(frozen=True)
class Verification:
    """A successful verification."""

    method: VerifyMethod
    recovery_codes_remaining: int


@dataclasses.dataclass(frozen=True)
class ResetReceipt:
    """What a reset did (or, for a dry run, would do)."""

    target: str
    previous_state: MfaState
    state: MfaState
    deadline: _dt.datetime
    credential_epoch: int
    #: The ``mfa.reset`` audit event; ``None`` for a dry run.
    audit_seq: Optional[int]
    dry_run: bool


@dataclasses.dataclass(frozen=True)
class ResetOutcome:
    """One target's outcome in ``reset_mfa_many``: its ``receipt``, or the ``error`` a single
    ``reset_mfa`` would have raised (never both)."""

    target: str
    receipt: Optional[ResetReceipt]
    error: Optional[MfaError]

    @property
    def ok(self) -> bool:
        """Whether this target was reset (or, in a dry run, would be)."""
        return self.error is None


@dataclasses.dataclass(frozen=True)
class AuditEvent:
    """One event of the audit trail. ``detail`` holds the action's facts (never a secret) as a
    plain ``dict`` of JSON values, this event's own copy (changing it changes nothing else);
    ``mac`` chains the event to the previous one.

    ``to_dict()`` gives the whole event as JSON data for ``json.dumps``, and ``from_dict``
    reads it back. ``dataclasses.asdict(event)`` also works, but keeps ``at`` a ``datetime``
    and ``outcome`` an ``Outcome``."""

    seq: int
    at: _dt.datetime
    actor: Optional[str]
    target: Optional[str]
    org: Optional[str]
    action: str
    outcome: Outcome
    code: Optional[str]
    reason: Optional[str]
    detail: dict[str, Any] = dataclasses.field(hash=False)
    mac: str

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON data, a new ``dict`` on every call: the fields by name, with ``at``
        an RFC 3339 string (``"2023-11-14T22:13:30+00:00"``), ``outcome`` its string and
        ``detail`` a deep copy. ``AuditEvent.from_dict(json.loads(json.dumps(d))) == event``."""
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "target": self.target,
            "org": self.org,
            "action": self.action,
            "outcome": self.outcome.value,
            "code": self.code,
            "reason": self.reason,
            "detail": copy.deepcopy(self.detail),
            "mac": self.mac,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditEvent:
        """The event ``to_dict`` gave (after a trip through JSON, say). Raises ``KeyError`` for
        a missing field and ``ValueError`` for a malformed time or outcome (a time without its
        UTC offset included: guessing its zone would move it by hours)."""
        at = _dt.datetime.fromisoformat(data["at"])
        if at.utcoffset() is None:
            raise ValueError(f"at must carry its UTC offset, got {data['at']!r}")
        return cls(
            seq=int(data["seq"]),
            at=at.astimezone(_dt.timezone.utc),
            actor=data["actor"],
            target=data["target"],
            org=data["org"],
            action=data["action"],
            outcome=Outcome(data["outcome"]),
            code=data["code"],
            reason=data["reason"],
            detail=copy.deepcopy(dict(data["detail"])),
            mac=data["mac"],
        )


class Checkpoint(NamedTuple):
    """The head of the audit chain, ``(seq, mac)``: store it where the database cannot
    rewrite it and pass it back to ``verify_audit``. A named tuple, so it unpacks (``seq, mac =
    core.audit_checkpoint()``), and ``verify_audit`` takes any ``(seq, mac)`` tuple back."""

    #: 0 when the trail is empty.
    seq: int
    #: Lowercase hex MAC of event ``seq`` (64 zeros when empty).
    mac: str


@dataclasses.dataclass(frozen=True)
class AuditReport:
    """What ``verify_audit`` found."""

    ok: bool
    #: Events whose MAC was checked and found good.
    checked: int
    #: The first seq that is missing, edited, reordered or inserted; ``None`` when ok.
    first_bad_seq: Optional[int]


class Durability(_StrEnum):
    """What a write that returned survives (the ``durability`` option of ``Core.open``)."""

    #: Every commit is flushed to disk before the call returns: survives an application crash
    #: and a power loss. The default.
    FULL = "full"
    #: Commits are flushed at checkpoints only: survives an application crash; a power loss or
    #: OS crash may undo the last commits. The store is never corrupted.
    NORMAL = "normal"


@dataclasses.dataclass(frozen=True)
class UserCounts:
    """Users counted by MFA state (``StoreInfo.users``); ``disabled`` counts disabled accounts,
    which are also counted under their state."""

    total: int
    not_enrolled: int
    enrollment_required: int
    locked_out: int
    enrolled: int
    disabled: int


@dataclasses.dataclass(frozen=True)
class StoreInfo:
    """What ``Core.info`` reports about the open store. Later versions may add fields."""

    schema_version: int
    #: The file as given to ``open``; ``None`` in memory and on PostgreSQL.
    path: Optional[str]
    #: The file's permission bits (``0o600`` for a store this library created); ``None`` in memory
    #: and on PostgreSQL.
    mode: Optional[int]
    #: Whether users other than the owner can read the store or its write-ahead log: warn, and
    #: ``chmod 600`` it.
    readable_by_others: bool
    #: The store file's size in bytes, without its write-ahead log; ``None`` in memory and on
    #: PostgreSQL.
    file_size: Optional[int]
    #: Whether the key check in the file still matches this handle's key.
    key_check_ok: bool
    orgs: int
    #: Users by MFA state at the handle's current time.
    users: UserCounts
    audit_events: int
    #: The head of the audit chain (seq 0 when empty): a checkpoint, not a secret.
    audit_head: Checkpoint
    #: The engine holding the store: ``"sqlite"`` (a file, or memory) or ``"postgresql"``
    #: (``path`` is then ``None``).
    engine: str
