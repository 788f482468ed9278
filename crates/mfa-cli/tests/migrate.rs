//! `migrate` between two files (the PostgreSQL directions are in tests/postgres.rs, which needs
//! a server): everything is copied, a destination with data is refused untouched, and a wrong
//! key is refused before the destination exists.

mod common;

use common::*;

/// A store at `copy.db` beside `store`'s, not created yet.
fn beside(store: &Store, name: &str) -> Store {
    let dir = tempfile::tempdir().unwrap();
    let db = store.dir.path().join(name);
    Store { dir, db }
}

/// The error code of a failing `migrate`, from the problem details on the last line of stderr
/// (progress comes before it).
fn code_of(store: &Store, args: &[&str], status: i32) -> String {
    let mut args = args.to_vec();
    args.push("--json");
    let err = store.fails(&args, status);
    let problem: serde_json::Value =
        serde_json::from_str(err.lines().last().unwrap()).expect("problem details");
    assert_eq!(problem["exit_code"], status);
    problem["code"].as_str().unwrap().to_string()
}

#[test]
fn migrate_copies_every_row_and_the_audit_trail_verbatim() {
    let source = Store::new();
    let told = story(&source);
    let copy = beside(&source, "copy.db");
    let out = source.run(&["migrate", "--to", copy.db.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("3 users, 10 recovery codes, 1 reset-log entries"), "{text}");
    let head = source.ok(&["audit", "checkpoint"]);
    assert!(text.contains(&format!("audit head: {} (the same on both stores)", head.trim())), "{text}");
    // Progress on stderr, a bar per step; the result alone on stdout.
    let progress = stderr(&out);
    for step in
        ["verify source audit trail [", "copy users [", "copy audit events [", "check copied audit trail ["]
    {
        assert!(progress.contains(step), "{step:?} in {progress}");
    }
    assert_eq!(copy.json(&["info"])["mode"], 0o600);
    check_copy(&source, &copy, &told);
}

#[test]
fn migrate_reports_in_json_and_reads_from_db_or_from() {
    let source = Store::new();
    org(&source, "Acme", &[]);
    let copy = beside(&source, "copy.db");
    let to = copy.db.to_str().unwrap();
    let report = bare()
        .env("MFA_CORE_KEY", KEY_HEX)
        .args(["--json", "migrate", "--from", source.db.to_str().unwrap(), "--to", to])
        .output()
        .unwrap();
    assert_eq!(report.status.code(), Some(0), "{}", stderr(&report));
    let report: serde_json::Value = serde_json::from_str(&stdout(&report)).unwrap();
    assert_eq!((report["orgs"].as_u64(), report["users"].as_u64()), (Some(1), Some(3)));
    assert_eq!(report["to"], to);
    let head = source.json(&["audit", "checkpoint"]);
    assert_eq!(report["head"]["seq"], head["seq"]);
    assert_eq!(report["head"]["mac"], head["mac"]);
}

#[test]
fn migrate_refuses_a_destination_with_data_and_leaves_it_as_it_is() {
    let source = Store::new();
    story(&source);
    let dest = Store::new();
    org(&dest, "Other", &[]);
    let before = (dest.ok(&["audit", "checkpoint"]), dest.ok(&["org", "list"]));
    assert_eq!(code_of(&source, &["migrate", "--to", dest.db.to_str().unwrap()], 15), "conflict");
    let err = source.fails(&["migrate", "--to", dest.db.to_str().unwrap()], 15);
    assert!(err.contains("already holds a store (1 orgs, 3 users, 4 audit events)"), "{err}");
    assert_eq!((dest.ok(&["audit", "checkpoint"]), dest.ok(&["org", "list"])), before);

    // An empty store (made by init) is a fine destination.
    let empty = Store::new();
    source.ok(&["migrate", "--to", empty.db.to_str().unwrap()]);
    assert_eq!(empty.ok(&["audit", "checkpoint"]), source.ok(&["audit", "checkpoint"]));
}

#[test]
fn migrate_refuses_a_wrong_key_before_the_destination_exists() {
    let source = Store::new();
    story(&source);
    let copy = beside(&source, "copy.db");
    let out = bare()
        .env("MFA_CORE_KEY", "11".repeat(32))
        .args(["--json", "migrate", "--from", source.db.to_str().unwrap(), "--to", copy.db.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    assert!(stderr(&out).contains("key does not match"), "{}", stderr(&out));
    assert!(!copy.db.exists());

    // A destination holding a store of another key is refused as well, left as it was.
    let theirs = beside(&source, "theirs.db");
    bare().env("MFA_CORE_KEY", "11".repeat(32)).args(["--db", theirs.db.to_str().unwrap(), "init"]).unwrap();
    let err = source.fails(&["migrate", "--to", theirs.db.to_str().unwrap()], 10);
    assert!(err.contains("the destination: key does not match"), "{err}");
}

#[test]
fn migrate_needs_a_source_that_exists_and_two_stores() {
    let store = Store::uninit();
    let to = store.dir.path().join("copy.db");
    let to = to.to_str().unwrap();
    assert_eq!(code_of(&store, &["migrate", "--to", to], 13), "not_found");
    assert!(!store.db.exists() && !std::path::Path::new(to).exists());
    let same = store.run(&["migrate", "--to", store.db.to_str().unwrap()]);
    assert_eq!(same.status.code(), Some(2), "{}", stderr(&same));
    let none = bare().env("MFA_CORE_KEY", KEY_HEX).args(["migrate", "--to", to]).output().unwrap();
    assert_eq!(none.status.code(), Some(2), "{}", stderr(&none));
}
