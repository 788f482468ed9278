//! SQLite's statements behind [`Rows`]. Every statement is cached and uses an index; none scans
//! a table on a hot path.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::{Error, Result};
use crate::model::{AuditEvent, AuditQuery, Org, Policy, Role, UnixTime, User, UserCounts, UserStatus};
use crate::store::integrity::{self, tampered};
use crate::store::rows::{
    AuditColumns, AuditRow, CodeRow, RawCode, RawOrg, RawUser, ResetRow, RowCounts, Rows, UserRow,
    audit_page_sql,
};

/// A connection inside a transaction.
pub(super) struct SqliteRows<'c>(pub(super) &'c Connection);

/// The columns [`user_row`] reads, as a macro so that the statements run on every call can be
/// constants (`concat!`) rather than text formatted on each call.
macro_rules! user_columns {
    () => {
        "id, org_id, email, role, status, credential_epoch, created_at, deadline, totp_secret, \
         totp_confirmed, last_step, failed_count, locked_until, email_key, row_mac"
    };
}
const USER_COLUMNS: &str = user_columns!();
/// One user by id: run on every call that names a user.
pub(super) const USER_BY_ID: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE id = ?1");

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

/// The columns [`org_row`] reads (a macro for the same reason as `user_columns`).
macro_rules! org_columns {
    () => {
        "id, name, mfa_required, enrollment_window, reset_limit_per_hour, max_failed_verifications, \
         require_step_up, created_at, row_mac"
    };
}
const ORG_COLUMNS: &str = org_columns!();

fn org_row(r: &Row) -> rusqlite::Result<RawOrg> {
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
    Ok(AuditColumns {
        seq: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        target: r.get(3)?,
        org: r.get(4)?,
        action: r.get(5)?,
        outcome: r.get(6)?,
        code: r.get(7)?,
        reason: r.get(8)?,
        detail: r.get(9)?,
        mac: r.get(10)?,
    }
    .into())
}

/// A row whose column holds a value of the wrong type (text where a number belongs, say) was
/// written with plain SQL: it is reported as tampered too, not as an unreadable file.
fn unreadable(err: rusqlite::Error, what: impl FnOnce() -> String) -> Error {
    if wrong_type(&err) { tampered(what()) } else { err.into() }
}

fn wrong_type(err: &rusqlite::Error) -> bool {
    matches!(
        err,
        rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
            | rusqlite::Error::Utf8Error(..)
    )
}

/// The SQL of an audit page on SQLite: `target IS NOT actor` is written as the partial target
/// index's condition is, so that SQLite can use that index.
fn page_sql(q: &AuditQuery) -> String {
    audit_page_sql(q, AUDIT_COLUMNS, '?', "IS NOT")
}

impl SqliteRows<'_> {
    fn one_user(&self, sql: &str, args: &[&str], what: impl FnOnce() -> String) -> Result<Option<RawUser>> {
        let raw =
            self.0.prepare_cached(sql)?.query_row(rusqlite::params_from_iter(args), user_row).optional();
        raw.map_err(|e| unreadable(e, what))
    }

    fn users(&self, sql: &str, args: &[&str], what: impl Fn() -> String) -> Result<Vec<RawUser>> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), user_row)?;
        rows.map(|r| r.map_err(|e| unreadable(e, &what))).collect()
    }

    /// Runs `sql` (without parameters) and hands each row to `visit`, one at a time.
    fn each_row(&self, sql: &str, visit: &mut dyn FnMut(&Row) -> Result<()>) -> Result<()> {
        let mut stmt = self.0.prepare(sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            visit(r)?;
        }
        Ok(())
    }

    fn execute(&self, sql: &str, args: impl rusqlite::Params) -> Result<u64> {
        Ok(self.0.prepare_cached(sql)?.execute(args)? as u64)
    }
}

impl Rows for SqliteRows<'_> {
    fn insert_org(&self, org: &Org, mac: &[u8]) -> Result<()> {
        let p = &org.policy;
        self.execute(
            "INSERT INTO orgs (id, name, mfa_required, enrollment_window, reset_limit_per_hour, \
             max_failed_verifications, require_step_up, created_at, row_mac) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                org.id,
                org.name,
                p.mfa_required,
                p.enrollment_window,
                p.reset_limit_per_hour,
                p.max_failed_verifications,
                p.require_step_up,
                org.created_at,
                mac
            ],
        )
        .map(drop)
    }

    fn org(&self, id: &str) -> Result<Option<RawOrg>> {
        const SQL: &str = concat!("SELECT ", org_columns!(), " FROM orgs WHERE id = ?1");
        let found = self.0.prepare_cached(SQL)?.query_row([id], org_row).optional();
        found.map_err(|e| unreadable(e, || format!("org {id}")))
    }

    fn set_policy(&self, id: &str, p: &Policy, mac: &[u8]) -> Result<()> {
        self.execute(
            "UPDATE orgs SET mfa_required = ?2, enrollment_window = ?3, reset_limit_per_hour = ?4, \
             max_failed_verifications = ?5, require_step_up = ?6, row_mac = ?7 WHERE id = ?1",
            params![
                id,
                p.mfa_required,
                p.enrollment_window,
                p.reset_limit_per_hour,
                p.max_failed_verifications,
                p.require_step_up,
                mac
            ],
        )
        .map(drop)
    }

    fn org_ids(&self) -> Result<Vec<String>> {
        let mut stmt = self.0.prepare_cached("SELECT id FROM orgs ORDER BY id")?;
        let ids = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    fn every_org(&self) -> Result<Vec<RawOrg>> {
        let mut stmt = self.0.prepare(&format!("SELECT {ORG_COLUMNS} FROM orgs"))?;
        let rows = stmt.query_map([], org_row)?;
        rows.map(|r| r.map_err(|e| unreadable(e, || "an org".into()))).collect()
    }

    fn set_org_mac(&self, id: &str, mac: &[u8]) -> Result<()> {
        self.execute("UPDATE orgs SET row_mac = ?2 WHERE id = ?1", params![id, mac]).map(drop)
    }

    fn insert_user(&self, row: &UserRow, mac: &[u8]) -> Result<()> {
        let user = &row.user;
        self.execute(
            "INSERT INTO users (id, org_id, email, email_key, role, status, credential_epoch, \
             created_at, deadline, totp_secret, totp_confirmed, last_step, failed_count, \
             locked_until, row_mac) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
             ?14, ?15)",
            params![
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
                mac
            ],
        )
        .map(drop)
    }

    fn user(&self, id: &str) -> Result<Option<RawUser>> {
        self.one_user(USER_BY_ID, &[id], || format!("user {id}"))
    }

    fn user_by_email(&self, org: &str, email_key: &str) -> Result<Option<RawUser>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = ?1 AND email_key = ?2");
        self.one_user(&sql, &[org, email_key], || format!("a user of org {org}"))
    }

    fn users_of_org(&self, org: &str) -> Result<Vec<RawUser>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = ?1 ORDER BY email_key");
        self.users(&sql, &[org], || format!("a user of org {org}"))
    }

    fn active_owner_rows(&self, org: &str) -> Result<Vec<RawUser>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE org_id = ?1 AND role = 'owner' AND status = 'active'"
        );
        self.users(&sql, &[org], || format!("an owner of org {org}"))
    }

    fn every_user(&self) -> Result<Vec<RawUser>> {
        self.users(&format!("SELECT {USER_COLUMNS} FROM users"), &[], || "a user".into())
    }

    fn email_taken(&self, org: &str, email_key: &str) -> Result<bool> {
        let found = self
            .0
            .prepare_cached("SELECT 1 FROM users WHERE org_id = ?1 AND email_key = ?2")?
            .query_row([org, email_key], |_| Ok(()))
            .optional()?;
        Ok(found.is_some())
    }

    fn update_user(&self, row: &UserRow, mac: &[u8], role_or_status_changed: bool) -> Result<()> {
        // Role and status are in an index: they are written only when they change, so the MFA
        // writes of sign-in do not rewrite that index entry too (?2 and ?3 then go unused).
        let sql = if role_or_status_changed {
            "UPDATE users SET role = ?2, status = ?3, credential_epoch = ?4, deadline = ?5, \
             totp_secret = ?6, totp_confirmed = ?7, last_step = ?8, failed_count = ?9, \
             locked_until = ?10, row_mac = ?11 WHERE id = ?1"
        } else {
            "UPDATE users SET credential_epoch = ?4, deadline = ?5, totp_secret = ?6, \
             totp_confirmed = ?7, last_step = ?8, failed_count = ?9, locked_until = ?10, \
             row_mac = ?11 WHERE id = ?1"
        };
        self.execute(
            sql,
            params![
                row.user.id,
                row.user.role.as_str(),
                row.user.status.as_str(),
                row.user.credential_epoch,
                row.deadline,
                row.secret,
                row.confirmed,
                row.last_step,
                row.failed_count,
                row.locked_until,
                mac
            ],
        )
        .map(drop)
    }

    fn set_email(&self, id: &str, email: &str, email_key: &str, mac: &[u8]) -> Result<()> {
        self.execute(
            "UPDATE users SET email = ?2, email_key = ?3, row_mac = ?4 WHERE id = ?1",
            params![id, email, email_key, mac],
        )
        .map(drop)
    }

    fn delete_user(&self, id: &str) -> Result<u64> {
        self.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [id])?;
        self.execute("DELETE FROM reset_log WHERE actor = ?1", [id])?;
        self.execute("DELETE FROM users WHERE id = ?1", [id])
    }

    fn delete_recovery_codes(&self, user: &str) -> Result<()> {
        self.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [user]).map(drop)
    }

    fn insert_recovery_code(&self, user: &str, hash: &[u8], mac: &[u8]) -> Result<()> {
        self.execute(
            "INSERT INTO recovery_codes (user_id, hash, row_mac) VALUES (?1, ?2, ?3)",
            params![user, hash, mac],
        )
        .map(drop)
    }

    fn recovery_code(&self, user: &str, hash: &[u8]) -> Result<Option<(Option<UnixTime>, Vec<u8>)>> {
        self.0
            .prepare_cached("SELECT used_at, row_mac FROM recovery_codes WHERE user_id = ?1 AND hash = ?2")?
            .query_row(params![user, hash], |r| Ok((r.get(0)?, mac_column(r, 1)?)))
            .optional()
            .map_err(|e| unreadable(e, || format!("a recovery code of user {user}")))
    }

    fn set_recovery_code_used(&self, user: &str, hash: &[u8], at: UnixTime, mac: &[u8]) -> Result<()> {
        self.execute(
            "UPDATE recovery_codes SET used_at = ?3, row_mac = ?4 WHERE user_id = ?1 AND hash = ?2",
            params![user, hash, at, mac],
        )
        .map(drop)
    }

    fn recovery_codes_of(&self, user: &str) -> Result<Vec<RawCode>> {
        let mut stmt =
            self.0.prepare_cached("SELECT hash, used_at, row_mac FROM recovery_codes WHERE user_id = ?1")?;
        let rows = stmt.query_map([user], |r| Ok((mac_column(r, 0)?, r.get(1)?, mac_column(r, 2)?)))?;
        rows.map(|r| r.map_err(|e| unreadable(e, || format!("a recovery code of user {user}")))).collect()
    }

    fn unused_recovery_codes(&self) -> Result<(u64, u64)> {
        let counts = self.0.query_row(
            "SELECT count(*), count(DISTINCT user_id) FROM recovery_codes WHERE used_at IS NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(counts)
    }

    fn delete_every_recovery_code(&self) -> Result<()> {
        self.0.execute("DELETE FROM recovery_codes", [])?;
        Ok(())
    }

    fn schema_version(&self) -> Result<i64> {
        Ok(self.0.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let value = self
            .0
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?;
        Ok(value)
    }

    fn put_meta(&self, key: &str, value: &[u8]) -> Result<()> {
        self.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![key, value])
            .map(drop)
    }

    fn record_reset(&self, actor: &str, at: UnixTime) -> Result<()> {
        self.execute(
            "INSERT INTO reset_log (actor, n, at) \
             SELECT ?1, coalesce(max(n), 0) + 1, ?2 FROM reset_log WHERE actor = ?1",
            params![actor, at],
        )
        .map(drop)
    }

    fn nth_recent_reset(&self, actor: &str, nth: u32) -> Result<Option<UnixTime>> {
        let at = self
            .0
            .prepare_cached(
                "SELECT at FROM reset_log WHERE actor = ?1 \
                 AND n = (SELECT max(n) FROM reset_log WHERE actor = ?1) - ?2 + 1",
            )?
            .query_row(params![actor, nth], |r| r.get(0))
            .optional()?;
        Ok(at)
    }

    fn counts(&self, now: UnixTime) -> Result<(u64, UserCounts)> {
        let orgs = self.0.prepare_cached("SELECT count(*) FROM orgs")?.query_row([], |r| r.get(0))?;
        let users = self
            .0
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

    fn audit_head(&self) -> Result<Option<(u64, Vec<u8>)>> {
        let head = self
            .0
            .prepare_cached("SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(head)
    }

    fn insert_audit(&self, e: &AuditEvent, detail: &str, mac: &[u8]) -> Result<()> {
        self.execute(
            "INSERT INTO audit (seq, at, actor, target, org, action, outcome, code, reason, detail, mac) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
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
            ],
        )
        .map(drop)
    }

    fn audit_page(&self, q: &AuditQuery, limit: u32) -> Result<Vec<AuditEvent>> {
        let mut args: Vec<&dyn rusqlite::ToSql> = vec![&q.after_seq];
        args.extend(
            [&q.actor, &q.target, &q.action].into_iter().flatten().map(|v| v as &dyn rusqlite::ToSql),
        );
        args.push(&limit);
        let mut stmt = self.0.prepare_cached(&page_sql(q))?;
        let rows = stmt.query_map(args.as_slice(), audit_row)?;
        rows.map(|r| Ok(r?.event)).collect()
    }

    fn audit_walk(&self, visit: &mut dyn FnMut(Option<AuditRow>) -> bool) -> Result<()> {
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit ORDER BY seq");
        let mut stmt = self.0.prepare_cached(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let row = match audit_row(r) {
                Ok(row) => Some(row),
                Err(e) if wrong_type(&e) => None,
                Err(other) => return Err(other.into()),
            };
            if !visit(row) {
                break;
            }
        }
        Ok(())
    }

    fn audit_mac_at(&self, seq: u64) -> Result<Option<Vec<u8>>> {
        let mac = self
            .0
            .prepare_cached("SELECT mac FROM audit WHERE seq = ?1")?
            .query_row([seq], |r| r.get(0))
            .optional()?;
        Ok(mac)
    }

    fn row_counts(&self) -> Result<RowCounts> {
        let counts = self.0.query_row(
            "SELECT (SELECT count(*) FROM orgs), (SELECT count(*) FROM users), \
             (SELECT count(*) FROM recovery_codes), (SELECT count(*) FROM reset_log), \
             (SELECT count(*) FROM audit)",
            [],
            |r| {
                Ok(RowCounts {
                    orgs: r.get(0)?,
                    users: r.get(1)?,
                    recovery_codes: r.get(2)?,
                    reset_log: r.get(3)?,
                    audit: r.get(4)?,
                })
            },
        )?;
        Ok(counts)
    }

    fn every_meta(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let mut stmt = self.0.prepare("SELECT key, value FROM meta ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, mac_column(r, 1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn each_user(&self, visit: &mut dyn FnMut(RawUser) -> Result<()>) -> Result<()> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id");
        self.each_row(&sql, &mut |r| visit(user_row(r).map_err(|e| unreadable(e, || "a user".into()))?))
    }

    fn each_recovery_code(&self, visit: &mut dyn FnMut(CodeRow) -> Result<()>) -> Result<()> {
        let sql = "SELECT user_id, hash, used_at, row_mac FROM recovery_codes ORDER BY user_id, hash";
        self.each_row(sql, &mut |r| {
            let code = (|| -> rusqlite::Result<CodeRow> {
                Ok(CodeRow {
                    user: r.get(0)?,
                    hash: mac_column(r, 1)?,
                    used_at: r.get(2)?,
                    mac: mac_column(r, 3)?,
                })
            })()
            .map_err(|e| unreadable(e, || "a recovery code".into()))?;
            visit(code)
        })
    }

    fn each_reset(&self, visit: &mut dyn FnMut(ResetRow) -> Result<()>) -> Result<()> {
        self.each_row("SELECT actor, n, at FROM reset_log ORDER BY actor, n", &mut |r| {
            visit(ResetRow { actor: r.get(0)?, n: r.get(1)?, at: r.get(2)? })
        })
    }

    fn copy_recovery_code(&self, code: &CodeRow) -> Result<()> {
        self.execute(
            "INSERT INTO recovery_codes (user_id, hash, used_at, row_mac) VALUES (?1, ?2, ?3, ?4)",
            params![code.user, code.hash, code.used_at, code.mac],
        )
        .map(drop)
    }

    fn copy_reset(&self, row: &ResetRow) -> Result<()> {
        self.execute(
            "INSERT INTO reset_log (actor, n, at) VALUES (?1, ?2, ?3)",
            params![row.actor, row.n, row.at],
        )
        .map(drop)
    }

    fn savepoint_statement(&self, sql: &str) -> Result<()> {
        super::run(self.0, sql)?;
        Ok(())
    }

    fn in_transaction(&self) -> bool {
        !self.0.is_autocommit()
    }
}

/// Computes the MAC of every existing user, org and recovery-code row, for the migration that
/// adds them (schema version 3). Rows are taken as they are: the MACs protect them from then on.
pub(super) fn seal_every_row(conn: &Connection, key: &crate::crypto::RowKey) -> Result<()> {
    let rows = SqliteRows(conn);
    for (org, _) in rows.every_org()? {
        rows.set_org_mac(&org.id, &key.mac(&integrity::org(&org)))?;
    }
    for raw in rows.every_user()? {
        let (row, _) = raw.parse()?;
        conn.execute(
            "UPDATE users SET row_mac = ?2 WHERE id = ?1",
            params![row.user.id, &key.mac(&integrity::user(&row))[..]],
        )?;
    }
    let codes: Vec<(String, Vec<u8>, Option<UnixTime>)> = {
        let mut stmt = conn.prepare("SELECT user_id, hash, used_at FROM recovery_codes")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()?
    };
    for (user, hash, used_at) in codes {
        let mac = key.mac(&integrity::recovery_code(&user, &hash, used_at));
        conn.execute(
            "UPDATE recovery_codes SET row_mac = ?3 WHERE user_id = ?1 AND hash = ?2",
            params![user, hash, &mac[..]],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Keys;
    use crate::store::sqlite::Store;

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
            let sql = page_sql(&q);
            let state = crate::store::lock(&store.writer);
            let conn = &state.conn;
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            // Unbound parameters are NULL: the plan does not depend on them.
            let mut rows = stmt.raw_query();
            let mut plan = Vec::new();
            while let Some(row) = rows.next().unwrap() {
                plan.push(row.get::<_, String>(3).unwrap());
            }
            assert!(plan.iter().any(|p| p.starts_with("SEARCH audit")), "{sql}: {plan:?}");
            assert!(
                plan.iter().all(|p| !p.starts_with("SCAN audit") && !p.contains("TEMP B-TREE")),
                "{sql}: {plan:?}"
            );
        }
    }
}
