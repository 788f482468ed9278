//! The Node addon: `Core` over [`mfa_core::Core`], with every operation of the contract as a
//! camelCase method.
//!
//! Thin by design: arguments are converted (`args`), results become plain objects with `Date`s
//! (`types`), errors become `Error`s with a stable `code` (`error`), and storage calls run on the
//! libuv pool (`task`) so that a `synchronous=FULL` commit never stalls the event loop. All
//! behaviour, including validation, lives in the core.

mod args;
mod core;
mod error;
mod task;
mod types;
