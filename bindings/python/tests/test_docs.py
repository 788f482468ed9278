"""The Python examples in the docs run: the "Use from Python" section's blocks and the
package's docstrings, so that they cannot rot."""

from __future__ import annotations

import doctest
import re
from pathlib import Path
from types import ModuleType

import pytest

import mfa_core
from mfa_core import aio

ROOT = Path(__file__).resolve().parents[3]
HEADING = "## Use from Python"


def section() -> tuple[Path, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rest = readme[readme.index(HEADING) :]
    end = rest.find("\n## ", len(HEADING))
    return ROOT / "README.md", rest if end < 0 else rest[:end]


SOURCE, TEXT = section()
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, flags=re.S)


def test_the_section_has_python_examples() -> None:
    assert TEXT.startswith(HEADING) and BLOCKS, SOURCE


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_block_runs(
    block: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # The key file the quickstart loads, in the hex form `mfa-admin init` writes.
    key_file = tmp_path / "mfa-core.key"
    key_file.write_text("5a" * 32 + "\n")
    key_file.chmod(0o600)
    monkeypatch.setenv("MFA_CORE_KEY_FILE", str(key_file))
    exec(compile(block, str(SOURCE), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "forbidden 403 urn:mfa-core:error:forbidden" in out
    assert "<redacted>" in out


@pytest.mark.parametrize("module", [mfa_core, aio], ids=lambda m: m.__name__)
def test_the_package_docstrings_run(module: ModuleType) -> None:
    failures, tried = doctest.testmod(module)
    assert tried > 0 and failures == 0
