"""mfa_core: an embedded identity core for Python.

Keep users and roles, enroll and verify TOTP, and let an authorised actor reset another user's
MFA, on one SQLite file with a tamper-evident audit trail. Open a store with ``Core.open``
(``load_key(path)`` reads the key from a key file);
every operation is a method of ``Core`` and raises a subclass of ``MfaError`` on refusal (and
``TypeError`` for an argument of the wrong type). ``mfa_core.aio.Core`` is the same for asyncio.

    >>> import mfa_core
    >>> with mfa_core.Core.open(":memory:", bytes(32)) as core:
    ...     org = core.create_org("Acme")
    ...     core.create_user(org.id, "ann@acme.example", "owner").role
    <Role.OWNER: 'owner'>
"""

from ._errors import (
    Conflict,
    Forbidden,
    Internal,
    InvalidCode,
    InvalidInput,
    MfaError,
    MfaNotEnabled,
    NotFound,
    RateLimited,
    Storage,
    Unauthenticated,
)
from ._native import (
    __version__,
    AUDIT_ACTIONS,
    ERROR_CODES,
    MAX_AUDIT_PAGE,
    MAX_BULK_TARGETS,
    MAX_REASON_CHARS,
    MAX_WINDOW_SECONDS,
    RECOVERY_CODE_COUNT,
    Core,
    load_key,
)
from ._types import (
    AuditEvent,
    AuditReport,
    Checkpoint,
    Durability,
    Enrollment,
    Id,
    MfaState,
    MfaStatus,
    Org,
    Outcome,
    Policy,
    RecoveryCodes,
    ResetOutcome,
    ResetReceipt,
    Role,
    Seconds,
    StoreInfo,
    Time,
    User,
    UserCounts,
    UserStatus,
    Verification,
    VerifyMethod,
)

__all__ = [
    "__version__",
    "AUDIT_ACTIONS",
    "ERROR_CODES",
    "MAX_AUDIT_PAGE",
    "MAX_BULK_TARGETS",
    "MAX_REASON_CHARS",
    "MAX_WINDOW_SECONDS",
    "RECOVERY_CODE_COUNT",
    "AuditEvent",
    "AuditReport",
    "Checkpoint",
    "Conflict",
    "Core",
    "Durability",
    "Enrollment",
    "Forbidden",
    "Id",
    "Internal",
    "InvalidCode",
    "InvalidInput",
    "MfaError",
    "MfaNotEnabled",
    "MfaState",
    "MfaStatus",
    "NotFound",
    "Org",
    "Outcome",
    "Policy",
    "RateLimited",
    "RecoveryCodes",
    "ResetOutcome",
    "ResetReceipt",
    "Role",
    "Seconds",
    "StoreInfo",
    "Storage",
    "Time",
    "Unauthenticated",
    "User",
    "UserCounts",
    "UserStatus",
    "Verification",
    "VerifyMethod",
    "load_key",
]
