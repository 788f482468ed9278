//! The runner itself: a scenario that disagrees with the surface must fail, naming its file
//! and step, so that a passing replay means something.

use std::path::PathBuf;

use mfa_scenarios::{CoreDriver, Mismatch, T0, run_dir, run_file};

fn scenario(dir: &tempfile::TempDir, file: &str, steps: &str) -> PathBuf {
    let path = dir.path().join(file);
    let text = format!(r#"{{"name": "probe", "covers": ["s4"], "steps": [{steps}]}}"#);
    std::fs::write(&path, text).unwrap();
    path
}

const SETUP: &str = r#"
    {"op": "create_org", "args": {"name": "Acme", "policy": {}}, "as": "acme"},
    {"op": "create_user", "args": {"org": "acme", "email": "olga@acme.test", "role": "owner"}, "as": "olga"},
    {"op": "create_user", "args": {"org": "acme", "email": "bob@acme.test", "role": "member"}, "as": "bob"}"#;

fn run(steps: &str) -> Result<(), Mismatch> {
    let dir = tempfile::tempdir().unwrap();
    run_file(&scenario(&dir, "probe.json", &format!("{SETUP}, {steps}")), CoreDriver::open)
}

#[test]
fn a_matching_scenario_passes() {
    run(r#"{"op": "reset_mfa", "args": {"actor": "olga", "target": "bob"}, "expect": {"error": "mfa_not_enabled"}}"#)
        .unwrap();
}

#[test]
fn a_wrong_error_code_fails_at_its_step() {
    let m = run(r#"{"op": "reset_mfa", "args": {"actor": "olga", "target": "bob"}, "expect": {"error": "forbidden"}}"#)
        .unwrap_err();
    assert_eq!(m.step, Some(3));
    assert!(m.file.ends_with("probe.json"));
    assert!(m.message.contains("mfa_not_enabled"), "{m}");
    assert!(m.to_string().starts_with("probe.json step 3"), "{m}");
}

#[test]
fn a_wrong_retry_after_fails() {
    let dir = tempfile::tempdir().unwrap();
    let steps = |retry_after: u64| {
        format!(
            r#"{{"op": "create_org", "args": {{"name": "Acme", "policy": {{"reset_limit_per_hour": 1}}}}, "as": "acme"}},
            {{"op": "create_user", "args": {{"org": "acme", "email": "olga@acme.test", "role": "owner"}}, "as": "olga"}},
            {{"op": "create_user", "args": {{"org": "acme", "email": "bob@acme.test", "role": "member"}}, "as": "bob"}},
            {{"op": "enroll", "args": {{"user": "bob"}}}},
            {{"op": "reset_mfa", "args": {{"actor": "olga", "target": "bob"}}}},
            {{"advance": 600}},
            {{"op": "reset_mfa", "args": {{"actor": "olga", "target": "bob"}},
             "expect": {{"error": "rate_limited", "retry_after": {retry_after}}}}}"#
        )
    };
    run_file(&scenario(&dir, "right.json", &steps(3000)), CoreDriver::open).unwrap();
    let m = run_file(&scenario(&dir, "wrong.json", &steps(3600)), CoreDriver::open).unwrap_err();
    assert_eq!(m.step, Some(6));
    assert!(m.message.contains("retry_after 3000"), "{m}");
}

#[test]
fn a_wrong_result_value_fails() {
    let m = run(r#"{"op": "mfa_status", "args": {"user": "bob"}, "expect": {"ok": {"state": "enrolled"}}}"#)
        .unwrap_err();
    assert_eq!(m.step, Some(3));
    assert!(m.message.contains("/state"), "{m}");
}

#[test]
fn an_unexpected_error_fails_a_step_without_expect() {
    let m = run(r#"{"op": "verify", "args": {"user": "bob", "code": {"raw": "123456"}}}"#).unwrap_err();
    assert!(m.message.contains("expected success") && m.message.contains("mfa_not_enabled"), "{m}");
}

#[test]
fn an_unbound_name_or_unknown_op_fails() {
    let m = run(r#"{"op": "mfa_status", "args": {"user": "nobody"}}"#).unwrap_err();
    assert!(m.message.contains("nobody"), "{m}");
    let m = run(r#"{"op": "reset_everything", "args": {}}"#).unwrap_err();
    assert!(m.message.contains("unknown op"), "{m}");
}

#[test]
fn a_mistyped_argument_is_a_harness_failure() {
    let m = run(r#"{"op": "reset_mfa", "args": {"actor": "olga", "target": "bob", "window": "soon"}, "expect": {"error": "invalid_input"}}"#)
        .unwrap_err();
    assert!(m.message.contains("window"), "{m}");
}

#[test]
fn run_dir_reports_every_failing_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = r#"{"op": "create_org", "args": {"name": "Acme", "policy": {}}}"#;
    let bad = r#"{"op": "create_org", "args": {"name": "", "policy": {}}}"#;
    scenario(&dir, "a.json", good);
    scenario(&dir, "b.json", bad);
    scenario(&dir, "c.json", bad);
    std::fs::write(dir.path().join("notes.txt"), "not a scenario").unwrap();
    let failures = run_dir(dir.path(), CoreDriver::open).unwrap_err();
    let files: Vec<_> = failures.0.iter().map(|m| m.file.file_name().unwrap().to_owned()).collect();
    assert_eq!(files, ["b.json", "c.json"]);
    std::fs::remove_file(dir.path().join("b.json")).unwrap();
    std::fs::remove_file(dir.path().join("c.json")).unwrap();
    assert_eq!(run_dir(dir.path(), CoreDriver::open), Ok(1));
}

/// A file scenario: `steps` after the usual setup, on a store file.
fn run_on_file(steps: &str) -> Result<(), Mismatch> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.json");
    let text =
        format!(r#"{{"name": "probe", "covers": ["s8"], "store": "file", "steps": [{SETUP}, {steps}]}}"#);
    std::fs::write(&path, text).unwrap();
    run_file(&path, CoreDriver::open)
}

#[test]
fn file_scenarios_open_one_new_file_again_and_remove_it_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.json");
    let text = r#"{"name": "probe", "covers": ["s8"], "store": "file", "steps": [
        {"op": "create_org", "args": {"name": "Acme"}},
        {"advance": 45},
        {"reopen": {"key": "first"}},
        {"reopen": {"key": "second"}, "expect": {"error": "invalid_input"}},
        {"reopen": {"key": "first"}}
    ]}"#;
    std::fs::write(&path, text).unwrap();
    let mut opened = Vec::new();
    run_file(&path, |store: Option<&std::path::Path>, key: &[u8], now| {
        let store = store.expect("a file scenario opens a file").to_path_buf();
        opened.push((store.clone(), store.exists(), key.to_vec(), now - T0));
        CoreDriver::open(Some(&store), key, now)
    })
    .unwrap();
    let (first, existed, ..) = &opened[0];
    assert!(!existed, "the first open must find no file");
    assert!(opened.iter().all(|(p, ..)| p == first), "{opened:?}");
    let keys_and_times: Vec<_> = opened.iter().map(|(_, _, k, t)| (k[0], k.len(), *t)).collect();
    assert_eq!(keys_and_times, [(0, 32, 0), (0, 32, 45), (32, 32, 45), (0, 32, 45)]);
    assert!(!first.parent().unwrap().exists(), "the store's folder is removed after the scenario");
}

#[test]
fn memory_scenarios_cannot_reopen_and_store_must_be_memory_or_file() {
    let m = run(r#"{"reopen": {"key": "first"}}"#).unwrap_err();
    assert_eq!(m.step, Some(3));
    assert!(m.message.contains("\"store\": \"file\""), "{m}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("disk.json");
    std::fs::write(&path, r#"{"name": "x", "covers": ["s8"], "store": "disk", "steps": []}"#).unwrap();
    let m = run_file(&path, CoreDriver::open).unwrap_err();
    assert!(m.step.is_none() && m.message.contains("\"store\""), "{m}");
}

#[test]
fn a_reopen_fails_when_its_outcome_differs() {
    // The right key, but the file expects a refusal.
    let m = run_on_file(r#"{"reopen": {"key": "first"}, "expect": {"error": "invalid_input"}}"#).unwrap_err();
    assert_eq!(m.step, Some(3));
    assert!(m.message.contains("expected error invalid_input"), "{m}");
    // A wrong key without an expectation.
    let m = run_on_file(r#"{"reopen": {"key": "second"}}"#).unwrap_err();
    assert!(m.message.contains("expected success") && m.message.contains("invalid_input"), "{m}");
}

#[test]
fn after_a_failed_reopen_no_store_is_open_until_one_succeeds() {
    let refused = r#"{"reopen": {"key": "second"}, "expect": {"error": "invalid_input"}}"#;
    let m =
        run_on_file(&format!(r#"{refused}, {{"op": "get_user", "args": {{"user": "bob"}}}}"#)).unwrap_err();
    assert_eq!(m.step, Some(4));
    assert!(m.message.contains("no store is open"), "{m}");
    // The clock moves meanwhile, and the next open starts there.
    run_on_file(&format!(
        r#"{refused}, {{"advance": 30}}, {{"reopen": {{"key": "first"}}}},
        {{"op": "create_user", "args": {{"org": "acme", "email": "carl@acme.test", "role": "member"}},
          "expect": {{"ok": {{"created_at": 30}}}}}}"#
    ))
    .unwrap();
}

#[test]
fn keys_are_the_three_names_or_lowercase_hex() {
    for bad in [
        r#""fourth""#,
        r#"{"hex": "0G"}"#,
        r#"{"hex": "ABCD"}"#,
        r#"{"hex": "abc"}"#,
        r#"{"hex": "00", "x": 1}"#,
        r#"{"hex": "00 01"}"#,
        "7",
    ] {
        let m = run_on_file(&format!(r#"{{"reopen": {{"key": {bad}}}}}"#)).unwrap_err();
        assert!(m.message.contains("key"), "{bad}: {m}");
        let m = run(&format!(
            r#"{{"op": "rotate_key", "args": {{"key": {bad}}}, "expect": {{"error": "invalid_input"}}}}"#
        ))
        .unwrap_err();
        assert!(m.message.contains("key"), "{bad}: {m}");
    }
    run(r#"{"op": "rotate_key", "args": {"key": {"hex": "0001"}}, "expect": {"error": "invalid_input"}}"#)
        .unwrap();
}

#[test]
fn checkpoints_are_bound_by_as_or_written_out() {
    let saved = r#"{"op": "audit_checkpoint", "as": "cp", "expect": {"ok": {"seq": 3}}},
        {"op": "create_user", "args": {"org": "acme", "email": "carl@acme.test", "role": "member"}}"#;
    run(&format!(
        r#"{saved}, {{"op": "verify_audit", "args": {{"checkpoint": "cp"}}, "expect": {{"ok": {{"ok": true, "checked": 4}}}}}}"#
    ))
    .unwrap();
    // A checkpoint name is no id, and an id no checkpoint.
    let m = run(&format!(r#"{saved}, {{"op": "get_user", "args": {{"user": "cp"}}}}"#)).unwrap_err();
    assert!(m.message.contains("\"cp\" is not bound"), "{m}");
    let m = run(r#"{"op": "verify_audit", "args": {"checkpoint": "bob"}}"#).unwrap_err();
    assert!(m.message.contains("not a bound checkpoint"), "{m}");
    // `as` on a checkpoint op needs a checkpoint.
    let m = run(
        r#"{"op": "rotate_key", "args": {"key": "first"}, "as": "cp", "expect": {"error": "invalid_input"}}"#,
    )
    .unwrap_err();
    assert!(m.message.contains("needs a checkpoint"), "{m}");
    for bad in [r#"{"seq": 3}"#, r#"{"seq": -1, "mac": ""}"#, r#"{"seq": 3, "mac": "", "at": 0}"#, "3"] {
        let m = run(&format!(r#"{{"op": "verify_audit", "args": {{"checkpoint": {bad}}}}}"#)).unwrap_err();
        assert!(m.message.contains("checkpoint") || m.message.contains("unknown key"), "{bad}: {m}");
    }
}
