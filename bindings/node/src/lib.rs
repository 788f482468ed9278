//! The Node addon: `Core` over [`mfa_core::Core`], with every operation of the core as a
//! camelCase method.
//!
//! Thin by design: arguments are converted (`args`), results become plain objects with `Date`s
//! (`types`), errors become `Error`s with a stable `code` (`error`), and storage calls run on the
//! addon's own threads (`pool`), settling their Promises through one thread-safe function per JS
//! environment (`promise`), so that neither a commit's flush to disk nor a wait for another
//! process's write lock stalls the event loop or libuv's pool. Both sides poll briefly instead of
//! sleeping where that saves a wake-up: the addon's thread between calls made one after another,
//! the JS thread around the time a result is due (`spin`, `awake`, `timer`). All behaviour,
//! including validation, lives in the core. The package's entry point `main.js` adds what
//! belongs in JS: the `MfaError` class with the caller's stack, `RecoveryCodes`,
//! `Symbol.asyncDispose`.

mod args;
mod awake;
mod core;
mod error;
mod key;
mod pool;
mod promise;
mod spin;
mod timer;
mod types;
