//! `--help` documents every command and the exit statuses, and the README section's table
//! matches the one the tool prints.

mod common;

use common::*;

/// Every subcommand path, each of which must have its own help.
const COMMANDS: [&[&str]; 22] = [
    &["init"],
    &["org"],
    &["org", "create"],
    &["org", "list"],
    &["user"],
    &["user", "add"],
    &["user", "list"],
    &["user", "show"],
    &["user", "role"],
    &["user", "disable"],
    &["user", "enable"],
    &["enroll"],
    &["confirm"],
    &["verify"],
    &["status"],
    &["reset"],
    &["reset-many"],
    &["audit"],
    &["audit", "tail"],
    &["audit", "export"],
    &["audit", "verify"],
    &["audit", "checkpoint"],
];

fn help(args: &[&str]) -> String {
    let out = bare().args(args).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    stdout(&out)
}

/// `(status, name)` rows of an exit-status table, in order.
fn rows(text: &str) -> Vec<(u8, String)> {
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> =
                line.trim().trim_matches('|').split(['|', ' ']).filter(|c| !c.is_empty()).collect();
            let status = cells.first()?.parse().ok()?;
            let name = cells.get(1)?.trim_matches('`');
            name.chars().all(|c| c.is_ascii_lowercase() || c == '_').then(|| (status, name.to_string()))
        })
        .collect()
}

#[test]
fn help_lists_the_exit_statuses_of_every_contract_code() {
    let text = help(&[]);
    let table = rows(&text[text.find("Exit status:").expect("an exit-status section")..]);
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
    ] {
        assert!(text.contains(&format!("  {command} ")), "{command} missing from --help");
    }
}

#[test]
fn the_readme_section_documents_the_same_exit_statuses() {
    let help = help(&[]);
    let printed = rows(&help[help.find("Exit status:").unwrap()..]);
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/sections/cli.md")).unwrap();
    let section = &doc[doc.find("## Exit status").expect("an exit-status table in docs/sections/cli.md")..];
    assert_eq!(rows(section), printed);
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
