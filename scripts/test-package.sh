#!/usr/bin/env bash
# Tests the release artifacts as a user gets them. Builds them first with scripts/package.sh
# (skip with MFA_SKIP_PACKAGE=1 to test an existing dist/), then:
#  - the tarballs, wheel and libraries hold what they should and nothing else;
#  - Python: the wheel installed into a fresh venv runs the README's quickstart;
#  - Node: the two npm tarballs installed into a fresh folder outside the source tree, with no
#    Rust on PATH, run the README's quickstart as ESM and as CommonJS;
#  - C: examples/c/host.c built against dist/c with CMake (find_package) and with pkg-config,
#    shared and static, and run; a host linking the static library and the system SQLite keeps
#    its own SQLite;
#  - every surface reports the workspace version.
set -euo pipefail
# (No `cmd | grep -q`: grep -q stops reading at the first match and pipefail then fails on
# the writer's SIGPIPE.)
cd "$(dirname "$0")/.."
root="$PWD"

step() { printf '\n==> %s\n' "$*"; }
fail() { echo "test-package: $*" >&2; exit 1; }

need=()
command -v cc >/dev/null || need+=(gcc)
command -v cmake >/dev/null || need+=(cmake)
command -v pkg-config >/dev/null || need+=(pkg-config)
[ -f /usr/include/sqlite3.h ] || need+=(libsqlite3-dev)
command -v unzip >/dev/null || need+=(unzip)
if ((${#need[@]})); then
    step "installing ${need[*]} (Debian)"
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ "${MFA_SKIP_PACKAGE:-0}" != 1 ]; then
    ./scripts/package.sh
fi

version="$(cargo pkgid -p mfa-core | sed 's/.*[#@]//')"
IFS=. read -r major minor patch <<<"${version%%[-+]*}"
work="$(mktemp -d /tmp/mfa-core-package-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
# What a user has: no Rust toolchain on PATH.
user_path=/usr/local/bin:/usr/bin:/bin

# Extracts the first fenced block of kind $2 after the heading $1 ("## Use from Python") and
# the following "### Quickstart" of README.md.
readme_block() {
    awk -v section="$1" -v kind="$2" '
        $0 == section { in_section = 1; next }
        in_section && /^## / { exit }
        in_section && $0 == "### Quickstart" { in_quick = 1; next }
        in_quick && !in_code && $0 == "```" kind { in_code = 1; next }
        in_code && $0 == "```" { exit }
        in_code { print }
    ' README.md
}

step "artifact contents"
# npm: the main package has the loader and no binary; the platform package only the addon.
main_tgz="dist/npm/mfa-core-$version.tgz"
platform_tgz="dist/npm/mfa-core-linux-x64-gnu-$version.tgz"
[ -f "$main_tgz" ] && [ -f "$platform_tgz" ] || fail "missing npm tarballs in dist/npm: $(ls dist/npm)"
tar tzf "$main_tgz" | sort >"$work/main.list"
tar tzf "$platform_tgz" | sort >"$work/platform.list"
cat "$work/main.list"
main_entry="$(node -p 'require("./bindings/node/package.json").main')"
for f in package.json README.md LICENSE LICENSE-MIT LICENSE-APACHE "$main_entry" index.js index.d.ts; do
    grep -qx "package/$f" "$work/main.list" || fail "$main_tgz lacks $f"
done
if grep -E '\.node$|\.rs$|Cargo\.toml|build\.rs|/src/|/tests/|node_modules|dts-header|package-lock' \
    "$work/main.list"; then
    fail "$main_tgz holds files a user does not need (above)"
fi
printf 'package/%s\n' LICENSE LICENSE-APACHE LICENSE-MIT README.md mfa-core.linux-x64-gnu.node \
    package.json | sort >"$work/platform.expected"
diff -u "$work/platform.expected" "$work/platform.list" || fail "$platform_tgz: unexpected files"
tar xzf "$platform_tgz" -C "$work" package/mfa-core.linux-x64-gnu.node
addon="$work/package/mfa-core.linux-x64-gnu.node"
if readelf -S "$addon" | grep -E '\.symtab|\.debug_' >/dev/null; then fail "the shipped addon is not stripped"; fi
size=$(stat -c %s "$addon")
echo "addon: $size bytes"
((size < 10 * 1024 * 1024)) || fail "the shipped addon is $size bytes"
main_json="$(tar xzOf "$main_tgz" package/package.json)"
node -e '
    const m = JSON.parse(process.argv[1]), v = process.argv[2]
    const fail = (msg) => { console.error(msg); process.exit(1) }
    if (m.private) fail("the main package is private")
    if (m.optionalDependencies?.["mfa-core-linux-x64-gnu"] !== v) fail("optionalDependencies: " + JSON.stringify(m.optionalDependencies))
    // Node-API 8 and the syntax of the wrapper: 14.17 and later, not 12.
    if (!/\^14\.17\.0/.test(m.engines?.node ?? "") || /(^|\s)\^?12\./.test(m.engines.node)) fail("engines.node: " + m.engines?.node)
    if (!m.files.includes(m.main)) fail("the main entry " + m.main + " is not published")
    if (m.scripts || m.devDependencies) fail("development-only fields in the published manifest")
' "$main_json" "$version"

# Python: the wheel holds the package and its metadata only.
wheel="dist/python/mfa_core-$version-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"
[ -f "$wheel" ] || fail "no manylinux2014 abi3 wheel: $(ls dist/python)"
unzip -Z1 "$wheel" | sort | tee "$work/wheel.list"
grep -qx 'mfa_core/_native.abi3.so' "$work/wheel.list" || fail "wheel lacks the extension"
grep -qx 'mfa_core/py.typed' "$work/wheel.list" || fail "wheel lacks py.typed"
for f in LICENSE LICENSE-MIT LICENSE-APACHE; do
    grep -qx "mfa_core-$version.dist-info/licenses/$f" "$work/wheel.list" || fail "wheel lacks $f"
done
if grep -vE '^mfa_core/|^mfa_core-[^/]+\.dist-info/' "$work/wheel.list"; then fail "stray files in the wheel"; fi
[ -f "dist/python/mfa_core-$version.tar.gz" ] || fail "no sdist"
tar tzf "dist/python/mfa_core-$version.tar.gz" | grep '/crates/mfa-core/src/lib.rs$' >/dev/null \
    || fail "the sdist lacks the core's source"

# C: SONAME and symlinks; only mfa_* defined and visible in both libraries.
lib=dist/c/lib
[ "$(readlink "$lib/libmfa_core.so")" = "libmfa_core.so.$major" ] || fail "libmfa_core.so link"
[ "$(readlink "$lib/libmfa_core.so.$major")" = "libmfa_core.so.$version" ] || fail "libmfa_core.so.$major link"
readelf -d "$lib/libmfa_core.so.$version" | grep "SONAME.*\[libmfa_core.so.$major\]" >/dev/null || fail "SONAME"
# Both libraries define, as global symbols, exactly the functions the header declares. (readelf
# for the archive: nm hands objects to any LTO plugin installed, and some crash on Rust's.)
declared=$(grep -oE '\bmfa_[a-z0-9_]+\(' dist/c/include/mfa_core.h | tr -d '(' | sort -u)
exported=$(nm -D --defined-only "$lib/libmfa_core.so.$version" | awk '{ print $3 }' | sort)
diff -u <(echo "$declared") <(echo "$exported") || fail "libmfa_core.so exports other symbols than the header's"
global=$(readelf -Ws "$lib/libmfa_core.a" | awk '($5 == "GLOBAL" || $5 == "WEAK") && $7 != "UND" { print $8 }' | sort)
diff -u <(echo "$declared") <(echo "$global") || fail "libmfa_core.a has other global symbols than the header's"

# The quickstarts load the key with each package's helper from MFA_CORE_KEY_FILE: a hex key file
# as `mfa-admin init --generate-key` writes it (mode 0600).
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/mfa-core.key" && echo >>"$work/mfa-core.key")
export MFA_CORE_KEY_FILE="$work/mfa-core.key"

step "Python: the wheel in a fresh venv, the README quickstart"
"${PYTHON:-python3}" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --disable-pip-version-check --no-index "$wheel"
readme_block "## Use from Python" python >"$work/quickstart.py"
[ -s "$work/quickstart.py" ] || fail "no Python quickstart in README.md"
(cd "$work" && PATH="$user_path" "$work/venv/bin/python" quickstart.py) | tee "$work/py.out"
grep -q '^forbidden 403 urn:mfa-core:error:forbidden$' "$work/py.out" || fail "Python quickstart output"
py_version="$("$work/venv/bin/python" -c 'import mfa_core; print(mfa_core.__version__)')"

step "Node: the npm tarballs in a fresh folder, the README quickstart (ESM and CommonJS)"
app="$work/node-app"
mkdir -p "$app"
cp "$main_tgz" "$platform_tgz" "$app/"
(
    cd "$app"
    echo '{ "name": "quickstart", "version": "1.0.0", "private": true }' >package.json
    PATH="$user_path" npm install --no-audit --no-fund --offline \
        "./mfa-core-linux-x64-gnu-$version.tgz" "./mfa-core-$version.tgz"
)
if find "$app/node_modules/mfa-core" -name '*.node' | grep .; then fail "a binary in the main package"; fi
readme_block "## Use from Node" js >"$app/quickstart.mjs"
[ -s "$app/quickstart.mjs" ] || fail "no Node quickstart in README.md"
# The same program as CommonJS: require() instead of import, top-level await in an async main.
{
    sed -nE "s/^import \{ (.*) \} from '(.*)'$/const { \1 } = require('\2')/p" "$app/quickstart.mjs"
    echo 'async function main() {'
    grep -v '^import ' "$app/quickstart.mjs"
    echo '}'
    echo 'main().catch((err) => { console.error(err); process.exit(1) })'
} >"$app/quickstart.cjs"
for kind in mjs cjs; do
    echo "--- quickstart.$kind"
    (cd "$app" && PATH="$user_path" node "quickstart.$kind") | tee "$app/$kind.out"
    grep -q '^MFA_FORBIDDEN 403 urn:mfa-core:error:forbidden$' "$app/$kind.out" || fail "Node quickstart ($kind)"
    [ "$(tail -n 1 "$app/$kind.out")" = true ] || fail "Node quickstart ($kind): the audit trail"
done
node_versions="$(cd "$app" && node -p '[require("mfa-core/package.json").version, require("mfa-core-linux-x64-gnu/package.json").version].join(" ")')"

step "C: CMake (find_package) and pkg-config against dist/c, shared and static"
c="$work/c"
cmake -S tests/package -B "$c/cmake" -DCMAKE_PREFIX_PATH="$root/dist/c" \
    -DEXAMPLE_DIR="$root/examples/c" -DMFA_VERSION="$version" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$c/cmake" -j 2 >/dev/null
export PKG_CONFIG_PATH="$root/dist/c/lib/pkgconfig"
[ "$(pkg-config --modversion mfa_core)" = "$version" ] || fail "pkg-config version"
warn=(-std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror)
# shellcheck disable=SC2046
cc "${warn[@]}" examples/c/host.c -o "$c/pc-shared" $(pkg-config --cflags --libs mfa_core) \
    -Wl,-rpath,"$(pkg-config --variable=libdir mfa_core)"
# shellcheck disable=SC2046
cc "${warn[@]}" $(pkg-config --cflags mfa_core) examples/c/host.c -o "$c/pc-static" \
    "$(pkg-config --variable=libdir mfa_core)/libmfa_core.a" \
    $(pkg-config --static --libs-only-l mfa_core | sed 's/-lmfa_core//')
for host in "$c/cmake/host-shared" "$c/cmake/host-static" "$c/pc-shared" "$c/pc-static"; do
    echo "--- $(basename "$(dirname "$host")")/$(basename "$host")"
    case "$host" in
        *shared) readelf -d "$host" | grep "NEEDED.*\[libmfa_core.so.$major\]" >/dev/null || fail "$host: NEEDED" ;;
        *static) if readelf -d "$host" | grep 'NEEDED.*libmfa_core' >/dev/null; then fail "$host: not static"; fi ;;
    esac
    rm -f "$work/host.db"*
    "$host" "$work/host.db" >"$work/host.out"
    ./examples/c/check-output.sh "$work/host.out"
done
echo "--- the static library next to the system SQLite"
"$c/cmake/sqlite-host" "$work/sqlite-host.db"
c_versions="$("$c/cmake/version")"
echo "$c_versions"

step "one version everywhere ($version, the workspace's)"
expected_number=$((major * 1000000 + minor * 1000 + patch))
check() { [ "$2" = "$3" ] || fail "$1 is $2, the workspace is $3"; echo "$1: $2"; }
check "mfa_core.__version__ (Python)" "$py_version" "$version"
check "mfa-core, mfa-core-linux-x64-gnu (npm)" "$node_versions" "$version $version"
check "MFA_CORE_VERSION (C header)" "$(sed -n 's/^MFA_CORE_VERSION=//p' <<<"$c_versions")" "$version"
check "MFA_VERSION_NUMBER (C header)" "$(sed -n 's/^MFA_VERSION_NUMBER=//p' <<<"$c_versions")" "$expected_number"
check "mfa_version() (C library)" "$(sed -n 's/^mfa_version()=//p' <<<"$c_versions")" "$version"
check "mfa-admin --version" "$(PATH="$user_path" dist/bin/mfa-admin --version)" "mfa-admin $version"
check "pyproject version (wheel name)" "$(basename "$wheel" | cut -d- -f2)" "$version"
[ -f "dist/crates/mfa-core-$version.crate" ] || fail "no mfa-core-$version.crate"
[ -f "dist/crates/mfa-cli-$version.crate" ] || fail "no mfa-cli-$version.crate"

step "release artifacts passed"
