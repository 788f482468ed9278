#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suites and the bench, under target/postgres:
#
#   scripts/postgres.sh start    # installs Debian's postgresql if missing, initdb, starts it,
#                                # prints the URL of a fresh database (MFA_CORE_TEST_PG)
#   scripts/postgres.sh stop     # stops it (does nothing when it is not running)
#   scripts/postgres.sh crash    # stops it at once, as a crash would (no shutdown checkpoint:
#                                # the next start recovers from the write-ahead log)
#   scripts/postgres.sh url      # the URL of the running server's `mfa` database (Unix socket)
#   scripts/postgres.sh tls-url  # the same database over TCP with TLS (sslmode=verify-full)
#   scripts/postgres.sh schemas PREFIX N  # (re)creates the empty schemas PREFIX_1 .. PREFIX_N
#                                         # in the running server's `mfa` database
#   scripts/postgres.sh check-schemas PREFIX N  # fails, naming them, unless every one of those
#                                         # schemas holds an mfa-core store's tables
#
# The server refuses to run as root (CI runs as root): the data folder belongs to the
# `postgres` account, which runs it. It listens on a Unix socket in target/postgres/run, and
# with TLS on 127.0.0.1 at a port derived from the checkout's path (MFA_CORE_PG_PORT to
# choose), with a certificate for `localhost` signed by a CA made here
# (target/postgres/tls/ca.crt); trust authentication, loopback only. fsync and
# synchronous_commit stay on: the tests and the bench measure real commits.
set -euo pipefail
cd "$(dirname "$0")/.."

base="$PWD/target/postgres"
data="$base/data"
run="$base/run"
log="$base/server.log"
tls="$base/tls"
user=postgres
port="${MFA_CORE_PG_PORT:-$((20000 + $(printf '%s' "$PWD" | cksum | cut -d' ' -f1) % 20000))}"

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
    echo "postgresql://$user@$socket:$port/mfa?application_name=mfa-core-tests"
}

tls_url() {
    echo "postgresql://$user@localhost:$port/mfa?sslmode=verify-full&sslrootcert=$tls/ca.crt&application_name=mfa-core-tests"
}

# A CA and a server certificate for `localhost` (no IP address in it, so that verify-full to
# 127.0.0.1 fails as it must).
make_certificates() {
    command -v openssl >/dev/null || { apt-get update -qq >&2 && apt-get install -y -qq openssl >&2; }
    mkdir -p "$tls"
    (
        cd "$tls"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mfa-core test CA" \
            -keyout ca.key -out ca.crt 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
        printf 'subjectAltName=DNS:localhost\n' >san.ext
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
            -extfile san.ext -out server.crt 2>/dev/null
        chmod 600 server.key ca.key
    )
    chown -R "$user" "$tls"
}

# The server account must be able to pass through every folder above its own (a checkout under
# /root, mode 700, is not): grant the search bit where it lacks it, and say so.
let_server_in() {
    local dir="" part parts
    IFS=/ read -ra parts <<<"${base#/}"
    for part in "${parts[@]}"; do
        dir="$dir/$part"
        if ! as_server test -x "$dir"; then
            echo "postgres.sh: letting the $user account pass through $dir (chmod o+x)" >&2
            chmod o+x "$dir"
        fi
    done
}

start() {
    local bin
    bin="$(bindir)"
    mkdir -p "$base"
    let_server_in
    if [[ ! -f "$data/PG_VERSION" ]]; then
        mkdir -p "$data" "$run"
        chown -R "$user" "$data" "$run"
        as_server "$bin/initdb" -D "$data" -A trust -U "$user" -E UTF8 --no-instructions >/dev/null
    fi
    [[ -f "$tls/server.crt" ]] || make_certificates
    chown -R "$user" "$data" "$run"
    if ! as_server "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        touch "$log" && chown "$user" "$log"
        as_server "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start \
            -o "-k $run -c listen_addresses=127.0.0.1 -p $port -c max_connections=200 -c fsync=on \
                -c synchronous_commit=on -c ssl=on -c ssl_cert_file=$tls/server.crt \
                -c ssl_key_file=$tls/server.key" >/dev/null
    fi
    as_server "$bin/psql" -h "$run" -p "$port" -U "$user" -d postgres -qAt \
        -c "SELECT 1 FROM pg_database WHERE datname = 'mfa'" | grep -q 1 ||
        as_server "$bin/createdb" -h "$run" -p "$port" -U "$user" mfa
    url
}

# psql on the running server's `mfa` database, as the server account.
sql() {
    local bin
    bin="$(ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1 || true)"
    [[ -n "$bin" ]] || { echo "scripts/postgres.sh: no server installed (run start first)" >&2; exit 1; }
    as_server "$bin" -h "$run" -p "$port" -U "$user" -d mfa -qAt -v ON_ERROR_STOP=1 "$@"
}

# PREFIX must be a lowercase SQL identifier and N a count: both go into SQL text.
schema_args() {
    [[ "${1:-}" =~ ^[a-z_][a-z0-9_]*$ && "${2:-}" =~ ^[1-9][0-9]{0,3}$ ]] || {
        echo "usage: scripts/postgres.sh schemas|check-schemas PREFIX N (PREFIX: [a-z_][a-z0-9_]*)" >&2
        exit 2
    }
}

schemas() {
    schema_args "$@"
    local i script="SET client_min_messages = warning; "
    for ((i = 1; i <= $2; i++)); do
        script+="DROP SCHEMA IF EXISTS $1_$i CASCADE; CREATE SCHEMA $1_$i; "
    done
    sql -c "$script"
}

# Each schema must hold the tables an mfa-core store creates on its first open (a runner that
# opened something else, such as an in-memory store, leaves its schema empty).
check_schemas() {
    schema_args "$@"
    local missing
    missing="$(sql -c "SELECT '$1_' || n FROM generate_series(1, $2) AS s(n)
        WHERE (SELECT count(*) FROM information_schema.tables
               WHERE table_schema = '$1_' || n
                 AND table_name IN ('meta', 'orgs', 'users', 'recovery_codes', 'audit', 'reset_log')) < 6")"
    if [[ -n "$missing" ]]; then
        echo "scripts/postgres.sh: these schemas hold no mfa-core store:" $missing >&2
        exit 1
    fi
    echo "schemas $1_1 to $1_$2 each hold a store"
}

# Stops the server: mode `fast` (sessions are ended, then a clean shutdown) or `immediate`.
stop() {
    local bin
    bin="$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1 || true)"
    [[ -n "$bin" && -f "$data/PG_VERSION" ]] || return 0
    as_server "$bin" -D "$data" -m "$1" -w stop >/dev/null 2>&1 || true
}

case "${1:-}" in
    start) start ;;
    stop) stop fast ;;
    crash) stop immediate ;;
    url) url ;;
    tls-url) tls_url ;;
    schemas) schemas "${@:2}" ;;
    check-schemas) check_schemas "${@:2}" ;;
    *) echo "usage: scripts/postgres.sh start|stop|crash|url|tls-url|schemas|check-schemas" >&2; exit 2 ;;
esac
