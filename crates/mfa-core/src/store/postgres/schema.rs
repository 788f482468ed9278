//! The PostgreSQL schema and its migrations, with the same version numbers as SQLite's (a store
//! of version N has the same tables and meaning on both engines). The version is the
//! `schema_version` row of `meta`; the tables live in the first schema of the connection's
//! `search_path` (`public` unless the URL's `options` say otherwise).
//!
//! PostgreSQL came after version 3, so an empty database goes straight to it in one step;
//! later versions add one entry per engine.

use crate::store::CURRENT_VERSION;

/// `MIGRATIONS[i]` takes a database from version `FROM[i]` to `FROM[i + 1]` (or to
/// [`CURRENT_VERSION`] for the last entry).
pub(super) const MIGRATIONS: [(i64, &str); 1] = [(0, V3)];

const _: () = assert!(CURRENT_VERSION == 3, "add the PostgreSQL migration for the new version");

/// Every table and index of SQLite's version 3, with PostgreSQL's types: integers are `bigint`
/// (the core's `u32` and `u64` values convert with a range check), MACs and sealed secrets
/// `bytea`, flags `boolean`.
const V3: &str = r#"
CREATE TABLE meta (
    key   text PRIMARY KEY,
    value bytea NOT NULL
);

CREATE TABLE orgs (
    id                       text PRIMARY KEY,
    name                     text NOT NULL,
    mfa_required             boolean NOT NULL,
    enrollment_window        bigint NOT NULL,
    reset_limit_per_hour     bigint NOT NULL,
    max_failed_verifications bigint NOT NULL,
    require_step_up          boolean NOT NULL,
    created_at               bigint NOT NULL,
    row_mac                  bytea NOT NULL
);

CREATE TABLE users (
    id               text PRIMARY KEY,
    org_id           text NOT NULL REFERENCES orgs(id),
    email            text NOT NULL,
    email_key        text NOT NULL,
    role             text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    status           text NOT NULL CHECK (status IN ('active', 'disabled')),
    credential_epoch bigint NOT NULL DEFAULT 0,
    created_at       bigint NOT NULL,
    deadline         bigint,
    totp_secret      bytea,
    totp_confirmed   boolean NOT NULL DEFAULT false,
    last_step        bigint,
    failed_count     bigint NOT NULL DEFAULT 0,
    locked_until     bigint,
    row_mac          bytea NOT NULL,
    UNIQUE (org_id, email_key)
);

CREATE INDEX users_owners ON users (org_id, role, status);

CREATE TABLE recovery_codes (
    user_id text NOT NULL REFERENCES users(id),
    hash    bytea NOT NULL,
    used_at bigint,
    row_mac bytea NOT NULL,
    PRIMARY KEY (user_id, hash)
);

CREATE TABLE audit (
    seq     bigint PRIMARY KEY,
    at      bigint NOT NULL,
    actor   text,
    target  text,
    org     text,
    action  text NOT NULL,
    outcome text NOT NULL,
    code    text,
    reason  text,
    detail  text NOT NULL,
    mac     bytea NOT NULL
);
CREATE INDEX audit_by_actor ON audit (actor, seq);
CREATE INDEX audit_by_target ON audit (target, seq) WHERE target IS DISTINCT FROM actor;

CREATE TABLE reset_log (
    actor text NOT NULL,
    n     bigint NOT NULL,
    at    bigint NOT NULL,
    PRIMARY KEY (actor, n)
);
"#;
