//! `demo` runs the whole story with no key, no store and no set-up, and leaves nothing behind.

mod common;

use common::*;

#[test]
fn demo_needs_no_set_up_and_tells_the_story() {
    let out = bare().arg("demo").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for step in [
        "otpauth://totp/Acme:bob%40acme.example?secret=",
        "bob signs in: totp accepted",
        "reset: enrolled -> enrollment_required",
        "bob: locked_out",
        "bob tries to enroll: forbidden",
        "bob tries to reset ada: forbidden",
        "reset: locked_out -> enrollment_required",
        "bob enrolls again: enrolled",
        "mfa.reset            denied   forbidden",
        "verified: ok=true (12 events checked",
    ] {
        assert!(text.contains(step), "missing {step:?} in:\n{text}");
    }
    assert!(text.contains('▀') || text.contains('▄'), "no QR code drawn");
    // The throwaway store is gone.
    let path = text.lines().next().unwrap().split_whitespace().find(|w| w.ends_with("demo.db")).unwrap();
    assert!(!std::path::Path::new(path).exists(), "{path} was left behind");
}

#[test]
fn demo_ignores_a_configured_store_and_refuses_json() {
    let store = Store::new();
    let out = store.cmd(&["demo"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(store.ok(&["org", "list"]), "", "the demo wrote to the operator's store");
    store.fails(&["demo", "--json"], 2);
}
