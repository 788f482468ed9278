//! Text from outside (reasons, emails, org names) is safe where it ends up: a CSV export does
//! not run it as a spreadsheet formula, and a terminal does not obey control characters in it.

mod common;

use common::*;

#[test]
fn csv_cells_a_spreadsheet_would_evaluate_are_defused_and_quoted() {
    let store = Store::new();
    let acme = org(&store, "Acme", &[]);
    let reasons = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\t=tab", "\r=cr", "plain reason"];
    for reason in reasons {
        enroll(&store, &acme.member);
        store.ok(&["reset", "--actor", &acme.owner, &acme.member, &format!("--reason={reason}")]);
    }
    let csv = store.ok(&["audit", "export", "--format", "csv"]);
    let mut reader = csv::ReaderBuilder::new().from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let exported: Vec<&str> =
        rows.iter().filter(|r| &r[5] == "mfa.reset").map(|r| r.get(8).unwrap()).collect();
    assert_eq!(exported, ["'=1+2", "'+SUM(A1)", "'-2+3", "'@cmd", "'\t=tab", "'\r=cr", "plain reason"]);
    // Defused cells are always quoted, so that the quote is part of the cell.
    for reason in &reasons[..6] {
        assert!(csv.contains(&format!(",\"'{reason}\",")), "{reason:?} in {csv}");
    }
    assert!(csv.contains(",plain reason,"));
    // Times are RFC 3339 in UTC.
    for row in &rows {
        let at = &row[1];
        let shape = at.len() == 20
            && at.char_indices().all(|(i, c)| match i {
                4 | 7 => c == '-',
                10 => c == 'T',
                13 | 16 => c == ':',
                19 => c == 'Z',
                _ => c.is_ascii_digit(),
            });
        assert!(shape, "{at}");
    }
    let jsonl = store.ok(&["audit", "export", "--format", "jsonl"]);
    let first: serde_json::Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(rows[0][1], *rfc3339(first["at"].as_i64().unwrap()));
}

/// The reference: what `date -u` prints for a Unix time.
fn rfc3339(unix: i64) -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{unix}"), "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn control_characters_reach_the_terminal_escaped() {
    let store = Store::new();
    let org_name = "Acme\u{202e}gnp.exe";
    let org_id = store.json(&["org", "create", org_name])["id"].as_str().unwrap().to_string();
    let owner = store.json(&["user", "add", "--org", &org_id, "--role", "owner", "o\u{202e}x@acme.example"])
        ["id"]
        .as_str()
        .unwrap()
        .to_string();
    let member =
        store.json(&["user", "add", "--org", &org_id, "m@acme.example"])["id"].as_str().unwrap().to_string();
    enroll(&store, &member);
    store.ok(&["reset", "--actor", &owner, &member, "--reason", "\x1b[2J\x1b[1;31mALL CLEAR\x07\rdone"]);

    for args in [
        &["org", "list"][..],
        &["user", "list", "--org", &org_id],
        &["user", "show", &owner],
        &["audit", "tail", "--action", "mfa.reset"],
    ] {
        let text = store.ok(args);
        for raw in ['\x1b', '\x07', '\r', '\u{202e}'] {
            assert!(!text.contains(raw), "{args:?} printed {raw:?} raw: {text:?}");
        }
    }
    assert!(store.ok(&["org", "list"]).contains("Acme\\u{202e}gnp.exe"));
    assert!(store.ok(&["user", "list", "--org", &org_id]).contains("o\\u{202e}x@acme.example"));
    let tail = store.ok(&["audit", "tail", "--action", "mfa.reset"]);
    assert!(tail.contains("\\u{1b}[2J\\u{1b}[1;31mALL CLEAR\\u{7}\\u{d}done"), "{tail}");
    // JSON keeps the data as it is: it is for programs, and its encoding escapes controls.
    let events = store.json_lines(&["audit", "tail", "--action", "mfa.reset"]);
    assert_eq!(events[0]["reason"], "\x1b[2J\x1b[1;31mALL CLEAR\x07\rdone");
}

#[test]
fn reset_many_echoes_hostile_lines_escaped() {
    let store = Store::new();
    let acme = org(&store, "Acme", &[]);
    let out = store
        .cmd(&["reset-many", "--actor", &acme.owner, "--org", "Acme", "-"])
        .write_stdin("\x1b[2Jwho@acme.example\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = stdout(&out);
    assert!(!text.contains('\x1b') && text.contains("refused \\u{1b}[2Jwho@acme.example"), "{text:?}");
}

/// A PostgreSQL URL is no file: no command looks for it on disk or creates it there, and its
/// password shows nowhere, also when the server cannot be reached (nothing listens on port 1).
#[test]
fn a_postgresql_url_is_never_a_file_and_its_password_never_shows() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new();
    let url = "postgresql://ann:s3cret-pw@127.0.0.1:1/mfa?connect_timeout=5&password=s3cret-pw";
    let runs: [&[&str]; 6] = [
        &["--db", url, "init"],
        &["--db", url, "info"],
        &["--db", url, "org", "list"],
        &["--db", url, "--json", "audit", "verify"],
        &["migrate", "--from", url, "--to", "copy.db"],
        &["migrate", "--from", store.db.to_str().unwrap(), "--to", url],
    ];
    for args in runs {
        let out = bare().env("MFA_CORE_KEY", KEY_HEX).current_dir(dir.path()).args(args).output().unwrap();
        let (text, err) = (stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(18), "{args:?}: {text}{err}");
        assert!(err.contains("connect"), "{args:?}: {err}");
        for shown in [&text, &err] {
            assert!(!shown.contains("s3cret-pw"), "{args:?}: {shown}");
            assert!(!shown.contains("no store at") && !shown.contains("exists"), "{args:?}: {shown}");
        }
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing created on disk");
}
