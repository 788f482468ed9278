//! `info`: what the store holds, as text and as JSON, and nothing secret.

mod common;

use common::*;

#[test]
fn info_reports_counts_the_head_and_the_file() {
    let store = Store::new();
    let empty = store.json(&["info"]);
    assert_eq!((empty["orgs"].as_u64(), empty["audit_events"].as_u64()), (Some(0), Some(0)));
    assert_eq!(empty["key_check_ok"], true);

    let acme = org(&store, "Acme", &["--mfa-required"]);
    let (secret, codes) = enroll(&store, &acme.member);
    store.ok(&["user", "disable", "--actor", &acme.owner, &acme.admin]);
    let info = store.json(&["info"]);
    assert_eq!(info["schema_version"], mfa_core::SCHEMA_VERSION);
    assert_eq!(info["path"], store.db.to_str().unwrap());
    assert_eq!(info["mode"], 0o600);
    assert_eq!(info["readable_by_others"], false);
    assert_eq!(info["file_size"].as_u64(), Some(std::fs::metadata(&store.db).unwrap().len()));
    assert_eq!(info["orgs"], 1);
    let users = &info["users"];
    assert_eq!((users["total"].as_u64(), users["enrolled"].as_u64()), (Some(3), Some(1)));
    assert_eq!((users["enrollment_required"].as_u64(), users["disabled"].as_u64()), (Some(2), Some(1)));
    assert_eq!((users["not_enrolled"].as_u64(), users["locked_out"].as_u64()), (Some(0), Some(0)));
    let head = store.ok(&["audit", "checkpoint"]);
    let head = head.trim();
    assert_eq!(
        format!("{}:{}", info["audit_head"]["seq"], info["audit_head"]["mac"].as_str().unwrap()),
        head
    );
    assert_eq!(info["audit_events"], info["audit_head"]["seq"]);

    let text = store.ok(&["info"]);
    for line in [
        "key check: ok",
        "orgs: 1",
        "users: 3 (not_enrolled 0, enrollment_required 2, locked_out 0, enrolled 1; disabled 1)",
        "permissions: 0600 (owner only)",
        &format!("audit head: {head}"),
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    for out in [text, info.to_string()] {
        assert!(!out.contains(&secret) && !codes.iter().any(|c| out.contains(c.as_str())));
    }
}
