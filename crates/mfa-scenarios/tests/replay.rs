//! Replays every scenario of `tests/scenarios/` against the Rust API.

use mfa_scenarios::{CoreDriver, run_dir, scenario_dir};

/// Issue 2 asks for at least this many scenarios; fewer means files went missing.
const MIN_SCENARIOS: usize = 25;

#[test]
fn every_scenario_passes_on_the_rust_api() {
    let dir = scenario_dir();
    let passed = run_dir(&dir, CoreDriver::open).unwrap_or_else(|failures| panic!("{failures}"));
    assert!(passed >= MIN_SCENARIOS, "only {passed} scenario files in {}", dir.display());
}
