//! The codes a scenario asks for by name: `{"totp"}`, `{"wrong_totp"}` (README, "Argument
//! values"). Computed with the core's RFC 6238 generator, which has its own RFC vector tests.

use mfa_core::totp::{code_for_step, decode_base32, step_at};

/// The code of `secret` (base32) for the step `offset` steps after the one containing `at`.
pub(crate) fn totp(secret: &str, at: i64, offset: i64) -> Result<String, String> {
    let key = decode_base32(secret).map_err(|e| e.to_string())?;
    let step = step_at(at).checked_add(offset).ok_or_else(|| format!("offset {offset} is out of range"))?;
    code_for_step(&key, step).map_err(|e| e.to_string())
}

/// A six-digit code accepted for none of steps t-1, t, t+1: from (code at t + 1) mod 10^6
/// upwards, the first that differs from all three.
pub(crate) fn wrong_totp(secret: &str, at: i64) -> Result<String, String> {
    let valid = [totp(secret, at, -1)?, totp(secret, at, 0)?, totp(secret, at, 1)?];
    let current: u32 = valid[1].parse().map_err(|_| format!("code {:?} is not digits", valid[1]))?;
    let mut candidate = (current + 1) % 1_000_000;
    loop {
        let code = format!("{candidate:06}");
        if !valid.contains(&code) {
            return Ok(code);
        }
        candidate = (candidate + 1) % 1_000_000;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret ("12345678901234567890") in base32.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn totp_matches_rfc_6238_and_honours_the_offset() {
        assert_eq!(totp(RFC_SECRET, 59, 0).unwrap(), "287082");
        assert_eq!(totp(RFC_SECRET, 1111111109, 0).unwrap(), "081804");
        assert_eq!(totp(RFC_SECRET, 1111111109 - 30, 1).unwrap(), "081804");
    }

    #[test]
    fn wrong_totp_is_none_of_the_three_accepted_codes() {
        for at in [59, 1111111109, 1700000010] {
            let wrong = wrong_totp(RFC_SECRET, at).unwrap();
            assert_eq!(wrong.len(), 6);
            for offset in -1..=1 {
                assert_ne!(wrong, totp(RFC_SECRET, at, offset).unwrap());
            }
        }
    }
}
