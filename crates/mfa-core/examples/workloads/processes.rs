//! Workloads A (reset storm) and B (verify storm) from several client processes, each with its
//! own handle, on a PostgreSQL database or a SQLite file: the runs of `scripts/bench-postgres.sh`.
//!
//! `--procs LOCATION INDEX PROCESSES THREADS RESETS VERIFIES [--sample] [--trace LOG]
//! [--durability normal]`, where
//! LOCATION is a fixture folder of `--make-fixture` (SQLite: the run works on a copy of its
//! file) or the URL of a fixture database of `--make-pg-fixture` (PostgreSQL: the run works on
//! a copy made with `CREATE DATABASE ... TEMPLATE`), and INDEX the fixture's JSON index. The
//! parent spawns PROCESSES children (this example again, with `--proc-child`); each opens its
//! own handle, says it is ready, and runs its share of A (every PROCESSES-th reset) and then of
//! B (its own slice of the enrolled users, its own clock moved one TOTP step per round) from
//! THREADS threads when told to. A phase is timed by the parent from the moment it tells every
//! child to start to the moment the last one has reported, so process start and connection set-up
//! are not counted. Then the parent checks the store (audit chain verifies and holds every event,
//! every target reset once, events counted by action) or exits non-zero, and prints one JSON line.
//! The children write with durability `full` (SQLite `synchronous=FULL`; on PostgreSQL a call
//! returns after its commit's flush) unless `--durability normal` is given.
//!
//! `--round-trip URL CALLS` times a bare round trip to the server (a prepared `SELECT 1`).
//!
//! Profiling (PostgreSQL only; never in the measured runs, as it perturbs them):
//! - `--sample` samples `pg_stat_activity` joined with `pg_locks` every millisecond during each
//!   phase: what each client connection is doing, and whether it holds or awaits the advisory
//!   write lock (`"sample"` in the JSON line).
//! - `--trace LOG` has the children's sessions log every statement with its server-side duration
//!   (`log_min_duration_statement = 0`) and reads the server log LOG afterwards: statements per
//!   call, the statements run after the write lock was granted, server time, the
//!   `COMMIT`'s time, the time from the lock's grant to the end of the commit, and the wait for
//!   the flush after the lock (`"trace"` in the JSON line).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mfa_core::{Core, Durability, MfaState, OpenOptions, ResetOptions};
use serde_json::{Value, json};

use super::compare::{Index, index_at, parallel, verify_plan, write_index};
use super::{ADMINS, KEY, T0, count, enroll, figures};

/// `--make-pg-fixture URL INDEX MEMBERS`: creates the database of URL afresh (dropping it if it
/// exists), fills it as the SQLite fixture is filled, and writes the ids and secrets to INDEX.
pub fn make_pg_fixture(argv: &[String]) {
    let (url, members) = (&argv[0], argv[2].parse().expect("a member count"));
    let mut admin = client(&with_database(url, "postgres"));
    let db = database_of(url);
    // Two statements: CREATE DATABASE cannot run in the transaction a batch would be.
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db}")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
    let options = OpenOptions { manual_clock: Some(T0), ..Default::default() };
    let core = Arc::new(Core::open(url, &KEY, options).unwrap());
    write_index(Path::new(&argv[1]), &enroll(&core, members));
}

/// `--round-trip URL CALLS`: what one round trip to the server costs from here, the unit of a
/// write's time under the lock besides the flush: a prepared `SELECT 1`, CALLS times.
pub fn round_trip(argv: &[String]) {
    let mut db = client(&argv[0]);
    let calls: usize = argv[1].parse().expect("a call count");
    let statement = db.prepare("SELECT 1").unwrap();
    let start = Instant::now();
    let latencies = (0..calls)
        .map(|_| {
            let t = Instant::now();
            db.query_one(&statement, &[]).unwrap();
            t.elapsed()
        })
        .collect();
    println!("{}", json!({ "round_trip": figures(latencies, start.elapsed()) }));
}

/// What one child runs: its resets, then its verification rounds `(time, [(user, code)])`.
#[derive(serde::Serialize, serde::Deserialize)]
struct Work {
    resets: Vec<(String, String)>,
    rounds: Vec<(i64, Vec<(String, String)>)>,
}

/// Where a run works: a copy of the fixture, removed when the run ends.
enum Place {
    Sqlite(tempfile::TempDir),
    Postgres { fixture_url: String, db: String },
}

impl Place {
    fn copy_of(fixture: &str) -> Place {
        if !fixture.starts_with("postgres") {
            let work = tempfile::tempdir_in(fixture).unwrap();
            std::fs::copy(Path::new(fixture).join("fixture.db"), work.path().join("run.db")).unwrap();
            return Place::Sqlite(work);
        }
        let db = format!("mfa_run_{}", std::process::id());
        let template = database_of(fixture);
        let mut admin = client(&with_database(fixture, "postgres"));
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db}")).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {db} TEMPLATE {template}")).unwrap();
        Place::Postgres { fixture_url: fixture.to_string(), db }
    }

    fn location(&self) -> String {
        match self {
            Place::Sqlite(dir) => dir.path().join("run.db").to_str().unwrap().to_string(),
            Place::Postgres { fixture_url, db } => with_database(fixture_url, db),
        }
    }

    fn engine(&self) -> &'static str {
        match self {
            Place::Sqlite(_) => "sqlite",
            Place::Postgres { .. } => "postgres",
        }
    }
}

impl Drop for Place {
    /// Best effort (this may run while a failed check unwinds): the next run of the same name
    /// drops a copy left behind, and the throwaway server goes with the bench anyway.
    fn drop(&mut self) {
        if let Place::Postgres { fixture_url, db } = self
            && let Ok(config) = plain_config(&with_database(fixture_url, "postgres"))
            && let Ok(mut admin) = config.connect(postgres::NoTls)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db}"));
        }
    }
}

/// The URL's path (its database) replaced by `db`.
pub(super) fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let (server, _) = base.rsplit_once('/').expect("a URL with a database");
    match query {
        Some(q) => format!("{server}/{db}?{q}"),
        None => format!("{server}/{db}"),
    }
}

fn database_of(url: &str) -> String {
    let base = url.split_once('?').map_or(url, |(b, _)| b);
    base.rsplit_once('/').expect("a URL with a database").1.to_string()
}

/// A plain client for the bench's own statements.
pub(super) fn client(url: &str) -> postgres::Client {
    plain_config(url).unwrap().connect(postgres::NoTls).unwrap()
}

/// The URL as the `postgres` crate reads it, without the engine's own `pool_size`.
fn plain_config(url: &str) -> Result<postgres::Config, postgres::Error> {
    let kept: Vec<&str> = url.split(['?', '&']).filter(|p| !p.starts_with("pool_size=")).collect();
    let url = match kept.split_first() {
        Some((base, [])) => base.to_string(),
        Some((base, params)) => format!("{base}?{}", params.join("&")),
        None => unreachable!("split yields at least one part"),
    };
    url.parse()
}

/// The URL with one more session option.
fn with_option(url: &str, option: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options={}", option.replace(' ', "%20").replace('=', "%3D"))
}

struct Children {
    procs: Vec<(Child, ChildStdin, BufReader<ChildStdout>)>,
}

impl Children {
    fn spawn(location: &str, works: &[PathBuf], threads: usize, durability: Durability) -> Children {
        let exe = std::env::current_exe().unwrap();
        let procs = works
            .iter()
            .map(|work| {
                let mut child = Command::new(&exe)
                    .arg("--proc-child")
                    .arg(location)
                    .arg(work)
                    .arg(threads.to_string())
                    .arg(durability.as_str())
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap();
                let stdin = child.stdin.take().unwrap();
                let stdout = BufReader::new(child.stdout.take().unwrap());
                (child, stdin, stdout)
            })
            .collect();
        let mut children = Children { procs };
        for line in children.replies() {
            assert_eq!(line, "ready", "a child failed to open the store");
        }
        children
    }

    /// One line from each child, in order.
    fn replies(&mut self) -> Vec<String> {
        self.procs
            .iter_mut()
            .map(|(_, _, out)| {
                let mut line = String::new();
                out.read_line(&mut line).unwrap();
                line.trim_end().to_string()
            })
            .collect()
    }

    /// Tells every child to run `phase` and gathers their latencies, timing the whole.
    fn phase(&mut self, phase: &str, calls: usize) -> (Vec<Duration>, Duration) {
        let start = Instant::now();
        for (_, stdin, _) in &mut self.procs {
            writeln!(stdin, "{phase}").unwrap();
            stdin.flush().unwrap();
        }
        let replies = self.replies();
        let wall = start.elapsed();
        let mut latencies = Vec::with_capacity(calls);
        for reply in replies {
            let mut words = reply.split_whitespace();
            assert_eq!(words.next(), Some(phase), "a child failed during {phase}");
            latencies.extend(words.map(|us| Duration::from_micros(us.parse().unwrap())));
        }
        assert_eq!(latencies.len(), calls, "every call of {phase} ran");
        (latencies, wall)
    }

    fn finish(self) {
        for (mut child, stdin, _) in self.procs {
            drop(stdin);
            assert!(child.wait().unwrap().success(), "a child failed");
        }
    }
}

/// `--proc-child LOCATION WORK THREADS DURABILITY`: opens its own handle, says `ready`, then
/// runs each phase named on stdin (`A` or `B`) and answers `PHASE latency_us...` on one line.
pub fn child(argv: &[String]) {
    let durability: Durability = argv[3].parse().expect("full or normal");
    let options = OpenOptions { manual_clock: Some(T0 + 60), durability, ..checking() };
    let core = Arc::new(Core::open(&argv[0], &KEY, options).unwrap());
    let work: Work = serde_json::from_str(&std::fs::read_to_string(&argv[1]).unwrap()).unwrap();
    let threads: usize = argv[2].parse().expect("a thread count");
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    for line in std::io::stdin().lines() {
        let phase = line.unwrap();
        let latencies = match phase.as_str() {
            "A" => {
                let c = core.clone();
                parallel(threads, &work.resets, move |(actor, target)| {
                    c.reset_mfa(actor, target, &ResetOptions::default()).unwrap();
                })
                .0
            }
            "B" => {
                let mut lat = Vec::new();
                for (time, round) in &work.rounds {
                    core.set_time(*time).unwrap();
                    let c = core.clone();
                    lat.extend(
                        parallel(threads, round, move |(user, code)| {
                            c.verify(user, code).unwrap();
                        })
                        .0,
                    );
                }
                lat
            }
            other => panic!("unknown phase {other}"),
        };
        let mut reply = phase.clone();
        for l in latencies {
            reply.push_str(&format!(" {}", l.as_micros()));
        }
        writeln!(out, "{reply}").unwrap();
        out.flush().unwrap();
    }
}

/// The options of the parent's checking handle: the clock of the resets, at which a reset
/// target must enroll again (on the system clock its window would be long past).
fn checking() -> OpenOptions {
    OpenOptions { manual_clock: Some(T0 + 60), create_if_missing: false, ..Default::default() }
}

/// The shares of the children: resets dealt round-robin, enrolled users split the same way
/// (each child verifies only its own users, so its clock alone decides what is a replay).
fn shares(ix: &Index, processes: usize, resets: usize, verifies: usize) -> Vec<Work> {
    let mut enrolled = vec![ix.owner.clone()];
    enrolled.extend(ix.admins.iter().cloned());
    enrolled.extend(ix.members[resets..].iter().cloned());
    let owner_of: HashMap<&str, usize> =
        enrolled.iter().enumerate().map(|(i, u)| (u.as_str(), i % processes)).collect();
    let plan = verify_plan(ix, &enrolled, verifies);
    (0..processes)
        .map(|k| Work {
            resets: ix.members[..resets]
                .iter()
                .enumerate()
                .filter(|(i, _)| i % processes == k)
                .map(|(i, t)| (ix.admins[i % ADMINS].clone(), t.clone()))
                .collect(),
            rounds: plan
                .iter()
                .map(|(time, round)| {
                    let mine = round.iter().filter(|(u, _)| owner_of[u.as_str()] == k).cloned().collect();
                    (*time, mine)
                })
                .collect(),
        })
        .collect()
}

/// See the module documentation.
pub fn run(argv: &[String]) {
    let (fixture, index) = (argv[0].as_str(), Path::new(&argv[1]));
    let num = |i: usize| -> usize { argv[i].parse().expect("a number") };
    let (processes, threads, resets, verifies) = (num(2), num(3), num(4), num(5));
    let sample = argv[6..].iter().any(|a| a == "--sample");
    let trace_log = argv[6..].iter().position(|a| a == "--trace").map(|i| PathBuf::from(&argv[6 + i + 1]));
    let durability: Durability = match argv[6..].iter().position(|a| a == "--durability") {
        Some(i) => argv[6 + i + 1].parse().expect("full or normal"),
        None => Durability::Full,
    };
    let ix = index_at(index);
    let place = Place::copy_of(fixture);
    let location = place.location();
    let (events, resets_before, verifies_before) = {
        let core = Core::open(&location, &KEY, checking()).unwrap();
        (core.verify_audit(None).unwrap().checked, count(&core, "mfa.reset"), count(&core, "mfa.verify"))
    };

    let scratch = tempfile::tempdir().unwrap();
    let works: Vec<PathBuf> = shares(&ix, processes, resets, verifies)
        .iter()
        .enumerate()
        .map(|(k, work)| {
            let path = scratch.path().join(format!("work-{k}.json"));
            std::fs::write(&path, serde_json::to_string(work).unwrap()).unwrap();
            path
        })
        .collect();
    let child_location = match &trace_log {
        Some(_) => with_option(&location, "-c log_min_duration_statement=0"),
        None => location.clone(),
    };
    let log_start = trace_log.as_ref().map(|log| std::fs::metadata(log).unwrap().len());
    let mut children = Children::spawn(&child_location, &works, threads, durability);
    let mut samples = BTreeMap::new();
    let mut phases = BTreeMap::new();
    for (phase, calls) in [("A", resets), ("B", verifies)] {
        let sampler = sample.then(|| Sampler::start(&location));
        let (latencies, wall) = children.phase(phase, calls);
        if let Some(sampler) = sampler {
            samples.insert(phase, sampler.stop(calls, wall));
        }
        phases.insert(phase, figures(latencies, wall));
    }
    children.finish();

    // The run counts only if the chain holds every event and every target was reset once.
    let core = Core::open(&location, &KEY, checking()).unwrap();
    let report = core.verify_audit(None).unwrap();
    assert!(report.ok && report.checked == events + (resets + verifies) as u64, "{report:?}");
    for t in &ix.members[..resets] {
        let s = core.mfa_status(t).unwrap();
        assert_eq!((s.state, s.credential_epoch), (MfaState::EnrollmentRequired, 1), "target {t}");
    }
    assert_eq!(count(&core, "mfa.reset"), resets_before + resets);
    assert_eq!(count(&core, "mfa.verify"), verifies_before + verifies);
    drop(core);

    let mut line = json!({
        "impl": place.engine(),
        "sync": durability.as_str().to_uppercase(),
        "processes": processes,
        "threads": threads,
        "members": ix.members.len(),
        "resets": resets,
        "verifies": verifies,
        "A_reset": phases["A"],
        "B_verify": phases["B"],
    });
    if sample {
        line["sample"] = json!(samples);
    }
    if let (Some(log), Some(from)) = (trace_log, log_start) {
        line["trace"] = trace(&log, from, resets, verifies);
    }
    println!("{line}");
}

/// Samples what the run's client connections are doing, every millisecond, on its own
/// connection.
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<(u64, BTreeMap<String, u64>)>,
}

/// One row per client connection of the run's database: its state, what it waits on, and
/// whether it holds (or awaits) an advisory lock, the engine's write lock.
const ACTIVITY: &str = "SELECT a.state, coalesce(a.wait_event_type, ''), coalesce(a.wait_event, ''), \
     coalesce(bool_or(l.granted), false), coalesce(bool_or(NOT l.granted), false) \
     FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' \
     WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() \
     AND a.backend_type = 'client backend' GROUP BY a.pid, a.state, a.wait_event_type, a.wait_event";

/// What a sampled connection is doing, in the terms of the write path.
fn activity(state: &str, kind: &str, event: &str, holds: bool, waits: bool) -> String {
    let idle = state.starts_with("idle");
    let flush = event.starts_with("WAL") && (kind == "IO" || kind == "LWLock");
    if waits || event == "advisory" {
        "awaiting the write lock".into()
    } else if !holds && idle {
        "no write: idle between calls (client side)".into()
    } else if !holds && flush {
        format!("lock released: waiting for the commit's WAL flush ({kind}:{event})")
    } else if !holds {
        format!("no write: {state} {kind}:{event}")
    } else if flush {
        format!("holding the lock: WAL flush or write ({kind}:{event})")
    } else if idle || event == "ClientRead" {
        "holding the lock: waiting for the client (round trip, client work)".into()
    } else if kind.is_empty() {
        "holding the lock: executing a statement".into()
    } else {
        format!("holding the lock: {kind}:{event}")
    }
}

impl Sampler {
    fn start(url: &str) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let mut db = client(url);
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let statement = db.prepare(ACTIVITY).unwrap();
            let (mut samples, mut seen) = (0, BTreeMap::new());
            while !flag.load(Ordering::Relaxed) {
                let rows = db.query(&statement, &[]).unwrap();
                samples += 1;
                let mut held = false;
                for r in rows {
                    let (state, kind, event): (Option<String>, String, String) =
                        (r.get(0), r.get(1), r.get(2));
                    let (holds, waits): (bool, bool) = (r.get(3), r.get(4));
                    held |= holds && !waits;
                    let what = activity(&state.unwrap_or_default(), &kind, &event, holds, waits);
                    *seen.entry(what).or_insert(0) += 1;
                }
                if held {
                    *seen.entry("(lock held by someone)".to_string()).or_insert(0) += 1;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            (samples, seen)
        });
        Sampler { stop, thread }
    }

    /// Shares of connection-samples by state, the share of samples in which the lock was
    /// held, and what that makes per call: the lock's busy time divided by the calls.
    fn stop(self, calls: usize, wall: Duration) -> Value {
        self.stop.store(true, Ordering::Relaxed);
        let (samples, seen) = self.thread.join().unwrap();
        let held = seen.get("(lock held by someone)").copied().unwrap_or(0);
        let connections: u64 = seen.iter().filter(|(k, _)| !k.starts_with('(')).map(|(_, n)| n).sum();
        let shares: BTreeMap<&String, f64> = seen
            .iter()
            .filter(|(k, _)| !k.starts_with('('))
            .map(|(k, n)| (k, (*n as f64 / connections.max(1) as f64 * 1000.0).round() / 1000.0))
            .collect();
        let busy = held as f64 / samples.max(1) as f64;
        json!({
            "samples": samples,
            "lock_busy": (busy * 1000.0).round() / 1000.0,
            "lock_us_per_call": (busy * wall.as_secs_f64() * 1e6 / calls as f64).round(),
            "connection_shares": shares,
        })
    }
}

/// One write transaction in the server log, from the statement that takes the write lock to
/// its `COMMIT`.
#[derive(Default)]
struct Traced {
    granted_ms: f64,
    /// Each statement run after the grant: its first words. (Statements that travel together
    /// are one round trip: the server's log cannot tell them apart.)
    statements: Vec<String>,
    server_us: f64,
    commit_us: f64,
    held_us: f64,
    /// The statement after the commit that waits for its flush, outside the lock (on another
    /// connection of the same process), if any.
    flush_us: f64,
}

/// Reads the statements the children's sessions logged (from byte `from` of the server log)
/// and describes the write transactions of each phase (the first `resets` are workload A's, as
/// one child runs them in order): round trips after the lock's grant and what they ran, the
/// server time of those statements, the `COMMIT`'s time, and the time from the grant to the
/// commit's end (the log's timestamps are milliseconds; the mean over many transactions is
/// still fair), and the time of the statement that then waits for the commit's flush outside
/// the lock, when the engine commits that way.
fn trace(log: &Path, from: u64, resets: usize, verifies: usize) -> Value {
    let mut file = std::fs::File::open(log).unwrap();
    file.seek(std::io::SeekFrom::Start(from)).unwrap();
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    let (mut open, mut done): (HashMap<String, Traced>, Vec<Traced>) = Default::default();
    let (mut statements, mut prepares) = (0, 0);
    for line in text.lines() {
        // "2026-12-01 18:20:00.123 UTC [pid] LOG:  duration: 0.045 ms  execute s5: SELECT ..."
        let Some((head, rest)) = line.split_once(" LOG:  duration: ") else { continue };
        let Some((ms, what)) = rest.split_once(" ms  ") else { continue };
        let (Some(pid), Some(at)) = (head.split(['[', ']']).nth(1), timestamp_ms(head)) else { continue };
        let us = ms.parse::<f64>().unwrap() * 1000.0;
        let run = what.starts_with("statement: ") || what.starts_with("execute ");
        statements += usize::from(run);
        prepares += usize::from(what.starts_with("parse "));
        if what.contains("pg_advisory_xact_lock") {
            open.insert(pid.to_string(), Traced { granted_ms: at, ..Default::default() });
            continue;
        }
        if what.contains("pg_logical_emit_message") {
            // One child runs one call at a time: the flush is the last commit's.
            if let Some(tx) = done.last_mut() {
                tx.flush_us = us;
            }
            continue;
        }
        let Some(tx) = open.get_mut(pid) else { continue };
        tx.server_us += us;
        if run {
            let sql = what.split_once(": ").map_or(what, |(_, sql)| sql);
            tx.statements.push(sql.split_whitespace().take(4).collect::<Vec<_>>().join(" "));
        }
        if what == "statement: COMMIT" {
            let mut tx = open.remove(pid).unwrap();
            (tx.commit_us, tx.held_us) = (us, (at - tx.granted_ms) * 1000.0);
            done.push(tx);
        }
    }
    assert_eq!(done.len(), resets + verifies, "every call is one write transaction in the log");
    let describe = |txs: &[Traced]| {
        let n = txs.len() as f64;
        let mean = |f: fn(&Traced) -> f64| (txs.iter().map(f).sum::<f64>() / n).round();
        let mut counts: Vec<usize> = txs.iter().map(|t| t.statements.len()).collect();
        counts.sort_unstable();
        json!({
            "transactions": txs.len(),
            "statements_under_lock": { "min": counts[0], "median": counts[counts.len() / 2], "max": counts[counts.len() - 1] },
            "server_us_under_lock": mean(|t| t.server_us),
            "commit_us": mean(|t| t.commit_us),
            "flush_after_us": mean(|t| t.flush_us),
            "lock_held_us": mean(|t| t.held_us),
            "statements_of_the_last": txs.last().map(|t| t.statements.clone()),
        })
    };
    json!({
        "statements_per_call": (statements as f64 / (resets + verifies) as f64 * 100.0).round() / 100.0,
        "prepares": prepares,
        "A": describe(&done[..resets]),
        "B": describe(&done[resets..]),
    })
}

/// Milliseconds since midnight of a log line's `%m` timestamp (`YYYY-MM-DD HH:MM:SS.mmm`).
fn timestamp_ms(head: &str) -> Option<f64> {
    let time = head.split(' ').nth(1)?;
    let mut parts = time.split(':');
    let (h, m, s): (f64, f64, f64) =
        (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    Some(((h * 60.0 + m) * 60.0 + s) * 1000.0)
}
