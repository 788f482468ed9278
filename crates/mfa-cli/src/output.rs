//! Where results go: text for people, or JSON (`--json`) for scripts, on stdout. Errors and
//! progress go to stderr, so a script's stdout holds only the result.

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
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.w.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// `2026-11-25 06:30:09 UTC` for a Unix time (proleptic Gregorian calendar).
pub fn time(unix: i64) -> String {
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
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// One user as a table row.
pub fn user_row(u: &User) -> String {
    // `as_str`: padding applies to strings, not to these types' `Display`.
    format!(
        "{}  {:<30}  {:<6}  {:<8}  epoch {}",
        u.id,
        u.email,
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
    use super::time;

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
        }
    }
}
