//! The boundary between the typed queries ([`super::Tx`]) and an engine: the statements each
//! engine runs inside an open transaction, on rows as they are stored. An engine reads and
//! writes columns; it decides nothing, and checks no MAC (`Tx` does, once for both engines).

use crate::error::{Error, Result};
use crate::model::{AuditEvent, AuditQuery, Org, Outcome, Policy, UnixTime, User, UserCounts, UserStatus};

/// A user with the MFA columns the core needs (never returned to callers as is).
#[derive(Debug, Clone)]
pub(crate) struct UserRow {
    pub user: User,
    /// The email as uniqueness sees it (lowercase).
    pub email_key: String,
    pub deadline: Option<UnixTime>,
    /// Sealed TOTP secret, pending or confirmed.
    pub secret: Option<Vec<u8>>,
    pub confirmed: bool,
    pub last_step: Option<i64>,
    pub failed_count: u32,
    pub locked_until: Option<UnixTime>,
}

/// A user row as read, before its role and status are parsed and its MAC checked.
#[derive(Clone)]
pub(crate) struct RawUser {
    /// The row with role `member` and status `active` until [`RawUser::parse`] sets them.
    pub row: UserRow,
    pub role: String,
    pub status: String,
    pub mac: Vec<u8>,
}

impl RawUser {
    /// Parses the role and status; the MAC is checked by the caller.
    pub(crate) fn parse(self) -> Result<(UserRow, Vec<u8>)> {
        let RawUser { mut row, role, status, mac } = self;
        row.user.role = role.parse().map_err(|_| damaged("role", &role))?;
        row.user.status = match status.as_str() {
            "active" => UserStatus::Active,
            "disabled" => UserStatus::Disabled,
            _ => return Err(damaged("status", &status)),
        };
        Ok((row, mac))
    }
}

/// A recovery-code row with its owner, as stored (for copying a whole store: `copy.rs`).
pub(crate) struct CodeRow {
    pub user: String,
    pub hash: Vec<u8>,
    pub used_at: Option<UnixTime>,
    pub mac: Vec<u8>,
}

/// A reset-log row as stored: the actor's `n`th successful reset, at `at`.
pub(crate) struct ResetRow {
    pub actor: String,
    pub n: i64,
    pub at: UnixTime,
}

/// How many rows each table of a store holds (the meta entries aside).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RowCounts {
    pub orgs: u64,
    pub users: u64,
    pub recovery_codes: u64,
    pub reset_log: u64,
    pub audit: u64,
}

/// An org row as read, with its MAC.
pub(crate) type RawOrg = (Org, Vec<u8>);

/// A recovery-code row of one user: keyed hash, when it was spent, MAC.
pub(crate) type RawCode = (Vec<u8>, Option<UnixTime>, Vec<u8>);

/// An audit event as stored: parsed, plus the raw texts and MAC that the chain covers.
#[derive(Debug, Clone)]
pub(crate) struct AuditRow {
    pub event: AuditEvent,
    pub outcome_raw: String,
    pub detail_raw: String,
    pub mac: Vec<u8>,
}

/// The columns of an audit row, in the order both engines select them.
pub(crate) struct AuditColumns {
    pub seq: u64,
    pub at: UnixTime,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub org: Option<String>,
    pub action: String,
    pub outcome: String,
    pub code: Option<String>,
    pub reason: Option<String>,
    pub detail: String,
    pub mac: Vec<u8>,
}

impl From<AuditColumns> for AuditRow {
    fn from(c: AuditColumns) -> AuditRow {
        AuditRow {
            event: AuditEvent {
                seq: c.seq,
                at: c.at,
                actor: c.actor,
                target: c.target,
                org: c.org,
                action: c.action,
                // A tampered row may hold anything: it is still returned (and `verify_audit`
                // rejects it by its raw text), with the unknown parts shown as failure / a string.
                outcome: Outcome::parse(&c.outcome).unwrap_or(Outcome::Failure),
                code: c.code,
                reason: c.reason,
                detail: serde_json::from_str(&c.detail)
                    .unwrap_or_else(|_| serde_json::Value::String(c.detail.clone())),
                mac: hex(&c.mac),
            },
            outcome_raw: c.outcome,
            detail_raw: c.detail,
            mac: c.mac,
        }
    }
}

/// The SQL of an audit page in either engine's dialect (`param` is its placeholder sign, `?`
/// or `$`; `differs` its null-safe "not equal"): parameter 1 is the seq to start after, then
/// the filters given (actor, target, action, in that order), then the limit. Only the filters
/// given enter the SQL, so that the engine can use the actor or target index instead of
/// scanning the trail. The target index holds only events whose target is not their actor, so
/// a page by target alone is the merge (in seq order) of those and of the target's own events,
/// found through the actor index.
pub(super) fn audit_page_sql(q: &AuditQuery, columns: &str, param: char, differs: &str) -> String {
    let mut filters = String::new();
    let mut n = 1;
    let mut target_arg = 0;
    for (column, value) in [("actor", &q.actor), ("target", &q.target), ("action", &q.action)] {
        if value.is_some() {
            n += 1;
            filters.push_str(&format!(" AND {column} = {param}{n}"));
            if column == "target" {
                target_arg = n;
            }
        }
    }
    let select = format!("SELECT {columns} FROM audit WHERE seq > {param}1{filters}");
    let limit = n + 1;
    if q.target.is_some() && q.actor.is_none() {
        format!(
            "{select} AND target {differs} actor UNION ALL {select} AND actor = {param}{target_arg} \
             ORDER BY seq LIMIT {param}{limit}"
        )
    } else {
        format!("{select} ORDER BY seq LIMIT {param}{limit}")
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

pub(crate) fn damaged(what: &str, value: &str) -> Error {
    Error::Storage(format!("the store holds an unknown {what} {value:?}: it is damaged"))
}

/// One engine's statements inside an open transaction. Every method is one statement (or a
/// fixed few) on an indexed path; none scans a table on a hot path.
pub(crate) trait Rows {
    // ---- orgs ----
    fn insert_org(&self, org: &Org, mac: &[u8]) -> Result<()>;
    fn org(&self, id: &str) -> Result<Option<RawOrg>>;
    fn set_policy(&self, id: &str, policy: &Policy, mac: &[u8]) -> Result<()>;
    fn org_ids(&self) -> Result<Vec<String>>;
    fn every_org(&self) -> Result<Vec<RawOrg>>;
    fn set_org_mac(&self, id: &str, mac: &[u8]) -> Result<()>;

    // ---- users ----
    fn insert_user(&self, row: &UserRow, mac: &[u8]) -> Result<()>;
    fn user(&self, id: &str) -> Result<Option<RawUser>>;
    /// Reads these users ahead, where the engine can read several in one round trip; the calls
    /// that follow still read each with [`Rows::user`]. Nothing to do where reads cost no
    /// round trip.
    fn prefetch_users(&self, _ids: &[&str]) -> Result<()> {
        Ok(())
    }
    fn user_by_email(&self, org: &str, email_key: &str) -> Result<Option<RawUser>>;
    /// Every user of the org, by email key.
    fn users_of_org(&self, org: &str) -> Result<Vec<RawUser>>;
    /// The org's rows with role `owner` and status `active` (as stored, MACs unchecked).
    fn active_owner_rows(&self, org: &str) -> Result<Vec<RawUser>>;
    fn every_user(&self) -> Result<Vec<RawUser>>;
    fn email_taken(&self, org: &str, email_key: &str) -> Result<bool>;
    /// Writes every mutable column but the email; `role_or_status_changed` false lets an
    /// engine leave the columns of the owners' index alone.
    fn update_user(&self, row: &UserRow, mac: &[u8], role_or_status_changed: bool) -> Result<()>;
    fn set_email(&self, id: &str, email: &str, email_key: &str, mac: &[u8]) -> Result<()>;
    /// Deletes the user's recovery codes, reset log and row; the number of user rows deleted.
    fn delete_user(&self, id: &str) -> Result<u64>;

    // ---- recovery codes ----
    fn delete_recovery_codes(&self, user: &str) -> Result<()>;
    fn insert_recovery_code(&self, user: &str, hash: &[u8], mac: &[u8]) -> Result<()>;
    /// `used_at` and MAC of the user's code with this keyed hash.
    fn recovery_code(&self, user: &str, hash: &[u8]) -> Result<Option<(Option<UnixTime>, Vec<u8>)>>;
    fn set_recovery_code_used(&self, user: &str, hash: &[u8], at: UnixTime, mac: &[u8]) -> Result<()>;
    fn recovery_codes_of(&self, user: &str) -> Result<Vec<RawCode>>;
    /// Unused codes in the store, and the users holding them.
    fn unused_recovery_codes(&self) -> Result<(u64, u64)>;
    fn delete_every_recovery_code(&self) -> Result<()>;

    // ---- meta ----
    /// The schema version the store records.
    fn schema_version(&self) -> Result<i64>;
    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>>;
    fn put_meta(&self, key: &str, value: &[u8]) -> Result<()>;

    // ---- rate limit ----
    /// Numbers a successful reset in the actor's log (1, 2, 3, ...).
    fn record_reset(&self, actor: &str, at: UnixTime) -> Result<()>;
    /// The time of the actor's `nth` most recent successful reset, if it made that many.
    fn nth_recent_reset(&self, actor: &str, nth: u32) -> Result<Option<UnixTime>>;

    // ---- counts ----
    /// Orgs, and users by MFA state at `now` (as `policy::state_of` derives it).
    fn counts(&self, now: UnixTime) -> Result<(u64, UserCounts)>;

    // ---- audit ----
    fn audit_head(&self) -> Result<Option<(u64, Vec<u8>)>>;
    fn insert_audit(&self, event: &AuditEvent, detail: &str, mac: &[u8]) -> Result<()>;
    /// A page in seq order, through the actor or target index when filtered.
    fn audit_page(&self, query: &AuditQuery, limit: u32) -> Result<Vec<AuditEvent>>;
    /// Every event in seq order; `None` for a row whose columns an engine cannot read as this
    /// library writes them (only tampering makes one). `visit` returns false to stop.
    fn audit_walk(&self, visit: &mut dyn FnMut(Option<AuditRow>) -> bool) -> Result<()>;
    fn audit_mac_at(&self, seq: u64) -> Result<Option<Vec<u8>>>;

    // ---- copying a whole store (copy.rs) ----
    /// Rows in each table, read in the open transaction.
    fn row_counts(&self) -> Result<RowCounts>;
    /// Every meta entry, as stored.
    fn every_meta(&self) -> Result<Vec<(String, Vec<u8>)>>;
    /// Every user row in id order, as stored, without holding the table in memory; an error
    /// from `visit` stops the walk and is returned.
    fn each_user(&self, visit: &mut dyn FnMut(RawUser) -> Result<()>) -> Result<()>;
    /// Every recovery-code row, by user and hash, as [`Rows::each_user`] walks users.
    fn each_recovery_code(&self, visit: &mut dyn FnMut(CodeRow) -> Result<()>) -> Result<()>;
    /// Every reset-log row, by actor and number, as [`Rows::each_user`] walks users.
    fn each_reset(&self, visit: &mut dyn FnMut(ResetRow) -> Result<()>) -> Result<()>;
    /// Inserts a user row into a store being filled by a copy, which keeps nothing if any row
    /// fails: an engine may send it with the statements that follow.
    fn copy_user(&self, row: &UserRow, mac: &[u8]) -> Result<()> {
        self.insert_user(row, mac)
    }
    /// Inserts a recovery-code row exactly as given (spent or not, with its MAC).
    fn copy_recovery_code(&self, code: &CodeRow) -> Result<()>;
    /// Inserts a reset-log row exactly as given (its number too).
    fn copy_reset(&self, row: &ResetRow) -> Result<()>;

    // ---- nesting ----
    /// Runs `sql`, one of `SAVEPOINT`, `ROLLBACK TO` and `RELEASE` with a savepoint name.
    fn savepoint_statement(&self, sql: &str) -> Result<()>;
    /// False when the engine already rolled the whole transaction back (SQLite does on some
    /// I/O errors): a savepoint then has nothing left to release.
    fn in_transaction(&self) -> bool;
}
