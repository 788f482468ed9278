//! File contents to values, with no I/O: every function takes what was already read (at most
//! the documented size) and answers for any contents, never panicking. Errors never quote a
//! key.

use mfa_core::{Error, Role};
use serde::Deserialize;

/// Key length the core requires.
pub const KEY_BYTES: usize = mfa_core::key::KEY_LEN;

/// More than any valid key file (64 hex digits with whitespace around them); readers stop here.
pub const MAX_KEY_FILE_BYTES: u64 = mfa_core::key::MAX_KEY_FILE_BYTES;

/// Largest targets file: 10,000 emails of the longest kind, with room for comments.
pub const MAX_TARGETS_BYTES: u64 = 16 << 20;

/// Largest import file: 16 MiB, some 100,000 users of the longest kind.
pub const MAX_IMPORT_BYTES: u64 = 16 << 20;

/// A master key, wiped when dropped.
pub type Key = mfa_core::key::Key;

/// A key file's contents, as every surface reads them (`mfa_core::key::parse`): 32 raw bytes, or
/// 64 hex digits (any case) with optional surrounding ASCII whitespace. `None` for anything else.
pub fn key_file(bytes: &[u8]) -> Option<Key> {
    mfa_core::key::parse(bytes).ok()
}

/// 64 hex digits (any case) with optional surrounding ASCII whitespace, as in `MFA_CORE_KEY`.
pub fn key_hex(text: &str) -> Option<Key> {
    mfa_core::key::parse_hex(text).ok()
}

/// A targets file: ids or emails, one a line; surrounding blanks are trimmed, and blank lines
/// and `#` comments skipped.
pub fn targets(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from).collect()
}

/// One user to import, as a line of the file gave it.
#[derive(Debug)]
pub struct Entry {
    /// 1-based line number in the file.
    pub line: u64,
    /// The email as written (for the report), empty when the line had none.
    pub email: String,
    /// The role, or why the line cannot be imported before the core sees it.
    pub role: Result<Role, Error>,
}

/// A user import file: CSV or JSON lines; a first non-blank line that starts with `{` means JSON lines. The byte
/// order mark spreadsheets put before a UTF-8 CSV file is not part of the header.
pub fn users(name: &str, text: &str) -> Result<Vec<Entry>, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') { Ok(parse_json_lines(text)) } else { parse_csv(name, text) }
}

/// One JSON-lines entry: exactly these two fields, so that a misspelt one is refused rather
/// than defaulted.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonEntry {
    email: String,
    role: String,
}

fn parse_json_lines(text: &str) -> Vec<Entry> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(at, l)| {
            let line = at as u64 + 1;
            match serde_json::from_str::<JsonEntry>(l) {
                Ok(e) => Entry { line, role: e.role.parse(), email: e.email },
                Err(err) => Entry {
                    line,
                    email: String::new(),
                    role: Err(Error::InvalidInput(format!(
                        "not a JSON object with a string \"email\" and \"role\": {err}"
                    ))),
                },
            }
        })
        .collect()
}

/// CSV (RFC 4180 quoting) whose first line is the header `email,role` (either order).
fn parse_csv(name: &str, text: &str) -> Result<Vec<Entry>, Error> {
    let mut reader =
        csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let bad_header = || {
        Error::InvalidInput(format!(
            "{name}: the first line must be the CSV header email,role (or JSON lines: {{\"email\": ..., \"role\": ...}})"
        ))
    };
    let headers = reader.headers().map_err(|_| bad_header())?.clone();
    let column = |wanted: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(wanted));
    let (Some(email_at), Some(role_at), 2) = (column("email"), column("role"), headers.len()) else {
        return Err(bad_header());
    };
    // Line numbers from byte offsets: the csv reader counts no blank lines, and a record's
    // offset is where the blank lines before it start.
    let line_at = |position: Option<&csv::Position>| {
        let bytes = text.as_bytes();
        let mut at = position.map_or(0, |p| p.byte() as usize).min(bytes.len());
        while at < bytes.len() && matches!(bytes[at], b'\n' | b'\r') {
            at += 1;
        }
        bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64 + 1
    };
    let mut entries = Vec::new();
    for record in reader.records() {
        let entry = match record {
            Ok(r) => {
                let line = line_at(r.position());
                match (r.len(), r.get(email_at), r.get(role_at)) {
                    (2, Some(email), Some(role)) => {
                        Entry { line, email: email.to_string(), role: role.parse() }
                    }
                    (n, ..) => Entry {
                        line,
                        email: r.get(email_at).unwrap_or_default().to_string(),
                        role: Err(Error::InvalidInput(format!("expected 2 fields (email,role), got {n}"))),
                    },
                }
            }
            Err(err) => Entry {
                line: line_at(err.position()),
                email: String::new(),
                role: Err(Error::InvalidInput(format!("not a CSV record: {err}"))),
            },
        };
        entries.push(entry);
    }
    Ok(entries)
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
        let text = " a@x.test \n\n# note\r\n\tb@x.test\r\n";
        assert_eq!(targets(text), ["a@x.test", "b@x.test"]);
    }
}
