//! What every fuzz target shares: a reader that turns the fuzzer's bytes into call arguments,
//! the error codes each call documents, and the check that no secret reaches a message.

pub mod contract;
pub mod input;
pub mod secrets;

/// The store key of every target: not a secret worth hiding, but it must never be echoed.
pub const KEY: [u8; 32] = *b"fuzz-key-0123456789abcdefghijklm";

/// A manual clock start on a TOTP step boundary.
pub const T0: i64 = 1_700_000_010;
