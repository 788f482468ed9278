#!/usr/bin/env bash
# A long fuzzing campaign of one target: scripts/fuzz.sh TARGET MINUTES
#
# Starts from the checked-in seeds (fuzz/corpus/TARGET) plus what earlier campaigns kept
# (fuzz/corpus-run/TARGET, not checked in), writes findings to fuzz/artifacts/TARGET/, then
# minimises every finding (-minimize_crash) and the grown corpus (-merge, the `cmin` step) into
# fuzz/artifacts/TARGET/cmin/. Exits 1 when anything was found. docs/fuzzing.md explains how to
# turn a finding into a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/fuzz-targets.sh
source scripts/fuzz-targets.sh

target="${1:?usage: scripts/fuzz.sh TARGET MINUTES (targets: ${FUZZ_TARGETS[*]})}"
minutes="${2:?usage: scripts/fuzz.sh TARGET MINUTES}"
[[ " ${FUZZ_TARGETS[*]} " == *" $target "* ]] || { echo "unknown target $target" >&2; exit 2; }

# FUZZ_BIN_DIR: use targets built earlier (for example copied away while the tree changes).
bin="${FUZZ_BIN_DIR:-$(./scripts/fuzz-build.sh | tail -n 1)}/$target"
run=fuzz/corpus-run/$target
out=fuzz/artifacts/$target
mkdir -p "$run" "$out"
log="$out/campaign.log"

status=0
"$bin" "${FUZZ_OPTS[@]}" -dict="$(fuzz_dict "$target")" -max_total_time=$((minutes * 60)) \
    -artifact_prefix="$out/" "$run" "fuzz/corpus/$target" 2>&1 | tee "$log" | grep -E '^#[0-9]+ +(pulse|DONE)|^stat::|ERROR|panicked' || true
findings=("$out"/crash-* "$out"/timeout-* "$out"/oom-* "$out"/leak-*)
for f in "${findings[@]}"; do
    [[ -e "$f" && "$f" != *.min ]] || continue
    status=1
    echo "--- minimising $f" >&2
    "$bin" -minimize_crash=1 -runs=20000 -exact_artifact_path="$f.min" "$f" >/dev/null 2>&1 || true
    echo "finding: $f (minimised: $f.min)" >&2
    "$bin" "$f.min" 2>&1 | grep -A12 -m1 'panicked\|ERROR' >&2 || true
done

# cmin: the smallest set of inputs with the same coverage, to refresh fuzz/corpus/TARGET.
rm -rf "$out/cmin" && mkdir -p "$out/cmin"
"$bin" -merge=1 "${FUZZ_OPTS[@]}" "$out/cmin" "fuzz/corpus/$target" "$run" >/dev/null 2>&1 || true
echo "campaign $target: $(grep -c . <<<"$(ls "$run")") inputs kept, $(ls "$out/cmin" | wc -l) after cmin; log $log" >&2
exit "$status"
