#!/usr/bin/env bash
# The fuzz regression step of the test suite: builds every target once, replays its checked-in
# corpus, then tries a fixed number of new inputs (FUZZ_RUNS, default 40000: about 30 s each)
# from a fixed seed (FUZZ_SEED, default 1). Fixed runs and seed keep the step's work the same
# from run to run (not its exact path: the targets' stores draw random ids and secrets, which
# steer coverage), so CI mostly replays known ground; finding new bugs is the job of
# scripts/fuzz.sh campaigns. Every finding, here or there, becomes a corpus file. Any crash, hang or broken invariant
# fails the step. docs/fuzzing.md explains.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/fuzz-targets.sh
source scripts/fuzz-targets.sh

runs="${FUZZ_RUNS:-40000}"
seed="${FUZZ_SEED:-1}"
dir="$(./scripts/fuzz-build.sh | tail -n 1)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failed=()
for target in "${FUZZ_TARGETS[@]}"; do
    echo "--- $target ($runs runs, seed $seed)"
    mkdir -p "$work/$target" fuzz/artifacts/$target
    # New inputs go to a scratch folder: the checked-in corpus only changes by hand.
    if "$dir/$target" "${FUZZ_OPTS[@]}" -dict="$(fuzz_dict "$target")" -runs="$runs" -seed="$seed" \
        -artifact_prefix="fuzz/artifacts/$target/" "$work/$target" "fuzz/corpus/$target" \
        >"$work/$target.log" 2>&1; then
        grep -E '^stat::number_of_executed_units|^#[0-9]+ +DONE' "$work/$target.log" || true
    else
        failed+=("$target")
        grep -B2 -A25 -m1 'panicked\|ERROR: libFuzzer\|==ERROR' "$work/$target.log" >&2 || tail -n 40 "$work/$target.log" >&2
        echo "finding saved in fuzz/artifacts/$target/ (see docs/fuzzing.md)" >&2
    fi
done
if ((${#failed[@]})); then
    echo "fuzz targets failed: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz targets passed"
