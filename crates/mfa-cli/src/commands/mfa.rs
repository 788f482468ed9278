//! `enroll`, `confirm`, `verify`, `status`: the user's side of MFA, run by an operator at the
//! user's side. Only here does the tool print a secret (the enrolling user's own) or recovery
//! codes (shown once, at confirmation).

use std::io::Write;

use mfa_core::Core;
use serde_json::json;

use crate::cli::UserArg;
use crate::exit::{Failure, Status};
use crate::output::{self, Out};
use crate::qr;
use crate::session;

fn user_id(core: &Core, user: &UserArg) -> Result<String, Failure> {
    session::user_id(core, &user.user, user.org.as_deref(), None)
}

pub fn enroll(core: &Core, user: &UserArg, no_qr: bool, out: &mut Out) -> Result<Status, Failure> {
    let id = user_id(core, user)?;
    let enrollment = core.begin_enrollment(&id)?;
    if out.json {
        out.json(&json!({ "user": id, "secret": enrollment.secret, "uri": enrollment.uri }))?;
        return Ok(Status::Ok);
    }
    if !no_qr {
        writeln!(out, "{}", qr::render(&enrollment.uri)?)?;
    }
    writeln!(out, "otpauth URI: {}", enrollment.uri)?;
    writeln!(out, "secret (manual entry): {}", enrollment.secret)?;
    writeln!(out, "then: mfa-admin confirm {id} CODE (the six digits the app shows)")?;
    Ok(Status::Ok)
}

pub fn confirm(core: &Core, user: &UserArg, code: &str, out: &mut Out) -> Result<Status, Failure> {
    let id = user_id(core, user)?;
    let codes = core.confirm_enrollment(&id, &session::code(code)?)?;
    if out.json {
        out.json(&json!({ "user": id, "state": mfa_core::MfaState::Enrolled, "recovery_codes": codes.0 }))?;
        return Ok(Status::Ok);
    }
    writeln!(out, "enrolled. recovery codes, each usable once (shown only now: store them offline):")?;
    for code in &codes.0 {
        writeln!(out, "  {code}")?;
    }
    Ok(Status::Ok)
}

pub fn verify(core: &Core, user: &UserArg, code: &str, out: &mut Out) -> Result<Status, Failure> {
    let id = user_id(core, user)?;
    let verification = core.verify(&id, &session::code(code)?)?;
    if out.json {
        out.json(&verification)?;
    } else {
        writeln!(
            out,
            "ok: {} accepted, {} recovery codes left",
            verification.method.as_str(),
            verification.recovery_codes_remaining
        )?;
    }
    Ok(Status::Ok)
}

pub fn status(core: &Core, user: &UserArg, out: &mut Out) -> Result<Status, Failure> {
    let status = core.mfa_status(&user_id(core, user)?)?;
    if out.json {
        out.json(&status)?;
    } else {
        writeln!(out, "{}", output::status_lines(&status))?;
    }
    Ok(Status::Ok)
}
