"""Core.open, the clock, the context manager and close (docs/storage.md)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

import mfa_core
from conftest import KEY, T0

UTC = dt.timezone.utc


def test_open_a_file_and_reopen_it_with_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / "mfa.db"
    with mfa_core.Core.open(path, KEY) as core:
        org = core.create_org("Acme")
    with mfa_core.Core.open(str(path), bytearray(KEY)) as core:
        assert core.get_org(org.id) == org


def test_another_key_is_refused_before_anything_changes(tmp_path: Path) -> None:
    path = tmp_path / "mfa.db"
    with mfa_core.Core.open(path, KEY) as core:
        core.create_org("Acme")
    before = path.read_bytes()
    with pytest.raises(mfa_core.InvalidInput, match="key"):
        mfa_core.Core.open(path, bytes(32))
    assert path.read_bytes() == before


@pytest.mark.parametrize("key", [b"", bytes(31), bytes(33), bytes(64)])
def test_keys_must_be_32_bytes(key: bytes) -> None:
    with pytest.raises(mfa_core.InvalidInput, match="32 bytes"):
        mfa_core.Core.open(":memory:", key)


@pytest.mark.parametrize("key", [None, "k" * 32, list(range(32)), 7, memoryview(KEY)])
def test_keys_must_be_bytes(key: object) -> None:
    with pytest.raises(TypeError, match="^key must be bytes or bytearray"):
        mfa_core.Core.open(":memory:", key)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["", "a\0b"])
def test_bad_paths_are_invalid_input(path: str) -> None:
    with pytest.raises(mfa_core.InvalidInput):
        mfa_core.Core.open(path, KEY)


@pytest.mark.parametrize("path", [None, b"/tmp/x.db", 3])
def test_paths_of_the_wrong_type_are_type_errors(path: object) -> None:
    with pytest.raises(TypeError, match="^path must be str or os.PathLike"):
        mfa_core.Core.open(path, KEY)  # type: ignore[arg-type]


def test_a_file_that_is_not_sqlite_is_a_storage_error_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"not a database, just some text " * 200)
    before = path.read_bytes()
    with pytest.raises(mfa_core.Storage) as caught:
        mfa_core.Core.open(path, KEY)
    assert caught.value.code == "storage" and caught.value.http_status == 503
    assert path.read_bytes() == before


def test_the_manual_clock_accepts_ints_and_aware_datetimes() -> None:
    start = dt.datetime.fromtimestamp(T0, UTC)
    with mfa_core.Core.open(":memory:", KEY, manual_clock=start) as core:
        assert core.now() == start and core.now().tzinfo is not None
        core.set_time(T0 + 60)
        assert core.now() == start + dt.timedelta(seconds=60)
        plus_two = dt.timezone(dt.timedelta(hours=2))
        core.set_time(dt.datetime(2030, 1, 1, 2, 0, tzinfo=plus_two))
        assert core.now() == dt.datetime(2030, 1, 1, tzinfo=UTC)
        assert core.now().utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    "time",
    [dt.datetime(2030, 1, 1), -1, 10**12, 10**40],
    ids=["naive", "before-1970", "year-33658", "huge"],
)
def test_bad_times_are_invalid_input(core: mfa_core.Core, time: mfa_core.Time) -> None:
    with pytest.raises(mfa_core.InvalidInput):
        core.set_time(time)
    assert int(core.now().timestamp()) == T0


@pytest.mark.parametrize("time", [1.5, "1700000000", None, True], ids=["float", "str", "none", "bool"])
def test_times_of_the_wrong_type_are_type_errors(core: mfa_core.Core, time: object) -> None:
    with pytest.raises(TypeError, match="^time must be datetime.datetime"):
        core.set_time(time)  # type: ignore[arg-type]
    assert int(core.now().timestamp()) == T0


def test_set_time_needs_a_manual_clock() -> None:
    with mfa_core.Core.open(":memory:", KEY) as core:
        with pytest.raises(mfa_core.InvalidInput, match="manual clock"):
            core.set_time(T0)
        assert abs(core.now() - dt.datetime.now(UTC)) < dt.timedelta(minutes=1)


def test_issuer_names_the_otpauth_uri(org: mfa_core.Org) -> None:
    with mfa_core.Core.open(":memory:", KEY, issuer="Example SSO") as core:
        org = core.create_org("Acme")
        user = core.create_user(org.id, "ann@acme.test", "owner")
        assert core.begin_enrollment(user.id).uri.startswith("otpauth://totp/Example%20SSO:ann%40acme.test?")
    with pytest.raises(mfa_core.InvalidInput, match="issuer"):
        mfa_core.Core.open(":memory:", KEY, issuer="a:b")
    with pytest.raises(TypeError, match="^issuer must be str, not bytes$"):
        mfa_core.Core.open(":memory:", KEY, issuer=b"x")  # type: ignore[arg-type]


def test_close_and_the_context_manager() -> None:
    core = mfa_core.Core.open(":memory:", KEY)
    assert not core.closed and repr(core) == "<mfa_core.Core open>"
    with core as entered:
        assert entered is core
    assert core.closed and repr(core) == "<mfa_core.Core closed>"
    core.close()  # twice is fine
    with pytest.raises(mfa_core.InvalidInput, match="closed"):
        core.list_orgs()


def test_the_context_manager_closes_on_error_and_lets_it_through() -> None:
    with pytest.raises(KeyError):
        with mfa_core.Core.open(":memory:", KEY) as core:
            raise KeyError("boom")
    assert core.closed


def test_pathlike_objects_are_accepted(tmp_path: Path) -> None:
    class Where(os.PathLike[str]):
        def __fspath__(self) -> str:
            return str(tmp_path / "custom.db")

    with mfa_core.Core.open(Where(), KEY) as core:
        core.create_org("Acme")
    assert (tmp_path / "custom.db").exists()


def test_the_latest_clock_still_gives_datetimes_for_every_derived_time(core: mfa_core.Core) -> None:
    latest = dt.datetime(9998, 12, 31, 23, 59, 59, tzinfo=UTC)
    core.set_time(latest)
    with pytest.raises(mfa_core.InvalidInput, match="9998-12-31"):
        core.set_time(int(latest.timestamp()) + 1)
    longest = mfa_core.Policy(mfa_required=True, enrollment_window=mfa_core.MAX_WINDOW_SECONDS)
    org = core.create_org("Acme", longest)
    olga = core.create_user(org.id, "olga@acme.test", "owner")
    bob = core.create_user(org.id, "bob@acme.test", "member")
    assert core.mfa_status(bob.id).deadline == latest + dt.timedelta(days=365)
    receipt = core.reset_mfa(olga.id, bob.id, window=mfa_core.MAX_WINDOW_SECONDS)
    assert receipt.deadline == dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_a_new_store_is_owner_only_and_info_describes_it(tmp_path: Path) -> None:
    path = tmp_path / "mfa.db"
    old = os.umask(0)
    try:
        core = mfa_core.Core.open(path, KEY)
    finally:
        os.umask(old)
    with core:
        core.create_org("Acme")
        info = core.info()
        assert isinstance(info, mfa_core.StoreInfo)
        assert info.path == str(path) and info.engine == "sqlite"
        assert info.mode == 0o600 and not info.readable_by_others
        assert info.schema_version >= 1
        for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            assert name.stat().st_mode & 0o777 == 0o600, name
    path.chmod(0o644)
    with mfa_core.Core.open(path, KEY) as core:
        assert core.info().readable_by_others
    with mfa_core.Core.open(":memory:", KEY) as core:
        info = core.info()
        assert (info.path, info.mode, info.readable_by_others, info.engine) == (None, None, False, "sqlite")


def test_an_empty_file_is_refused_and_creation_can_be_turned_off(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with pytest.raises(mfa_core.Storage, match="empty") as caught:
        mfa_core.Core.open(empty, KEY)
    assert empty.read_bytes() == b""
    # The message names the file (for logs); the problem details for HTTP clients do not.
    assert str(empty) in caught.value.message
    assert str(tmp_path) not in str(caught.value.problem_details())
    assert caught.value.problem_details()["code"] == "storage"

    missing = tmp_path / "missing.db"
    with pytest.raises(mfa_core.Storage, match="no store"):
        mfa_core.Core.open(missing, KEY, create_if_missing=False)
    assert not missing.exists()
    with pytest.raises(TypeError, match="^create_if_missing must be bool, not int$"):
        mfa_core.Core.open(missing, KEY, create_if_missing=1)  # type: ignore[arg-type]
    assert not missing.exists()


@pytest.mark.parametrize("durability", ["full", "normal", mfa_core.Durability.NORMAL])
def test_durability_is_an_option(tmp_path: Path, durability: str) -> None:
    path = tmp_path / "mfa.db"
    with mfa_core.Core.open(path, KEY, durability=durability) as core:
        org = core.create_org("Acme")
    with mfa_core.Core.open(path, KEY, create_if_missing=False) as core:
        assert core.get_org(org.id) == org


def test_an_unknown_durability_is_invalid_input() -> None:
    with pytest.raises(mfa_core.InvalidInput, match="durability"):
        mfa_core.Core.open(":memory:", KEY, durability="fast")
