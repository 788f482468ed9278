"""The module reports the workspace's version, as every other surface of mfa-core does."""

import tomllib
from pathlib import Path

import mfa_core

WORKSPACE = Path(__file__).resolve().parents[3] / "Cargo.toml"


def test_version_is_the_workspace_version() -> None:
    with WORKSPACE.open("rb") as manifest:
        expected = tomllib.load(manifest)["workspace"]["package"]["version"]
    assert mfa_core.__version__ == expected
    assert "__version__" in mfa_core.__all__
