"""load_key: the key file format every surface reads (raw 32 bytes or 64 hex digits)."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest

import mfa_core
from conftest import KEY
from mfa_core import aio


def key_file(path: Path, contents: bytes, mode: int = 0o600) -> Path:
    path.write_bytes(contents)
    path.chmod(mode)
    return path


def test_raw_and_hex_files_give_the_same_key_and_open_the_same_store(tmp_path: Path) -> None:
    raw = key_file(tmp_path / "raw.key", KEY)
    hex_text = key_file(tmp_path / "hex.key", KEY.hex().upper().encode() + b"\n", 0o400)
    assert mfa_core.load_key(raw) == KEY
    assert mfa_core.load_key(str(hex_text)) == KEY
    assert aio.load_key(hex_text) == KEY
    store = tmp_path / "mfa.db"
    with mfa_core.Core.open(store, mfa_core.load_key(raw)) as core:
        org = core.create_org("Acme")
    with mfa_core.Core.open(store, mfa_core.load_key(hex_text), create_if_missing=False) as core:
        assert core.get_org(org.id) == org


@pytest.mark.parametrize(
    "contents",
    [b"", KEY[:31], KEY + b"\0", KEY.hex()[:62].encode(), b"zz" + KEY.hex()[2:].encode()],
    ids=["empty", "31 bytes", "33 bytes", "62 hex digits", "not hex"],
)
def test_bad_contents_are_invalid_input_without_the_bytes(tmp_path: Path, contents: bytes) -> None:
    path = key_file(tmp_path / "bad.key", contents)
    with pytest.raises(mfa_core.InvalidInput, match="32 raw bytes or 64 hex digits") as err:
        mfa_core.load_key(path)
    if len(contents) > 8:
        assert contents.hex() not in str(err.value)
        assert contents[2:].decode(errors="replace") not in str(err.value)


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = key_file(tmp_path / "open.key", KEY, 0o644)
    with pytest.raises(mfa_core.InvalidInput, match="UNPROTECTED KEY FILE.*chmod 600"):
        mfa_core.load_key(path)


def test_a_missing_file_and_a_wrong_type(tmp_path: Path) -> None:
    with pytest.raises(mfa_core.InvalidInput, match="cannot read key file"):
        mfa_core.load_key(tmp_path / "missing.key")
    with pytest.raises(TypeError):
        mfa_core.load_key(b"/etc/mfa.key")  # type: ignore[arg-type]


def test_a_store_made_by_mfa_admin_init_opens_with_its_key_file(tmp_path: Path) -> None:
    admin = os.environ.get("MFA_ADMIN")
    assert admin, "set MFA_ADMIN to the mfa-admin binary (scripts/test-python.sh does)"
    store, key = tmp_path / "mfa.db", tmp_path / "mfa.key"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MFA_CORE_")}
    env |= {"MFA_CORE_DB": str(store), "MFA_CORE_KEY_FILE": str(key)}
    subprocess.run([admin, "init", "--generate-key"], env=env, check=True, capture_output=True)
    with mfa_core.Core.open(store, mfa_core.load_key(key), create_if_missing=False) as core:
        assert core.list_orgs() == []

    async def from_asyncio() -> list[mfa_core.Org]:
        async with aio.Core.open(store, aio.load_key(key), create_if_missing=False) as handle:
            return await handle.list_orgs()

    assert asyncio.run(from_asyncio()) == []
