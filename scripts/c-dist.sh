#!/usr/bin/env bash
# Builds the C library and lays it out for C hosts:
#   PREFIX/include/mfa_core.h, PREFIX/lib/libmfa_core.{so,a}, PREFIX/lib/pkgconfig/mfa_core.pc
# (libmfa_core.so -> libmfa_core.so.MAJOR -> libmfa_core.so.VERSION, the library's SONAME being
# libmfa_core.so.MAJOR). scripts/package.sh makes the release layout, dist/c.
# Usage: scripts/c-dist.sh [PREFIX] [debug|release]   (defaults: target/c-dist, release)
set -euo pipefail
cd "$(dirname "$0")/.."

prefix="$(realpath -m "${1:-target/c-dist}")"
profile="${2:-release}"
case "$profile" in
    release) cargo build --locked --release -p mfa-ffi ;;
    debug) cargo build --locked -p mfa-ffi ;;
    *) echo "profile must be debug or release, not $profile" >&2; exit 2 ;;
esac

version="$(cargo pkgid -p mfa-ffi | sed 's/.*[#@]//')"
mkdir -p "$prefix/include" "$prefix/lib/pkgconfig"
cp include/mfa_core.h "$prefix/include/"
cp "target/$profile/libmfa_core.a" "$prefix/lib/"
cp "target/$profile/libmfa_core.so" "$prefix/lib/libmfa_core.so.$version"
ln -sfn "libmfa_core.so.$version" "$prefix/lib/libmfa_core.so.${version%%.*}"
ln -sfn "libmfa_core.so.${version%%.*}" "$prefix/lib/libmfa_core.so"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" crates/mfa-ffi/mfa_core.pc.in \
    >"$prefix/lib/pkgconfig/mfa_core.pc"
echo "$prefix"
