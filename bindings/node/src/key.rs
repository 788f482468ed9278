//! `loadKey`: the master key from a key file, in the one format every surface reads.

use napi::Env;
use napi::bindgen_prelude::{Buffer, Unknown};
use napi_derive::napi;

use crate::args;
use crate::error::to_napi;

/// `loadKey(path)` in JS: reads the key file at `path` (32 raw bytes, or 64 hex digits with
/// optional whitespace around them) and returns the 32 key bytes for `Core.open`. Synchronous,
/// like `fs.readFileSync`: it reads a few dozen bytes once, at startup. `main.js` wraps it so a
/// refusal throws an `MfaError`, and `dts-header.d.ts` declares it.
#[napi(js_name = "loadKey", skip_typescript, catch_unwind)]
#[cfg_attr(test, allow(dead_code, reason = "napi registers module functions outside of test builds only"))]
pub fn load_key(env: Env, path: Unknown) -> napi::Result<Buffer> {
    let key =
        args::string("path", &path).and_then(mfa_core::key::from_file).map_err(|e| to_napi(&env, &e))?;
    Ok(Buffer::from(key.as_slice()))
}
