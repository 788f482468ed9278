//! The runner itself: a scenario that disagrees with the surface must fail, naming its file
//! and step, so that a passing replay means something.

use std::path::PathBuf;

use mfa_scenarios::{CoreDriver, Mismatch, run_dir, run_file};

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
