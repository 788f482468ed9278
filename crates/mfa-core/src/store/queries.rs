//! Typed queries. Every statement is cached and uses an index; none scans a table on a hot path.

use rusqlite::{OptionalExtension, Row, params};

use super::Tx;
use crate::error::{Error, Result};
use crate::model::{AuditEvent, AuditQuery, Org, Outcome, Policy, Role, UnixTime, User, UserStatus};

/// A user with the MFA columns the core needs (never returned to callers as is).
#[derive(Debug, Clone)]
pub(crate) struct UserRow {
    pub user: User,
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
     deadline, totp_secret, totp_confirmed, last_step, failed_count, locked_until";

fn user_row(r: &Row) -> rusqlite::Result<(UserRow, String, String)> {
    let role: String = r.get(3)?;
    let status: String = r.get(4)?;
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
        deadline: r.get(7)?,
        secret: r.get(8)?,
        confirmed: r.get(9)?,
        last_step: r.get(10)?,
        failed_count: r.get(11)?,
        locked_until: r.get(12)?,
    };
    Ok((row, role, status))
}

fn finish_user((mut row, role, status): (UserRow, String, String)) -> Result<UserRow> {
    row.user.role = role.parse().map_err(|_| damaged("role", &role))?;
    row.user.status = match status.as_str() {
        "active" => UserStatus::Active,
        "disabled" => UserStatus::Disabled,
        _ => return Err(damaged("status", &status)),
    };
    Ok(row)
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
        self.conn
            .prepare_cached(
                "INSERT INTO orgs (id, name, mfa_required, enrollment_window, reset_limit_per_hour, \
                 max_failed_verifications, require_step_up, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                org.id,
                org.name,
                p.mfa_required,
                p.enrollment_window,
                p.reset_limit_per_hour,
                p.max_failed_verifications,
                p.require_step_up,
                org.created_at
            ])?;
        Ok(())
    }

    pub(crate) fn org(&self, id: &str) -> Result<Option<Org>> {
        let org = self
            .conn
            .prepare_cached(
                "SELECT id, name, mfa_required, enrollment_window, reset_limit_per_hour, \
                 max_failed_verifications, require_step_up, created_at FROM orgs WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok(Org {
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
                })
            })
            .optional()?;
        Ok(org)
    }

    pub(crate) fn list_orgs(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT id FROM orgs ORDER BY id")?;
        let ids = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    // ---- users ----

    pub(crate) fn insert_user(&self, user: &User, email_key: &str, deadline: Option<UnixTime>) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO users (id, org_id, email, email_key, role, status, credential_epoch, \
                 created_at, deadline) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                user.id,
                user.org,
                user.email,
                email_key,
                user.role.as_str(),
                user.status.as_str(),
                user.credential_epoch,
                user.created_at,
                deadline
            ])?;
        Ok(())
    }

    pub(crate) fn email_taken(&self, org: &str, email_key: &str) -> Result<bool> {
        let found = self
            .conn
            .prepare_cached("SELECT 1 FROM users WHERE org_id = ?1 AND email_key = ?2")?
            .query_row([org, email_key], |_| Ok(()))
            .optional()?;
        Ok(found.is_some())
    }

    pub(crate) fn user(&self, id: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1");
        let raw = self.conn.prepare_cached(&sql)?.query_row([id], user_row).optional()?;
        raw.map(finish_user).transpose()
    }

    pub(crate) fn user_by_email(&self, org: &str, email_key: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = ?1 AND email_key = ?2");
        let raw = self.conn.prepare_cached(&sql)?.query_row([org, email_key], user_row).optional()?;
        raw.map(finish_user).transpose()
    }

    pub(crate) fn users_of_org(&self, org: &str) -> Result<Vec<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = ?1 ORDER BY email_key");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([org], user_row)?;
        rows.map(|r| finish_user(r?)).collect()
    }

    pub(crate) fn active_owners(&self, org: &str) -> Result<u64> {
        let n = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM users WHERE org_id = ?1 AND role = 'owner' AND status = 'active'",
            )?
            .query_row([org], |r| r.get(0))?;
        Ok(n)
    }

    pub(crate) fn set_role(&self, id: &str, role: Role) -> Result<()> {
        self.conn.prepare_cached("UPDATE users SET role = ?2 WHERE id = ?1")?.execute([id, role.as_str()])?;
        Ok(())
    }

    pub(crate) fn set_status(&self, id: &str, status: UserStatus) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE users SET status = ?2 WHERE id = ?1")?
            .execute([id, status.as_str()])?;
        Ok(())
    }

    // ---- MFA state ----

    /// Stores a new pending secret, replacing any earlier pending one.
    pub(crate) fn set_pending_secret(&self, id: &str, sealed: &[u8]) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE users SET totp_secret = ?2, totp_confirmed = 0, last_step = NULL WHERE id = ?1",
            )?
            .execute(params![id, sealed])?;
        Ok(())
    }

    /// Confirms the pending secret: enrolled, deadline gone, the confirming step used.
    pub(crate) fn confirm_secret(&self, id: &str, step: i64) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE users SET totp_confirmed = 1, deadline = NULL, last_step = ?2, \
                 failed_count = 0, locked_until = NULL WHERE id = ?1",
            )?
            .execute(params![id, step])?;
        Ok(())
    }

    /// The reset's effects on the user row: secret destroyed, replay and failure state cleared,
    /// a new deadline, the epoch incremented. Returns the new epoch.
    pub(crate) fn clear_mfa(&self, id: &str, deadline: UnixTime) -> Result<u64> {
        let epoch = self
            .conn
            .prepare_cached(
                "UPDATE users SET totp_secret = NULL, totp_confirmed = 0, last_step = NULL, \
                 failed_count = 0, locked_until = NULL, deadline = ?2, \
                 credential_epoch = credential_epoch + 1 WHERE id = ?1 RETURNING credential_epoch",
            )?
            .query_row(params![id, deadline], |r| r.get(0))?;
        self.conn.prepare_cached("DELETE FROM recovery_codes WHERE user_id = ?1")?.execute([id])?;
        Ok(epoch)
    }

    /// Records the verification counters after an attempt.
    pub(crate) fn set_verify_state(
        &self,
        id: &str,
        last_step: Option<i64>,
        failed_count: u32,
        locked_until: Option<UnixTime>,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE users SET last_step = ?2, failed_count = ?3, locked_until = ?4 WHERE id = ?1",
            )?
            .execute(params![id, last_step, failed_count, locked_until])?;
        Ok(())
    }

    // ---- recovery codes ----

    pub(crate) fn replace_recovery_codes(&self, id: &str, hashes: &[[u8; 32]]) -> Result<()> {
        self.conn.prepare_cached("DELETE FROM recovery_codes WHERE user_id = ?1")?.execute([id])?;
        let mut insert =
            self.conn.prepare_cached("INSERT INTO recovery_codes (user_id, hash) VALUES (?1, ?2)")?;
        for hash in hashes {
            insert.execute(params![id, &hash[..]])?;
        }
        Ok(())
    }

    /// Marks an unused code as used; false when there is no such unused code. The lookup is by
    /// keyed hash, so the comparison never touches a code.
    pub(crate) fn use_recovery_code(&self, id: &str, hash: &[u8; 32], now: UnixTime) -> Result<bool> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE recovery_codes SET used_at = ?3 \
                 WHERE user_id = ?1 AND hash = ?2 AND used_at IS NULL",
            )?
            .execute(params![id, &hash[..], now])?;
        Ok(changed == 1)
    }

    /// Whether an unused code with this hash exists (a check that spends nothing).
    pub(crate) fn recovery_code_unused(&self, id: &str, hash: &[u8; 32]) -> Result<bool> {
        let found = self
            .conn
            .prepare_cached(
                "SELECT 1 FROM recovery_codes WHERE user_id = ?1 AND hash = ?2 AND used_at IS NULL",
            )?
            .query_row(params![id, &hash[..]], |_| Ok(()))
            .optional()?;
        Ok(found.is_some())
    }

    pub(crate) fn recovery_codes_left(&self, id: &str) -> Result<u32> {
        let n = self
            .conn
            .prepare_cached("SELECT count(*) FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL")?
            .query_row([id], |r| r.get(0))?;
        Ok(n)
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
