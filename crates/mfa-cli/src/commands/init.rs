//! `init`: create a store (and optionally its key).

use std::io::Write;
use std::path::Path;

use mfa_core::{Core, Error, OpenOptions};
use serde_json::json;

use crate::cli::Cli;
use crate::exit::{Failure, Status, usage};
use crate::key;
use crate::location;
use crate::output::Out;
use crate::session;

/// Creates the store at `--db`: a new file, or the tables in a PostgreSQL database. An existing
/// file or store is never touched: `init` on a live store by mistake must not look like
/// success.
pub fn run(cli: &Cli, generate_key: bool, out: &mut Out) -> Result<Status, Failure> {
    let path = session::db_path(cli)?;
    let url = location::is_url(path);
    if !url && path.exists() {
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
    if url {
        create_in_database(path, key.as_slice())?;
    } else {
        Core::open(path, key.as_slice(), OpenOptions::default())?;
    }
    let shown = location::shown(path);
    if out.json {
        out.json(&json!({
            "db": shown,
            "engine": if url { "postgresql" } else { "sqlite" },
            "schema_version": mfa_core::SCHEMA_VERSION,
            "key_file": generate_key.then_some(cli.key_file.as_deref()).flatten(),
        }))?;
    } else {
        writeln!(out, "created store {shown} (schema version {})", mfa_core::SCHEMA_VERSION)?;
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

/// Creates the store's tables in the PostgreSQL database at `url`, refusing (`conflict`) a
/// database that already holds a store. Opening without creation tells the two apart: it
/// succeeds on a store (of this key; another key's store is `invalid_input`), and fails with
/// `storage` on a database without one, which is then created (a server that cannot be reached
/// fails that second open too, with its own error).
fn create_in_database(url: &Path, key: &[u8]) -> Result<(), Failure> {
    let existing = OpenOptions { create_if_missing: false, ..OpenOptions::default() };
    match Core::open(url, key, existing) {
        Ok(_) => Err(Error::Conflict(
            "the database already holds an mfa-core store: init leaves it as it is".into(),
        )
        .into()),
        Err(Error::Storage(_)) => Ok(Core::open(url, key, OpenOptions::default()).map(drop)?),
        Err(other) => Err(other.into()),
    }
}
