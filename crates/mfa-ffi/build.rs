//! Link settings of the shared library on Linux: a SONAME (`libmfa_core.so.0`, so hosts record
//! the ABI generation rather than a file name) and a version script that exports the `mfa_*`
//! functions and nothing else (the bundled SQLite and the Rust runtime stay private).

fn main() {
    println!("cargo:rerun-if-changed=mfa_core.map");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmfa_core.so.0");
    println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={dir}/mfa_core.map");
}
