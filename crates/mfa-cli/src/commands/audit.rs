//! `audit tail|export|verify|checkpoint`: reading and checking the trail.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use mfa_core::{AuditEvent, AuditQuery, Core, Error, MAX_AUDIT_PAGE};
use serde_json::json;

use crate::cli::{AuditCommand, ExportFormat};
use crate::exit::{Failure, Status};
use crate::output::{self, Out};
use crate::session;

pub fn run(core: &Core, command: &AuditCommand, out: &mut Out) -> Result<Status, Failure> {
    match command {
        AuditCommand::Tail { after, limit, actor, target, action, org, follow } => {
            let user = |u: &Option<String>| {
                u.as_deref().map(|u| session::user_id(core, u, org.as_deref(), None)).transpose()
            };
            let query = AuditQuery {
                after_seq: after.unwrap_or(0),
                limit: Some(*limit),
                actor: user(actor)?,
                target: user(target)?,
                action: action.clone(),
            };
            // Where following starts: the head as it is now, or the last event shown.
            let head = core.audit_checkpoint()?.seq;
            let events = match after {
                Some(_) => core.audit_events(&query)?,
                None => latest(core, query.clone())?,
            };
            let seen = events.last().map_or(after.unwrap_or(head), |e| e.seq);
            // One event a line in either mode (JSON lines with --json), followed or not.
            for event in &events {
                print_event(out, event)?;
            }
            if *follow {
                return follow_from(core, AuditQuery { after_seq: seen, ..query }, out);
            }
            Ok(Status::Ok)
        }
        AuditCommand::Export { format, output } => {
            match output {
                Some(path) => export(core, *format, &mut BufWriter::new(create(path)?)),
                None => export(core, *format, out),
            }?;
            Ok(Status::Ok)
        }
        AuditCommand::Verify { checkpoint } => {
            // The head first: the walk then covers it, so the head printed is one verified.
            let head = core.audit_checkpoint()?;
            let report = core.verify_audit(checkpoint.as_ref())?;
            if out.json {
                out.json(&json!({ "report": report, "checkpoint": head }))?;
            } else if report.ok {
                writeln!(out, "audit trail intact: {} events checked", report.checked)?;
                if let Some(cp) = checkpoint {
                    writeln!(out, "checkpoint {}:{} found in the chain", cp.seq, cp.mac)?;
                }
                writeln!(out, "head: {}:{}", head.seq, head.mac)?;
            } else {
                let bad = report.first_bad_seq.map_or_else(|| "?".to_string(), |s| s.to_string());
                writeln!(
                    out,
                    "audit trail NOT intact: first bad seq {bad} ({} events before it checked good)",
                    report.checked
                )?;
            }
            Ok(if report.ok { Status::Ok } else { Status::AuditBroken })
        }
        AuditCommand::Checkpoint => {
            let head = core.audit_checkpoint()?;
            if out.json {
                out.json(&head)?;
            } else {
                writeln!(out, "{}:{}", head.seq, head.mac)?;
            }
            Ok(Status::Ok)
        }
    }
}

/// Polls for events after `query.after_seq` until the process is stopped. Reads never wait
/// for writers, so a follower does not slow the host down.
fn follow_from(core: &Core, mut query: AuditQuery, out: &mut Out) -> Result<Status, Failure> {
    query.limit = Some(MAX_AUDIT_PAGE);
    loop {
        out.flush()?;
        std::thread::sleep(FOLLOW_INTERVAL);
        for event in core.audit_events(&query)? {
            query.after_seq = event.seq;
            print_event(out, &event)?;
        }
    }
}

/// How often `audit tail --follow` looks for new events.
const FOLLOW_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// One event on one line: text, or a JSON object (JSON lines, flushed).
fn print_event(out: &mut Out, event: &AuditEvent) -> Result<(), Failure> {
    if out.json {
        out.json_line(event)?;
    } else {
        writeln!(out, "{}", event_line(event))?;
    }
    Ok(())
}

/// The last `limit` events that match: without filters, straight from the head of the chain;
/// with filters, by paging forward (the core pages in seq order only).
fn latest(core: &Core, query: AuditQuery) -> Result<Vec<AuditEvent>, Failure> {
    let limit = query.limit.unwrap_or(100);
    if query.actor.is_none() && query.target.is_none() && query.action.is_none() {
        let head = core.audit_checkpoint()?.seq;
        return Ok(
            core.audit_events(&AuditQuery { after_seq: head.saturating_sub(u64::from(limit)), ..query })?
        );
    }
    let mut last: VecDeque<AuditEvent> = VecDeque::new();
    let mut page = AuditQuery { limit: Some(MAX_AUDIT_PAGE), ..query };
    loop {
        let events = core.audit_events(&page)?;
        let Some(tail) = events.last() else { break };
        page.after_seq = tail.seq;
        for event in events {
            if last.len() == limit as usize {
                last.pop_front();
            }
            last.push_back(event);
        }
    }
    Ok(last.into())
}

fn event_line(e: &AuditEvent) -> String {
    let text = |v: &Option<String>| output::clean(v.as_deref().unwrap_or("-")).into_owned();
    let mut line = format!(
        "#{:<5} {}  {:<20} {:<8} {:<15} actor {} target {}",
        e.seq,
        output::time(e.at),
        output::clean(&e.action),
        e.outcome.as_str(),
        text(&e.code),
        text(&e.actor),
        text(&e.target)
    );
    if let Some(reason) = &e.reason {
        line.push_str(&format!("  reason \"{}\"", output::clean(reason)));
    }
    line
}

/// A new file for an export: an existing one is never overwritten.
fn create(path: &Path) -> Result<File, Failure> {
    File::create_new(path).map_err(|e| {
        let msg = format!("cannot create {}: {e}", path.display());
        Failure::Core(match e.kind() {
            io::ErrorKind::AlreadyExists => Error::Conflict(msg),
            _ => Error::Storage(msg),
        })
    })
}

/// Every event in seq order, a page at a time.
fn export(core: &Core, format: ExportFormat, w: &mut dyn Write) -> Result<(), Failure> {
    if format == ExportFormat::Csv {
        writeln!(w, "seq,at,actor,target,org,action,outcome,code,reason,detail,mac")?;
    }
    let mut query = AuditQuery { limit: Some(MAX_AUDIT_PAGE), ..AuditQuery::default() };
    loop {
        let events = core.audit_events(&query)?;
        let Some(tail) = events.last() else { break };
        query.after_seq = tail.seq;
        for event in &events {
            match format {
                ExportFormat::Jsonl => {
                    serde_json::to_writer(&mut *w, event).map_err(io::Error::from)?;
                    writeln!(w)?;
                }
                ExportFormat::Csv => writeln!(w, "{}", csv_row(event))?,
            }
        }
    }
    w.flush()?;
    Ok(())
}

fn csv_row(e: &AuditEvent) -> String {
    let text = |v: &Option<String>| csv_field(v.as_deref().unwrap_or(""));
    [
        e.seq.to_string(),
        output::rfc3339(e.at),
        text(&e.actor),
        text(&e.target),
        text(&e.org),
        csv_field(&e.action),
        e.outcome.as_str().to_string(),
        text(&e.code),
        text(&e.reason),
        csv_field(&e.detail.to_string()),
        e.mac.clone(),
    ]
    .join(",")
}

/// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. A cell
/// a spreadsheet would read as a formula (one starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return, as OWASP lists them) gets a leading `'` and is always quoted, so that it
/// is shown as text and never evaluated.
fn csv_field(s: &str) -> String {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula || s.contains([',', '"', '\n', '\r']) {
        let prefix = if formula { "'" } else { "" };
        format!("\"{prefix}{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        let cases = [
            ("plain", "plain"),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("two\nlines", "\"two\nlines\""),
            ("=HYPERLINK(1)", "\"'=HYPERLINK(1)\""),
            ("@x,y", "\"'@x,y\""),
            ("+1+cmd|' /C calc'!A0", "\"'+1+cmd|' /C calc'!A0\""),
            ("-2+3", "\"'-2+3\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\t=1+1", "\"'\t=1+1\""),
            ("\r=1+1", "\"'\r=1+1\""),
            ("=\"quoted\"", "\"'=\"\"quoted\"\"\""),
            ("a=1", "a=1"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(csv_field(input), want, "{input:?}");
        }
    }
}
