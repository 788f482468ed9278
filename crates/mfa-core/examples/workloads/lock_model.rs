//! A model of the PostgreSQL engine's write path, to see what the round trips under the write
//! lock cost apart from everything else: `--lock-model URL PROCESSES CALLS K` runs CALLS "calls"
//! from each of PROCESSES processes, each call being what the engine does around its
//! statements, with K bare round trips (a prepared `SELECT $1`) standing for the statements:
//! `BEGIN`, `synchronous_commit = off` and the advisory lock in one round trip; K round trips;
//! one `INSERT`; `COMMIT` (which releases the lock); then the flush, waited for outside the lock
//! as the engine does. So K + 2 round trips run under the lock. It prints one JSON line with the
//! calls per second of all processes together and the p50/p99 latency of a call.
//!
//! The model does none of the library's work (no rows read, no MACs): its rates bound what the
//! same number of round trips under one lock allows on this machine, nothing more. It works in
//! its own database (created and dropped), under its own advisory lock key.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use super::figures;
use super::processes::{client, with_database};

/// Not the engine's key: the model never waits for a real store's writers.
const MODEL_LOCK: i64 = 0x6d6f_64656c;
const DATABASE: &str = "mfa_bench_lock_model";

/// See the module documentation.
pub fn run(argv: &[String]) {
    let url = &argv[0];
    let num = |i: usize| -> usize { argv[i].parse().expect("a number") };
    let (processes, calls, k) = (num(1), num(2), num(3));
    let mut admin = client(&with_database(url, "postgres"));
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {DATABASE}")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {DATABASE}")).unwrap();
    let model = with_database(url, DATABASE);
    client(&model).batch_execute("CREATE TABLE model (n bigint)").unwrap();

    let exe = std::env::current_exe().unwrap();
    let mut children: Vec<_> = (0..processes)
        .map(|_| {
            Command::new(&exe)
                .args(["--lock-model-child", &model, &calls.to_string(), &k.to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut outputs: Vec<_> = children.iter_mut().map(|c| BufReader::new(c.stdout.take().unwrap())).collect();
    let mut line = String::new();
    for out in &mut outputs {
        line.clear();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim_end(), "ready", "a model child failed to connect");
    }
    let start = Instant::now();
    for child in &mut children {
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "go").unwrap();
    }
    let mut latencies = Vec::with_capacity(processes * calls);
    for out in &mut outputs {
        line.clear();
        out.read_line(&mut line).unwrap();
        latencies.extend(line.split_whitespace().map(|us| Duration::from_micros(us.parse().unwrap())));
    }
    let wall = start.elapsed();
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a model child failed");
    }
    assert_eq!(latencies.len(), processes * calls, "every modelled call ran");
    let rows: i64 = client(&model).query_one("SELECT count(*) FROM model", &[]).unwrap().get(0);
    assert_eq!(rows as usize, processes * calls, "every modelled call committed");
    admin.batch_execute(&format!("DROP DATABASE {DATABASE}")).unwrap();
    println!(
        "{}",
        json!({ "impl": "lock-model", "processes": processes, "round_trips_under_lock": k + 2, "calls": figures(latencies, wall) })
    );
}

/// `--lock-model-child URL CALLS K`: connects, says `ready`, waits for a line, runs its calls
/// and prints their latencies in microseconds on one line.
pub fn child(argv: &[String]) {
    let mut db = client(&argv[0]);
    let calls: usize = argv[1].parse().expect("a call count");
    let k: usize = argv[2].parse().expect("a round-trip count");
    let select = db.prepare("SELECT $1::bigint").unwrap();
    let insert = db.prepare("INSERT INTO model (n) VALUES ($1)").unwrap();
    let begin =
        format!("BEGIN; SET LOCAL synchronous_commit = off; SELECT pg_advisory_xact_lock({MODEL_LOCK})");
    println!("ready");
    std::io::stdin().lock().lines().next().unwrap().unwrap();
    let mut out = String::new();
    for i in 0..calls as i64 {
        let start = Instant::now();
        db.batch_execute(&begin).unwrap();
        for _ in 0..k {
            db.query_one(&select, &[&i]).unwrap();
        }
        db.execute(&insert, &[&i]).unwrap();
        db.batch_execute("COMMIT").unwrap();
        db.batch_execute("SELECT pg_logical_emit_message(true, 'mfa-bench', 'flush')").unwrap();
        out.push_str(&format!("{} ", start.elapsed().as_micros()));
    }
    println!("{}", out.trim_end());
}
