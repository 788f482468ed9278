//! C ABI for mfa-core (under construction).
