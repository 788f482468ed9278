#!/usr/bin/env bash
# The comparison table of the README's Performance section, from one command in one run:
#
#   scripts/bench.sh [--members N] [--resets R] [--verifies V] [--rounds K] [--dir D]
#                    [--durability full|normal] [--drivers LIST]
#
# Builds the Rust workloads example, the Python module (into target/bench-venv) and the Node addon
# in release mode, writes one enrolled fixture store (N members, default 10,000), then runs
# workloads A (R resets, one call at a time) and B (V verifies) K times (default 3) for each
# driver on a fresh copy of that store, interleaved (one round runs every driver, in a rotating
# order): the bare-SQL floor (the library's own statements on rusqlite), the Rust API, Python,
# Node, and the Rust API from 8 threads sharing one handle. Every run checks its results (audit
# chain, reset targets) or the script fails. It prints one JSON line per run, then the table:
# medians of the runs, and "x floor" as the median over rounds of each run's ratio to the floor
# run of the same round. CPU is user + system time of the whole process per call (getrusage).
# All runs use WAL on a real disk (D, default target/bench; not a tmpfs), with the durability
# option `full` (synchronous=FULL, the default) or `normal` (synchronous=NORMAL, the floor too).
# `--drivers "floor rust ..."` runs a subset (the floor is always run: every ratio needs it).
set -euo pipefail
cd "$(dirname "$0")/.."

MEMBERS=10000 RESETS=5000 VERIFIES=20000 ROUNDS=3 DIR=target/bench
DRIVERS="floor rust python node rust-threads"
DURABILITY=full
while [ $# -gt 0 ]; do
  case "$1" in
    --members) MEMBERS=$2 ;;
    --resets) RESETS=$2 ;;
    --verifies) VERIFIES=$2 ;;
    --rounds) ROUNDS=$2 ;;
    --dir) DIR=$2 ;;
    --durability) DURABILITY=$2 ;;
    --drivers) DRIVERS="floor ${2//floor/}" ;;
    *)
      echo "usage: $0 [--members N] [--resets R] [--verifies V] [--rounds K] [--dir D] [--durability full|normal] [--drivers LIST]" >&2
      exit 2
      ;;
  esac
  shift 2
done

for n in "$MEMBERS" "$RESETS" "$VERIFIES" "$ROUNDS"; do
  if ! [[ "$n" =~ ^[1-9][0-9]*$ ]]; then
    echo "$0: --members, --resets, --verifies and --rounds take whole numbers of at least 1 (got $n)" >&2
    exit 2
  fi
done
if ((RESETS > MEMBERS)); then
  echo "$0: --resets ($RESETS) must not exceed --members ($MEMBERS): each reset targets another member" >&2
  exit 2
fi

step() { printf '==> %s\n' "$*" >&2; }

step "building the Rust workloads (release)"
cargo build --release --locked -p mfa-core --example workloads >&2
RUST=target/release/examples/workloads

if [[ " $DRIVERS " == *" python "* ]]; then
  step "building the Python module (release) into target/bench-venv"
  [ -x target/bench-venv/bin/python ] || python3 -m venv target/bench-venv
  target/bench-venv/bin/python -m pip install -q --disable-pip-version-check --force-reinstall --no-deps \
    ./bindings/python >&2
fi
if [[ " $DRIVERS " == *" node "* ]]; then
  step "building the Node addon (release)"
  (cd bindings/node && { [ -d node_modules ] || npm ci --no-audit --no-fund >&2; } && npx napi build --platform --release >&2)
fi

rm -rf "$DIR" && mkdir -p "$DIR"
step "fixture: $MEMBERS members enrolled, in $DIR"
"$RUST" --make-fixture "$DIR/fixture" "$MEMBERS"

drive() {
  case "$1" in
    floor | rust | rust-threads) "$RUST" --run "$1" "$DIR/fixture" "$RESETS" "$VERIFIES" "$DURABILITY" ;;
    python) target/bench-venv/bin/python examples/python/workloads.py --fixture "$DIR/fixture" \
      --resets "$RESETS" --verifies "$VERIFIES" --durability "$DURABILITY" ;;
    node) node examples/node/bench-driver.mjs "$DIR/fixture" "$RESETS" "$VERIFIES" "$DURABILITY" ;;
  esac
}

read -ra DRIVERS <<<"$DRIVERS"
for round in $(seq 1 "$ROUNDS"); do
  for k in "${!DRIVERS[@]}"; do
    which=${DRIVERS[$(((k + round - 1) % ${#DRIVERS[@]}))]}
    step "round $round: $which"
    drive "$which" | sed "s/^{/{\"round\":$round,/" | tee -a "$DIR/runs.jsonl"
  done
done

python3 - "$DIR/runs.jsonl" "$MEMBERS" "$RESETS" "$VERIFIES" "$DURABILITY" <<'EOF'
import json, statistics, sys

path, members, resets, verifies, durability = sys.argv[1], *sys.argv[2:]
runs = [json.loads(line) for line in open(path)]
floor = {r["round"]: r for r in runs if r["impl"] == "floor"}
names = {
    "floor": "floor (rusqlite, same statements)",
    "rust": "mfa-core, Rust",
    "python": "mfa-core, Python",
    "node": "mfa-core, Node",
    "rust-threads": "mfa-core, Rust, 8 threads",
}
print(f"\n{members} members, {resets} resets, {verifies} verifies, synchronous={durability.upper()}, "
      f"median of {len(floor)} interleaved rounds\n")
print("| | resets/s | x floor | verifies/s | x floor | CPU µs/reset | CPU µs/verify | reset p50 µs | verify p50 µs |")
print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
for impl, name in names.items():
    mine = [r for r in runs if r["impl"] == impl]
    if not mine:
        continue
    med = lambda w, k: statistics.median(r[w][k] for r in mine)
    ratio = lambda w: statistics.median(r[w]["ops_per_s"] / floor[r["round"]][w]["ops_per_s"] for r in mine)
    print(f"| {name} | {med('A_reset', 'ops_per_s'):,.0f} | {ratio('A_reset'):.2f} "
          f"| {med('B_verify', 'ops_per_s'):,.0f} | {ratio('B_verify'):.2f} "
          f"| {med('A_reset', 'cpu_us'):.0f} | {med('B_verify', 'cpu_us'):.0f} "
          f"| {med('A_reset', 'p50_us'):.0f} | {med('B_verify', 'p50_us'):.0f} |")
EOF
