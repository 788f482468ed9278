//! A refusal's audit event and failure counter are kept on PostgreSQL exactly as on SQLite:
//! one sequence of calls, refused for every reason there is, gives the same outcomes and the
//! same audit trail (ids aside) on both engines.

use mfa_core::{AuditQuery, Core, OpenOptions, Policy, ResetOptions, Role};

use crate::child::outcome;
use crate::common::{T0, advance, enroll, wrong_code};
use crate::server::{KEY, Schema};

const NOBODY: &str = "00000000-0000-4000-8000-000000000000";

/// A call's outcome, as a child answers (without the value).
fn answer<T>(result: mfa_core::Result<T>) -> String {
    outcome(result, |_| String::new())
}

/// Each call's outcome (as a child answers) and the audit trail, every id replaced by a name.
fn transcript(core: &Core) -> (Vec<String>, Vec<String>) {
    let policy = Policy { reset_limit_per_hour: 2, max_failed_verifications: 2, ..Policy::default() };
    let org = core.create_org("Acme", policy).unwrap().id;
    let add = |email: &str, role| core.create_user(&org, email, role).unwrap().id;
    let (owner, admin, member, other) = (
        add("owner@acme.test", Role::Owner),
        add("admin@acme.test", Role::Admin),
        add("member@acme.test", Role::Member),
        add("other@acme.test", Role::Member),
    );
    let (secret, _) = enroll(core, &member);
    enroll(core, &other);
    let none = ResetOptions::default();
    let wrong = wrong_code(core, &secret);
    let mut outcomes = vec![
        answer(core.reset_mfa(&member, &other, &none)),
        answer(core.reset_mfa(NOBODY, &member, &none)),
        answer(core.reset_mfa(&owner, NOBODY, &none)),
        answer(core.reset_mfa(&owner, &admin, &none)),
        answer(core.reset_mfa(&admin, &owner, &none)),
        answer(core.set_role(&owner, &owner, Role::Member, None)),
        answer(core.disable_user(&owner, &owner, None)),
        answer(core.create_user(&org, "MEMBER@acme.test", Role::Member)),
        answer(core.begin_enrollment(&member)),
        answer(core.confirm_enrollment(&admin, "123456")),
    ];
    for _ in 0..3 {
        outcomes.push(answer(core.verify(&member, &wrong)));
    }
    advance(core, 30);
    let wrong = wrong_code(core, &secret);
    outcomes.push(answer(core.verify(&member, &wrong)));
    outcomes.push(answer(core.verify(&member, &wrong)));
    let pending = core.begin_enrollment(&admin).unwrap().secret.clone();
    let wrong_pending = wrong_code(core, &pending);
    for _ in 0..2 {
        outcomes.push(answer(core.confirm_enrollment(&admin, &wrong_pending)));
    }
    for target in [&member, &other, &member] {
        outcomes.push(answer(core.reset_mfa(&owner, target, &none)));
    }
    outcomes.push(answer(core.verify(&member, &wrong)));

    let names = [(&org, "org"), (&owner, "owner"), (&admin, "admin"), (&member, "member"), (&other, "other")];
    let events = core
        .audit_events(&AuditQuery { limit: Some(10_000), ..Default::default() })
        .unwrap()
        .into_iter()
        .map(|mut e| {
            e.mac.clear();
            let mut text = serde_json::to_string(&e).unwrap();
            for (id, name) in names {
                text = text.replace(id.as_str(), name);
            }
            text
        })
        .collect();
    (outcomes, events)
}

pub fn refusals_are_kept_as_on_sqlite(base: &str) {
    let dir = tempfile::tempdir().unwrap();
    let options = || OpenOptions { manual_clock: Some(T0), ..Default::default() };
    let sqlite = Core::open(dir.path().join("store.db"), &KEY, options()).unwrap();
    let (sqlite_outcomes, sqlite_events) = transcript(&sqlite);
    let schema = Schema::new(base, "same_as_sqlite");
    let (pg_outcomes, pg_events) = transcript(&schema.core());

    let expected = [
        "err forbidden",
        "err unauthenticated",
        "err not_found",
        "err mfa_not_enabled",
        "err forbidden",
        "err conflict",
        "err conflict",
        "err conflict",
        "err conflict",
        "err conflict",
        "err invalid_code",
        "err invalid_code",
        "err rate_limited:30",
        "err invalid_code",
        "err rate_limited:60",
        "err invalid_code",
        "err invalid_code",
        "ok",
        "ok",
        "err rate_limited:3600",
        "err mfa_not_enabled",
    ];
    assert_eq!(sqlite_outcomes, expected);
    assert_eq!(pg_outcomes, sqlite_outcomes);
    assert_eq!(pg_events.len(), sqlite_events.len());
    for (pg, sqlite) in pg_events.iter().zip(&sqlite_events) {
        assert_eq!(pg, sqlite);
    }
}
