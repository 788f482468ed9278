//! docs/enrollment.md: enrollment, verification, replay, throttling and recovery codes.

mod common;

use std::sync::{Arc, Barrier};

use common::*;
use mfa_core::{AuditQuery, MfaState, Outcome, Policy, ResetOptions, VerifyMethod};

#[test]
fn s5_begin_enrollment_gives_a_google_authenticator_uri() {
    let core = core();
    let o = org(&core, Policy::default());
    let e = core.begin_enrollment(&o.member.id).unwrap();
    assert_eq!(e.secret.len(), 32, "160 bits in base32");
    assert_eq!(
        e.uri,
        format!(
            "otpauth://totp/Acme:member%40acme.test?secret={}&issuer=Acme&algorithm=SHA1&digits=6&period=30",
            e.secret
        )
    );
    assert!(!format!("{e:?}").contains(&e.secret), "Debug must not show the secret");
    // Calling it again replaces the pending secret: the first one no longer confirms.
    let again = core.begin_enrollment(&o.member.id).unwrap();
    assert_ne!(again.secret, e.secret);
    assert_eq!(
        core.confirm_enrollment(&o.member.id, &code(&core, &e.secret, 0)).unwrap_err().code(),
        "invalid_code"
    );
    assert!(core.confirm_enrollment(&o.member.id, &code(&core, &again.secret, 0)).is_ok());
}

#[test]
fn s5_handle_issuer_overrides_the_org_name() {
    let options = mfa_core::OpenOptions {
        manual_clock: Some(T0),
        issuer: Some("Example IdP".into()),
        ..Default::default()
    };
    let core = mfa_core::Core::open_in_memory(&KEY, options).unwrap();
    let o = org(&core, Policy::default());
    let e = core.begin_enrollment(&o.member.id).unwrap();
    assert!(e.uri.starts_with("otpauth://totp/Example%20IdP:member%40acme.test?"));
    assert!(e.uri.contains("&issuer=Example%20IdP&"));
}

#[test]
fn s5_begin_enrollment_is_conflict_when_enrolled_and_forbidden_when_locked_out() {
    let core = core();
    let o = org(&core, Policy { mfa_required: true, enrollment_window: 60, ..Policy::default() });
    enroll(&core, &o.member.id);
    assert_eq!(core.begin_enrollment(&o.member.id).unwrap_err().code(), "conflict");
    core.set_time(T0 + 60).unwrap();
    assert_eq!(core.mfa_status(&o.other.id).unwrap().state, MfaState::LockedOut);
    assert_eq!(core.begin_enrollment(&o.other.id).unwrap_err().code(), "forbidden");
}

#[test]
fn s5_confirm_needs_a_pending_secret_and_a_valid_code() {
    let core = core();
    let o = org(&core, Policy::default());
    assert_eq!(core.confirm_enrollment(&o.member.id, "123456").unwrap_err().code(), "conflict");
    let e = core.begin_enrollment(&o.member.id).unwrap();
    assert_eq!(
        core.confirm_enrollment(&o.member.id, &wrong_code(&core, &e.secret)).unwrap_err().code(),
        "invalid_code"
    );
    let codes = core.confirm_enrollment(&o.member.id, &code(&core, &e.secret, 0)).unwrap();
    assert_eq!(codes.0.len(), 10);
    assert!(!format!("{codes:?}").contains(&codes.0[0]), "Debug must not show recovery codes");
    let mut unique = codes.0.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 10);
    assert_eq!(core.confirm_enrollment(&o.member.id, "123456").unwrap_err().code(), "conflict");
}

#[test]
fn s5_the_confirming_code_cannot_be_replayed() {
    let core = core();
    let o = org(&core, Policy::default());
    let e = core.begin_enrollment(&o.member.id).unwrap();
    let first = code(&core, &e.secret, 0);
    core.confirm_enrollment(&o.member.id, &first).unwrap();
    assert_eq!(core.verify(&o.member.id, &first).unwrap_err().code(), "invalid_code");
    // The previous step is older than the confirming one: also refused.
    assert_eq!(core.verify(&o.member.id, &code(&core, &e.secret, -1)).unwrap_err().code(), "invalid_code");
    assert!(core.verify(&o.member.id, &code(&core, &e.secret, 1)).is_ok());
}

#[test]
fn s5_verify_accepts_t_minus_1_to_t_plus_1_and_refuses_replays() {
    let core = core();
    let o = org(&core, Policy { max_failed_verifications: 100, ..Policy::default() });
    let (secret, _) = enroll(&core, &o.member.id);
    let user = &o.member.id;
    assert_eq!(core.verify(user, &code(&core, &secret, -2)).unwrap_err().code(), "invalid_code");
    assert_eq!(core.verify(user, &code(&core, &secret, 2)).unwrap_err().code(), "invalid_code");
    let older = code(&core, &secret, -1);
    let now = code(&core, &secret, 0);
    let v = core.verify(user, &now).unwrap();
    assert_eq!((v.method, v.recovery_codes_remaining), (VerifyMethod::Totp, 10));
    // Same code twice, and an older step after a newer one: both refused.
    assert_eq!(core.verify(user, &now).unwrap_err().code(), "invalid_code");
    assert_eq!(core.verify(user, &older).unwrap_err().code(), "invalid_code");
    assert!(core.verify(user, &code(&core, &secret, 1)).is_ok());
    // Even after moving on, the step just used stays spent.
    advance(&core, 30);
    assert_eq!(core.verify(user, &code(&core, &secret, 0)).unwrap_err().code(), "invalid_code");
    advance(&core, 30);
    assert!(core.verify(user, &code(&core, &secret, 0)).is_ok());
}

#[test]
fn s5_codes_are_exactly_six_ascii_digits() {
    let core = core();
    let o = org(&core, Policy { max_failed_verifications: 100, ..Policy::default() });
    let (secret, _) = enroll(&core, &o.member.id);
    let good = code(&core, &secret, 0);
    for bad in [
        format!(" {good}"),
        format!("{good} "),
        format!("{} {}", &good[..3], &good[3..]),
        format!("{good}0"),
        good[..5].to_string(),
        format!("+{}", &good[1..]),
        "abcdef".to_string(),
        String::new(),
        "٠١٢٣٤٥".to_string(),
        "9".repeat(10_000),
    ] {
        assert_eq!(core.verify(&o.member.id, &bad).unwrap_err().code(), "invalid_code", "{bad:?}");
    }
    assert_eq!(core.verify(&o.member.id, &format!("{good}\0")).unwrap_err().code(), "invalid_input");
    assert!(core.verify(&o.member.id, &good).is_ok());
}

#[test]
fn s5_verify_of_a_user_with_nothing_enrolled_is_mfa_not_enabled() {
    let core = core();
    let o = org(&core, Policy::default());
    assert_eq!(core.verify(&o.member.id, "123456").unwrap_err().code(), "mfa_not_enabled");
    core.begin_enrollment(&o.member.id).unwrap();
    assert_eq!(core.verify(&o.member.id, "123456").unwrap_err().code(), "mfa_not_enabled");
    let ghost = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    assert_eq!(core.verify(ghost, "123456").unwrap_err().code(), "not_found");
}

#[test]
fn s5_throttling_refuses_everything_with_a_doubling_retry_after() {
    let core = core();
    let o = org(&core, Policy { max_failed_verifications: 3, ..Policy::default() });
    let (secret, _) = enroll(&core, &o.member.id);
    let user = &o.member.id;
    for _ in 0..3 {
        assert_eq!(core.verify(user, &wrong_code(&core, &secret)).unwrap_err().code(), "invalid_code");
    }
    // Right or wrong, refused for 30 s.
    let err = core.verify(user, &code(&core, &secret, 0)).unwrap_err();
    assert_eq!((err.code(), err.retry_after()), ("rate_limited", Some(30)));
    advance(&core, 10);
    assert_eq!(core.verify(user, &wrong_code(&core, &secret)).unwrap_err().retry_after(), Some(20));
    // After the wait another failure doubles the wait: 60 s, then 120 s.
    advance(&core, 20);
    assert_eq!(core.verify(user, &wrong_code(&core, &secret)).unwrap_err().code(), "invalid_code");
    assert_eq!(core.verify(user, &code(&core, &secret, 0)).unwrap_err().retry_after(), Some(60));
    advance(&core, 60);
    assert_eq!(core.verify(user, &wrong_code(&core, &secret)).unwrap_err().code(), "invalid_code");
    assert_eq!(core.verify(user, "000000").unwrap_err().retry_after(), Some(120));
    // A success after the wait clears it all.
    advance(&core, 120);
    assert!(core.verify(user, &code(&core, &secret, 0)).is_ok());
    assert_eq!(core.verify(user, &wrong_code(&core, &secret)).unwrap_err().code(), "invalid_code");
    advance(&core, 30);
    assert!(core.verify(user, &code(&core, &secret, 0)).is_ok());

    let denied = core
        .audit_events(&AuditQuery {
            action: Some("mfa.verify".into()),
            limit: Some(1000),
            ..Default::default()
        })
        .unwrap();
    assert!(denied.iter().any(|e| e.outcome == Outcome::Denied && e.code.as_deref() == Some("rate_limited")));
    assert!(
        denied.iter().any(|e| e.outcome == Outcome::Failure && e.code.as_deref() == Some("invalid_code"))
    );
}

#[test]
fn s5_the_failure_counter_survives_the_failing_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let (user, secret) = {
        let core = core_at(&path);
        let o = org(&core, Policy { max_failed_verifications: 2, ..Policy::default() });
        let (secret, _) = enroll(&core, &o.member.id);
        core.set_time(T0 + 600).unwrap();
        for _ in 0..2 {
            assert_eq!(
                core.verify(&o.member.id, &wrong_code(&core, &secret)).unwrap_err().code(),
                "invalid_code"
            );
        }
        (o.member.id, secret)
    };
    // A new handle (a new process, say) sees the committed failures.
    let core = core_at(&path);
    core.set_time(T0 + 600).unwrap();
    let err = core.verify(&user, &code(&core, &secret, 0)).unwrap_err();
    assert_eq!((err.code(), err.retry_after()), ("rate_limited", Some(30)));
}

#[test]
fn s5_two_threads_spending_one_code_exactly_one_wins() {
    for round in 0..10 {
        let core = Arc::new(core());
        let o = org(&core, Policy::default());
        let (secret, codes) = enroll(&core, &o.member.id);
        let (totp, recovery) = (code(&core, &secret, 0), codes.0[round % 10].clone());
        for spent in [totp, recovery] {
            let barrier = Arc::new(Barrier::new(2));
            let wins: usize = (0..2)
                .map(|_| {
                    let (core, barrier, user, spent) =
                        (core.clone(), barrier.clone(), o.member.id.clone(), spent.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        core.verify(&user, &spent).is_ok() as usize
                    })
                })
                .collect::<Vec<_>>()
                .into_iter()
                .map(|h| h.join().unwrap())
                .sum();
            assert_eq!(wins, 1, "round {round}");
        }
    }
}

#[test]
fn s5_recovery_codes_are_single_use_and_regeneration_replaces_them() {
    let core = core();
    let o = org(&core, Policy::default());
    let (secret, codes) = enroll(&core, &o.member.id);
    let user = &o.member.id;
    let v = core.verify(user, &codes.0[0]).unwrap();
    assert_eq!((v.method, v.recovery_codes_remaining), (VerifyMethod::RecoveryCode, 9));
    assert_eq!(core.verify(user, &codes.0[0]).unwrap_err().code(), "invalid_code");
    // Case and the hyphen do not matter.
    assert!(core.verify(user, &codes.0[1].to_uppercase().replace('-', "")).is_ok());
    assert_eq!(core.mfa_status(user).unwrap().recovery_codes_remaining, 8);

    // Regeneration needs a current TOTP code (not a recovery code) ...
    assert_eq!(core.regenerate_recovery_codes(user, &codes.0[2]).unwrap_err().code(), "invalid_code");
    let fresh = core.regenerate_recovery_codes(user, &code(&core, &secret, 0)).unwrap();
    assert_eq!(fresh.0.len(), 10);
    // ... and every old code stops working.
    assert_eq!(core.verify(user, &codes.0[3]).unwrap_err().code(), "invalid_code");
    assert!(core.verify(user, &fresh.0[9]).is_ok());
    let used = core
        .audit_events(&AuditQuery { action: Some("mfa.recovery_code.use".into()), ..Default::default() })
        .unwrap();
    assert_eq!(used.len(), 3);
}

#[test]
fn s5_disabled_users_cannot_verify_or_enroll() {
    let core = core();
    let o = org(&core, Policy::default());
    let (secret, _) = enroll(&core, &o.member.id);
    core.disable_user(&o.admin.id, &o.member.id, None).unwrap();
    assert_eq!(core.verify(&o.member.id, &code(&core, &secret, 0)).unwrap_err().code(), "unauthenticated");
    assert_eq!(core.begin_enrollment(&o.other.id).map(drop), Ok(()));
    core.disable_user(&o.admin.id, &o.other.id, None).unwrap();
    assert_eq!(core.begin_enrollment(&o.other.id).unwrap_err().code(), "unauthenticated");
}

/// Confirmation guesses are counted and throttled like `verify`, so the six digits of a pending
/// secret cannot be brute-forced to obtain the recovery codes.
#[test]
fn s5_wrong_confirmation_codes_are_throttled_like_verify() {
    let core = core();
    let o = org(&core, Policy { max_failed_verifications: 3, ..Policy::default() });
    let user = &o.member.id;
    let secret = core.begin_enrollment(user).unwrap().secret.clone();
    for _ in 0..3 {
        let err = core.confirm_enrollment(user, &wrong_code(&core, &secret)).unwrap_err();
        assert_eq!(err.code(), "invalid_code");
    }
    // Right or wrong, refused for 30 s; refusals during the wait are not counted.
    let err = core.confirm_enrollment(user, &code(&core, &secret, 0)).unwrap_err();
    assert_eq!((err.code(), err.retry_after()), ("rate_limited", Some(30)));
    advance(&core, 10);
    let err = core.confirm_enrollment(user, &wrong_code(&core, &secret)).unwrap_err();
    assert_eq!((err.code(), err.retry_after()), ("rate_limited", Some(20)));
    // After the wait, one more failure doubles it (60 s, not more: the refusals did not count).
    advance(&core, 20);
    assert_eq!(core.confirm_enrollment(user, "abcdef").unwrap_err().code(), "invalid_code");
    let err = core.confirm_enrollment(user, &code(&core, &secret, 0)).unwrap_err();
    assert_eq!((err.code(), err.retry_after()), ("rate_limited", Some(60)));
    assert_eq!(core.mfa_status(user).unwrap().state, MfaState::NotEnrolled);
    // After that wait the right code confirms, and the counter starts over.
    advance(&core, 60);
    assert_eq!(core.confirm_enrollment(user, &code(&core, &secret, 0)).unwrap().0.len(), 10);
    advance(&core, 30);
    for _ in 0..2 {
        assert_eq!(core.verify(user, &wrong_code(&core, &secret)).unwrap_err().code(), "invalid_code");
    }
    assert!(core.verify(user, &code(&core, &secret, 0)).is_ok());

    let confirms = core
        .audit_events(&AuditQuery {
            action: Some("mfa.enroll.confirm".into()),
            limit: Some(100),
            ..Default::default()
        })
        .unwrap();
    let outcomes: Vec<(Outcome, Option<&str>)> =
        confirms.iter().map(|e| (e.outcome, e.code.as_deref())).collect();
    let failure = (Outcome::Failure, Some("invalid_code"));
    let throttled = (Outcome::Denied, Some("rate_limited"));
    assert_eq!(
        outcomes,
        [failure, failure, failure, throttled, throttled, failure, throttled, (Outcome::Success, None)]
    );
}

/// One counter of consecutive failures per user: failed confirmations and failed sign-ins add
/// up, and starting enrollment again does not clear it.
#[test]
fn s5_confirmation_and_verify_share_one_failure_counter() {
    let core = core();
    let o = org(&core, Policy { max_failed_verifications: 3, ..Policy::default() });
    let user = &o.member.id;
    let first = core.begin_enrollment(user).unwrap().secret.clone();
    for _ in 0..2 {
        assert_eq!(
            core.confirm_enrollment(user, &wrong_code(&core, &first)).unwrap_err().code(),
            "invalid_code"
        );
    }
    let second = core.begin_enrollment(user).unwrap().secret.clone();
    assert_eq!(
        core.confirm_enrollment(user, &wrong_code(&core, &second)).unwrap_err().code(),
        "invalid_code"
    );
    let err = core.confirm_enrollment(user, &code(&core, &second, 0)).unwrap_err();
    assert_eq!((err.code(), err.retry_after()), ("rate_limited", Some(30)));

    // A reset clears the counter (as it does for sign-in).
    advance(&core, 30);
    core.confirm_enrollment(user, &code(&core, &second, 0)).unwrap();
    advance(&core, 30);
    for _ in 0..2 {
        assert_eq!(core.verify(user, &wrong_code(&core, &second)).unwrap_err().code(), "invalid_code");
    }
    core.reset_mfa(&o.admin.id, user, &ResetOptions::default()).unwrap();
    let third = core.begin_enrollment(user).unwrap().secret.clone();
    for _ in 0..2 {
        assert_eq!(
            core.confirm_enrollment(user, &wrong_code(&core, &third)).unwrap_err().code(),
            "invalid_code"
        );
    }
    assert!(core.confirm_enrollment(user, &code(&core, &third, 0)).is_ok());
}

#[test]
fn s2_max_failed_verifications_is_1_to_100() {
    let core = core();
    for (n, ok) in [(0, false), (1, true), (100, true), (101, false), (1_000, false), (u32::MAX, false)] {
        let result = core.create_org("Acme", Policy { max_failed_verifications: n, ..Policy::default() });
        assert_eq!(result.as_ref().map(|o| o.policy.max_failed_verifications).ok(), ok.then_some(n), "{n}");
        if !ok {
            assert_eq!(result.unwrap_err().code(), "invalid_input", "{n}");
        }
    }
}
