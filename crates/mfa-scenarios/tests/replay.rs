//! Replays every scenario of `tests/scenarios/` against the Rust API.

use mfa_scenarios::{CoreDriver, run_dir, scenario_dir};

#[test]
fn every_scenario_passes_on_the_rust_api() {
    let dir = scenario_dir();
    let passed = run_dir(&dir, CoreDriver::open).unwrap_or_else(|failures| panic!("{failures}"));
    assert!(passed > 0, "no scenario files in {}", dir.display());
}
