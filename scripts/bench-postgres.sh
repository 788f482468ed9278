#!/usr/bin/env bash
# PostgreSQL beside SQLite, from one command in one run (docs/benchmarks.md, "PostgreSQL"):
#
#   scripts/bench-postgres.sh
#
# Starts a throwaway PostgreSQL server (scripts/postgres.sh: Unix socket, fsync and
# synchronous_commit on; stopped at the end, also on failure), builds the Rust workloads example
# in release mode, writes one enrolled fixture on each engine (a SQLite file, a PostgreSQL
# database), then runs workloads A (resets) and B (verifies) on a fresh copy of the fixture for
# each configuration, K interleaved rounds in a rotating order:
#   sqlite 1x1     one process, one handle, one call at a time, synchronous=FULL (the baseline)
#   sqlite 1x8     one handle, 8 threads (workload C)      sqlite 4x1   4 processes on one file
#   postgres Px1   P client processes (default 1, 4 and 16), each its own handle, one call at a time
#   postgres 1x8   one handle, 8 threads (workload C)
#   postgres 4x1 with durability normal (synchronous_commit off, no wait for the flush): what
#                  the callers pay for the flush (a bound, not a configuration to run with)
#   lock model 4 x N  the engine's write path with nothing but N bare round trips under the write
#                  lock (2 as a reset and a verify have: the lock's with every read, then the writes
#                  with the commit; 4, what two more round trips under the lock would cost),
#                  4 processes
#                  (`--lock-model`: a bound on what that many round trips allow, no library work)
# Every run checks the store afterwards (audit chain verifies and holds every event, every reset
# target reset once, events by action) or the script fails. Then, apart from the measured runs
# (they perturb them), a profile: postgres 1x1 with every statement logged with its server time
# (round trips per call, under the write lock, time under the lock), and postgres 4x1 and 16x1
# sampled through pg_stat_activity and pg_locks every millisecond, and one bare round trip timed.
# It prints one JSON line per run, then ratios to the sqlite 1x1 run of the same round (medians
# over rounds), then medians of rates and latencies, then the profile.
#
# Sizes (environment): MFA_BENCH_MEMBERS (default 2,000), MFA_BENCH_RESETS (500),
# MFA_BENCH_VERIFIES (2,000), MFA_BENCH_ROUNDS (3), MFA_BENCH_PROCESSES ("1 4 16");
# MFA_BENCH_FULL=1 sets the full sizes (10,000 members, 5,000 resets, 20,000 verifies).
# MFA_BENCH_DIR (default target/bench-postgres) must be on a real disk, not a tmpfs.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${MFA_BENCH_FULL:-}" == 1 ]]; then
  MEMBERS=10000 RESETS=5000 VERIFIES=20000
else
  MEMBERS=2000 RESETS=500 VERIFIES=2000
fi
MEMBERS=${MFA_BENCH_MEMBERS:-$MEMBERS}
RESETS=${MFA_BENCH_RESETS:-$RESETS}
VERIFIES=${MFA_BENCH_VERIFIES:-$VERIFIES}
ROUNDS=${MFA_BENCH_ROUNDS:-3}
PROCESSES=${MFA_BENCH_PROCESSES:-1 4 16}
DIR=${MFA_BENCH_DIR:-target/bench-postgres}
LOG=$PWD/target/postgres/server.log

step() { printf '==> %s\n' "$*" >&2; }

step "building the Rust workloads (release)"
cargo build --release --locked -p mfa-core --example workloads >&2
RUST=target/release/examples/workloads

trap './scripts/postgres.sh stop' EXIT
URL="$(./scripts/postgres.sh start | tail -n 1)"
# The same URL on another database of the server.
FIXTURE_URL="${URL/\/mfa\?//mfa_bench_fixture?}"

rm -rf "$DIR" && mkdir -p "$DIR"
step "fixtures: $MEMBERS members enrolled, a SQLite file in $DIR/sqlite and a PostgreSQL database"
"$RUST" --make-fixture "$DIR/sqlite" "$MEMBERS"
"$RUST" --make-pg-fixture "$FIXTURE_URL" "$DIR/pg-fixture.json" "$MEMBERS"

CONFIGS=("sqlite 1 1" "sqlite 1 8" "sqlite 4 1")
for p in $PROCESSES; do CONFIGS+=("postgres $p 1"); done
CONFIGS+=("postgres 1 8" "postgres 4 1 --durability normal" "model 4 4" "model 4 2")

drive() { # ENGINE PROCESSES THREADS [RESETS VERIFIES] [flags...]
  local engine=$1 procs=$2 threads=$3
  shift 3
  local r=$RESETS v=$VERIFIES
  if [[ ${1:-} =~ ^[0-9]+$ ]]; then r=$1 v=$2 && shift 2; fi
  if [[ $engine == model ]]; then # PROCESSES ROUND-TRIPS-UNDER-THE-LOCK
    "$RUST" --lock-model "$URL" "$procs" "$((r / procs))" "$((threads - 2))"
  elif [[ $engine == sqlite ]]; then
    "$RUST" --procs "$DIR/sqlite" "$DIR/sqlite/fixture.json" "$procs" "$threads" "$r" "$v" "$@"
  else
    "$RUST" --procs "$FIXTURE_URL" "$DIR/pg-fixture.json" "$procs" "$threads" "$r" "$v" "$@"
  fi
}

for round in $(seq 1 "$ROUNDS"); do
  for k in "${!CONFIGS[@]}"; do
    config=${CONFIGS[$(((k + round - 1) % ${#CONFIGS[@]}))]}
    step "round $round: $config"
    # shellcheck disable=SC2086 # the config is several words
    drive $config | sed "s/^{/{\"round\":$round,/" | tee -a "$DIR/runs.jsonl"
  done
done

step "profile: postgres 1x1 with every statement logged (server time per statement)"
drive postgres 1 1 "$((RESETS < 500 ? RESETS : 500))" "$((VERIFIES < 500 ? VERIFIES : 500))" --trace "$LOG" |
  sed 's/^{/{"profile":"trace",/' | tee -a "$DIR/profile.jsonl"
step "profile: one bare round trip to the server"
"$RUST" --round-trip "$FIXTURE_URL" 5000 | sed 's/^{/{"profile":"round trip",/' | tee -a "$DIR/profile.jsonl"
# Round trips per call, counted where they start: each is one send to the server's socket (every
# statement that travels in it goes in that send). strace counts the sends of one client process
# in three runs; the differences, per 100 calls, are the round trips of a reset and of a
# verification, the flush's included (the server's log cannot tell statements sent together
# apart). Skipped without strace.
if command -v strace >/dev/null; then
  step "profile: round trips per call (strace counts the client's sends)"
  sends() { # RESETS VERIFIES: the sendto calls of the busiest process (the child)
    strace -f -qq -e trace=sendto -o "$DIR/strace.txt" \
      "$RUST" --procs "$FIXTURE_URL" "$DIR/pg-fixture.json" 1 1 "$1" "$2" >/dev/null
    awk '{print $1}' "$DIR/strace.txt" | sort | uniq -c | sort -rn | awk 'NR == 1 {print $1}'
  }
  base=$(sends 100 100) more_resets=$(sends 200 100) more_verifies=$(sends 100 200)
  printf '{"profile":"sends","reset":%s,"verify":%s}\n' "$(((more_resets - base) / 100))" \
    "$(((more_verifies - base) / 100))" | tee -a "$DIR/profile.jsonl"
else
  step "profile: round trips per call skipped (strace is not installed)"
fi
for p in 4 16; do
  step "profile: postgres ${p}x1 sampled every millisecond"
  drive postgres "$p" 1 --sample | sed 's/^{/{"profile":"sample",/' | tee -a "$DIR/profile.jsonl"
done

python3 - "$DIR" "$MEMBERS" "$RESETS" "$VERIFIES" <<'EOF'
import json, statistics, sys

folder, members, resets, verifies = sys.argv[1], *sys.argv[2:]
everything = [json.loads(line) for line in open(f"{folder}/runs.jsonl")]
runs = [r for r in everything if r["impl"] != "lock-model"]
models = [r for r in everything if r["impl"] == "lock-model"]
profile = [json.loads(line) for line in open(f"{folder}/profile.jsonl")]
key = lambda r: (r["impl"], r["processes"], r["threads"], r["sync"])
base = {r["round"]: r for r in runs if key(r) == ("sqlite", 1, 1, "FULL")}
configs = sorted({key(r) for r in runs}, key=lambda k: (k[0] != "sqlite", k[3] != "FULL", k[2] != 1, k[1], k[2]))
name = lambda k: (f"{k[0]} {k[1]} process{'es' if k[1] > 1 else ''} x {k[2]} thread{'s' if k[2] > 1 else ''}"
                  + ("" if k[3] == "FULL" else ", synchronous_commit off"))

print(f"\n{members} members, {resets} resets, {verifies} verifies; SQLite synchronous=FULL, PostgreSQL "
      f"fsync on and every call durable before it returns; medians of {len(base)} interleaved rounds; ratios to the "
      "single-handle SQLite run of the same round\n")
print("| | resets/s x SQLite | verifies/s x SQLite | resets/s | verifies/s | reset p50 / p99 ms | verify p50 / p99 ms |")
print("|---|--:|--:|--:|--:|--:|--:|")
summary = {}
for k in configs:
    mine = [r for r in runs if key(r) == k]
    med = lambda w, f: statistics.median(r[w][f] for r in mine)
    ratio = lambda w: statistics.median(r[w]["ops_per_s"] / base[r["round"]][w]["ops_per_s"] for r in mine)
    ms = lambda w, f: med(w, f) / 1000
    summary[k] = (ratio("A_reset"), ms("B_verify", "p99_us"))
    print(f"| {name(k)} | {ratio('A_reset'):.2f} | {ratio('B_verify'):.2f} "
          f"| {med('A_reset', 'ops_per_s'):,.0f} | {med('B_verify', 'ops_per_s'):,.0f} "
          f"| {ms('A_reset', 'p50_us'):.2f} / {ms('A_reset', 'p99_us'):.2f} "
          f"| {ms('B_verify', 'p50_us'):.2f} / {ms('B_verify', 'p99_us'):.2f} |")

if models:
    print("\nThe write path with nothing but bare round trips under the lock (`--lock-model`), calls of all "
          "processes together; ratio to the single-handle SQLite reset rate of the same round:\n")
    print("| lock model | calls/s x SQLite resets | calls/s | p50 / p99 ms |")
    print("|---|--:|--:|--:|")
    for k in sorted({(m["processes"], m["round_trips_under_lock"]) for m in models}, key=lambda k: -k[1]):
        mine = [m for m in models if (m["processes"], m["round_trips_under_lock"]) == k]
        med = lambda f: statistics.median(m["calls"][f] for m in mine)
        ratio = statistics.median(m["calls"]["ops_per_s"] / base[m["round"]]["A_reset"]["ops_per_s"] for m in mine)
        print(f"| {k[0]} processes, {k[1]} round trips under the lock | {ratio:.2f} | {med('ops_per_s'):,.0f} "
              f"| {med('p50_us') / 1000:.2f} / {med('p99_us') / 1000:.2f} |")

target = summary.get(("postgres", 4, 1, "FULL"))
if target:
    ratio, p99 = target
    print(f"\nTarget (postgres 4 processes >= 2x the single-handle SQLite reset rate, verify p99 < 5 ms): "
          f"{ratio:.2f}x ({'met' if ratio >= 2 else 'NOT met'}), p99 {p99:.2f} ms ({'met' if p99 < 5 else 'NOT met'})")

for p in profile:
    if p["profile"] == "trace":
        t = p["trace"]
        print(f"\nPer write call, postgres 1 process, {p['resets']} resets + {p['verifies']} verifies with every "
              f"statement logged (slower than unlogged): {t['statements_per_call']} statements per call, "
              f"{t['prepares']} statements prepared")
        for w, calls in (("A", "A_reset"), ("B", "B_verify")):
            x, st = t[w], t[w]["statements_under_lock"]
            print(f"  {calls}: {st['median']} statements after the lock's grant (min {st['min']}, max {st['max']}); "
                  f"lock held {x['lock_held_us']:.0f} µs per call (grant to the commit's end) of a mean call time "
                  f"{1e6 / p[calls]['ops_per_s']:.0f} µs; server time under the lock {x['server_us_under_lock']:.0f} µs, "
                  f"of which the COMMIT {x['commit_us']:.0f} µs; the rest, "
                  f"{x['lock_held_us'] - x['server_us_under_lock']:.0f} µs, is the client and the round trips; "
                  f"then, after the lock, the wait for the flush {x['flush_after_us']:.0f} µs")
            print(f"    {' | '.join(x['statements_of_the_last'])}")
    elif p["profile"] == "sends":
        print(f"\nRound trips per call (strace: the client's sends to the server; the flush's included, the "
              f"write lock's first): reset {p['reset']}, verification {p['verify']}")
    elif p["profile"] == "round trip":
        rt = p["round_trip"]
        print(f"\nOne bare round trip (prepared SELECT 1, one connection): p50 {rt['p50_us']} µs, "
              f"p99 {rt['p99_us']} µs, mean {1e6 / rt['ops_per_s']:.0f} µs")
    else:
        print(f"\npostgres {p['processes']} processes, sampled (runs slowed by the sampler: "
              f"{p['A_reset']['ops_per_s']:,.0f} resets/s, {p['B_verify']['ops_per_s']:,.0f} verifies/s):")
        for w, s in p["sample"].items():
            shares = s["connection_shares"]
            held = {k: v for k, v in shares.items() if k.startswith("holding")}
            split = ", ".join(f"{v / sum(held.values()):.0%} {k.split(': ', 1)[1]}"
                              for k, v in sorted(held.items(), key=lambda x: -x[1]) if v >= 0.005)
            print(f"  {w}: write lock busy {s['lock_busy']:.0%} of samples ({s['lock_us_per_call']} µs per call); "
                  f"while held: {split}; connection time:")
            for what, share in sorted(s["connection_shares"].items(), key=lambda x: -x[1]):
                if share >= 0.01:
                    print(f"    {share:6.1%}  {what}")
EOF
