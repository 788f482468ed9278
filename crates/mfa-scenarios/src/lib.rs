//! The Rust replay of the cross-language scenarios in `tests/scenarios/` (format:
//! `tests/scenarios/README.md`).
//!
//! The scenario logic (clock, names, secrets, codes, the `enroll` shorthand, relative times and
//! pattern matching) lives in [`run_file`] and [`run_dir`]; the part that differs per surface is
//! a [`Driver`]. [`CoreDriver`] calls [`mfa_core::Core`] directly; the C ABI tests implement a
//! second `Driver` over the `extern "C"` functions and reuse the same runner, so the two
//! surfaces are held to the same files.
//!
//! ```no_run
//! let passed = mfa_scenarios::run_dir(&mfa_scenarios::scenario_dir(), mfa_scenarios::CoreDriver::open)?;
//! println!("{passed} scenarios passed");
//! # Ok::<(), mfa_scenarios::Failures>(())
//! ```

mod codes;
mod core_driver;
mod driver;
mod pattern;
mod runner;

pub use crate::core_driver::CoreDriver;
pub use crate::driver::{Driver, Failure};
pub use crate::runner::{
    Failures, KEY, Mismatch, SECOND_KEY, T0, THIRD_KEY, run_dir, run_file, run_text, scenario_dir,
    scenario_files,
};
