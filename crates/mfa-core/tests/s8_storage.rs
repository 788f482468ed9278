//! docs/storage.md: keys, files, schema versions and the clock. Refused files stay byte-for-byte
//! unchanged.

mod common;

use common::*;
use mfa_core::{Core, OpenOptions, Policy};

fn open(path: &std::path::Path, key: &[u8]) -> Result<Core, mfa_core::Error> {
    Core::open(path, key, OpenOptions::default())
}

fn sqlite(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn s8_a_store_persists_across_handles() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let id = {
        let core = open(&path, &KEY).unwrap();
        core.create_org("Acme", Policy::default()).unwrap().id
    };
    let core = open(&path, &KEY).unwrap();
    assert_eq!(core.get_org(&id).unwrap().name, "Acme");
    let mode: String = sqlite(&path).query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = sqlite(&path).query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, mfa_core::SCHEMA_VERSION);
}

/// The last connection to close folds the write-ahead log into the file and removes it, so a
/// closed store is one self-contained file (what an operator copies for a backup).
#[test]
fn s8_closing_leaves_no_write_ahead_log_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    {
        let core = open(&path, &KEY).unwrap();
        let org = core.create_org("Acme", Policy::default()).unwrap();
        core.get_org(&org.id).unwrap(); // a read, so a reader connection is open too
        core.list_orgs().unwrap();
    }
    let wal = dir.path().join("store.db-wal");
    assert!(
        !wal.exists(),
        "{} is left behind ({} bytes)",
        wal.display(),
        wal.metadata().map_or(0, |m| m.len())
    );
}

#[test]
fn s8_wrong_key_is_refused_before_anything_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    drop(open(&path, &KEY).unwrap());
    let before = std::fs::read(&path).unwrap();
    let err = open(&path, &[8; 32]).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(err.message().contains("key does not match"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    for bad in [&[0u8; 0][..], &[1; 16], &[1; 33]] {
        assert_eq!(open(&path, bad).unwrap_err().code(), "invalid_input");
    }
}

#[test]
fn s8_non_sqlite_corrupt_and_newer_files_are_storage_errors_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, b"these are not the droids you are looking for\n").unwrap();

    let newer = dir.path().join("newer.db");
    drop(open(&newer, &KEY).unwrap());
    sqlite(&newer).pragma_update(None, "user_version", mfa_core::SCHEMA_VERSION + 1).unwrap();

    let foreign = dir.path().join("foreign.db");
    sqlite(&foreign).execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);").unwrap();

    let corrupt = dir.path().join("corrupt.db");
    drop(open(&corrupt, &KEY).unwrap());
    sqlite(&corrupt).execute_batch("PRAGMA journal_mode = DELETE").unwrap();
    let mut bytes = std::fs::read(&corrupt).unwrap();
    for b in &mut bytes[100..4096] {
        *b = 0xA5; // the schema page, after the header
    }
    std::fs::write(&corrupt, &bytes).unwrap();

    for path in [&text, &newer, &foreign, &corrupt] {
        let before = std::fs::read(path).unwrap();
        let siblings = std::fs::read_dir(dir.path()).unwrap().count();
        let err = open(path, &KEY).unwrap_err();
        assert_eq!(err.code(), "storage", "{}: {err}", path.display());
        assert_eq!(std::fs::read(path).unwrap(), before, "{} changed", path.display());
        assert!(
            std::fs::read_dir(dir.path()).unwrap().count() <= siblings + 2,
            "only SQLite's -wal/-shm may appear"
        );
    }
}

#[test]
fn s8_paths_that_cannot_be_opened_are_storage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing_dir = dir.path().join("no/such/dir/store.db");
    assert_eq!(open(&missing_dir, &KEY).unwrap_err().code(), "storage");
    assert_eq!(open(dir.path(), &KEY).unwrap_err().code(), "storage");
    assert_eq!(open(std::path::Path::new(""), &KEY).unwrap_err().code(), "invalid_input");
}

#[test]
fn s8_set_time_needs_a_manual_clock() {
    let core = Core::open_in_memory(&KEY, OpenOptions::default()).unwrap();
    assert_eq!(core.set_time(T0).unwrap_err().code(), "invalid_input");
    let manual = common::core();
    manual.set_time(T0 + 5).unwrap();
    assert_eq!(manual.now(), T0 + 5);
}

#[test]
fn s8_a_sealed_secret_moved_to_another_user_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let core = core_at(&path);
    let o = org(&core, Policy::default());
    let (secret, _) = enroll(&core, &o.member.id);
    enroll(&core, &o.other.id);
    // An attacker with write access to the file copies the member's sealed secret onto `other`.
    sqlite(&path)
        .execute(
            "UPDATE users SET totp_secret = (SELECT totp_secret FROM users WHERE id = ?1) WHERE id = ?2",
            [&o.member.id, &o.other.id],
        )
        .unwrap();
    assert_eq!(core.verify(&o.other.id, &code(&core, &secret, 0)).unwrap_err().code(), "storage");
}

#[test]
fn s8_open_options_are_validated() {
    for issuer in ["", "a:b", "x\0y", &"i".repeat(201)] {
        let options = OpenOptions { issuer: Some(issuer.into()), ..Default::default() };
        assert_eq!(Core::open_in_memory(&KEY, options).unwrap_err().code(), "invalid_input", "{issuer:?}");
    }
}

#[test]
fn s8_debug_output_never_shows_proofs() {
    let options = mfa_core::ResetOptions {
        proof: Some("493021".into()),
        actor_proof: Some("118822".into()),
        reason: Some("lost phone".into()),
        ..Default::default()
    };
    let shown = format!("{options:?}");
    assert!(!shown.contains("493021") && !shown.contains("118822"), "{shown}");
    assert!(shown.contains("lost phone"));
}

#[test]
fn s8_memory_path_and_uri_looking_names() {
    // ":memory:" is an in-memory store whose reads see its writes.
    let core = Core::open(":memory:", &KEY, OpenOptions::default()).unwrap();
    let org = core.create_org("Acme", Policy::default()).unwrap();
    assert_eq!(core.list_orgs().unwrap(), vec![org]);
    // A name that looks like an SQLite URI is just a file name.
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("file:x?mode=memory");
    let core = open(&odd, &KEY).unwrap();
    core.create_org("Acme", Policy::default()).unwrap();
    assert!(odd.is_file());
    assert_eq!(core.list_orgs().unwrap().len(), 1);
}

/// A version 1 file (its target index over every event) migrates on open: the index becomes
/// partial, the version moves up, and pages by target still find every event.
#[test]
fn s8_a_version_1_file_migrates_its_target_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let (member, events) = {
        let core = core_at(&path);
        let o = org(&core, Policy::default());
        enroll(&core, &o.member.id);
        core.reset_mfa(&o.admin.id, &o.member.id, &mfa_core::ResetOptions::default()).unwrap();
        let q = mfa_core::AuditQuery { target: Some(o.member.id.clone()), ..Default::default() };
        (o.member.id.clone(), core.audit_events(&q).unwrap())
    };
    assert_eq!(events.len(), 4);
    sqlite(&path)
        .execute_batch(
            "DROP INDEX audit_by_target; CREATE INDEX audit_by_target ON audit (target, seq);
             ALTER TABLE orgs DROP COLUMN row_mac; ALTER TABLE users DROP COLUMN row_mac;
             ALTER TABLE recovery_codes DROP COLUMN row_mac; PRAGMA user_version = 1;",
        )
        .unwrap();

    let core = core_at(&path);
    let q = mfa_core::AuditQuery { target: Some(member), ..Default::default() };
    assert_eq!(core.audit_events(&q).unwrap(), events);
    drop(core);
    let db = sqlite(&path);
    let version: i64 = db.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, mfa_core::SCHEMA_VERSION);
    let index: String = db
        .query_row("SELECT sql FROM sqlite_master WHERE name = 'audit_by_target'", [], |r| r.get(0))
        .unwrap();
    assert!(index.ends_with("WHERE target IS NOT actor"), "{index}");
}
