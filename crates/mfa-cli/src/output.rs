//! Where results go: text for people, or JSON (`--json`) for scripts, on stdout. Errors and
//! progress go to stderr, so a script's stdout holds only the result.

use std::borrow::Cow;
use std::io::{self, Write};

use mfa_core::{MfaStatus, User};
use serde::Serialize;

/// Stdout, in the mode the operator chose.
pub struct Out {
    pub json: bool,
    w: Box<dyn Write>,
}

impl Out {
    pub fn stdout(json: bool) -> Out {
        Out { json, w: Box::new(io::stdout().lock()) }
    }

    /// Writes one JSON document (pretty-printed: `jq` reads it as well as people do).
    pub fn json<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut self.w, value)?;
        writeln!(self.w)
    }

    /// Writes one JSON object on one line and flushes it (JSON lines), so that a reader sees
    /// each item of a long list or stream as soon as it is known.
    pub fn json_line<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        serde_json::to_writer(&mut self.w, value)?;
        writeln!(self.w)?;
        self.w.flush()
    }
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.w.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// `2026-11-25 06:30:09 UTC` for a Unix time, for people.
pub fn time(unix: i64) -> String {
    let (date, clock) = civil(unix);
    format!("{date} {clock} UTC")
}

/// `2026-11-25T06:30:09Z` (RFC 3339, UTC) for a Unix time, for files other programs read.
pub fn rfc3339(unix: i64) -> String {
    let (date, clock) = civil(unix);
    format!("{date}T{clock}Z")
}

/// The date and the time of day of a Unix time (proleptic Gregorian calendar, UTC).
fn civil(unix: i64) -> (String, String) {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!("{:02}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60),
    )
}

/// Text from outside (emails, org names, reasons, lines of an input file) made safe to print
/// on a terminal: control characters (escape sequences, carriage returns, backspaces) and
/// bidirectional overrides are shown as visible `\u{..}` escapes instead of being obeyed.
pub fn clean(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() || is_bidi_control(c);
    if !text.contains(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Unicode's explicit bidirectional formatting characters, which reorder the text around them.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// One user as a table row.
pub fn user_row(u: &User) -> String {
    // `as_str`: padding applies to strings, not to these types' `Display`.
    format!(
        "{}  {:<30}  {:<6}  {:<8}  epoch {}",
        u.id,
        clean(&u.email),
        u.role.as_str(),
        u.status.as_str(),
        u.credential_epoch
    )
}

/// A user's MFA state in words, with what the host does about it.
pub fn status_lines(s: &MfaStatus) -> String {
    let mut text = format!("state: {}", s.state);
    if let Some(deadline) = s.deadline {
        text.push_str(&format!("\ndeadline: {}", time(deadline)));
    }
    text.push_str(&format!("\ncredential_epoch: {}", s.credential_epoch));
    if s.state == mfa_core::MfaState::Enrolled {
        text.push_str(&format!("\nrecovery codes left: {}", s.recovery_codes_remaining));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::{clean, rfc3339, time};

    #[test]
    fn unix_times_as_utc_dates() {
        let cases = [
            (0, "1970-01-01 00:00:00 UTC"),
            (951_782_400, "2000-02-29 00:00:00 UTC"),
            (1_795_588_209, "2026-11-25 06:30:09 UTC"),
            (-1, "1969-12-31 23:59:59 UTC"),
        ];
        for (unix, want) in cases {
            assert_eq!(time(unix), want);
            let (date, clock) = want.trim_end_matches(" UTC").split_once(' ').unwrap();
            assert_eq!(rfc3339(unix), format!("{date}T{clock}Z"));
        }
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        let cases = [
            ("ada@acme.example", "ada@acme.example"),
            ("\x1b[2J\x1b[31mred", "\\u{1b}[2J\\u{1b}[31mred"),
            ("line\rover", "line\\u{d}over"),
            ("tab\there\n", "tab\\u{9}here\\u{a}"),
            ("bell\x07 del\x7f c1\u{9b}", "bell\\u{7} del\\u{7f} c1\\u{9b}"),
            ("evil\u{202e}txt.exe", "evil\\u{202e}txt.exe"),
            ("café ünïcode 名前", "café ünïcode 名前"),
        ];
        for (input, want) in cases {
            assert_eq!(clean(input), want, "{input:?}");
        }
    }
}
