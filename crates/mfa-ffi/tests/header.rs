//! `include/mfa_core.h` is what cbindgen makes of this crate today: the test fails when a
//! change to the ABI is not in the checked-in header. `MFA_REGENERATE_HEADER=1 cargo test -p
//! mfa-ffi --test header` rewrites it.

use std::ffi::CStr;
use std::path::{Path, PathBuf};

const CRATE_DIR: &str = env!("CARGO_MANIFEST_DIR");

fn header_path() -> PathBuf {
    Path::new(CRATE_DIR).join("../../include/mfa_core.h")
}

/// The version macros, from the crate's version (which is the workspace's).
fn version_macros(version: &str) -> String {
    let mut parts = version.split(['.', '-', '+']);
    let mut next = || parts.next().expect("a semver version");
    let (major, minor, patch) = (next(), next(), next());
    let number = version_number(major, minor, patch);
    format!(
        "\n/** The version of this header; mfa_version() gives the library's. */\n\
         #define MFA_CORE_VERSION \"{version}\"\n\
         #define MFA_CORE_VERSION_MAJOR {major}\n\
         #define MFA_CORE_VERSION_MINOR {minor}\n\
         #define MFA_CORE_VERSION_PATCH {patch}\n\
         /** The same as one number, MAJOR * 1000000 + MINOR * 1000 + PATCH, for `#if` checks. */\n\
         #define MFA_VERSION_NUMBER {number}\n"
    )
}

/// `MAJOR * 1000000 + MINOR * 1000 + PATCH` (SQLite's scheme), so `#if MFA_VERSION_NUMBER >= ...`
/// compares versions; each part must stay below 1000 for the number to be unambiguous.
fn version_number(major: &str, minor: &str, patch: &str) -> u64 {
    let part = |p: &str| {
        let n: u64 = p.parse().expect("a numeric version part");
        assert!(n < 1000, "version part {n} does not fit MFA_VERSION_NUMBER");
        n
    };
    part(major) * 1_000_000 + part(minor) * 1000 + part(patch)
}

fn generate() -> String {
    let mut config =
        cbindgen::Config::from_file(Path::new(CRATE_DIR).join("cbindgen.toml")).expect("cbindgen.toml");
    config.after_includes = Some(version_macros(env!("CARGO_PKG_VERSION")));
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_crate(CRATE_DIR)
        .with_config(config)
        .generate()
        .expect("cbindgen")
        .write(&mut out);
    String::from_utf8(out).expect("UTF-8 header")
}

#[test]
fn checked_in_header_matches_the_code() {
    let fresh = generate();
    if std::env::var_os("MFA_REGENERATE_HEADER").is_some() {
        std::fs::write(header_path(), &fresh).expect("write header");
    }
    let checked_in = std::fs::read_to_string(header_path()).unwrap_or_default();
    assert!(
        checked_in == fresh,
        "include/mfa_core.h is stale: run `MFA_REGENERATE_HEADER=1 cargo test -p mfa-ffi --test header` and commit it"
    );
}

fn define<'a>(header: &'a str, name: &str) -> &'a str {
    header
        .lines()
        .find_map(|l| l.strip_prefix("#define ")?.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{name} is not defined in the header"))
}

#[test]
fn header_version_macros_match_cargo_toml() {
    let manifest =
        std::fs::read_to_string(Path::new(CRATE_DIR).join("../../Cargo.toml")).expect("Cargo.toml");
    let manifest: toml::Table = manifest.parse().expect("valid TOML");
    let version = manifest["workspace"]["package"]["version"].as_str().expect("workspace version");

    let header = std::fs::read_to_string(header_path()).expect("include/mfa_core.h");
    assert_eq!(define(&header, "MFA_CORE_VERSION"), format!("\"{version}\""));
    let numbers: Vec<&str> = version.split('.').collect();
    assert_eq!(define(&header, "MFA_CORE_VERSION_MAJOR"), numbers[0]);
    assert_eq!(define(&header, "MFA_CORE_VERSION_MINOR"), numbers[1]);
    assert_eq!(define(&header, "MFA_CORE_VERSION_PATCH"), numbers[2]);
    let number: u64 = numbers[0].parse::<u64>().unwrap() * 1_000_000
        + numbers[1].parse::<u64>().unwrap() * 1000
        + numbers[2].parse::<u64>().unwrap();
    assert_eq!(define(&header, "MFA_VERSION_NUMBER"), number.to_string());

    // SAFETY: mfa_version returns static NUL-terminated text.
    let runtime = unsafe { CStr::from_ptr(mfa_core::mfa_version()) }.to_str().unwrap();
    assert_eq!(runtime, version);
}
