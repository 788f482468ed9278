//! The Rust API with arbitrary strings and integers: the bytes are a program of up to 48 calls
//! on one in-memory store. Every error must be documented for its call and hold no secret; at
//! the end the audit chain verifies and covers every event.
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use mfa_core::{AuditQuery, Checkpoint, Core, Error, OpenOptions, Policy, ResetOptions, Role, totp};
use mfa_fuzz::contract;
use mfa_fuzz::input::Input;
use mfa_fuzz::secrets::Secrets;

/// What the program has made so far, for arguments that name real things.
struct World {
    core: Core,
    ids: Vec<String>,
    emails: Vec<String>,
    /// Base32 secrets by user id, for current codes.
    secrets: Vec<(String, String)>,
    recovery: Vec<String>,
    seen: Secrets,
    /// The current call's non-secret arguments, which its messages may quote.
    given: RefCell<Vec<String>>,
}

fn lossy(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

impl World {
    fn id(&self, input: &mut Input) -> String {
        self.arg(input, &self.ids)
    }

    /// A non-secret argument (id, email, name, action, reason) from `pool` or arbitrary.
    fn arg(&self, input: &mut Input, pool: &[String]) -> String {
        let text = lossy(input.from_pool(pool));
        self.given.borrow_mut().push(text.clone());
        text
    }

    fn role(input: &mut Input) -> Role {
        [Role::Member, Role::Admin, Role::Owner][input.pick(3)]
    }

    /// A code: the current one of a known secret (or a neighbour step), a recovery code, or text.
    fn code(&self, input: &mut Input) -> String {
        match input.pick(4) {
            0 | 1 if !self.secrets.is_empty() => {
                let (_, secret) = &self.secrets[input.pick(self.secrets.len())];
                let key = totp::decode_base32(secret).expect("issued secrets decode");
                let step = totp::step_at(self.core.now()) + i64::from(input.u8() % 3) - 1;
                totp::code_for_step(&key, step).unwrap_or_default()
            }
            2 if !self.recovery.is_empty() => self.recovery[input.pick(self.recovery.len())].clone(),
            _ => lossy(input.text(16)),
        }
    }

    fn policy(input: &mut Input) -> Policy {
        Policy {
            mfa_required: input.bool(),
            enrollment_window: input.number(&[0, 1, 3600, mfa_core::MAX_WINDOW_SECONDS, u64::MAX]),
            reset_limit_per_hour: input.number(&[0, 1, 2, 1_000_000, u32::MAX as u64]) as u32,
            max_failed_verifications: input.number(&[0, 1, 3, 1000, u32::MAX as u64]) as u32,
            require_step_up: input.bool(),
        }
    }

    fn reset_options(&self, input: &mut Input) -> ResetOptions {
        ResetOptions {
            window: input.bool().then(|| input.number(&[0, 1, mfa_core::MAX_WINDOW_SECONDS, u64::MAX])),
            reason: input.bool().then(|| self.arg(input, &[])),
            dry_run: input.bool(),
            proof: input.bool().then(|| self.code(input)),
            actor_proof: input.bool().then(|| self.code(input)),
        }
    }

    /// Checks one outcome against the contract and the secrets seen.
    fn check<T>(&self, call: &str, result: &Result<T, Error>) {
        if let Err(e) = result {
            contract::check(call, e.code(), e.message());
            let given = self.given.borrow();
            self.seen.check(call, &e.to_string(), &given);
            self.seen.check(call, &e.problem_details().to_string(), &given);
            self.seen.check(call, &format!("{e:?}"), &given);
        }
    }

    fn step(&mut self, input: &mut Input) {
        self.given.borrow_mut().clear();
        let core = &self.core;
        match input.pick(20) {
            0 => {
                let r = core.create_org(&self.arg(input, &["Acme".into()]), Self::policy(input));
                self.check("create_org", &r);
                if let Ok(org) = r {
                    self.ids.push(org.id);
                }
            }
            1 => {
                let email = self.arg(input, &["a@x.test".into(), "B@x.test".into(), "c@y.test".into()]);
                let r = core.create_user(&self.id(input), &email, Self::role(input));
                self.check("create_user", &r);
                if let Ok(user) = r {
                    self.ids.push(user.id);
                    self.emails.push(user.email);
                }
            }
            2 => self.check("get_org", &core.get_org(&self.id(input))),
            3 => self.check("get_user", &core.get_user(&self.id(input))),
            4 => {
                let email = self.arg(input, &self.emails);
                self.check("find_user_by_email", &core.find_user_by_email(&self.id(input), &email));
            }
            5 => self.check("list_users", &core.list_users(&self.id(input))),
            6 => {
                let (actor, target, role) = (self.id(input), self.id(input), Self::role(input));
                let proof = input.bool().then(|| self.code(input));
                self.check("set_role", &core.set_role(&actor, &target, role, proof.as_deref()));
            }
            7 => {
                let (actor, target) = (self.id(input), self.id(input));
                let proof = input.bool().then(|| self.code(input));
                self.check("disable_user", &core.disable_user(&actor, &target, proof.as_deref()));
            }
            8 => self.check("enable_user", &core.enable_user(&self.id(input), &self.id(input))),
            9 => {
                let user = self.id(input);
                let r = core.begin_enrollment(&user);
                self.check("begin_enrollment", &r);
                if let Ok(e) = r {
                    assert!(e.uri.contains(&e.secret), "the URI carries the secret");
                    self.seen.add_totp_secret(&e.secret);
                    self.secrets.push((user, e.secret.clone()));
                }
            }
            10 => {
                let (user, code) = (self.id(input), self.code(input));
                let r = core.confirm_enrollment(&user, &code);
                self.check("confirm_enrollment", &r);
                if let Ok(codes) = r {
                    for c in &codes.0 {
                        self.seen.add(c.clone());
                    }
                    self.recovery.extend(codes.0.iter().cloned());
                }
            }
            11 => {
                let (user, code) = (self.id(input), self.code(input));
                let r = core.regenerate_recovery_codes(&user, &code);
                self.check("regenerate_recovery_codes", &r);
                if let Ok(codes) = r {
                    for c in &codes.0 {
                        self.seen.add(c.clone());
                    }
                }
            }
            12 => {
                let (user, code) = (self.id(input), self.code(input));
                self.check("verify", &core.verify(&user, &code));
            }
            13 => self.check("mfa_status", &core.mfa_status(&self.id(input))),
            14 => {
                let (actor, target, options) = (self.id(input), self.id(input), self.reset_options(input));
                let r = core.reset_mfa(&actor, &target, &options);
                self.check("reset_mfa", &r);
                if let Ok(receipt) = r {
                    assert!(receipt.deadline > core.now(), "a reset opens a window in the future");
                }
            }
            15 => {
                let actor = self.id(input);
                let targets: Vec<String> = (0..input.u8() % 5).map(|_| self.id(input)).collect();
                let options = self.reset_options(input);
                let r = core.reset_mfa_many(&actor, &targets, &options);
                self.check("reset_mfa_many", &r);
                if let Ok(outcomes) = r {
                    assert_eq!(outcomes.len(), targets.len(), "one outcome per target");
                    outcomes.iter().for_each(|o| self.check("reset_mfa_many.target", o));
                }
            }
            16 => {
                let t = input.time(core.now());
                let before = core.now();
                let r = core.set_time(t);
                self.check("set_time", &r);
                let in_range = (mfa_core::MIN_UNIX_TIME..=mfa_core::MAX_UNIX_TIME).contains(&t);
                assert_eq!(r.is_ok(), in_range, "set_time({t})");
                assert_eq!(core.now(), if in_range { t } else { before });
            }
            17 => {
                let query = AuditQuery {
                    after_seq: input.number(&[
                        0,
                        mfa_core::MAX_AUDIT_SEQ,
                        mfa_core::MAX_AUDIT_SEQ + 1,
                        u64::MAX,
                    ]),
                    limit: input.bool().then(|| input.number(&[0, 1, 10_000, 10_001]) as u32),
                    actor: input.bool().then(|| self.id(input)),
                    target: input.bool().then(|| self.id(input)),
                    action: input
                        .bool()
                        .then(|| self.arg(input, &["mfa.reset".into(), "user.create".into()])),
                };
                let r = core.audit_events(&query);
                self.check("audit_events", &r);
                if let Ok(events) = r {
                    assert!(events.iter().all(|e| e.seq > query.after_seq));
                    for e in &events {
                        // The detail is the library's own text (the reason is the caller's).
                        self.seen.check("audit event", &e.detail.to_string(), &[]);
                    }
                }
            }
            18 => {
                let mac = self.arg(input, &[]);
                let cp = Checkpoint { seq: input.number(&[0, 1, u64::MAX]), mac };
                self.check("verify_audit", &core.verify_audit(Some(&cp)));
            }
            _ => self.check("list_orgs", &core.list_orgs()),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let issuer = input.bool().then(|| lossy(input.text(24)));
    let options = OpenOptions { manual_clock: Some(mfa_fuzz::T0), issuer, ..Default::default() };
    let core = match Core::open_in_memory(&mfa_fuzz::KEY, options) {
        Ok(core) => core,
        Err(e) => return contract::check("open", e.code(), e.message()),
    };
    let mut world = World {
        core,
        ids: Vec::new(),
        emails: Vec::new(),
        secrets: Vec::new(),
        recovery: Vec::new(),
        seen: Secrets::new(),
        given: RefCell::default(),
    };
    for _ in 0..48 {
        if input.is_empty() {
            break;
        }
        world.step(&mut input);
    }
    let report = world.core.verify_audit(None).expect("verify_audit");
    let head = world.core.audit_checkpoint().expect("audit_checkpoint");
    assert!(report.ok && report.checked == head.seq, "audit chain: {report:?}, head {}", head.seq);
    assert!(world.core.verify_audit(Some(&head)).expect("verify_audit").ok);
});
