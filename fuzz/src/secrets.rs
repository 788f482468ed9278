//! Everything a run has seen that must never appear in an error message, a problem-details
//! document or the audit trail: the store key, TOTP secrets and recovery codes.

/// The secrets issued so far in one run.
#[derive(Default)]
pub struct Secrets {
    known: Vec<String>,
}

impl Secrets {
    pub fn new() -> Self {
        let mut s = Secrets::default();
        s.add(hex(&crate::KEY));
        s.add(String::from_utf8_lossy(&crate::KEY).into_owned());
        s
    }

    /// Remembers a secret (a base32 TOTP secret, a recovery code).
    pub fn add(&mut self, secret: String) {
        if !secret.is_empty() {
            self.known.push(secret);
        }
    }

    pub fn add_totp_secret(&mut self, base32: &str) {
        self.add(base32.to_string());
        self.add(base32.to_lowercase());
    }

    /// Panics (a finding) when `text` holds any secret seen so far, in any case. `given` are
    /// the call's own non-secret arguments (ids, emails, names): a message may quote those, so
    /// a secret the caller itself put into one of them is not a leak.
    pub fn check(&self, what: &str, text: &str, given: &[String]) {
        let lower = text.to_lowercase();
        let given: Vec<String> = given.iter().map(|g| g.to_lowercase()).collect();
        for secret in &self.known {
            let secret = secret.to_lowercase();
            if given.iter().any(|g| g.contains(&secret)) {
                continue;
            }
            assert!(!lower.contains(&secret), "{what} holds a secret: {text:?}");
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
