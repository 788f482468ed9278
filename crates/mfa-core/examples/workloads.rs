//! The benchmark workloads (docs/benchmarks.md) for the Rust surface, printing one JSON line per run:
//! `cargo run --release -p mfa-core --example workloads -- [--members N] [--resets R] [--verifies V] [--dir D]`
//!
//! `scripts/bench.sh` uses two more modes (see [`compare`]): `--make-fixture DIR N` writes one
//! enrolled store, and `--run floor|rust|rust-threads DIR R V` runs workloads A and B on a copy of
//! it, so that every surface and the bare-SQL floor start from the same file in the same run.
//! `scripts/bench-postgres.sh` uses `--make-pg-fixture`, `--procs` (A and B from several client
//! processes on PostgreSQL or SQLite, see [`processes`]), `--round-trip` and `--lock-model`
//! (see [`lock_model`]).
//!
//! A: reset storm (one call at a time), B: verify storm, C: the reset storm from 8 threads
//! sharing one handle (group commit), then from 4 processes on one file (each a child run of
//! this example with `--child`, timed from the first spawn to the last exit), D:
//! `reset_mfa_many`, E: `verify_audit` throughput. The bare-SQL floor is the `--run floor` mode.
//! The store is a real file in `--dir` (default `target`, which should not be a tmpfs),
//! `synchronous=FULL`. After the runs the chain, the reset targets' states and the event counts
//! are checked; a failed check exits non-zero and prints no figures.

use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "workloads/compare.rs"]
mod compare;
#[path = "workloads/lock_model.rs"]
mod lock_model;
#[path = "workloads/processes.rs"]
mod processes;

use mfa_core::{AuditQuery, Core, MfaState, OpenOptions, Outcome, Policy, ResetOptions, Role, totp};
use serde_json::json;

const T0: i64 = 1_700_000_010;
const ADMINS: usize = 20;
const THREADS: usize = 8;
const PROCESSES: usize = 4;
const KEY: [u8; 32] = [5; 32];

struct Args {
    members: usize,
    resets: usize,
    verifies: usize,
    dir: String,
}

fn args() -> Args {
    let mut a = Args { members: 10_000, resets: 5_000, verifies: 20_000, dir: "target".into() };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    for pair in argv.chunks(2) {
        let value = || pair.get(1).and_then(|v| v.parse().ok()).expect("a number after each flag");
        match pair[0].as_str() {
            "--dir" => a.dir = pair.get(1).expect("a path after --dir").clone(),
            "--members" => a.members = value(),
            "--resets" => a.resets = value(),
            "--verifies" => a.verifies = value(),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(a.resets * 2 <= a.members, "--resets must be at most half of --members");
    a
}

/// One store set up as docs/benchmarks.md says, with every user's secret kept to compute codes.
struct Fixture {
    core: Arc<Core>,
    owner: String,
    admins: Vec<String>,
    members: Vec<String>,
    secrets: std::collections::HashMap<String, Vec<u8>>,
    dir: tempfile::TempDir,
}

fn fixture(members: usize, dir: &str) -> Fixture {
    let dir = tempfile::tempdir_in(dir).unwrap();
    let options = OpenOptions { manual_clock: Some(T0), ..Default::default() };
    let core = Arc::new(Core::open(dir.path().join("bench.db"), &KEY, options).unwrap());
    let (owner, admins, members, secrets) = enroll(&core, members);
    Fixture { core, owner, admins, members, secrets, dir }
}

/// The owner, admins and members of the fixture's one org, with every user's secret.
type Enrolled = (String, Vec<String>, Vec<String>, std::collections::HashMap<String, Vec<u8>>);

/// Fills an empty store (a file or a PostgreSQL database) as docs/benchmarks.md says.
fn enroll(core: &Arc<Core>, members: usize) -> Enrolled {
    let policy = Policy {
        mfa_required: true,
        enrollment_window: 7 * 86_400,
        reset_limit_per_hour: 1_000_000,
        max_failed_verifications: 5,
        require_step_up: false,
    };
    let org = core.create_org("Bench", policy).unwrap().id;
    let mut users = vec![("owner@bench.test".to_string(), Role::Owner)];
    users.extend((0..ADMINS).map(|i| (format!("admin{i}@bench.test"), Role::Admin)));
    users.extend((0..members).map(|i| (format!("m{i}@bench.test"), Role::Member)));
    // Set-up rides on group commit: eight threads enroll disjoint slices.
    let chunks: Vec<Vec<(String, Role)>> =
        users.chunks(users.len().div_ceil(THREADS)).map(<[_]>::to_vec).collect();
    let handles: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let (core, org) = (core.clone(), org.clone());
            std::thread::spawn(move || {
                chunk
                    .into_iter()
                    .map(|(email, role)| {
                        let id = core.create_user(&org, &email, role).unwrap().id;
                        let secret =
                            totp::decode_base32(&core.begin_enrollment(&id).unwrap().secret).unwrap();
                        let code = totp::code_for_step(&secret, totp::step_at(T0)).unwrap();
                        core.confirm_enrollment(&id, &code).unwrap();
                        (id, secret.to_vec())
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let enrolled: Vec<(String, Vec<u8>)> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    let ids: Vec<String> = enrolled.iter().map(|(id, _)| id.clone()).collect();
    (ids[0].clone(), ids[1..=ADMINS].to_vec(), ids[ADMINS + 1..].to_vec(), enrolled.into_iter().collect())
}

/// `{ops_per_s, p50_us, p99_us}` from per-call latencies and the phase's wall time; `null` for
/// a phase of no calls (a run of resets only, say, to profile them).
fn figures(mut latencies: Vec<Duration>, wall: Duration) -> serde_json::Value {
    if latencies.is_empty() {
        return serde_json::Value::Null;
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize].as_micros() as u64;
    json!({
        "ops_per_s": (latencies.len() as f64 / wall.as_secs_f64()).round(),
        "p50_us": pct(0.50),
        "p99_us": pct(0.99),
    })
}

fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

fn reset_storm(f: &Fixture, targets: &[String]) -> serde_json::Value {
    let mut latencies = Vec::with_capacity(targets.len());
    let wall = timed(|| {
        for (i, target) in targets.iter().enumerate() {
            let start = Instant::now();
            f.core.reset_mfa(&f.admins[i % ADMINS], target, &ResetOptions::default()).unwrap();
            latencies.push(start.elapsed());
        }
    });
    figures(latencies, wall)
}

fn threaded_reset_storm(f: &Fixture, targets: &[String]) -> serde_json::Value {
    let slices: Vec<Vec<(usize, String)>> = targets
        .iter()
        .cloned()
        .enumerate()
        .collect::<Vec<_>>()
        .chunks(targets.len().div_ceil(THREADS))
        .map(<[_]>::to_vec)
        .collect();
    let start = Instant::now();
    let handles: Vec<_> = slices
        .into_iter()
        .map(|slice| {
            let (core, admins) = (f.core.clone(), f.admins.clone());
            std::thread::spawn(move || {
                slice
                    .into_iter()
                    .map(|(i, target)| {
                        let t = Instant::now();
                        core.reset_mfa(&admins[i % ADMINS], &target, &ResetOptions::default()).unwrap();
                        t.elapsed()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let latencies: Vec<Duration> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    figures(latencies, start.elapsed())
}

/// Workload C across processes: each child opens the fixture's file and resets its share of
/// `targets` one call at a time, printing its latencies; the figures span all four.
fn process_reset_storm(f: &Fixture, targets: &[String]) -> serde_json::Value {
    let db = f.dir.path().join("bench.db");
    let share = targets.len().div_ceil(PROCESSES);
    let files: Vec<_> = targets
        .chunks(share)
        .enumerate()
        .map(|(k, chunk)| {
            let file = f.dir.path().join(format!("child-{k}.txt"));
            let lines: Vec<String> = chunk
                .iter()
                .enumerate()
                .map(|(i, t)| format!("{} {t}", f.admins[(k * share + i) % ADMINS]))
                .collect();
            std::fs::write(&file, lines.join("\n")).unwrap();
            file
        })
        .collect();
    let exe = std::env::current_exe().unwrap();
    let start = Instant::now();
    let children: Vec<_> = files
        .iter()
        .map(|file| {
            std::process::Command::new(&exe)
                .arg("--child")
                .arg(&db)
                .arg(file)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let wall = start.elapsed();
    let mut latencies = Vec::with_capacity(targets.len());
    for out in outputs {
        assert!(out.status.success(), "a child failed: {}", out.status);
        let text = String::from_utf8(out.stdout).unwrap();
        latencies.extend(text.split_whitespace().map(|us| Duration::from_micros(us.parse().unwrap())));
    }
    assert_eq!(latencies.len(), targets.len());
    figures(latencies, wall)
}

/// A child of [`process_reset_storm`]: `--child DB FILE`, where each line of FILE is
/// `ACTOR TARGET`; prints one latency in microseconds per reset.
fn child(db: &str, file: &str) {
    let options = OpenOptions { manual_clock: Some(T0 + 60), ..Default::default() };
    let core = Core::open(db, &KEY, options).unwrap();
    let work = std::fs::read_to_string(file).unwrap();
    let mut out = String::new();
    for line in work.lines() {
        let (actor, target) = line.split_once(' ').unwrap();
        let start = Instant::now();
        core.reset_mfa(actor, target, &ResetOptions::default()).unwrap();
        out.push_str(&format!("{}\n", start.elapsed().as_micros()));
    }
    print!("{out}");
}

fn verify_storm(f: &Fixture, users: &[String], calls: usize) -> serde_json::Value {
    let rounds = calls.div_ceil(users.len());
    // Codes computed before the phase: round r runs one step after round r - 1.
    let plan: Vec<(i64, Vec<String>)> = (0..rounds)
        .map(|r| {
            let time = T0 + 60 + 30 * (r as i64 + 1);
            let codes = users
                .iter()
                .map(|u| totp::code_for_step(&f.secrets[u], totp::step_at(time)).unwrap())
                .collect();
            (time, codes)
        })
        .collect();
    let mut latencies = Vec::with_capacity(calls);
    let wall = timed(|| {
        for (time, codes) in &plan {
            f.core.set_time(*time).unwrap();
            for (user, code) in users.iter().zip(codes) {
                if latencies.len() == calls {
                    return;
                }
                let start = Instant::now();
                f.core.verify(user, code).unwrap();
                latencies.push(start.elapsed());
            }
        }
    });
    figures(latencies, wall)
}

fn check_resets(f: &Fixture, targets: &[String]) {
    for t in targets {
        let s = f.core.mfa_status(t).unwrap();
        assert_eq!((s.state, s.credential_epoch), (MfaState::EnrollmentRequired, 1), "target {t}");
    }
}

fn count(core: &Core, action: &str) -> usize {
    let mut n = 0;
    let mut after_seq = 0;
    loop {
        let query =
            AuditQuery { after_seq, limit: Some(10_000), action: Some(action.into()), ..Default::default() };
        let page = core.audit_events(&query).unwrap();
        let Some(last) = page.last() else { return n };
        n += page.iter().filter(|e| e.outcome == Outcome::Success).count();
        after_seq = last.seq;
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    match argv.get(1).map(String::as_str) {
        Some("--child") => return child(&argv[2], &argv[3]),
        Some("--make-fixture") => return compare::make_fixture(&argv[2..]),
        Some("--run") => return compare::run(&argv[2..]),
        Some("--make-pg-fixture") => return processes::make_pg_fixture(&argv[2..]),
        Some("--procs") => return processes::run(&argv[2..]),
        Some("--proc-child") => return processes::child(&argv[2..]),
        Some("--round-trip") => return processes::round_trip(&argv[2..]),
        Some("--lock-model") => return lock_model::run(&argv[2..]),
        Some("--lock-model-child") => return lock_model::child(&argv[2..]),
        _ => {}
    }
    let a = args();
    let f = fixture(a.members, &a.dir);
    f.core.set_time(T0 + 60).unwrap();
    let (a_targets, rest) = f.members.split_at(a.resets);

    let reset = reset_storm(&f, a_targets);
    let mut still_enrolled = vec![f.owner.clone()];
    still_enrolled.extend(f.admins.iter().cloned());
    still_enrolled.extend(rest.iter().cloned());
    let verify = verify_storm(&f, &still_enrolled, a.verifies);
    let bulk_targets = &rest[..a.resets];
    let start = Instant::now();
    let outcomes = f.core.reset_mfa_many(&f.owner, bulk_targets, &ResetOptions::default()).unwrap();
    let bulk_wall = start.elapsed();
    assert!(outcomes.iter().all(Result::is_ok));
    let (audit, audit_wall) = {
        let start = Instant::now();
        let report = f.core.verify_audit(None).unwrap();
        (report, start.elapsed())
    };
    assert!(audit.ok);
    check_resets(&f, a_targets);
    check_resets(&f, bulk_targets);
    assert_eq!(count(&f.core, "mfa.reset"), 2 * a.resets);
    assert_eq!(count(&f.core, "mfa.verify"), a.verifies);

    let g = fixture(a.members, &a.dir);
    g.core.set_time(T0 + 60).unwrap();
    let c_targets = &g.members[..a.resets];
    let concurrent = threaded_reset_storm(&g, c_targets);
    let p_targets = &g.members[a.resets..2 * a.resets];
    let processes = process_reset_storm(&g, p_targets);
    let report = g.core.verify_audit(None).unwrap();
    assert!(report.ok);
    check_resets(&g, c_targets);
    check_resets(&g, p_targets);
    assert_eq!(count(&g.core, "mfa.reset"), 2 * a.resets);

    println!(
        "{}",
        json!({
            "impl": "rust",
            "sync": "FULL",
            "members": a.members,
            "resets": a.resets,
            "verifies": a.verifies,
            "A_reset": reset,
            "B_verify": verify,
            "C_reset_8_threads": concurrent,
            "C_reset_4_processes": processes,
            "D_bulk": { "targets_per_s": (a.resets as f64 / bulk_wall.as_secs_f64()).round() },
            "E_verify_audit": {
                "events": audit.checked,
                "events_per_s": (audit.checked as f64 / audit_wall.as_secs_f64()).round(),
            },
        })
    );
}
