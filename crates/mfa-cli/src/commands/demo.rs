//! `demo`: the whole story on a throwaway store, with a random key and a manual clock so that
//! days can pass in a second. It prints what an operator would see at each step.

use std::io::Write;

use mfa_core::{AuditQuery, Core, OpenOptions, Policy, ResetOptions, Role, totp};

use crate::exit::{Failure, Status};
use crate::key;
use crate::output::{self, Out};
use crate::qr;

const DAY: i64 = 86_400;

pub fn run(out: &mut Out) -> Result<Status, Failure> {
    let dir = tempfile::tempdir()
        .map_err(|e| mfa_core::Error::Storage(format!("cannot create a temporary directory: {e}")))?;
    let path = dir.path().join("demo.db");
    let key = key::random()?;
    let start =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let core = Core::open(
        &path,
        key.as_slice(),
        OpenOptions { manual_clock: Some(start), ..OpenOptions::default() },
    )?;
    writeln!(out, "== a throwaway store at {} with a random key (printed nowhere)", path.display())?;

    let policy = Policy { mfa_required: true, ..Policy::default() };
    let org = core.create_org("Acme", policy)?;
    let ada = core.create_user(&org.id, "ada@acme.example", Role::Owner)?;
    let bob = core.create_user(&org.id, "bob@acme.example", Role::Member)?;
    writeln!(out, "\n== org {:?} requires MFA; users:", org.name)?;
    for user in [&ada, &bob] {
        writeln!(out, "{}", output::user_row(user))?;
    }
    writeln!(out, "bob: {}", output::status_lines(&core.mfa_status(&bob.id)?).replace('\n', ", "))?;

    writeln!(out, "\n== bob enrolls: he scans this with his authenticator app")?;
    let enrollment = core.begin_enrollment(&bob.id)?;
    writeln!(out, "{}", qr::render(&enrollment.uri)?)?;
    writeln!(out, "{}", enrollment.uri)?;
    let secret = totp::decode_base32(&enrollment.secret)?;
    let app_code = |core: &Core| totp::code_for_step(&secret, totp::step_at(core.now()));
    let codes = core.confirm_enrollment(&bob.id, &app_code(&core)?)?;
    writeln!(out, "bob confirms with the code his app shows and gets {} recovery codes", codes.0.len())?;
    core.set_time(start + 60)?;
    let signed_in = core.verify(&bob.id, &app_code(&core)?)?;
    writeln!(out, "a minute later bob signs in: {} accepted", signed_in.method.as_str())?;

    writeln!(out, "\n== bob loses his phone; ada, an owner, resets his MFA")?;
    let reason = Some("lost phone, ticket 4711".to_string());
    let receipt = core.reset_mfa(&ada.id, &bob.id, &ResetOptions { reason, ..Default::default() })?;
    writeln!(
        out,
        "reset: {} -> {}, enroll before {}, credential_epoch {}",
        receipt.previous_state,
        receipt.state,
        output::time(receipt.deadline),
        receipt.credential_epoch
    )?;

    writeln!(out, "\n== bob is away for 8 days and misses the deadline")?;
    core.set_time(start + 8 * DAY)?;
    writeln!(out, "bob: {}", core.mfa_status(&bob.id)?.state)?;
    let refused = core.begin_enrollment(&bob.id).err().map_or("accepted".into(), |e| e.code().to_string());
    writeln!(out, "bob tries to enroll: {refused}")?;
    let probe = core.reset_mfa(&bob.id, &ada.id, &ResetOptions::default()).err();
    writeln!(out, "bob tries to reset ada: {}", probe.map_or("accepted".into(), |e| e.code().to_string()))?;

    writeln!(out, "\n== ada rescues him: a new reset opens a one-day window")?;
    let options = ResetOptions {
        window: Some(DAY as u64),
        reason: Some("locked out, ticket 4712".into()),
        ..Default::default()
    };
    let receipt = core.reset_mfa(&ada.id, &bob.id, &options)?;
    writeln!(
        out,
        "reset: {} -> {}, enroll before {}",
        receipt.previous_state,
        receipt.state,
        output::time(receipt.deadline)
    )?;
    let enrollment = core.begin_enrollment(&bob.id)?;
    let secret = totp::decode_base32(&enrollment.secret)?;
    core.confirm_enrollment(&bob.id, &totp::code_for_step(&secret, totp::step_at(core.now()))?)?;
    writeln!(out, "bob enrolls again: {}", core.mfa_status(&bob.id)?.state)?;

    writeln!(out, "\n== the audit trail")?;
    for e in core.audit_events(&AuditQuery::default())? {
        let line = format!(
            "#{:<3} {:<20} {:<8} {:<16} {}",
            e.seq,
            e.action,
            e.outcome.as_str(),
            e.code.as_deref().unwrap_or("-"),
            e.reason.as_deref().unwrap_or("")
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    let head = core.audit_checkpoint()?;
    let report = core.verify_audit(Some(&head))?;
    writeln!(
        out,
        "verified: ok={} ({} events checked, head {}:{})",
        report.ok, report.checked, head.seq, head.mac
    )?;
    writeln!(
        out,
        "\nthe store and its key are gone when this exits; `mfa-admin --help` shows the real thing"
    )?;
    Ok(if report.ok { Status::Ok } else { Status::AuditBroken })
}
