#!/usr/bin/env bash
# The PostgreSQL suite: starts a throwaway server (scripts/postgres.sh: Debian's postgresql,
# installed if missing, under target/postgres), runs every suite that needs a server with
# MFA_CORE_TEST_PG set to it, and stops the server at the end, also when a suite fails.
#
# The scenario replays through C, Python and Node run here too, on what the other suites built:
# the C driver is a test target of the one `cargo test` below; Python and Node use the venv of
# scripts/test-python.sh and the addon of scripts/test-node.sh (scripts/test-all.sh runs both
# first). Each runner gets its own schema prefix (MFA_CORE_TEST_PG_SCHEMAS): scenario n opens the
# schema <prefix>_<n>, made empty here beforehand and checked here afterwards to hold a store.
set -euo pipefail
cd "$(dirname "$0")/.."

venv_python=target/python-venv/bin/python
if ! "$venv_python" -c 'import mfa_core' 2>/dev/null; then
    echo "test-postgres.sh: no mfa_core in target/python-venv: run scripts/test-python.sh first" >&2
    exit 1
fi
if ! compgen -G 'bindings/node/*.node' >/dev/null || [[ ! -d bindings/node/node_modules ]]; then
    echo "test-postgres.sh: the Node addon is not built: run scripts/test-node.sh first" >&2
    exit 1
fi

trap './scripts/postgres.sh stop' EXIT
MFA_CORE_TEST_PG="$(./scripts/postgres.sh start | tail -n 1)"
MFA_CORE_TEST_PG_TLS="$(./scripts/postgres.sh tls-url)"
export MFA_CORE_TEST_PG MFA_CORE_TEST_PG_TLS

scenarios="$(find tests/scenarios -maxdepth 1 -name '*.json' -type f | wc -l)"
prefixes=(replay_c replay_python replay_node)
for prefix in "${prefixes[@]}"; do ./scripts/postgres.sh schemas "$prefix" "$scenarios"; done

# One build for the three suites (the same features, so mfa-core is compiled once).
echo "--- every scenario of tests/scenarios through the Rust API, each on a new schema; TLS; then"
echo "    the rules across hosts: concurrent processes, a server restart and a crash under load,"
echo "    schema life; then mfa-admin with --db URL, and migrate between a file and the server;"
echo "    then every scenario through the C ABI (schemas replay_c_N)"
MFA_CORE_TEST_PG_SCHEMAS=replay_c cargo test --locked -q -p mfa-scenarios -p mfa-core -p mfa-cli -p mfa-ffi \
    --features mfa-scenarios/postgres-tests,mfa-core/postgres-tests,mfa-cli/postgres-tests,mfa-ffi/postgres-tests \
    --test postgres

echo "--- every scenario through Python (schemas replay_python_N)"
MFA_CORE_TEST_PG_SCHEMAS=replay_python "$venv_python" -m pytest -q bindings/python/tests/test_scenarios.py

echo "--- every scenario through Node (schemas replay_node_N)"
MFA_CORE_TEST_PG_SCHEMAS=replay_node node --test --test-reporter=spec bindings/node/tests/scenarios.test.mjs

echo "--- each replay's schemas hold a store (a runner that opened anything else fails here)"
for prefix in "${prefixes[@]}"; do ./scripts/postgres.sh check-schemas "$prefix" "$scenarios"; done
