//! PostgreSQL's statements behind [`Rows`], on one connection. Statements are prepared once
//! per connection and kept; every one uses an index. The writes the core never reads a count
//! of are held back to travel with the next statement, and a write transaction does not read
//! again what it read already (see `conn.rs`).

use std::sync::LazyLock;

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::conn::{AUDIT_HEAD, Cached, Conn, Owned, audit_head};
use crate::error::{Error, Result};
use crate::model::{AuditEvent, AuditQuery, Org, Policy, Role, UnixTime, User, UserCounts, UserStatus};
use crate::store::integrity::tampered;
use crate::store::rows::{
    AuditColumns, AuditRow, CodeRow, RawCode, RawOrg, RawUser, ResetRow, RowCounts, Rows, UserRow,
    audit_page_sql,
};

/// The start of every write transaction, in one round trip: READ COMMITTED whatever the
/// server's default, a commit that does not wait for its flush (see `FLUSH` in `mod.rs`),
/// then the write lock every host of the store takes (`WRITE_LOCK_CLASS`).
pub(super) fn begin_write_sql() -> String {
    format!(
        "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit = off; \
         SELECT pg_advisory_xact_lock({}, {})",
        super::WRITE_LOCK_CLASS,
        super::WRITE_LOCK_SCHEMA
    )
}

/// A column of type `bigint` as one of the core's unsigned types; a stored value out of its
/// range was written with plain SQL, so the row is reported as tampered.
fn int<T: TryFrom<i64>>(r: &Row, i: usize, what: impl FnOnce() -> String) -> Result<T> {
    let v: i64 = r.try_get(i)?;
    T::try_from(v).map_err(|_| tampered(what()))
}

/// The core's unsigned values as `bigint` (they all fit: the largest are `u64` counters and
/// windows the core keeps far below 2^63).
fn big(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::InvalidInput(format!("{v} is too large to store")))
}

const USER_COLUMNS: &str = "id, org_id, email, role, status, credential_epoch, created_at, \
     deadline, totp_secret, totp_confirmed, last_step, failed_count, locked_until, email_key, row_mac";

/// A new user row, every column (a copy's rows keep their state; a new user's are the defaults):
/// [`user_args`], then the columns that never change.
const INSERT_USER: &str = "INSERT INTO users (id, role, status, credential_epoch, deadline, \
     totp_secret, totp_confirmed, last_step, failed_count, locked_until, row_mac, org_id, email, \
     email_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";

/// A user row written back: every column but those that never change and the email (which
/// `set_email` writes).
const UPDATE_USER: &str = "UPDATE users SET role = $2, status = $3, credential_epoch = $4, \
     deadline = $5, totp_secret = $6, totp_confirmed = $7, last_step = $8, failed_count = $9, \
     locked_until = $10, row_mac = $11 WHERE id = $1";

/// The id and the columns of [`UPDATE_USER`], in its order.
fn user_args(row: &UserRow, mac: &[u8]) -> Result<Vec<Owned>> {
    let user = &row.user;
    Ok(vec![
        Box::new(user.id.clone()),
        Box::new(user.role.as_str()),
        Box::new(user.status.as_str()),
        Box::new(big(user.credential_epoch)?),
        Box::new(row.deadline),
        Box::new(row.secret.clone()),
        Box::new(row.confirmed),
        Box::new(row.last_step),
        Box::new(i64::from(row.failed_count)),
        Box::new(row.locked_until),
        Box::new(mac.to_vec()),
    ])
}

/// The arguments of [`INSERT_USER`].
fn user_insert_args(row: &UserRow, mac: &[u8]) -> Result<Vec<Owned>> {
    let mut args = user_args(row, mac)?;
    let user = &row.user;
    args.extend::<[Owned; 4]>([
        Box::new(user.org.clone()),
        Box::new(user.email.clone()),
        Box::new(row.email_key.clone()),
        Box::new(user.created_at),
    ]);
    Ok(args)
}

fn user_row(r: &Row) -> Result<RawUser> {
    let id: String = r.try_get(0)?;
    let what = || format!("user {id}");
    let row = UserRow {
        user: User {
            id: id.clone(),
            org: r.try_get(1)?,
            email: r.try_get(2)?,
            role: Role::Member,
            status: UserStatus::Active,
            credential_epoch: int(r, 5, what)?,
            created_at: r.try_get(6)?,
        },
        email_key: r.try_get(13)?,
        deadline: r.try_get(7)?,
        secret: r.try_get(8)?,
        confirmed: r.try_get(9)?,
        last_step: r.try_get(10)?,
        failed_count: int(r, 11, what)?,
        locked_until: r.try_get(12)?,
    };
    Ok(RawUser { row, role: r.try_get(3)?, status: r.try_get(4)?, mac: r.try_get(14)? })
}

const ORG_COLUMNS: &str = "id, name, mfa_required, enrollment_window, reset_limit_per_hour, \
     max_failed_verifications, require_step_up, created_at, row_mac";

fn org_row(r: &Row) -> Result<RawOrg> {
    org_row_at(r, 0)
}

/// The org whose [`ORG_COLUMNS`] start at column `at`.
fn org_row_at(r: &Row, at: usize) -> Result<RawOrg> {
    let id: String = r.try_get(at)?;
    let what = || format!("org {id}");
    let org = Org {
        id: id.clone(),
        name: r.try_get(at + 1)?,
        policy: Policy {
            mfa_required: r.try_get(at + 2)?,
            enrollment_window: int(r, at + 3, what)?,
            reset_limit_per_hour: int(r, at + 4, what)?,
            max_failed_verifications: int(r, at + 5, what)?,
            require_step_up: r.try_get(at + 6)?,
        },
        created_at: r.try_get(at + 7)?,
    };
    Ok((org, r.try_get(at + 8)?))
}

/// Up to two user rows by id with what the calls that read one read next (see `Cached` in
/// `conn.rs`): the user's columns, then its org's (null when the org is missing: the core
/// reports that), the user's recovery codes as three arrays (null when it has none), and when
/// the user made its most recent resets numbered by its org's reset limit (the same lookup as
/// `nth_recent_reset`). Each is an index lookup, made for each user row (`LATERAL`), whatever
/// the number of orgs. Two parameters (the same id twice for one user) rather than an array:
/// the server plans `IN ($1, $2)` once per connection and keeps the plan, while it planned
/// `= ANY($1)` again on every call (a generic plan guessing ten rows looked dearer than a
/// custom one), which cost more than the statement itself.
pub(super) static USER_WITH_CONTEXT: LazyLock<String> = LazyLock::new(|| {
    let user = USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
    let org = ORG_COLUMNS.split(", ").map(|c| format!("o.{c}")).collect::<Vec<_>>().join(", ");
    format!(
        "SELECT {user}, {org}, c.hashes, c.used, c.macs, \
         (SELECT r.at FROM reset_log r WHERE r.actor = u.id \
          AND r.n = (SELECT max(n) FROM reset_log WHERE actor = u.id) - o.reset_limit_per_hour + 1) \
         FROM users u \
         LEFT JOIN LATERAL (SELECT {ORG_COLUMNS} FROM orgs WHERE id = u.org_id) o ON true \
         LEFT JOIN LATERAL (SELECT array_agg(hash) AS hashes, array_agg(used_at) AS used, \
           array_agg(row_mac) AS macs FROM recovery_codes WHERE user_id = u.id) c ON true \
         WHERE u.id IN ($1, $2)"
    )
});

/// Keeps a row of [`USER_WITH_CONTEXT`] in `cached`: the user and what came with it.
pub(super) fn cache_user_with_context(r: &Row, cached: &mut Cached) -> Result<()> {
    const USER: usize = 15;
    const ORG: usize = 9;
    let user = user_row(r)?;
    let id = user.row.user.id.clone();
    // An org row that does not parse (changed with plain SQL) is left out, not reported here:
    // the call that reads it reports it, as on SQLite, and a call that does not is unaffected.
    let org_id: Option<String> = r.try_get(USER)?;
    if let (Some(org_id), Ok(org)) = (org_id, org_row_at(r, USER)) {
        cached.nth_reset.insert(id.clone(), (org.0.policy.reset_limit_per_hour, r.try_get(USER + ORG + 3)?));
        cached.orgs.insert(org_id, org);
    }
    let at = USER + ORG;
    let hashes: Option<Vec<Vec<u8>>> = r.try_get(at)?;
    let used: Option<Vec<Option<UnixTime>>> = r.try_get(at + 1)?;
    let macs: Option<Vec<Vec<u8>>> = r.try_get(at + 2)?;
    let (hashes, used, macs) =
        (hashes.unwrap_or_default(), used.unwrap_or_default(), macs.unwrap_or_default());
    // `array_agg` over the same rows lists them in one order, so the three arrays line up.
    let codes = hashes.into_iter().zip(used).zip(macs).map(|((h, u), m)| (h, u, m)).collect();
    cached.codes.insert(id.clone(), codes);
    cached.users.insert(id, user);
    Ok(())
}

const AUDIT_COLUMNS: &str = "seq, at, actor, target, org, action, outcome, code, reason, detail, mac";

fn audit_row(r: &Row) -> Result<AuditRow> {
    Ok(AuditColumns {
        seq: int(r, 0, || "an audit event".into())?,
        at: r.try_get(1)?,
        actor: r.try_get(2)?,
        target: r.try_get(3)?,
        org: r.try_get(4)?,
        action: r.try_get(5)?,
        outcome: r.try_get(6)?,
        code: r.try_get(7)?,
        reason: r.try_get(8)?,
        detail: r.try_get(9)?,
        mac: r.try_get(10)?,
    }
    .into())
}

impl Rows for Conn {
    fn insert_org(&self, org: &Org, mac: &[u8]) -> Result<()> {
        self.forget_orgs();
        let p = &org.policy;
        self.execute(
            "INSERT INTO orgs (id, name, mfa_required, enrollment_window, reset_limit_per_hour, \
             max_failed_verifications, require_step_up, created_at, row_mac) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &org.id,
                &org.name,
                &p.mfa_required,
                &big(p.enrollment_window)?,
                &i64::from(p.reset_limit_per_hour),
                &i64::from(p.max_failed_verifications),
                &p.require_step_up,
                &org.created_at,
                &mac,
            ],
        )
        .map(drop)
    }

    fn org(&self, id: &str) -> Result<Option<RawOrg>> {
        if let Some(org) = self.cached().orgs.get(id) {
            return Ok(Some(org.clone()));
        }
        let sql = format!("SELECT {ORG_COLUMNS} FROM orgs WHERE id = $1");
        self.query_opt(&sql, &[&id])?.as_ref().map(org_row).transpose()
    }

    fn set_policy(&self, id: &str, p: &Policy, mac: &[u8]) -> Result<()> {
        self.forget_orgs();
        self.execute(
            "UPDATE orgs SET mfa_required = $2, enrollment_window = $3, reset_limit_per_hour = $4, \
             max_failed_verifications = $5, require_step_up = $6, row_mac = $7 WHERE id = $1",
            &[
                &id,
                &p.mfa_required,
                &big(p.enrollment_window)?,
                &i64::from(p.reset_limit_per_hour),
                &i64::from(p.max_failed_verifications),
                &p.require_step_up,
                &mac,
            ],
        )
        .map(drop)
    }

    fn org_ids(&self) -> Result<Vec<String>> {
        // `COLLATE "C"`: byte order, as SQLite sorts, whatever the database's collation.
        let rows = self.query("SELECT id FROM orgs ORDER BY id COLLATE \"C\"", &[])?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    fn every_org(&self) -> Result<Vec<RawOrg>> {
        self.query(&format!("SELECT {ORG_COLUMNS} FROM orgs"), &[])?.iter().map(org_row).collect()
    }

    fn set_org_mac(&self, id: &str, mac: &[u8]) -> Result<()> {
        self.forget_orgs();
        self.execute("UPDATE orgs SET row_mac = $2 WHERE id = $1", &[&id, &mac]).map(drop)
    }

    fn insert_user(&self, row: &UserRow, mac: &[u8]) -> Result<()> {
        self.cached().users.remove(&row.user.id);
        // Sent at once: a refusal (an email already taken) belongs to this call.
        let args = user_insert_args(row, mac)?;
        let args: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref() as &(dyn ToSql + Sync)).collect();
        self.execute(INSERT_USER, &args).map(drop)
    }

    fn copy_user(&self, row: &UserRow, mac: &[u8]) -> Result<()> {
        self.cached().users.remove(&row.user.id);
        self.hold(INSERT_USER, user_insert_args(row, mac)?)
    }

    fn user(&self, id: &str) -> Result<Option<RawUser>> {
        if let Some(user) = self.cached().users.get(id) {
            return Ok(Some(user.clone()));
        }
        self.prefetch_users(&[id])?;
        Ok(self.cached().users.get(id).cloned())
    }

    fn user_by_email(&self, org: &str, email_key: &str) -> Result<Option<RawUser>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND email_key = $2");
        self.query_opt(&sql, &[&org, &email_key])?.as_ref().map(user_row).transpose()
    }

    fn users_of_org(&self, org: &str) -> Result<Vec<RawUser>> {
        let sql =
            format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 ORDER BY email_key COLLATE \"C\"");
        self.query(&sql, &[&org])?.iter().map(user_row).collect()
    }

    fn active_owner_rows(&self, org: &str) -> Result<Vec<RawUser>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND role = 'owner' AND status = 'active'"
        );
        self.query(&sql, &[&org])?.iter().map(user_row).collect()
    }

    fn every_user(&self) -> Result<Vec<RawUser>> {
        self.query(&format!("SELECT {USER_COLUMNS} FROM users"), &[])?.iter().map(user_row).collect()
    }

    fn email_taken(&self, org: &str, email_key: &str) -> Result<bool> {
        let found =
            self.query_opt("SELECT 1 FROM users WHERE org_id = $1 AND email_key = $2", &[&org, &email_key])?;
        Ok(found.is_some())
    }

    fn update_user(&self, row: &UserRow, mac: &[u8], _role_or_status_changed: bool) -> Result<()> {
        self.cached().users.remove(&row.user.id);
        // One statement whatever changed: PostgreSQL writes a new row version either way.
        self.hold(UPDATE_USER, user_args(row, mac)?)
    }

    fn set_email(&self, id: &str, email: &str, email_key: &str, mac: &[u8]) -> Result<()> {
        self.cached().users.remove(id);
        self.execute(
            "UPDATE users SET email = $2, email_key = $3, row_mac = $4 WHERE id = $1",
            &[&id, &email, &email_key, &mac],
        )
        .map(drop)
    }

    fn delete_user(&self, id: &str) -> Result<u64> {
        // Its row, codes and resets go; an org it belonged to stays as it was.
        let mut cached = self.cached();
        cached.users.remove(id);
        cached.codes.remove(id);
        cached.nth_reset.remove(id);
        drop(cached);
        self.execute("DELETE FROM recovery_codes WHERE user_id = $1", &[&id])?;
        self.execute("DELETE FROM reset_log WHERE actor = $1", &[&id])?;
        self.execute("DELETE FROM users WHERE id = $1", &[&id])
    }

    fn delete_recovery_codes(&self, user: &str) -> Result<()> {
        self.cached().codes.remove(user);
        self.hold("DELETE FROM recovery_codes WHERE user_id = $1", vec![Box::new(user.to_string())])
    }

    fn insert_recovery_code(&self, user: &str, hash: &[u8], mac: &[u8]) -> Result<()> {
        self.cached().codes.remove(user);
        self.hold(
            "INSERT INTO recovery_codes (user_id, hash, row_mac) VALUES ($1, $2, $3)",
            vec![Box::new(user.to_string()), Box::new(hash.to_vec()), Box::new(mac.to_vec())],
        )
    }

    fn recovery_code(&self, user: &str, hash: &[u8]) -> Result<Option<(Option<UnixTime>, Vec<u8>)>> {
        let row = self.query_opt(
            "SELECT used_at, row_mac FROM recovery_codes WHERE user_id = $1 AND hash = $2",
            &[&user, &hash],
        )?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }

    fn set_recovery_code_used(&self, user: &str, hash: &[u8], at: UnixTime, mac: &[u8]) -> Result<()> {
        self.cached().codes.remove(user);
        self.hold(
            "UPDATE recovery_codes SET used_at = $3, row_mac = $4 WHERE user_id = $1 AND hash = $2",
            vec![Box::new(user.to_string()), Box::new(hash.to_vec()), Box::new(at), Box::new(mac.to_vec())],
        )
    }

    fn recovery_codes_of(&self, user: &str) -> Result<Vec<RawCode>> {
        if let Some(codes) = self.cached().codes.get(user) {
            return Ok(codes.clone());
        }
        let rows =
            self.query("SELECT hash, used_at, row_mac FROM recovery_codes WHERE user_id = $1", &[&user])?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    fn unused_recovery_codes(&self) -> Result<(u64, u64)> {
        let rows = self.query(
            "SELECT count(*), count(DISTINCT user_id) FROM recovery_codes WHERE used_at IS NULL",
            &[],
        )?;
        let what = || "the recovery codes".to_string();
        Ok((int(&rows[0], 0, what)?, int(&rows[0], 1, what)?))
    }

    fn delete_every_recovery_code(&self) -> Result<()> {
        self.cached().codes.clear();
        self.execute("DELETE FROM recovery_codes", &[]).map(drop)
    }

    fn schema_version(&self) -> Result<i64> {
        let raw = self.meta("schema_version")?.unwrap_or_default();
        std::str::from_utf8(&raw)
            .ok()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| Error::Storage("the store's schema version is unreadable: it is damaged".into()))
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let row = self.query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?;
        row.map(|r| Ok(r.try_get(0)?)).transpose()
    }

    fn put_meta(&self, key: &str, value: &[u8]) -> Result<()> {
        self.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )
        .map(drop)
    }

    fn record_reset(&self, actor: &str, at: UnixTime) -> Result<()> {
        self.cached().nth_reset.remove(actor);
        self.hold(
            "INSERT INTO reset_log (actor, n, at) \
             SELECT $1, coalesce(max(n), 0) + 1, $2 FROM reset_log WHERE actor = $1",
            vec![Box::new(actor.to_string()), Box::new(at)],
        )
    }

    fn nth_recent_reset(&self, actor: &str, nth: u32) -> Result<Option<UnixTime>> {
        if let Some((_, at)) = self.cached().nth_reset.get(actor).filter(|(n, _)| *n == nth) {
            return Ok(*at);
        }
        let row = self.query_opt(
            "SELECT at FROM reset_log WHERE actor = $1 \
             AND n = (SELECT max(n) FROM reset_log WHERE actor = $1) - $2 + 1",
            &[&actor, &i64::from(nth)],
        )?;
        row.map(|r| Ok(r.try_get(0)?)).transpose()
    }

    fn counts(&self, now: UnixTime) -> Result<(u64, UserCounts)> {
        let orgs = self.query("SELECT count(*) FROM orgs", &[])?;
        let users = self.query(
            "SELECT count(*), \
             count(*) FILTER (WHERE NOT totp_confirmed AND deadline IS NULL), \
             count(*) FILTER (WHERE NOT totp_confirmed AND deadline > $1), \
             count(*) FILTER (WHERE NOT totp_confirmed AND deadline <= $1), \
             count(*) FILTER (WHERE totp_confirmed), \
             count(*) FILTER (WHERE status = 'disabled') FROM users",
            &[&now],
        )?;
        let (r, what) = (&users[0], || "the users".to_string());
        let counts = UserCounts {
            total: int(r, 0, what)?,
            not_enrolled: int(r, 1, what)?,
            enrollment_required: int(r, 2, what)?,
            locked_out: int(r, 3, what)?,
            enrolled: int(r, 4, what)?,
            disabled: int(r, 5, what)?,
        };
        Ok((int(&orgs[0], 0, || "the orgs".to_string())?, counts))
    }

    fn audit_head(&self) -> Result<Option<(u64, Vec<u8>)>> {
        if let Some(head) = self.cached().head.clone() {
            return Ok(head);
        }
        self.query_opt(AUDIT_HEAD, &[])?.as_ref().map(audit_head).transpose()
    }

    fn insert_audit(&self, e: &AuditEvent, detail: &str, mac: &[u8]) -> Result<()> {
        self.hold(
            "INSERT INTO audit (seq, at, actor, target, org, action, outcome, code, reason, detail, mac) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            vec![
                Box::new(big(e.seq)?),
                Box::new(e.at),
                Box::new(e.actor.clone()),
                Box::new(e.target.clone()),
                Box::new(e.org.clone()),
                Box::new(e.action.clone()),
                Box::new(e.outcome.as_str()),
                Box::new(e.code.clone()),
                Box::new(e.reason.clone()),
                Box::new(detail.to_string()),
                Box::new(mac.to_vec()),
            ],
        )?;
        self.cached().head = Some(Some((e.seq, mac.to_vec())));
        Ok(())
    }

    fn audit_page(&self, q: &AuditQuery, limit: u32) -> Result<Vec<AuditEvent>> {
        let after = big(q.after_seq)?;
        let limit = i64::from(limit);
        let mut args: Vec<&(dyn ToSql + Sync)> = vec![&after];
        args.extend([&q.actor, &q.target, &q.action].into_iter().flatten().map(|v| v as &(dyn ToSql + Sync)));
        args.push(&limit);
        let sql = audit_page_sql(q, AUDIT_COLUMNS, '$', "IS DISTINCT FROM");
        let rows = self.query(&sql, &args)?;
        rows.iter().map(|r| Ok(audit_row(r)?.event)).collect()
    }

    fn audit_walk(&self, visit: &mut dyn FnMut(Option<AuditRow>) -> bool) -> Result<()> {
        // Pages of the trail in seq order, so that a long trail is never held in memory whole.
        const PAGE: i64 = 1000;
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2");
        let mut after = -1i64;
        loop {
            let rows = self.query(&sql, &[&after, &PAGE])?;
            for r in &rows {
                after = r.try_get(0)?;
                // Every column is of the type this library writes (the schema says so), so only
                // a negative seq, out of a `u64`'s range, can be unreadable.
                if !visit(audit_row(r).ok()) {
                    return Ok(());
                }
            }
            if (rows.len() as i64) < PAGE {
                return Ok(());
            }
        }
    }

    fn audit_mac_at(&self, seq: u64) -> Result<Option<Vec<u8>>> {
        let seq = i64::try_from(seq).unwrap_or(i64::MAX);
        let row = self.query_opt("SELECT mac FROM audit WHERE seq = $1", &[&seq])?;
        row.map(|r| Ok(r.try_get(0)?)).transpose()
    }

    fn row_counts(&self) -> Result<RowCounts> {
        let rows = self.query(
            "SELECT (SELECT count(*) FROM orgs), (SELECT count(*) FROM users), \
             (SELECT count(*) FROM recovery_codes), (SELECT count(*) FROM reset_log), \
             (SELECT count(*) FROM audit)",
            &[],
        )?;
        let (r, what) = (&rows[0], || "the row counts".to_string());
        Ok(RowCounts {
            orgs: int(r, 0, what)?,
            users: int(r, 1, what)?,
            recovery_codes: int(r, 2, what)?,
            reset_log: int(r, 3, what)?,
            audit: int(r, 4, what)?,
        })
    }

    fn every_meta(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let rows = self.query("SELECT key, value FROM meta ORDER BY key", &[])?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    fn each_user(&self, visit: &mut dyn FnMut(RawUser) -> Result<()>) -> Result<()> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id");
        self.each_row(&sql, &mut |r| visit(user_row(r)?))
    }

    fn each_recovery_code(&self, visit: &mut dyn FnMut(CodeRow) -> Result<()>) -> Result<()> {
        let sql = "SELECT user_id, hash, used_at, row_mac FROM recovery_codes ORDER BY user_id, hash";
        self.each_row(sql, &mut |r| {
            visit(CodeRow {
                user: r.try_get(0)?,
                hash: r.try_get(1)?,
                used_at: r.try_get(2)?,
                mac: r.try_get(3)?,
            })
        })
    }

    fn each_reset(&self, visit: &mut dyn FnMut(ResetRow) -> Result<()>) -> Result<()> {
        self.each_row("SELECT actor, n, at FROM reset_log ORDER BY actor, n", &mut |r| {
            visit(ResetRow { actor: r.try_get(0)?, n: r.try_get(1)?, at: r.try_get(2)? })
        })
    }

    fn copy_recovery_code(&self, code: &CodeRow) -> Result<()> {
        self.cached().codes.remove(&code.user);
        self.hold(
            "INSERT INTO recovery_codes (user_id, hash, used_at, row_mac) VALUES ($1, $2, $3, $4)",
            vec![
                Box::new(code.user.clone()),
                Box::new(code.hash.clone()),
                Box::new(code.used_at),
                Box::new(code.mac.clone()),
            ],
        )
    }

    fn copy_reset(&self, row: &ResetRow) -> Result<()> {
        self.cached().nth_reset.remove(&row.actor);
        self.hold(
            "INSERT INTO reset_log (actor, n, at) VALUES ($1, $2, $3)",
            vec![Box::new(row.actor.clone()), Box::new(row.n), Box::new(row.at)],
        )
    }

    fn prefetch_users(&self, ids: &[&str]) -> Result<()> {
        let ids: Vec<&str> =
            ids.iter().copied().filter(|id| !self.cached().users.contains_key(*id)).collect();
        if ids.is_empty() {
            return Ok(());
        }
        for pair in ids.chunks(2) {
            let rows =
                self.query(&USER_WITH_CONTEXT, &[&pair[0], pair.last().expect("a chunk is never empty")])?;
            let mut cached = self.cached();
            rows.iter().try_for_each(|r| cache_user_with_context(r, &mut cached))?;
        }
        Ok(())
    }

    fn savepoint_statement(&self, sql: &str) -> Result<()> {
        self.savepoint(sql)
    }

    fn in_transaction(&self) -> bool {
        // PostgreSQL never ends a transaction by itself: a failed statement leaves it open
        // (aborted) until the rollback.
        true
    }
}
