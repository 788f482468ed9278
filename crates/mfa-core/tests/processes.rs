//! docs/storage.md: four OS processes writing one file. The test binary runs itself as the
//! children (`--child`), so no other program is needed.

use std::process::{Command, Stdio};

use mfa_core::{AuditQuery, Core, OpenOptions, Outcome, Policy, ResetOptions, Role, totp};

const KEY: [u8; 32] = [9; 32];
const CHILDREN: usize = 4;
const USERS_PER_CHILD: usize = 5;
const ROUNDS: usize = 6;

fn open(path: &str) -> Core {
    Core::open(path, &KEY, OpenOptions::default()).unwrap()
}

fn enroll(core: &Core, user: &str) {
    let secret = totp::decode_base32(&core.begin_enrollment(user).unwrap().secret).unwrap();
    let code = totp::code_for_step(&secret, totp::step_at(core.now())).unwrap();
    core.confirm_enrollment(user, &code).unwrap();
}

/// A child: reset and re-enroll each of its users ROUNDS times; print how many resets it made.
fn child(path: &str, owner: &str, users: &[String]) {
    let core = open(path);
    let mut resets = 0;
    for _ in 0..ROUNDS {
        for user in users {
            core.reset_mfa(owner, user, &ResetOptions::default()).unwrap();
            resets += 1;
            enroll(&core, user);
            core.mfa_status(user).unwrap();
        }
    }
    println!("resets={resets}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        return child(&args[2], &args[3], &args[4..]);
    }
    // This target has `harness = false`: any other arguments are the test runner's, ignored.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db").to_str().unwrap().to_string();
    let core = open(&path);
    let policy = Policy { reset_limit_per_hour: 1_000_000, ..Policy::default() };
    let org = core.create_org("Acme", policy).unwrap();
    let owner = core.create_user(&org.id, "owner@acme.test", Role::Owner).unwrap();
    let groups: Vec<Vec<String>> = (0..CHILDREN)
        .map(|c| {
            (0..USERS_PER_CHILD)
                .map(|u| {
                    let id =
                        core.create_user(&org.id, &format!("c{c}u{u}@acme.test"), Role::Member).unwrap().id;
                    enroll(&core, &id);
                    id
                })
                .collect()
        })
        .collect();

    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = groups
        .iter()
        .map(|users| {
            Command::new(&exe)
                .arg("--child")
                .arg(&path)
                .arg(&owner.id)
                .args(users)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut total = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "child failed: {}", String::from_utf8_lossy(&out.stderr));
        let resets: usize = stdout.trim().strip_prefix("resets=").unwrap().parse().unwrap();
        assert_eq!(resets, ROUNDS * USERS_PER_CHILD);
        total += resets as u64;
    }

    let report = core.verify_audit(None).unwrap();
    assert!(report.ok, "{report:?}");
    let events = core.audit_events(&AuditQuery { limit: Some(10_000), ..Default::default() }).unwrap();
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=report.checked).collect::<Vec<_>>());
    let resets = events.iter().filter(|e| e.action == "mfa.reset" && e.outcome == Outcome::Success).count();
    assert_eq!(resets as u64, total);
    for user in groups.iter().flatten() {
        assert_eq!(core.get_user(user).unwrap().credential_epoch, ROUNDS as u64, "each reset counted once");
    }
    println!("processes: {CHILDREN} children, {total} resets, {} events, chain ok", report.checked);
}
