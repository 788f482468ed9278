//! The master key's one file format, read the same way by every surface.
//!
//! A key file holds either the 32 key bytes themselves, or the same bytes as 64 hex digits
//! (upper or lower case) with optional ASCII whitespace around them, such as the trailing newline
//! `mfa-admin init --generate-key` writes. Anything else is `invalid_input`. Keeping the parsing
//! here, once, means a file that opens a store from one language opens it from all of them.
//!
//! Error messages name the file and what is wrong with it, never its bytes.
//!
//! ```no_run
//! use mfa_core::{Core, OpenOptions};
//!
//! let key = mfa_core::key::from_file("/etc/myapp/mfa.key")?;
//! let core = Core::open("/var/lib/myapp/mfa.db", key.as_slice(), OpenOptions::default())?;
//! # Ok::<(), mfa_core::Error>(())
//! ```

use std::fs;
use std::io::{self, Read};
use std::path::Path;

use data_encoding::HEXLOWER_PERMISSIVE;
use zeroize::Zeroizing;

use crate::error::{Error, Result, invalid};

/// Length of the master key in bytes.
pub const KEY_LEN: usize = 32;

/// Longest input [`parse`] and [`from_file`] read: more than any valid key file (64 hex digits
/// with some whitespace around them), so a wrong path never makes them read a whole disk.
pub const MAX_KEY_FILE_BYTES: u64 = 256;

/// The master key; its bytes are wiped when it is dropped.
pub type Key = Zeroizing<[u8; KEY_LEN]>;

const FORMAT: &str = "32 raw bytes or 64 hex digits";

/// Parses the contents of a key file: exactly 32 raw bytes, or 64 hex digits with optional
/// surrounding ASCII whitespace, at most [`MAX_KEY_FILE_BYTES`] in all.
pub fn parse(bytes: &[u8]) -> Result<Key> {
    parse_or(bytes).ok_or_else(|| invalid(format!("a key must be {FORMAT}, got {} bytes", bytes.len())))
}

/// Parses a key given as 64 hex digits with optional surrounding ASCII whitespace, as in an
/// environment variable.
pub fn parse_hex(text: &str) -> Result<Key> {
    from_hex(text.as_bytes()).ok_or_else(|| invalid("a hex key must be 64 hex digits"))
}

/// Reads a key from `reader` (a pipe from a secret manager, say) in the key-file format, reading
/// at most [`MAX_KEY_FILE_BYTES`]. `what` names the source in errors, e.g. `"the key on stdin"`.
pub fn from_reader(reader: impl Read, what: &str) -> Result<Key> {
    let bytes = read_bounded(reader).map_err(|e| invalid(format!("cannot read {what}: {e}")))?;
    parse_or(&bytes).ok_or_else(|| invalid(format!("{what} must be {FORMAT}")))
}

/// Reads the key file at `path`.
///
/// Refuses, on Unix, a file that users other than its owner may read (any group or other read
/// bit), as ssh refuses such a private key: whoever can read the key can open the store. The
/// check is made on the opened file, so the file checked is the file read.
pub fn from_file(path: impl AsRef<Path>) -> Result<Key> {
    let path = path.as_ref();
    let unreadable = |e: io::Error| invalid(format!("cannot read key file {}: {e}", path.display()));
    let file = fs::File::open(path).map_err(unreadable)?;
    check_private(&file, path)?;
    let bytes = read_bounded(file).map_err(unreadable)?;
    parse_or(&bytes).ok_or_else(|| invalid(format!("key file {} must hold {FORMAT}", path.display())))
}

/// Up to one byte more than [`MAX_KEY_FILE_BYTES`], into a buffer sized for all of it up front:
/// a buffer that grew would leave copies of the key behind that are never wiped.
fn read_bounded(reader: impl Read) -> io::Result<Zeroizing<Vec<u8>>> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_KEY_FILE_BYTES as usize + 1));
    reader.take(MAX_KEY_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn check_private(file: &fs::File, path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta =
            file.metadata().map_err(|e| invalid(format!("cannot read key file {}: {e}", path.display())))?;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o044 != 0 {
            return Err(Error::InvalidInput(format!(
                "UNPROTECTED KEY FILE: permissions {mode:04o} for key file {} are too open: other \
                 users can read the key. Run `chmod 600 {}`",
                path.display(),
                path.display()
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = (file, path);
    Ok(())
}

/// The key in `bytes`; `None` also for more than [`MAX_KEY_FILE_BYTES`], which the readers
/// detect by reading one byte more.
fn parse_or(bytes: &[u8]) -> Option<Key> {
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return None;
    }
    if let Ok(raw) = <[u8; KEY_LEN]>::try_from(bytes) {
        return Some(Zeroizing::new(raw));
    }
    from_hex(bytes)
}

fn from_hex(bytes: &[u8]) -> Option<Key> {
    let digits = bytes.trim_ascii();
    if digits.len() != 2 * KEY_LEN {
        return None;
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    HEXLOWER_PERMISSIVE.decode_mut(digits, key.as_mut_slice()).ok()?;
    Some(key)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn raw() -> [u8; 32] {
        std::array::from_fn(|i| i as u8)
    }

    #[test]
    fn raw_and_hex_give_the_same_key() {
        assert_eq!(*parse(&raw()).unwrap(), raw());
        for text in [HEX.to_string(), format!("{HEX}\n"), format!("  {}\r\n", HEX.to_uppercase())] {
            assert_eq!(*parse(text.as_bytes()).unwrap(), raw(), "{text:?}");
        }
        assert_eq!(*parse_hex(HEX).unwrap(), raw());
    }

    #[test]
    fn bad_length_and_non_hex_are_invalid_input_without_the_bytes() {
        let not_hex = format!("{}zz", &HEX[..62]);
        let cases: [&[u8]; 6] =
            [b"", &[7u8; 31], &[7u8; 33], &HEX.as_bytes()[..62], not_hex.as_bytes(), b"\xc3\xa9 secret-ish"];
        for bytes in cases {
            let err = parse(bytes).unwrap_err();
            assert_eq!(err.code(), "invalid_input", "{bytes:?}");
            assert!(!err.to_string().contains("secret-ish") && !err.to_string().contains(&HEX[..62]));
        }
        // Whitespace inside the digits, or unicode whitespace around them, is not the format.
        let split = format!("{} {}", &HEX[..32], &HEX[32..]);
        assert_eq!(parse(split.as_bytes()).unwrap_err().code(), "invalid_input");
        assert_eq!(parse(format!("\u{a0}{HEX}").as_bytes()).unwrap_err().code(), "invalid_input");
        assert_eq!(parse_hex(&HEX[..62]).unwrap_err().code(), "invalid_input");
    }

    #[test]
    fn reads_stop_at_the_bound() {
        let mut long = HEX.as_bytes().to_vec();
        long.extend(std::iter::repeat_n(b' ', MAX_KEY_FILE_BYTES as usize));
        assert_eq!(from_reader(long.as_slice(), "the key").unwrap_err().code(), "invalid_input");
        assert_eq!(*from_reader(format!("{HEX}\n").as_bytes(), "the key").unwrap(), raw());
    }

    fn key_file(contents: &[u8], mode: u32) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(contents).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(file.path(), fs::Permissions::from_mode(mode)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = mode;
        file
    }

    #[test]
    fn files_in_either_format_load_and_open_the_same_store() {
        let from_raw = from_file(key_file(&raw(), 0o600).path()).unwrap();
        let from_hex = from_file(key_file(format!("{HEX}\n").as_bytes(), 0o400).path()).unwrap();
        assert_eq!((*from_raw, *from_hex), (raw(), raw()));
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("mfa.db");
        let org = crate::Core::open(&db, from_raw.as_slice(), crate::OpenOptions::default())
            .unwrap()
            .create_org("Acme", crate::Policy::default())
            .unwrap();
        let again = crate::Core::open(&db, from_hex.as_slice(), crate::OpenOptions::default()).unwrap();
        assert_eq!(again.get_org(&org.id).unwrap().name, "Acme");
        let err = from_file(key_file(b"short", 0o600).path()).unwrap_err();
        assert_eq!(err.code(), "invalid_input");
        assert!(err.to_string().contains("32 raw bytes or 64 hex digits"), "{err}");
        let missing = from_file("/nonexistent/mfa.key").unwrap_err();
        assert_eq!(missing.code(), "invalid_input");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_can_read_is_refused() {
        for mode in [0o644, 0o640, 0o604] {
            let file = key_file(&raw(), mode);
            let err = from_file(file.path()).unwrap_err();
            assert_eq!(err.code(), "invalid_input");
            assert!(err.to_string().contains("UNPROTECTED KEY FILE"), "{err}");
            assert!(err.to_string().contains("chmod 600"), "{err}");
        }
    }
}
