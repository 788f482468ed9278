//! TOTP: base32 secrets, `code_for_step` and `generate` on any secret, step and digit count,
//! and `verify` on any code text. A code is accepted only when it is the next unspent step's
//! code or an unused recovery code, in its documented spellings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_core::totp::{self, Algorithm};
use mfa_core::{Core, OpenOptions, Policy, Role, VerifyMethod};
use mfa_fuzz::contract;
use mfa_fuzz::input::Input;

fn secrets_and_steps(input: &mut Input) {
    let text = String::from_utf8_lossy(input.bytes(80)).into_owned();
    let step = match input.pick(3) {
        0 => totp::step_at(input.time(mfa_fuzz::T0)),
        1 => i64::from(input.u32()),
        _ => input.i64(),
    };
    let decoded = match totp::decode_base32(&text) {
        Ok(secret) => secret,
        Err(e) => {
            // One fixed message: nothing of the text is quoted.
            assert_eq!(e.to_string(), "invalid input: secret is not base32");
            return;
        }
    };
    // Base32 round-trips, whatever case and padding came in.
    assert_eq!(&*totp::decode_base32(&totp::secret_base32(&decoded)).unwrap(), &*decoded);
    let in_range = (0..=mfa_core::MAX_UNIX_TIME / totp::PERIOD).contains(&step);
    match totp::code_for_step(&decoded, step) {
        Ok(code) => {
            assert!(decoded.len() >= totp::MIN_SECRET_BYTES && in_range, "step {step} accepted");
            assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code:?}");
            let time = (step * totp::PERIOD) as u64;
            assert_eq!(code, totp::generate(Algorithm::SHA1, 6, &decoded, time).unwrap());
        }
        Err(e) => {
            assert_eq!(e.code(), contract::INVALID_INPUT, "{e}");
            assert!(decoded.len() < totp::MIN_SECRET_BYTES || !in_range, "step {step} refused: {e}");
            assert!(text.len() < 8 || !e.to_string().contains(&text), "the secret is echoed: {e}");
        }
    }
}

fn generator(input: &mut Input) {
    let algorithm = [Algorithm::SHA1, Algorithm::SHA256, Algorithm::SHA512][input.pick(3)];
    let digits = input.u8() % 12;
    let secret = input.bytes(80).to_vec();
    let time = input.u64();
    match totp::generate(algorithm, digits, &secret, time) {
        Ok(code) => {
            assert!((6..=8).contains(&digits) && secret.len() >= totp::MIN_SECRET_BYTES);
            assert!(code.len() == digits as usize && code.bytes().all(|b| b.is_ascii_digit()));
        }
        Err(e) => assert_eq!(e.code(), contract::INVALID_INPUT, "{e}"),
    }
}

/// The spellings a recovery code is accepted in: any case, with or without its hyphen.
fn same_recovery_code(given: &str, issued: &str) -> bool {
    let compact = |s: &str| s.to_ascii_lowercase().replace('-', "");
    given.len() <= 11 && compact(given) == compact(issued) && given.matches('-').count() <= 1
}

fn verify_codes(input: &mut Input) {
    let core = Core::open_in_memory(
        &mfa_fuzz::KEY,
        OpenOptions { manual_clock: Some(mfa_fuzz::T0), ..Default::default() },
    )
    .unwrap();
    let org = core.create_org("Acme", Policy::default()).unwrap();
    let user = core.create_user(&org.id, "a@x.test", Role::Member).unwrap();
    let secret = core.begin_enrollment(&user.id).unwrap().secret.clone();
    let key = totp::decode_base32(&secret).unwrap();
    let step = totp::step_at(mfa_fuzz::T0);
    let recovery =
        core.confirm_enrollment(&user.id, &totp::code_for_step(&key, step).unwrap()).unwrap().0.clone();
    let next = totp::code_for_step(&key, step + 1).unwrap();
    for _ in 0..4 {
        let code = match input.pick(4) {
            0 => next.clone(),
            1 => recovery[input.pick(recovery.len())].to_uppercase(),
            _ => String::from_utf8_lossy(input.bytes(24)).into_owned(),
        };
        match core.verify(&user.id, &code) {
            Ok(v) if v.method == VerifyMethod::Totp => {
                assert_eq!(code, next, "a code of a spent or wrong step")
            }
            Ok(_) => {
                assert!(recovery.iter().any(|r| same_recovery_code(&code, r)), "{code:?} as a recovery code")
            }
            Err(e) => {
                contract::check("verify", e.code(), e.message());
                assert!(!e.to_string().contains(&secret));
            }
        }
    }
    assert!(core.verify_audit(None).unwrap().ok);
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    match input.pick(3) {
        0 => secrets_and_steps(&mut input),
        1 => generator(&mut input),
        _ => verify_codes(&mut input),
    }
});
