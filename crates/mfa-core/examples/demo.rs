//! The whole story on a throwaway store: `cargo run -p mfa-core --example demo`.
//!
//! Creates an org and users, enrolls one (printing the otpauth URI), verifies a code, resets
//! the user's MFA as an admin, shows the new status and the audit trail, and verifies the
//! chain. Pass a path to keep the store: `cargo run -p mfa-core --example demo -- demo.db`
//! (a generated key is printed nowhere, so such a file only reopens in this run).

use mfa_core::{AuditQuery, Core, OpenOptions, Policy, ResetOptions, Role, totp};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = std::env::args().nth(1).map_or_else(|| dir.path().join("demo.db"), Into::into);
    let mut key = [0u8; 32];
    getrandom::fill(&mut key)?;
    let core = Core::open(&path, &key, OpenOptions::default())?;
    println!("store: {} (a fresh random key)", path.display());

    let policy = Policy { mfa_required: true, ..Policy::default() };
    let org = core.create_org("Acme", policy)?;
    let admin = core.create_user(&org.id, "ada@acme.example", Role::Admin)?;
    let bob = core.create_user(&org.id, "bob@acme.example", Role::Member)?;
    println!("org {} with admin {} and member {}", org.name, admin.email, bob.email);
    println!("bob: {}", core.mfa_status(&bob.id)?.state);

    // Bob scans the QR code; his authenticator app now shows codes.
    let enrollment = core.begin_enrollment(&bob.id)?;
    println!("bob scans: {}", enrollment.uri);
    let secret = totp::decode_base32(&enrollment.secret)?;
    let code_now = |offset| totp::code_for_step(&secret, totp::step_at(core.now()) + offset);
    let recovery = core.confirm_enrollment(&bob.id, &code_now(0)?)?;
    println!("bob confirmed and got {} recovery codes (shown once)", recovery.0.len());
    let verified = core.verify(&bob.id, &code_now(1)?)?;
    println!("bob signs in with a code: {}", verified.method.as_str());

    // Bob loses his phone; the admin resets his MFA.
    let options = ResetOptions { reason: Some("lost phone (ticket 4711)".into()), ..Default::default() };
    let receipt = core.reset_mfa(&admin.id, &bob.id, &options)?;
    println!(
        "reset: {} -> {}, enroll before {}, credential_epoch {} (end older sessions), audit seq {:?}",
        receipt.previous_state, receipt.state, receipt.deadline, receipt.credential_epoch, receipt.audit_seq
    );
    let denied = core.reset_mfa(&bob.id, &admin.id, &ResetOptions::default()).unwrap_err();
    println!("bob tries to reset the admin: {} (HTTP {})", denied.code(), denied.http_status());

    println!("audit trail:");
    for e in core.audit_events(&AuditQuery::default())? {
        println!(
            "  #{:<2} {:<20} {:<8} {:<10} {}",
            e.seq,
            e.action,
            e.outcome.as_str(),
            e.code.as_deref().unwrap_or("-"),
            e.reason.as_deref().unwrap_or("")
        );
    }
    let report = core.verify_audit(Some(&core.audit_checkpoint()?))?;
    println!(
        "audit chain: ok={} checked={} first_bad_seq={:?}",
        report.ok, report.checked, report.first_bad_seq
    );
    Ok(())
}
