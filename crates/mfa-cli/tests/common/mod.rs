//! A throwaway store and a way to run mfa-admin against it, as an operator would.
#![allow(dead_code)] // each test file uses its own part of these helpers

use std::path::PathBuf;
use std::process::Output;

use assert_cmd::Command;
use mfa_core::totp;
use serde_json::Value;

/// The test key, as an operator would put it in MFA_CORE_KEY.
pub const KEY_HEX: &str = "0707070707070707070707070707070707070707070707070707070707070707";

/// The binary with no MFA_CORE_* variables from the test's own environment.
pub fn bare() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mfa-admin"));
    for var in ["MFA_CORE_KEY", "MFA_CORE_KEY_FILE", "MFA_CORE_DB"] {
        cmd.env_remove(var);
    }
    cmd
}

/// The `--help` text of a command.
pub fn help(args: &[&str]) -> String {
    let out = bare().args(args).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    stdout(&out)
}

/// `(status, name)` rows of an exit-status table (`--help`'s or the docs' markdown), in order.
pub fn exit_rows(text: &str) -> Vec<(u8, String)> {
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> =
                line.trim().trim_matches('|').split(['|', ' ']).filter(|c| !c.is_empty()).collect();
            let status = cells.first()?.parse().ok()?;
            let name = cells.get(1)?.trim_matches('`');
            name.chars().all(|c| c.is_ascii_lowercase() || c == '_').then(|| (status, name.to_string()))
        })
        .collect()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// A store in its own temporary directory, with the key in MFA_CORE_KEY.
pub struct Store {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

impl Store {
    /// An initialised, empty store.
    pub fn new() -> Store {
        let store = Store::uninit();
        store.ok(&["init"]);
        store
    }

    /// A directory where a store may be created.
    pub fn uninit() -> Store {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("mfa.db");
        Store { dir, db }
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = bare();
        cmd.env("MFA_CORE_KEY", KEY_HEX).arg("--db").arg(&self.db).args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// Stdout of a command that must succeed.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?} failed: {}", stderr(&out));
        stdout(&out)
    }

    /// The JSON document a successful command prints with `--json`.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        serde_json::from_str(&self.ok(&args)).expect("stdout is one JSON document")
    }

    /// The JSON lines a successful list command prints with `--json`: each line one JSON
    /// object, gathered into an array.
    pub fn json_lines(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        let text = self.ok(&args);
        let lines = text.lines().map(|line| {
            let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            assert!(value.is_object(), "{line}");
            value
        });
        Value::Array(lines.collect())
    }

    /// Stderr of a command that must exit with `status`, after checking that it printed
    /// nothing on stdout.
    pub fn fails(&self, args: &[&str], status: i32) -> String {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(status), "{args:?}: {}{}", stdout(&out), stderr(&out));
        assert_eq!(stdout(&out), "", "{args:?} printed a result but failed");
        stderr(&out)
    }

    /// The error code of a failing command, from its `--json` problem details.
    pub fn code_of(&self, args: &[&str], status: i32) -> String {
        let mut args = args.to_vec();
        args.push("--json");
        let problem: Value = serde_json::from_str(&self.fails(&args, status)).expect("problem details");
        assert_eq!(problem["exit_code"], status);
        problem["code"].as_str().unwrap().to_string()
    }
}

/// An org with one user of each role.
pub struct Org {
    pub id: String,
    pub owner: String,
    pub admin: String,
    pub member: String,
}

/// Creates an org named `name` (with extra `org create` flags) and its three users.
pub fn org(store: &Store, name: &str, flags: &[&str]) -> Org {
    let mut args = vec!["org", "create", name];
    args.extend(flags);
    let id = store.json(&args)["id"].as_str().unwrap().to_string();
    let add = |email: &str, role: &str| {
        store.json(&["user", "add", "--org", &id, email, "--role", role])["id"].as_str().unwrap().to_string()
    };
    let domain = name.to_lowercase();
    Org {
        owner: add(&format!("owner@{domain}.example"), "owner"),
        admin: add(&format!("admin@{domain}.example"), "admin"),
        member: add(&format!("member@{domain}.example"), "member"),
        id,
    }
}

/// The code an authenticator app shows `offset` steps from now.
pub fn code(secret: &str, offset: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    totp::code_for_step(&totp::decode_base32(secret).unwrap(), totp::step_at(now) + offset).unwrap()
}

/// A six-digit code that no step near now produces.
pub fn wrong_code(secret: &str) -> String {
    let near: Vec<String> = (-2..=2).map(|offset| code(secret, offset)).collect();
    (0..10).map(|d| d.to_string().repeat(6)).find(|c| !near.contains(c)).expect("five codes cannot take ten")
}

/// Enrolls `user` through the tool; returns the secret and the recovery codes.
pub fn enroll(store: &Store, user: &str) -> (String, Vec<String>) {
    let secret = store.json(&["enroll", user])["secret"].as_str().unwrap().to_string();
    let confirmed = store.json(&["confirm", user, &code(&secret, 0)]);
    let codes =
        confirmed["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string());
    (secret, codes.collect())
}

/// A store with something in every table, for `migrate`: an org whose owner may reset once an
/// hour and has done so (the reset log), an enrolled member who spent one recovery code, and
/// an audit trail of all that.
pub struct Story {
    pub acme: Org,
    /// The member's TOTP secret and recovery codes (the first one spent).
    pub secret: String,
    pub codes: Vec<String>,
}

pub fn story(store: &Store) -> Story {
    let acme = org(store, "Acme", &["--reset-limit-per-hour", "1"]);
    let (secret, codes) = enroll(store, &acme.member);
    store.ok(&["verify", &acme.member, &codes[0]]);
    enroll(store, &acme.admin);
    store.ok(&["reset", "--actor", &acme.owner, &acme.admin, "--reason", "lost phone"]);
    Story { acme, secret, codes }
}

/// Checks that `copy` holds what `source` holds (`story` was told on it): the same users and
/// audit trail byte for byte, the same head, which verifies there; the member signs in with the
/// app and an unspent recovery code but not the spent one, and the owner's reset limit counts
/// the reset made before the copy.
pub fn check_copy(source: &Store, copy: &Store, told: &Story) {
    let head = source.ok(&["audit", "checkpoint"]);
    assert_eq!(copy.ok(&["audit", "checkpoint"]), head);
    let verified = copy.json(&["audit", "verify", "--checkpoint", head.trim()]);
    assert_eq!(verified["report"]["ok"], true, "{verified}");
    for args in [&["audit", "export", "--format", "jsonl"][..], &["user", "list", "--org", "Acme", "--json"]]
    {
        assert_eq!(copy.ok(args), source.ok(args), "{args:?}");
    }
    let member = &told.acme.member;
    assert_eq!(copy.json(&["verify", member, &code(&told.secret, 1)])["method"], "totp");
    assert_eq!(copy.code_of(&["verify", member, &told.codes[0]], 16), "invalid_code");
    assert_eq!(copy.json(&["verify", member, &told.codes[1]])["method"], "recovery_code");
    assert_eq!(copy.code_of(&["reset", "--actor", &told.acme.owner, member], 17), "rate_limited");
    // The source is as it was.
    assert_eq!(source.ok(&["audit", "checkpoint"]), head);
}

/// Every subcommand path: each has its own help, completion and man page.
pub const COMMANDS: [&[&str]; 34] = [
    &["init"],
    &["migrate"],
    &["completions"],
    &["man"],
    &["org"],
    &["org", "create"],
    &["org", "list"],
    &["org", "policy"],
    &["user"],
    &["user", "add"],
    &["user", "list"],
    &["user", "import"],
    &["user", "show"],
    &["user", "role"],
    &["user", "disable"],
    &["user", "enable"],
    &["user", "rename"],
    &["user", "delete"],
    &["enroll"],
    &["confirm"],
    &["verify"],
    &["status"],
    &["reset"],
    &["reset-many"],
    &["audit"],
    &["audit", "tail"],
    &["audit", "export"],
    &["audit", "verify"],
    &["audit", "checkpoint"],
    &["info"],
    &["backup"],
    &["restore"],
    &["key"],
    &["key", "rotate"],
];
