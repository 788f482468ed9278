//! `key rotate`: the store moves to the new key; the old key is refused, the trail verifies
//! with the new one against a checkpoint saved before, and the key never appears in output.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::*;

const NEW_HEX: &str = "0808080808080808080808080808080808080808080808080808080808080808";

#[test]
fn key_rotate_moves_the_store_to_the_new_key() {
    let store = Store::new();
    let acme = org(&store, "Acme", &[]);
    let before = store.ok(&["audit", "checkpoint"]).trim().to_string();

    let key_file = store.dir.path().join("new.key");
    std::fs::write(&key_file, format!("{NEW_HEX}\n")).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let key_arg = key_file.to_str().unwrap();
    // A key file others can read is refused, and nothing changes.
    assert_eq!(store.code_of(&["key", "rotate", "--new-key-file", key_arg], 10), "invalid_input");
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();

    let out = store.run(&["--json", "key", "rotate", "--new-key-file", key_arg]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains(NEW_HEX) && !stderr(&out).contains(NEW_HEX));
    let rotated: serde_json::Value = serde_json::from_str(&text).unwrap();
    let head = format!("{}:{}", rotated["head"]["seq"], rotated["head"]["mac"].as_str().unwrap());
    let files: Vec<_> =
        std::fs::read_dir(store.dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(files.iter().all(|f| f.to_str().unwrap().starts_with("mfa.db") || f == "new.key"), "{files:?}");

    // The old key is refused; the new one opens and verifies the whole trail.
    assert_eq!(store.code_of(&["audit", "checkpoint"], 10), "invalid_input");
    let with_new = |args: &[&str]| {
        let out = bare().env("MFA_CORE_KEY", NEW_HEX).arg("--db").arg(&store.db).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    assert_eq!(with_new(&["audit", "checkpoint"]).trim(), head);
    for cp in [&before, &head] {
        let report: serde_json::Value =
            serde_json::from_str(&with_new(&["--json", "audit", "verify", "--checkpoint", cp])).unwrap();
        assert_eq!(report["report"]["ok"], true, "{cp}");
    }
    assert!(with_new(&["user", "show", &acme.member]).contains("member@acme.example"));
    // Rotating to the key the store already has is refused.
    let same = store.dir.path().join("same.key");
    std::fs::write(&same, NEW_HEX).unwrap();
    std::fs::set_permissions(&same, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = bare()
        .env("MFA_CORE_KEY", NEW_HEX)
        .arg("--db")
        .arg(&store.db)
        .args(["key", "rotate", "--new-key-file", same.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
}
