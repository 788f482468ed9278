//! `reset` and `reset-many`.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use mfa_core::{Core, Error, ResetOptions, ResetReceipt};
use serde_json::json;

use mfa_cli::parse::{self, MAX_TARGETS_BYTES};

use crate::cli::{ResetArgs, ResetManyArgs, ResetOptionArgs};
use crate::exit::{Failure, Status, usage};
use crate::input;
use crate::output::{self, Out};
use crate::progress::Progress;
use crate::session;

/// Targets per core call in `reset-many`, so the bar moves; the core commits each call in
/// batches with a savepoint per target, so the split changes no outcome.
const CHUNK: usize = 100;

fn options(args: &ResetOptionArgs, proof: Option<&str>) -> Result<ResetOptions, Failure> {
    Ok(ResetOptions {
        window: args.window,
        reason: args.reason.clone(),
        dry_run: args.dry_run,
        proof: proof.map(session::code).transpose()?.map(|p| p.to_string()),
        actor_proof: args.actor_proof.as_deref().map(session::code).transpose()?.map(|p| p.to_string()),
    })
}

pub fn one(core: &Core, args: &ResetArgs, out: &mut Out) -> Result<Status, Failure> {
    let actor = session::user_id(core, &args.actor, args.org.as_deref(), None)?;
    let target =
        session::user_id(core, &args.target, args.org.as_deref(), session::org_of(core, &actor).as_deref())?;
    let receipt = core.reset_mfa(&actor, &target, &options(&args.options, args.proof.as_deref())?)?;
    if out.json {
        out.json(&receipt)?;
    } else {
        print_receipt(out, &receipt)?;
    }
    Ok(Status::Ok)
}

fn print_receipt(out: &mut Out, r: &ResetReceipt) -> io::Result<()> {
    let head = if r.dry_run { "dry run: would reset" } else { "reset" };
    writeln!(out, "{head} {}: {} -> {}", r.target, r.previous_state, r.state)?;
    writeln!(out, "enroll before: {}", output::time(r.deadline))?;
    writeln!(out, "credential_epoch: {} (end sessions opened under an older epoch)", r.credential_epoch)?;
    match r.audit_seq {
        Some(seq) => writeln!(out, "audit seq: {seq}"),
        None => writeln!(out, "nothing was changed or recorded"),
    }
}

/// One line of the targets file and what became of it.
struct Line {
    input: String,
    outcome: Result<ResetReceipt, Error>,
}

pub fn many(core: &Core, args: &ResetManyArgs, out: &mut Out) -> Result<Status, Failure> {
    let targets_on_stdin = args.file.as_ref().is_none_or(|f| f.as_os_str() == "-");
    if targets_on_stdin && args.options.actor_proof.as_deref() == Some("-") {
        return Err(usage("the targets come from stdin, so --actor-proof cannot: pass a file of targets"));
    }
    let actor = session::user_id(core, &args.actor, args.org.as_deref(), None)?;
    let inputs = read_targets(args)?;
    if inputs.len() > mfa_core::MAX_BULK_TARGETS {
        return Err(Error::InvalidInput(format!(
            "at most {} targets per run, got {}",
            mfa_core::MAX_BULK_TARGETS,
            inputs.len()
        ))
        .into());
    }
    let options = options(&args.options, None)?;
    // Resolved once, not per line.
    let org = match &args.org {
        Some(org) => Some(session::org_id(core, org)?),
        None => session::org_of(core, &actor),
    };

    // Emails become ids first; an unknown email is that line's `not_found`.
    let mut outcomes: Vec<Option<Result<ResetReceipt, Error>>> = vec![None; inputs.len()];
    let mut ids: Vec<(usize, String)> = Vec::with_capacity(inputs.len());
    for (at, input) in inputs.iter().enumerate() {
        match session::user_id(core, input, org.as_deref(), None) {
            Ok(id) => ids.push((at, id)),
            Err(Failure::Core(err)) => outcomes[at] = Some(Err(err)),
            Err(other) => return Err(other),
        }
    }

    // A step-up code is spent by the first call, so a run with one is a single call.
    let chunk = if options.actor_proof.is_some() { ids.len().max(1) } else { CHUNK };
    let progress = Progress::new(ids.len());
    let mut done = 0;
    for part in ids.chunks(chunk) {
        let targets: Vec<&str> = part.iter().map(|(_, id)| id.as_str()).collect();
        let results = core.reset_mfa_many(&actor, &targets, &options)?;
        for ((at, _), outcome) in part.iter().zip(results) {
            outcomes[*at] = Some(outcome);
        }
        done += part.len();
        progress.show(done);
    }
    let lines: Vec<Line> = inputs
        .into_iter()
        .zip(outcomes)
        .map(|(input, outcome)| Line {
            input,
            outcome: outcome.unwrap_or_else(|| Err(Error::Internal("the core returned no outcome".into()))),
        })
        .collect();
    report(out, &lines, options.dry_run)
}

/// Ids or emails, one a line (`parse::targets` reads the lines).
fn read_targets(args: &ResetManyArgs) -> Result<Vec<String>, Failure> {
    let file = args.file.as_deref().unwrap_or(Path::new("-"));
    let (_, text) = input::text(file, "list of targets", MAX_TARGETS_BYTES)?;
    Ok(parse::targets(&text))
}

/// One line per target on stdout, a summary on stderr (stdout in JSON mode).
fn report(out: &mut Out, lines: &[Line], dry_run: bool) -> Result<Status, Failure> {
    let reset = lines.iter().filter(|l| l.outcome.is_ok()).count();
    let mut refused: BTreeMap<&str, usize> = BTreeMap::new();
    for line in lines {
        if let Err(err) = &line.outcome {
            *refused.entry(err.code()).or_default() += 1;
        }
    }
    let refused_total = lines.len() - reset;
    if out.json {
        let results: Vec<_> = lines
            .iter()
            .map(|l| match &l.outcome {
                Ok(receipt) => json!({ "input": l.input, "ok": true, "receipt": receipt }),
                Err(err) => json!({ "input": l.input, "ok": false, "error": err.problem_details() }),
            })
            .collect();
        out.json(&json!({
            "results": results,
            "summary": { "total": lines.len(), "reset": reset, "refused": refused_total, "refused_by_code": refused, "dry_run": dry_run },
        }))?;
    } else {
        for line in lines {
            match &line.outcome {
                Ok(r) => writeln!(
                    out,
                    "{} {}  {} -> {}  epoch {}",
                    if dry_run { "would reset" } else { "reset" },
                    output::clean(&line.input),
                    r.previous_state,
                    r.state,
                    r.credential_epoch
                )?,
                Err(err) => writeln!(
                    out,
                    "refused {}  {}: {}",
                    output::clean(&line.input),
                    err.code(),
                    output::clean(err.message())
                )?,
            }
        }
        let by_code: Vec<String> = refused.iter().map(|(code, n)| format!("{code} {n}")).collect();
        let mut err = io::stderr().lock();
        let _ = writeln!(
            err,
            "summary: {} targets, {reset} {}, {refused_total} refused{}",
            lines.len(),
            if dry_run { "would be reset" } else { "reset" },
            if by_code.is_empty() { String::new() } else { format!(" ({})", by_code.join(", ")) }
        );
    }
    Ok(if refused_total == 0 { Status::Ok } else { Status::SomeRefused })
}
