//! The schema and its migrations, keyed on SQLite's `user_version`.
//!
//! Each entry of [`MIGRATIONS`] moves the file one version up; they run in the open
//! transaction, so a crash mid-migration leaves the old version intact.

/// The schema version this library writes. A file with a higher version is refused.
pub const CURRENT_VERSION: i64 = 3;

/// `MIGRATIONS[i]` takes a file from version `i` to `i + 1`.
pub const MIGRATIONS: [&str; CURRENT_VERSION as usize] = [V1, V2, V3];

const V1: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE orgs (
    id                       TEXT PRIMARY KEY,
    name                     TEXT NOT NULL,
    mfa_required             INTEGER NOT NULL,
    enrollment_window        INTEGER NOT NULL,
    reset_limit_per_hour     INTEGER NOT NULL,
    max_failed_verifications INTEGER NOT NULL,
    require_step_up          INTEGER NOT NULL,
    created_at               INTEGER NOT NULL
) WITHOUT ROWID;

-- MFA state lives on the user row: a TOTP secret (sealed; pending until confirmed), the
-- enrollment deadline, the last accepted time step (replay) and the failure counter.
CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES orgs(id),
    email            TEXT NOT NULL,
    email_key        TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    status           TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    credential_epoch INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    deadline         INTEGER,
    totp_secret      BLOB,
    totp_confirmed   INTEGER NOT NULL DEFAULT 0,
    last_step        INTEGER,
    failed_count     INTEGER NOT NULL DEFAULT 0,
    locked_until     INTEGER,
    UNIQUE (org_id, email_key)
) WITHOUT ROWID;

CREATE INDEX users_owners ON users (org_id, role, status);

CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users(id),
    hash    BLOB NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (user_id, hash)
) WITHOUT ROWID;

CREATE TABLE audit (
    seq     INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT,
    target  TEXT,
    org     TEXT,
    action  TEXT NOT NULL,
    outcome TEXT NOT NULL,
    code    TEXT,
    reason  TEXT,
    detail  TEXT NOT NULL,
    mac     BLOB NOT NULL
);

-- Each actor's successful resets, numbered 1, 2, 3, ...: the rate limit needs the time of the
-- actor's limit-th most recent reset, which is then one primary-key lookup (n = last - limit + 1)
-- instead of a walk over every reset of the hour.
CREATE TABLE reset_log (
    actor TEXT NOT NULL,
    n     INTEGER NOT NULL,
    at    INTEGER NOT NULL,
    PRIMARY KEY (actor, n)
) WITHOUT ROWID;
CREATE INDEX audit_by_actor ON audit (actor, seq);
CREATE INDEX audit_by_target ON audit (target, seq);
"#;

/// Every index exists for a query the library runs; each page an index adds is written again on
/// every call that touches it, so none is kept for a query nobody runs:
/// - `users` primary key: every user read and update; `UNIQUE (org_id, email_key)`: lookups by
///   email and the duplicate check; `users_owners`: the count of an org's active owners (the
///   last-owner rule). None of them changes on a reset or a verify.
/// - `recovery_codes` primary key: spending and counting a user's codes, deleting them on reset.
/// - `reset_log` primary key: the rate limit's "time of the actor's limit-th most recent reset"
///   in one lookup, whatever the limit (the trail itself would need a walk over that many events).
/// - `audit` primary key (`seq`): the chain's order, the head read by every append, paging.
/// - `audit_by_actor`: `audit_events` filtered by actor, and by target for events whose actor is
///   their target (verifications, enrollment: most of the trail).
/// - `audit_by_target`: `audit_events` filtered by target, for the other events (resets and
///   directory changes made by someone else). V2 makes it partial, so that self-service events
///   (every verify) stop writing a page of it.
const V2: &str = r#"
DROP INDEX audit_by_target;
CREATE INDEX audit_by_target ON audit (target, seq) WHERE target IS NOT actor;
"#;

/// Row MACs (see `integrity.rs`): an HMAC over every column of the row, under a key derived from
/// the master key. The empty default never matches, so a row inserted with plain SQL is refused;
/// the migration computes the MACs of the rows already there.
const V3: &str = r#"
ALTER TABLE orgs ADD COLUMN row_mac BLOB NOT NULL DEFAULT x'';
ALTER TABLE users ADD COLUMN row_mac BLOB NOT NULL DEFAULT x'';
ALTER TABLE recovery_codes ADD COLUMN row_mac BLOB NOT NULL DEFAULT x'';
"#;
