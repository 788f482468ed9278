#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suites and the bench, under target/postgres:
#
#   scripts/postgres.sh start    # installs Debian's postgresql if missing, initdb, starts it,
#                                # prints the URL of a fresh database (MFA_CORE_TEST_PG)
#   scripts/postgres.sh stop     # stops it (does nothing when it is not running)
#   scripts/postgres.sh url      # the URL of the running server's `mfa` database
#
# The server refuses to run as root (CI runs as root): the data folder belongs to the
# `postgres` account, which runs it. It listens on a Unix socket in target/postgres/run and on
# no TCP port, with trust authentication for local connections only. fsync and
# synchronous_commit stay on: the tests and the bench measure real commits.
set -euo pipefail
cd "$(dirname "$0")/.."

base="$PWD/target/postgres"
data="$base/data"
run="$base/run"
log="$base/server.log"
user=postgres

as_server() {
    if [[ "$(id -un)" == "$user" ]]; then "$@"; else runuser -u "$user" -- "$@"; fi
}

bindir() {
    local initdb
    initdb="$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -z "$initdb" ]]; then
        echo "installing Debian's postgresql" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
        initdb="$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)"
    fi
    dirname "$initdb"
}

url() {
    # libpq's URL form with a Unix-socket host, percent-encoded.
    local socket="${run//\//%2F}"
    echo "postgresql://$user@$socket/mfa?application_name=mfa-core-tests"
}

start() {
    local bin
    bin="$(bindir)"
    mkdir -p "$base"
    if [[ ! -f "$data/PG_VERSION" ]]; then
        mkdir -p "$data" "$run"
        chown -R "$user" "$data" "$run"
        as_server "$bin/initdb" -D "$data" -A trust -U "$user" -E UTF8 --no-instructions >/dev/null
    fi
    chown -R "$user" "$data" "$run"
    # Traversal into target/ for the server account (it owns only its own folders).
    chmod o+x "$PWD" "$PWD/target" "$base" 2>/dev/null || true
    if ! as_server "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        touch "$log" && chown "$user" "$log"
        as_server "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start \
            -o "-k $run -c listen_addresses='' -c max_connections=200 -c fsync=on -c synchronous_commit=on" >/dev/null
    fi
    as_server "$bin/psql" -h "$run" -U "$user" -d postgres -qAt \
        -c "SELECT 1 FROM pg_database WHERE datname = 'mfa'" | grep -q 1 ||
        as_server "$bin/createdb" -h "$run" -U "$user" mfa
    url
}

stop() {
    local bin
    bin="$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1 || true)"
    [[ -n "$bin" && -f "$data/PG_VERSION" ]] || return 0
    as_server "$bin" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) url ;;
    *) echo "usage: scripts/postgres.sh start|stop|url" >&2; exit 2 ;;
esac
