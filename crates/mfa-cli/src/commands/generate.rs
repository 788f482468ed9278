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
    clap_complete::generate(shell, &mut cli::command(), "mfa-admin", out);
    Ok(Status::Ok)
}

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
