//! `--help` documents every command and the exit statuses; bad arguments are usage errors.

mod common;

use common::*;

#[test]
fn help_lists_the_exit_statuses_of_every_contract_code() {
    let text = help(&[]);
    let table = exit_rows(&text[text.find("Exit status:").expect("an exit-status section")..]);
    let names: Vec<&str> = table.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names[..4], ["ok", "audit_broken", "usage", "some_refused"]);
    assert_eq!(names[4..], mfa_core::Error::CODES);
    assert!(text.contains("MFA_CORE_KEY") && text.contains("--key-file"));
    for command in [
        "init",
        "org",
        "user",
        "enroll",
        "confirm",
        "verify",
        "status",
        "reset",
        "reset-many",
        "audit",
        "demo",
        "completions",
        "man",
    ] {
        assert!(text.contains(&format!("  {command} ")), "{command} missing from --help");
    }
}

#[test]
fn every_command_has_help() {
    for command in COMMANDS {
        let text = help(command);
        assert!(text.contains("Usage: mfa-admin"), "{command:?}");
    }
}

#[test]
fn bad_arguments_are_usage_errors() {
    for args in [
        &["frobnicate"][..],
        &[],
        &["org"],
        &["user", "add", "x@y.example"],
        &["audit", "tail", "-n", "0"],
        &["audit", "tail", "-n", "10001"],
        &["audit", "export"],
        &["audit", "export", "--format", "xml"],
        &["audit", "verify", "--checkpoint", "12"],
        &["status"],
    ] {
        let out = bare().env("MFA_CORE_KEY", KEY_HEX).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(stdout(&out), "", "{args:?}");
    }
}

#[test]
fn version_matches_the_workspace() {
    let out = bare().arg("--version").output().unwrap();
    assert_eq!(stdout(&out).trim(), format!("mfa-admin {}", env!("CARGO_PKG_VERSION")));
}
