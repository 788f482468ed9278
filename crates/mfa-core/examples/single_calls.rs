//! Single `reset_mfa` and `verify` calls through the Rust API, each timed on its own: the
//! baseline that `examples/python/overhead.py` measures the Python binding against (it runs this
//! binary between its own runs, on the same fixture, and prints the comparison):
//! `cargo run --release -p mfa-core --example single_calls -- --store memory|file [--calls N] [--dir D]`
//!
//! Prints one JSON line: `{"impl": "rust", "store", "calls", "reset": {cpu_us, p50_us, mean_us},
//! "verify": {...}}`: per call, the CPU time of the calling thread (what a busy machine does not
//! inflate), the median latency and the phase's wall time. Set-up (an org, 20 admins, `2 * calls` enrolled members, a
//! manual clock) is not timed; every call must succeed, and the reset targets are checked
//! afterwards.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mfa_core::{Core, MfaState, OpenOptions, Policy, ResetOptions, Role, totp};
use serde_json::json;

const T0: i64 = 1_700_000_010;
const ADMINS: usize = 20;
const THREADS: usize = 8;
const KEY: [u8; 32] = [5; 32];

struct Args {
    store: String,
    calls: usize,
    dir: String,
}

fn args() -> Args {
    let mut a = Args { store: "memory".into(), calls: 2_000, dir: "target".into() };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    for pair in argv.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_else(|| panic!("a value after {}", pair[0]));
        match pair[0].as_str() {
            "--store" => a.store = value,
            "--calls" => a.calls = value.parse().expect("a number after --calls"),
            "--dir" => a.dir = value,
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(a.store == "memory" || a.store == "file", "--store is memory or file");
    a
}

/// CPU time the calling thread has run: `CLOCK_THREAD_CPUTIME_ID`, the clock of Python's
/// `time.thread_time_ns`.
#[cfg(unix)]
fn thread_cpu() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid, writable timespec for the duration of the call.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "the thread CPU clock");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// Without a thread CPU clock (Windows) the `cpu_us` figures are 0.
#[cfg(not(unix))]
fn thread_cpu() -> Duration {
    Duration::ZERO
}

/// `{cpu_us, p50_us, mean_us}` of one phase, per call: the thread's CPU time, the median call and
/// the phase's wall time.
fn figures(mut latencies: Vec<Duration>, cpu: Duration, wall: Duration) -> serde_json::Value {
    latencies.sort();
    let n = latencies.len() as u32;
    let us = |d: Duration| (d.as_secs_f64() * 1e7).round() / 10.0;
    json!({ "cpu_us": us(cpu / n), "p50_us": us(latencies[latencies.len() / 2]), "mean_us": us(wall / n) })
}

fn main() {
    let a = args();
    let dir = tempfile::tempdir_in(&a.dir).unwrap();
    let path = match a.store.as_str() {
        "memory" => ":memory:".into(),
        _ => dir.path().join("overhead.db"),
    };
    let options = OpenOptions { manual_clock: Some(T0), ..Default::default() };
    let core = Arc::new(Core::open(&path, &KEY, options).unwrap());
    let policy = Policy { mfa_required: true, reset_limit_per_hour: 1_000_000, ..Policy::default() };
    let org = core.create_org("Bench", policy).unwrap().id;
    let mut users: Vec<(String, Role)> =
        (0..ADMINS).map(|i| (format!("admin{i}@bench.test"), Role::Admin)).collect();
    users.extend((0..2 * a.calls).map(|i| (format!("m{i}@bench.test"), Role::Member)));
    // Set-up rides on group commit: eight threads enroll interleaved slices.
    let handles: Vec<_> = (0..THREADS)
        .map(|n| {
            let (core, org) = (core.clone(), org.clone());
            let slice: Vec<_> = users.iter().cloned().enumerate().skip(n).step_by(THREADS).collect();
            std::thread::spawn(move || {
                slice
                    .into_iter()
                    .map(|(i, (email, role))| {
                        let id = core.create_user(&org, &email, role).unwrap().id;
                        let secret =
                            totp::decode_base32(&core.begin_enrollment(&id).unwrap().secret).unwrap();
                        core.confirm_enrollment(
                            &id,
                            &totp::code_for_step(&secret, totp::step_at(T0)).unwrap(),
                        )
                        .unwrap();
                        (i, id, secret.to_vec())
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut enrolled: Vec<_> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    // Back in the order of `users` (admins, then members), whatever the threads' interleaving.
    enrolled.sort_by_key(|(i, _, _)| *i);
    let (admins, members) = enrolled.split_at(ADMINS);
    let (targets, verifiers) = members.split_at(a.calls);

    core.set_time(T0 + 60).unwrap();
    let options = ResetOptions::default();
    let mut latencies = Vec::with_capacity(a.calls);
    let (start, cpu) = (Instant::now(), thread_cpu());
    for (i, (_, target, _)) in targets.iter().enumerate() {
        let t = Instant::now();
        core.reset_mfa(&admins[i % ADMINS].1, target, &options).unwrap();
        latencies.push(t.elapsed());
    }
    let reset = figures(latencies, thread_cpu() - cpu, start.elapsed());

    // One step later, so that no code is a replay of the enrollment's; codes computed first.
    let at = T0 + 90;
    let codes: Vec<String> =
        verifiers.iter().map(|(_, _, s)| totp::code_for_step(s, totp::step_at(at)).unwrap()).collect();
    core.set_time(at).unwrap();
    let mut latencies = Vec::with_capacity(a.calls);
    let (start, cpu) = (Instant::now(), thread_cpu());
    for ((_, user, _), code) in verifiers.iter().zip(&codes) {
        let t = Instant::now();
        core.verify(user, code).unwrap();
        latencies.push(t.elapsed());
    }
    let verify = figures(latencies, thread_cpu() - cpu, start.elapsed());

    for (_, target, _) in targets {
        let status = core.mfa_status(target).unwrap();
        assert_eq!((status.state, status.credential_epoch), (MfaState::EnrollmentRequired, 1));
    }
    println!(
        "{}",
        json!({"impl": "rust", "store": a.store, "calls": a.calls, "reset": reset, "verify": verify})
    );
}
