//! A server restart under load: the calls in flight fail with `storage` and nothing else,
//! every call that returned success is in the database afterwards (also after a crash: a call
//! returns only once its commit is durable), and each handle reconnects by itself; a pool's
//! idle connections, all ended by the restart, fail no later call.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use mfa_core::{Core, OpenOptions, Outcome, Policy, Role};

use crate::fleet::Fleet;
use crate::server::{KEY, Schema};

const CHILDREN: usize = 3;
/// Successes each child must make before a restart, and again after it.
const PROGRESS: usize = 5;
/// Lines a child may write after a restart without meeting its failure (its lines written
/// before the restart are still in the pipe); past this, the restart went unnoticed.
const UNNOTICED: usize = 50_000;

/// What one child reported.
#[derive(Default)]
struct Log {
    created: BTreeMap<String, String>,
    refused: BTreeSet<String>,
    failures: usize,
}

/// Reads a child's lines until `until` says stop; every line must be a success or a
/// `storage` failure.
fn follow(fleet: &mut Fleet, i: usize, log: &mut Log, mut until: impl FnMut(&str) -> bool) {
    for _ in 0..UNNOTICED {
        let line = fleet.child(i).recv();
        let words: Vec<&str> = line.split(' ').collect();
        match words[..] {
            ["ok", email, id] => {
                log.created.insert(email.to_string(), id.to_string());
            }
            ["err", "storage", email] => {
                log.refused.insert(email.to_string());
                log.failures += 1;
            }
            ["read-err", "storage"] => log.failures += 1,
            ["done", _] => {}
            _ => panic!("child {i}: {line} (only success or `storage` is allowed)"),
        }
        if until(&line) {
            return;
        }
    }
    panic!("child {i} never met the restart");
}

/// Waits until child `i` has failed once (if `fail_first`) and then succeeded `PROGRESS` times.
fn recovers(fleet: &mut Fleet, i: usize, log: &mut Log, fail_first: bool) {
    let (mut failed, mut ok) = (!fail_first, 0);
    follow(fleet, i, log, |line| {
        failed |= !line.starts_with("ok ");
        ok += usize::from(failed && line.starts_with("ok "));
        ok >= PROGRESS
    });
}

/// The script that runs the tests' server.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/postgres.sh");

/// Runs `scripts/postgres.sh command` (`stop`, `crash`, `start`).
fn server(command: &str) {
    let out = Command::new(SCRIPT).arg(command).output().expect("run scripts/postgres.sh");
    assert!(out.status.success(), "postgres.sh {command}: {}", String::from_utf8_lossy(&out.stderr));
}

pub fn restart_under_load(base: &str) {
    let own = Command::new(SCRIPT).arg("url").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&own.stdout).trim(),
        base,
        "this case restarts the server of scripts/postgres.sh: MFA_CORE_TEST_PG must be its URL"
    );
    let mut schema = Schema::new(base, "restart");
    let org = {
        let core = schema.core();
        let org = core.create_org("Acme", Policy::default()).unwrap().id;
        core.create_user(&org, "owner@acme.test", Role::Owner).unwrap();
        org
    };
    let dir = tempfile::tempdir().unwrap();
    let stop = dir.path().join("stop");
    let mut fleet = Fleet::open(&schema.url, CHILDREN);
    for i in 0..CHILDREN {
        fleet.child(i).send(&format!("churn {org} c{i} {}", stop.display()));
    }
    let mut logs: Vec<Log> = (0..CHILDREN).map(|_| Log::default()).collect();
    for (i, log) in logs.iter_mut().enumerate() {
        recovers(&mut fleet, i, log, false);
    }
    // A clean stop (sessions terminated), then a crash (no shutdown checkpoint: the start
    // recovers from the write-ahead log), each while every child is calling.
    for stop_how in ["stop", "crash"] {
        let before: Vec<usize> = logs.iter().map(|l| l.failures).collect();
        server(stop_how);
        server("start");
        for (i, log) in logs.iter_mut().enumerate() {
            recovers(&mut fleet, i, log, true);
            assert!(log.failures > before[i], "child {i} met the {stop_how}");
        }
    }
    std::fs::write(&stop, "").unwrap();
    for (i, log) in logs.iter_mut().enumerate() {
        follow(&mut fleet, i, log, |line| line.starts_with("done "));
    }
    drop(fleet);

    // Every success is in the database, with what it returned; every user in the database was
    // either a success or a call that failed with `storage` while committing.
    schema.reconnect();
    let core = schema.core();
    let mut stored: BTreeMap<String, String> = core
        .list_users(&org)
        .unwrap()
        .into_iter()
        .filter(|u| u.role == Role::Member)
        .map(|u| (u.email, u.id))
        .collect();
    for (i, log) in logs.iter().enumerate() {
        for (email, id) in &log.created {
            assert_eq!(stored.remove(email).as_ref(), Some(id), "child {i}: a success of {email} was lost");
        }
        stored.retain(|email, _| !log.refused.contains(email));
    }
    assert!(stored.is_empty(), "users no call created: {stored:?}");
    let report = core.verify_audit(None).unwrap();
    assert!(report.ok, "{report:?}");
    let mut created = 0;
    let mut query = mfa_core::AuditQuery {
        limit: Some(10_000),
        action: Some("user.create".into()),
        ..Default::default()
    };
    loop {
        let page = core.audit_events(&query).unwrap();
        let Some(last) = page.last() else { break };
        query.after_seq = last.seq;
        created += page.iter().filter(|e| e.outcome == Outcome::Success).count();
    }
    assert_eq!(created, core.list_users(&org).unwrap().len(), "one event per user, none lost");
}

/// A handle whose pool holds several idle connections when the server restarts: no call
/// after the restart fails, be it a read or a write. The first read finds its connection ended
/// before it began anything, drops it with the other idle ones (ended too) and goes on with a
/// new connection; the first write does the same with the handle's write connection.
pub fn idle_connections_after_restart(base: &str) {
    let mut schema = Schema::new(base, "idle_pool");
    let url = format!("{}&pool_size=4", schema.url);
    let core = Core::open(&url, &KEY, OpenOptions::default()).unwrap();
    let mut orgs = 0;
    for (stop_how, first_call) in [("stop", "read"), ("crash", "write")] {
        // Four reads at once, held on a table lock until all four wait, fill the pool (writes
        // share one connection: group commit).
        for i in 0..4 {
            core.create_org(&format!("Org{orgs}-{i}"), Policy::default()).unwrap();
        }
        schema.sql("BEGIN; LOCK TABLE orgs IN ACCESS EXCLUSIVE MODE");
        std::thread::scope(|s| {
            for _ in 0..4 {
                let core = &core;
                s.spawn(move || core.list_orgs().unwrap());
            }
            let waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'relation' AND NOT granted";
            for _ in 0..6000 {
                if schema.number(waiting) == 4 {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            assert_eq!(schema.number(waiting), 4, "four connections wait on the table lock");
            schema.sql("COMMIT");
        });
        orgs += 4;
        server(stop_how);
        server("start");
        schema.reconnect();
        let first = match first_call {
            "read" => core.list_orgs().map(|o| assert_eq!(o.len(), orgs)),
            _ => core.create_org("First", Policy::default()).map(|_| orgs += 1),
        };
        first.unwrap_or_else(|e| panic!("the first call ({first_call}) after a {stop_how}: {e}"));
        assert_eq!(core.list_orgs().unwrap().len(), orgs);
    }
}
