//! `info`: what the store holds, for an operator's first look. Nothing secret.

use std::io::Write;
use std::path::Path;

use mfa_core::Core;

use crate::exit::{Failure, Status};
use crate::location;
use crate::output::Out;

/// `db` is the location as given, shown without a password.
pub fn run(core: &Core, db: &Path, out: &mut Out) -> Result<Status, Failure> {
    let info = core.info()?;
    if out.json {
        out.json(&info)?;
        return Ok(Status::Ok);
    }
    writeln!(out, "store: {}", location::shown(db))?;
    let engine = if info.engine == "postgresql" { "PostgreSQL" } else { "SQLite" };
    writeln!(out, "engine: {engine}")?;
    writeln!(out, "schema version: {}", info.schema_version)?;
    if let Some(size) = info.file_size {
        writeln!(out, "file size: {size} bytes")?;
    }
    if let Some(mode) = info.mode {
        let who = if info.readable_by_others { "readable by other users" } else { "owner only" };
        writeln!(out, "permissions: {mode:04o} ({who})")?;
    }
    writeln!(out, "key check: {}", if info.key_check_ok { "ok" } else { "DOES NOT MATCH" })?;
    writeln!(out, "orgs: {}", info.orgs)?;
    let u = &info.users;
    writeln!(
        out,
        "users: {} (not_enrolled {}, enrollment_required {}, locked_out {}, enrolled {}; disabled {})",
        u.total, u.not_enrolled, u.enrollment_required, u.locked_out, u.enrolled, u.disabled
    )?;
    writeln!(out, "audit events: {}", info.audit_events)?;
    writeln!(out, "audit head: {}:{}", info.audit_head.seq, info.audit_head.mac)?;
    Ok(Status::Ok)
}
