# Hand-written stubs of the native module (checked against it by mypy.stubtest).
import datetime
import os
from typing import Iterable, Optional, Union, final

from typing_extensions import Self

from ._errors import MfaError
from ._types import (
    AuditEvent,
    AuditReport,
    Checkpoint,
    Durability,
    Enrollment,
    Id,
    MfaStatus,
    Org,
    Policy,
    RecoveryCodes,
    ResetOutcome,
    ResetReceipt,
    Role,
    Seconds,
    StoreInfo,
    Time,
    User,
    Verification,
)

__all__ = [
    "__version__",
    "Core",
    "ERROR_CODES",
    "AUDIT_ACTIONS",
    "RECOVERY_CODE_COUNT",
    "MAX_BULK_TARGETS",
    "MAX_AUDIT_PAGE",
    "MAX_REASON_CHARS",
    "MAX_WINDOW_SECONDS",
    "_error_for_code",
    "load_key",
]

__version__: str
ERROR_CODES: list[str]
AUDIT_ACTIONS: list[str]
RECOVERY_CODE_COUNT: int
MAX_BULK_TARGETS: int
MAX_AUDIT_PAGE: int
MAX_REASON_CHARS: int
MAX_WINDOW_SECONDS: int

def _error_for_code(code: str, message: str, retry_after: int = 0) -> MfaError: ...
def load_key(path: Union[str, os.PathLike[str]]) -> bytes:
    """The 32 key bytes from the key file at ``path`` (raw, or 64 hex digits)."""

@final
class Core:
    """An open mfa-core store; share one between threads, close it or use ``with``."""

    @classmethod
    def open(
        cls,
        path: Union[str, os.PathLike[str]],
        key: Union[bytes, bytearray],
        *,
        manual_clock: Optional[Time] = None,
        issuer: Optional[str] = None,
        create_if_missing: Optional[bool] = None,
        durability: Union[Durability, str, None] = None,
    ) -> Core: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *_exc: object) -> None: ...
    def info(self) -> StoreInfo: ...
    def now(self) -> datetime.datetime: ...
    def set_time(self, time: Time) -> None: ...
    def create_org(self, name: str, policy: Optional[Policy] = None) -> Org: ...
    def get_org(self, org: Id) -> Org: ...
    def list_orgs(self) -> list[Org]: ...
    def create_user(self, org: Id, email: str, role: Union[Role, str]) -> User: ...
    def get_user(self, user: Id) -> User: ...
    def find_user_by_email(self, org: Id, email: str) -> User: ...
    def list_users(self, org: Id) -> list[User]: ...
    def set_role(
        self, actor: Id, target: Id, role: Union[Role, str], *, actor_proof: Optional[str] = None
    ) -> User: ...
    def disable_user(self, actor: Id, target: Id, *, actor_proof: Optional[str] = None) -> User: ...
    def enable_user(self, actor: Id, target: Id) -> User: ...
    def update_policy(
        self,
        actor: Id,
        org: Id,
        *,
        mfa_required: Optional[bool] = None,
        enrollment_window: Optional[Seconds] = None,
        reset_limit_per_hour: Optional[int] = None,
        max_failed_verifications: Optional[int] = None,
        require_step_up: Optional[bool] = None,
        actor_proof: Optional[str] = None,
    ) -> Org: ...
    def delete_user(self, actor: Id, target: Id, *, actor_proof: Optional[str] = None) -> None: ...
    def rename_user(
        self, actor: Id, target: Id, new_email: str, *, actor_proof: Optional[str] = None
    ) -> User: ...
    def begin_enrollment(self, user: Id) -> Enrollment: ...
    def confirm_enrollment(self, user: Id, code: str) -> RecoveryCodes: ...
    def regenerate_recovery_codes(self, user: Id, proof: str) -> RecoveryCodes: ...
    def verify(self, user: Id, code: str) -> Verification: ...
    def mfa_status(self, user: Id) -> MfaStatus: ...
    def reset_mfa(
        self,
        actor: Id,
        target: Id,
        *,
        window: Optional[Seconds] = None,
        reason: Optional[str] = None,
        dry_run: bool = False,
        proof: Optional[str] = None,
        actor_proof: Optional[str] = None,
    ) -> ResetReceipt: ...
    def reset_mfa_many(
        self,
        actor: Id,
        targets: Iterable[Id],
        *,
        window: Optional[Seconds] = None,
        reason: Optional[str] = None,
        dry_run: bool = False,
        proof: Optional[str] = None,
        actor_proof: Optional[str] = None,
    ) -> list[ResetOutcome]: ...
    def audit_events(
        self,
        *,
        after_seq: Optional[int] = None,
        limit: Optional[int] = None,
        actor: Optional[Id] = None,
        target: Optional[Id] = None,
        action: Optional[str] = None,
    ) -> list[AuditEvent]: ...
    def backup(self, path: Union[str, os.PathLike[str]]) -> Checkpoint: ...
    def rotate_key(self, new_key: Union[bytes, bytearray]) -> Checkpoint: ...
    def audit_checkpoint(self) -> Checkpoint: ...
    def verify_audit(self, checkpoint: Optional[tuple[int, str]] = None) -> AuditReport: ...
