//! Workloads A (reset storm) and B (verify storm) for the comparison table of
//! `scripts/bench.sh`: every driver (this one, `examples/python/workloads.py --fixture` and
//! `examples/node/bench-driver.mjs`) starts from a copy of one fixture store, and prints one JSON
//! line with `{ops_per_s, p50_us, p99_us, cpu_us}` per workload, where `cpu_us` is the user and
//! system CPU of the whole process (all threads, from `getrusage`) per call.
//!
//! `floor` is the bare-SQL baseline: the statements the library runs for a reset and a verify,
//! verbatim, in the same order and on the same schema and rows, reading and binding the same
//! columns (every column a statement returns is fetched, as any driver fetches a row),
//! through rusqlite's statement cache (with the planner stability guarantee, so nothing
//! is compiled again), one `BEGIN IMMEDIATE` ... `COMMIT` per call under the same `synchronous`
//! level as the library's run; no validation, no rules, no MAC computed or checked (the stored
//! MAC bytes are written back as they were read), no TOTP.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mfa_core::{Core, Durability, MfaState, OpenOptions, ResetOptions, totp};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::{ADMINS, Enrolled, KEY, T0, THREADS, figures, fixture};

/// `--make-fixture DIR MEMBERS`: one enrolled store as `DIR/fixture.db` (its WAL folded in)
/// and the ids and secrets the drivers need as `DIR/fixture.json`.
pub fn make_fixture(argv: &[String]) {
    let out = PathBuf::from(&argv[0]);
    let members: usize = argv[1].parse().expect("a member count");
    std::fs::create_dir_all(&out).unwrap();
    let f = fixture(members, out.to_str().unwrap());
    let db = f.dir.path().join("bench.db");
    write_index(&out.join("fixture.json"), &(f.owner, f.admins, f.members, f.secrets));
    // The last handle closes: the WAL is folded into the file, which is then complete alone.
    drop(Arc::try_unwrap(f.core).expect("no other handle"));
    std::fs::copy(db, out.join("fixture.db")).unwrap();
}

/// The ids and secrets the drivers need, as JSON (read back by [`index_at`]).
pub(super) fn write_index(path: &Path, (owner, admins, members, secrets): &Enrolled) {
    let secrets: serde_json::Map<String, Value> =
        secrets.iter().map(|(id, s)| (id.clone(), json!(totp::secret_base32(s)))).collect();
    let index = json!({ "owner": owner, "admins": admins, "members": members, "secrets": secrets });
    std::fs::write(path, index.to_string()).unwrap();
}

/// The fixture's users, read back from `fixture.json`.
pub(super) struct Index {
    pub owner: String,
    pub admins: Vec<String>,
    pub members: Vec<String>,
    pub secrets: std::collections::HashMap<String, Vec<u8>>,
}

fn index(dir: &Path) -> Index {
    index_at(&dir.join("fixture.json"))
}

pub(super) fn index_at(path: &Path) -> Index {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let ids = |k: &str| -> Vec<String> {
        v[k].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
    };
    let secrets = v["secrets"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, s)| (id.clone(), totp::decode_base32(s.as_str().unwrap()).unwrap().to_vec()))
        .collect();
    Index {
        owner: v["owner"].as_str().unwrap().to_string(),
        admins: ids("admins"),
        members: ids("members"),
        secrets,
    }
}

/// User plus system CPU time of the whole process so far.
fn cpu() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, &mut usage), 0);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1_000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Runs a phase of `calls` calls and adds its CPU per call to the figures.
fn phase(calls: usize, run: impl FnOnce() -> (Vec<Duration>, Duration)) -> Value {
    let before = cpu();
    let (latencies, wall) = run();
    let used = cpu() - before;
    assert_eq!(latencies.len(), calls, "every call ran");
    if calls == 0 {
        return Value::Null;
    }
    let mut out = figures(latencies, wall);
    out["cpu_us"] = json!((used.as_secs_f64() * 1e6 / calls as f64).round());
    out
}

/// Round r of workload B runs at T0 + 60 + 30 (r + 1): codes computed before the phase.
pub(super) fn verify_plan(ix: &Index, users: &[String], calls: usize) -> Vec<(i64, Vec<(String, String)>)> {
    let rounds = calls.div_ceil(users.len());
    let mut left = calls;
    (0..rounds)
        .map(|r| {
            let time = T0 + 60 + 30 * (r as i64 + 1);
            let n = left.min(users.len());
            left -= n;
            let round = users[..n]
                .iter()
                .map(|u| (u.clone(), totp::code_for_step(&ix.secrets[u], totp::step_at(time)).unwrap()))
                .collect();
            (time, round)
        })
        .collect()
}

/// `--run IMPL DIR RESETS VERIFIES [full|normal]`: workloads A and B on a fresh copy of the
/// fixture, with the given durability (`full`, SQLite's `synchronous=FULL`, by default).
pub fn run(argv: &[String]) {
    let (which, dir) = (argv[0].as_str(), PathBuf::from(&argv[1]));
    let resets: usize = argv[2].parse().expect("a reset count");
    let verifies: usize = argv[3].parse().expect("a verify count");
    let durability: Durability = argv.get(4).map_or("full", String::as_str).parse().expect("full or normal");
    let ix = index(&dir);
    let work = tempfile::tempdir_in(&dir).unwrap();
    let db = work.path().join("run.db");
    std::fs::copy(dir.join("fixture.db"), &db).unwrap();
    let targets = &ix.members[..resets];
    let mut enrolled = vec![ix.owner.clone()];
    enrolled.extend(ix.admins.iter().cloned());
    enrolled.extend(ix.members[resets..].iter().cloned());
    let plan = verify_plan(&ix, &enrolled, verifies);
    let resets_of = |targets: &[String]| -> Vec<(String, String)> {
        targets.iter().enumerate().map(|(i, t)| (ix.admins[i % ADMINS].clone(), t.clone())).collect()
    };
    let pairs = resets_of(targets);

    let (a, b) = match which {
        "floor" => {
            let floor = Floor::open(&db, durability);
            let a = phase(resets, || serial(&pairs, |(actor, target)| floor.reset(actor, target)));
            let b = phase(verifies, || {
                let mut lat = Vec::new();
                let start = Instant::now();
                for (time, round) in &plan {
                    lat.extend(serial(round, |(user, _)| floor.verify(user, *time)).0);
                }
                (lat, start.elapsed())
            });
            floor.check(resets, verifies);
            (a, b)
        }
        "rust" | "rust-threads" => {
            let threads = if which == "rust" { 1 } else { THREADS };
            let options = OpenOptions { manual_clock: Some(T0 + 60), durability, ..Default::default() };
            let core = Arc::new(Core::open(&db, &KEY, options).unwrap());
            let events = core.verify_audit(None).unwrap().checked;
            let c = core.clone();
            let a = phase(resets, || {
                parallel(threads, &pairs, move |(actor, target)| {
                    c.reset_mfa(actor, target, &ResetOptions::default()).unwrap();
                })
            });
            let b = phase(verifies, || {
                let mut lat = Vec::new();
                let start = Instant::now();
                for (time, round) in &plan {
                    core.set_time(*time).unwrap();
                    let c = core.clone();
                    lat.extend(
                        parallel(threads, round, move |(user, code)| {
                            c.verify(user, code).unwrap();
                        })
                        .0,
                    );
                }
                (lat, start.elapsed())
            });
            // The run counts only if the chain holds every event and every target was reset.
            let report = core.verify_audit(None).unwrap();
            assert!(report.ok && report.checked == events + (resets + verifies) as u64, "{report:?}");
            for t in targets {
                let s = core.mfa_status(t).unwrap();
                assert_eq!((s.state, s.credential_epoch), (MfaState::EnrollmentRequired, 1), "target {t}");
            }
            (a, b)
        }
        other => panic!("unknown driver {other}: floor, rust or rust-threads"),
    };
    println!(
        "{}",
        json!({ "impl": which, "sync": durability.as_str().to_uppercase(), "resets": resets, "verifies": verifies, "A_reset": a, "B_verify": b })
    );
}

/// Calls `f` on each item in turn, timing each call.
pub(super) fn serial<T>(items: &[T], mut f: impl FnMut(&T)) -> (Vec<Duration>, Duration) {
    let start = Instant::now();
    let lat = items
        .iter()
        .map(|item| {
            let t = Instant::now();
            f(item);
            t.elapsed()
        })
        .collect();
    (lat, start.elapsed())
}

/// Calls `f` on every item from `threads` threads (interleaved slices), timing each call.
pub(super) fn parallel<T: Clone + Send + 'static>(
    threads: usize,
    items: &[T],
    f: impl Fn(&T) + Send + Sync + Clone + 'static,
) -> (Vec<Duration>, Duration) {
    if threads == 1 {
        return serial(items, f);
    }
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|k| {
            let mine: Vec<T> = items.iter().skip(k).step_by(threads).cloned().collect();
            let f = f.clone();
            std::thread::spawn(move || serial(&mine, &f).0)
        })
        .collect();
    let lat = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    (lat, start.elapsed())
}

/// The bare-SQL baseline on one connection.
struct Floor {
    conn: Connection,
}

/// The library's statements for a reset and a verify, verbatim (`store/sqlite/rows.rs` and
/// `store/sqlite/mod.rs`), so that the floor pays for the same rows and columns.
const KEY_CHECK: &str = "SELECT value FROM meta WHERE key = ?1";
const USER: &str = "SELECT id, org_id, email, role, status, credential_epoch, created_at, deadline, \
     totp_secret, totp_confirmed, last_step, failed_count, locked_until, email_key, row_mac \
     FROM users WHERE id = ?1";
const ORG: &str = "SELECT id, name, mfa_required, enrollment_window, reset_limit_per_hour, \
     max_failed_verifications, require_step_up, created_at, row_mac FROM orgs WHERE id = ?1";
const NTH_RECENT_RESET: &str = "SELECT at FROM reset_log WHERE actor = ?1 \
     AND n = (SELECT max(n) FROM reset_log WHERE actor = ?1) - ?2 + 1";
/// Every mutable column of a user row written back with its MAC (role and status, bound as ?2
/// and ?3, are left out when they do not change).
const UPDATE_USER: &str = "UPDATE users SET credential_epoch = ?4, deadline = ?5, totp_secret = ?6, \
     totp_confirmed = ?7, last_step = ?8, failed_count = ?9, locked_until = ?10, \
     row_mac = ?11 WHERE id = ?1";
const DELETE_CODES: &str = "DELETE FROM recovery_codes WHERE user_id = ?1";
const RECORD_RESET: &str = "INSERT INTO reset_log (actor, n, at) \
     SELECT ?1, coalesce(max(n), 0) + 1, ?2 FROM reset_log WHERE actor = ?1";
const AUDIT_HEAD: &str = "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1";
const INSERT_AUDIT: &str = "INSERT INTO audit (seq, at, actor, target, org, action, outcome, code, reason, \
     detail, mac) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
const CODES_OF: &str = "SELECT hash, used_at, row_mac FROM recovery_codes WHERE user_id = ?1";

/// A user row as read: every column the statement returns (as any driver fetches a row), the
/// ones written back typed.
struct UserCols {
    org: String,
    role: String,
    status: String,
    epoch: i64,
    deadline: Option<i64>,
    secret: Option<Vec<u8>>,
    confirmed: bool,
    failed: i64,
    locked_until: Option<i64>,
    mac: Vec<u8>,
    /// id, email, created_at, last_step, email_key: fetched, not needed.
    _rest: (String, String, i64, Option<i64>, String),
}

impl Floor {
    fn open(db: &Path, durability: Durability) -> Floor {
        let conn = Connection::open(db).unwrap();
        conn.set_prepared_statement_cache_capacity(64);
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.pragma_update(None, "synchronous", durability.as_str()).unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        Floor { conn }
    }

    fn exec(&self, sql: &str, p: impl rusqlite::Params) {
        self.conn.prepare_cached(sql).unwrap().execute(p).unwrap();
    }

    /// `BEGIN IMMEDIATE` and the library's check that the store's key is still the handle's.
    fn begin(&self) {
        self.exec("BEGIN IMMEDIATE", []);
        let _: Vec<u8> =
            self.conn.prepare_cached(KEY_CHECK).unwrap().query_row(["key_check"], |r| r.get(0)).unwrap();
    }

    fn user(&self, id: &str) -> UserCols {
        self.conn
            .prepare_cached(USER)
            .unwrap()
            .query_row([id], |r| {
                Ok(UserCols {
                    org: r.get(1)?,
                    role: r.get(3)?,
                    status: r.get(4)?,
                    epoch: r.get(5)?,
                    deadline: r.get(7)?,
                    secret: r.get(8)?,
                    confirmed: r.get(9)?,
                    failed: r.get(11)?,
                    locked_until: r.get(12)?,
                    mac: r.get(14)?,
                    _rest: (r.get(0)?, r.get(2)?, r.get(6)?, r.get(10)?, r.get(13)?),
                })
            })
            .unwrap()
    }

    /// The org row, every column fetched.
    fn org(&self, id: &str) {
        let _: (String, String, bool, i64, i64, i64, bool, i64, Vec<u8>) = self
            .conn
            .prepare_cached(ORG)
            .unwrap()
            .query_row([id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            })
            .unwrap();
    }

    /// The library's user update, with the row's own MAC bytes standing in for the new MAC.
    fn update_user(&self, id: &str, u: &UserCols, last_step: Option<i64>) {
        let params = params![
            id,
            u.role,
            u.status,
            u.epoch,
            u.deadline,
            u.secret,
            u.confirmed,
            last_step,
            u.failed,
            u.locked_until,
            u.mac
        ];
        self.exec(UPDATE_USER, params);
    }

    fn append(&self, at: i64, actor: &str, target: &str, org: &str, action: &str, detail: &str) {
        let head: Option<(i64, Vec<u8>)> = self
            .conn
            .prepare_cached(AUDIT_HEAD)
            .unwrap()
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .unwrap();
        let (seq, mac) = head.unwrap();
        let params = params![
            seq + 1,
            at,
            actor,
            target,
            org,
            action,
            "success",
            None::<&str>,
            None::<&str>,
            detail,
            mac
        ];
        self.exec(INSERT_AUDIT, params);
    }

    fn reset(&self, actor: &str, target: &str) {
        let now = T0 + 60;
        self.begin();
        let a = self.user(actor);
        let mut t = self.user(target);
        self.org(&a.org);
        let _: Option<i64> = self
            .conn
            .prepare_cached(NTH_RECENT_RESET)
            .unwrap()
            .query_row(params![actor, 1_000_000], |r| r.get(0))
            .optional()
            .unwrap();
        let deadline = now + 7 * 86_400;
        (t.epoch, t.deadline, t.secret, t.confirmed, t.failed, t.locked_until) =
            (t.epoch + 1, Some(deadline), None, false, 0, None);
        self.update_user(target, &t, None);
        self.exec(DELETE_CODES, [target]);
        self.exec(RECORD_RESET, params![actor, now]);
        let epoch = t.epoch;
        let detail = format!(
            r#"{{"credential_epoch":{epoch},"deadline":{deadline},"previous_state":"enrolled","window":604800}}"#
        );
        self.append(now, actor, target, &a.org, "mfa.reset", &detail);
        self.exec("COMMIT", []);
    }

    fn verify(&self, user: &str, now: i64) {
        self.begin();
        let mut u = self.user(user);
        self.org(&u.org);
        (u.failed, u.locked_until) = (0, None);
        self.update_user(user, &u, Some(totp::step_at(now)));
        let mut left = 0;
        let mut stmt = self.conn.prepare_cached(CODES_OF).unwrap();
        let mut rows = stmt.query([user]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let (_hash, used_at, _mac): (Vec<u8>, Option<i64>, Vec<u8>) =
                (row.get(0).unwrap(), row.get(1).unwrap(), row.get(2).unwrap());
            left += i64::from(used_at.is_none());
        }
        drop(rows);
        drop(stmt);
        let detail = format!(r#"{{"method":"totp","recovery_codes_remaining":{left}}}"#);
        self.append(now, user, user, &u.org, "mfa.verify", &detail);
        self.exec("COMMIT", []);
    }

    /// The run counts only if every call left its rows.
    fn check(&self, resets: usize, verifies: usize) {
        let count = |sql: &str| -> i64 { self.conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("SELECT count(*) FROM reset_log") as usize, resets);
        assert_eq!(
            count("SELECT count(*) FROM audit WHERE action = 'mfa.verify' AND at > 1700000070") as usize,
            verifies
        );
        assert_eq!(count("SELECT count(*) FROM users WHERE credential_epoch = 1") as usize, resets);
    }
}
