//! Online backups with SQLite's backup API: the copy is read from one snapshot on a separate
//! read-only connection, a few pages at a time with short pauses, so readers and writers of the
//! store keep working while it runs.

use std::path::Path;
use std::time::Duration;

use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};

use super::{Store, configure, file};
use crate::error::{Error, Result, conflict};
use crate::model::Checkpoint;

/// Pages copied per step (256 KiB to 1 MiB with SQLite's page sizes)...
const PAGES_PER_STEP: std::ffi::c_int = 256;
/// ...and the pause after each, which lets other connections take their locks.
const PAUSE: Duration = Duration::from_millis(2);

impl Store {
    /// Copies the store into a new owner-only file at `dest` and returns the audit head of the
    /// copy. The copy is built beside `dest` and linked into place when complete, so `dest`
    /// never holds a partial copy, and an existing file is never replaced (`conflict`).
    pub(crate) fn backup(&self, dest: &Path) -> Result<Checkpoint> {
        if self.rotated.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(crate::store::key_rotated());
        }
        let Some(pool) = &self.readers else {
            return Err(Error::InvalidInput("an in-memory store has no file to back up".into()));
        };
        if dest.symlink_metadata().is_ok() {
            return Err(conflict(format!("{} exists: a backup never replaces a file", dest.display())));
        }
        let source = Connection::open_with_flags(
            &pool.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&source)?;
        // One read transaction for the whole copy: in WAL mode it pins one snapshot, which the
        // copy and the head below both come from, while writers go on appending.
        source.execute_batch("BEGIN")?;
        let head: Option<(u64, Vec<u8>)> = {
            use rusqlite::OptionalExtension;
            source
                .query_row("SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?
        };
        file::create_new(dest, |temp| {
            let mut copy = Connection::open_with_flags(
                temp,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            copy.pragma_update(None, "synchronous", "FULL")?;
            Backup::new(&source, &mut copy)?
                .run_to_completion(PAGES_PER_STEP, PAUSE, None)
                .map_err(|e| Error::Storage(format!("the backup failed: {e}")))?;
            copy.close().map_err(|(_, e)| Error::Storage(format!("cannot close the backup: {e}")))
        })?;
        source.execute_batch("COMMIT")?;
        let (seq, mac) = head.unwrap_or((0, vec![0; 32]));
        Ok(Checkpoint { seq, mac: crate::store::hex(&mac) })
    }
}
