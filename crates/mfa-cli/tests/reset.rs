//! `reset` and `reset-many`: rescuing users, the reset rules and their exit statuses.

mod common;

use common::*;
use serde_json::Value;

#[test]
fn an_owner_resets_an_enrolled_member() {
    let store = Store::new();
    let acme = org(&store, "Acme", &[]);
    let (_, recovery) = enroll(&store, &acme.member);
    let reason = ["--reason", "lost phone, ticket 4711"];
    let receipt = store.json(&[&["reset", "--actor", &acme.owner, &acme.member][..], &reason[..]].concat());
    assert_eq!(receipt["previous_state"], "enrolled");
    assert_eq!(receipt["state"], "enrollment_required");
    assert_eq!(receipt["credential_epoch"], 1);
    assert_eq!(receipt["dry_run"], false);
    let seq = receipt["audit_seq"].as_u64().unwrap();
    let events = store.json_lines(&["audit", "tail", "--action", "mfa.reset"]);
    let last = events.as_array().unwrap().last().unwrap();
    assert_eq!(last["seq"], seq);
    assert_eq!(last["reason"], "lost phone, ticket 4711");
    // The old recovery codes stopped working.
    assert_eq!(store.code_of(&["verify", &acme.member, &recovery[0]], 14), "mfa_not_enabled");
    let status = store.json(&["status", &acme.member]);
    assert_eq!(status["state"], "enrollment_required");
    assert_eq!(status["credential_epoch"], 1);
}

#[test]
fn a_dry_run_changes_and_records_nothing() {
    let store = Store::new();
    let acme = org(&store, "Acme", &[]);
    enroll(&store, &acme.member);
    let head = store.ok(&["audit", "checkpoint"]);
    let text = store.ok(&["reset", "--actor", &acme.admin, &acme.member, "--dry-run", "--window", "1d"]);
    assert!(text.contains("dry run: would reset") && text.contains("nothing was changed"), "{text}");
    assert_eq!(store.ok(&["audit", "checkpoint"]), head);
    assert_eq!(store.json(&["status", &acme.member])["state"], "enrolled");
}

#[test]
fn rescuing_a_locked_out_user() {
    let store = Store::new();
    let acme = org(&store, "Acme", &["--mfa-required", "--enrollment-window", "1s"]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(store.json(&["status", "member@acme.example", "--org", "Acme"])["state"], "locked_out");
    // Locked out: enrolling alone is refused, only a reset reopens a window.
    assert_eq!(store.code_of(&["enroll", &acme.member], 12), "forbidden");
    let receipt = store.json(&["reset", "--actor", &acme.admin, "member@acme.example", "--window", "2d"]);
    assert_eq!(receipt["previous_state"], "locked_out");
    assert_eq!(receipt["state"], "enrollment_required");
    let status = store.json(&["status", &acme.member]);
    assert_eq!(status["deadline"], receipt["deadline"]);
    enroll(&store, &acme.member);
    assert_eq!(store.json(&["status", &acme.member])["state"], "enrolled");
}

#[test]
fn the_reset_rules_map_to_exit_statuses() {
    let store = Store::new();
    let acme = org(&store, "Acme", &["--reset-limit-per-hour", "1"]);
    let other = org(&store, "Globex", &[]);
    enroll(&store, &acme.admin);
    enroll(&store, &acme.owner);
    let ghost = "00000000-0000-7000-8000-000000000000";
    let cases: [(&[&str], i32, &str); 7] = [
        (&["reset", "--actor", "nope", &acme.member], 10, "invalid_input"),
        (
            &["reset", "--actor", &acme.owner, &acme.member, "--reason", &"x".repeat(1001)],
            10,
            "invalid_input",
        ),
        (&["reset", "--actor", ghost, &acme.member], 11, "unauthenticated"),
        (&["reset", "--actor", &acme.owner, &other.member], 13, "not_found"),
        (&["reset", "--actor", &acme.member, &acme.admin], 12, "forbidden"),
        (&["reset", "--actor", &acme.admin, &acme.owner], 12, "forbidden"),
        (&["reset", "--actor", &acme.owner, &acme.member], 14, "mfa_not_enabled"),
    ];
    for (args, status, code) in cases {
        assert_eq!(store.code_of(args, status), code, "{args:?}");
    }
    store.json(&["reset", "--actor", &acme.owner, &acme.admin]);
    enroll(&store, &acme.admin);
    let args = ["reset", "--actor", &acme.owner, &acme.admin, "--json"];
    let problem: Value = serde_json::from_str(&store.fails(&args, 17)).unwrap();
    assert_eq!(problem["code"], "rate_limited");
    assert!(problem["retry_after"].as_u64().is_some_and(|s| s > 3500 && s <= 3600), "{problem}");
    let text = store.fails(&args[..4], 17);
    assert!(text.contains("retry after"), "{text}");
    // A window the core refuses, and one clap cannot read.
    assert_eq!(
        store.code_of(&["reset", "--actor", &acme.owner, &acme.admin, "--window", "0s"], 10),
        "invalid_input"
    );
    store.fails(&["reset", "--actor", &acme.owner, &acme.admin, "--window", "soon"], 2);
    store.fails(&["reset", &acme.admin], 2);
}

#[test]
fn a_self_reset_needs_a_proof() {
    let store = Store::new();
    let acme = org(&store, "Acme", &[]);
    let (_, recovery) = enroll(&store, &acme.member);
    assert_eq!(store.code_of(&["reset", "--actor", &acme.member, &acme.member], 12), "forbidden");
    let receipt = store.json(&["reset", "--actor", &acme.member, &acme.member, "--proof", &recovery[0]]);
    assert_eq!(receipt["state"], "enrollment_required");
}

#[test]
fn step_up_resets_need_the_actors_code() {
    let store = Store::new();
    let acme = org(&store, "Acme", &["--require-step-up"]);
    let (secret, _) = enroll(&store, &acme.admin);
    enroll(&store, &acme.member);
    assert_eq!(store.code_of(&["reset", "--actor", &acme.admin, &acme.member], 12), "forbidden");
    let receipt =
        store.json(&["reset", "--actor", &acme.admin, &acme.member, "--actor-proof", &code(&secret, 1)]);
    assert_eq!(receipt["credential_epoch"], 1);
}

/// An org whose members are enrolled, for bulk runs.
fn enrolled_members(store: &Store, n: usize) -> (Org, Vec<String>) {
    let acme = org(store, "Acme", &[]);
    let ids = (0..n)
        .map(|i| {
            let id = store.json(&["user", "add", "--org", "Acme", &format!("u{i}@acme.example")])["id"]
                .as_str()
                .unwrap()
                .to_string();
            enroll(store, &id);
            id
        })
        .collect();
    (acme, ids)
}

#[test]
fn reset_many_from_a_file_with_ids_and_emails() {
    let store = Store::new();
    let (acme, ids) = enrolled_members(&store, 3);
    let file = store.dir.path().join("targets.txt");
    let lines = format!(
        "# lost phones, ticket 4800\n{}\n\nu1@acme.example\n{}\nnobody@acme.example\nnot-an-id\n{}\n",
        ids[0], acme.owner, ids[2]
    );
    std::fs::write(&file, lines).unwrap();
    let out =
        store.cmd(&["reset-many", "--actor", &acme.admin, "--reason", "ticket 4800"]).arg(&file).output();
    let out = out.unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    assert!(lines[0].starts_with(&format!("reset {}", ids[0])));
    assert!(lines[1].starts_with("reset u1@acme.example"));
    assert!(lines[2].starts_with(&format!("refused {}  forbidden", acme.owner)));
    assert!(lines[3].starts_with("refused nobody@acme.example  not_found"));
    assert!(lines[4].starts_with("refused not-an-id  invalid_input"));
    assert!(lines[5].starts_with(&format!("reset {}", ids[2])));
    let err = stderr(&out);
    assert!(err.contains("progress [") && err.contains("] 5/5"), "{err}");
    assert!(
        err.contains("summary: 6 targets, 3 reset, 3 refused (forbidden 1, invalid_input 1, not_found 1)"),
        "{err}"
    );
    for id in &ids {
        assert_eq!(store.json(&["status", id])["state"], "enrollment_required");
    }
}

#[test]
fn reset_many_from_stdin_as_json() {
    let store = Store::new();
    let (acme, ids) = enrolled_members(&store, 2);
    let input = format!("{}\n{}\n{}\n", ids[0], ids[1], acme.admin);
    let out =
        store.cmd(&["reset-many", "--actor", &acme.owner, "--json", "--dry-run"]).write_stdin(input).output();
    let out = out.unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["ok"], true);
    assert_eq!(results[0]["receipt"]["dry_run"], true);
    assert_eq!(results[2]["ok"], false);
    assert_eq!(results[2]["error"]["code"], "mfa_not_enabled");
    assert_eq!(report["summary"]["reset"], 2);
    assert_eq!(report["summary"]["refused_by_code"]["mfa_not_enabled"], 1);
    // A dry run changed nothing.
    assert_eq!(store.json(&["status", &ids[0]])["state"], "enrolled");

    let all_ok =
        store.cmd(&["reset-many", "--actor", &acme.owner, "-"]).write_stdin(format!("{}\n", ids[1])).output();
    assert_eq!(all_ok.unwrap().status.code(), Some(0));
    assert_eq!(store.json(&["status", &ids[1]])["state"], "enrollment_required");
}

#[test]
fn reset_many_respects_the_hourly_limit_across_the_run() {
    let store = Store::new();
    let acme = org(&store, "Acme", &["--reset-limit-per-hour", "2"]);
    let ids: Vec<String> = (0..3)
        .map(|i| {
            let id = store.json(&["user", "add", "--org", "Acme", &format!("u{i}@acme.example")])["id"]
                .as_str()
                .unwrap()
                .to_string();
            enroll(&store, &id);
            id
        })
        .collect();
    let out =
        store.cmd(&["reset-many", "--actor", &acme.owner, "--json"]).write_stdin(ids.join("\n")).output();
    let report: Value = serde_json::from_str(&stdout(&out.unwrap())).unwrap();
    let codes: Vec<&Value> = report["results"].as_array().unwrap().iter().map(|r| &r["ok"]).collect();
    assert_eq!(codes, [true, true, false]);
    assert_eq!(report["results"][2]["error"]["code"], "rate_limited");
}

#[test]
fn reset_many_refuses_more_targets_than_one_run_takes() {
    let store = Store::new();
    let acme = org(&store, "Acme", &[]);
    let lines = format!("{}\n", acme.member).repeat(mfa_core::MAX_BULK_TARGETS + 1);
    let out =
        store.cmd(&["reset-many", "--actor", &acme.owner, "--json"]).write_stdin(lines).output().unwrap();
    assert_eq!(out.status.code(), Some(10));
    assert_eq!(stdout(&out), "");
    let problem: Value = serde_json::from_str(&stderr(&out)).unwrap();
    assert_eq!(problem["code"], "invalid_input");
    assert!(problem["detail"].as_str().unwrap().contains("at most 10000 targets"), "{problem}");
}

#[test]
fn reset_many_with_step_up_reads_the_code_from_stdin_and_targets_from_a_file() {
    let store = Store::new();
    let (_, ids) = enrolled_members(&store, 2);
    store.ok(&["org", "create", "Strict", "--require-step-up"]);
    let strict = store.json(&["user", "add", "--org", "Strict", "admin@strict.example", "--role", "admin"]);
    let strict_admin = strict["id"].as_str().unwrap();
    let (secret, _) = enroll(&store, strict_admin);
    let member = store.json(&["user", "add", "--org", "Strict", "m@strict.example"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    enroll(&store, &member);

    // Both from stdin cannot work.
    store.fails(&["reset-many", "--actor", strict_admin, "--actor-proof", "-"], 2);
    let file = store.dir.path().join("targets.txt");
    std::fs::write(&file, format!("{member}\n")).unwrap();
    let args = ["reset-many", "--actor", strict_admin, "--actor-proof", "-", file.to_str().unwrap()];
    let out = store.cmd(&args).write_stdin(code(&secret, 1)).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(store.json(&["status", &member])["state"], "enrollment_required");
    // Without the code, the whole run is refused.
    let out = store.cmd(&args[..3]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(12), "{}", stderr(&out));
    // The unrelated org's members were never touched.
    assert_eq!(store.json(&["status", &ids[0]])["state"], "enrolled");
}

#[test]
fn reset_many_refuses_an_unreadable_file() {
    let store = Store::new();
    let acme = org(&store, "Acme", &[]);
    let err = store.fails(&["reset-many", "--actor", &acme.owner, "/nonexistent/targets.txt"], 10);
    assert!(err.contains("cannot read"), "{err}");
    let binary = store.dir.path().join("targets.bin");
    std::fs::write(&binary, [0xff, 0xfe, b'\n']).unwrap();
    let err = store.fails(&["reset-many", "--actor", &acme.owner, binary.to_str().unwrap()], 10);
    assert!(err.contains("valid UTF-8"), "{err}");
    let huge = store.dir.path().join("targets.huge");
    std::fs::write(&huge, "#".repeat((16 << 20) + 1)).unwrap();
    let err = store.fails(&["reset-many", "--actor", &acme.owner, huge.to_str().unwrap()], 10);
    assert!(err.contains("larger than 16 MiB"), "{err}");
}

#[test]
fn reset_many_draws_a_bar_in_place_on_a_terminal() {
    let store = Store::new();
    let (acme, ids) = enrolled_members(&store, 2);
    let file = store.dir.path().join("targets.txt");
    std::fs::write(&file, ids.join("\n")).unwrap();
    let command = format!(
        "'{}' --db '{}' reset-many --actor {} '{}'",
        env!("CARGO_BIN_EXE_mfa-admin"),
        store.db.display(),
        acme.owner,
        file.display()
    );
    // util-linux `script` runs the tool on a pseudo-terminal (stdout and stderr both land there).
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("MFA_CORE_KEY", KEY_HEX)
        .output()
        .expect("util-linux `script` (Debian: bsdutils)");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let screen = stdout(&out);
    assert!(screen.contains(&format!("\r[{}] 2/2", "#".repeat(30))), "{screen:?}");
    assert!(!screen.contains("progress ["), "the line-per-step form is for logs: {screen:?}");
}
