//! `init`: create a store (and optionally its key).

use std::io::Write;

use mfa_core::{Core, Error, OpenOptions};
use serde_json::json;

use crate::cli::Cli;
use crate::exit::{Failure, Status, usage};
use crate::key;
use crate::output::Out;
use crate::session;

/// Creates the store at `--db`. An existing file is never touched: `init` on a live store by
/// mistake must not look like success.
pub fn run(cli: &Cli, generate_key: bool, out: &mut Out) -> Result<Status, Failure> {
    let path = session::db_path(cli)?;
    if path.exists() {
        return Err(Error::Conflict(format!("a file already exists at {}", path.display())).into());
    }
    let key = if generate_key {
        let key_file = cli
            .key_file
            .as_deref()
            .filter(|f| f.as_os_str() != "-")
            .ok_or_else(|| usage("--generate-key needs --key-file PATH (a file to write, not -)"))?;
        if std::env::var_os(key::KEY_ENV).is_some() {
            return Err(usage(format!("--generate-key writes a new key: unset {}", key::KEY_ENV)));
        }
        key::generate(key_file)?
    } else {
        key::load(cli.key_file.as_deref())?
    };
    Core::open(path, key.as_slice(), OpenOptions::default())?;
    if out.json {
        out.json(&json!({
            "db": path,
            "schema_version": mfa_core::SCHEMA_VERSION,
            "key_file": generate_key.then_some(cli.key_file.as_deref()).flatten(),
        }))?;
    } else {
        writeln!(out, "created store {} (schema version {})", path.display(), mfa_core::SCHEMA_VERSION)?;
        if let (true, Some(key_file)) = (generate_key, &cli.key_file) {
            writeln!(
                out,
                "wrote a new key to {} (mode 0600): back it up; without it the store cannot be opened",
                key_file.display()
            )?;
        }
        writeln!(
            out,
            "next: mfa-admin org create NAME, then mfa-admin user add --org NAME --role owner EMAIL"
        )?;
    }
    Ok(Status::Ok)
}
