//! docs/key-rotation.md: a rotation killed with SIGKILL at any moment leaves the store under
//! exactly one of the two keys, whole and verifiable. The test runs itself as the child that
//! rotates a store with many users (pending and confirmed secrets, recovery codes) and is killed
//! at moments spread over a measured uninterrupted rotation.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use mfa_core::{AuditQuery, Core, Durability, OpenOptions, Policy, Role};

const CHILD: &str = "MFA_ROTATE_CHILD";
const TEST: &str = "a_rotation_killed_at_any_moment_leaves_one_key";
const NEW_KEY: [u8; 32] = [8; 32];
const USERS: usize = 600;
const KILLS: u32 = 10;

/// The child: opens the store, says so, rotates, says so (unless it is killed first).
fn child(path: &str) {
    let core = core_at(Path::new(path));
    println!("ready");
    let start = Instant::now();
    core.rotate_key(&NEW_KEY).unwrap();
    println!("rotated in {} us", start.elapsed().as_micros());
}

/// Runs the child on `path` and kills it `delay` after it is ready (`None`: lets it finish).
/// Returns the child's output lines after "ready".
fn run_child(path: &Path, delay: Option<Duration>) -> Vec<String> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD, path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The harness may print the test's name on the same line as the first output.
    let ready = lines.by_ref().map(Result::unwrap).any(|l| l.contains("ready"));
    assert!(ready, "the child never opened the store");
    if let Some(delay) = delay {
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL
    }
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    child.wait().unwrap();
    rest
}

fn open(path: &Path, key: &[u8]) -> mfa_core::Result<Core> {
    Core::open(path, key, OpenOptions { manual_clock: Some(T0 + 3_600), ..Default::default() })
}

#[test]
fn a_rotation_killed_at_any_moment_leaves_one_key() {
    if let Ok(path) = std::env::var(CHILD) {
        return child(&path);
    }
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.db");
    let (member, secret) = {
        // Setup only: the rotations below run at full durability.
        let options =
            OpenOptions { manual_clock: Some(T0), durability: Durability::Normal, ..Default::default() };
        let core = Core::open(&base, &KEY, options).unwrap();
        let o = org(&core, Policy::default());
        let (secret, _codes) = enroll(&core, &o.member.id);
        let users: Vec<(String, Role)> =
            (0..USERS).map(|i| (format!("u{i}@acme.test"), Role::Member)).collect();
        for user in core.create_users(&o.id, &users).unwrap() {
            core.begin_enrollment(&user.unwrap().id).unwrap();
        }
        (o.member.id, secret)
    };
    let head_before = open(&base, &KEY).unwrap().audit_checkpoint().unwrap();

    // One uninterrupted rotation measures how long the child takes.
    let whole = dir.path().join("whole.db");
    std::fs::copy(&base, &whole).unwrap();
    let out = run_child(&whole, None);
    let rotated = out.iter().find_map(|l| l.split("rotated in ").nth(1)).expect("the child rotated");
    let micros: u64 = rotated.trim_end_matches(" us").parse().unwrap();
    assert_eq!(open(&whole, &KEY).unwrap_err().code(), "invalid_input");
    assert!(open(&whole, &NEW_KEY).unwrap().verify_audit(Some(&head_before)).unwrap().ok);

    let (mut old, mut new) = (0, 0);
    let jitter =
        u64::from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos());
    for i in 0..KILLS {
        let path = dir.path().join(format!("kill{i}.db"));
        std::fs::copy(&base, &path).unwrap();
        // Spread over the rotation and a little past it, where the commit lands.
        let delay = Duration::from_micros(micros * 3 * u64::from(i) / (2 * u64::from(KILLS)) + jitter % 997);
        run_child(&path, Some(delay));

        let (with_old, with_new) = (open(&path, &KEY), open(&path, &NEW_KEY));
        let core = match (with_old, with_new) {
            (Ok(core), Err(e)) => {
                assert_eq!(e.code(), "invalid_input", "{e}");
                old += 1;
                assert_eq!(
                    core.audit_checkpoint().unwrap(),
                    head_before,
                    "kill {i}: the old state, unchanged"
                );
                core
            }
            (Err(e), Ok(core)) => {
                assert_eq!(e.code(), "invalid_input", "{e}");
                new += 1;
                let rotations = AuditQuery { action: Some("key.rotate".into()), ..Default::default() };
                assert_eq!(core.audit_events(&rotations).unwrap().len(), 1);
                core
            }
            (a, b) => panic!("kill {i} after {delay:?}: old key {:?}, new key {:?}", a.err(), b.err()),
        };
        let report = core.verify_audit(Some(&head_before)).unwrap();
        assert!(report.ok, "kill {i}: {report:?}");
        core.verify(&member, &code(&core, &secret, 0)).unwrap();
        let org = core.get_user(&member).unwrap().org;
        assert_eq!(core.list_users(&org).unwrap().len(), USERS + 4);
    }
    println!(
        "rotation crash: {KILLS} kills over a {micros} us rotation: {old} left the old key, {new} the new"
    );
}
