//! `user import`: many users from a CSV or JSON-lines file, a chunk per transaction, with a
//! report line for every input line.
//!
//! A refused line (malformed, a bad email or role, an email already taken) is reported and
//! skipped: it never undoes or stops the good lines around it, and the run exits with the
//! `some_refused` status. Only a storage failure stops the run; the lines reported before it
//! are in the store.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};
use std::path::Path;

use mfa_core::{Core, Error, Role, User};
use serde_json::json;

use mfa_cli::parse::{self, Entry, MAX_IMPORT_BYTES};

use crate::exit::{Failure, Status};
use crate::input;
use crate::output::{Out, clean};
use crate::progress::Progress;
use crate::session;

/// Users per transaction: one commit (one fsync) for each, and a step of the progress bar.
const CHUNK: usize = 100;

/// What became of one line.
enum Outcome {
    Created(User),
    WouldCreate(Role),
    Refused(Error),
}

pub fn run(core: &Core, org: &str, file: &Path, dry_run: bool, out: &mut Out) -> Result<Status, Failure> {
    let org = session::org_id(core, org)?;
    let (name, text) = input::text(file, "file of users", MAX_IMPORT_BYTES)?;
    let entries = parse::users(&name, &text)?;
    let progress = Progress::new(entries.len());
    let mut tally = Tally::default();
    let mut seen = HashSet::new();
    for (at, chunk) in entries.chunks(CHUNK).enumerate() {
        let result = if dry_run { check(core, &org, chunk, &mut seen) } else { import(core, &org, chunk) };
        // A failure of the whole chunk is every line's outcome, and ends the run.
        let (outcomes, stop) = match result {
            Ok(outcomes) => (outcomes, None),
            Err(err) => (chunk.iter().map(|_| Outcome::Refused(err.clone())).collect(), Some(err)),
        };
        for (entry, outcome) in chunk.iter().zip(&outcomes) {
            report(out, entry, outcome)?;
            tally.add(outcome);
        }
        progress.show((at * CHUNK + chunk.len()).min(entries.len()));
        if let Some(err) = stop {
            return Err(err.into());
        }
    }
    if !out.json {
        tally.summary(entries.len(), dry_run);
    }
    Ok(if tally.refused == 0 { Status::Ok } else { Status::SomeRefused })
}

/// One transaction for the chunk's well-formed lines; the others keep their parse error. An
/// error for the whole call (storage) undoes the chunk and stops the run.
fn import(core: &Core, org: &str, chunk: &[Entry]) -> Result<Vec<Outcome>, Error> {
    let users: Vec<(&str, Role)> =
        chunk.iter().filter_map(|e| e.role.as_ref().ok().map(|r| (e.email.as_str(), *r))).collect();
    let mut created = core.create_users(org, &users)?.into_iter();
    Ok(chunk
        .iter()
        .map(|entry| match &entry.role {
            Err(err) => Outcome::Refused(err.clone()),
            Ok(_) => match created.next() {
                Some(Ok(user)) => Outcome::Created(user),
                Some(Err(err)) => Outcome::Refused(err),
                None => Outcome::Refused(Error::Internal("the core returned no outcome".into())),
            },
        })
        .collect())
}

/// A dry run: what `import` would answer, from reads only. The core checks each email and
/// whether the org has it; `seen` holds the emails of earlier lines, compared without case as
/// the core compares them.
fn check(core: &Core, org: &str, chunk: &[Entry], seen: &mut HashSet<String>) -> Result<Vec<Outcome>, Error> {
    chunk
        .iter()
        .map(|entry| {
            let role = match &entry.role {
                Ok(role) => *role,
                Err(err) => return Ok(Outcome::Refused(err.clone())),
            };
            match core.find_user_by_email(org, &entry.email) {
                Ok(_) => Ok(Outcome::Refused(taken(&entry.email, org))),
                Err(Error::NotFound(_)) if !seen.insert(entry.email.to_lowercase()) => {
                    Ok(Outcome::Refused(taken(&entry.email, org)))
                }
                Err(Error::NotFound(_)) => Ok(Outcome::WouldCreate(role)),
                Err(err @ (Error::Storage(_) | Error::Internal(_))) => Err(err),
                Err(err) => Ok(Outcome::Refused(err)),
            }
        })
        .collect()
}

fn taken(email: &str, org: &str) -> Error {
    Error::Conflict(format!("email {email} is taken in org {org}"))
}

/// One report line on stdout: text, or a JSON object per line (flushed) with `--json`.
fn report(out: &mut Out, entry: &Entry, outcome: &Outcome) -> io::Result<()> {
    if out.json {
        let value = match outcome {
            Outcome::Created(user) => {
                json!({ "line": entry.line, "email": entry.email, "ok": true, "user": user })
            }
            Outcome::WouldCreate(role) => {
                json!({ "line": entry.line, "email": entry.email, "ok": true, "dry_run": true, "role": role })
            }
            Outcome::Refused(err) => {
                json!({ "line": entry.line, "email": entry.email, "ok": false, "error": err.problem_details() })
            }
        };
        return out.json_line(&value);
    }
    let email = if entry.email.is_empty() { "-".into() } else { clean(&entry.email) };
    match outcome {
        Outcome::Created(user) => {
            writeln!(out, "line {}: {email}  created {} ({})", entry.line, user.id, user.role.as_str())
        }
        Outcome::WouldCreate(role) => {
            writeln!(out, "line {}: {email}  would create ({})", entry.line, role.as_str())
        }
        Outcome::Refused(err) => {
            writeln!(out, "line {}: {email}  refused {}: {}", entry.line, err.code(), clean(err.message()))
        }
    }
}

/// Counts for the summary.
#[derive(Default)]
struct Tally {
    created: usize,
    refused: usize,
    by_code: BTreeMap<&'static str, usize>,
}

impl Tally {
    fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Created(_) | Outcome::WouldCreate(_) => self.created += 1,
            Outcome::Refused(err) => {
                self.refused += 1;
                *self.by_code.entry(err.code()).or_default() += 1;
            }
        }
    }

    /// The summary on stderr, after the report: stdout holds one line per input line only.
    fn summary(&self, lines: usize, dry_run: bool) {
        let by_code: Vec<String> = self.by_code.iter().map(|(code, n)| format!("{code} {n}")).collect();
        let _ = writeln!(
            io::stderr().lock(),
            "summary: {lines} lines, {} {}, {} refused{}",
            self.created,
            if dry_run { "would be created" } else { "created" },
            self.refused,
            if by_code.is_empty() { String::new() } else { format!(" ({})", by_code.join(", ")) }
        );
    }
}
