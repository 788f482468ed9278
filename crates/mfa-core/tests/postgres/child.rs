//! A child process: one handle of its own on the shared database, driven line by line over
//! stdin. Each line holds commands separated by `;`, run in order; the answer is one line with
//! one outcome per command, also separated by `;`: `ok` or `ok VALUE`, or `err CODE` (and
//! `err rate_limited:SECONDS`). Only `churn` answers with many lines.

use std::io::{BufRead, Write};

use mfa_core::{Core, Error, OpenOptions, ResetOptions, Role};

use crate::common::T0;

pub fn serve() {
    let mut core: Option<Core> = None;
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    for line in stdin.lock().lines() {
        let line = line.expect("read a command");
        if line == "exit" {
            return;
        }
        let answers: Vec<String> = line.split(';').map(|cmd| run(&mut core, cmd)).collect();
        writeln!(out, "{}", answers.join(";")).unwrap();
        out.flush().unwrap();
    }
}

/// The answer for a call's outcome.
pub fn outcome<T>(result: Result<T, Error>, value: impl FnOnce(T) -> String) -> String {
    match result {
        Ok(v) => format!("ok {}", value(v)).trim_end().to_string(),
        Err(e) => answer_for(&e),
    }
}

pub fn answer_for(e: &Error) -> String {
    match e.retry_after() {
        Some(s) => format!("err {}:{s}", e.code()),
        None => format!("err {}", e.code()),
    }
}

fn run(core: &mut Option<Core>, cmd: &str) -> String {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    if let ["open", url, key, create] = words[..] {
        let options =
            OpenOptions { manual_clock: Some(T0), create_if_missing: create == "1", ..Default::default() };
        let opened = Core::open(url, &[key.parse::<u8>().unwrap(); 32], options);
        return match opened {
            Ok(opened) => {
                *core = Some(opened);
                "ok".into()
            }
            Err(e) => answer_for(&e),
        };
    }
    if words[..] == ["nop"] {
        return "ok".into();
    }
    let core = core.as_ref().expect("open before any other command");
    let none = ResetOptions::default();
    match words[..] {
        ["time", t] => outcome(core.set_time(t.parse().unwrap()), |()| String::new()),
        ["create_org", name] => outcome(core.create_org(name, Default::default()), |o| o.id),
        ["create", org, email] => outcome(core.create_user(org, email, Role::Member), |u| u.id),
        ["reset", actor, target] => outcome(core.reset_mfa(actor, target, &none), |r| {
            format!("{}:{}", r.credential_epoch, r.previous_state)
        }),
        ["reset_many", actor, targets] => {
            let targets: Vec<&str> = targets.split(',').collect();
            match core.reset_mfa_many(actor, &targets, &none) {
                Ok(outcomes) => {
                    outcomes.into_iter().map(|o| outcome(o, |_| String::new())).collect::<Vec<_>>().join(";")
                }
                Err(e) => answer_for(&e),
            }
        }
        ["verify", user, code] => outcome(core.verify(user, code), |v| v.method.as_str().to_string()),
        ["begin", user] => outcome(core.begin_enrollment(user), |e| e.secret.clone()),
        ["confirm", user, code] => outcome(core.confirm_enrollment(user, code), |_| String::new()),
        ["demote", actor, target] => {
            outcome(core.set_role(actor, target, Role::Member, None), |_| String::new())
        }
        ["disable", actor, target] => outcome(core.disable_user(actor, target, None), |_| String::new()),
        ["head"] => outcome(core.verify_audit(None), |report| {
            assert!(report.ok, "{report:?}");
            let head = core.audit_checkpoint().unwrap();
            format!("{}:{}:{}", report.checked, head.seq, head.mac)
        }),
        ["churn", org, prefix, stop] => churn(core, org, prefix, stop),
        _ => panic!("unknown command {cmd:?}"),
    }
}

/// Threads of one `churn`, so that the handle's pool holds several connections.
const CHURN_THREADS: usize = 2;

/// Until the file `stop` exists, in each of `CHURN_THREADS` threads sharing the handle:
/// creates a user, reads it back, and reports each call, one line each: `ok EMAIL ID` for a
/// user created, `err CODE EMAIL` for a creation refused, `read-err CODE` for a read that
/// failed, `read-wrong ...` for a read that returned another user than the one created. After
/// a failure a thread waits a little, so that a stopped server is not hammered; a thread whose
/// calls do not recover within a minute gives up.
fn churn(core: &Core, org: &str, prefix: &str, stop: &str) -> String {
    let report = |line: String| {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}").and_then(|()| out.flush()).unwrap();
    };
    let thread = |t: usize| {
        let mut failures_in_a_row = 0;
        let mut n = 0;
        while !std::path::Path::new(stop).exists() {
            n += 1;
            let email = format!("{prefix}t{t}-{n}@acme.test");
            report(match core.create_user(org, &email, Role::Member) {
                Ok(user) => {
                    failures_in_a_row = 0;
                    match core.get_user(&user.id) {
                        Ok(read) if read.email == email => format!("ok {email} {}", user.id),
                        Ok(read) => format!("read-wrong {email} {}", read.email),
                        Err(e) => format!("ok {email} {}\nread-{}", user.id, answer_for(&e)),
                    }
                }
                Err(e) => {
                    failures_in_a_row += 1;
                    if failures_in_a_row > 3000 {
                        return Err("gave up: the handle did not recover".to_string());
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    format!("{} {email}", answer_for(&e))
                }
            });
        }
        Ok(n)
    };
    let calls: Result<Vec<usize>, String> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..CHURN_THREADS).map(|t| s.spawn(move || thread(t))).collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    match calls {
        Ok(calls) => format!("done {}", calls.iter().sum::<usize>()),
        Err(gave_up) => gave_up,
    }
}
