//! Replays every scenario of `tests/scenarios/` through the `extern "C"` functions (the driver
//! is `c_driver`), on a new in-memory store or the scenario's store file.

mod c_driver;

use std::path::Path;

use c_driver::CDriver;
use mfa_scenarios::{Failure, run_dir, scenario_dir};

/// `:memory:` for a memory scenario, else the store file's path.
fn location(store: Option<&Path>) -> Result<&str, Failure> {
    match store {
        None => Ok(":memory:"),
        Some(path) => path.to_str().ok_or_else(|| Failure::harness("the store path is not UTF-8")),
    }
}

#[test]
fn every_scenario_passes_through_the_c_abi() {
    let passed = run_dir(&scenario_dir(), |store: Option<&Path>, key: &[u8], t0| {
        CDriver::open(location(store)?, key, t0)
    })
    .unwrap_or_else(|failures| panic!("{failures}"));
    assert!(passed >= 25, "only {passed} scenarios ran");
}
