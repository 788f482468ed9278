//! Exit codes: one per error code, so that scripts branch on the status alone, plus
//! the few outcomes that are the tool's own. The table is printed by `--help` and documented in
//! the README section; a test keeps the three in step.

use std::fmt;
use std::io;

use mfa_core::Error;

/// The command did what was asked.
pub const OK: u8 = 0;
/// `audit verify` ran and found the trail edited, cut or restored from an older copy.
pub const AUDIT_BROKEN: u8 = 1;
/// Bad arguments (clap's own code), no key, no store path, an email without `--org`.
pub const USAGE: u8 = 2;
/// `reset-many` or `user import` ran and refused at least one line (the others were done).
pub const SOME_REFUSED: u8 = 3;

/// Each error code's exit status (docs/errors.md), in the documented order.
pub fn for_error(err: &Error) -> u8 {
    match err {
        Error::InvalidInput(_) => 10,
        Error::Unauthenticated(_) => 11,
        Error::Forbidden(_) => 12,
        Error::NotFound(_) => 13,
        Error::MfaNotEnabled(_) => 14,
        Error::Conflict(_) => 15,
        Error::InvalidCode(_) => 16,
        Error::RateLimited { .. } => 17,
        Error::Storage(_) => 18,
        Error::Internal(_) => 19,
    }
}

/// Every exit status with its meaning, for `--help` and the docs.
pub const TABLE: [(u8, &str, &str); 14] = [
    (OK, "ok", "success"),
    (AUDIT_BROKEN, "audit_broken", "audit verify found an edited, missing, reordered or inserted event"),
    (USAGE, "usage", "bad arguments, no key, no --db, an email without --org"),
    (SOME_REFUSED, "some_refused", "reset-many or user import refused a line (the others were done)"),
    (10, "invalid_input", "malformed id, option or file; a key that does not match the store"),
    (11, "unauthenticated", "the actor is missing or disabled"),
    (12, "forbidden", "the actor's role may not do this; a missing or wrong proof"),
    (13, "not_found", "no such user, org or store, or not in the actor's org"),
    (14, "mfa_not_enabled", "reset or verify of a user with nothing enrolled"),
    (15, "conflict", "duplicate email, already enrolled, nothing pending, last owner, file exists"),
    (16, "invalid_code", "wrong, expired or replayed code"),
    (17, "rate_limited", "reset limit or failed-verification limit (retry after the time shown)"),
    (18, "storage", "not an SQLite file, corrupt, newer schema, busy, or an I/O error"),
    (19, "internal", "a bug"),
];

/// The table as `--help` prints it, with where the key and the store come from.
pub fn help() -> String {
    let mut text = String::from("Exit status:\n");
    for (status, name, meaning) in TABLE {
        text.push_str(&format!("{status:>4}  {name:<16} {meaning}\n"));
    }
    text.push_str(
        "\nThe key comes from MFA_CORE_KEY (64 hex digits) or --key-file (32 raw bytes or 64 hex\n\
         digits); the store from --db or MFA_CORE_DB. Only `demo` runs without them.",
    );
    text
}

/// How a command that ran to the end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    AuditBroken,
    SomeRefused,
}

impl Status {
    pub fn code(self) -> u8 {
        match self {
            Status::Ok => OK,
            Status::AuditBroken => AUDIT_BROKEN,
            Status::SomeRefused => SOME_REFUSED,
        }
    }
}

/// Why a command stopped.
#[derive(Debug)]
pub enum Failure {
    /// Something clap cannot check: no key, no store path, an email without `--org`.
    Usage(String),
    /// An error from the core, or a condition the tool reports under an error code.
    Core(Error),
    /// Writing the output failed (a closed pipe ends the command quietly).
    Output(io::Error),
}

impl Failure {
    /// The exit status.
    pub fn status(&self) -> u8 {
        match self {
            Failure::Usage(_) => USAGE,
            Failure::Core(err) => for_error(err),
            Failure::Output(err) => for_error(&output_error(err)),
        }
    }

    /// RFC 7807 problem details for `--json`, with the exit status added. The reader is the
    /// operator, not an HTTP client, so `detail` is the full message even for `storage` (whose
    /// problem details from the core leave out file names and SQLite's text).
    pub fn problem_details(&self) -> serde_json::Value {
        let mut problem = match self {
            Failure::Core(err) => {
                let mut problem = err.problem_details();
                problem["detail"] = err.message().into();
                problem
            }
            Failure::Output(err) => {
                let err = output_error(err);
                let mut problem = err.problem_details();
                problem["detail"] = err.message().into();
                problem
            }
            Failure::Usage(msg) => serde_json::json!({
                "type": "urn:mfa-admin:error:usage",
                "title": "Usage",
                "detail": msg,
                "code": "usage",
            }),
        };
        problem["exit_code"] = serde_json::json!(self.status());
        problem
    }
}

/// Output that cannot be written is an I/O error, which is filed under `storage`.
fn output_error(err: &io::Error) -> Error {
    Error::Storage(format!("cannot write the output: {err}"))
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let core = |f: &mut fmt::Formatter<'_>, err: &Error| write!(f, "{}: {}", err.code(), err.message());
        match self {
            Failure::Usage(msg) => write!(f, "usage: {msg}"),
            Failure::Core(err) => core(f, err),
            Failure::Output(err) => core(f, &output_error(err)),
        }?;
        if let Failure::Core(Error::RateLimited { retry_after, .. }) = self {
            write!(f, " (retry after {retry_after} s)")?;
        }
        Ok(())
    }
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        Failure::Core(err)
    }
}

impl From<io::Error> for Failure {
    fn from(err: io::Error) -> Self {
        Failure::Output(err)
    }
}

/// Shorthand for the tool's own usage errors.
pub fn usage(msg: impl Into<String>) -> Failure {
    Failure::Usage(msg.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_contract_code_has_its_own_status_in_the_table() {
        for (code, row) in Error::CODES.iter().zip(&TABLE[4..]) {
            assert_eq!(*code, row.1);
        }
        let statuses: std::collections::BTreeSet<u8> = TABLE.iter().map(|r| r.0).collect();
        assert_eq!(statuses.len(), TABLE.len(), "exit statuses must be distinct");
    }

    #[test]
    fn each_error_exits_with_its_row_of_the_table() {
        let errors = [
            Error::InvalidInput(String::new()),
            Error::Unauthenticated(String::new()),
            Error::Forbidden(String::new()),
            Error::NotFound(String::new()),
            Error::MfaNotEnabled(String::new()),
            Error::Conflict(String::new()),
            Error::InvalidCode(String::new()),
            Error::RateLimited { message: String::new(), retry_after: 1 },
            Error::Storage(String::new()),
            Error::Internal(String::new()),
        ];
        for err in &errors {
            let row = TABLE.iter().find(|r| r.1 == err.code()).expect("a row per code");
            assert_eq!(for_error(err), row.0, "{}", err.code());
        }
    }
}
