//! Every rule exact across hosts: the children race the same calls on one database and the
//! outcomes, the stored state and the audit trail must be what one process would give.

use mfa_core::{AuditEvent, AuditQuery, Core, MfaState, Outcome, Policy, Role, UserStatus, totp};

use crate::common::{T0, code, enroll, wrong_code};
use crate::fleet::{Fleet, counts, tally};
use crate::server::Schema;

const CHILDREN: usize = 4;
/// A well-formed id of no user.
const NOBODY: &str = "00000000-0000-4000-8000-000000000000";

fn events(core: &Core) -> Vec<AuditEvent> {
    core.audit_events(&AuditQuery { limit: Some(10_000), ..Default::default() }).unwrap()
}

/// How many events of `action` about `target` have `outcome`.
fn count(core: &Core, target: &str, action: &str, outcome: Outcome) -> usize {
    events(core)
        .iter()
        .filter(|e| e.target.as_deref() == Some(target) && e.action == action && e.outcome == outcome)
        .count()
}

/// The chain verifies end to end, from the parent and from every child, and all see one
/// head: seqs 1 to n with no gap and no fork. Returns n.
fn chain_holds(core: &Core, fleet: &mut Fleet) -> u64 {
    let report = core.verify_audit(None).unwrap();
    assert!(report.ok, "{report:?}");
    let head = core.audit_checkpoint().unwrap();
    assert_eq!(head.seq, report.checked);
    let seqs: Vec<u64> = events(core).iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=report.checked).collect::<Vec<_>>());
    for answer in fleet.all_flat("head") {
        assert_eq!(answer, format!("ok {}:{}:{}", report.checked, head.seq, head.mac));
    }
    report.checked
}

/// "ok" for any success, the whole outcome otherwise.
fn kind(outcome: &str) -> &str {
    if outcome.starts_with("ok") { "ok" } else { outcome }
}

fn kinds(outcomes: &[String]) -> Vec<(String, usize)> {
    tally(&outcomes.iter().map(|o| kind(o).to_string()).collect::<Vec<_>>())
}

fn set_time(fleet: &mut Fleet, t: i64) {
    assert!(fleet.all_flat(&format!("time {t}")).iter().all(|a| a == "ok"));
}

pub fn audit_chain_never_forks(base: &str) {
    let schema = Schema::new(base, "chain");
    let core = schema.core();
    let policy = Policy { mfa_required: true, reset_limit_per_hour: 1_000_000, ..Policy::default() };
    let org = core.create_org("Acme", policy).unwrap();
    let owner = core.create_user(&org.id, "owner@acme.test", Role::Owner).unwrap().id;
    let member = core.create_user(&org.id, "member@acme.test", Role::Member).unwrap().id;
    let mut fleet = Fleet::open(&schema.url, CHILDREN);
    let before = chain_holds(&core, &mut fleet);

    // Each child creates its users, then resets each and makes three refused calls about it,
    // all at the same time as the others: every call appends one event.
    let creates: Vec<String> = (0..CHILDREN)
        .map(|c| {
            (0..8).map(|u| format!("create {} c{c}u{u}@acme.test", org.id)).collect::<Vec<_>>().join(";")
        })
        .collect();
    let created = fleet.run(&creates);
    let commands: Vec<String> = created
        .iter()
        .map(|ids| {
            ids.iter()
                .flat_map(|answer| {
                    let id =
                        answer.strip_prefix("ok ").unwrap_or_else(|| panic!("a creation failed: {answer}"));
                    [
                        format!("reset {owner} {id}"),
                        format!("verify {id} 000000"),
                        format!("reset {member} {id}"),
                        format!("reset {NOBODY} {id}"),
                    ]
                })
                .collect::<Vec<_>>()
                .join(";")
        })
        .collect();
    let outcomes = fleet.run_flat(&commands);
    let calls = (CHILDREN * 8 * 5) as u64;
    assert_eq!(
        kinds(&outcomes),
        counts(&[
            ("ok", CHILDREN * 8),
            ("err mfa_not_enabled", CHILDREN * 8),
            ("err forbidden", CHILDREN * 8),
            ("err unauthenticated", CHILDREN * 8),
        ])
    );
    assert_eq!(chain_holds(&core, &mut fleet), before + calls, "one event per call, none lost");
}

pub fn reset_limit_is_exact(base: &str) {
    let schema = Schema::new(base, "reset_limit");
    let core = schema.core();
    let limit = 5;
    let policy = Policy { mfa_required: true, reset_limit_per_hour: limit, ..Policy::default() };
    let org = core.create_org("Acme", policy).unwrap();
    let owner = core.create_user(&org.id, "owner@acme.test", Role::Owner).unwrap().id;
    let targets: Vec<Vec<String>> = (0..CHILDREN)
        .map(|c| {
            (0..4)
                .map(|u| core.create_user(&org.id, &format!("c{c}u{u}@acme.test"), Role::Member).unwrap().id)
                .collect()
        })
        .collect();
    let commands: Vec<String> = targets
        .iter()
        .map(|ts| ts.iter().map(|t| format!("reset {owner} {t}")).collect::<Vec<_>>().join(";"))
        .collect();
    let mut fleet = Fleet::open(&schema.url, CHILDREN);

    // Sixteen resets by one actor from four hosts at once: exactly the limit succeed, and the
    // limit holds again an hour later (the window slides from the first reset).
    for (round, t) in [(1, T0), (2, T0 + 3600)] {
        set_time(&mut fleet, t);
        let outcomes = fleet.run_flat(&commands);
        let limit = limit as usize;
        assert_eq!(
            kinds(&outcomes),
            counts(&[("ok", limit), ("err rate_limited:3600", CHILDREN * 4 - limit)]),
            "round {round}"
        );
        let resets = events(&core)
            .iter()
            .filter(|e| e.actor.as_deref() == Some(owner.as_str()) && e.action == "mfa.reset")
            .map(|e| (e.outcome, e.code.clone()))
            .collect::<Vec<_>>();
        let ok = resets.iter().filter(|(o, _)| *o == Outcome::Success).count();
        let limited = resets.iter().filter(|(_, c)| c.as_deref() == Some("rate_limited")).count();
        assert_eq!((ok, limited), (limit * round, (CHILDREN * 4 - limit) * round));
    }
    // The same with bulk resets (batches of targets in one transaction each).
    set_time(&mut fleet, T0 + 7200);
    let bulk: Vec<String> = targets.iter().map(|ts| format!("reset_many {owner} {}", ts.join(","))).collect();
    let outcomes = fleet.run_flat(&bulk);
    assert_eq!(
        kinds(&outcomes),
        counts(&[("ok", limit as usize), ("err rate_limited:3600", CHILDREN * 4 - limit as usize)]),
        "bulk"
    );
    let epochs: u64 = targets.iter().flatten().map(|t| core.get_user(t).unwrap().credential_epoch).sum();
    assert_eq!(epochs, 3 * u64::from(limit), "each successful reset counted once");
    chain_holds(&core, &mut fleet);
}

pub fn codes_are_accepted_once(base: &str) {
    let schema = Schema::new(base, "codes_once");
    let core = schema.core();
    let policy = Policy { max_failed_verifications: 100, ..Policy::default() };
    let org = core.create_org("Acme", policy).unwrap();
    let user = core.create_user(&org.id, "user@acme.test", Role::Member).unwrap().id;
    let (secret, recovery) = enroll(&core, &user); // confirmed with the code of T0's step
    let secret = totp::decode_base32(&secret).unwrap();
    let mut fleet = Fleet::open(&schema.url, CHILDREN);

    for k in 1..=3 {
        let t = T0 + 30 * k;
        set_time(&mut fleet, t);
        let code = totp::code_for_step(&secret, totp::step_at(t)).unwrap();
        let outcomes = fleet.all_flat(&format!("verify {user} {code}"));
        assert_eq!(
            tally(&outcomes),
            counts(&[("ok totp", 1), ("err invalid_code", CHILDREN - 1)]),
            "step {k}"
        );
    }
    for (k, rc) in recovery.0.iter().take(3).enumerate() {
        let outcomes = fleet.all_flat(&format!("verify {user} {rc}"));
        assert_eq!(
            tally(&outcomes),
            counts(&[("ok recovery_code", 1), ("err invalid_code", CHILDREN - 1)]),
            "recovery code {k}"
        );
    }
    assert_eq!(core.mfa_status(&user).unwrap().recovery_codes_remaining, 7);
    assert_eq!(count(&core, &user, "mfa.verify", Outcome::Success), 3);
    assert_eq!(count(&core, &user, "mfa.recovery_code.use", Outcome::Success), 3);
    assert_eq!(count(&core, &user, "mfa.verify", Outcome::Failure), 6 * (CHILDREN - 1));
    chain_holds(&core, &mut fleet);
}

pub fn throttling_is_exact(base: &str) {
    let schema = Schema::new(base, "throttling");
    let core = schema.core();
    let org = core.create_org("Acme", Policy::default()).unwrap(); // 5 failures before throttling
    // `raced` is attacked by four hosts at once, `alone` by this process alone, call after call.
    let raced = core.create_user(&org.id, "raced@acme.test", Role::Member).unwrap().id;
    let alone = core.create_user(&org.id, "alone@acme.test", Role::Member).unwrap().id;
    let (raced_secret, _) = enroll(&core, &raced);
    core.set_time(T0).unwrap();
    let (alone_secret, _) = enroll(&core, &alone);
    let mut fleet = Fleet::open(&schema.url, CHILDREN);

    let t1 = T0 + 90;
    core.set_time(t1).unwrap();
    let wrong_raced = wrong_code(&core, &raced_secret);
    let wrong_alone = wrong_code(&core, &alone_secret);
    // (time, calls per child, right code or not, what one process gets for all those calls)
    type Round = (i64, usize, bool, &'static [(&'static str, usize)]);
    let rounds: [Round; 4] = [
        (t1, 3, false, &[("err invalid_code", 5), ("err rate_limited:30", 7)]),
        (t1 + 30, 1, false, &[("err invalid_code", 1), ("err rate_limited:60", 3)]),
        (t1 + 90, 1, true, &[("ok totp", 1), ("err invalid_code", 3)]),
        (t1 + 90, 1, false, &[("err invalid_code", 2), ("err rate_limited:30", 2)]),
    ];
    for (t, per_child, right, expected) in rounds {
        set_time(&mut fleet, t);
        core.set_time(t).unwrap();
        let (raced_code, alone_code) = match right {
            true => (code(&core, &raced_secret, 0), code(&core, &alone_secret, 0)),
            false => (wrong_raced.clone(), wrong_alone.clone()),
        };
        let command = vec![format!("verify {raced} {raced_code}"); per_child].join(";");
        let raced_outcomes = fleet.all_flat(&command);
        let alone_outcomes: Vec<String> = (0..per_child * CHILDREN)
            .map(|_| crate::child::outcome(core.verify(&alone, &alone_code), |v| v.method.as_str().into()))
            .collect();
        assert_eq!(tally(&alone_outcomes), counts(expected), "one process at {t}");
        assert_eq!(tally(&raced_outcomes), tally(&alone_outcomes), "four processes at {t}");
    }
    let trail = |user: &str| {
        let mut v: Vec<_> = events(&core)
            .into_iter()
            .filter(|e| e.target.as_deref() == Some(user) && e.action == "mfa.verify")
            .map(|e| (e.at, e.outcome.as_str(), e.code))
            .collect();
        v.sort();
        v
    };
    assert_eq!(trail(&raced), trail(&alone), "the same events, with the same times and codes");
    chain_holds(&core, &mut fleet);
}

pub fn concurrent_enrollments_leave_one(base: &str) {
    let schema = Schema::new(base, "enrollments");
    let core = schema.core();
    let org = core.create_org("Acme", Policy::default()).unwrap();
    let mut fleet = Fleet::open(&schema.url, CHILDREN);
    for n in 0..3 {
        let user = core.create_user(&org.id, &format!("e{n}@acme.test"), Role::Member).unwrap().id;
        // Every host starts an enrollment of the same user at once; the one pending secret is
        // the last one written, so exactly one host can confirm.
        let secrets: Vec<String> = fleet
            .all_flat(&format!("begin {user}"))
            .iter()
            .map(|a| a.strip_prefix("ok ").unwrap_or_else(|| panic!("a begin failed: {a}")).to_string())
            .collect();
        let confirms: Vec<String> =
            secrets.iter().map(|s| format!("confirm {user} {}", code(&core, s, 0))).collect();
        let outcomes = fleet.run_flat(&confirms);
        assert_eq!(outcomes.iter().filter(|o| *o == "ok").count(), 1, "{outcomes:?}");
        for o in &outcomes {
            assert!(["ok", "err invalid_code", "err conflict"].contains(&o.as_str()), "{o}");
        }
        let winner = &secrets[outcomes.iter().position(|o| o == "ok").unwrap()];
        let status = core.mfa_status(&user).unwrap();
        assert_eq!((status.state, status.recovery_codes_remaining), (MfaState::Enrolled, 10));
        core.set_time(T0 + 30).unwrap();
        assert!(core.verify(&user, &code(&core, winner, 0)).is_ok(), "the winner's secret is the one kept");
        core.set_time(T0).unwrap();
        assert_eq!(count(&core, &user, "mfa.enroll.begin", Outcome::Success), CHILDREN);
        assert_eq!(count(&core, &user, "mfa.enroll.confirm", Outcome::Success), 1);
    }
    // One pending secret confirmed by every host at once with the same right code: one
    // confirmation, one set of recovery codes.
    let user = core.create_user(&org.id, "same@acme.test", Role::Member).unwrap().id;
    let secret = core.begin_enrollment(&user).unwrap().secret.clone();
    let outcomes = fleet.all_flat(&format!("confirm {user} {}", code(&core, &secret, 0)));
    assert_eq!(tally(&outcomes), counts(&[("ok", 1), ("err conflict", CHILDREN - 1)]));
    assert_eq!(core.mfa_status(&user).unwrap().recovery_codes_remaining, 10);
    assert_eq!(count(&core, &user, "mfa.enroll.confirm", Outcome::Success), 1);
    chain_holds(&core, &mut fleet);
}

pub fn concurrent_resets_are_each_counted(base: &str) {
    let schema = Schema::new(base, "resets");
    let core = schema.core();
    let org = core.create_org("Acme", Policy::default()).unwrap();
    let owner = core.create_user(&org.id, "owner@acme.test", Role::Owner).unwrap().id;
    let user = core.create_user(&org.id, "user@acme.test", Role::Member).unwrap().id;
    enroll(&core, &user);
    core.set_time(T0).unwrap();
    let mut fleet = Fleet::open(&schema.url, CHILDREN);

    // Four resets of one enrolled user at once: each is counted, one after the other.
    let outcomes = fleet.all_flat(&format!("reset {owner} {user}"));
    let mut epochs: Vec<&str> = outcomes
        .iter()
        .map(|o| o.strip_prefix("ok ").unwrap_or_else(|| panic!("a reset failed: {o}")))
        .collect();
    epochs.sort();
    assert_eq!(
        epochs,
        ["1:enrolled", "2:enrollment_required", "3:enrollment_required", "4:enrollment_required"]
    );

    // Two resets racing two new enrollments of the same user: whatever the order, one state.
    let mut commands = vec![format!("reset {owner} {user}"); 2];
    commands.extend(vec![format!("begin {user}"); 2]);
    let outcomes = fleet.run_flat(&commands);
    assert!(outcomes.iter().all(|o| o.starts_with("ok ")), "{outcomes:?}");
    let mut epochs: Vec<&str> = outcomes[..2].iter().map(|o| &o[3..4]).collect();
    epochs.sort();
    assert_eq!(epochs, ["5", "6"]);
    let confirms: Vec<String> = outcomes[2..]
        .iter()
        .map(|o| format!("confirm {user} {}", code(&core, &o[3..], 0)))
        .chain(["nop".to_string(), "nop".to_string()])
        .collect();
    let confirmed = fleet.run_flat(&confirms)[..2].iter().filter(|o| *o == "ok").count();
    assert!(confirmed <= 1);
    let status = core.mfa_status(&user).unwrap();
    let expected = if confirmed == 1 { MfaState::Enrolled } else { MfaState::EnrollmentRequired };
    assert_eq!((status.state, status.credential_epoch), (expected, 6));
    assert_eq!(count(&core, &user, "mfa.reset", Outcome::Success), 6);
    chain_holds(&core, &mut fleet);
}

pub fn the_last_owner_stays(base: &str) {
    let schema = Schema::new(base, "last_owner");
    let core = schema.core();
    let org = core.create_org("Acme", Policy::default()).unwrap();
    let a = core.create_user(&org.id, "a@acme.test", Role::Owner).unwrap().id;
    let b = core.create_user(&org.id, "b@acme.test", Role::Owner).unwrap().id;
    let mut fleet = Fleet::open(&schema.url, 2);
    let active_owners = || {
        core.list_users(&org.id)
            .unwrap()
            .into_iter()
            .filter(|u| u.role == Role::Owner && u.status == UserStatus::Active)
            .map(|u| u.id)
            .collect::<Vec<_>>()
    };
    // Two owners, each removing the other at the same moment from another host: one must be
    // refused, whichever way each removes the other.
    for round in 0..3 {
        for (first, second) in
            [("demote", "demote"), ("disable", "disable"), ("demote", "disable"), ("disable", "demote")]
        {
            let outcomes = fleet.run_flat(&[format!("{first} {a} {b}"), format!("{second} {b} {a}")]);
            assert_eq!(
                outcomes.iter().filter(|o| *o == "ok").count(),
                1,
                "{first}/{second} {round}: {outcomes:?}"
            );
            for o in &outcomes {
                assert!(
                    ["ok", "err conflict", "err forbidden", "err unauthenticated"].contains(&o.as_str()),
                    "{o}"
                );
            }
            let owners = active_owners();
            assert_eq!(owners.len(), 1, "{first}/{second} {round}");
            let (kept, gone) = if owners[0] == a { (&a, &b) } else { (&b, &a) };
            let removed = core.get_user(gone).unwrap();
            if removed.status == UserStatus::Disabled {
                core.enable_user(kept, gone).unwrap();
            }
            if removed.role != Role::Owner {
                core.set_role(kept, gone, Role::Owner, None).unwrap();
            }
            assert_eq!(active_owners().len(), 2);
        }
    }
    chain_holds(&core, &mut fleet);
}
