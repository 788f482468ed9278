"""``mfa_core.aio``: every operation as a coroutine, run on the handle's own threads so that the
event loop (and its default executor) keeps running while a call waits on fsync or on another
process's write lock. Each test drives its own loop with ``asyncio.run``."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import inspect
import sys
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

import mfa_core
from authenticator import totp
from conftest import KEY, T0
from mfa_core import aio

#: Holds the store's write lock (SQLite's RESERVED lock, as any writer takes it) until it reads
#: a line, as another process's long write would.
HOLDER = textwrap.dedent(
    """
    import sqlite3, sys
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    sys.stdin.readline()
    db.execute("ROLLBACK")
    """
)


@asynccontextmanager
async def write_lock_held(path: Path) -> AsyncIterator[Any]:
    """Another process holds the write lock of ``path`` inside the block; the yielded function
    releases it."""
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, str(path),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert holder.stdin is not None and holder.stdout is not None
    assert await holder.stdout.readline() == b"locked\n"
    stdin = holder.stdin

    async def release() -> None:
        if not stdin.is_closing():
            stdin.write(b"release\n")
            await stdin.drain()
            stdin.close()

    try:
        yield release
    finally:
        await release()
        assert await holder.wait() == 0


async def team(core: aio.Core, members: int, policy: mfa_core.Policy | None = None) -> tuple[str, list[str], list[str]]:
    """An org with an owner and ``members`` enrolled members, made by concurrent calls; returns
    the owner's id, the members' ids and their secrets."""
    org = await core.create_org("Acme", policy or mfa_core.Policy(reset_limit_per_hour=1000))
    owner = await core.create_user(org.id, "olga@acme.test", "owner")
    users = await asyncio.gather(*(core.create_user(org.id, f"u{i}@acme.test", "member") for i in range(members)))
    enrollments = await asyncio.gather(*(core.begin_enrollment(u.id) for u in users))
    now = int((await core.now()).timestamp())
    await asyncio.gather(*(core.confirm_enrollment(u.id, totp(e.secret, now)) for u, e in zip(users, enrollments)))
    return owner.id, [u.id for u in users], [e.secret for e in enrollments]


def test_every_operation_is_a_coroutine_with_the_same_parameters() -> None:
    names = {n for n in dir(mfa_core.Core) if not n.startswith("_")} - {"open", "close", "closed"}
    for name in names:
        method = getattr(aio.Core, name)
        assert inspect.iscoroutinefunction(method), name
        native = [p for p in inspect.signature(getattr(mfa_core.Core, name)).parameters if p != "self"]
        assert [p for p in inspect.signature(method).parameters if p != "self"] == native, name
    assert inspect.iscoroutinefunction(aio.Core.close)
    opened = list(inspect.signature(aio.Core.open).parameters)
    assert opened == [*inspect.signature(mfa_core.Core.open).parameters, "workers"]


def test_open_with_async_with_and_with_await(tmp_path: Path) -> None:
    async def main() -> None:
        async with aio.Core.open(tmp_path / "mfa.db", KEY, manual_clock=T0) as core:
            assert repr(core) == "<mfa_core.aio.Core open>" and not core.closed
            owner, (bob,), (secret,) = await team(core, 1)
            await core.set_time(T0 + 30)
            verification = await core.verify(bob, totp(secret, T0 + 30))
            assert verification.method is mfa_core.VerifyMethod.TOTP
            receipt = await core.reset_mfa(owner, bob, reason="lost phone")
            assert receipt.state is mfa_core.MfaState.ENROLLMENT_REQUIRED and receipt.credential_epoch == 1
            assert (await core.verify_audit(await core.audit_checkpoint())).ok
        assert core.closed and repr(core) == "<mfa_core.aio.Core closed>"
        with pytest.raises(mfa_core.InvalidInput, match="closed"):
            await core.get_user(bob)
        await core.close()  # twice is fine

        again = await aio.Core.open(str(tmp_path / "mfa.db"), bytearray(KEY))
        assert [e.action for e in await again.audit_events(action="mfa.reset")] == ["mfa.reset"]
        assert (await again.get_user(bob)).credential_epoch == 1
        await again.close()
        assert again.closed and again.sync.closed

    asyncio.run(main())


def test_errors_arrive_when_the_call_is_awaited() -> None:
    async def main() -> None:
        with pytest.raises(mfa_core.InvalidInput, match="32 bytes"):
            await aio.Core.open(":memory:", bytes(31))
        with pytest.raises(TypeError, match="^key must be"):
            async with aio.Core.open(":memory:", "k" * 32):  # type: ignore[arg-type]
                pass
        async with aio.Core.open(":memory:", KEY, manual_clock=T0) as core:
            owner, (bob,), _ = await team(core, 1)
            with pytest.raises(TypeError, match="^code must be str, not int$"):
                await core.verify(bob, 123456)  # type: ignore[arg-type]
            with pytest.raises(mfa_core.Forbidden) as caught:
                await core.reset_mfa(bob, owner)
            assert caught.value.http_status == 403
            with pytest.raises(mfa_core.InvalidInput):
                await core.audit_events(limit=0)
            with pytest.raises(TypeError, match="^targets must be"):
                await core.reset_mfa_many(owner, "not a list")  # type: ignore[arg-type]
            outcomes = await core.reset_mfa_many(owner, (t for t in [bob, "nope"]), dry_run=True)
            assert [o.ok for o in outcomes] == [True, False]

    asyncio.run(main())


def test_wrapping_an_open_handle_and_the_number_of_workers() -> None:
    async def main() -> None:
        with mfa_core.Core.open(":memory:", KEY) as sync:
            core = aio.Core(sync, workers=2)
            assert core.sync is sync
            org = await core.create_org("Acme")
            assert sync.get_org(org.id) == org
            await core.close()
            assert sync.closed
        with pytest.raises(TypeError, match="^core must be mfa_core.Core"):
            aio.Core("handle")  # type: ignore[arg-type]
        with pytest.raises(mfa_core.InvalidInput, match="workers must be at least 1"):
            await aio.Core.open(":memory:", KEY, workers=0)
        with pytest.raises(TypeError, match="^workers must be int"):
            await aio.Core.open(":memory:", KEY, workers=2.0)  # type: ignore[arg-type]

    asyncio.run(main())


def test_fifty_concurrent_resets_and_fifty_concurrent_verifies_on_one_handle(tmp_path: Path) -> None:
    async def main() -> None:
        async with aio.Core.open(tmp_path / "mfa.db", KEY, manual_clock=T0) as core:
            owner, users, secrets = await team(core, 100)
            start = (await core.audit_checkpoint()).seq
            await core.set_time(T0 + 30)
            resets = [core.reset_mfa(owner, user, reason=f"ticket {i}") for i, user in enumerate(users[:50])]
            verifies = [core.verify(user, totp(s, T0 + 30)) for user, s in zip(users[50:], secrets[50:])]
            results = await asyncio.gather(*resets, *verifies)
            receipts, verifications = results[:50], results[50:]
            assert all(isinstance(r, mfa_core.ResetReceipt) and r.credential_epoch == 1 for r in receipts)
            assert sorted(r.audit_seq for r in receipts) == sorted(set(r.audit_seq for r in receipts))  # type: ignore[union-attr]
            assert all(v.method is mfa_core.VerifyMethod.TOTP for v in verifications)  # type: ignore[union-attr]
            report = await core.verify_audit()
            assert report.ok and report.checked == start + 100
            assert len(await core.audit_events(after_seq=start, action="mfa.reset")) == 50
            assert len(await core.audit_events(after_seq=start, action="mfa.verify")) == 50

    asyncio.run(main())


def test_the_loop_and_its_default_executor_run_while_calls_wait_for_another_process(tmp_path: Path) -> None:
    """Six resets wait for another process's write lock. Meanwhile a ticker keeps ticking, a
    read on the same handle completes, and ``asyncio.to_thread`` runs on a default executor of
    two threads, which the waiting calls would fill if they ran there."""
    path = tmp_path / "mfa.db"

    async def main() -> None:
        asyncio.get_running_loop().set_default_executor(concurrent.futures.ThreadPoolExecutor(2))
        async with aio.Core.open(path, KEY, manual_clock=T0) as core:
            owner, users, _ = await team(core, 6)
            async with write_lock_held(path) as release:
                resets = [asyncio.create_task(core.reset_mfa(owner, user)) for user in users]
                ticks = 0
                while ticks < 20:
                    await asyncio.sleep(0.01)
                    ticks += 1
                assert (await core.get_user(users[0])).credential_epoch == 0
                assert await asyncio.to_thread(sum, [1, 2, 3]) == 6
                assert not any(r.done() for r in resets), "a write went through the other process's lock"
                await release()
                receipts = await asyncio.gather(*resets)
            assert [r.credential_epoch for r in receipts] == [1] * 6
            assert (await core.verify_audit()).ok

    asyncio.run(main())


def test_a_call_cancelled_before_it_starts_never_runs_and_close_waits_for_calls_made(tmp_path: Path) -> None:
    """With one worker, a reset waits for another process's lock; a second, queued behind it,
    is cancelled and never runs. ``close`` waits for the first to finish."""
    path = tmp_path / "mfa.db"

    async def main() -> None:
        async with aio.Core.open(path, KEY, manual_clock=T0, workers=1) as core:
            owner, (ann, bob), _ = await team(core, 2)
            async with write_lock_held(path) as release:
                first = asyncio.create_task(core.reset_mfa(owner, ann))
                second = asyncio.create_task(core.reset_mfa(owner, bob))
                await asyncio.sleep(0.05)
                second.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await second
                closing = asyncio.create_task(core.close())
                await asyncio.sleep(0.05)
                assert not closing.done() and not first.done()
                await release()
                await closing
                assert core.closed and first.done() and first.result().credential_epoch == 1
        with mfa_core.Core.open(path, KEY) as sync:
            assert [sync.get_user(u).credential_epoch for u in (ann, bob)] == [1, 0]
            assert [e.target for e in sync.audit_events(action="mfa.reset")] == [ann]

    asyncio.run(main())

