#!/usr/bin/env bash
# Builds every fuzz target in fuzz/ once, on stable Rust, with the instrumentation cargo-fuzz
# passes for `--sanitizer none`; prints the folder of the binaries. docs/fuzzing.md explains.
set -euo pipefail
cd "$(dirname "$0")/.."

# The explicit --target keeps build scripts and proc macros uninstrumented.
triple=x86_64-unknown-linux-gnu
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
export CARGO_TARGET_DIR="$PWD/fuzz/target"
cargo build --manifest-path fuzz/Cargo.toml --release --target "$triple" --bins "$@" >&2
echo "$CARGO_TARGET_DIR/$triple/release"
