//! Durations on the command line: `90`, `90s`, `15m`, `12h`, `7d`. The core checks the range
//! (1 s to 365 days); this only reads the syntax.

/// Seconds in a duration written as a number with an optional unit.
pub fn parse(text: &str) -> Result<u64, String> {
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?} is not a duration like 90s, 15m, 12h or 7d")),
    };
    let n: u64 =
        digits.parse().map_err(|_| format!("{text:?} is not a duration like 90s, 15m, 12h or 7d"))?;
    n.checked_mul(scale).ok_or_else(|| format!("{text:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn units_and_bad_input() {
        let cases =
            [("90", Ok(90)), ("90s", Ok(90)), ("15m", Ok(900)), ("12h", Ok(43_200)), ("7d", Ok(604_800))];
        for (text, want) in cases {
            assert_eq!(parse(text), want, "{text}");
        }
        for bad in ["", "d", "7w", "-1d", "1.5h", " 7d", "7 d", "99999999999999999999d"] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(parse("999999999999999999d").unwrap_err().contains("too long"));
    }
}
