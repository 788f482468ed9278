//! Replays every scenario of `tests/scenarios/` through the `extern "C"` functions on a real
//! PostgreSQL server. scripts/test-postgres.sh starts the server, sets `MFA_CORE_TEST_PG` to its
//! URL and `MFA_CORE_TEST_PG_SCHEMAS` to a prefix, and creates the empty schemas `<prefix>_1` to
//! `<prefix>_<N>` (N scenario files) beforehand; scenario n (in file-name order, memory and file
//! scenarios alike) opens schema `<prefix>_<n>`, and its `reopen` steps open it again. The script
//! then checks on the server that every one of those schemas holds a store.

mod c_driver;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use c_driver::CDriver;
use mfa_scenarios::{run_dir, scenario_dir};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} must be set (scripts/test-postgres.sh sets it)"))
}

#[test]
fn every_scenario_passes_through_the_c_abi_on_postgres() {
    let url = env("MFA_CORE_TEST_PG");
    let prefix = env("MFA_CORE_TEST_PG_SCHEMAS");
    let sep = if url.contains('?') { '&' } else { '?' };
    let mut n = 0;
    // A file scenario's store file, to its schema: a `reopen` (the same path again) opens it.
    let mut schemas: HashMap<PathBuf, String> = HashMap::new();
    let passed = run_dir(&scenario_dir(), |store: Option<&Path>, key: &[u8], t0| {
        let reopened = store.and_then(|path| schemas.get(path)).cloned();
        let location = reopened.unwrap_or_else(|| {
            n += 1;
            let location = format!("{url}{sep}options=-csearch_path%3D{prefix}_{n}");
            if let Some(path) = store {
                schemas.insert(path.to_path_buf(), location.clone());
            }
            location
        });
        CDriver::open(&location, key, t0)
    })
    .unwrap_or_else(|failures| panic!("{failures}"));
    assert_eq!(passed, n, "each scenario opened its own schema");
    assert!(passed >= 25, "only {passed} scenarios ran");
}
