//! Moving a store between engines: [`Core::copy_to`] copies the whole store into an empty one,
//! a file or a PostgreSQL database, with the audit trail byte for byte (`mfa-admin migrate`;
//! docs/scale-out.md).

use std::path::Path;

use serde::Serialize;

use crate::audit;
use crate::core::Core;
use crate::error::{Error, Result, invalid};
use crate::model::{Checkpoint, OpenOptions};
use crate::store::{Location, Store};

/// How far [`Core::copy_to`] got, for a progress display. `step` is `"verify"` (the source's
/// audit chain, checked before anything is written), then each table as it is copied
/// (`"meta"` is not reported: it is a few rows), in this order: `"orgs"`, `"users"`,
/// `"recovery_codes"`, `"reset_log"`, `"audit"`, and last `"check"` (the copy's chain, checked
/// against the source's head before the copy commits). `done` of `total` rows or events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CopyProgress {
    pub step: &'static str,
    pub done: u64,
    pub total: u64,
}

/// What [`Core::copy_to`] copied, and the audit head the source and the copy share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CopyReport {
    pub orgs: u64,
    pub users: u64,
    pub recovery_codes: u64,
    pub reset_log: u64,
    pub audit_events: u64,
    /// The head of the audit chain, the same on both: a checkpoint saved from the source
    /// verifies on the copy.
    pub head: Checkpoint,
}

/// Whether `location`, as given to [`Core::open`], names a PostgreSQL database (a
/// `postgres://` or `postgresql://` URL) rather than a file. A URL may hold a password: tools
/// that show a location should show it without.
pub fn is_postgres_url(location: &str) -> bool {
    matches!(Location::of(Path::new(location)), Location::Postgres(_))
}

impl Core {
    /// Copies this store, whole, into the store at `dest`: a file path (created when nothing is
    /// there) or a PostgreSQL URL (an empty database or schema, where the store's tables are
    /// created). The destination uses this handle's key. Every row is copied as stored: users
    /// with their sealed TOTP secrets, recovery codes spent or not, the reset log (so rate
    /// limits carry on), the key check and the sealed chain keys of earlier master keys, and
    /// the audit trail with its MACs. So the copy opens with the same key, its chain verifies
    /// with the same head (returned), checkpoints saved from the source verify on it, and every
    /// user signs in as before.
    ///
    /// The source is read from one snapshot; writes made meanwhile are not in the copy (stop
    /// the hosts first when moving for good). Its audit chain is verified before anything is
    /// written, and every user, org and recovery-code row is checked against its MAC. The
    /// destination is written in one transaction, its chain verified against the source's head
    /// before that commits: it ends up holding the whole copy, or no rows at all (an empty store
    /// may remain, and the copy can be run again).
    ///
    /// `progress` is called per step and table (see [`CopyProgress`]), and every 10,000 rows.
    ///
    /// Errors: `invalid_input` (a bad path or URL; an in-memory destination; a destination
    /// store of another key), `conflict` (the destination already holds orgs, users or events:
    /// it is left as it is), `storage` (the source's chain or a row does not verify, a server
    /// or file error).
    pub fn copy_to(
        &self,
        dest: impl AsRef<Path>,
        progress: &mut dyn FnMut(&CopyProgress),
    ) -> Result<CopyReport> {
        let dest = dest.as_ref();
        if dest.as_os_str().is_empty() {
            return Err(invalid("destination is empty"));
        }
        if dest.to_str().is_some_and(|p| p.contains('\0')) {
            return Err(invalid("destination contains a NUL byte"));
        }
        if dest == Path::new(":memory:") {
            return Err(invalid("a copy into memory would be lost at once: give a file or a PostgreSQL URL"));
        }
        let mut report =
            |step: &'static str, done: u64, total: u64| progress(&CopyProgress { step, done, total });
        self.store.read(|src| {
            let totals = src.row_counts()?;
            report("verify", 0, totals.audit);
            let verified = audit::verify(src, &self.keys, None)?;
            if !verified.ok {
                return Err(Error::Storage(format!(
                    "the source's audit trail does not verify (first bad event: seq {}): nothing was copied",
                    verified.first_bad_seq.unwrap_or(0)
                )));
            }
            report("verify", verified.checked, totals.audit);
            let head = audit::checkpoint(src)?;

            let options = OpenOptions { create_if_missing: true, ..OpenOptions::default() };
            let store = Store::open(Location::of(dest), &self.keys, &options).map_err(in_destination)?;
            store.write_whole(|dst| {
                dst.check_empty()?;
                src.copy_rows(dst, &totals, &mut report)?;
                report("check", 0, totals.audit);
                let checked = audit::verify(dst, &self.keys, Some(&head))?;
                if !checked.ok || audit::checkpoint(dst)? != head {
                    return Err(Error::Internal(format!(
                        "the copy's audit trail does not verify against the source's head (first bad \
                         event: seq {}): nothing was copied",
                        checked.first_bad_seq.unwrap_or(0)
                    )));
                }
                report("check", checked.checked, totals.audit);
                Ok(())
            })?;
            Ok(CopyReport {
                orgs: totals.orgs,
                users: totals.users,
                recovery_codes: totals.recovery_codes,
                reset_log: totals.reset_log,
                audit_events: totals.audit,
                head,
            })
        })
    }
}

/// Says that an error met while opening the destination is about the destination (a wrong key
/// there means it holds another store), keeping its code.
fn in_destination(err: Error) -> Error {
    let say = |m: &str| format!("the destination: {m}");
    match err {
        Error::InvalidInput(m) => Error::InvalidInput(say(&m)),
        Error::Storage(m) => Error::Storage(say(&m)),
        Error::Conflict(m) => Error::Conflict(say(&m)),
        Error::NotFound(m) => Error::NotFound(say(&m)),
        other => other,
    }
}
