//! docs/storage.md: one handle shared by 8 threads doing 200 mixed operations each. No `storage`
//! error, a gapless and valid chain, and every reset counted once.

mod common;

use std::sync::Arc;

use common::*;
use mfa_core::{AuditQuery, Core, OpenOptions, Outcome, Policy, ResetOptions, Role};

const THREADS: usize = 8;
const OPS: usize = 200;
const USERS_PER_THREAD: usize = 3;

#[test]
fn s8_eight_threads_share_one_handle() {
    let dir = tempfile::tempdir().unwrap();
    let core = Arc::new(Core::open(dir.path().join("store.db"), &KEY, OpenOptions::default()).unwrap());
    let policy =
        Policy { reset_limit_per_hour: 1_000_000, max_failed_verifications: 100, ..Policy::default() };
    let org = core.create_org("Acme", policy).unwrap();
    let owner = core.create_user(&org.id, "owner@acme.test", Role::Owner).unwrap();

    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (core, org, owner) = (core.clone(), org.id.clone(), owner.id.clone());
            std::thread::spawn(move || worker(&core, &org, &owner, t))
        })
        .collect();
    let resets: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();

    let report = core.verify_audit(None).unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.checked, core.audit_checkpoint().unwrap().seq);
    let events = core.audit_events(&AuditQuery { limit: Some(10_000), ..Default::default() }).unwrap();
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=report.checked).collect::<Vec<_>>(), "seq must be gapless");
    let reset_events =
        events.iter().filter(|e| e.action == "mfa.reset" && e.outcome == Outcome::Success).count() as u64;
    assert_eq!(reset_events, resets);
    let epochs: u64 = core.list_users(&org.id).unwrap().iter().map(|u| u.credential_epoch).sum();
    assert_eq!(epochs, resets);
}

/// Mixed operations on this thread's own users; returns how many resets succeeded. Any
/// outcome other than the expected one fails the test, `storage` included.
fn worker(core: &Core, org: &str, owner: &str, t: usize) -> u64 {
    let users: Vec<String> = (0..USERS_PER_THREAD)
        .map(|u| core.create_user(org, &format!("t{t}u{u}@acme.test"), Role::Member).unwrap().id)
        .collect();
    let mut recovery: Vec<Vec<String>> = vec![Vec::new(); USERS_PER_THREAD];
    let mut resets = 0;
    for op in 0..OPS {
        let u = op % USERS_PER_THREAD;
        let user = &users[u];
        match (op / USERS_PER_THREAD) % 5 {
            0 if recovery[u].is_empty() => {
                let secret = core.begin_enrollment(user).unwrap().secret.clone();
                let codes = core.confirm_enrollment(user, &code(core, &secret, 0)).unwrap();
                recovery[u] = codes.0.clone();
            }
            1 if !recovery[u].is_empty() => {
                core.reset_mfa(owner, user, &ResetOptions::default()).unwrap();
                recovery[u].clear();
                resets += 1;
            }
            2 if !recovery[u].is_empty() => {
                let spent = recovery[u].pop().unwrap();
                core.verify(user, &spent).unwrap();
            }
            3 => {
                let wrong = core.verify(user, "abcde-fghij").unwrap_err();
                let expected = if recovery[u].is_empty() { "mfa_not_enabled" } else { "invalid_code" };
                assert_eq!(wrong.code(), expected);
            }
            _ => {
                core.mfa_status(user).unwrap();
                core.audit_events(&AuditQuery { target: Some(user.clone()), ..Default::default() }).unwrap();
                assert!(core.list_users(org).unwrap().len() > USERS_PER_THREAD);
            }
        }
    }
    resets
}
