//! Opening the store and naming things in it: the key and path checks every command but
//! `init` and `demo` shares, and the lookup of orgs by name and users by email.

use std::io::BufRead;
use std::path::Path;

use mfa_core::key::Key;
use mfa_core::{AuditOrigin, Core, Error, OpenOptions};
use zeroize::Zeroizing;

use crate::cli::Cli;
use crate::exit::{Failure, usage};
use crate::input;
use crate::key;
use crate::location;

/// The store path (or PostgreSQL URL) from `--db` or `MFA_CORE_DB`.
pub fn db_path(cli: &Cli) -> Result<&Path, Failure> {
    cli.db
        .as_deref()
        .ok_or_else(|| usage("no store: pass --db PATH (or a PostgreSQL URL) or set MFA_CORE_DB"))
}

/// Opens an existing store. The key is checked first, so that the tool never starts without
/// one; a missing file is `not_found` rather than a new empty store made by a typo (and the
/// core is told never to create one, should the file vanish meanwhile). A store other users
/// can read is opened, with a warning on stderr.
pub fn open(cli: &Cli) -> Result<Core, Failure> {
    let key = key::load(cli.key_file.as_deref())?;
    open_at(db_path(cli)?, &key)
}

/// Opens the existing store at `path` (a file or a PostgreSQL URL) with `key`, as [`open`].
/// A URL is no file: it is never looked for on disk, and a database without a store is the
/// core's `storage` error (nothing is created).
pub fn open_at(path: &Path, key: &Key) -> Result<Core, Failure> {
    let existing = OpenOptions { create_if_missing: false, ..OpenOptions::default() };
    if location::is_url(path) {
        return Ok(Core::open(path, key.as_slice(), existing)?.with_audit_origin(operator()));
    }
    if !path.exists() {
        return Err(Error::NotFound(format!(
            "no store at {}: create one with `mfa-admin init`",
            path.display()
        ))
        .into());
    }
    let core = Core::open(path, key.as_slice(), existing)?;
    let info = core.info()?;
    if info.readable_by_others {
        let mode = info.mode.map_or_else(String::new, |m| format!(" (mode {m:04o})"));
        eprintln!(
            "warning: other users can read the store {}{mode}: it holds sealed secrets and the audit \
             trail; run `chmod 600` on it and its -wal and -shm files",
            path.display()
        );
    }
    Ok(core.with_audit_origin(operator()))
}

/// This tool and the OS account running it, for the audit trail: the actor named on the
/// command line is who acts, this is who typed it. The account comes from the password
/// database (`USER` when that has no entry); a name the core refuses is recorded as "unknown".
fn operator() -> AuditOrigin {
    let name = whoami::username().ok().or_else(|| std::env::var("USER").ok()).unwrap_or_default();
    AuditOrigin::new(TOOL, &name).unwrap_or_else(|_| AuditOrigin::new(TOOL, "unknown").expect("a valid name"))
}

/// The tool's name in the audit trail.
const TOOL: &str = "mfa-admin";

/// An org given by id, or by a name exactly one org has.
pub fn org_id(core: &Core, org: &str) -> Result<String, Failure> {
    match core.get_org(org) {
        Ok(found) => Ok(found.id),
        // Not an id: a name.
        Err(Error::InvalidInput(_)) => {
            let mut named = core.list_orgs()?.into_iter().filter(|o| o.name == org);
            match (named.next(), named.next()) {
                (Some(found), None) => Ok(found.id),
                (None, _) => Err(Error::NotFound(format!("no org named {org:?}")).into()),
                (Some(_), Some(_)) => {
                    Err(Error::InvalidInput(format!("several orgs are named {org:?}: pass the org's id"))
                        .into())
                }
            }
        }
        Err(other) => Err(other.into()),
    }
}

/// A user given by id, or by email in `org` (else in `fallback_org`). Anything without an `@`
/// goes to the core as an id, so the core judges whether it is one.
pub fn user_id(
    core: &Core,
    user: &str,
    org: Option<&str>,
    fallback_org: Option<&str>,
) -> Result<String, Failure> {
    if !user.contains('@') {
        return Ok(user.to_string());
    }
    let org = match (org, fallback_org) {
        (Some(org), _) => org_id(core, org)?,
        (None, Some(id)) => id.to_string(),
        (None, None) => return Err(usage(format!("{user:?} is an email: pass --org to say which org"))),
    };
    Ok(core.find_user_by_email(&org, user)?.id)
}

/// The org of an actor, to look up targets given by email when `--org` is absent. A missing
/// actor has none: the core then refuses the call itself (and audits it).
pub fn org_of(core: &Core, user: &str) -> Option<String> {
    core.get_user(user).ok().map(|u| u.org)
}

/// A code argument, or a line of stdin for `-` (codes then stay out of process listings).
pub fn code(arg: &str) -> Result<Zeroizing<String>, Failure> {
    if arg != "-" {
        return Ok(Zeroizing::new(arg.to_string()));
    }
    let mut line = Zeroizing::new(String::new());
    input::stdin("code", input::Use::Line)?
        .read_line(&mut line)
        .map_err(|e| Error::InvalidInput(format!("cannot read a code from stdin: {e}")))?;
    Ok(Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_string()))
}
