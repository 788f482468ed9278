//! `enroll`, `confirm`, `verify`, `status`: the user's side of MFA, and where secrets may show.

mod common;

use common::*;
use serde_json::Value;

#[test]
fn enroll_draws_a_qr_code_and_prints_the_uri_and_secret() {
    let store = Store::new();
    let acme = org(&store, "Acme", &[]);
    let text = store.ok(&["enroll", "member@acme.example", "--org", "Acme"]);
    assert!(text.contains('▀') || text.contains('▄'), "no QR code:\n{text}");
    let uri = text.lines().find_map(|l| l.strip_prefix("otpauth URI: ")).expect("the URI");
    assert!(uri.starts_with("otpauth://totp/Acme:member%40acme.example?secret="), "{uri}");
    let secret = text.lines().find_map(|l| l.strip_prefix("secret (manual entry): ")).expect("the secret");
    assert!(uri.contains(&format!("secret={secret}&")));
    assert_eq!(store.json(&["status", &acme.member])["state"], "not_enrolled");

    // --no-qr leaves the drawing out; enrolling again replaces the pending secret.
    let plain = store.ok(&["enroll", &acme.member, "--no-qr"]);
    assert!(!plain.contains('▀') && !plain.contains('▄'));
    assert!(!plain.contains(secret), "a new enrollment must have a new secret");
    let json = store.json(&["enroll", &acme.member]);
    assert_eq!(json["user"], acme.member.as_str());
    assert!(json["uri"].as_str().unwrap().contains(json["secret"].as_str().unwrap()));
}

#[test]
fn confirm_prints_ten_recovery_codes_once_and_verify_accepts_codes() {
    let store = Store::new();
    let acme = org(&store, "Acme", &[]);
    let secret = store.json(&["enroll", &acme.member])["secret"].as_str().unwrap().to_string();
    // Nothing pending for someone else; a wrong code is refused and leaves the enrollment open.
    assert_eq!(store.code_of(&["confirm", &acme.admin, &code(&secret, 0)], 15), "conflict");
    assert_eq!(store.code_of(&["confirm", &acme.member, &wrong_code(&secret)], 16), "invalid_code");
    assert_eq!(store.code_of(&["confirm", &acme.member, "12345"], 16), "invalid_code");

    let text = store.ok(&["confirm", &acme.member, &code(&secret, 0)]);
    let codes: Vec<&str> = text.lines().skip(1).map(str::trim).collect();
    assert!(text.starts_with("enrolled. recovery codes"), "{text}");
    assert_eq!(codes.len(), 10, "{text}");
    assert_eq!(store.code_of(&["confirm", &acme.member, &code(&secret, 1)], 15), "conflict");
    assert_eq!(store.code_of(&["enroll", &acme.member], 15), "conflict");

    let status = store.json(&["status", &acme.member]);
    assert_eq!(status["state"], "enrolled");
    assert_eq!(status["recovery_codes_remaining"], 10);

    // The next step's code signs in once; replaying it is refused.
    let next = code(&secret, 1);
    let verified = store.json(&["verify", &acme.member, &next]);
    assert_eq!(verified["method"], "totp");
    assert_eq!(store.code_of(&["verify", &acme.member, &next], 16), "invalid_code");
    // A recovery code, from stdin, works once.
    let out =
        store.cmd(&["verify", &acme.member, "-"]).write_stdin(format!("{}\n", codes[0])).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "ok: recovery_code accepted, 9 recovery codes left\n");
    assert_eq!(store.code_of(&["verify", &acme.member, codes[0]], 16), "invalid_code");
    assert!(store.ok(&["status", &acme.member]).contains("recovery codes left: 9"));
}

#[test]
fn verify_without_enrollment_and_after_too_many_failures() {
    let store = Store::new();
    let acme = org(&store, "Acme", &["--max-failed-verifications", "2"]);
    assert_eq!(store.code_of(&["verify", &acme.member, "123456"], 14), "mfa_not_enabled");
    let (secret, _) = enroll(&store, &acme.member);
    let wrong = wrong_code(&secret);
    for _ in 0..2 {
        assert_eq!(store.code_of(&["verify", &acme.member, &wrong], 16), "invalid_code");
    }
    // Now even the right code waits.
    let args = ["verify", &acme.member, &code(&secret, 1), "--json"];
    let problem: Value = serde_json::from_str(&store.fails(&args, 17)).unwrap();
    assert_eq!(problem["code"], "rate_limited");
    assert_eq!(problem["status"], 429);
    assert!(problem["retry_after"].as_u64().is_some_and(|s| (1..=30).contains(&s)), "{problem}");
}

#[test]
fn secrets_show_only_in_the_enrolling_users_own_output() {
    let store = Store::new();
    let acme = org(&store, "Acme", &[]);
    let (secret, recovery) = enroll(&store, &acme.member);
    store.ok(&["verify", &acme.member, &code(&secret, 1)]);
    store.ok(&["reset", "--actor", &acme.owner, &acme.member, "--reason", "lost phone"]);
    let everything = [
        store.ok(&["user", "show", &acme.member]),
        store.ok(&["user", "show", &acme.member, "--json"]),
        store.ok(&["user", "list", "--org", "Acme", "--json"]),
        store.ok(&["status", &acme.member, "--json"]),
        store.ok(&["audit", "tail", "-n", "100"]),
        store.ok(&["audit", "tail", "-n", "100", "--json"]),
        store.ok(&["audit", "export", "--format", "jsonl"]),
        store.ok(&["audit", "export", "--format", "csv"]),
    ]
    .concat();
    assert!(!everything.contains(&secret), "the TOTP secret leaked");
    for code in &recovery {
        assert!(!everything.contains(code.as_str()), "a recovery code leaked");
    }
    assert!(!everything.contains(KEY_HEX), "the key leaked");
}

#[test]
fn status_of_unknown_and_malformed_users() {
    let store = Store::new();
    org(&store, "Acme", &[]);
    assert_eq!(store.code_of(&["status", "00000000-0000-7000-8000-000000000000"], 13), "not_found");
    assert_eq!(store.code_of(&["status", "bob"], 10), "invalid_input");
    assert_eq!(store.code_of(&["status", "bob@acme.example", "--org", "Acme"], 13), "not_found");
}
