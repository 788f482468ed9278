//! `--key-file -`: the key piped in (from a secret manager, say), in the formats of a key file,
//! and stdin given to one reader only.

mod common;

use common::*;

/// The store's command with the key on stdin instead of in MFA_CORE_KEY.
fn piped(store: &Store, args: &[&str], stdin: impl Into<Vec<u8>>) -> std::process::Output {
    let mut cmd = bare();
    cmd.arg("--db").arg(&store.db).args(["--key-file", "-"]).args(args);
    cmd.write_stdin(stdin).output().unwrap()
}

#[test]
fn the_key_can_come_from_stdin_as_hex_or_raw_bytes() {
    let store = Store::new();
    store.ok(&["org", "create", "Acme"]);
    for key in [format!("{KEY_HEX}\n").into_bytes(), KEY_HEX.to_uppercase().into_bytes(), vec![7u8; 32]] {
        let out = piped(&store, &["org", "list"], key);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stdout(&out).contains("Acme"));
    }
    // MFA_CORE_KEY_FILE=- too; `init` takes a piped key as well.
    let fresh = Store::uninit();
    let out = bare()
        .arg("--db")
        .arg(&fresh.db)
        .env("MFA_CORE_KEY_FILE", "-")
        .arg("init")
        .write_stdin(KEY_HEX)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    fresh.ok(&["org", "list"]);
}

#[test]
fn a_bad_piped_key_is_refused_and_not_echoed() {
    let store = Store::new();
    for bad in [&b""[..], b"zz", &[7u8; 31], &[7u8; 33], "08".repeat(32).as_bytes(), &[b'0'; 4096]] {
        let out = piped(&store, &["org", "list"], bad);
        assert_eq!(out.status.code(), Some(10), "{bad:?}");
        assert_eq!(stdout(&out), "");
        let err = stderr(&out);
        assert!(err.contains("invalid_input"), "{err}");
        assert!(!err.contains(&"08".repeat(32)), "the key was echoed");
    }
    // A key both piped and in the environment is ambiguous.
    let out = store.cmd(&["--key-file", "-", "org", "list"]).write_stdin(KEY_HEX).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn stdin_serves_one_reader_only() {
    let store = Store::new();
    store.ok(&["org", "create", "Acme"]);
    let member =
        store.json(&["user", "add", "--org", "Acme", "m@acme.example"])["id"].as_str().unwrap().to_string();
    // The key took stdin: a code or a file of users from it is a usage error, not a read of
    // an empty stream.
    for args in [&["verify", &member, "-"][..], &["user", "import", "--org", "Acme", "-"]] {
        let out = piped(&store, args, format!("{KEY_HEX}\n"));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("stdin already holds the key"), "{}", stderr(&out));
    }
    // Codes read a line each, so two of them share stdin in turn: a self-reset's proof is the
    // first line (the actor proof, unused without step-up, the second).
    let secret = store.json(&["enroll", &member])["secret"].as_str().unwrap().to_string();
    store.ok(&["confirm", &member, &code(&secret, 0)]);
    let out = store
        .cmd(&["reset", "--actor", &member, &member, "--proof", "-", "--actor-proof", "-"])
        .write_stdin(format!("{}\n000000\n", code(&secret, 1)))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // `--generate-key` writes a key file: it cannot write to stdin.
    let fresh = Store::uninit();
    let out = bare().arg("--db").arg(&fresh.db).args(["--key-file", "-", "init", "--generate-key"]).output();
    let out = out.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!fresh.db.exists() && !std::path::Path::new("-").exists());
}
