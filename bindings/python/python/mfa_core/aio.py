"""mfa-core for asyncio: ``mfa_core.aio.Core`` has every method of ``mfa_core.Core`` as a
coroutine, for ASGI hosts and other event-loop programs.

    >>> import asyncio
    >>> from mfa_core import aio
    >>> async def main() -> str:
    ...     async with aio.Core.open(":memory:", bytes(32)) as core:
    ...         org = await core.create_org("Acme")
    ...         return (await core.create_user(org.id, "ann@acme.example", "owner")).role
    >>> asyncio.run(main())
    <Role.OWNER: 'owner'>

Each call runs on the handle's own worker threads, never on the event loop: a write waits on
fsync, and may wait up to the busy timeout for another process's write lock, and the loop
keeps serving other tasks meanwhile. The threads are the handle's, not the loop's default
executor, so calls stuck behind a lock never starve ``asyncio.to_thread`` or DNS lookups of
the rest of the program. The native calls release the GIL while they work, so concurrent calls
on one handle overlap and share commits as threads do.

Arguments, results and errors are those of ``mfa_core.Core``: a wrong type raises
``TypeError``, a refusal an ``MfaError`` subclass, when the call is awaited. Cancelling the
awaiting task cancels a call that has not started yet; one already running completes (its
effects, audit event included, stand) and only its result is dropped.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import os
from collections.abc import Iterable
from typing import Any, Callable, Coroutine, Generator, Optional, TypeVar, Union

from . import _native
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

__all__ = ["DEFAULT_WORKERS", "Core", "Opening", "load_key"]

#: ``mfa_core.load_key``, here too so that asyncio code needs one import. It stays a plain
#: function: it reads a file of a few dozen bytes once at startup, before the loop serves anyone.
load_key = _native.load_key

_T = TypeVar("_T")

#: Worker threads per handle unless ``open`` is told otherwise: enough for concurrent writes
#: to share commits, and for reads to go on while writes wait.
DEFAULT_WORKERS = 8


class Core:
    """An open mfa-core store for asyncio code. Get one with ``await Core.open(...)`` or
    ``async with Core.open(...) as core``, or wrap a handle already open with ``Core(handle)``;
    close it with ``await core.close()`` (or let ``async with`` do it).

    Share one handle between the tasks of an event loop; its calls run concurrently on its
    ``workers`` threads, and further calls queue for a free thread."""

    __slots__ = ("_core", "_executor", "_pending")

    def __init__(self, core: _native.Core, *, workers: int = DEFAULT_WORKERS) -> None:
        """Wraps ``core``, an open ``mfa_core.Core``; ``close()`` closes it."""
        if not isinstance(core, _native.Core):
            raise TypeError(f"core must be mfa_core.Core, not {type(core).__name__}")
        self._core = core
        self._executor: Optional[concurrent.futures.ThreadPoolExecutor] = _executor(workers)
        self._pending: set[concurrent.futures.Future[Any]] = set()

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
        workers: int = DEFAULT_WORKERS,
    ) -> Opening:
        """Opens (or creates) the store at ``path`` (``str`` or ``os.PathLike[str]``; a
        ``postgresql://`` URL names a PostgreSQL database) with the host's 32-byte ``key``, as ``mfa_core.Core.open`` does, on the new handle's own thread.
        Await the result for the handle, or use it with ``async with`` to close the handle when
        the block ends. ``workers`` is the number of threads the handle runs calls on."""

        async def opening() -> Core:
            executor = _executor(workers)
            try:
                future = executor.submit(
                    _native.Core.open, path, key,
                    manual_clock=manual_clock, issuer=issuer, create_if_missing=create_if_missing,
                    durability=durability,
                )  # fmt: skip
                core = await asyncio.wrap_future(future)
            except BaseException:
                executor.shutdown(wait=False)
                raise
            handle = cls.__new__(cls)
            handle._core, handle._executor, handle._pending = core, executor, set()
            return handle

        return Opening(opening)

    @property
    def sync(self) -> _native.Core:
        """The ``mfa_core.Core`` this handle runs its calls on, for code that is not async
        (a call on it blocks the calling thread)."""
        return self._core

    @property
    def closed(self) -> bool:
        """Whether ``close`` has been called (here or on ``sync``)."""
        return self._core.closed

    async def close(self) -> None:
        """Closes the handle once the calls already made have finished; later calls raise
        ``InvalidInput``. Closing twice does nothing."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        if self._pending:
            await asyncio.wait([asyncio.wrap_future(f) for f in list(self._pending)])
        try:
            await asyncio.wrap_future(executor.submit(self._core.close))
        finally:
            executor.shutdown(wait=False)

    async def __aenter__(self) -> Core:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        """Closes the handle; an exception raised in the block goes on."""
        await self.close()

    def __repr__(self) -> str:
        return f"<mfa_core.aio.Core {'closed' if self.closed else 'open'}>"

    async def _run(self, call: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """Runs ``call`` on a worker thread and waits for it without blocking the loop."""
        executor = self._executor
        if executor is not None:
            try:
                future = executor.submit(call, *args, **kwargs)
            except RuntimeError:  # shut down by a close from another thread
                pass
            else:
                self._pending.add(future)
                future.add_done_callback(self._pending.discard)
                return await asyncio.wrap_future(future)
        # Closed: the handle checks the arguments and raises InvalidInput without any I/O.
        return call(*args, **kwargs)

    async def backup(self, path: Union[str, os.PathLike[str]]) -> Checkpoint:
        """See ``mfa_core.Core.backup``."""
        return await self._run(self._core.backup, path)

    async def rotate_key(self, new_key: Union[bytes, bytearray]) -> Checkpoint:
        """See ``mfa_core.Core.rotate_key``."""
        return await self._run(self._core.rotate_key, new_key)

    async def info(self) -> StoreInfo:
        """See ``mfa_core.Core.info``."""
        return await self._run(self._core.info)

    # ---- clock ----

    async def now(self) -> datetime.datetime:
        """The handle's current time (no I/O: answered on the loop)."""
        return self._core.now()

    async def set_time(self, time: Time) -> None:
        """Moves a manual clock (an aware ``datetime`` or Unix seconds)."""
        return await self._run(self._core.set_time, time)

    # ---- directory ----

    async def create_org(self, name: str, policy: Optional[Policy] = None) -> Org:
        """See ``mfa_core.Core.create_org``."""
        return await self._run(self._core.create_org, name, policy)

    async def get_org(self, org: Id) -> Org:
        """See ``mfa_core.Core.get_org``."""
        return await self._run(self._core.get_org, org)

    async def list_orgs(self) -> list[Org]:
        """See ``mfa_core.Core.list_orgs``."""
        return await self._run(self._core.list_orgs)

    async def create_user(self, org: Id, email: str, role: Union[Role, str]) -> User:
        """See ``mfa_core.Core.create_user``."""
        return await self._run(self._core.create_user, org, email, role)

    async def get_user(self, user: Id) -> User:
        """See ``mfa_core.Core.get_user``."""
        return await self._run(self._core.get_user, user)

    async def find_user_by_email(self, org: Id, email: str) -> User:
        """See ``mfa_core.Core.find_user_by_email``."""
        return await self._run(self._core.find_user_by_email, org, email)

    async def list_users(self, org: Id) -> list[User]:
        """See ``mfa_core.Core.list_users``."""
        return await self._run(self._core.list_users, org)

    async def set_role(
        self, actor: Id, target: Id, role: Union[Role, str], *, actor_proof: Optional[str] = None
    ) -> User:
        """See ``mfa_core.Core.set_role``."""
        return await self._run(self._core.set_role, actor, target, role, actor_proof=actor_proof)

    async def disable_user(self, actor: Id, target: Id, *, actor_proof: Optional[str] = None) -> User:
        """See ``mfa_core.Core.disable_user``."""
        return await self._run(self._core.disable_user, actor, target, actor_proof=actor_proof)

    async def enable_user(self, actor: Id, target: Id) -> User:
        """See ``mfa_core.Core.enable_user``."""
        return await self._run(self._core.enable_user, actor, target)

    async def update_policy(
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
    ) -> Org:
        """See ``mfa_core.Core.update_policy``."""
        return await self._run(
            self._core.update_policy,
            actor,
            org,
            mfa_required=mfa_required,
            enrollment_window=enrollment_window,
            reset_limit_per_hour=reset_limit_per_hour,
            max_failed_verifications=max_failed_verifications,
            require_step_up=require_step_up,
            actor_proof=actor_proof,
        )

    async def delete_user(self, actor: Id, target: Id, *, actor_proof: Optional[str] = None) -> None:
        """See ``mfa_core.Core.delete_user``."""
        await self._run(self._core.delete_user, actor, target, actor_proof=actor_proof)

    async def rename_user(
        self, actor: Id, target: Id, new_email: str, *, actor_proof: Optional[str] = None
    ) -> User:
        """See ``mfa_core.Core.rename_user``."""
        return await self._run(self._core.rename_user, actor, target, new_email, actor_proof=actor_proof)

    # ---- enrollment and verification ----

    async def begin_enrollment(self, user: Id) -> Enrollment:
        """See ``mfa_core.Core.begin_enrollment``."""
        return await self._run(self._core.begin_enrollment, user)

    async def confirm_enrollment(self, user: Id, code: str) -> RecoveryCodes:
        """See ``mfa_core.Core.confirm_enrollment``."""
        return await self._run(self._core.confirm_enrollment, user, code)

    async def regenerate_recovery_codes(self, user: Id, proof: str) -> RecoveryCodes:
        """See ``mfa_core.Core.regenerate_recovery_codes``."""
        return await self._run(self._core.regenerate_recovery_codes, user, proof)

    async def verify(self, user: Id, code: str) -> Verification:
        """See ``mfa_core.Core.verify``."""
        return await self._run(self._core.verify, user, code)

    async def mfa_status(self, user: Id) -> MfaStatus:
        """See ``mfa_core.Core.mfa_status``."""
        return await self._run(self._core.mfa_status, user)

    # ---- reset ----

    async def reset_mfa(
        self,
        actor: Id,
        target: Id,
        *,
        window: Optional[Seconds] = None,
        reason: Optional[str] = None,
        dry_run: bool = False,
        proof: Optional[str] = None,
        actor_proof: Optional[str] = None,
    ) -> ResetReceipt:
        """See ``mfa_core.Core.reset_mfa``."""
        return await self._run(
            self._core.reset_mfa, actor, target,
            window=window, reason=reason, dry_run=dry_run, proof=proof, actor_proof=actor_proof,
        )  # fmt: skip

    async def reset_mfa_many(
        self,
        actor: Id,
        targets: Iterable[Id],
        *,
        window: Optional[Seconds] = None,
        reason: Optional[str] = None,
        dry_run: bool = False,
        proof: Optional[str] = None,
        actor_proof: Optional[str] = None,
    ) -> list[ResetOutcome]:
        """See ``mfa_core.Core.reset_mfa_many``. An iterator of targets is read on the loop,
        before the call goes to its thread."""
        if isinstance(targets, Iterable) and not isinstance(targets, (str, bytes)):
            targets = list(targets)
        return await self._run(
            self._core.reset_mfa_many, actor, targets,
            window=window, reason=reason, dry_run=dry_run, proof=proof, actor_proof=actor_proof,
        )  # fmt: skip

    # ---- audit ----

    async def audit_events(
        self,
        *,
        after_seq: Optional[int] = None,
        limit: Optional[int] = None,
        actor: Optional[Id] = None,
        target: Optional[Id] = None,
        action: Optional[str] = None,
    ) -> list[AuditEvent]:
        """See ``mfa_core.Core.audit_events``."""
        return await self._run(
            self._core.audit_events,
            after_seq=after_seq, limit=limit, actor=actor, target=target, action=action,
        )  # fmt: skip

    async def audit_checkpoint(self) -> Checkpoint:
        """See ``mfa_core.Core.audit_checkpoint``."""
        return await self._run(self._core.audit_checkpoint)

    async def verify_audit(self, checkpoint: Optional[tuple[int, str]] = None) -> AuditReport:
        """See ``mfa_core.Core.verify_audit``."""
        return await self._run(self._core.verify_audit, checkpoint)


class Opening:
    """What ``Core.open`` returns: ``await`` it for the handle, or use it in ``async with`` to
    have the handle closed when the block ends."""

    __slots__ = ("_open", "_core")

    def __init__(self, open_: Callable[[], Coroutine[Any, Any, Core]]) -> None:
        self._open = open_
        self._core: Optional[Core] = None

    def __await__(self) -> Generator[Any, None, Core]:
        core: Core = yield from self._open().__await__()
        return core

    async def __aenter__(self) -> Core:
        self._core = await self
        return self._core

    async def __aexit__(self, *_exc: object) -> None:
        if self._core is not None:
            await self._core.close()


def _executor(workers: int) -> concurrent.futures.ThreadPoolExecutor:
    """The worker threads of one handle."""
    if not isinstance(workers, int) or isinstance(workers, bool):
        raise TypeError(f"workers must be int, not {type(workers).__name__}")
    if workers < 1:
        raise _native._error_for_code("invalid_input", f"workers must be at least 1, got {workers}")
    return concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="mfa_core.aio")
