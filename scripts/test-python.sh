#!/usr/bin/env bash
# The Python suite (issue 4): builds and installs the `mfa_core` wheel into a fresh virtual
# environment under target/ with plain `pip install ./bindings/python` (maturin, abi3), then runs
# the pytest suite (which also replays tests/scenarios/ and runs the examples), mypy --strict on
# the examples and the package, and mypy.stubtest on the module.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

PYTHON="${PYTHON:-python3}"
VENV=target/python-venv

if ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
    step "installing python3-venv (Debian)"
    apt-get update -qq
    apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
fi

step "virtual environment in $VENV"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check \
    "pytest==9.*" "mypy==1.*" "tqdm==4.*" "types-tqdm" "typing_extensions>=4.6"

step "pip install ./bindings/python (maturin; debug profile keeps CI short)"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps \
    --config-settings=build-args=--profile=dev ./bindings/python
# The tests import the installed wheel, never the source folder.
"$VENV/bin/python" -c 'import mfa_core, sys; assert "site-packages" in mfa_core.__file__, mfa_core.__file__'

step "mfa-admin (tests/test_key.py opens a store made by \`mfa-admin init\`)"
cargo build -q -p mfa-cli
export MFA_ADMIN="$PWD/target/debug/mfa-admin"

step "pytest"
"$VENV/bin/python" -m pytest bindings/python/tests -q

step "mypy --strict (examples, package)"
"$VENV/bin/python" -m mypy --strict --no-incremental examples/python
"$VENV/bin/python" -m mypy --strict --no-incremental -p mfa_core

step "mypy.stubtest (the stubs against the built module)"
"$VENV/bin/python" -m mypy.stubtest mfa_core --allowlist bindings/python/stubtest-allowlist.txt

step "Python suite passed"
