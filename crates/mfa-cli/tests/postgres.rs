//! mfa-admin on a real PostgreSQL server (scripts/test-postgres.sh starts one and sets
//! MFA_CORE_TEST_PG): every command works with `--db URL`, the URL's password shows nowhere,
//! and `migrate` copies a store from a file into a database and from a database into a file,
//! refusing a destination with data and a wrong key before anything is written. Each test
//! works in schemas of its own.

mod common;

use common::*;

const PASSWORD: &str = "s3cret-pw";

fn server_url() -> String {
    std::env::var("MFA_CORE_TEST_PG").expect(
        "MFA_CORE_TEST_PG must name a PostgreSQL database (scripts/test-postgres.sh starts a server and sets it)",
    )
}

/// A new, empty schema; the URL of the database with the connection's search path set to it
/// and a password added to its user part (the test server trusts local connections, so the
/// password is sent nowhere, but the tool holds it like any other).
fn schema(name: &str) -> (String, postgres::Client) {
    let url = server_url();
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("connect to MFA_CORE_TEST_PG");
    let schema = format!("cli_{name}_{}", std::process::id());
    admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")).unwrap();
    let (scheme, rest) = url.split_once("://").unwrap();
    let (user, rest) = rest.split_once('@').expect("MFA_CORE_TEST_PG names its user");
    let sep = if rest.contains('?') { '&' } else { '?' };
    (format!("{scheme}://{user}:{PASSWORD}@{rest}{sep}options=-csearch_path%3D{schema}"), admin)
}

/// Tables in `schema`'s schema (the part of the search path the URL names).
fn tables(admin: &mut postgres::Client, url: &str) -> i64 {
    let schema = url.rsplit("search_path%3D").next().unwrap();
    let row = admin
        .query_one("SELECT count(*) FROM information_schema.tables WHERE table_schema = $1", &[&schema])
        .unwrap();
    row.get(0)
}

/// A store on the server: `db` holds the URL.
fn on_server(url: &str) -> Store {
    Store { dir: tempfile::tempdir().unwrap(), db: url.into() }
}

#[test]
fn every_command_runs_on_postgresql_and_the_password_never_shows() {
    let (url, mut admin) = schema("commands");
    let store = on_server(&url);
    let created = store.ok(&["init"]);
    assert!(created.contains("created store postgresql://postgres:***@"), "{created}");
    assert_eq!(tables(&mut admin, &url), 6);
    let again = store.fails(&["init"], 15);
    assert!(again.contains("already holds an mfa-core store"), "{again}");

    let told = story(&store);
    let text = store.ok(&["info"]);
    assert!(
        text.contains("engine: PostgreSQL") && text.contains("store: postgresql://postgres:***@"),
        "{text}"
    );
    assert!(!text.contains("permissions") && !text.contains("file size"), "{text}");
    let info = store.json(&["info"]);
    assert_eq!((info["engine"].as_str(), info["orgs"].as_u64()), (Some("postgresql"), Some(1)));
    assert_eq!(store.json(&["audit", "verify"])["report"]["ok"], true);
    store.ok(&["user", "rename", "--actor", &told.acme.owner, &told.acme.member, "m2@acme.example"]);
    let refused = store.fails(&["backup", "copy.db"], 10);
    assert!(refused.contains("pg_dump"), "{refused}");

    // The trail records who typed each command, and nothing of the URL.
    let export = store.ok(&["audit", "export", "--format", "jsonl"]);
    assert!(export.contains("\"via\":{\"os_user\""), "{export}");

    // The key rotates on the server too; the store then opens with the new key only.
    let new_key = "22".repeat(32);
    let rotated = store.cmd(&["key", "rotate", "--new-key-file", "-"]).write_stdin(new_key.clone()).unwrap();
    let rotated = String::from_utf8(rotated.stdout).unwrap();
    assert_eq!(store.code_of(&["info"], 10), "invalid_input");
    let verified = bare().env("MFA_CORE_KEY", &new_key).args(["--db", &url, "audit", "verify"]).unwrap();
    assert!(String::from_utf8(verified.stdout).unwrap().contains("audit trail intact"));

    let outputs = [created, again, text, info.to_string(), export, refused, rotated];
    for shown in outputs {
        assert!(!shown.contains(PASSWORD), "{shown}");
    }
}

#[test]
fn migrate_copies_a_file_into_postgresql_and_postgresql_into_a_file() {
    // File to PostgreSQL.
    let file = Store::new();
    let told = story(&file);
    let (url, mut admin) = schema("to_pg");
    let out = file.run(&["migrate", "--to", &url]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for shown in [stdout(&out), stderr(&out)] {
        assert!(!shown.contains(PASSWORD), "{shown}");
    }
    assert!(stderr(&out).contains("copy audit events ["), "{}", stderr(&out));
    let pg = on_server(&url);
    assert_eq!(pg.json(&["info"])["engine"], "postgresql");
    check_copy(&file, &pg, &told);

    // A database that now holds a store is refused, and left as it is.
    let before = pg.ok(&["audit", "checkpoint"]);
    let err = file.fails(&["migrate", "--to", &url], 15);
    assert!(err.contains("already holds a store") && !err.contains(PASSWORD), "{err}");
    assert_eq!(pg.ok(&["audit", "checkpoint"]), before);

    // PostgreSQL to a file, from a store whose rows the PostgreSQL engine wrote.
    let (url, _) = schema("from_pg");
    let pg = on_server(&url);
    pg.ok(&["init"]);
    let told = story(&pg);
    let file = Store::uninit();
    let out = pg.run(&["migrate", "--to", file.db.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(file.json(&["info"])["engine"], "sqlite");
    check_copy(&pg, &file, &told);

    // A wrong key is refused before anything is written: the schema stays empty.
    let (url, _) = schema("wrong_key");
    let out = bare()
        .env("MFA_CORE_KEY", "11".repeat(32))
        .args(["migrate", "--from", file.db.to_str().unwrap(), "--to", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    assert_eq!(tables(&mut admin, &url), 0);
}
