//! The schema's life on a shared database: created once by many hosts starting at once,
//! and every database that is not a store this library can open with this key refused before
//! anything is written.

use std::sync::mpsc;
use std::time::Duration;

use mfa_core::{Core, OpenOptions, Policy, Role, SCHEMA_VERSION};

use crate::fleet::Fleet;
use crate::server::{KEY, Schema};

const STARTING: usize = 6;

/// The tables of a store, as `contents` lists them.
const TABLES: [&str; 6] = ["audit", "meta", "orgs", "recovery_codes", "reset_log", "users"];

fn table_names(schema: &mut Schema) -> Vec<String> {
    schema.contents().into_iter().map(|(table, _)| table).collect()
}

fn open(url: &str, key: &[u8], create_if_missing: bool) -> Result<Core, mfa_core::Error> {
    Core::open(url, key, OpenOptions { create_if_missing, ..Default::default() })
}

/// A store holding an org, users and their audit events.
fn populated(base: &str, tag: &str) -> Schema {
    let schema = Schema::new(base, tag);
    let core = schema.core();
    let org = core.create_org("Acme", Policy::default()).unwrap();
    core.create_user(&org.id, "owner@acme.test", Role::Owner).unwrap();
    core.create_user(&org.id, "member@acme.test", Role::Member).unwrap();
    schema
}

pub fn schema_is_created_once(base: &str) {
    for round in 0..3 {
        let mut schema = Schema::new(base, "created_once");
        let mut fleet = Fleet::spawn(STARTING);
        let opened = fleet.all_flat(&format!("open {} 9 1", schema.url));
        assert_eq!(opened, vec!["ok"; STARTING], "round {round}");
        let creates: Vec<String> = (0..STARTING).map(|i| format!("create_org Org{i}")).collect();
        assert!(fleet.run_flat(&creates).iter().all(|a| a.starts_with("ok ")));

        assert_eq!(table_names(&mut schema), TABLES);
        assert_eq!(schema.number("SELECT count(*) FROM meta WHERE key = 'schema_version'"), 1);
        assert_eq!(schema.number("SELECT count(*) FROM meta WHERE key = 'key_check'"), 1);
        assert_eq!(schema.number("SELECT count(*) FROM meta"), 2);
        let core = schema.core();
        let info = core.info().unwrap();
        assert_eq!((info.schema_version, info.orgs, info.audit_events), (SCHEMA_VERSION, STARTING as u64, 6));
        assert!(info.key_check_ok && core.verify_audit(None).unwrap().ok);
    }
}

pub fn first_key_wins(base: &str) {
    let mut schema = Schema::new(base, "first_key");
    // Half the hosts start with one key, half with another, at once on an empty schema: the
    // first to create the store decides its key, and every host with the other key is refused.
    let mut fleet = Fleet::spawn(STARTING);
    let keys: Vec<u8> = (0..STARTING).map(|i| if i % 2 == 0 { 9 } else { 7 }).collect();
    let commands: Vec<String> = keys.iter().map(|k| format!("open {} {k} 1", schema.url)).collect();
    let opened = fleet.run_flat(&commands);
    let winner = keys[opened.iter().position(|a| a == "ok").expect("one key wins")];
    for (key, answer) in keys.iter().zip(&opened) {
        let expected = if *key == winner { "ok" } else { "err invalid_input" };
        assert_eq!(answer, expected, "{keys:?} {opened:?}");
    }
    assert_eq!(schema.number("SELECT count(*) FROM meta"), 2);
    assert!(open(&schema.url, &[winner; 32], false).is_ok());
    let loser = if winner == 9 { 7 } else { 9 };
    assert_eq!(open(&schema.url, &[loser; 32], false).unwrap_err().code(), "invalid_input");
}

pub fn newer_schema_is_refused(base: &str) {
    let mut schema = populated(base, "newer");
    let newer = SCHEMA_VERSION + 1;
    schema
        .sql(&format!("UPDATE meta SET value = convert_to('{newer}', 'UTF8') WHERE key = 'schema_version'"));
    let before = schema.contents();
    for create in [true, false] {
        let err = open(&schema.url, &KEY, create).unwrap_err();
        assert_eq!(err.code(), "storage", "{err}");
        assert!(err.to_string().contains("newer"), "{err}");
    }
    assert_eq!(schema.contents(), before);
}

pub fn wrong_key_is_refused(base: &str) {
    let mut schema = populated(base, "wrong_key");
    let before = schema.contents();
    for create in [true, false] {
        let err = open(&schema.url, &[7; 32], create).unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{err}");
    }
    assert_eq!(schema.contents(), before);
    assert!(open(&schema.url, &KEY, false).is_ok());
}

pub fn foreign_tables_are_refused(base: &str) {
    // Another application's tables, one of them even named like the store's `meta`.
    let foreign = [
        "CREATE TABLE accounts (id integer PRIMARY KEY, name text); INSERT INTO accounts VALUES (1, 'ann')",
        "CREATE TABLE meta (key text PRIMARY KEY, value text); INSERT INTO meta VALUES ('owner', 'billing')",
        "CREATE TABLE meta (key text PRIMARY KEY, value bytea); \
         INSERT INTO meta VALUES ('schema_version', convert_to('3', 'UTF8'))",
    ];
    for sql in foreign {
        let mut schema = Schema::new(base, "foreign");
        schema.sql(sql);
        let before = schema.contents();
        for create in [true, false] {
            let err = open(&schema.url, &KEY, create).unwrap_err();
            assert_eq!(err.code(), "storage", "{sql}: {err}");
        }
        assert_eq!(schema.contents(), before, "{sql}");
    }
}

pub fn empty_schema_without_create(base: &str) {
    let mut schema = Schema::new(base, "no_create");
    let err = open(&schema.url, &KEY, false).unwrap_err();
    assert_eq!(err.code(), "storage", "{err}");
    assert!(schema.contents().is_empty(), "nothing was created");
}

/// The write lock's keys for the store in `schema`, as the engine takes it (docs/scale-out.md):
/// "mfa-" in ASCII, and the hash of the schema's name.
fn write_lock(schema: &str) -> String {
    format!("{}, hashtext('{schema}')", 0x6d66_612d)
}

/// Stores in two schemas of one database take different write locks: while one store's lock is
/// held (from a plain session, as by a host in the middle of a write), a write to the other goes
/// through, and writes to the held one wait until it is released: also from a host whose
/// `search_path` names a schema that does not exist before the store's.
pub fn other_schemas_do_not_wait(base: &str) {
    let mut held = Schema::new(base, "lock_held");
    let other = Schema::new(base, "lock_other");
    let (held_core, other_core) = (held.core(), other.core());
    let missing = format!("{}_missing", held.name);
    held.sql(&format!("DROP SCHEMA IF EXISTS {missing} CASCADE"));
    let sep = if base.contains('?') { '&' } else { '?' };
    let roundabout = format!("{base}{sep}options=-csearch_path%3D{missing}%2C{}", held.name);
    let roundabout_core = Core::open(&roundabout, &KEY, OpenOptions::default()).unwrap();
    held.sql(&format!("SELECT pg_advisory_lock({})", write_lock(&held.name)));
    let (done, finished) = mpsc::channel();
    let waiting: Vec<_> = [(held_core, "Waits"), (roundabout_core, "Waits too")]
        .into_iter()
        .map(|(core, name)| {
            let done = done.clone();
            std::thread::spawn(move || {
                let created = core.create_org(name, Policy::default()).map(drop);
                done.send(()).unwrap();
                created
            })
        })
        .collect();
    other_core.create_org("Goes on", Policy::default()).unwrap();
    assert!(
        finished.recv_timeout(Duration::from_millis(500)).is_err(),
        "a write to the store whose lock is held went through"
    );
    held.sql(&format!("SELECT pg_advisory_unlock({})", write_lock(&held.name)));
    for writer in waiting {
        writer.join().unwrap().unwrap();
    }
    assert_eq!(held.number("SELECT count(*) FROM orgs"), 2);
    assert_eq!(other_core.info().unwrap().orgs, 1);
}
