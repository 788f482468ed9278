//! `backup` and `restore`: an online copy, put back only after it opens and verifies; a later
//! checkpoint detects the older copy.

mod common;

use common::*;

#[test]
fn backup_then_restore_over_a_newer_store() {
    let store = Store::new();
    let acme = org(&store, "Acme", &[]);
    let copy = store.dir.path().join("copy.db");
    let copy_arg = copy.to_str().unwrap();
    let backed = store.json(&["backup", copy_arg]);
    let head = format!("{}:{}", backed["head"]["seq"], backed["head"]["mac"].as_str().unwrap());
    assert_eq!(store.ok(&["audit", "checkpoint"]).trim(), head);
    assert_eq!(store.code_of(&["backup", copy_arg], 15), "conflict");

    // Life goes on after the backup; the operator saves a checkpoint.
    store.ok(&["user", "delete", "--actor", &acme.owner, &acme.member]);
    let later = store.ok(&["audit", "checkpoint"]).trim().to_string();

    assert_eq!(store.code_of(&["restore", copy_arg], 15), "conflict");
    let text = store.ok(&["restore", copy_arg, "--force"]);
    assert!(text.contains(&format!("audit head: {head}")), "{text}");
    // The restored store is the copy: the member is back, the trail verifies to the copy's head...
    assert_eq!(store.json(&["user", "show", &acme.member])["user"]["email"], "member@acme.example");
    assert_eq!(store.json(&["audit", "verify", "--checkpoint", &head])["report"]["ok"], true);
    // ...and the checkpoint saved after the backup exposes the older copy.
    let stale = store.run(&["--json", "audit", "verify", "--checkpoint", &later]);
    assert_eq!(stale.status.code(), Some(1), "{}", stderr(&stale));
}

#[test]
fn restore_refuses_a_copy_that_does_not_open_or_verify() {
    let store = Store::new();
    org(&store, "Acme", &[]);
    let copy = store.dir.path().join("copy.db");
    store.ok(&["backup", copy.to_str().unwrap()]);
    let before = store.ok(&["audit", "checkpoint"]);

    // A tampered audit row: refused, and the store is untouched.
    let db = rusqlite::Connection::open(&copy).unwrap();
    db.execute("UPDATE audit SET reason = 'edited' WHERE seq = 2", []).unwrap();
    drop(db);
    let refused = store.code_of(&["restore", copy.to_str().unwrap(), "--force"], 18);
    assert_eq!(refused, "storage");
    assert_eq!(store.ok(&["audit", "checkpoint"]), before);

    // A store of another key: refused before anything changes.
    let other = Store::new();
    let theirs = other.dir.path().join("theirs.db");
    std::process::Command::new(env!("CARGO_BIN_EXE_mfa-admin"))
        .env("MFA_CORE_KEY", "11".repeat(32))
        .args(["--db", theirs.to_str().unwrap(), "init"])
        .output()
        .unwrap();
    assert_eq!(store.code_of(&["restore", theirs.to_str().unwrap(), "--force"], 10), "invalid_input");
    assert_eq!(store.code_of(&["restore", "/nonexistent/copy.db", "--force"], 13), "not_found");
    assert_eq!(store.ok(&["audit", "checkpoint"]), before);
    let names: Vec<_> =
        std::fs::read_dir(store.dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(names.iter().all(|n| !n.to_string_lossy().contains(".restore-")), "{names:?}");
}

#[test]
fn backup_and_restore_refuse_a_postgresql_store_before_connecting() {
    let store = Store::new();
    let url = "postgresql://ann:s3cret-pw@127.0.0.1:1/mfa";
    let copy = store.dir.path().join("copy.db");
    let copy = copy.to_str().unwrap();
    let on_server = |args: &[&str]| {
        let out = bare().env("MFA_CORE_KEY", KEY_HEX).args(["--db", url]).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(10), "{args:?}: {}", stderr(&out));
        stderr(&out)
    };
    // No server listens on port 1: the refusal comes before any connection is tried.
    let err = on_server(&["backup", copy]);
    assert!(err.contains("pg_dump") && err.contains("mfa-admin migrate --to FILE"), "{err}");
    let err = on_server(&["restore", copy, "--force"]);
    assert!(err.contains("pg_restore") && err.contains("mfa-admin migrate --from FILE --to URL"), "{err}");
    for args in [&["backup", url][..], &["restore", url, "--force"]] {
        let err = store.fails(args, 10);
        assert!(err.contains("mfa-admin migrate"), "{err}");
        assert!(!err.contains("s3cret-pw"), "{err}");
    }
    assert!(!std::path::Path::new(copy).exists());
    assert_eq!(std::fs::read_dir(store.dir.path()).unwrap().count(), 1, "only the store itself");
}
