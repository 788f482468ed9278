//! The key and the store file: where the key comes from, what happens without one or with the
//! wrong one, and files that are not stores. The key is never printed.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::*;

/// A key file as an operator should keep it: readable by its owner only.
fn write_key(path: &Path, contents: impl AsRef<[u8]>) {
    std::fs::write(path, contents).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[test]
fn without_a_key_the_tool_refuses_to_start() {
    let store = Store::new();
    let out = bare().arg("--db").arg(&store.db).args(["org", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no key"), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    // Even init needs one (unless it generates it).
    let fresh = Store::uninit();
    let out = bare().arg("--db").arg(&fresh.db).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!fresh.db.exists(), "no store may be created without a key");
}

#[test]
fn without_a_store_path_the_tool_says_so() {
    let out = bare().env("MFA_CORE_KEY", KEY_HEX).args(["org", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--db"));
    // MFA_CORE_DB stands in for --db.
    let store = Store::new();
    let out =
        bare().env("MFA_CORE_KEY", KEY_HEX).env("MFA_CORE_DB", &store.db).args(["org", "list"]).output();
    assert_eq!(out.unwrap().status.code(), Some(0));
}

#[test]
fn a_wrong_key_is_invalid_input_and_leaves_the_store_alone() {
    let store = Store::new();
    org(&store, "Acme", &[]);
    let before = (store.ok(&["org", "list"]), store.ok(&["audit", "checkpoint"]));
    let wrong = "08".repeat(32);
    let out = store.cmd(&["org", "list"]).env("MFA_CORE_KEY", &wrong).output().unwrap();
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    assert!(stderr(&out).contains("invalid_input"));
    assert!(!stderr(&out).contains(&wrong) && !stderr(&out).contains(KEY_HEX));
    // The WAL may have been folded into the file, but nothing was changed or recorded.
    assert_eq!((store.ok(&["org", "list"]), store.ok(&["audit", "checkpoint"])), before);
}

#[test]
fn a_malformed_key_is_invalid_input_and_not_echoed() {
    let store = Store::new();
    for bad in ["", "zz", &"07".repeat(31), &"07".repeat(33), &format!("{}xy", "07".repeat(31))] {
        let out = store.cmd(&["org", "list"]).env("MFA_CORE_KEY", bad).output().unwrap();
        assert_eq!(out.status.code(), Some(10), "{bad:?}");
        assert!(stderr(&out).contains("MFA_CORE_KEY is not 64 hex digits"));
        if !bad.is_empty() {
            assert!(!stderr(&out).contains(bad), "the key was echoed");
        }
    }
    // Upper case and surrounding whitespace are fine.
    let upper = format!(" {}\n", KEY_HEX.to_uppercase());
    assert_eq!(
        store.cmd(&["org", "list"]).env("MFA_CORE_KEY", upper).output().unwrap().status.code(),
        Some(0)
    );
}

#[test]
fn a_key_file_holds_raw_bytes_or_hex() {
    let store = Store::new();
    let raw = store.dir.path().join("raw.key");
    write_key(&raw, [7u8; 32]);
    let hex = store.dir.path().join("hex.key");
    write_key(&hex, format!("{KEY_HEX}\n"));
    for file in [&raw, &hex] {
        let out =
            bare().arg("--db").arg(&store.db).arg("--key-file").arg(file).args(["org", "list"]).output();
        assert_eq!(out.unwrap().status.code(), Some(0), "{}", file.display());
    }
    // MFA_CORE_KEY_FILE stands in for --key-file.
    let out = bare().arg("--db").arg(&store.db).env("MFA_CORE_KEY_FILE", &raw).args(["org", "list"]).output();
    assert_eq!(out.unwrap().status.code(), Some(0));

    let short = store.dir.path().join("short.key");
    write_key(&short, [7u8; 31]);
    let missing = store.dir.path().join("missing.key");
    let long = store.dir.path().join("long.key");
    write_key(&long, format!("{KEY_HEX}\n").repeat(1000));
    for file in [&short, &missing, &long, &store.dir.path().to_path_buf()] {
        let out =
            bare().arg("--db").arg(&store.db).arg("--key-file").arg(file).args(["org", "list"]).output();
        let out = out.unwrap();
        assert_eq!(out.status.code(), Some(10), "{}", file.display());
        assert!(stderr(&out).contains("key file"));
    }
}

#[test]
fn a_key_file_other_users_can_read_is_refused() {
    let store = Store::new();
    let file = store.dir.path().join("open.key");
    write_key(&file, KEY_HEX);
    for mode in [0o644, 0o640, 0o604] {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        let out = bare()
            .arg("--db")
            .arg(&store.db)
            .arg("--key-file")
            .arg(&file)
            .args(["org", "list"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(10), "{mode:o}");
        let err = stderr(&out);
        assert!(err.contains("UNPROTECTED KEY FILE") && err.contains(&format!("{mode:04o}")), "{err}");
        assert!(err.contains("chmod 600"), "{err}");
        assert!(!err.contains(KEY_HEX));
    }
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o400)).unwrap();
    let out = bare().arg("--db").arg(&store.db).arg("--key-file").arg(&file).args(["org", "list"]).output();
    assert_eq!(out.unwrap().status.code(), Some(0));
}

#[test]
fn a_store_other_users_can_read_opens_with_a_warning() {
    let store = Store::new();
    assert_eq!(std::fs::metadata(&store.db).unwrap().permissions().mode() & 0o777, 0o600);
    let quiet = store.run(&["org", "list"]);
    assert_eq!(quiet.status.code(), Some(0));
    assert!(!stderr(&quiet).contains("warning"), "{}", stderr(&quiet));

    std::fs::set_permissions(&store.db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = store.run(&["org", "list"]);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(err.contains("warning: other users can read the store") && err.contains("0644"), "{err}");
}

#[test]
fn an_empty_store_file_is_a_storage_error_and_stays_empty() {
    let store = Store::uninit();
    std::fs::write(&store.db, b"").unwrap();
    let err = store.fails(&["audit", "verify"], 18);
    assert!(err.contains("empty"), "{err}");
    // With --json too: the operator's problem details keep the specifics.
    let json: serde_json::Value =
        serde_json::from_str(&store.fails(&["audit", "verify", "--json"], 18)).unwrap();
    assert_eq!(json["code"], "storage");
    assert!(json["detail"].as_str().unwrap().contains("empty file"), "{json}");
    assert_eq!(std::fs::read(&store.db).unwrap(), b"");
}

#[test]
fn two_keys_at_once_are_refused() {
    let store = Store::new();
    let file = store.dir.path().join("k");
    std::fs::write(&file, KEY_HEX).unwrap();
    let out = store.cmd(&["org", "list", "--key-file"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pass one key"));
}

#[test]
fn a_file_that_is_not_sqlite_is_a_storage_error_and_is_not_changed() {
    let store = Store::uninit();
    let junk = b"this is a text file, not an SQLite database\n".repeat(200);
    std::fs::write(&store.db, &junk).unwrap();
    assert_eq!(store.code_of(&["org", "list"], 18), "storage");
    assert_eq!(std::fs::read(&store.db).unwrap(), junk);
}

#[test]
fn an_sqlite_file_of_another_program_is_a_storage_error() {
    let store = Store::uninit();
    rusqlite::Connection::open(&store.db).unwrap().execute_batch("CREATE TABLE notes (body TEXT)").unwrap();
    let err = store.fails(&["org", "list"], 18);
    assert!(err.contains("not an mfa-core store"), "{err}");
}

#[test]
fn a_missing_store_is_not_found_and_is_not_created() {
    let store = Store::uninit();
    let err = store.fails(&["org", "list"], 13);
    assert!(err.contains("mfa-admin init"), "{err}");
    assert!(!store.db.exists());
}

#[test]
fn init_creates_a_store_once() {
    let store = Store::uninit();
    let out = store.json(&["init"]);
    assert_eq!(out["schema_version"], mfa_core::SCHEMA_VERSION);
    assert!(store.db.exists());
    assert_eq!(store.code_of(&["init"], 15), "conflict");
    assert_eq!(store.ok(&["org", "list"]), "");
}

#[test]
fn init_can_generate_the_key_without_printing_it() {
    let store = Store::uninit();
    let key_file = store.dir.path().join("mfa.key");
    let out = bare()
        .arg("--db")
        .arg(&store.db)
        .arg("--key-file")
        .arg(&key_file)
        .args(["init", "--generate-key"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(key.trim().len(), 64);
    assert!(!stdout(&out).contains(key.trim()) && !stderr(&out).contains(key.trim()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // The new key opens the new store, from the tool and from the library's key-file helper.
    let list =
        bare().arg("--db").arg(&store.db).arg("--key-file").arg(&key_file).args(["org", "list"]).output();
    assert_eq!(list.unwrap().status.code(), Some(0));
    let loaded = mfa_core::key::from_file(&key_file).unwrap();
    let options = mfa_core::OpenOptions { create_if_missing: false, ..Default::default() };
    let core = mfa_core::Core::open(&store.db, loaded.as_slice(), options).unwrap();
    assert_eq!(core.list_orgs().unwrap(), []);

    // An existing key is never overwritten, and --generate-key needs somewhere to write.
    let other = store.dir.path().join("other.db");
    let again = bare()
        .arg("--db")
        .arg(&other)
        .arg("--key-file")
        .arg(&key_file)
        .args(["init", "--generate-key"])
        .output();
    assert_eq!(again.unwrap().status.code(), Some(15));
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), key);
    let nowhere =
        bare().env("MFA_CORE_KEY", KEY_HEX).arg("--db").arg(&other).args(["init", "--generate-key"]).output();
    assert_eq!(nowhere.unwrap().status.code(), Some(2));
    assert!(!other.exists());
}

#[test]
fn a_store_made_by_the_tool_opens_in_the_library_with_the_same_key_bytes() {
    let store = Store::new();
    let acme = org(&store, "Acme", &[]);
    let core = mfa_core::Core::open(&store.db, &[7u8; 32], mfa_core::OpenOptions::default()).unwrap();
    assert_eq!(core.get_org(&acme.id).unwrap().name, "Acme");
    assert_eq!(core.list_users(&acme.id).unwrap().len(), 3);
    assert!(core.verify_audit(None).unwrap().ok);
}

#[test]
fn init_creates_an_owner_only_store_whatever_the_umask() {
    let store = Store::uninit();
    let out = std::process::Command::new("sh")
        .args(["-c", "umask 000 && exec \"$0\" --db \"$1\" init", env!("CARGO_BIN_EXE_mfa-admin")])
        .arg(&store.db)
        .env("MFA_CORE_KEY", KEY_HEX)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // (The -wal and -shm files, which SQLite gives the same bits, are gone once the tool exits;
    // the core's tests check them while a handle is open.)
    assert_eq!(std::fs::metadata(&store.db).unwrap().permissions().mode() & 0o777, 0o600);
    store.ok(&["org", "create", "Acme"]);
    assert_eq!(std::fs::metadata(&store.db).unwrap().permissions().mode() & 0o777, 0o600);
}
