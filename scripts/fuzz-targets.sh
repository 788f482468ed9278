# Sourced by the fuzz scripts: the targets and the options every run shares.
# shellcheck shell=bash
FUZZ_TARGETS=(ffi_calls core_api totp scenario cli_inputs)

# The dictionary of a target (calls.dict serves both call-program targets).
fuzz_dict() {
    case "$1" in
        ffi_calls | core_api) echo fuzz/dict/calls.dict ;;
        *) echo "fuzz/dict/$1.dict" ;;
    esac
}

# One process per target (the machine may be shared), a 10 s hang is a finding, and memory is
# capped well above what any input needs.
FUZZ_OPTS=(-timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1)
