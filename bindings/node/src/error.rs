//! Core errors as JS `Error`s: `code` (`MFA_` + the error code), `status` (HTTP),
//! `retryAfter` (rate limited only) and `problem` (the core's RFC 7807 details), so that callers
//! branch on fields and never parse messages. The package's `main.js` turns each into an
//! `MfaError` carrying the caller's stack; `problem` is what it is built from.

use mfa_core::Error;
use napi::bindgen_prelude::{JsObjectValue, JsValue, Object, ToNapiValue, TypeName};
use napi::{Env, JsError, ValueType, sys};

/// The JS `code` of each error code. Exhaustive on purpose: a new core variant must be
/// mapped here before the addon builds.
fn js_code(err: &Error) -> &'static str {
    match err {
        Error::InvalidInput(_) => "MFA_INVALID_INPUT",
        Error::Unauthenticated(_) => "MFA_UNAUTHENTICATED",
        Error::Forbidden(_) => "MFA_FORBIDDEN",
        Error::NotFound(_) => "MFA_NOT_FOUND",
        Error::MfaNotEnabled(_) => "MFA_MFA_NOT_ENABLED",
        Error::Conflict(_) => "MFA_CONFLICT",
        Error::InvalidCode(_) => "MFA_INVALID_CODE",
        Error::RateLimited { .. } => "MFA_RATE_LIMITED",
        Error::Storage(_) => "MFA_STORAGE",
        Error::Internal(_) => "MFA_INTERNAL",
    }
}

/// The JS `Error` object for a core error.
fn error_object<'env>(env: &'env Env, err: &Error) -> napi::Result<Object<'env>> {
    let base = napi::Error::new(js_code(err), err.message());
    let mut object = JsError::from(base).into_unknown(*env).coerce_to_object()?;
    object.set_named_property("status", u32::from(err.http_status()))?;
    if let Some(seconds) = err.retry_after() {
        object.set_named_property("retryAfter", seconds as f64)?;
    }
    object.set_named_property("problem", env.to_js_value(&err.problem_details())?)?;
    Ok(object)
}

/// A core error as a napi error that throws its JS `Error` object (the synchronous `now()`).
pub(crate) fn to_napi(env: &Env, err: &Error) -> napi::Error {
    match error_object(env, err) {
        Ok(object) => napi::Error::from(object.to_unknown()),
        Err(failure) => failure,
    }
}

/// A core error as the JS `Error` a Promise rejects with.
pub(crate) fn error_value(env: &Env, err: &Error) -> napi::Result<sys::napi_value> {
    Ok(error_object(env, err)?.raw())
}

/// A core error as a value, for the per-target outcomes of `resetMfaMany`.
pub struct MfaError(pub(crate) Error);

impl TypeName for MfaError {
    fn type_name() -> &'static str {
        "MfaError"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for MfaError {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let env = Env::from_raw(env);
        let object = error_object(&env, &val.0)?;
        Ok(object.raw())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant, in the order of `Error::CODES` (the table of docs/errors.md).
    fn one_of_each() -> [Error; 10] {
        let m = || String::from("x");
        [
            Error::InvalidInput(m()),
            Error::Unauthenticated(m()),
            Error::Forbidden(m()),
            Error::NotFound(m()),
            Error::MfaNotEnabled(m()),
            Error::Conflict(m()),
            Error::InvalidCode(m()),
            Error::RateLimited { message: m(), retry_after: 1 },
            Error::Storage(m()),
            Error::Internal(m()),
        ]
    }

    /// `internal` cannot be provoked from JS without a bug, so its code is checked here too.
    #[test]
    fn every_js_code_is_mfa_and_the_upper_case_contract_code() {
        for (err, code) in one_of_each().iter().zip(Error::CODES) {
            assert_eq!(err.code(), code);
            assert_eq!(js_code(err), format!("MFA_{}", code.to_uppercase()));
        }
    }
}
