//! `audit tail|export|verify|checkpoint`, and finding tampering done behind the tool's back.

mod common;

use common::*;
use serde_json::Value;

/// A store with some history: 3 users created, one enrolled, reset, and a refused reset.
fn history() -> (Store, Org) {
    let store = Store::new();
    let acme = org(&store, "Acme", &[]);
    enroll(&store, &acme.member);
    store.ok(&["reset", "--actor", &acme.admin, &acme.member, "--reason", "=lost phone, ticket 4711"]);
    store.code_of(&["reset", "--actor", &acme.member, &acme.admin], 12);
    (store, acme)
}

const EVENTS: u64 = 8; // org, 3 users, enroll begin + confirm, reset, refused reset

fn tamper(store: &Store, sql: &str) {
    rusqlite::Connection::open(&store.db).unwrap().execute_batch(sql).unwrap();
}

#[test]
fn tail_shows_the_latest_events_and_filters() {
    let (store, acme) = history();
    let all = store.json_lines(&["audit", "tail"]);
    let seqs: Vec<u64> = all.as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=EVENTS).collect::<Vec<_>>());
    let last_two = store.json_lines(&["audit", "tail", "-n", "2"]);
    assert_eq!(last_two[0]["seq"], EVENTS - 1);
    assert_eq!(last_two[1]["outcome"], "denied");
    assert_eq!(last_two[1]["code"], "forbidden");
    let after = store.json_lines(&["audit", "tail", "--after", "2", "-n", "1"]);
    assert_eq!(after[0]["seq"], 3);

    let resets = store.json_lines(&["audit", "tail", "--action", "mfa.reset"]);
    assert_eq!(resets.as_array().unwrap().len(), 2);
    let by_admin = store.json_lines(&["audit", "tail", "--actor", &acme.admin]);
    assert_eq!(by_admin.as_array().unwrap().len(), 1);
    assert_eq!(by_admin[0]["reason"], "=lost phone, ticket 4711");
    let about_member =
        store.json_lines(&["audit", "tail", "--target", "member@acme.example", "--org", "Acme", "-n", "1"]);
    assert_eq!(about_member[0]["action"], "mfa.reset");
    assert_eq!(about_member[0]["seq"], EVENTS - 1);

    let text = store.ok(&["audit", "tail", "-n", "1"]);
    assert!(text.starts_with(&format!("#{EVENTS}")) && text.contains("denied") && text.contains("forbidden"));
    assert_eq!(store.code_of(&["audit", "tail", "--action", "mfa.explode"], 10), "invalid_input");
}

#[test]
fn export_as_json_lines_and_csv() {
    let (store, _) = history();
    let jsonl = store.ok(&["audit", "export", "--format", "jsonl"]);
    let events: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len() as u64, EVENTS);
    assert!(events.iter().zip(1..).all(|(e, seq)| e["seq"] == seq && e["mac"].as_str().unwrap().len() == 64));

    let csv = store.ok(&["audit", "export", "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "seq,at,actor,target,org,action,outcome,code,reason,detail,mac");
    assert_eq!(lines.len() as u64, EVENTS + 1);
    let reset = lines.iter().find(|l| l.contains(",mfa.reset,success,")).unwrap();
    // The reason is quoted (it has a comma) and defused (it starts with `=`).
    assert!(reset.contains(",\"'=lost phone, ticket 4711\","), "{reset}");
    assert!(reset.contains("\"{\"\"credential_epoch\"\":1"), "{reset}");

    let file = store.dir.path().join("audit.csv");
    let to_file = store.ok(&["audit", "export", "--format", "csv", "-o", file.to_str().unwrap()]);
    assert_eq!(to_file, "");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv);
    let again = ["audit", "export", "--format", "csv", "-o", file.to_str().unwrap()];
    assert_eq!(store.code_of(&again, 15), "conflict");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv);
}

#[test]
fn verify_an_intact_trail_with_and_without_a_checkpoint() {
    let (store, _) = history();
    let checkpoint = store.ok(&["audit", "checkpoint"]).trim().to_string();
    assert!(checkpoint.starts_with(&format!("{EVENTS}:")), "{checkpoint}");
    let text = store.ok(&["audit", "verify"]);
    assert!(text.starts_with(&format!("audit trail intact: {EVENTS} events checked")), "{text}");
    assert!(text.contains(&format!("head: {checkpoint}")));
    let report = store.json(&["audit", "verify", "--checkpoint", &checkpoint]);
    assert_eq!(report["report"]["ok"], true);
    assert_eq!(report["report"]["checked"], EVENTS);
    assert_eq!(report["checkpoint"]["seq"], EVENTS);
    assert_eq!(store.json(&["audit", "checkpoint"])["seq"], EVENTS);
    assert_eq!(store.code_of(&["audit", "verify", "--checkpoint", "3:beef"], 10), "invalid_input");
}

#[test]
fn an_edited_event_breaks_the_chain() {
    let (store, _) = history();
    tamper(&store, "UPDATE audit SET reason = 'routine' WHERE seq = 7");
    let out = store.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "audit trail NOT intact: first bad seq 7 (6 events before it checked good)\n");
    assert_eq!(stderr(&out), "");
    let json = store.run(&["audit", "verify", "--json"]);
    assert_eq!(json.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(report["report"]["ok"], false);
    assert_eq!(report["report"]["first_bad_seq"], 7);
}

#[test]
fn a_cut_tail_is_found_only_with_a_checkpoint() {
    let (store, _) = history();
    let checkpoint = store.ok(&["audit", "checkpoint"]).trim().to_string();
    tamper(&store, &format!("DELETE FROM audit WHERE seq = {EVENTS}"));
    // The shorter chain is consistent in itself...
    assert!(store.ok(&["audit", "verify"]).starts_with("audit trail intact"));
    // ...but not with the checkpoint kept elsewhere.
    let out = store.run(&["audit", "verify", "--checkpoint", &checkpoint]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("first bad seq {EVENTS}")), "{}", stdout(&out));
}

#[test]
fn tail_follow_streams_new_events() {
    use std::io::{BufRead, BufReader};
    use std::sync::mpsc;
    use std::time::Duration;

    /// Stops the follower even when an assertion fails first.
    struct Follower(std::process::Child);
    impl Drop for Follower {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    let (store, _) = history();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mfa-admin"))
        .env("MFA_CORE_KEY", KEY_HEX)
        .env_remove("MFA_CORE_KEY_FILE")
        .arg("--db")
        .arg(&store.db)
        .args(["audit", "tail", "-n", "1", "--follow", "--json", "--action", "user.create"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map(Follower)
        .unwrap();
    let (lines, received) = mpsc::channel();
    let stdout = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let next = || -> Value {
        let line = received.recv_timeout(Duration::from_secs(20)).expect("an event within 20 s");
        serde_json::from_str(&line).expect("one JSON object a line")
    };
    let first = next();
    assert_eq!((first["seq"].as_u64(), first["action"].as_str()), (Some(4), Some("user.create")));
    // Events appended by another process show up; other actions are filtered out.
    store.ok(&["org", "create", "Globex"]);
    let added = store.json(&["user", "add", "--org", "Globex", "new@globex.example"]);
    let streamed = next();
    assert_eq!(streamed["target"], added["id"]);
    assert_eq!(streamed["seq"], EVENTS + 2);
}

#[test]
fn a_wrong_typed_audit_column_is_tampering_not_a_storage_error() {
    for (sql, seq) in
        [("UPDATE audit SET at = 'x' WHERE seq = 5", 5), ("UPDATE audit SET mac = hex(mac) WHERE seq = 3", 3)]
    {
        let (store, _) = history();
        tamper(&store, sql);
        let out = store.run(&["audit", "verify"]);
        assert_eq!(out.status.code(), Some(1), "{sql}: {}", stderr(&out));
        assert!(
            stdout(&out).starts_with(&format!("audit trail NOT intact: first bad seq {seq} ")),
            "{}",
            stdout(&out)
        );
    }
}

#[test]
fn read_commands_do_not_wait_for_another_processs_write() {
    let (store, _) = history();
    let other = rusqlite::Connection::open(&store.db).unwrap();
    other.execute_batch("BEGIN IMMEDIATE; UPDATE orgs SET name = 'Renamed';").unwrap();
    // Were opening to take the write lock, these would wait the busy timeout and then fail.
    let out = store.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let orgs = store.run(&["org", "list"]);
    assert_eq!(orgs.status.code(), Some(0), "{}", stderr(&orgs));
    assert!(stdout(&orgs).contains("Acme"));
    assert!(!other.is_autocommit(), "the other write was still open");
    other.execute_batch("ROLLBACK").unwrap();
}
