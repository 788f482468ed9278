#!/usr/bin/env bash
# The Node suite: the addon (bindings/node) and its HTTP example (examples/node).
#
# Installs Node (and python3, a test's lock holder) from Debian if missing, runs the addon's
# Rust unit tests, then `npm ci` (pinned by package-lock.json), builds the addon in debug mode
# (napi CLI, into target/x86_64-unknown-linux-gnu/debug), fails if the rebuild changed the
# checked-in loader or TypeScript declarations, installs the HTTP example's packages (`npm ci` in
# examples/node: swagger-ui-dist for /docs, the OpenAPI validator of its test) and runs
# `npm test` (`node --test`, the addon's tests and the example's).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt-get update
  apt-get install -y nodejs npm
fi
# tests/threads.test.mjs holds SQLite's write lock from another process with Python's sqlite3.
if ! command -v python3 >/dev/null; then
  apt-get update
  apt-get install -y python3
fi
# The pinned @napi-rs/cli 3 asks for Node 20.17 or later (the addon itself needs Node-API 8).
echo "node $(node --version), npm $(npm --version)"

# The addon's Rust unit tests (the error-code mapping, `internal` included).
cargo test --locked -p mfa-core-node
# tests/key.test.mjs opens a store made by `mfa-admin init`.
cargo build -q -p mfa-cli
export MFA_ADMIN="$PWD/target/debug/mfa-admin"

cd bindings/node
npm ci --no-audit --no-fund
npm run build

# The generated loader and declarations are checked in: a rebuild must reproduce them.
if ! git diff --exit-code -- index.js index.d.ts; then
  echo "bindings/node: index.js or index.d.ts differ from the build; commit the regenerated files" >&2
  exit 1
fi

(cd ../../examples/node && npm ci --ignore-scripts --no-audit --no-fund)
npm test
