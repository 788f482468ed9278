#!/usr/bin/env bash
# The fuzz regression step of the test suite: builds every target once, then runs each for a
# fixed budget (default 30 s, or FUZZ_SECONDS) on its checked-in corpus plus new inputs.
# Any crash, hang or broken invariant fails the step. docs/fuzzing.md explains.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/fuzz-targets.sh
source scripts/fuzz-targets.sh

seconds="${FUZZ_SECONDS:-30}"
dir="$(./scripts/fuzz-build.sh | tail -n 1)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failed=()
for target in "${FUZZ_TARGETS[@]}"; do
    echo "--- $target ($seconds s)"
    mkdir -p "$work/$target" fuzz/artifacts/$target
    # New inputs go to a scratch folder: the checked-in corpus only changes by hand.
    if "$dir/$target" "${FUZZ_OPTS[@]}" -dict="$(fuzz_dict "$target")" -max_total_time="$seconds" \
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
