//! `user import`: CSV or JSON lines, a report line per input line, refused lines skipped and
//! the rest imported a chunk per transaction, and a dry run that changes nothing.

mod common;

use common::*;
use serde_json::Value;

/// Runs `user import` with `input` on stdin; returns (status, stdout, stderr).
fn import(store: &Store, args: &[&str], input: &str) -> (i32, String, String) {
    let out =
        store.cmd(&[&["user", "import", "--org", "Acme"][..], args].concat()).write_stdin(input).output();
    let out = out.unwrap();
    (out.status.code().unwrap(), stdout(&out), stderr(&out))
}

fn emails(store: &Store) -> Vec<String> {
    let users = store.json_lines(&["user", "list", "--org", "Acme"]);
    users.as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap().to_string()).collect()
}

const MIXED_CSV: &str = "email,role\n\
    ada@acme.example,owner\n\
    not-an-email,member\n\
    \"bob@acme.example\", admin\n\
    \n\
    ADA@acme.example,member\n\
    carol@acme.example,boss\n\
    dan@acme.example,member,extra\n\
    erin@acme.example,MEMBER\n";

#[test]
fn a_csv_import_reports_every_line_and_skips_only_the_bad_ones() {
    let store = Store::new();
    store.ok(&["org", "create", "Acme", "--mfa-required"]);
    let (status, report, err) = import(&store, &["-"], MIXED_CSV);
    assert_eq!(status, 3, "some lines were refused: {report}{err}");
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 7, "{report}");
    assert!(lines[0].starts_with("line 2: ada@acme.example  created ") && lines[0].ends_with("(owner)"));
    assert!(lines[1].starts_with("line 3: not-an-email  refused invalid_input: email is not an address"));
    assert!(lines[2].starts_with("line 4: bob@acme.example  created ") && lines[2].ends_with("(admin)"));
    assert!(lines[3].starts_with("line 6: ADA@acme.example  refused conflict: "), "{}", lines[3]);
    assert!(lines[4].starts_with("line 7: carol@acme.example  refused invalid_input: role must be"));
    assert!(lines[5].starts_with("line 8: dan@acme.example  refused invalid_input: expected 2 fields"));
    assert!(lines[6].starts_with("line 9: erin@acme.example  created "));
    assert!(err.contains("summary: 7 lines, 3 created, 4 refused (conflict 1, invalid_input 3)"), "{err}");
    assert_eq!(emails(&store), ["ada@acme.example", "bob@acme.example", "erin@acme.example"]);
    // Each created user is audited as `user add` audits it, under an intact chain.
    let created = store.json_lines(&["audit", "tail", "--action", "user.create"]);
    let outcomes: Vec<&str> =
        created.as_array().unwrap().iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["success", "success", "denied", "success"]);
    store.ok(&["audit", "verify"]);
    let listed = store.ok(&["user", "list", "--org", "Acme"]);
    assert!(listed.contains("mfa enrollment_required") && listed.contains("deadline 20"), "{listed}");
}

#[test]
fn json_lines_from_a_file_with_a_json_report() {
    let store = Store::new();
    store.ok(&["org", "create", "Acme"]);
    let file = store.dir.path().join("users.jsonl");
    let input = "{\"email\": \"ada@acme.example\", \"role\": \"owner\"}\n\
                 {\"email\": \"bob@acme.example\", \"rol\": \"member\"}\n\
                 not json\n\
                 {\"email\": \"bob@acme.example\", \"role\": \"member\"}\n";
    std::fs::write(&file, input).unwrap();
    let out = store.cmd(&["user", "import", "--org", "Acme", "--json"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report: Vec<Value> = stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(report.len(), 4);
    let lines: Vec<u64> = report.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [1, 2, 3, 4]);
    assert_eq!(report[0]["ok"], true);
    assert_eq!(report[0]["user"]["role"], "owner");
    for bad in &report[1..3] {
        assert_eq!(bad["ok"], false);
        assert_eq!(bad["error"]["code"], "invalid_input");
    }
    assert_eq!(report[3]["user"]["email"], "bob@acme.example");
    assert_eq!(stderr(&out), "progress [##############################] 4/4\n", "no summary in JSON mode");
}

#[test]
fn a_dry_run_reports_the_same_and_changes_nothing() {
    let store = Store::new();
    store.ok(&["org", "create", "Acme", "--mfa-required"]);
    store.ok(&["user", "add", "--org", "Acme", "ADA@acme.example"]);
    let before = store.ok(&["audit", "checkpoint"]);
    let (status, report, err) = import(&store, &["--dry-run", "-"], MIXED_CSV);
    assert_eq!(status, 3, "{err}");
    let lines: Vec<&str> = report.lines().collect();
    assert!(lines[0].starts_with("line 2: ada@acme.example  refused conflict: "), "{report}");
    assert_eq!(lines[2], "line 4: bob@acme.example  would create (admin)");
    assert!(lines[3].starts_with("line 6: ADA@acme.example  refused conflict"));
    assert_eq!(lines[6], "line 9: erin@acme.example  would create (member)");
    assert!(err.contains("2 would be created, 5 refused"), "{err}");
    assert_eq!(store.ok(&["audit", "checkpoint"]), before, "a dry run recorded something");
    assert_eq!(emails(&store), ["ADA@acme.example"]);
    // A duplicate within the file is caught without the store's help, as the core would.
    let (status, report, _) =
        import(&store, &["--dry-run", "-"], "email,role\nzed@acme.example,member\nZED@acme.example,admin\n");
    assert_eq!(status, 3);
    assert!(report.contains("line 3: ZED@acme.example  refused conflict"), "{report}");
}

#[test]
fn three_hundred_fifty_users_go_in_four_transactions() {
    let store = Store::new();
    store.ok(&["org", "create", "Acme"]);
    let mut csv = String::from("email,role\n");
    for i in 0..350 {
        csv.push_str(&format!("user{i:03}@acme.example,member\n"));
    }
    let (status, report, err) = import(&store, &["-"], &csv);
    assert_eq!(status, 0, "{err}");
    assert_eq!(report.lines().count(), 350);
    assert!(report.lines().all(|l| l.contains("  created ")));
    // One progress step per chunk, each chunk one core call and one transaction.
    let steps: Vec<&str> = err.lines().filter(|l| l.starts_with("progress ")).collect();
    let counts: Vec<&str> = steps.iter().map(|l| l.rsplit(' ').next().unwrap()).collect();
    assert_eq!(counts, ["100/350", "200/350", "300/350", "350/350"], "{err}");
    assert!(err.contains("summary: 350 lines, 350 created, 0 refused"));
    assert_eq!(emails(&store).len(), 350);
    let events = store.json_lines(&["audit", "tail", "-n", "350", "--action", "user.create"]);
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 350);
    assert!(events.iter().all(|e| e["outcome"] == "success" && e["detail"]["via"]["tool"] == "mfa-admin"));
}

#[test]
fn a_file_that_is_not_an_import_is_refused_whole() {
    let store = Store::new();
    store.ok(&["org", "create", "Acme"]);
    for (input, want) in [
        ("ada@acme.example,owner\n", "header email,role"),
        ("email,role,team\nada@acme.example,owner,x\n", "header email,role"),
        ("mail,role\nada@acme.example,owner\n", "header email,role"),
        ("", "header email,role"),
    ] {
        let (status, report, err) = import(&store, &["-"], input);
        assert_eq!(status, 10, "{input:?}: {err}");
        assert_eq!(report, "");
        assert!(err.contains(want), "{err}");
    }
    // The header may name the columns in either order; a spreadsheet's byte order mark and
    // CRLF line ends are fine.
    let (status, report, _) = import(&store, &["-"], "role,email\nowner,ada@acme.example\n");
    assert_eq!(status, 0);
    assert!(report.contains("ada@acme.example  created"));
    let (status, report, err) =
        import(&store, &["-"], "\u{feff}email,role\r\n\r\nbea@acme.example,member\r\n");
    assert_eq!(status, 0, "{err}");
    assert!(report.starts_with("line 3: bea@acme.example  created"), "{report}");

    let huge = store.dir.path().join("huge.csv");
    std::fs::write(&huge, format!("email,role\n{}", "x".repeat(16 << 20))).unwrap();
    let err = store.fails(&["user", "import", "--org", "Acme", huge.to_str().unwrap()], 10);
    assert!(err.contains("larger than 16 MiB"), "{err}");
    assert_eq!(store.code_of(&["user", "import", "--org", "Initech", "-"], 13), "not_found");
    assert_eq!(emails(&store), ["ada@acme.example", "bea@acme.example"]);
}

#[test]
fn hostile_lines_are_shown_escaped_not_obeyed() {
    let store = Store::new();
    store.ok(&["org", "create", "Acme"]);
    let (status, report, _) = import(&store, &["-"], "email,role\n\"\x1b[2J\x1b]0;pwned\x07@x\",member\n");
    assert_eq!(status, 3);
    assert!(!report.contains('\x1b') && !report.contains('\x07'), "{report:?}");
    assert!(report.contains("\\u{1b}[2J\\u{1b}]0;pwned\\u{7}@x"), "{report}");
}
