//! TOTP (RFC 6238) through totp-rs: SHA-1, 6 digits, 30-second steps, Google Authenticator
//! compatible. This module knows codes and steps; replay and throttling state live with the user.

use data_encoding::BASE32_NOPAD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Builder};
use zeroize::Zeroizing;

use crate::crypto::random_array;
use crate::error::{Error, Result};
use crate::model::UnixTime;

/// Seconds per time step.
pub const PERIOD: i64 = 30;
/// Digits per code.
pub const DIGITS: u8 = 6;
/// Secret length: 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;

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
pub fn generate(algorithm: Algorithm, digits: u8, secret: &[u8], time: u64) -> Result<String> {
    let totp = Builder::new()
        .with_algorithm(algorithm)
        .with_digits(digits)
        .with_step_duration(PERIOD as u64)
        .with_secret(secret.to_vec())
        .build()
        .map_err(|e| Error::Internal(format!("TOTP parameters rejected: {e}")))?;
    Ok(totp.generate(time).to_string())
}

/// The enrollment-grade code (SHA-1, 6 digits) of one step.
pub fn code_for_step(secret: &[u8], step: i64) -> Result<String> {
    let time = u64::try_from(step * PERIOD).map_err(|_| Error::InvalidInput("time is before 1970".into()))?;
    generate(Algorithm::SHA1, DIGITS, secret, time)
}

/// Which accepted step (t-1, t, t+1 around `now`) a code belongs to, if any. Every candidate
/// is compared in constant time, and all three are always computed.
pub(crate) fn matching_step(secret: &[u8], code: &str, now: UnixTime) -> Result<Option<i64>> {
    let t = step_at(now);
    let mut found = None;
    for step in [t - 1, t, t + 1] {
        if step < 0 {
            continue;
        }
        let expected = Zeroizing::new(code_for_step(secret, step)?);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) && found.is_none() {
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
    fn base32_round_trips() {
        let secret = new_secret().unwrap();
        let text = secret_base32(&secret);
        assert_eq!(text.len(), 32);
        assert_eq!(&*decode_base32(&text.to_lowercase()).unwrap(), &*secret);
    }
}
