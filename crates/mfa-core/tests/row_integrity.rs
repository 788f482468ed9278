//! Row MACs: a user, org or recovery-code row changed through plain SQL by someone without the
//! key is refused with `storage` ("tampered", naming the row) at the next decision, and nothing
//! is done on it: no change, no audit event. Also the migration that adds the MACs to stores
//! of versions 1 and 2.

mod common;

use common::*;
use mfa_core::{Core, Error, MfaState, Policy, ResetOptions, Role, UserStatus};

/// A file store with an org (owner, admin, two members), the two members enrolled; plus a plain
/// SQLite connection for the attacker.
struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    core: Core,
    org: Org,
    member_secret: String,
    member_codes: Vec<String>,
}

fn fixture(policy: Policy) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let core = core_at(&path);
    let org = org(&core, policy);
    let (member_secret, codes) = enroll(&core, &org.member.id);
    enroll(&core, &org.other.id);
    Fixture { path, core, org, member_secret, member_codes: codes.0.clone(), _dir: dir }
}

impl Fixture {
    fn sql(&self, edit: &str) {
        let conn = rusqlite::Connection::open(&self.path).unwrap();
        // The attacker is not bound by the schema's foreign keys.
        conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        conn.execute_batch(edit).unwrap();
        assert!(conn.total_changes() >= 1, "the edit changed nothing: {edit}");
    }

    fn member_code(&self) -> String {
        code(&self.core, &self.member_secret, 0)
    }
}

/// The call was refused as tampering with `row` (e.g. "user <id>").
#[track_caller]
fn assert_tampered<T: std::fmt::Debug>(result: Result<T, Error>, row: &str) {
    let err = result.unwrap_err();
    assert_eq!(err.code(), "storage", "{err}");
    assert!(err.message().contains("tampered") && err.message().contains(row), "{err}");
}

/// Every column of a user row is covered: change one, and the next decision on that user is
/// refused without effect.
#[test]
fn every_user_column_is_covered() {
    let other_secret = "(SELECT totp_secret FROM users WHERE email = 'other@acme.test')";
    let edits = [
        "org_id = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'",
        "email = 'mallory@acme.test'",
        "email_key = 'mallory@acme.test'",
        "role = 'owner'",
        "status = 'disabled'",
        "credential_epoch = 7",
        "created_at = created_at - 1",
        "deadline = 1",
        &format!("totp_secret = {other_secret}"),
        "totp_confirmed = 0",
        "last_step = NULL",
        "last_step = last_step - 1",
        "failed_count = 2",
        "locked_until = 1",
        "row_mac = x''",
        // Values of the wrong type are tampering too, not an unreadable file.
        "failed_count = 'none'",
        "row_mac = 'a MAC as text'",
    ];
    for edit in edits {
        let f = fixture(Policy::default());
        let id = &f.org.member.id;
        let events = audit_count(&f.core);
        f.sql(&format!("UPDATE users SET {edit} WHERE id = '{id}'"));
        assert_tampered(f.core.verify(id, &f.member_code()), &format!("user {id}"));
        assert_tampered(f.core.mfa_status(id), &format!("user {id}"));
        assert_tampered(f.core.get_user(id), &format!("user {id}"));
        assert_eq!(audit_count(&f.core), events, "{edit}: the refusal recorded something");
        assert!(f.core.verify_audit(None).unwrap().ok, "{edit}");
    }
}

#[test]
fn a_member_made_owner_cannot_reset_or_promote_anyone() {
    let f = fixture(Policy::default());
    let (member, other) = (&f.org.member.id, &f.org.other.id);
    let events = audit_count(&f.core);
    f.sql(&format!("UPDATE users SET role = 'owner' WHERE id = '{member}'"));

    assert_tampered(f.core.reset_mfa(member, other, &ResetOptions::default()), member);
    assert_tampered(f.core.set_role(member, other, Role::Owner, None), member);
    assert_tampered(f.core.disable_user(member, &f.org.owner.id, None), member);
    assert_eq!(audit_count(&f.core), events);
    let status = f.core.mfa_status(other).unwrap();
    assert_eq!((status.state, status.credential_epoch), (MfaState::Enrolled, 0));
    assert_eq!(f.core.get_user(other).unwrap().role, Role::Member);
    assert_eq!(f.core.get_user(&f.org.owner.id).unwrap().status, UserStatus::Active);
    // The real owner still acts on the others; the tampered row is refused as a target too.
    f.core.reset_mfa(&f.org.owner.id, other, &ResetOptions::default()).unwrap();
    assert_tampered(f.core.reset_mfa(&f.org.owner.id, member, &ResetOptions::default()), member);
    assert!(f.core.verify_audit(None).unwrap().ok);
}

#[test]
fn a_disabled_user_enabled_by_sql_cannot_verify_or_act() {
    let f = fixture(Policy::default());
    let member = &f.org.member.id;
    f.core.disable_user(&f.org.owner.id, member, None).unwrap();
    let events = audit_count(&f.core);
    f.sql(&format!("UPDATE users SET status = 'active' WHERE id = '{member}'"));

    assert_tampered(f.core.verify(member, &f.member_code()), member);
    assert_tampered(f.core.verify(member, &f.member_codes[0]), member);
    assert_tampered(f.core.begin_enrollment(member), member);
    assert_eq!(audit_count(&f.core), events);
}

#[test]
fn a_cleared_failure_counter_is_detected() {
    let f = fixture(Policy { max_failed_verifications: 3, ..Policy::default() });
    let member = &f.org.member.id;
    for _ in 0..3 {
        let wrong = wrong_code(&f.core, &f.member_secret);
        assert_eq!(f.core.verify(member, &wrong).unwrap_err().code(), "invalid_code");
    }
    assert_eq!(f.core.verify(member, &f.member_code()).unwrap_err().code(), "rate_limited");
    let events = audit_count(&f.core);
    f.sql(&format!("UPDATE users SET failed_count = 0, locked_until = NULL WHERE id = '{member}'"));

    // The right code would pass on a cleared counter: it is refused, and not spent.
    assert_tampered(f.core.verify(member, &f.member_code()), member);
    assert_eq!(audit_count(&f.core), events);
}

#[test]
fn a_row_copied_onto_another_id_or_email_is_refused() {
    let f = fixture(Policy::default());
    let (owner, other) = (&f.org.owner.id, &f.org.other.id);
    // The owner's whole row, MAC included, under a new id: the MAC names the old id.
    let forged = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    f.sql(&format!(
        "INSERT INTO users SELECT '{forged}', org_id, 'forged@acme.test', 'forged@acme.test', role, \
         status, credential_epoch, created_at, deadline, totp_secret, totp_confirmed, last_step, \
         failed_count, locked_until, row_mac FROM users WHERE id = '{owner}'"
    ));
    assert_tampered(f.core.reset_mfa(forged, other, &ResetOptions::default()), forged);
    assert_tampered(f.core.find_user_by_email(&f.org.id, "forged@acme.test"), forged);
    // Two rows' emails swapped: a sign-in looked up by email never lands on the wrong row.
    f.sql(&format!(
        "UPDATE users SET email = 'x', email_key = 'x' WHERE id = '{other}';
         UPDATE users SET (email, email_key) = ('other@acme.test', 'other@acme.test') WHERE id = '{}';
         UPDATE users SET (email, email_key) = ('member@acme.test', 'member@acme.test') WHERE id = '{other}';",
        f.org.member.id
    ));
    assert_tampered(f.core.find_user_by_email(&f.org.id, "other@acme.test"), &f.org.member.id);
}

#[test]
fn a_forged_owner_cannot_let_the_last_real_owner_go() {
    let f = fixture(Policy::default());
    let owner = &f.org.owner.id;
    f.sql(&format!("UPDATE users SET role = 'owner' WHERE id = '{}'", f.org.other.id));
    // Counted in SQL, the forged row would make the real owner look like one of two.
    assert_tampered(f.core.disable_user(owner, owner, None), &f.org.other.id);
    assert_tampered(f.core.set_role(owner, owner, Role::Member, None), &f.org.other.id);
    assert_eq!(f.core.get_user(owner).unwrap().role, Role::Owner);
    assert_eq!(f.core.get_user(owner).unwrap().status, UserStatus::Active);
}

/// An org's policy is covered: step-up turned off or a limit raised is refused like a role.
#[test]
fn every_org_column_is_covered() {
    let edits = [
        "require_step_up = 0",
        "reset_limit_per_hour = 1000000",
        "max_failed_verifications = 100",
        "mfa_required = 0",
        "enrollment_window = 1",
        "name = 'Evil'",
        "created_at = 0",
        "row_mac = x''",
        "reset_limit_per_hour = 'many'",
    ];
    for edit in edits {
        let f = fixture(Policy { require_step_up: true, mfa_required: true, ..Policy::default() });
        let org = &f.org.id;
        let events = audit_count(&f.core);
        f.sql(&format!("UPDATE orgs SET {edit} WHERE id = '{org}'"));
        // The admin (not enrolled, so no proof needed either way) resets a member.
        let reset = f.core.reset_mfa(&f.org.admin.id, &f.org.member.id, &ResetOptions::default());
        assert_tampered(reset, &format!("org {org}"));
        assert_tampered(f.core.get_org(org), &format!("org {org}"));
        assert_tampered(f.core.verify(&f.org.member.id, &f.member_code()), &format!("org {org}"));
        assert_eq!(audit_count(&f.core), events, "{edit}");
        assert_eq!(f.core.mfa_status(&f.org.member.id).unwrap().credential_epoch, 0, "{edit}");
    }
}

#[test]
fn a_spent_recovery_code_made_unused_is_refused() {
    let f = fixture(Policy::default());
    let member = &f.org.member.id;
    f.core.verify(member, &f.member_codes[0]).unwrap();
    assert_eq!(f.core.mfa_status(member).unwrap().recovery_codes_remaining, 9);
    let events = audit_count(&f.core);
    f.sql(&format!(
        "UPDATE recovery_codes SET used_at = NULL WHERE user_id = '{member}' AND used_at IS NOT NULL"
    ));

    assert_tampered(f.core.verify(member, &f.member_codes[0]), &format!("recovery code of user {member}"));
    // Also a self-reset proof, and the count of codes left.
    let proof = ResetOptions { proof: Some(f.member_codes[0].clone()), ..Default::default() };
    assert_tampered(f.core.reset_mfa(member, member, &proof), member);
    assert_tampered(f.core.mfa_status(member), member);
    assert_eq!(audit_count(&f.core), events);
    f.sql(&format!(
        "UPDATE recovery_codes SET used_at = 'never' WHERE user_id = '{member}' AND used_at IS NULL"
    ));
    assert_tampered(f.core.verify(member, &f.member_codes[1]), &format!("recovery code of user {member}"));
}

#[test]
fn a_recovery_code_moved_to_another_user_is_refused() {
    let f = fixture(Policy::default());
    let (member, other) = (&f.org.member.id, &f.org.other.id);
    f.sql(&format!("UPDATE recovery_codes SET user_id = '{other}' WHERE user_id = '{member}'"));
    assert_tampered(f.core.mfa_status(other), other);
}

/// Rows written by the library itself always pass: a long mixed run ends with every row
/// readable and the audit chain whole.
#[test]
fn rows_written_by_every_operation_pass_their_check() {
    let f = fixture(Policy { max_failed_verifications: 2, ..Policy::default() });
    let (owner, member, other) = (&f.org.owner.id, &f.org.member.id, &f.org.other.id);
    f.core.set_role(owner, other, Role::Admin, None).unwrap();
    f.core.disable_user(owner, other, None).unwrap();
    f.core.enable_user(owner, other).unwrap();
    f.core.verify(member, &f.member_codes[1]).unwrap();
    for _ in 0..3 {
        let _ = f.core.verify(member, &wrong_code(&f.core, &f.member_secret));
    }
    advance(&f.core, 600);
    f.core.verify(member, &f.member_code()).unwrap();
    f.core.regenerate_recovery_codes(member, &code(&f.core, &f.member_secret, 1)).unwrap();
    f.core.reset_mfa(owner, member, &ResetOptions::default()).unwrap();
    let secret = f.core.begin_enrollment(member).unwrap().secret.clone();
    f.core.confirm_enrollment(member, &code(&f.core, &secret, 0)).unwrap();
    for user in f.core.list_users(&f.org.id).unwrap() {
        f.core.mfa_status(&user.id).unwrap();
    }
    f.core.list_orgs().unwrap();
    assert!(f.core.verify_audit(None).unwrap().ok);
}

// ---- migration from versions 1 and 2 ----

/// Turns a current store into the layout of `version`: the same tables without the MAC columns
/// (version 3), and for version 1 the audit target index over every event (version 2).
fn downgrade(path: &std::path::Path, version: i64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "ALTER TABLE orgs DROP COLUMN row_mac;
         ALTER TABLE users DROP COLUMN row_mac;
         ALTER TABLE recovery_codes DROP COLUMN row_mac;",
    )
    .unwrap();
    if version == 1 {
        conn.execute_batch(
            "DROP INDEX audit_by_target; CREATE INDEX audit_by_target ON audit (target, seq);",
        )
        .unwrap();
    }
    conn.pragma_update(None, "user_version", version).unwrap();
}

#[test]
fn a_version_1_store_gets_its_row_macs_and_keeps_working() {
    migrates_and_keeps_working(1);
}

#[test]
fn a_version_2_store_gets_its_row_macs_and_keeps_working() {
    migrates_and_keeps_working(2);
}

fn migrates_and_keeps_working(from: i64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let (o, secret, codes, checkpoint) = {
        let core = core_at(&path);
        let o = org(&core, Policy { max_failed_verifications: 3, ..Policy::default() });
        let (secret, codes) = enroll(&core, &o.member.id);
        core.verify(&o.member.id, &codes.0[0]).unwrap();
        core.verify(&o.member.id, &wrong_code(&core, &secret)).unwrap_err();
        core.disable_user(&o.owner.id, &o.other.id, None).unwrap();
        (o, secret, codes.0.clone(), core.audit_checkpoint().unwrap())
    };
    downgrade(&path, from);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let columns: i64 = conn
            .query_row("SELECT count(*) FROM pragma_table_info('users') WHERE name = 'row_mac'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(columns, 0, "the downgrade left a version {from} layout");
    }

    let core = core_at(&path);
    core.set_time(T0 + 90).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, mfa_core::SCHEMA_VERSION);
    for table in ["orgs", "users", "recovery_codes"] {
        let (rows, sealed): (i64, i64) = conn
            .query_row(
                &format!("SELECT count(*), count(*) FILTER (WHERE length(row_mac) = 32) FROM {table}"),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert!(rows > 0 && rows == sealed, "{table}: {sealed} of {rows} rows sealed");
    }

    // Everything carried over: state, counters, spent codes, status, the chain.
    assert!(core.verify_audit(Some(&checkpoint)).unwrap().ok);
    let status = core.mfa_status(&o.member.id).unwrap();
    assert_eq!((status.state, status.recovery_codes_remaining), (MfaState::Enrolled, 9));
    assert_eq!(core.verify(&o.member.id, &codes[0]).unwrap_err().code(), "invalid_code");
    assert_eq!(core.verify(&o.member.id, &codes[1]).unwrap().recovery_codes_remaining, 8);
    assert_eq!(core.get_user(&o.other.id).unwrap().status, UserStatus::Disabled);
    core.verify(&o.member.id, &code(&core, &secret, 0)).unwrap();
    core.reset_mfa(&o.owner.id, &o.member.id, &ResetOptions::default()).unwrap();
    assert!(core.verify_audit(None).unwrap().ok);

    // And the migrated rows are now protected.
    conn.execute(&format!("UPDATE users SET status = 'active' WHERE id = '{}'", o.other.id), []).unwrap();
    assert_tampered(core.get_user(&o.other.id), &o.other.id);
}

#[test]
fn a_version_1_store_is_not_migrated_with_the_wrong_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    {
        let core = core_at(&path);
        org(&core, Policy::default());
    }
    downgrade(&path, 1);
    let before = std::fs::read(&path).unwrap();
    let err = Core::open(&path, &[8; 32], mfa_core::OpenOptions::default()).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}
