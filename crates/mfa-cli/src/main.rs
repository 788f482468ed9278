//! mfa-admin: operate an mfa-core store from the command line.
//!
//! Bootstrap a store, manage orgs and users, enroll a user in front of their authenticator app,
//! rescue a locked-out user with an MFA reset, and export or verify the audit trail. Every
//! error code has its own exit status (`exit.rs`), so scripts need not parse text.

mod cli;
mod commands;
mod exit;
mod input;
mod key;
mod location;
mod output;
mod progress;
mod qr;
mod session;
mod window;

use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;

use mfa_core::Error;

fn main() -> ExitCode {
    let cli = cli::parse();
    let mut out = output::Out::stdout(cli.json);
    // A panic is a bug: it exits with the `internal` status like any other internal error.
    let result = panic::catch_unwind(AssertUnwindSafe(|| commands::run(&cli, &mut out)))
        .unwrap_or_else(|_| Err(Error::Internal("mfa-admin panicked (a bug)".into()).into()))
        .and_then(|status| {
            out.flush()?;
            Ok(status)
        });
    match result {
        Ok(status) => ExitCode::from(status.code()),
        // The reader went away (`| head`): nothing more to say to anyone.
        Err(exit::Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(failure) => {
            let mut err = io::stderr().lock();
            let _ = if cli.json {
                writeln!(err, "{}", failure.problem_details())
            } else {
                writeln!(err, "mfa-admin: {}", output::clean(&failure.to_string()))
            };
            ExitCode::from(failure.status())
        }
    }
}
