//! `org` and `user`: the directory, its actor rules, and naming orgs by name and users by email.

mod common;

use common::*;

#[test]
fn org_create_and_list_with_a_policy() {
    let store = Store::new();
    let org = store.json(&[
        "org",
        "create",
        "Acme",
        "--mfa-required",
        "--enrollment-window",
        "3d",
        "--reset-limit-per-hour",
        "4",
        "--max-failed-verifications",
        "2",
        "--require-step-up",
    ]);
    assert_eq!(org["name"], "Acme");
    let policy = &org["policy"];
    assert_eq!(policy["mfa_required"], true);
    assert_eq!(policy["enrollment_window"], 3 * 86_400);
    assert_eq!(policy["reset_limit_per_hour"], 4);
    assert_eq!(policy["max_failed_verifications"], 2);
    assert_eq!(policy["require_step_up"], true);

    let plain = store.json(&["org", "create", "Globex"]);
    assert_eq!(plain["policy"]["enrollment_window"], 7 * 86_400);
    assert_eq!(plain["policy"]["mfa_required"], false);

    let listed = store.json_lines(&["org", "list"]);
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"Acme") && names.contains(&"Globex"));
    let text = store.ok(&["org", "list"]);
    assert!(text.contains(org["id"].as_str().unwrap()) && text.contains("require_step_up=true"));
}

#[test]
fn org_policy_out_of_range_is_invalid_input_and_bad_syntax_is_usage() {
    let store = Store::new();
    assert_eq!(store.code_of(&["org", "create", "Acme", "--reset-limit-per-hour", "0"], 10), "invalid_input");
    assert_eq!(store.code_of(&["org", "create", "Acme", "--enrollment-window", "366d"], 10), "invalid_input");
    assert_eq!(store.code_of(&["org", "create", ""], 10), "invalid_input");
    store.fails(&["org", "create", "Acme", "--enrollment-window", "a week"], 2);
    store.fails(&["org", "create", "Acme", "--max-failed-verifications", "-1"], 2);
    store.fails(&["org", "create"], 2);
    assert_eq!(store.ok(&["org", "list"]), "");
}

#[test]
fn users_are_added_listed_and_shown_by_id_or_email() {
    let store = Store::new();
    let acme = org(&store, "Acme", &["--mfa-required"]);
    let listed = store.json_lines(&["user", "list", "--org", "Acme"]);
    let emails: Vec<&str> = listed.as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["admin@acme.example", "member@acme.example", "owner@acme.example"]);
    assert!(store.ok(&["user", "list", "--org", &acme.id]).contains("member@acme.example"));

    let shown = store.json(&["user", "show", &acme.member]);
    assert_eq!(shown["user"]["role"], "member");
    assert_eq!(shown["user"]["status"], "active");
    assert_eq!(shown["mfa"]["state"], "enrollment_required");
    let by_email = store.json(&["user", "show", "MEMBER@acme.example", "--org", "Acme"]);
    assert_eq!(by_email["user"]["id"], acme.member.as_str());
    let text = store.ok(&["user", "show", &acme.member]);
    assert!(text.contains("state: enrollment_required") && text.contains("deadline: "), "{text}");

    // An email needs to know its org; an unknown one is not found.
    assert!(store.fails(&["user", "show", "member@acme.example"], 2).contains("--org"));
    assert_eq!(store.code_of(&["user", "show", "nobody@acme.example", "--org", "Acme"], 13), "not_found");
    assert_eq!(store.code_of(&["user", "show", "not-a-uuid"], 10), "invalid_input");
    assert_eq!(store.code_of(&["user", "list", "--org", "Initech"], 13), "not_found");
}

#[test]
fn duplicate_emails_conflict_and_bad_ones_are_invalid() {
    let store = Store::new();
    org(&store, "Acme", &[]);
    assert_eq!(store.code_of(&["user", "add", "--org", "Acme", "Owner@ACME.example"], 15), "conflict");
    assert_eq!(store.code_of(&["user", "add", "--org", "Acme", "no-at-sign"], 10), "invalid_input");
    store.fails(&["user", "add", "--org", "Acme", "x@acme.example", "--role", "superuser"], 2);
}

#[test]
fn two_orgs_with_one_name_must_be_named_by_id() {
    let store = Store::new();
    let first = store.json(&["org", "create", "Twin"])["id"].as_str().unwrap().to_string();
    store.json(&["org", "create", "Twin"]);
    let err = store.fails(&["user", "list", "--org", "Twin"], 10);
    assert!(err.contains("several orgs"), "{err}");
    assert_eq!(store.ok(&["user", "list", "--org", &first]), "");
}

#[test]
fn roles_change_under_the_actor_rules() {
    let store = Store::new();
    let acme = org(&store, "Acme", &[]);
    let changed = store.json(&["user", "role", "--actor", &acme.owner, &acme.member, "admin"]);
    assert_eq!(changed["role"], "admin");
    // By email, in the actor's org.
    let back = store.json(&["user", "role", "--actor", &acme.owner, "member@acme.example", "member"]);
    assert_eq!(back["role"], "member");
    // A member may change nobody; an admin may not grant owner or touch an owner.
    let member_tries = ["user", "role", "--actor", &acme.member, &acme.admin, "member"];
    assert_eq!(store.code_of(&member_tries, 12), "forbidden");
    assert_eq!(
        store.code_of(&["user", "role", "--actor", &acme.admin, &acme.member, "owner"], 12),
        "forbidden"
    );
    assert_eq!(
        store.code_of(&["user", "role", "--actor", &acme.admin, &acme.owner, "member"], 12),
        "forbidden"
    );
    // The last owner stays an owner.
    assert_eq!(
        store.code_of(&["user", "role", "--actor", &acme.owner, &acme.owner, "admin"], 15),
        "conflict"
    );
    // Someone in another org is not found; a missing actor is unauthenticated.
    let other = org(&store, "Globex", &[]);
    assert_eq!(
        store.code_of(&["user", "role", "--actor", &acme.owner, &other.member, "admin"], 13),
        "not_found"
    );
    let ghost = "00000000-0000-7000-8000-000000000000";
    assert_eq!(
        store.code_of(&["user", "role", "--actor", ghost, &acme.member, "admin"], 11),
        "unauthenticated"
    );
}

#[test]
fn disable_and_enable() {
    let store = Store::new();
    let acme = org(&store, "Acme", &[]);
    let disabled = store.json(&["user", "disable", "--actor", &acme.admin, &acme.member]);
    assert_eq!(disabled["status"], "disabled");
    assert!(store.ok(&["user", "list", "--org", "Acme"]).contains("disabled"));
    // A disabled user can neither act nor verify.
    let acts = ["user", "disable", "--actor", &acme.member, &acme.admin];
    assert_eq!(store.code_of(&acts, 11), "unauthenticated");
    assert_eq!(store.code_of(&["verify", &acme.member, "123456"], 11), "unauthenticated");
    let text = store.ok(&["user", "enable", "--actor", &acme.admin, &acme.member]);
    assert!(text.starts_with("enabled: ") && text.contains("active"), "{text}");
    assert_eq!(store.code_of(&["user", "disable", "--actor", &acme.owner, &acme.owner], 15), "conflict");
}

#[test]
fn step_up_orgs_need_the_actors_code_to_disable() {
    let store = Store::new();
    let acme = org(&store, "Acme", &["--require-step-up"]);
    let (secret, _) = enroll(&store, &acme.admin);
    let disable = ["user", "disable", "--actor", &acme.admin, &acme.member];
    assert_eq!(store.code_of(&disable, 12), "forbidden");
    let mut with_wrong = disable.to_vec();
    let wrong = wrong_code(&secret);
    with_wrong.extend(["--actor-proof", &wrong]);
    assert_eq!(store.code_of(&with_wrong, 12), "forbidden");
    // The code may come from stdin, to keep it out of process listings.
    let out = store
        .cmd(&disable)
        .args(["--actor-proof", "-"])
        .write_stdin(format!("{}\n", code(&secret, 1)))
        .output();
    let out = out.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("disabled"));
}

#[test]
fn org_policy_changes_the_options_given_for_owners_only() {
    let store = Store::new();
    let acme = org(&store, "Acme", &["--mfa-required"]);
    let admin_tries = ["org", "policy", "Acme", "--actor", &acme.admin, "--reset-limit-per-hour", "3"];
    assert_eq!(store.code_of(&admin_tries, 12), "forbidden");
    assert_eq!(store.code_of(&["org", "policy", "Acme", "--actor", &acme.owner], 10), "invalid_input");
    let zero = ["org", "policy", "Acme", "--actor", &acme.owner, "--max-failed-verifications", "0"];
    assert_eq!(store.code_of(&zero, 10), "invalid_input");
    store.fails(&["org", "policy", "Acme", "--actor", &acme.owner, "--mfa-required", "maybe"], 2);
    let changed = store.json(&[
        "org",
        "policy",
        "Acme",
        "--actor",
        "owner@acme.example",
        "--enrollment-window",
        "1h",
        "--mfa-required",
        "false",
    ]);
    assert_eq!(changed["id"], acme.id.as_str());
    assert_eq!(changed["policy"]["enrollment_window"], 3600);
    assert_eq!(changed["policy"]["mfa_required"], false);
    assert_eq!(changed["policy"]["max_failed_verifications"], 5);
    let text = store.ok(&["org", "policy", &acme.id, "--actor", &acme.owner, "--require-step-up", "true"]);
    assert!(text.contains("require_step_up=true") && text.contains("enrollment_window=3600s"), "{text}");
    let events = store.json_lines(&["audit", "tail", "--action", "org.policy"]);
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[1]["detail"]["from"]["enrollment_window"], 7 * 86_400);
    assert_eq!(events[1]["detail"]["to"]["enrollment_window"], 3600);
}

#[test]
fn users_are_renamed_and_deleted_under_the_actor_rules() {
    let store = Store::new();
    let acme = org(&store, "Acme", &[]);
    let renamed = store.json(&["user", "rename", "--actor", &acme.admin, &acme.member, "Mia@acme.example"]);
    assert_eq!(
        (renamed["id"].as_str(), renamed["email"].as_str()),
        (Some(&*acme.member), Some("Mia@acme.example"))
    );
    let taken = ["user", "rename", "--actor", &acme.admin, &acme.member, "ADMIN@acme.example"];
    assert_eq!(store.code_of(&taken, 15), "conflict");
    let boss = ["user", "rename", "--actor", &acme.admin, &acme.owner, "boss@acme.example"];
    assert_eq!(store.code_of(&boss, 12), "forbidden");

    assert_eq!(store.code_of(&["user", "delete", "--actor", &acme.admin, &acme.owner], 12), "forbidden");
    assert_eq!(store.code_of(&["user", "delete", "--actor", &acme.owner, &acme.owner], 15), "conflict");
    let text = store.ok(&["user", "delete", "--actor", &acme.admin, "mia@acme.example"]);
    assert_eq!(text.trim(), format!("deleted: {}", acme.member));
    assert_eq!(store.code_of(&["user", "show", &acme.member], 13), "not_found");
    store.json(&["user", "add", "--org", "Acme", "mia@acme.example"]);
    let deleted = store.json(&["user", "delete", "--actor", &acme.owner, &acme.admin]);
    assert_eq!(deleted["deleted"], acme.admin.as_str());
    assert_eq!(store.json(&["audit", "verify"])["report"]["ok"], true);
}
