#!/usr/bin/env bash
# The C suite: builds libmfa_core (debug) with its pkg-config file, then
#  - compiles every tests/c/test_*.c with -Wall -Wextra -Werror and runs it under
#    AddressSanitizer + UndefinedBehaviorSanitizer, then again under valgrind (no leaks);
#  - builds examples/c against the shared and the static library, runs both, checks the output.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v cc >/dev/null || need+=(gcc)
command -v valgrind >/dev/null || need+=(valgrind)
command -v pkg-config >/dev/null || need+=(pkg-config)
if ((${#need[@]})); then
    apt-get update -qq && apt-get install -y -qq "${need[@]}"
fi

prefix="$(./scripts/c-dist.sh target/c-dist debug | tail -n 1)"
# tests/c/test_key.c and the example open a store made by `mfa-admin init`.
cargo build -q -p mfa-cli
export MFA_ADMIN="$PWD/target/debug/mfa-admin"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
out=target/c-tests
mkdir -p "$out"

warn=(-std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -g)
cflags=$(pkg-config --cflags mfa_core)
libs=$(pkg-config --libs mfa_core)
rpath="-Wl,-rpath,$prefix/lib"

echo "--- every function of the header is called by a C test"
missing=0
for fn in $(grep -oE '\bmfa_[a-z_]+\(' include/mfa_core.h | tr -d '(' | sort -u); do
    grep -q "\b$fn(" tests/c/*.c tests/c/harness.h || { echo "no C test calls $fn" >&2; missing=1; }
done
((missing == 0))

for src in tests/c/test_*.c; do
    name="$(basename "$src" .c)"
    echo "--- $name (ASan + UBSan)"
    # shellcheck disable=SC2086
    cc "${warn[@]}" -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
        $cflags "$src" -o "$out/$name.asan" $libs $rpath -lpthread
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 "$out/$name.asan"

    echo "--- $name (valgrind)"
    # shellcheck disable=SC2086
    cc "${warn[@]}" $cflags "$src" -o "$out/$name" $libs $rpath -lpthread
    valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --show-leak-kinds=definite,indirect "$out/$name" >/dev/null
done

echo "--- examples/c (shared and static)"
# shellcheck disable=SC2086
cc "${warn[@]}" $cflags examples/c/host.c -o "$out/host-shared" $libs $rpath
# shellcheck disable=SC2086
cc "${warn[@]}" $cflags examples/c/host.c -o "$out/host-static" \
    "$prefix/lib/libmfa_core.a" $(pkg-config --libs-only-l --static mfa_core | sed 's/-lmfa_core//')
for kind in shared static; do
    rm -f "$out/host-$kind.db"*
    "$out/host-$kind" "$out/host-$kind.db" >"$out/host-$kind.out"
    ./examples/c/check-output.sh "$out/host-$kind.out"
done
echo "--- examples/c on a store and key file made by mfa-admin (MFA_CORE_DB, MFA_CORE_KEY_FILE)"
rm -rf "$out/admin" && mkdir -p "$out/admin"
export MFA_CORE_DB="$out/admin/mfa.db" MFA_CORE_KEY_FILE="$out/admin/mfa.key"
(unset MFA_CORE_KEY; "$MFA_ADMIN" init --generate-key >/dev/null)
"$out/host-shared" >"$out/host-admin.out"
./examples/c/check-output.sh "$out/host-admin.out"
grep -q "store $MFA_CORE_DB\$" "$out/host-admin.out"
echo "C suite passed"
