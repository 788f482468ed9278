//! The audit trail says which program and which OS account made a change: `--actor` is who
//! acts under the rules, `via` is who typed the command.

mod common;

use common::*;

/// The account this test runs as, by the system's own tool.
fn os_user() -> String {
    let out = std::process::Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn a_cli_reset_names_mfa_admin_and_the_os_user() {
    let store = Store::new();
    let acme = org(&store, "Acme", &[]);
    enroll(&store, &acme.member);
    let receipt = store.json(&["reset", "--actor", &acme.admin, &acme.member, "--reason", "ticket 1"]);
    let events = store.json_lines(&["audit", "tail", "--action", "mfa.reset"]);
    let event = events.as_array().unwrap().last().unwrap().clone();
    assert_eq!(event["seq"], receipt["audit_seq"]);
    assert_eq!(event["detail"]["via"], serde_json::json!({ "tool": "mfa-admin", "os_user": os_user() }));
    // The actor rules are unchanged: the actor is the user named by --actor.
    assert_eq!(event["actor"], acme.admin.as_str());
    assert_eq!(event["detail"]["previous_state"], "enrolled");
    // Refusals too, and the origin is under the MAC: editing it is tampering.
    store.code_of(&["reset", "--actor", &acme.member, &acme.owner], 12);
    let denied = store.json_lines(&["audit", "tail", "-n", "1"]);
    assert_eq!(denied[0]["detail"]["via"]["tool"], "mfa-admin");
    store.ok(&["audit", "verify"]);
    let seq = event["seq"].as_u64().unwrap();
    let edited = event["detail"].to_string().replace(&os_user(), "mallory");
    rusqlite::Connection::open(&store.db)
        .unwrap()
        .execute("UPDATE audit SET detail = ?1 WHERE seq = ?2", rusqlite::params![edited, seq])
        .unwrap();
    let out = store.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains(&format!("first bad seq {seq}")));
}
