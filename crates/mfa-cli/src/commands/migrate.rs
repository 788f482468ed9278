//! `migrate`: copy a whole store into an empty one, typically from an SQLite file to a
//! PostgreSQL database when a host grows to several instances, or back (docs/scale-out.md).

use std::io::Write;
use std::path::Path;

use mfa_core::CopyProgress;

use crate::cli::Cli;
use crate::exit::{Failure, Status, usage};
use crate::key;
use crate::location::shown;
use crate::output::Out;
use crate::progress::Progress;
use crate::session;

/// Opens the source with the key (a wrong key is refused there, before the destination is
/// touched), then lets the core copy it: the source's chain is verified first, the copy is
/// written in one transaction and checked against the source's head before it commits.
pub fn run(cli: &Cli, from: Option<&Path>, to: &Path, out: &mut Out) -> Result<Status, Failure> {
    let key = key::load(cli.key_file.as_deref())?;
    let from =
        from.or(cli.db.as_deref()).ok_or_else(|| usage("no source: pass --from PATH|URL (or --db)"))?;
    if from == to {
        return Err(usage("--from and --to name the same store"));
    }
    let source = session::open_at(from, &key)?;
    eprintln!("copying {} to {}", shown(from), shown(to));
    let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    // The bar of the current step, and the count it last showed (an empty table reports 0 of 0
    // at its start and at its end: shown once).
    let mut bar: Option<(&'static str, Progress, u64)> = None;
    let report = source.copy_to(to, &mut |p: &CopyProgress| match &mut bar {
        Some((step, _, shown)) if *step == p.step && *shown == p.done => {}
        Some((step, bar, shown)) if *step == p.step => {
            bar.show(size(p.done));
            *shown = p.done;
        }
        _ => {
            let new = Progress::labelled(label(p.step), size(p.total));
            new.show(size(p.done));
            bar = Some((p.step, new, p.done));
        }
    })?;
    if out.json {
        let mut value =
            serde_json::to_value(&report).map_err(|e| mfa_core::Error::Internal(e.to_string()))?;
        value["from"] = shown(from).into();
        value["to"] = shown(to).into();
        out.json(&value)?;
    } else {
        writeln!(
            out,
            "copied {} to {}: {} orgs, {} users, {} recovery codes, {} reset-log entries, {} audit events",
            shown(from),
            shown(to),
            report.orgs,
            report.users,
            report.recovery_codes,
            report.reset_log,
            report.audit_events
        )?;
        writeln!(out, "audit head: {}:{} (the same on both stores)", report.head.seq, report.head.mac)?;
    }
    Ok(Status::Ok)
}

/// What each step of the copy counts, for its progress bar.
fn label(step: &str) -> &str {
    match step {
        "verify" => "verify source audit trail",
        "check" => "check copied audit trail",
        "orgs" => "copy orgs",
        "users" => "copy users",
        "recovery_codes" => "copy recovery codes",
        "reset_log" => "copy reset log",
        "audit" => "copy audit events",
        other => other,
    }
}
