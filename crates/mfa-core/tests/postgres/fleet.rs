//! The parent's side: child processes (this binary with `--child`), each answering commands
//! (see `child.rs`) over pipes. A thread drains each child's stdout, so a child is never
//! blocked on a full pipe while the parent waits on another.

use std::io::{BufRead, BufReader, Write};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

/// How long the parent waits for one answer before the run fails (a hung child, not a
/// measurement: answers normally come within milliseconds).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

pub struct Child {
    process: std::process::Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

impl Child {
    fn spawn() -> Child {
        let mut process = Command::new(std::env::current_exe().unwrap())
            .arg("--child")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start a child process");
        let stdin = process.stdin.take().unwrap();
        let stdout = BufReader::new(process.stdout.take().unwrap());
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                if tx.send(line.expect("read a child's answer")).is_err() {
                    return;
                }
            }
        });
        Child { process, stdin, lines }
    }

    pub fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").and_then(|()| self.stdin.flush()).expect("write to a child");
    }

    pub fn recv(&mut self) -> String {
        match self.lines.recv_timeout(ANSWER_TIMEOUT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => panic!("a child gave no answer"),
            Err(RecvTimeoutError::Disconnected) => panic!("a child exited (its panic is above)"),
        }
    }
}

/// Several children, each with its own handle once sent `open`.
pub struct Fleet {
    children: Vec<Child>,
}

impl Fleet {
    pub fn spawn(n: usize) -> Fleet {
        Fleet { children: (0..n).map(|_| Child::spawn()).collect() }
    }

    /// Every child opens `url` with the same key (see `child.rs`), all at once; each must
    /// succeed.
    pub fn open(url: &str, n: usize) -> Fleet {
        let mut fleet = Fleet::spawn(n);
        for answer in fleet.all(&format!("open {url} 9 1")) {
            assert_eq!(answer, ["ok"]);
        }
        fleet
    }

    pub fn child(&mut self, i: usize) -> &mut Child {
        &mut self.children[i]
    }

    /// Sends `commands[i]` to child `i`, every command before reading any answer, so that the
    /// children run them at the same moment; then each child's outcomes.
    pub fn run<S: AsRef<str>>(&mut self, commands: &[S]) -> Vec<Vec<String>> {
        assert_eq!(commands.len(), self.children.len());
        for (child, command) in self.children.iter_mut().zip(commands) {
            child.send(command.as_ref());
        }
        self.children.iter_mut().map(|c| c.recv().split(';').map(str::to_string).collect()).collect()
    }

    /// The same command to every child at once.
    pub fn all(&mut self, command: &str) -> Vec<Vec<String>> {
        self.run(&vec![command; self.children.len()])
    }

    /// Every outcome of `run`, in one list.
    pub fn run_flat<S: AsRef<str>>(&mut self, commands: &[S]) -> Vec<String> {
        self.run(commands).into_iter().flatten().collect()
    }

    pub fn all_flat(&mut self, command: &str) -> Vec<String> {
        self.all(command).into_iter().flatten().collect()
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = writeln!(child.stdin, "exit");
            let _ = child.stdin.flush();
        }
        for child in &mut self.children {
            let status = child.process.wait();
            if !std::thread::panicking() {
                assert!(status.expect("wait for a child").success(), "a child failed (see above)");
            }
        }
    }
}

/// How many times each outcome occurs, sorted, e.g. `[("err invalid_code", 3), ("ok totp", 1)]`.
pub fn tally(outcomes: &[String]) -> Vec<(String, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for o in outcomes {
        *counts.entry(o.clone()).or_insert(0) += 1;
    }
    counts.into_iter().collect()
}

/// `tally` written as a literal, for `assert_eq!`.
pub fn counts(expected: &[(&str, usize)]) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> =
        expected.iter().filter(|(_, n)| *n > 0).map(|(s, n)| (s.to_string(), *n)).collect();
    v.sort();
    v
}
