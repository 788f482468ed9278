//! The one error type of every surface (docs/errors.md).
//!
//! Each variant is one error code. Bindings match this enum exhaustively, so adding a variant
//! breaks their builds until it is mapped. Messages name the bad input but never a secret, code
//! or key.

use serde_json::json;

/// Every failure mfa-core reports, one variant per error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Malformed id, bad option, NUL byte, wrong key length or wrong key. HTTP 400.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The actor is missing or disabled. HTTP 401.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// The actor's role may not do this, or a required proof is missing or wrong. HTTP 403.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// No such user or org, or not in the actor's org (indistinguishable on purpose). HTTP 404.
    #[error("not found: {0}")]
    NotFound(String),
    /// Reset or verify of a user with nothing enrolled. HTTP 400.
    #[error("mfa not enabled: {0}")]
    MfaNotEnabled(String),
    /// Duplicate email, already enrolled, no pending enrollment, last owner. HTTP 409.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Wrong, expired or replayed code. HTTP 401.
    #[error("invalid code: {0}")]
    InvalidCode(String),
    /// Reset limit or failed-verification limit reached; try again in `retry_after` seconds.
    /// HTTP 429.
    #[error("rate limited: {message} (retry after {retry_after} s)")]
    RateLimited { message: String, retry_after: u64 },
    /// SQLite busy past the timeout, I/O error, full disk, corrupt or newer file, or a row that
    /// does not match its MAC ("tampered": changed without the key). HTTP 503.
    #[error("storage: {0}")]
    Storage(String),
    /// A bug, including a caught panic. HTTP 500.
    #[error("internal: {0}")]
    Internal(String),
}

/// The problem-details `detail` of every `storage` error (see [`Error::problem_details`]).
pub const STORAGE_DETAIL: &str = "The identity store is unavailable or failed to save; try again later.";

/// The problem-details `detail` of every `internal` error (see [`Error::problem_details`]).
pub const INTERNAL_DETAIL: &str = "An internal error occurred in the identity core.";

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The error code, e.g. `"forbidden"`: stable, for programs to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput(_) => "invalid_input",
            Error::Unauthenticated(_) => "unauthenticated",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "not_found",
            Error::MfaNotEnabled(_) => "mfa_not_enabled",
            Error::Conflict(_) => "conflict",
            Error::InvalidCode(_) => "invalid_code",
            Error::RateLimited { .. } => "rate_limited",
            Error::Storage(_) => "storage",
            Error::Internal(_) => "internal",
        }
    }

    /// The HTTP status an HTTP host should answer with (docs/errors.md).
    pub fn http_status(&self) -> u16 {
        match self {
            Error::InvalidInput(_) | Error::MfaNotEnabled(_) => 400,
            Error::Unauthenticated(_) | Error::InvalidCode(_) => 401,
            Error::Forbidden(_) => 403,
            Error::NotFound(_) => 404,
            Error::Conflict(_) => 409,
            Error::RateLimited { .. } => 429,
            Error::Internal(_) => 500,
            Error::Storage(_) => 503,
        }
    }

    /// A short human title for the code, used as the RFC 7807 `title`.
    pub fn title(&self) -> &'static str {
        match self {
            Error::InvalidInput(_) => "Invalid input",
            Error::Unauthenticated(_) => "Unauthenticated",
            Error::Forbidden(_) => "Forbidden",
            Error::NotFound(_) => "Not found",
            Error::MfaNotEnabled(_) => "MFA not enabled",
            Error::Conflict(_) => "Conflict",
            Error::InvalidCode(_) => "Invalid code",
            Error::RateLimited { .. } => "Rate limited",
            Error::Storage(_) => "Storage unavailable",
            Error::Internal(_) => "Internal error",
        }
    }

    /// Seconds to wait before retrying, for `rate_limited`; `None` for every other code.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Error::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// The detail message alone, without the code prefix of `Display`.
    pub fn message(&self) -> &str {
        match self {
            Error::InvalidInput(m)
            | Error::Unauthenticated(m)
            | Error::Forbidden(m)
            | Error::NotFound(m)
            | Error::MfaNotEnabled(m)
            | Error::Conflict(m)
            | Error::InvalidCode(m)
            | Error::Storage(m)
            | Error::Internal(m)
            | Error::RateLimited { message: m, .. } => m,
        }
    }

    /// RFC 7807 problem details: `type` `urn:mfa-core:error:<code>`, `title`, `status`,
    /// `detail`, plus `code` and, when rate limited, `retry_after`.
    ///
    /// The `detail` of a `storage` or `internal` error is a fixed sentence: their messages name
    /// files, quote SQLite or a caught panic, which is for the host's logs, not for the HTTP
    /// clients problem details are meant for. Every other code's `detail` is its message.
    pub fn problem_details(&self) -> serde_json::Value {
        let detail = match self {
            Error::Storage(_) => STORAGE_DETAIL,
            Error::Internal(_) => INTERNAL_DETAIL,
            _ => self.message(),
        };
        let mut problem = json!({
            "type": format!("urn:mfa-core:error:{}", self.code()),
            "title": self.title(),
            "status": self.http_status(),
            "detail": detail,
            "code": self.code(),
        });
        if let Some(seconds) = self.retry_after() {
            problem["retry_after"] = json!(seconds);
        }
        problem
    }

    /// Every code, in the order of the table of docs/errors.md (for bindings' exhaustive tests).
    pub const CODES: [&'static str; 10] = [
        "invalid_input",
        "unauthenticated",
        "forbidden",
        "not_found",
        "mfa_not_enabled",
        "conflict",
        "invalid_code",
        "rate_limited",
        "storage",
        "internal",
    ];
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        Error::Storage(err.to_string())
    }
}

/// Shorthand constructors keep call sites one line long.
pub(crate) fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidInput(msg.into())
}

pub(crate) fn forbidden(msg: impl Into<String>) -> Error {
    Error::Forbidden(msg.into())
}

pub(crate) fn conflict(msg: impl Into<String>) -> Error {
    Error::Conflict(msg.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s9_every_code_has_its_http_status_and_problem_details() {
        let cases = [
            (Error::InvalidInput("x".into()), 400),
            (Error::Unauthenticated("x".into()), 401),
            (Error::Forbidden("x".into()), 403),
            (Error::NotFound("x".into()), 404),
            (Error::MfaNotEnabled("x".into()), 400),
            (Error::Conflict("x".into()), 409),
            (Error::InvalidCode("x".into()), 401),
            (Error::RateLimited { message: "x".into(), retry_after: 7 }, 429),
            (Error::Storage("x".into()), 503),
            (Error::Internal("x".into()), 500),
        ];
        for ((err, status), code) in cases.iter().zip(Error::CODES) {
            assert_eq!(err.code(), code);
            assert_eq!(err.http_status(), *status);
            let p = err.problem_details();
            assert_eq!(p["type"], format!("urn:mfa-core:error:{code}"));
            assert_eq!(p["status"], *status);
            let detail = match code {
                "storage" => STORAGE_DETAIL,
                "internal" => INTERNAL_DETAIL,
                _ => "x",
            };
            assert_eq!(p["detail"], detail);
            assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()));
        }
        assert_eq!(cases[7].0.problem_details()["retry_after"], 7);
        assert!(cases[0].0.problem_details().get("retry_after").is_none());
    }

    #[test]
    fn storage_problem_details_carry_no_path_or_sqlite_text_but_the_message_does() {
        let err = Error::Storage("cannot read /srv/idp/store.db: disk I/O error".into());
        let detail = err.problem_details()["detail"].as_str().unwrap().to_string();
        assert!(!detail.contains("/srv") && !detail.contains("I/O"), "{detail}");
        assert_eq!(detail, STORAGE_DETAIL);
        assert!(err.to_string().contains("/srv/idp/store.db: disk I/O error"));
        assert!(err.message().contains("/srv/idp/store.db"));

        let err = Error::Internal("a panic was caught: index out of bounds at src/x.rs:3".into());
        assert_eq!(err.problem_details()["detail"], INTERNAL_DETAIL);
        assert!(err.to_string().contains("src/x.rs"));
    }
}
