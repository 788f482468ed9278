//! Row MACs: the canonical bytes of each row whose content decides something (a user, an org,
//! a recovery code), and the checks that refuse a row changed by someone without the key.
//!
//! The audit trail is MAC-chained, but the decisions are made on the other tables: a role, a
//! status, a failure counter, a policy. Each such row carries `row_mac`, an HMAC-SHA256 under a
//! key derived from the master key over every column of the row, written with every change and
//! checked on every read. A row that does not match is refused with `storage` ("tampered"),
//! naming the row, and nothing is decided on it.
//!
//! What a MAC cannot tell: a row put back to an older version of itself (its old MAC is still
//! valid), or a row deleted outright. `docs/security.md` says what covers those.

use super::UserRow;
use crate::crypto::RowKey;
use crate::error::{Error, Result};
use crate::model::{Org, UnixTime};

/// Unambiguous bytes for one row: a domain tag naming the table, then each column as a
/// presence byte and a fixed-width integer, or a length and the bytes, so that no two different
/// rows (or rows of different tables) share an encoding.
struct Canonical(Vec<u8>);

impl Canonical {
    fn new(table: &str) -> Self {
        // Room for a user row (ids, email, sealed secret: about 350 bytes) without growing.
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(b"mfa-core row v1\0");
        out.extend_from_slice(table.as_bytes());
        out.push(0);
        Canonical(out)
    }

    fn bytes(mut self, value: Option<&[u8]>) -> Self {
        match value {
            None => self.0.push(0),
            Some(bytes) => {
                self.0.push(1);
                self.0.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
                self.0.extend_from_slice(bytes);
            }
        }
        self
    }

    fn text(self, value: &str) -> Self {
        self.bytes(Some(value.as_bytes()))
    }

    fn int(mut self, value: Option<i64>) -> Self {
        match value {
            None => self.0.push(0),
            Some(n) => {
                self.0.push(1);
                self.0.extend_from_slice(&n.to_be_bytes());
            }
        }
        self
    }
}

/// Every column of a user row. The email and its lookup key are included: a host finds the user
/// to sign in by email, so a swapped email would hand one user's sign-in to another's row.
pub(super) fn user(row: &UserRow) -> Vec<u8> {
    let u = &row.user;
    Canonical::new("users")
        .text(&u.id)
        .text(&u.org)
        .text(&u.email)
        .text(&row.email_key)
        .text(u.role.as_str())
        .text(u.status.as_str())
        .int(Some(u.credential_epoch as i64))
        .int(Some(u.created_at))
        .int(row.deadline)
        .bytes(row.secret.as_deref())
        .int(Some(i64::from(row.confirmed)))
        .int(row.last_step)
        .int(Some(i64::from(row.failed_count)))
        .int(row.locked_until)
        .0
}

/// Every column of an org row: its policy above all (lowering a limit or turning step-up off is
/// the same attack as raising a role).
pub(super) fn org(org: &Org) -> Vec<u8> {
    let p = &org.policy;
    Canonical::new("orgs")
        .text(&org.id)
        .text(&org.name)
        .int(Some(i64::from(p.mfa_required)))
        .int(Some(p.enrollment_window as i64))
        .int(Some(i64::from(p.reset_limit_per_hour)))
        .int(Some(i64::from(p.max_failed_verifications)))
        .int(Some(i64::from(p.require_step_up)))
        .int(Some(org.created_at))
        .0
}

/// A recovery code row: whose it is, its keyed hash, and when it was spent (so that clearing
/// `used_at` cannot make a spent code usable again).
pub(super) fn recovery_code(user_id: &str, hash: &[u8], used_at: Option<UnixTime>) -> Vec<u8> {
    recovery_code_rest(recovery_code_start(user_id), hash, used_at)
}

/// The bytes every recovery code row of `user_id` starts with (see [`recovery_code`]).
fn recovery_code_start(user_id: &str) -> Vec<u8> {
    Canonical::new("recovery_codes").text(user_id).0
}

/// `out` followed by the bytes of one recovery code row after [`recovery_code_start`].
fn recovery_code_rest(out: Vec<u8>, hash: &[u8], used_at: Option<UnixTime>) -> Vec<u8> {
    Canonical(out).bytes(Some(hash)).int(used_at).0
}

pub(super) fn tampered(what: String) -> Error {
    Error::Storage(format!(
        "{what} is tampered: the row does not match its MAC (it was changed without the key), so it \
         is not used; restore the store from a backup"
    ))
}

pub(super) fn check_user(key: &RowKey, row: &UserRow, mac: &[u8]) -> Result<()> {
    if key.matches(&user(row), mac) { Ok(()) } else { Err(tampered(format!("user {}", row.user.id))) }
}

pub(super) fn check_org(key: &RowKey, o: &Org, mac: &[u8]) -> Result<()> {
    if key.matches(&org(o), mac) { Ok(()) } else { Err(tampered(format!("org {}", o.id))) }
}

/// Checks the recovery code rows of one user, all under one key that has hashed the bytes
/// they share: the MACs are those of [`recovery_code`], with the common start hashed once.
pub(super) struct CodeChecker<'a> {
    key: RowKey,
    user_id: &'a str,
    /// The bytes of the row being checked, kept between rows so that each row needs no new
    /// buffer.
    rest: Vec<u8>,
}

impl<'a> CodeChecker<'a> {
    pub(super) fn new(key: &RowKey, user_id: &'a str) -> Self {
        let key = key.after(&recovery_code_start(user_id));
        CodeChecker { key, user_id, rest: Vec::with_capacity(64) }
    }

    pub(super) fn check(&mut self, hash: &[u8], used_at: Option<UnixTime>, mac: &[u8]) -> Result<()> {
        self.rest.clear();
        self.rest = recovery_code_rest(std::mem::take(&mut self.rest), hash, used_at);
        if self.key.matches(&self.rest, mac) {
            Ok(())
        } else {
            Err(tampered(format!("a recovery code of user {}", self.user_id)))
        }
    }
}

pub(super) fn check_recovery_code(
    key: &RowKey,
    user_id: &str,
    hash: &[u8],
    used_at: Option<UnixTime>,
    mac: &[u8],
) -> Result<()> {
    if key.matches(&recovery_code(user_id, hash, used_at), mac) {
        Ok(())
    } else {
        Err(tampered(format!("a recovery code of user {user_id}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_do_not_run_into_each_other() {
        // Moving bytes between neighbouring fields changes the encoding.
        let a = Canonical::new("t").text("ab").text("c").0;
        let b = Canonical::new("t").text("a").text("bc").0;
        assert_ne!(a, b);
        // Absent and zero differ; so do tables.
        assert_ne!(Canonical::new("t").int(None).0, Canonical::new("t").int(Some(0)).0);
        assert_ne!(Canonical::new("users").0, Canonical::new("orgs").0);
        assert_ne!(recovery_code("u", b"h", None), recovery_code("u", b"h", Some(0)));
    }

    #[test]
    fn the_code_checker_accepts_exactly_what_check_recovery_code_accepts() {
        let key = crate::crypto::Keys::derive(&[3; 32]).row_key();
        let mut checker = CodeChecker::new(&key, "user-a");
        for used_at in [None, Some(1_700_000_000)] {
            let mac = key.mac(&recovery_code("user-a", &[9; 32], used_at));
            assert!(check_recovery_code(&key, "user-a", &[9; 32], used_at, &mac).is_ok());
            assert!(checker.check(&[9; 32], used_at, &mac).is_ok());
            // Another owner, hash or use time, or another MAC, is refused by both.
            let mut other = CodeChecker::new(&key, "user-b");
            assert_eq!(other.check(&[9; 32], used_at, &mac).unwrap_err().code(), "storage");
            assert!(checker.check(&[8; 32], used_at, &mac).is_err());
            assert!(checker.check(&[9; 32], used_at.map_or(Some(0), |_| None), &mac).is_err());
            let mut flipped = mac;
            flipped[0] ^= 1;
            assert!(checker.check(&[9; 32], used_at, &flipped).is_err());
        }
    }
}
