"""The exception tree: ``MfaError`` and one subclass per error code (docs/errors.md).

The native module picks the class for each error of the core by an exhaustive match and passes
the core's RFC 7807 problem details, from which every attribute here is read: the core stays
the one source of codes, statuses and messages. Messages never hold a secret.
"""

from __future__ import annotations

from typing import Any, Mapping, Tuple


class MfaError(Exception):
    """Any refusal or failure of mfa-core.

    ``code`` is the stable error code (``"forbidden"``, ...) for programs to branch on,
    ``http_status`` the status an HTTP host should answer with, ``message`` the detail.
    """

    code: str
    http_status: int
    message: str

    def __init__(self, message: str, *, problem: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.message = message
        self.code = str(problem["code"])
        self.http_status = int(problem["status"])
        self._problem = dict(problem)

    def __reduce__(self) -> Tuple[Any, ...]:
        # Pickle (multiprocessing, task queues) through the keyword-only constructor.
        return (_restore, (type(self), self.message, self._problem))

    def problem_details(self) -> dict[str, Any]:
        """RFC 7807 problem details: ``type`` (``urn:mfa-core:error:<code>``), ``title``,
        ``status``, ``detail``, ``code`` and, when rate limited, ``retry_after``. A new dict on
        every call, ready for ``json.dumps``."""
        return dict(self._problem)


def _restore(cls: type[MfaError], message: str, problem: Mapping[str, Any]) -> MfaError:
    return cls(message, problem=problem)


class InvalidInput(MfaError, ValueError):
    """Malformed id, bad option, NUL byte, wrong key length or key, closed handle (400). An
    argument of the wrong Python type is a ``TypeError`` instead, as in the standard library."""


class Unauthenticated(MfaError):
    """The actor is missing or disabled (401)."""


class Forbidden(MfaError, PermissionError):
    """The actor's role may not do this, or a required proof is missing or wrong (403)."""


class NotFound(MfaError, LookupError):
    """No such user or org, or not in the actor's org (404)."""


class MfaNotEnabled(MfaError):
    """Reset or verify of a user with nothing enrolled (400)."""


class Conflict(MfaError):
    """Duplicate email, already enrolled, no pending enrollment, last owner (409)."""


class InvalidCode(MfaError):
    """Wrong, expired or replayed code (401)."""


class RateLimited(MfaError):
    """Reset limit or failed-verification limit reached (429): retry after ``retry_after``
    seconds."""

    retry_after: int

    def __init__(self, message: str, *, problem: Mapping[str, Any]) -> None:
        super().__init__(message, problem=problem)
        self.retry_after = int(problem["retry_after"])


class Storage(MfaError):
    """SQLite busy past the timeout, I/O error, full disk, corrupt or newer file (503)."""


class Internal(MfaError):
    """A bug in mfa-core, including a caught panic (500)."""
