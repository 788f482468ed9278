//! The surface-specific half of a replay: one trait a surface implements to be held to the
//! scenarios.

use std::fmt;

use serde_json::{Map, Value};

/// One surface (the Rust API, the C ABI, ...) under test: one handle, opened with a manual
/// clock on a fresh in-memory store or on the scenario's store file (see [`crate::run_file`]).
/// Dropping the driver closes the handle.
///
/// The runner does everything scenario-specific (names, codes, relative times, matching), so a
/// driver only converts: JSON arguments to the surface's types, and the surface's result or
/// error back to JSON.
pub trait Driver {
    /// Moves the manual clock to `unix_seconds` (absolute).
    fn set_time(&mut self, unix_seconds: i64) -> Result<(), Failure>;

    /// Calls operation `op` (any op of the README's table except `enroll`, which the runner
    /// expands) with `args` already resolved: ids and codes are plain strings, other values are
    /// as the scenario wrote them, an absent or `null` argument means "not given".
    ///
    /// Returns the op's result in the README's JSON shape, with **absolute** Unix times, except
    /// where the runner needs what the README hides:
    /// - `begin_enrollment` returns `{"secret": BASE32, "uri": FULL_URI}`;
    /// - `confirm_enrollment` and `regenerate_recovery_codes` return
    ///   `{"recovery_codes": [CODE, ...]}` (the codes themselves);
    /// - `audit_checkpoint` returns `{"seq", "mac"}`.
    ///
    /// `rotate_key`'s `key` arrives as a list of byte values (0 to 255), `verify_audit`'s
    /// `checkpoint` as `{"seq", "mac"}`.
    ///
    /// A refusal by the surface is `Err(Failure)` with its error code. An argument the
    /// driver cannot even convert (a scenario bug, such as a string where a number belongs) is
    /// a `Failure` whose code is [`Failure::HARNESS`], which matches no expectation.
    fn call(&mut self, op: &str, args: &Map<String, Value>) -> Result<Value, Failure>;
}

/// A refused call: its error code, `retry_after` for `rate_limited`, and the message for
/// diagnostics (messages never hold secrets, so they may be printed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: String,
    pub retry_after: Option<u64>,
    pub message: String,
}

impl Failure {
    /// The code of a failure in the test harness itself rather than in the surface.
    pub const HARNESS: &'static str = "harness";

    /// A harness failure: the scenario or the driver is wrong, not the surface.
    pub fn harness(message: impl Into<String>) -> Failure {
        Failure { code: Failure::HARNESS.into(), retry_after: None, message: message.into() }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(seconds) = self.retry_after {
            write!(f, " (retry_after {seconds})")?;
        }
        write!(f, ": {}", self.message)
    }
}
