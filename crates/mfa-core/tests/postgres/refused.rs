//! A write the server refuses is never reported as made. The engine holds a call's writes back
//! and sends them with the next statement (docs/scale-out.md, "Round trips"), which may be the
//! next call's savepoint or the batch's `COMMIT`: a refusal found there must fail every call of
//! the transaction it ended, never leave one reporting success for a write the server undid.

use std::thread;

use mfa_core::{AuditQuery, MfaState, Policy, ResetOptions, Role};

use crate::common::*;
use crate::server::Schema;

const THREADS: usize = 8;
const PER_THREAD: usize = 6;

pub fn refused_writes_fail_their_calls(base: &str) {
    let mut schema = Schema::new(base, "refused");
    let core = schema.core();
    let org = org(&core, Policy::default());
    // One admin per thread, so that no reset limit is near.
    let admins: Vec<_> = (0..THREADS)
        .map(|t| core.create_user(&org.id, &format!("admin{t}@acme.test"), Role::Admin).unwrap())
        .collect();
    let targets: Vec<Vec<_>> = (0..THREADS)
        .map(|t| {
            (0..PER_THREAD)
                .map(|i| {
                    // Every third target's row cannot be written once the trigger is in.
                    let kind = if (t * PER_THREAD + i).is_multiple_of(3) { "refused" } else { "member" };
                    let user =
                        core.create_user(&org.id, &format!("{kind}{t}-{i}@acme.test"), Role::Member).unwrap();
                    enroll(&core, &user.id);
                    user
                })
                .collect()
        })
        .collect();
    // As a full disk or a constraint would, the server refuses those rows' updates.
    schema.sql(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           IF NEW.email LIKE 'refused%' THEN RAISE EXCEPTION 'refused by the test'; END IF; \
           RETURN NEW; END $$; \
         CREATE TRIGGER refuse BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION refuse()",
    );
    let events_before = audit_count(&core);

    // The threads share the handle, so their calls share transactions (group commit).
    let results: Vec<Vec<_>> = thread::scope(|s| {
        let workers: Vec<_> = admins
            .iter()
            .zip(&targets)
            .map(|(admin, mine)| {
                let core = &core;
                s.spawn(move || {
                    mine.iter()
                        .map(|t| core.reset_mfa(&admin.id, &t.id, &ResetOptions::default()).map(drop))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });

    let mut made = 0;
    for (mine, results) in targets.iter().zip(&results) {
        for (target, result) in mine.iter().zip(results) {
            let state = core.mfa_status(&target.id).unwrap().state;
            let query = AuditQuery {
                target: Some(target.id.clone()),
                action: Some("mfa.reset".into()),
                ..Default::default()
            };
            let events = core.audit_events(&query).unwrap();
            match result {
                Ok(()) => {
                    assert!(target.email.starts_with("member"), "a refused write was reported made");
                    assert_eq!(state, MfaState::EnrollmentRequired, "a reported reset is in the store");
                    assert_eq!(events.len(), 1, "and in the trail");
                    made += 1;
                }
                Err(e) => {
                    assert_eq!(e.code(), "storage", "{e}");
                    assert_eq!(state, MfaState::Enrolled, "a failed reset left nothing: {e}");
                    assert!(events.is_empty(), "nor an event: {e}");
                }
            }
        }
    }
    assert!(made > 0, "the writes the server accepts are made");
    assert_eq!(audit_count(&core), events_before + made, "every event is one reported call");
    assert!(core.verify_audit(None).unwrap().ok);
}
