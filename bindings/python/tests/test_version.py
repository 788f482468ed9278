"""``mfa_core.__version__`` is the crate's version, which is the Cargo workspace's."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import mfa_core

WORKSPACE = Path(__file__).resolve().parents[3] / "Cargo.toml"


def workspace_version() -> str:
    text = WORKSPACE.read_text()
    section = text.split("[workspace.package]", 1)[1].split("\n[", 1)[0]
    found = re.search(r'^version\s*=\s*"([^"]+)"', section, re.MULTILINE)
    assert found, "no version in [workspace.package]"
    return found.group(1)


def test_version_is_the_workspace_version() -> None:
    assert isinstance(mfa_core.__version__, str)
    assert mfa_core.__version__ == workspace_version()
    assert "__version__" in mfa_core.__all__


def test_version_is_the_installed_distribution_version() -> None:
    # maturin writes the crate's version into the wheel's metadata.
    assert importlib.metadata.version("mfa-core") == mfa_core.__version__
