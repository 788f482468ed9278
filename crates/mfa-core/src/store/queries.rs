//! Typed queries. Every statement is cached and uses an index; none scans a table on a hot path.
//!
//! Every user, org and recovery-code row read here is checked against its MAC before it is
//! returned, and every row written here is sealed with a new one (see `integrity.rs`), so the
//! layers above never see a row changed without the key.

use rusqlite::{OptionalExtension, Row, params};

use super::{Tx, integrity};
use crate::error::{Error, Result};
use crate::model::{
    AuditEvent, AuditQuery, Org, Outcome, Policy, Role, UnixTime, User, UserCounts, UserStatus,
};

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

/// An audit event as stored: parsed, plus the raw texts and MAC that the chain covers.
#[derive(Debug, Clone)]
pub(crate) struct AuditRow {
    pub event: AuditEvent,
    pub outcome_raw: String,
    pub detail_raw: String,
    pub mac: Vec<u8>,
}

fn damaged(what: &str, value: &str) -> Error {
    Error::Storage(format!("the store holds an unknown {what} {value:?}: it is damaged"))
}

const USER_COLUMNS: &str = "id, org_id, email, role, status, credential_epoch, created_at, \
     deadline, totp_secret, totp_confirmed, last_step, failed_count, locked_until, email_key, row_mac";

/// A user row as read, before its role and status are parsed and its MAC checked.
struct RawUser {
    row: UserRow,
    role: String,
    status: String,
    mac: Vec<u8>,
}

fn user_row(r: &Row) -> rusqlite::Result<RawUser> {
    let row = UserRow {
        user: User {
            id: r.get(0)?,
            org: r.get(1)?,
            email: r.get(2)?,
            role: Role::Member,
            status: UserStatus::Active,
            credential_epoch: r.get(5)?,
            created_at: r.get(6)?,
        },
        email_key: r.get(13)?,
        deadline: r.get(7)?,
        secret: r.get(8)?,
        confirmed: r.get(9)?,
        last_step: r.get(10)?,
        failed_count: r.get(11)?,
        locked_until: r.get(12)?,
    };
    Ok(RawUser { row, role: r.get(3)?, status: r.get(4)?, mac: mac_column(r, 14)? })
}

/// A stored MAC; anything but a blob reads as empty, which no MAC matches.
fn mac_column(r: &Row, i: usize) -> rusqlite::Result<Vec<u8>> {
    Ok(r.get_ref(i)?.as_blob().map(<[u8]>::to_vec).unwrap_or_default())
}

/// Parses the enums only; the MAC is checked by [`Tx::checked_user`].
fn parse_user(raw: RawUser) -> Result<(UserRow, Vec<u8>)> {
    let RawUser { mut row, role, status, mac } = raw;
    row.user.role = role.parse().map_err(|_| damaged("role", &role))?;
    row.user.status = match status.as_str() {
        "active" => UserStatus::Active,
        "disabled" => UserStatus::Disabled,
        _ => return Err(damaged("status", &status)),
    };
    Ok((row, mac))
}

const ORG_COLUMNS: &str = "id, name, mfa_required, enrollment_window, reset_limit_per_hour, \
     max_failed_verifications, require_step_up, created_at, row_mac";

fn org_row(r: &Row) -> rusqlite::Result<(Org, Vec<u8>)> {
    let org = Org {
        id: r.get(0)?,
        name: r.get(1)?,
        policy: Policy {
            mfa_required: r.get(2)?,
            enrollment_window: r.get(3)?,
            reset_limit_per_hour: r.get(4)?,
            max_failed_verifications: r.get(5)?,
            require_step_up: r.get(6)?,
        },
        created_at: r.get(7)?,
    };
    Ok((org, mac_column(r, 8)?))
}

const AUDIT_COLUMNS: &str = "seq, at, actor, target, org, action, outcome, code, reason, detail, mac";

fn audit_row(r: &Row) -> rusqlite::Result<AuditRow> {
    let outcome_raw: String = r.get(6)?;
    let detail_raw: String = r.get(9)?;
    let mac: Vec<u8> = r.get(10)?;
    Ok(AuditRow {
        event: AuditEvent {
            seq: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            target: r.get(3)?,
            org: r.get(4)?,
            action: r.get(5)?,
            // A tampered row may hold anything: it is still returned (and `verify_audit`
            // rejects it by its raw text), with the unknown parts shown as failure / a string.
            outcome: Outcome::parse(&outcome_raw).unwrap_or(Outcome::Failure),
            code: r.get(7)?,
            reason: r.get(8)?,
            detail: serde_json::from_str(&detail_raw)
                .unwrap_or_else(|_| serde_json::Value::String(detail_raw.clone())),
            mac: hex(&mac),
        },
        outcome_raw,
        detail_raw,
        mac,
    })
}

/// The SQL of [`Tx::audit_page`]: `?1` is the seq to start after, then the filters given (actor,
/// target, action, in that order), then the limit.
fn audit_page_sql(q: &AuditQuery) -> String {
    let mut filters = String::new();
    let mut n = 1;
    let mut target_arg = 0;
    for (column, value) in [("actor", &q.actor), ("target", &q.target), ("action", &q.action)] {
        if value.is_some() {
            n += 1;
            filters.push_str(&format!(" AND {column} = ?{n}"));
            if column == "target" {
                target_arg = n;
            }
        }
    }
    let select = format!("SELECT {AUDIT_COLUMNS} FROM audit WHERE seq > ?1{filters}");
    if q.target.is_some() && q.actor.is_none() {
        format!(
            "{select} AND target IS NOT actor UNION ALL {select} AND actor = ?{target_arg} \
             ORDER BY seq LIMIT ?{}",
            n + 1
        )
    } else {
        format!("{select} ORDER BY seq LIMIT ?{}", n + 1)
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

impl Tx<'_> {
    // ---- orgs ----

    pub(crate) fn insert_org(&self, org: &Org) -> Result<()> {
        let p = &org.policy;
        let mac = self.key.mac(&integrity::org(org));
        self.conn
            .prepare_cached(
                "INSERT INTO orgs (id, name, mfa_required, enrollment_window, reset_limit_per_hour, \
                 max_failed_verifications, require_step_up, created_at, row_mac) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                org.id,
                org.name,
                p.mfa_required,
                p.enrollment_window,
                p.reset_limit_per_hour,
                p.max_failed_verifications,
                p.require_step_up,
                org.created_at,
                &mac[..]
            ])?;
        Ok(())
    }

    /// One org, its MAC checked: a tampered policy is `storage`, never applied.
    pub(crate) fn org(&self, id: &str) -> Result<Option<Org>> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM orgs WHERE id = ?1");
        let found = self.conn.prepare_cached(&sql)?.query_row([id], org_row).optional();
        let found = found.map_err(|e| integrity::unreadable(e, || format!("org {id}")))?;
        let Some((org, mac)) = found else {
            return Ok(None);
        };
        integrity::check_org(self.key, &org, &mac)?;
        Ok(Some(org))
    }

    /// Replaces an org's policy (the deadlines already set on its users stay).
    pub(crate) fn set_policy(&self, id: &str, p: &Policy) -> Result<()> {
        // Read (and checked) again, so that the new MAC covers exactly the stored row.
        let mut org = self.org(id)?.ok_or_else(|| Error::NotFound(format!("no org {id}")))?;
        org.policy = *p;
        let mac = self.key.mac(&integrity::org(&org));
        self.conn
            .prepare_cached(
                "UPDATE orgs SET mfa_required = ?2, enrollment_window = ?3, reset_limit_per_hour = ?4, \
                 max_failed_verifications = ?5, require_step_up = ?6, row_mac = ?7 WHERE id = ?1",
            )?
            .execute(params![
                id,
                p.mfa_required,
                p.enrollment_window,
                p.reset_limit_per_hour,
                p.max_failed_verifications,
                p.require_step_up,
                &mac[..]
            ])?;
        Ok(())
    }

    pub(crate) fn list_orgs(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT id FROM orgs ORDER BY id")?;
        let ids = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    // ---- users ----

    /// Inserts a new user (no MFA yet), sealed with its MAC.
    pub(crate) fn insert_user(&self, user: &User, email_key: &str, deadline: Option<UnixTime>) -> Result<()> {
        let row = UserRow {
            user: user.clone(),
            email_key: email_key.to_string(),
            deadline,
            secret: None,
            confirmed: false,
            last_step: None,
            failed_count: 0,
            locked_until: None,
        };
        let mac = self.key.mac(&integrity::user(&row));
        self.conn
            .prepare_cached(
                "INSERT INTO users (id, org_id, email, email_key, role, status, credential_epoch, \
                 created_at, deadline, totp_secret, totp_confirmed, last_step, failed_count, \
                 locked_until, row_mac) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
                 ?14, ?15)",
            )?
            .execute(params![
                user.id,
                user.org,
                user.email,
                row.email_key,
                user.role.as_str(),
                user.status.as_str(),
                user.credential_epoch,
                user.created_at,
                row.deadline,
                row.secret,
                row.confirmed,
                row.last_step,
                row.failed_count,
                row.locked_until,
                &mac[..]
            ])?;
        Ok(())
    }

    /// Parses a user row and checks its MAC: a row changed without the key is `storage`.
    fn checked_user(&self, raw: RawUser) -> Result<UserRow> {
        let (row, mac) = parse_user(raw)?;
        integrity::check_user(self.key, &row, &mac)?;
        Ok(row)
    }

    /// Read-modify-write of one user row: the current row is read and checked, `change` edits
    /// it, and every mutable column is written back with a new MAC. Reading again (rather than
    /// trusting a row the caller read earlier in the transaction) means the MAC always covers
    /// exactly what is stored. Returns the row as written.
    fn update_user(&self, id: &str, change: impl FnOnce(&mut UserRow)) -> Result<UserRow> {
        let mut row = self.user(id)?.ok_or_else(|| Error::NotFound(format!("no user {id}")))?;
        let (role, status) = (row.user.role, row.user.status);
        change(&mut row);
        let mac = self.key.mac(&integrity::user(&row));
        // Role and status are in an index: they are written only when they change, so the MFA
        // writes of sign-in do not rewrite that index entry too (?2 and ?3 then go unused).
        let sql = if (role, status) == (row.user.role, row.user.status) {
            "UPDATE users SET credential_epoch = ?4, deadline = ?5, totp_secret = ?6, \
             totp_confirmed = ?7, last_step = ?8, failed_count = ?9, locked_until = ?10, \
             row_mac = ?11 WHERE id = ?1"
        } else {
            "UPDATE users SET role = ?2, status = ?3, credential_epoch = ?4, deadline = ?5, \
             totp_secret = ?6, totp_confirmed = ?7, last_step = ?8, failed_count = ?9, \
             locked_until = ?10, row_mac = ?11 WHERE id = ?1"
        };
        self.conn.prepare_cached(sql)?.execute(params![
            id,
            row.user.role.as_str(),
            row.user.status.as_str(),
            row.user.credential_epoch,
            row.deadline,
            row.secret,
            row.confirmed,
            row.last_step,
            row.failed_count,
            row.locked_until,
            &mac[..]
        ])?;
        Ok(row)
    }

    pub(crate) fn email_taken(&self, org: &str, email_key: &str) -> Result<bool> {
        let found = self
            .conn
            .prepare_cached("SELECT 1 FROM users WHERE org_id = ?1 AND email_key = ?2")?
            .query_row([org, email_key], |_| Ok(()))
            .optional()?;
        Ok(found.is_some())
    }

    /// One user, its MAC checked.
    pub(crate) fn user(&self, id: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1");
        let raw = self.conn.prepare_cached(&sql)?.query_row([id], user_row).optional();
        let raw = raw.map_err(|e| integrity::unreadable(e, || format!("user {id}")))?;
        raw.map(|raw| self.checked_user(raw)).transpose()
    }

    /// The user with this email key in the org, its MAC checked (the MAC covers the email key,
    /// so a row moved under another email does not pass).
    pub(crate) fn user_by_email(&self, org: &str, email_key: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = ?1 AND email_key = ?2");
        let raw = self.conn.prepare_cached(&sql)?.query_row([org, email_key], user_row).optional();
        let raw = raw.map_err(|e| integrity::unreadable(e, || format!("a user of org {org}")))?;
        raw.map(|raw| self.checked_user(raw)).transpose()
    }

    /// Every user of the org, each MAC checked.
    pub(crate) fn users_of_org(&self, org: &str) -> Result<Vec<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = ?1 ORDER BY email_key");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([org], user_row)?;
        rows.map(|r| {
            self.checked_user(r.map_err(|e| integrity::unreadable(e, || format!("a user of org {org}")))?)
        })
        .collect()
    }

    /// Active owners of the org. Each owner row is read and checked rather than counted in SQL,
    /// so that a row turned into an owner without the key cannot let the real last owner be
    /// demoted or disabled.
    pub(crate) fn active_owners(&self, org: &str) -> Result<u64> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE org_id = ?1 AND role = 'owner' AND status = 'active'"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([org])?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            let raw =
                user_row(r).map_err(|e| integrity::unreadable(e, || format!("an owner of org {org}")))?;
            self.checked_user(raw)?;
            n += 1;
        }
        Ok(n)
    }

    pub(crate) fn set_role(&self, id: &str, role: Role) -> Result<()> {
        self.update_user(id, |row| row.user.role = role).map(drop)
    }

    pub(crate) fn set_status(&self, id: &str, status: UserStatus) -> Result<()> {
        self.update_user(id, |row| row.user.status = status).map(drop)
    }

    /// A new email and lookup key, under a new MAC (the email is covered: two rows cannot trade
    /// emails behind the core's back).
    pub(crate) fn set_email(&self, id: &str, email: &str, email_key: &str) -> Result<()> {
        let mut row = self.user(id)?.ok_or_else(|| Error::NotFound(format!("no user {id}")))?;
        row.user.email = email.to_string();
        row.email_key = email_key.to_string();
        let mac = self.key.mac(&integrity::user(&row));
        self.conn
            .prepare_cached("UPDATE users SET email = ?2, email_key = ?3, row_mac = ?4 WHERE id = ?1")?
            .execute(params![id, email, email_key, &mac[..]])?;
        Ok(())
    }

    /// Removes a user with everything that belongs to them: the row (and so its sealed
    /// secret, pending or confirmed), its recovery codes and its rate-limit log. The audit
    /// trail keeps the id.
    pub(crate) fn delete_user(&self, id: &str) -> Result<()> {
        self.conn.prepare_cached("DELETE FROM recovery_codes WHERE user_id = ?1")?.execute([id])?;
        self.conn.prepare_cached("DELETE FROM reset_log WHERE actor = ?1")?.execute([id])?;
        let gone = self.conn.prepare_cached("DELETE FROM users WHERE id = ?1")?.execute([id])?;
        if gone != 1 {
            return Err(Error::Internal(format!("user {id} vanished during its deletion")));
        }
        Ok(())
    }

    // ---- MFA state ----

    /// Stores a new pending secret, replacing any earlier pending one.
    pub(crate) fn set_pending_secret(&self, id: &str, sealed: &[u8]) -> Result<()> {
        self.update_user(id, |row| {
            row.secret = Some(sealed.to_vec());
            row.confirmed = false;
            row.last_step = None;
        })
        .map(drop)
    }

    /// Confirms the pending secret: enrolled, deadline gone, the confirming step used.
    pub(crate) fn confirm_secret(&self, id: &str, step: i64) -> Result<()> {
        self.update_user(id, |row| {
            row.confirmed = true;
            row.deadline = None;
            row.last_step = Some(step);
            row.failed_count = 0;
            row.locked_until = None;
        })
        .map(drop)
    }

    /// The reset's effects on the user row: secret destroyed, replay and failure state cleared,
    /// a new deadline, the epoch incremented. Returns the new epoch.
    pub(crate) fn clear_mfa(&self, id: &str, deadline: UnixTime) -> Result<u64> {
        let row = self.update_user(id, |row| {
            row.secret = None;
            row.confirmed = false;
            row.last_step = None;
            row.failed_count = 0;
            row.locked_until = None;
            row.deadline = Some(deadline);
            row.user.credential_epoch += 1;
        })?;
        self.conn.prepare_cached("DELETE FROM recovery_codes WHERE user_id = ?1")?.execute([id])?;
        Ok(row.user.credential_epoch)
    }

    /// Records the verification counters after an attempt.
    pub(crate) fn set_verify_state(
        &self,
        id: &str,
        last_step: Option<i64>,
        failed_count: u32,
        locked_until: Option<UnixTime>,
    ) -> Result<()> {
        self.update_user(id, |row| {
            row.last_step = last_step;
            row.failed_count = failed_count;
            row.locked_until = locked_until;
        })
        .map(drop)
    }

    // ---- recovery codes ----

    pub(crate) fn replace_recovery_codes(&self, id: &str, hashes: &[[u8; 32]]) -> Result<()> {
        self.conn.prepare_cached("DELETE FROM recovery_codes WHERE user_id = ?1")?.execute([id])?;
        let mut insert = self
            .conn
            .prepare_cached("INSERT INTO recovery_codes (user_id, hash, row_mac) VALUES (?1, ?2, ?3)")?;
        for hash in hashes {
            let mac = self.key.mac(&integrity::recovery_code(id, hash, None));
            insert.execute(params![id, &hash[..], &mac[..]])?;
        }
        Ok(())
    }

    /// The code with this keyed hash, checked: `None` when there is none, else whether it is
    /// unused. The lookup is by keyed hash, so the comparison never touches a code.
    fn recovery_code(&self, id: &str, hash: &[u8; 32]) -> Result<Option<bool>> {
        let found: Option<(Option<UnixTime>, Vec<u8>)> = self
            .conn
            .prepare_cached("SELECT used_at, row_mac FROM recovery_codes WHERE user_id = ?1 AND hash = ?2")?
            .query_row(params![id, &hash[..]], |r| Ok((r.get(0)?, mac_column(r, 1)?)))
            .optional()
            .map_err(|e| integrity::unreadable(e, || format!("a recovery code of user {id}")))?;
        let Some((used_at, mac)) = found else { return Ok(None) };
        integrity::check_recovery_code(self.key, id, hash, used_at, &mac)?;
        Ok(Some(used_at.is_none()))
    }

    /// Marks an unused code as used; false when there is no such unused code.
    pub(crate) fn use_recovery_code(&self, id: &str, hash: &[u8; 32], now: UnixTime) -> Result<bool> {
        if self.recovery_code(id, hash)? != Some(true) {
            return Ok(false);
        }
        let mac = self.key.mac(&integrity::recovery_code(id, hash, Some(now)));
        self.conn
            .prepare_cached(
                "UPDATE recovery_codes SET used_at = ?3, row_mac = ?4 WHERE user_id = ?1 AND hash = ?2",
            )?
            .execute(params![id, &hash[..], now, &mac[..]])?;
        Ok(true)
    }

    /// Whether an unused code with this hash exists (a check that spends nothing).
    pub(crate) fn recovery_code_unused(&self, id: &str, hash: &[u8; 32]) -> Result<bool> {
        Ok(self.recovery_code(id, hash)? == Some(true))
    }

    /// Unused codes left; every code row of the user is checked, so a cleared `used_at` is
    /// reported rather than counted.
    pub(crate) fn recovery_codes_left(&self, id: &str) -> Result<u32> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT hash, used_at, row_mac FROM recovery_codes WHERE user_id = ?1")?;
        let mut rows = stmt.query([id])?;
        let mut left = 0;
        while let Some(r) = rows.next()? {
            let tampered = |e| integrity::unreadable(e, || format!("a recovery code of user {id}"));
            let used_at: Option<UnixTime> = r.get(1).map_err(tampered)?;
            let hash = r.get_ref(0)?.as_blob().unwrap_or_default();
            let mac = r.get_ref(2)?.as_blob().unwrap_or_default();
            integrity::check_recovery_code(self.key, id, hash, used_at, mac)?;
            left += u32::from(used_at.is_none());
        }
        Ok(left)
    }

    // ---- migration ----

    /// Computes the MAC of every existing user, org and recovery-code row, for the migration
    /// that adds them. Rows are taken as they are: the MACs protect them from then on.
    pub(crate) fn seal_every_row(&self) -> Result<()> {
        let orgs: Vec<(Org, Vec<u8>)> = {
            let mut stmt = self.conn.prepare(&format!("SELECT {ORG_COLUMNS} FROM orgs"))?;
            stmt.query_map([], org_row)?.collect::<rusqlite::Result<_>>()?
        };
        for (org, _) in &orgs {
            let mac = self.key.mac(&integrity::org(org));
            self.conn.execute("UPDATE orgs SET row_mac = ?2 WHERE id = ?1", params![org.id, &mac[..]])?;
        }
        let users: Vec<RawUser> = {
            let mut stmt = self.conn.prepare(&format!("SELECT {USER_COLUMNS} FROM users"))?;
            stmt.query_map([], user_row)?.collect::<rusqlite::Result<_>>()?
        };
        for raw in users {
            let (row, _) = parse_user(raw)?;
            let mac = self.key.mac(&integrity::user(&row));
            self.conn
                .execute("UPDATE users SET row_mac = ?2 WHERE id = ?1", params![row.user.id, &mac[..]])?;
        }
        let codes: Vec<(String, Vec<u8>, Option<UnixTime>)> = {
            let mut stmt = self.conn.prepare("SELECT user_id, hash, used_at FROM recovery_codes")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()?
        };
        for (user, hash, used_at) in codes {
            let mac = self.key.mac(&integrity::recovery_code(&user, &hash, used_at));
            self.conn.execute(
                "UPDATE recovery_codes SET row_mac = ?3 WHERE user_id = ?1 AND hash = ?2",
                params![user, hash, &mac[..]],
            )?;
        }
        Ok(())
    }

    // ---- rate limit ----

    /// Numbers a successful reset in the actor's log.
    pub(crate) fn record_reset(&self, actor: &str, at: UnixTime) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO reset_log (actor, n, at) \
                 SELECT ?1, coalesce(max(n), 0) + 1, ?2 FROM reset_log WHERE actor = ?1",
            )?
            .execute(params![actor, at])?;
        Ok(())
    }

    /// The time of the actor's `nth` most recent successful reset, if it made that many.
    pub(crate) fn nth_recent_reset(&self, actor: &str, nth: u32) -> Result<Option<UnixTime>> {
        let at = self
            .conn
            .prepare_cached(
                "SELECT at FROM reset_log WHERE actor = ?1 \
                 AND n = (SELECT max(n) FROM reset_log WHERE actor = ?1) - ?2 + 1",
            )?
            .query_row(params![actor, nth], |r| r.get(0))
            .optional()?;
        Ok(at)
    }

    // ---- counts ----

    /// Orgs, and users by MFA state at `now` (as `policy::state_of` derives it).
    pub(crate) fn counts(&self, now: UnixTime) -> Result<(u64, UserCounts)> {
        let orgs = self.conn.prepare_cached("SELECT count(*) FROM orgs")?.query_row([], |r| r.get(0))?;
        let users = self
            .conn
            .prepare_cached(
                "SELECT count(*), \
                 coalesce(sum(totp_confirmed = 0 AND deadline IS NULL), 0), \
                 coalesce(sum(totp_confirmed = 0 AND deadline > ?1), 0), \
                 coalesce(sum(totp_confirmed = 0 AND deadline <= ?1), 0), \
                 coalesce(sum(totp_confirmed <> 0), 0), \
                 coalesce(sum(status = 'disabled'), 0) FROM users",
            )?
            .query_row([now], |r| {
                Ok(UserCounts {
                    total: r.get(0)?,
                    not_enrolled: r.get(1)?,
                    enrollment_required: r.get(2)?,
                    locked_out: r.get(3)?,
                    enrolled: r.get(4)?,
                    disabled: r.get(5)?,
                })
            })?;
        Ok((orgs, users))
    }

    // ---- audit ----

    pub(crate) fn audit_head(&self) -> Result<Option<(u64, Vec<u8>)>> {
        let head = self
            .conn
            .prepare_cached("SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(head)
    }

    /// Appends an event; `detail` is the exact text its MAC covers.
    pub(crate) fn insert_audit(&self, e: &AuditEvent, detail: &str, mac: &[u8]) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO audit (seq, at, actor, target, org, action, outcome, code, reason, detail, mac) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                e.seq,
                e.at,
                e.actor,
                e.target,
                e.org,
                e.action,
                e.outcome.as_str(),
                e.code,
                e.reason,
                detail,
                mac
            ])?;
        Ok(())
    }

    /// A page in seq order. Only the filters given enter the SQL, so that SQLite can use the
    /// actor or target index instead of scanning the trail. The target index holds only events
    /// whose target is not their actor, so a page by target alone is the merge (in seq order) of
    /// those and of the target's own events, found through the actor index.
    pub(crate) fn audit_page(&self, q: &AuditQuery, limit: u32) -> Result<Vec<AuditEvent>> {
        let mut args: Vec<&dyn rusqlite::ToSql> = vec![&q.after_seq];
        args.extend(
            [&q.actor, &q.target, &q.action].into_iter().flatten().map(|v| v as &dyn rusqlite::ToSql),
        );
        args.push(&limit);
        let mut stmt = self.conn.prepare_cached(&audit_page_sql(q))?;
        let rows = stmt.query_map(args.as_slice(), audit_row)?;
        rows.map(|r| Ok(r?.event)).collect()
    }

    /// Walks every event in seq order; `visit` returns false to stop. A row with a column of
    /// another type than this library writes (text in `at`, a MAC stored as text, invalid
    /// UTF-8) can only come from tampering: it is visited as `None`, for the caller to report
    /// as a bad event rather than fail the whole walk.
    pub(crate) fn audit_walk(&self, mut visit: impl FnMut(Option<AuditRow>) -> bool) -> Result<()> {
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit ORDER BY seq");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let row = match audit_row(r) {
                Ok(row) => Some(row),
                Err(
                    rusqlite::Error::InvalidColumnType(..)
                    | rusqlite::Error::FromSqlConversionFailure(..)
                    | rusqlite::Error::Utf8Error(..)
                    | rusqlite::Error::IntegralValueOutOfRange(..),
                ) => None,
                Err(other) => return Err(other.into()),
            };
            if !visit(row) {
                break;
            }
        }
        Ok(())
    }

    pub(crate) fn audit_mac_at(&self, seq: u64) -> Result<Option<Vec<u8>>> {
        let mac = self
            .conn
            .prepare_cached("SELECT mac FROM audit WHERE seq = ?1")?
            .query_row([seq], |r| r.get(0))
            .optional()?;
        Ok(mac)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Keys;
    use crate::store::Store;

    /// Every shape of audit page is an index search in seq order: no scan of the trail, no sort.
    #[test]
    fn audit_pages_use_an_index_and_no_sort() {
        let store = Store::open(None, &Keys::derive(&[1; 32]), &Default::default()).unwrap();
        let some = || Some("0190a0a0-0000-7000-8000-000000000000".to_string());
        for (actor, target, action) in [
            (None, None, None),
            (some(), None, None),
            (None, some(), None),
            (None, some(), Some("mfa.reset".to_string())),
            (some(), some(), None),
            (some(), None, Some("mfa.verify".to_string())),
        ] {
            let q = AuditQuery { actor, target, action, ..Default::default() };
            let sql = audit_page_sql(&q);
            let plan: Vec<String> = store
                .read(|tx| {
                    let mut stmt = tx.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                    // Unbound parameters are NULL: the plan does not depend on them.
                    let mut rows = stmt.raw_query();
                    let mut plan = Vec::new();
                    while let Some(row) = rows.next()? {
                        plan.push(row.get::<_, String>(3)?);
                    }
                    Ok(plan)
                })
                .unwrap();
            assert!(plan.iter().any(|p| p.starts_with("SEARCH audit")), "{sql}: {plan:?}");
            assert!(
                plan.iter().all(|p| !p.starts_with("SCAN audit") && !p.contains("TEMP B-TREE")),
                "{sql}: {plan:?}"
            );
        }
    }
}
