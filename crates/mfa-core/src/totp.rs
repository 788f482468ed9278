//! TOTP (RFC 6238) through totp-rs: SHA-1, 6 digits, 30-second steps, Google Authenticator
//! compatible. This module knows codes and steps; replay and throttling state live with the user.

use std::io::Write;

use data_encoding::BASE32_NOPAD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use subtle::ConstantTimeEq;
pub use totp_rs::Algorithm;
use totp_rs::{Builder, Totp};
use zeroize::Zeroizing;

use crate::crypto::random_array;
use crate::error::{Error, Result};
use crate::model::UnixTime;
use crate::validate;

/// Seconds per time step.
pub const PERIOD: i64 = 30;
/// Digits per code.
pub const DIGITS: u8 = 6;
/// Secret length: 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
/// Shortest secret a code is computed for: 128 bits, the minimum of RFC 4226.
pub const MIN_SECRET_BYTES: usize = 16;

/// A fresh random secret.
pub(crate) fn new_secret() -> Result<Zeroizing<Vec<u8>>> {
    Ok(Zeroizing::new(random_array::<SECRET_BYTES>()?.to_vec()))
}

/// The secret as users type it: RFC 4648 base32 without padding.
pub fn secret_base32(secret: &[u8]) -> String {
    BASE32_NOPAD.encode(secret)
}

/// Decodes a base32 secret (any case, padding optional), as an authenticator app does.
pub fn decode_base32(secret: &str) -> Result<Zeroizing<Vec<u8>>> {
    let cleaned: String = secret.trim_end_matches('=').to_ascii_uppercase();
    BASE32_NOPAD
        .decode(cleaned.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| Error::InvalidInput("secret is not base32".into()))
}

/// Characters escaped in otpauth labels and query values: all but RFC 3986 unreserved.
const URI_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `otpauth://totp/ISSUER:EMAIL?secret=..&issuer=ISSUER&algorithm=SHA1&digits=6&period=30`
pub(crate) fn otpauth_uri(issuer: &str, email: &str, secret_b32: &str) -> String {
    let issuer = utf8_percent_encode(issuer, URI_ESCAPE).to_string();
    let email = utf8_percent_encode(email, URI_ESCAPE);
    format!(
        "otpauth://totp/{issuer}:{email}?secret={secret_b32}&issuer={issuer}\
         &algorithm=SHA1&digits={DIGITS}&period={PERIOD}"
    )
}

/// The time step that contains `at`.
pub fn step_at(at: UnixTime) -> i64 {
    at.div_euclid(PERIOD)
}

/// The RFC 6238 generator for any of its hash modes and digit counts (tests use all three).
/// Errors: `invalid_input` for a secret shorter than [`MIN_SECRET_BYTES`] or digits outside
/// 6 to 8 (the parameters are the caller's, so a refusal is never `internal`).
pub fn generate(algorithm: Algorithm, digits: u8, secret: &[u8], time: u64) -> Result<String> {
    Ok(generator(algorithm, digits, secret)?.generate(time).to_string())
}

/// A generator for one secret, built (and its parameters checked) once for every step it
/// computes.
fn generator(algorithm: Algorithm, digits: u8, secret: &[u8]) -> Result<Totp> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(Error::InvalidInput(format!(
            "secret is {} bits, at least {} needed",
            secret.len() * 8,
            MIN_SECRET_BYTES * 8
        )));
    }
    Builder::new()
        .with_algorithm(algorithm)
        .with_digits(digits)
        .with_step_duration(PERIOD as u64)
        .with_secret(secret.to_vec())
        .build()
        .map_err(|e| Error::InvalidInput(format!("TOTP parameters rejected: {e}")))
}

/// The enrollment-grade code (SHA-1, 6 digits) of one step. Errors: `invalid_input` for a
/// secret shorter than [`MIN_SECRET_BYTES`] or a step outside the accepted clock range
/// (`0 ..= MAX_UNIX_TIME / 30`).
pub fn code_for_step(secret: &[u8], step: i64) -> Result<String> {
    generate(Algorithm::SHA1, DIGITS, secret, step_time(step)?)
}

/// The first second of `step`, if the step is inside the accepted clock range.
fn step_time(step: i64) -> Result<u64> {
    step.checked_mul(PERIOD)
        .filter(|t| (validate::MIN_UNIX_TIME..=validate::MAX_UNIX_TIME).contains(t))
        .map(|t| t as u64)
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "step {step} is outside 0 to {} (1970 to 9999)",
                validate::MAX_UNIX_TIME / PERIOD
            ))
        })
}

/// Which accepted step (t-1, t, t+1 around `now`) a code belongs to, if any. Every candidate
/// is compared in constant time, and all three are always computed, so the time taken does not
/// tell which one matched. One generator serves the three steps, and each expected code is
/// written into a wiped stack buffer rather than a new string.
pub(crate) fn matching_step(secret: &[u8], code: &str, now: UnixTime) -> Result<Option<i64>> {
    let totp = generator(Algorithm::SHA1, DIGITS, secret)?;
    let t = step_at(now);
    let mut found = None;
    // `step_at` divides by 30, so neither neighbour can overflow; steps past the accepted
    // range are skipped like steps before 1970.
    for step in [t - 1, t, t + 1] {
        let Ok(time) = step_time(step) else { continue };
        let mut expected = Zeroizing::new([0u8; DIGITS as usize]);
        write!(&mut expected[..], "{}", totp.generate(time))
            .map_err(|_| Error::Internal("a TOTP code is not six digits".into()))?;
        if bool::from(expected.ct_eq(code.as_bytes())) && found.is_none() {
            found = Some(step);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA1_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc4226_appendix_d_hotp_vectors() {
        // HOTP(K, C) is TOTP at time C * period.
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
            "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            let time = counter as u64 * PERIOD as u64;
            assert_eq!(generate(Algorithm::SHA1, 6, SHA1_SECRET, time).unwrap(), *code);
        }
    }

    #[test]
    fn rfc6238_appendix_b_vectors_in_all_three_modes() {
        let sha256_secret = b"12345678901234567890123456789012";
        let sha512_secret = b"1234567890123456789012345678901234567890123456789012345678901234";
        let table: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (time, sha1, sha256, sha512) in table {
            assert_eq!(generate(Algorithm::SHA1, 8, SHA1_SECRET, time).unwrap(), sha1);
            assert_eq!(generate(Algorithm::SHA256, 8, sha256_secret, time).unwrap(), sha256);
            assert_eq!(generate(Algorithm::SHA512, 8, sha512_secret, time).unwrap(), sha512);
        }
    }

    #[test]
    fn s5_codes_match_steps_t_minus_1_to_t_plus_1_only() {
        let now = 1_700_000_015;
        let t = step_at(now);
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = code_for_step(SHA1_SECRET, t + offset).unwrap();
            let got = matching_step(SHA1_SECRET, &code, now).unwrap();
            assert_eq!(got, accepted.then_some(t + offset), "offset {offset}");
        }
    }

    #[test]
    fn s5_otpauth_uri_has_the_contract_shape() {
        let uri = otpauth_uri("Acme Corp", "a+b@x.example", "JBSWY3DPEHPK3PXP");
        assert_eq!(
            uri,
            "otpauth://totp/Acme%20Corp:a%2Bb%40x.example?secret=JBSWY3DPEHPK3PXP\
             &issuer=Acme%20Corp&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn short_secrets_are_invalid_input_not_internal() {
        // Valid base32 of 0, 1 and 10 bytes: all under the 128-bit minimum.
        for text in ["", "AA", "GEZDGNBVGY3TQOJQ"] {
            let secret = decode_base32(text).unwrap();
            let err = code_for_step(&secret, 1).unwrap_err();
            assert_eq!(err.code(), "invalid_input", "{text:?}");
        }
        assert_eq!(code_for_step(&[7; MIN_SECRET_BYTES], 1).unwrap().len(), 6);
        assert_eq!(generate(Algorithm::SHA1, 9, SHA1_SECRET, 0).unwrap_err().code(), "invalid_input");
    }

    #[test]
    fn steps_outside_the_clock_range_are_invalid_input_not_a_panic() {
        let last = validate::MAX_UNIX_TIME / PERIOD;
        assert!(code_for_step(SHA1_SECRET, last).is_ok());
        for step in [-1, last + 1, i64::MAX / PERIOD + 1, i64::MAX, i64::MIN] {
            assert_eq!(code_for_step(SHA1_SECRET, step).unwrap_err().code(), "invalid_input", "{step}");
        }
        // A clock at the far end still matches its own step and never overflows.
        let now = validate::MAX_UNIX_TIME;
        let code = code_for_step(SHA1_SECRET, step_at(now)).unwrap();
        assert_eq!(matching_step(SHA1_SECRET, &code, now).unwrap(), Some(step_at(now)));
        assert_eq!(matching_step(SHA1_SECRET, "000000", i64::MAX).unwrap(), None);
    }

    #[test]
    fn only_the_six_digits_of_an_accepted_step_match() {
        let now = 1_111_111_109;
        let code = code_for_step(SHA1_SECRET, step_at(now)).unwrap();
        // RFC 6238's SHA-1 vector at this time ends in "081804": a leading zero kept.
        assert_eq!(code, "081804");
        assert_eq!(matching_step(SHA1_SECRET, &code, now).unwrap(), Some(step_at(now)));
        for wrong in ["81804", "0818040", "081805", "", "08180a"] {
            assert_eq!(matching_step(SHA1_SECRET, wrong, now).unwrap(), None, "{wrong:?}");
        }
        let short = [1u8; MIN_SECRET_BYTES - 1];
        assert_eq!(matching_step(&short, &code, now).unwrap_err().code(), "invalid_input");
    }

    #[test]
    fn base32_round_trips() {
        let secret = new_secret().unwrap();
        let text = secret_base32(&secret);
        assert_eq!(text.len(), 32);
        assert_eq!(&*decode_base32(&text.to_lowercase()).unwrap(), &*secret);
    }
}
