#!/usr/bin/env bash
# The one command that runs every test suite on a fresh machine (README: "Test it").
# It installs what it needs from the package registries, then runs each suite's script.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "clippy (warnings denied, the Python and Node crates included)"
cargo clippy --workspace --all-targets --features mfa-scenarios/postgres-tests,mfa-core/postgres-tests,mfa-cli/postgres-tests,mfa-ffi/postgres-tests --locked -- -D warnings

step "Rust tests"
cargo test --locked

step "C suite (sanitizers, valgrind, the C example)"
./scripts/test-c.sh

step "Python suite (a venv, pip install ./bindings/python, pytest, mypy --strict, stubtest)"
./scripts/test-python.sh

step "Node suite (npm ci, the addon, node --test, the HTTP example)"
./scripts/test-node.sh

step "PostgreSQL suite (a real server, stopped at the end; C, Python, Node reuse what was built above)"
./scripts/test-postgres.sh

step "Browser test (Debian's Chromium, headless: seed 001 through the example's Swagger UI)"
./scripts/test-browser.sh

step "Release artifacts (scripts/package.sh into dist/, each installed and run as a user would)"
./scripts/test-package.sh

step "fuzz targets (built once; each replays its corpus, then 40,000 inputs from a fixed seed)"
./scripts/test-fuzz.sh

step "all suites passed"
