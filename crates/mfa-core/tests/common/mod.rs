//! Helpers shared by the integration tests: a store on a manual clock, a populated org, and
//! codes computed the way an authenticator app would.
#![allow(dead_code)] // each test binary uses its own subset

use mfa_core::{Core, OpenOptions, Policy, RecoveryCodes, Role, User, totp};

/// A TOTP step boundary, so tests know exactly which step they are in.
pub const T0: i64 = 1_700_000_010;
pub const KEY: [u8; 32] = [7; 32];

pub fn core() -> Core {
    Core::open_in_memory(&KEY, OpenOptions { manual_clock: Some(T0), ..Default::default() }).unwrap()
}

pub fn core_at(path: &std::path::Path) -> Core {
    Core::open(path, &KEY, OpenOptions { manual_clock: Some(T0), ..Default::default() }).unwrap()
}

/// One org with an owner, an admin and two members.
pub struct Org {
    pub id: String,
    pub owner: User,
    pub admin: User,
    pub member: User,
    pub other: User,
}

pub fn org(core: &Core, policy: Policy) -> Org {
    let org = core.create_org("Acme", policy).unwrap();
    let add = |email: &str, role| core.create_user(&org.id, email, role).unwrap();
    Org {
        owner: add("owner@acme.test", Role::Owner),
        admin: add("admin@acme.test", Role::Admin),
        member: add("member@acme.test", Role::Member),
        other: add("other@acme.test", Role::Member),
        id: org.id,
    }
}

/// The code an authenticator shows now for `secret`, `offset` steps away.
pub fn code(core: &Core, secret: &str, offset: i64) -> String {
    let secret = totp::decode_base32(secret).unwrap();
    totp::code_for_step(&secret, totp::step_at(core.now()) + offset).unwrap()
}

/// A six-digit code valid for none of the accepted steps.
pub fn wrong_code(core: &Core, secret: &str) -> String {
    let valid: Vec<String> = (-1..=1).map(|o| code(core, secret, o)).collect();
    let mut n: u32 = valid[1].parse::<u32>().unwrap();
    loop {
        n = (n + 1) % 1_000_000;
        let candidate = format!("{n:06}");
        if !valid.contains(&candidate) {
            return candidate;
        }
    }
}

/// Enrolls a user and returns its secret and recovery codes. Leaves the clock one step later,
/// so that the next code is not a replay of the confirming one.
pub fn enroll(core: &Core, user: &str) -> (String, RecoveryCodes) {
    let secret = core.begin_enrollment(user).unwrap().secret.clone();
    let codes = core.confirm_enrollment(user, &code(core, &secret, 0)).unwrap();
    core.set_time(core.now() + 30).unwrap();
    (secret, codes)
}

pub fn advance(core: &Core, seconds: i64) {
    core.set_time(core.now() + seconds).unwrap();
}

pub fn audit_count(core: &Core) -> u64 {
    core.audit_checkpoint().unwrap().seq
}
