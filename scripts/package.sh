#!/usr/bin/env bash
# Builds every release artifact into dist/ (git-ignored), in release mode:
#   dist/python/  the abi3 wheel (manylinux2014 / manylinux_2_17, x86-64) and the sdist
#   dist/npm/     mfa-core-<v>.tgz (loader, declarations, no binary) and
#                 mfa-core-linux-x64-gnu-<v>.tgz (the stripped release addon)
#   dist/c/       include/mfa_core.h, lib/libmfa_core.so{,.0,.0.1.0}, lib/libmfa_core.a,
#                 lib/pkgconfig/mfa_core.pc, lib/cmake/mfa_core/ (find_package(mfa_core))
#   dist/crates/  the .crate files of the crates published on crates.io
#   dist/bin/     mfa-admin, the operator tool
# scripts/test-package.sh tests them as a user gets them. docs/packaging.md explains the layout.
#
# Builds are shared: one cargo invocation (through `napi build --release`, which passes extra
# cargo arguments on) gives the Node addon, the C library and mfa-admin. The wheel is linked by zig for glibc 2.17, which changes the C compiler and linker
# seen by cargo, so it has a target directory of its own (target/wheel) instead of rebuilding
# the shared one back and forth.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

triple=x86_64-unknown-linux-gnu
release="target/$triple/release"
stage=target/package-stage
version="$(cargo pkgid -p mfa-core | sed 's/.*[#@]//')"
IFS=. read -r major minor patch <<<"${version%%[-+]*}"

step "tools (Debian: binutils, python3-venv, Node; PyPI: maturin, ziglang, auditwheel)"
need=()
command -v cc >/dev/null || need+=(gcc)
command -v objcopy >/dev/null || need+=(binutils)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3 python3-venv python3-pip)
command -v npm >/dev/null || need+=(nodejs npm)
if ((${#need[@]})); then
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
venv=target/package-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
    "maturin==1.16.*" "ziglang==0.17.*" "auditwheel==6.*"
if [ ! -x bindings/node/node_modules/.bin/napi ]; then
    (cd bindings/node && npm ci --no-audit --no-fund)
fi

rm -rf dist "$stage"
mkdir -p dist/python dist/npm dist/c/include dist/c/lib/pkgconfig dist/c/lib/cmake/mfa_core \
    dist/crates dist/bin "$stage"

step "Rust release build: the Node addon, the C library and mfa-admin in one cargo invocation"
# napi build runs cargo and passes the arguments after `--` on, so the three crates share one
# feature resolution and every dependency is compiled once (SQLite included).
(cd bindings/node && npx napi build --platform --release --target "$triple" \
    --output-dir "../../$stage/node-build" --package mfa-core-node -- -p mfa-ffi -p mfa-cli --locked)
cp "$release/mfa-admin" dist/bin/
strip --strip-unneeded dist/bin/mfa-admin

step "C: dist/c"
cp include/mfa_core.h dist/c/include/
# The shared library: SONAME libmfa_core.so.0 and only mfa_* exported (crates/mfa-ffi/build.rs).
so="libmfa_core.so.$version"
cp "$release/libmfa_core.so" "dist/c/lib/$so"
strip --strip-unneeded "dist/c/lib/$so"
ln -s "$so" "dist/c/lib/libmfa_core.so.$major"
ln -s "libmfa_core.so.$major" dist/c/lib/libmfa_core.so
# The static library bundles SQLite and the Rust runtime. Linked as they are, its sqlite3_*
# symbols would bind a host's own SQLite calls to mfa-core's copy (or clash with it). So the
# archive is linked into one relocatable object whose only global symbols are the mfa_*
# functions; everything else becomes local to it.
ld -r --whole-archive "$release/libmfa_core.a" -o "$stage/mfa_core.o"
# (readelf rather than nm: nm hands objects to any LTO plugin installed, and some crash on them.)
readelf -Ws "$stage/mfa_core.o" | awk '($5 == "GLOBAL" || $5 == "WEAK") && $7 != "UND" && $8 ~ /^mfa_/ { print $8 }' \
    | sort -u >"$stage/mfa_core.exports"
# The LLVM bitcode rustc embeds (.llvmbc, .llvmcmd) goes too: no C toolchain needs it, it is
# half the size, and binutils' LLVM plugin, where installed, crashes on it ("Invalid encoding").
objcopy --keep-global-symbols="$stage/mfa_core.exports" --strip-debug \
    --remove-section=.llvmbc --remove-section=.llvmcmd "$stage/mfa_core.o" "$stage/mfa_core.local.o"
rm -f dist/c/lib/libmfa_core.a
ar rcsD dist/c/lib/libmfa_core.a "$stage/mfa_core.local.o"
# Relocatable pkg-config and CMake files: both find the prefix from where they lie.
sed -e 's|@PREFIX@|${pcfiledir}/../..|' -e "s|@VERSION@|$version|" crates/mfa-ffi/mfa_core.pc.in \
    >dist/c/lib/pkgconfig/mfa_core.pc
for f in mfa_coreConfig.cmake mfa_coreConfigVersion.cmake; do
    sed -e "s|@VERSION@|$version|g" -e "s|@SOVERSION@|$major|g" -e "s|@MAJOR@|$major|g" \
        -e "s|@MINOR@|$minor|g" "packaging/cmake/$f" >"dist/c/lib/cmake/mfa_core/$f"
done
cp LICENSE LICENSE-MIT LICENSE-APACHE dist/c/

step "Node: the main package and the linux-x64-gnu package (napi create-npm-dirs, artifacts, pre-publish)"
node_stage="$stage/npm/mfa-core"
mkdir -p "$node_stage/artifacts"
# The files the source package would publish (npm's own list), minus any binary.
(cd bindings/node && npm pack --dry-run --json --ignore-scripts) >"$stage/source-files.json"
node packaging/npm/stage.mjs bindings/node "$stage/source-files.json" "$node_stage"
cp README.md LICENSE LICENSE-MIT LICENSE-APACHE "$node_stage/"
# The addon as built, stripped: symbols and debug info are of no use to a user (and large).
addon="$(cd "$stage/node-build" && ls ./*.node)"
strip --strip-unneeded -o "$node_stage/artifacts/$(basename "$addon")" "$stage/node-build/$addon"
# napi's own release steps: one package per platform (npm/<platform>/package.json), the addon
# moved into it, then the main package's optionalDependencies and versions brought in line.
napi=(node "$PWD/bindings/node/node_modules/@napi-rs/cli/dist/cli.js")
(
    cd "$node_stage"
    "${napi[@]}" create-npm-dirs
    "${napi[@]}" artifacts --output-dir artifacts
    "${napi[@]}" pre-publish --skip-optional-publish
    # `artifacts` copies (rather than moves) the addon, here too; the main package has none.
    rm -rf artifacts ./*.node
)
for dir in "$node_stage"/npm/*/; do
    cp LICENSE LICENSE-MIT LICENSE-APACHE "$dir"
    node packaging/npm/platform.mjs "$dir/package.json"
done
for dir in "$node_stage" "$node_stage"/npm/*/; do
    (cd "$dir" && npm pack --silent --pack-destination "$OLDPWD/dist/npm" >/dev/null)
done

step "Python: the abi3 wheel (maturin --zig, manylinux2014) and the sdist"
# zig links against glibc 2.17 symbols, which is what the manylinux2014 tag promises.
PATH="$PWD/$venv/bin:$PATH" CARGO_TARGET_DIR=target/wheel maturin build --locked --release \
    --zig --compatibility manylinux2014 --target "$triple" \
    -m bindings/python/Cargo.toml --out dist/python
PATH="$PWD/$venv/bin:$PATH" maturin sdist -m bindings/python/Cargo.toml --out dist/python
wheel="$(ls dist/python/*.whl)"
case "$wheel" in
    *-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl) ;;
    *) echo "unexpected wheel tag: $wheel" >&2; exit 1 ;;
esac
"$venv/bin/auditwheel" show "$wheel" | tee "$stage/auditwheel.txt"
# (auditwheel wraps its lines.)
tr -s '\n ' '  ' <"$stage/auditwheel.txt" \
    | grep 'consistent with the following platform tag: "manylinux_2_17_x86_64"' >/dev/null

step "Rust: cargo package (mfa-core and mfa-cli, the crates meant for crates.io)"
# Both are packaged in one invocation, so mfa-cli's packaged lock file resolves mfa-core to the
# .crate made here rather than the registry's (where this version is not yet). mfa-core is then
# verified (its .crate unpacked and built alone). mfa-cli is not: cargo would build it against
# that same-version mfa-core cached from an earlier run, whose unpacked source and build it
# never refreshes; the workspace build above is mfa-admin from these very sources. The
# verification build is a debug build that reuses target/debug. The other crates are
# publish = false: the C ABI, the Python and Node bindings ship as the artifacts above, and
# the scenario runner is a test tool.
cargo package --locked -p mfa-core -p mfa-cli --no-verify
cargo package --locked -p mfa-core
cp target/package/mfa-core-"$version".crate target/package/mfa-cli-"$version".crate dist/crates/

step "dist/"
(cd dist && find . -type f -o -type l | sort)
