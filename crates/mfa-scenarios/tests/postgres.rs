//! Replays every scenario of `tests/scenarios/` against the Rust API on a real PostgreSQL
//! server: each scenario on a new, empty schema of the database `MFA_CORE_TEST_PG` names
//! (scripts/test-postgres.sh starts the server and sets it); a `reopen` step opens the same
//! schema again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use mfa_scenarios::{CoreDriver, run_dir, scenario_dir};

fn server_url() -> String {
    std::env::var("MFA_CORE_TEST_PG").expect(
        "MFA_CORE_TEST_PG must name a PostgreSQL database (scripts/test-postgres.sh starts a server and sets it)",
    )
}

/// `url` with the connection's search path set to `schema`, as a host would choose a schema.
fn in_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{schema}")
}

#[test]
fn every_scenario_passes_on_postgres() {
    let url = server_url();
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("connect to MFA_CORE_TEST_PG");
    let mut n = 0;
    // A `"store": "file"` scenario's store file, to the schema that stands in for it: a
    // `reopen` (the same path again) opens the same schema.
    let mut schemas: HashMap<PathBuf, String> = HashMap::new();
    let passed = run_dir(&scenario_dir(), |store: Option<&Path>, key: &[u8], now| {
        let reopened = store.and_then(|path| schemas.get(path)).cloned();
        let schema = reopened.unwrap_or_else(|| {
            n += 1;
            let schema = format!("scenario_{}_{n}", std::process::id());
            admin
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"))
                .unwrap();
            if let Some(path) = store {
                schemas.insert(path.to_path_buf(), schema.clone());
            }
            schema
        });
        CoreDriver::open_at(&in_schema(&url, &schema), key, now)
    })
    .unwrap_or_else(|failures| panic!("{failures}"));
    assert!(passed >= 25, "only {passed} scenarios ran");
}
