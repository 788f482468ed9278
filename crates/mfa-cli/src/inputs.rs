//! File contents to values, with no I/O: every function takes the bytes already read (at most
//! the documented size) and answers for any bytes, never panicking. Errors never quote a key.

use data_encoding::HEXLOWER_PERMISSIVE;
use mfa_core::Error;
use zeroize::Zeroizing;

/// Key length the core requires.
pub const KEY_BYTES: usize = 32;

/// More than any valid key file (64 hex digits with whitespace around them); readers stop here.
pub const MAX_KEY_FILE_BYTES: u64 = 256;

/// Largest targets file: 10,000 emails of the longest kind, with room for comments.
pub const MAX_TARGETS_BYTES: u64 = 16 << 20;

/// A master key, wiped when dropped.
pub type Key = Zeroizing<[u8; KEY_BYTES]>;

/// A key file's contents: 32 raw bytes, or 64 hex digits (any case) with optional surrounding
/// whitespace. `None` for anything else.
pub fn key_file(bytes: &[u8]) -> Option<Key> {
    if let Ok(raw) = <[u8; KEY_BYTES]>::try_from(bytes) {
        return Some(Zeroizing::new(raw));
    }
    std::str::from_utf8(bytes).ok().and_then(key_hex)
}

/// 64 hex digits (any case) with optional surrounding whitespace, as in `MFA_CORE_KEY`.
pub fn key_hex(text: &str) -> Option<Key> {
    let decoded = Zeroizing::new(HEXLOWER_PERMISSIVE.decode(text.trim().as_bytes()).ok()?);
    <[u8; KEY_BYTES]>::try_from(decoded.as_slice()).ok().map(Zeroizing::new)
}

/// A targets file: ids or emails, one a line; surrounding blanks are trimmed, and blank lines
/// and `#` comments skipped. `name` names the source in errors. Errors: `invalid_input` for
/// more than [`MAX_TARGETS_BYTES`] or text that is not UTF-8.
pub fn targets(name: &str, bytes: &[u8]) -> Result<Vec<String>, Error> {
    if bytes.len() as u64 > MAX_TARGETS_BYTES {
        return Err(Error::InvalidInput(format!("{name} is larger than {} MiB", MAX_TARGETS_BYTES >> 20)));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::InvalidInput(format!("cannot read {name}: it is not valid UTF-8 (byte {})", e.valid_up_to()))
    })?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_are_raw_or_hex() {
        assert_eq!(*key_file(&[9; 32]).unwrap(), [9; 32]);
        let hex = format!("  {}\n", "aB".repeat(32));
        assert_eq!(*key_file(hex.as_bytes()).unwrap(), [0xab; 32]);
        for bad in [&b""[..], &[9; 31], &[9; 33], "ab".repeat(31).as_bytes(), b"\xff\xfe"] {
            assert!(key_file(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn targets_skip_blanks_and_comments() {
        let text = b" a@x.test \n\n# note\r\n\tb@x.test\r\n";
        assert_eq!(targets("t", text).unwrap(), ["a@x.test", "b@x.test"]);
        assert_eq!(targets("t", b"\xff\n").unwrap_err().code(), "invalid_input");
    }
}
