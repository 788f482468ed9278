#!/usr/bin/env bash
# The PostgreSQL suite: starts a throwaway server (scripts/postgres.sh: Debian's postgresql,
# installed if missing, under target/postgres), runs every suite that needs a server with
# MFA_CORE_TEST_PG set to it, and stops the server at the end, also when a suite fails.
set -euo pipefail
cd "$(dirname "$0")/.."

trap './scripts/postgres.sh stop' EXIT
MFA_CORE_TEST_PG="$(./scripts/postgres.sh start | tail -n 1)"
MFA_CORE_TEST_PG_TLS="$(./scripts/postgres.sh tls-url)"
export MFA_CORE_TEST_PG MFA_CORE_TEST_PG_TLS

# One build for the three suites (the same features, so mfa-core is compiled once).
echo "--- every scenario of tests/scenarios through the Rust API, each on a new schema; TLS; then"
echo "    the rules across hosts: concurrent processes, a server restart and a crash under load,"
echo "    schema life; then mfa-admin with --db URL, and migrate between a file and the server"
cargo test --locked -q -p mfa-scenarios -p mfa-core -p mfa-cli \
    --features mfa-scenarios/postgres-tests,mfa-core/postgres-tests,mfa-cli/postgres-tests --test postgres
