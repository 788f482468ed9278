#!/usr/bin/env bash
# The browser test of the HTTP example (examples/node): Debian's Chromium, headless, driven by
# playwright-core, runs seed 001's reset through the Swagger UI page at /docs and keeps a
# screenshot in target/artifacts/swagger-reset.png.
#
# Reuses the addon that scripts/test-node.sh built (it does not build it again). Installs
# Chromium from Debian when /usr/bin/chromium is missing (set CHROMIUM_PATH to use another
# build), then the example's packages with `npm ci` (pinned by its package-lock.json; no
# install scripts run, and playwright-core downloads no browser).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! compgen -G 'bindings/node/*.node' >/dev/null; then
  echo "test-browser: the Node addon is not built; run scripts/test-node.sh first" >&2
  exit 1
fi

if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then
  apt-get update
  apt-get install -y chromium
fi
"${CHROMIUM_PATH:-/usr/bin/chromium}" --version 2>/dev/null || true

mkdir -p target/artifacts
cd examples/node
npm ci --ignore-scripts --no-audit --no-fund
npm run test:browser
echo "screenshot: target/artifacts/swagger-reset.png"
