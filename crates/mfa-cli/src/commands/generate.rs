//! `completions` and `man`: generated at run time from the same command definitions as
//! `--help`, so that they always match the binary in hand and need no build step.

use std::io::Write;
use std::path::Path;

use clap_complete::Shell;
use mfa_core::Error;

use crate::cli;
use crate::exit::{Failure, Status};
use crate::output::Out;

pub fn completions(shell: Shell, out: &mut Out) -> Result<Status, Failure> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cli::command(), BIN, &mut script);
    let mut script = String::from_utf8_lossy(&script).into_owned();
    if shell == Shell::Bash {
        // clap_complete 4.6 spells the states of nested subcommands of a hyphenated binary two
        // ways (clap-rs/clap#6421), so bash completed nothing past `mfa-admin user`. Use the
        // spelling the dispatch loop produces; a fixed clap_complete leaves nothing to replace.
        script = script.replace("mfa__subcmd__admin__subcmd__", "mfa__admin__subcmd__");
    }
    out.write_all(script.as_bytes())?;
    Ok(Status::Ok)
}

/// The name the completions complete.
const BIN: &str = "mfa-admin";

/// The mfa-admin(1) page on stdout, or a page per command (as git ships them) in `out_dir`.
pub fn man(out_dir: Option<&Path>, out: &mut Out) -> Result<Status, Failure> {
    let Some(dir) = out_dir else {
        clap_mangen::Man::new(cli::command()).render(out)?;
        return Ok(Status::Ok);
    };
    if !dir.is_dir() {
        return Err(Error::NotFound(format!("no directory {}", dir.display())).into());
    }
    clap_mangen::generate_to(cli::command(), dir)
        .map_err(|e| Error::Storage(format!("cannot write man pages to {}: {e}", dir.display())))?;
    writeln!(out, "wrote the man pages to {}", dir.display())?;
    Ok(Status::Ok)
}
