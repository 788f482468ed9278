//! The rules that need no storage (docs/concepts.md to docs/directory.md): deriving a state
//! from the clock, who may act on whom, and how long a throttled user waits.

use crate::error::{Error, Result, forbidden};
use crate::model::{MfaState, Policy, Role, UnixTime};
use crate::store::UserRow;
use crate::validate;

/// Base of the verification back-off: 30 s, then 60 s, 120 s, ...
pub const THROTTLE_BASE_SECONDS: i64 = 30;
/// Cap on the back-off exponent (30 s * 2^16 is about 23 days), so the wait cannot overflow.
const THROTTLE_MAX_DOUBLINGS: u32 = 16;
/// Upper bounds on policy numbers, so that a typo cannot disable a safeguard.
const MAX_RESET_LIMIT: u32 = 1_000_000;
/// NIST SP 800-63B-4 lets a verifier allow at most 100 consecutive failed attempts before it
/// must throttle; `max_failed_verifications` may be 1 to this.
pub const MAX_FAILED_VERIFICATIONS: u32 = 100;

/// docs/concepts.md: the state, derived from the row and the clock (`locked_out` is never stored).
pub(crate) fn state_of(row: &UserRow, now: UnixTime) -> MfaState {
    match (row.confirmed, row.deadline) {
        (true, _) => MfaState::Enrolled,
        (false, None) => MfaState::NotEnrolled,
        (false, Some(deadline)) if now < deadline => MfaState::EnrollmentRequired,
        (false, Some(_)) => MfaState::LockedOut,
    }
}

/// docs/reset.md rule 5 and docs/directory.md: owners may act on anyone in the org, admins on members and
/// admins, members on nobody else.
pub(crate) fn may_manage(actor: Role, target: Role) -> Result<()> {
    match (actor, target) {
        (Role::Owner, _) | (Role::Admin, Role::Admin | Role::Member) => Ok(()),
        (Role::Admin, Role::Owner) => Err(forbidden("an admin may not act on an owner")),
        (Role::Member, _) => Err(forbidden("a member may not act on other users")),
    }
}

/// docs/directory.md: only an owner can grant `owner`.
pub(crate) fn may_grant(actor: Role, role: Role) -> Result<()> {
    if role == Role::Owner && actor != Role::Owner {
        return Err(forbidden("only an owner can grant the owner role"));
    }
    Ok(())
}

/// docs/enrollment.md: after the failure that reaches the limit, the wait doubles with every further
/// failure: 30 s, 60 s, 120 s, ...
pub(crate) fn lockout_after(failed_count: u32, max_failed: u32, now: UnixTime) -> Option<UnixTime> {
    let over = failed_count.checked_sub(max_failed)?;
    Some(now + (THROTTLE_BASE_SECONDS << over.min(THROTTLE_MAX_DOUBLINGS)))
}

/// docs/reset.md rule 7: given when the actor's `limit`-th most recent reset happened,
/// `Some(retry_after)` while it is still inside the last hour.
pub(crate) fn reset_wait(nth_recent: Option<UnixTime>, now: UnixTime) -> Option<u64> {
    nth_recent.filter(|at| *at > now - 3600).map(|at| (at + 3600 - now) as u64)
}

/// Checks a policy given at org creation.
pub(crate) fn check_policy(p: &Policy) -> Result<()> {
    validate::window(p.enrollment_window).map_err(|_| {
        Error::InvalidInput(format!(
            "enrollment_window must be 1 to {} seconds, got {}",
            validate::MAX_WINDOW_SECONDS,
            p.enrollment_window
        ))
    })?;
    if !(1..=MAX_RESET_LIMIT).contains(&p.reset_limit_per_hour) {
        return Err(Error::InvalidInput(format!(
            "reset_limit_per_hour must be 1 to {MAX_RESET_LIMIT}, got {}",
            p.reset_limit_per_hour
        )));
    }
    if !(1..=MAX_FAILED_VERIFICATIONS).contains(&p.max_failed_verifications) {
        return Err(Error::InvalidInput(format!(
            "max_failed_verifications must be 1 to {MAX_FAILED_VERIFICATIONS} (NIST SP 800-63B \
             allows at most 100 consecutive failures), got {}",
            p.max_failed_verifications
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s5_lockout_doubles_from_30_seconds() {
        assert_eq!(lockout_after(4, 5, 100), None);
        assert_eq!(lockout_after(5, 5, 100), Some(130));
        assert_eq!(lockout_after(6, 5, 100), Some(160));
        assert_eq!(lockout_after(7, 5, 100), Some(220));
        assert!(lockout_after(u32::MAX, 5, 0).is_some());
    }

    #[test]
    fn max_failed_verifications_is_1_to_100() {
        let with = |n| Policy { max_failed_verifications: n, ..Policy::default() };
        assert!(check_policy(&with(1)).is_ok());
        assert!(check_policy(&with(100)).is_ok());
        for bad in [0, 101, 1_000, u32::MAX] {
            let err = check_policy(&with(bad)).unwrap_err();
            assert_eq!(err.code(), "invalid_input", "{bad}");
            assert!(err.message().contains("1 to 100"), "{err}");
        }
    }

    #[test]
    fn s4_rule5_role_matrix() {
        use Role::*;
        for (actor, target, ok) in [
            (Owner, Owner, true),
            (Owner, Admin, true),
            (Owner, Member, true),
            (Admin, Owner, false),
            (Admin, Admin, true),
            (Admin, Member, true),
            (Member, Owner, false),
            (Member, Admin, false),
            (Member, Member, false),
        ] {
            assert_eq!(may_manage(actor, target).is_ok(), ok, "{actor} -> {target}");
        }
    }
}
