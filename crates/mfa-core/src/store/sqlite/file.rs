//! The store's file on disk, handled before SQLite sees it: what is at the path, creating a new
//! store owner-only and in one step, and who may read it.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Permission bits of a file this library creates: the store holds sealed secrets and the audit
/// trail, so only its owner may read it. SQLite gives its `-wal` and `-shm` files the same bits.
#[cfg(unix)]
const OWNER_ONLY: u32 = 0o600;

/// Whether a store exists at `path`. A file that is not an SQLite database, including an empty
/// one, is refused with `storage` without being opened through SQLite, so nothing (not even a
/// journal) is written next to it. An empty file is not a new store: it is what is left of one
/// truncated by accident or on purpose, and taking it for a new store would silently replace
/// every user and event with nothing.
pub(crate) fn exists(path: &Path) -> Result<bool> {
    let unreadable = |e: io::Error| Error::Storage(format!("cannot read {}: {e}", path.display()));
    let mut file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(unreadable(e)),
    };
    let mut head = Vec::with_capacity(16);
    (&mut file).take(16).read_to_end(&mut head).map_err(unreadable)?;
    if head.is_empty() {
        return Err(Error::Storage(format!(
            "{} is an empty file, not a store: it is left as it is (remove it to create a new store there)",
            path.display()
        )));
    }
    if head != SQLITE_MAGIC {
        return Err(Error::Storage(format!("{} is not an SQLite database", path.display())));
    }
    Ok(true)
}

/// Creates a store at `path`: `init` builds it in an owner-only file beside `path`, which is
/// then linked into place. The path therefore never holds a half-made or empty store, an
/// existing file is never replaced (if another process created one meanwhile, that one is
/// kept), and the file is 0600 whatever the process umask.
pub(crate) fn create(path: &Path, init: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    place(path, init).map(drop)
}

/// As [`create`], for a copy that must not replace anything: `conflict` when a file appeared
/// at `path` meanwhile (the new file is then removed).
pub(crate) fn create_new(path: &Path, init: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    if place(path, init)? {
        Ok(())
    } else {
        Err(crate::error::conflict(format!("{} exists: it is left as it is", path.display())))
    }
}

/// Builds the file beside `path` and links it into place; false when `path` already existed
/// (and was kept).
fn place(path: &Path, init: impl FnOnce(&Path) -> Result<()>) -> Result<bool> {
    let failed = |what: &str, e: io::Error| Error::Storage(format!("cannot {what} {}: {e}", path.display()));
    let temp = temp_beside(path)?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, OWNER_ONLY);
    let file = options.open(&temp).map_err(|e| failed("create", e))?;
    let outcome = restrict(&file)
        .map_err(|e| failed("set the permissions of", e))
        .and_then(|()| {
            drop(file);
            init(&temp)
        })
        .and_then(|()| match fs::hard_link(&temp, path) {
            Ok(()) => sync_dir(path).map(|()| true).map_err(|e| failed("sync the folder of", e)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(failed("create", e)),
        });
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut name = temp.clone().into_os_string();
        name.push(suffix);
        let _ = fs::remove_file(name);
    }
    outcome
}

/// A new name in `path`'s folder, hidden and unlikely to exist.
fn temp_beside(path: &Path) -> Result<PathBuf> {
    let name =
        path.file_name().ok_or_else(|| Error::Storage(format!("{} does not name a file", path.display())))?;
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    let mut temp = std::ffi::OsString::from(".");
    temp.push(name);
    temp.push(format!(".new-{}", data_encoding::HEXLOWER.encode(&nonce)));
    Ok(path.with_file_name(temp))
}

/// Sets owner-only permissions explicitly: the mode given at creation is reduced by the umask,
/// and a umask such as 0277 would otherwise leave the store unwritable by its owner.
fn restrict(file: &fs::File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(OWNER_ONLY))
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        Ok(())
    }
}

/// Makes the new directory entry durable, like the data SQLite already flushed.
fn sync_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// The permission bits of the store file, and whether anyone but its owner may read it or its
/// write-ahead log (which holds the latest writes until a checkpoint).
pub(crate) fn permissions(path: &Path) -> Result<(Option<u32>, bool)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode_of = |p: &Path| fs::metadata(p).map(|m| m.permissions().mode() & 0o7777);
        let mode =
            mode_of(path).map_err(|e| Error::Storage(format!("cannot read {}: {e}", path.display())))?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let wal_mode = mode_of(Path::new(&wal)).ok();
        let others_read = |m: u32| m & 0o044 != 0;
        Ok((Some(mode), others_read(mode) || wal_mode.is_some_and(others_read)))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok((None, false))
    }
}
