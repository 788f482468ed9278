//! Checks on every input from outside, so that bad input becomes `invalid_input` (or, for codes,
//! `invalid_code`) with a message naming what was wrong, never a panic.

use uuid::Uuid;

use crate::error::{Error, Result, invalid};

/// Longest email (docs/concepts.md).
pub const MAX_EMAIL_BYTES: usize = 254;
/// Longest reset or directory reason, in characters (docs/reset.md).
pub const MAX_REASON_CHARS: usize = 1000;
/// Longest org name or issuer, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest enrollment window: 365 days.
pub const MAX_WINDOW_SECONDS: u64 = 365 * 24 * 3600;
/// Most targets in one `reset_mfa_many` call.
pub const MAX_BULK_TARGETS: usize = 10_000;
/// Most events one `audit_events` page returns.
pub const MAX_AUDIT_PAGE: u32 = 10_000;
/// Earliest clock value accepted (manual clocks, `set_time`, TOTP times): the Unix epoch.
pub const MIN_UNIX_TIME: i64 = 0;
/// Latest clock value accepted: 9999-12-31T23:59:59Z. Every time the product computes from a
/// clock value (a TOTP step, a deadline up to [`MAX_WINDOW_SECONDS`] later, a throttle or
/// rate-limit wait) then stays far inside `i64`.
pub const MAX_UNIX_TIME: i64 = 253_402_300_799;
/// Highest audit sequence number: events are numbered from 1 in a signed 64-bit column, so
/// an `after_seq` above this names no position in any trail.
pub const MAX_AUDIT_SEQ: u64 = i64::MAX as u64;

/// A short, printable excerpt of untrusted input for error messages.
pub(crate) fn excerpt(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

fn no_nul(what: &str, s: &str) -> Result<()> {
    if s.contains('\0') {
        return Err(invalid(format!("{what} contains a NUL byte")));
    }
    Ok(())
}

/// Parses an id in any case; returns it as a lowercase hyphenated string.
pub fn id(what: &str, s: &str) -> Result<String> {
    no_nul(what, s)?;
    // `Uuid::parse_str` also accepts braced, URN and simple forms: only the hyphenated form is
    // documented, so insist on its length first.
    match Uuid::try_parse(s) {
        Ok(u) if s.len() == 36 => Ok(u.hyphenated().to_string()),
        _ => Err(invalid(format!("{what} is not a UUID: {:?}", excerpt(s)))),
    }
}

/// Checks an email: 1 to 254 bytes, one `@` with text on both sides, no spaces or controls.
/// Returns it unchanged (case is kept for display; uniqueness ignores case).
pub fn email(s: &str) -> Result<String> {
    no_nul("email", s)?;
    if s.len() > MAX_EMAIL_BYTES {
        return Err(invalid(format!("email is {} bytes, at most {MAX_EMAIL_BYTES} allowed", s.len())));
    }
    let ok = match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if !ok {
        return Err(invalid(format!("email is not an address: {:?}", excerpt(s))));
    }
    Ok(s.to_string())
}

/// The key under which emails are unique: case-insensitive.
pub fn email_key(email: &str) -> String {
    email.to_lowercase()
}

/// Checks an org name or issuer: 1 to 200 characters, no control characters; an issuer also
/// may not hold `:`, which separates it from the account in an otpauth label.
pub fn name(what: &str, s: &str) -> Result<String> {
    no_nul(what, s)?;
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return Err(invalid(format!("{what} is empty")));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(format!("{what} is longer than {MAX_NAME_CHARS} characters")));
    }
    if trimmed.chars().any(|c| c.is_control() || c == ':') {
        return Err(invalid(format!("{what} contains a control character or ':': {:?}", excerpt(trimmed))));
    }
    Ok(trimmed.to_string())
}

/// Longest audit origin field (tool or OS user name), in characters.
pub const MAX_LABEL_CHARS: usize = 64;

/// Checks a short label such as an OS user name: 1 to 64 characters, not blank, no control
/// characters and no bidirectional formatting characters (which can reorder displayed text).
pub fn label(what: &str, s: &str) -> Result<String> {
    if s.trim().is_empty() {
        return Err(invalid(format!("{what} is empty")));
    }
    if s.chars().count() > MAX_LABEL_CHARS {
        return Err(invalid(format!("{what} is longer than {MAX_LABEL_CHARS} characters")));
    }
    if s.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(invalid(format!("{what} contains a control character: {:?}", excerpt(s))));
    }
    Ok(s.to_string())
}

/// Unicode's explicit bidirectional formatting characters (UAX #9).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Checks an optional reason: at most 1,000 characters, no NUL.
pub fn reason(s: Option<&str>) -> Result<Option<String>> {
    let Some(s) = s else { return Ok(None) };
    no_nul("reason", s)?;
    if s.chars().count() > MAX_REASON_CHARS {
        return Err(invalid(format!("reason is longer than {MAX_REASON_CHARS} characters")));
    }
    Ok(Some(s.to_string()))
}

/// Checks an enrollment window: 1 s to 365 days.
pub fn window(seconds: u64) -> Result<u64> {
    if !(1..=MAX_WINDOW_SECONDS).contains(&seconds) {
        return Err(invalid(format!("window must be 1 to {MAX_WINDOW_SECONDS} seconds, got {seconds}")));
    }
    Ok(seconds)
}

/// Checks a clock value: [`MIN_UNIX_TIME`] to [`MAX_UNIX_TIME`] (1970 to the end of 9999).
pub fn unix_time(what: &str, t: i64) -> Result<i64> {
    if !(MIN_UNIX_TIME..=MAX_UNIX_TIME).contains(&t) {
        return Err(invalid(format!(
            "{what} must be {MIN_UNIX_TIME} to {MAX_UNIX_TIME} (Unix seconds), got {t}"
        )));
    }
    Ok(t)
}

/// Checks an audit position: 0 (from the start) to [`MAX_AUDIT_SEQ`].
pub fn after_seq(seq: u64) -> Result<u64> {
    if seq > MAX_AUDIT_SEQ {
        return Err(invalid(format!("after_seq must be 0 to {MAX_AUDIT_SEQ}, got {seq}")));
    }
    Ok(seq)
}

/// The end of a window of `seconds` that opens at `now`. Clock values and windows are bounded,
/// so this cannot overflow for anything the checks above let through; a value that slipped
/// past them (a policy edited in the file) is refused rather than wrapped.
pub fn deadline(now: i64, seconds: u64) -> Result<i64> {
    i64::try_from(seconds)
        .ok()
        .and_then(|s| now.checked_add(s))
        .ok_or_else(|| invalid(format!("a window of {seconds} s from {now} is past the end of time")))
}

/// Checks a code's characters before any comparison. A NUL byte is `invalid_input` (docs/errors.md);
/// anything else that is not a well-formed code is simply a wrong code.
pub fn code_text(what: &str, s: &str) -> Result<()> {
    no_nul(what, s)
}

/// A TOTP code is exactly six ASCII digits: no spaces, no other characters.
pub fn is_totp_shape(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Checks the master key length.
pub fn key(key: &[u8]) -> Result<&[u8; 32]> {
    key.try_into().map_err(|_| Error::InvalidInput(format!("key must be 32 bytes, got {}", key.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_any_case_and_reject_everything_else() {
        let upper = "0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B";
        assert_eq!(id("actor", upper).unwrap(), upper.to_lowercase());
        for bad in [
            "",
            "nope",
            "0190a1b2c3d47e5f8a9b0c1d2e3f4a5b",
            "{0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b}",
            "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5\0",
            " 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        ] {
            assert_eq!(id("actor", bad).unwrap_err().code(), "invalid_input", "{bad:?}");
        }
    }

    #[test]
    fn emails_are_checked() {
        assert!(email("a@b.example").is_ok());
        let long = format!("{}@x.example", "a".repeat(250));
        for bad in ["", "ab", "@b", "a@", "a b@c", "a@b@c", "a\0@b", &long] {
            assert_eq!(email(bad).unwrap_err().code(), "invalid_input", "{bad:?}");
        }
        assert_eq!(email_key("Alice@Example.COM"), "alice@example.com");
    }

    #[test]
    fn totp_codes_are_exactly_six_ascii_digits() {
        assert!(is_totp_shape("012345"));
        for bad in ["12345", "1234567", "12 345", " 12345", "12345a", "١٢٣٤٥٦", "+12345"] {
            assert!(!is_totp_shape(bad), "{bad:?}");
        }
    }

    #[test]
    fn windows_and_keys_are_bounded() {
        assert!(window(1).is_ok() && window(MAX_WINDOW_SECONDS).is_ok());
        assert!(window(0).is_err() && window(MAX_WINDOW_SECONDS + 1).is_err());
        assert!(key(&[0; 32]).is_ok());
        assert_eq!(key(&[0; 31]).unwrap_err().code(), "invalid_input");
    }

    #[test]
    fn clock_values_sequence_numbers_and_deadlines_are_bounded() {
        assert!(unix_time("t", 0).is_ok() && unix_time("t", MAX_UNIX_TIME).is_ok());
        for bad in [-1, MAX_UNIX_TIME + 1, i64::MAX, i64::MIN] {
            assert_eq!(unix_time("t", bad).unwrap_err().code(), "invalid_input", "{bad}");
        }
        assert_eq!(after_seq(MAX_AUDIT_SEQ).unwrap(), MAX_AUDIT_SEQ);
        assert_eq!(after_seq(MAX_AUDIT_SEQ + 1).unwrap_err().code(), "invalid_input");
        assert_eq!(deadline(MAX_UNIX_TIME, MAX_WINDOW_SECONDS).unwrap(), MAX_UNIX_TIME + 31_536_000);
        assert_eq!(deadline(i64::MAX - 10, 11).unwrap_err().code(), "invalid_input");
        assert_eq!(deadline(0, u64::MAX).unwrap_err().code(), "invalid_input");
    }
}
