//! `backup` and `restore`: an online copy of the store, and putting one back after checking it;
//! `key rotate`, the other operation that keeps a long-lived store safe.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use mfa_core::{Checkpoint, Core, Error, OpenOptions};
use serde_json::json;

use crate::cli::Cli;
use crate::exit::{Failure, Status};
use crate::key;
use crate::location;
use crate::output::Out;
use crate::session;

/// Refuses a PostgreSQL URL as the store or the file of `backup` and `restore`, before anything
/// connects: both copy SQLite files, and a server has its own tools.
pub fn refuse_urls(command: &str, db: Option<&Path>, file: &Path) -> Result<(), Failure> {
    let invalid = |msg: String| Err(Error::InvalidInput(msg).into());
    match (command, db.is_some_and(location::is_url), location::is_url(file)) {
        ("backup", true, _) => invalid(
            "backup copies an SQLite file: back a PostgreSQL store up with the server's tools (pg_dump, \
             or base backups with WAL archiving), or copy it into a file with `mfa-admin migrate --to FILE`"
                .into(),
        ),
        ("backup", _, true) => invalid(
            "backup writes a new file: copy a store into PostgreSQL with `mfa-admin migrate --to URL`".into(),
        ),
        (_, true, _) => invalid(
            "restore replaces an SQLite file: restore a PostgreSQL store with the server's tools \
             (pg_restore or psql), or fill an empty database from a file with `mfa-admin migrate --from \
             FILE --to URL`"
                .into(),
        ),
        (_, _, true) => invalid(
            "restore reads a backup file: copy a PostgreSQL store into a file with `mfa-admin migrate`"
                .into(),
        ),
        _ => Ok(()),
    }
}

pub fn backup(core: &Core, dest: &Path, out: &mut Out) -> Result<Status, Failure> {
    let head = core.backup(dest)?;
    if out.json {
        out.json(&json!({ "backup": dest, "head": head }))?;
    } else {
        writeln!(out, "backed up to {}", dest.display())?;
        writeln!(out, "audit head: {}:{}", head.seq, head.mac)?;
    }
    Ok(Status::Ok)
}

/// `key rotate --new-key-file`: moves the store to the new key (docs/key-rotation.md) and
/// prints the new audit head, the checkpoint to keep from now on.
pub fn rotate_key(core: &Core, new_key_file: &Path, out: &mut Out) -> Result<Status, Failure> {
    let new_key = key::load_new(new_key_file)?;
    let head = core.rotate_key(new_key.as_slice())?;
    if out.json {
        out.json(&json!({ "rotated": true, "head": head }))?;
    } else {
        writeln!(out, "the store now opens with the key in {} only", new_key_file.display())?;
        writeln!(out, "audit head: {}:{}", head.seq, head.mac)?;
        writeln!(out, "recovery codes were invalidated: users regenerate them with a TOTP code")?;
    }
    Ok(Status::Ok)
}

/// Checks `src` on a private copy beside the store (the key opens it, the chain verifies),
/// then renames that copy over the store: the store's path holds either the old store or the
/// checked backup, never a half-written file.
pub fn restore(cli: &Cli, src: &Path, force: bool, out: &mut Out) -> Result<Status, Failure> {
    refuse_urls("restore", cli.db.as_deref(), src)?;
    let key = key::load(cli.key_file.as_deref())?;
    let dest = session::db_path(cli)?;
    if dest.exists() && !force {
        return Err(Error::Conflict(format!(
            "a store exists at {}: pass --force to replace it with the backup",
            dest.display()
        ))
        .into());
    }
    if !src.is_file() {
        return Err(Error::NotFound(format!("no backup at {}", src.display())).into());
    }
    let temp = beside(dest, "restore");
    let outcome = check_copy(src, &temp, key.as_slice()).and_then(|head| {
        // A write-ahead log of the old store must not be replayed into the restored one.
        for suffix in ["-wal", "-shm"] {
            remove_if_there(&with_suffix(dest, suffix))?;
        }
        fs::rename(&temp, dest).map_err(|e| storage(format!("cannot move the backup into place: {e}")))?;
        sync_dir(dest)?;
        Ok(head)
    });
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(with_suffix(&temp, suffix));
    }
    let head = outcome?;
    if out.json {
        out.json(&json!({ "restored": dest, "from": src, "head": head }))?;
    } else {
        writeln!(out, "restored {} from {}", dest.display(), src.display())?;
        writeln!(out, "audit head: {}:{}", head.seq, head.mac)?;
        writeln!(
            out,
            "events recorded after this head are gone: a checkpoint saved after the backup no longer verifies"
        )?;
    }
    Ok(Status::Ok)
}

/// Copies `src` to `temp` (0600), opens it with the key and verifies its whole chain; returns
/// its head. The handle is closed before returning, which folds its log into the file.
fn check_copy(src: &Path, temp: &Path, key: &[u8]) -> Result<Checkpoint, Failure> {
    fs::copy(src, temp).map_err(|e| storage(format!("cannot copy {}: {e}", src.display())))?;
    restrict(temp)?;
    let core = Core::open(temp, key, OpenOptions { create_if_missing: false, ..OpenOptions::default() })?;
    let report = core.verify_audit(None)?;
    if !report.ok {
        return Err(storage(format!(
            "the audit trail of {} does not verify (first bad event: seq {}): not restored",
            src.display(),
            report.first_bad_seq.unwrap_or(0)
        )));
    }
    let head = core.audit_checkpoint()?;
    drop(core);
    fs::File::open(temp)
        .and_then(|f| f.sync_all())
        .map_err(|e| storage(format!("cannot sync the copy: {e}")))?;
    Ok(head)
}

fn storage(message: String) -> Failure {
    Error::Storage(message).into()
}

fn beside(path: &Path, what: &str) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{what}-{}", std::process::id()))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_if_there(path: &Path) -> Result<(), Failure> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(storage(format!("cannot remove {}: {e}", path.display()))),
    }
}

fn restrict(path: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
        .map_err(|e| storage(format!("cannot restrict {}: {e}", path.display())))
}

fn sync_dir(path: &Path) -> Result<(), Failure> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| storage(format!("cannot sync {}: {e}", dir.display())))
}
