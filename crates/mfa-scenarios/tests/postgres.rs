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

/// The same server over TCP with TLS (`scripts/postgres.sh tls-url`): a `verify-full` URL to
/// `localhost` with the test CA.
fn tls_url() -> String {
    std::env::var("MFA_CORE_TEST_PG_TLS")
        .expect("MFA_CORE_TEST_PG_TLS must name the server over TLS (scripts/test-postgres.sh sets it)")
}

/// `url` with its `sslmode` and host replaced, its `sslrootcert` kept or replaced, and a
/// search path to a new schema; the application name tells this connection apart on the server.
fn variant(url: &str, host: &str, sslmode: &str, root: Option<&str>, schema: &str) -> String {
    let (base, query) = url.split_once('?').unwrap();
    let base = base.replacen("@localhost:", &format!("@{host}:"), 1);
    let mut params: Vec<String> = query
        .split('&')
        .filter(|p| !p.starts_with("sslmode=") && !p.starts_with("application_name="))
        .filter(|p| root.is_none() || !p.starts_with("sslrootcert="))
        .map(str::to_string)
        .collect();
    if sslmode != "verify-full" && sslmode != "verify-ca" && root.is_none() {
        params.retain(|p| !p.starts_with("sslrootcert="));
    }
    params.push(format!("sslmode={sslmode}"));
    params.extend(root.map(|r| format!("sslrootcert={r}")));
    params.push(format!("application_name={schema}"));
    params.push(format!("options=-csearch_path%3D{schema}"));
    format!("{base}?{}", params.join("&"))
}

#[test]
fn tls_as_sslmode_asks() {
    let key = [7u8; 32];
    let mut admin = postgres::Client::connect(&server_url(), postgres::NoTls).unwrap();
    let tls = tls_url();
    let ca = tls.split("sslrootcert=").nth(1).unwrap().split('&').next().unwrap().to_string();
    // The server's own certificate is not a CA: a chain to it does not verify.
    let not_a_ca = ca.replace("ca.crt", "server.crt");
    let cases = [
        ("localhost", "verify-full", None, Some(true)),
        ("127.0.0.1", "verify-full", None, None), // the certificate names only localhost
        ("127.0.0.1", "verify-ca", None, Some(true)),
        ("localhost", "verify-full", Some(not_a_ca.as_str()), None),
        ("127.0.0.1", "require", None, Some(true)),
        ("127.0.0.1", "prefer", None, Some(true)),
        ("127.0.0.1", "disable", None, Some(false)),
    ];
    for (i, (host, mode, root, expect_ssl)) in cases.into_iter().enumerate() {
        let schema = format!("tls_{}_{i}", std::process::id());
        admin
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"))
            .unwrap();
        let url = variant(&tls, host, mode, root, &schema);
        let opened = mfa_core::Core::open(&url, &key, mfa_core::OpenOptions::default());
        match (expect_ssl, opened) {
            (Some(ssl), Ok(core)) => {
                core.create_org("Acme", mfa_core::Policy::default()).unwrap();
                let row = admin
                    .query_one(
                        "SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                         WHERE a.application_name = $1",
                        &[&schema],
                    )
                    .unwrap();
                assert_eq!(row.get::<_, Option<bool>>(0), Some(ssl), "{host} {mode}: TLS in use");
            }
            (None, Err(e)) => {
                assert_eq!(e.code(), "storage", "{host} {mode}: {e}");
                assert!(e.to_string().contains("connect"), "{host} {mode}: {e}");
            }
            (expect, got) => panic!("{host} {mode} {root:?}: expected TLS {expect:?}, got {got:?}"),
        }
    }
    // verify-full without a CA file is refused before any connection.
    let no_ca = format!("{}?sslmode=verify-full", tls.split_once('?').unwrap().0);
    let err = mfa_core::Core::open(&no_ca, &key, mfa_core::OpenOptions::default()).unwrap_err();
    assert_eq!(err.code(), "invalid_input", "{err}");
}
