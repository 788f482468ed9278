//! The surface-neutral half of a replay: reading scenario files and playing their steps
//! through a [`Driver`] (README: "A file", "Steps", "Expectations").

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::codes;
use crate::driver::{Driver, Failure};
use crate::pattern;

/// Every scenario starts its manual clock here (a TOTP step boundary).
pub const T0: i64 = 1_700_000_010;

/// Every scenario's store key: the bytes 0 to 31 (the key named `"first"`).
pub const KEY: [u8; 32] = key_from(0);

/// The key named `"second"`: the bytes 32 to 63.
pub const SECOND_KEY: [u8; 32] = key_from(32);

/// The key named `"third"`: the bytes 64 to 95.
pub const THIRD_KEY: [u8; 32] = key_from(64);

/// The 32 bytes `start`, `start + 1`, ...
const fn key_from(start: u8) -> [u8; 32] {
    let mut key = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        key[i] = start + i as u8;
        i += 1;
    }
    key
}

/// Opens a driver on a scenario's store (see [`run_file`]): `open(store, key, now)`.
type Open<'o, D> = dyn FnMut(Option<&Path>, &[u8], i64) -> Result<D, Failure> + 'o;

/// The name of the store file inside a file scenario's temporary folder.
const STORE_FILE: &str = "store.db";

/// The operations a step may name; all but `enroll` go to the driver as they are.
const OPS: [&str; 24] = [
    "create_org",
    "create_user",
    "get_user",
    "list_users",
    "set_role",
    "disable_user",
    "enable_user",
    "update_policy",
    "delete_user",
    "rename_user",
    "begin_enrollment",
    "confirm_enrollment",
    "enroll",
    "verify",
    "regenerate_recovery_codes",
    "mfa_status",
    "reset_mfa",
    "reset_mfa_many",
    "audit_events",
    "audit_checkpoint",
    "verify_audit",
    "info",
    "backup",
    "rotate_key",
];

/// The operations whose result is a checkpoint, which `as` binds (instead of an id).
const CHECKPOINT_OPS: [&str; 2] = ["audit_checkpoint", "rotate_key"];

/// Arguments that hold one id, written as a NAME or `{"raw": ...}`.
const ID_ARGS: [&str; 4] = ["org", "user", "actor", "target"];
/// Arguments that hold a code, written as `{"totp"}`, `{"wrong_totp"}`, `{"recovery"}` or
/// `{"raw"}`.
const CODE_ARGS: [&str; 3] = ["code", "proof", "actor_proof"];

/// The folder of the scenario files, `tests/scenarios/` at the repository root.
pub fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios")
}

/// Every `*.json` file of `dir`, sorted by name.
pub fn scenario_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Why one scenario failed: the file, the scenario's name, the step (0-based index into
/// `steps`; `None` for a file that could not be read or opened) and what differed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub file: PathBuf,
    pub name: String,
    pub step: Option<usize>,
    pub message: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.file_name().map_or(self.file.display(), |n| Path::new(n).display());
        match self.step {
            Some(i) => write!(f, "{file} step {i} ({:?}): {}", self.name, self.message),
            None => write!(f, "{file} ({:?}): {}", self.name, self.message),
        }
    }
}

impl std::error::Error for Mismatch {}

/// Every scenario that failed in a [`run_dir`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failures(pub Vec<Mismatch>);

impl fmt::Display for Failures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} scenario(s) failed:", self.0.len())?;
        self.0.iter().try_for_each(|m| writeln!(f, "  {m}"))
    }
}

impl std::error::Error for Failures {}

/// Replays every `*.json` file of `dir` in name order, each on drivers from `open` (see
/// [`run_file`]), and returns how many passed, or every failure.
pub fn run_dir<D: Driver>(
    dir: &Path,
    mut open: impl FnMut(Option<&Path>, &[u8], i64) -> Result<D, Failure>,
) -> Result<usize, Failures> {
    let files = scenario_files(dir).map_err(|e| {
        Failures(vec![Mismatch {
            file: dir.to_path_buf(),
            name: String::new(),
            step: None,
            message: format!("cannot list scenarios: {e}"),
        }])
    })?;
    let failures: Vec<Mismatch> = files.iter().filter_map(|file| run_file(file, &mut open).err()).collect();
    match failures.is_empty() {
        true => Ok(files.len()),
        false => Err(Failures(failures)),
    }
}

/// Replays one scenario file, stopping at the first step whose outcome differs from the file.
///
/// `open(store, key, now)` opens a driver on the scenario's store with `key` (any length: a
/// `reopen` step may give a wrong one) and a manual clock at `now`. `store` is `None` for a new
/// in-memory store (`"store": "memory"`, the default), or the path of the scenario's store file
/// (`"store": "file"`): a path in a new temporary folder, where nothing exists yet at the first
/// open, and the same path again for every `reopen` step.
pub fn run_file<D: Driver>(
    file: &Path,
    open: impl FnMut(Option<&Path>, &[u8], i64) -> Result<D, Failure>,
) -> Result<(), Mismatch> {
    let text = std::fs::read_to_string(file).map_err(|e| Mismatch {
        file: file.to_path_buf(),
        name: String::new(),
        step: None,
        message: e.to_string(),
    })?;
    run_text(file, &text, open)
}

/// Replays the scenario `text` as [`run_file`] does; `file` only names it in a [`Mismatch`].
/// Any text gets an answer, never a panic: this is what the scenario fuzz target drives.
pub fn run_text<D: Driver>(
    file: &Path,
    text: &str,
    mut open: impl FnMut(Option<&Path>, &[u8], i64) -> Result<D, Failure>,
) -> Result<(), Mismatch> {
    let fail = |name: &str, step, message: String| Mismatch {
        file: file.to_path_buf(),
        name: name.to_string(),
        step,
        message,
    };
    let scenario = parse(text).map_err(|e| fail("", None, e))?;
    // Declared before the replay, so dropped after it: the store file outlives its handle.
    let folder = match scenario.file_store {
        true => Some(tempfile::tempdir().map_err(|e| {
            fail(&scenario.name, None, format!("cannot make a folder for the store file: {e}"))
        })?),
        false => None,
    };
    let path = folder.as_ref().map(|f| f.path().join(STORE_FILE));
    let driver = open(path.as_deref(), &KEY, T0)
        .map_err(|e| fail(&scenario.name, None, format!("cannot open: {e}")))?;
    let mut replay = Replay {
        driver: Some(driver),
        open: &mut open,
        path,
        now: T0,
        names: HashMap::new(),
        secrets: HashMap::new(),
        recovery_codes: HashMap::new(),
        checkpoints: HashMap::new(),
    };
    for (i, step) in scenario.steps.iter().enumerate() {
        replay.step(step).map_err(|e| fail(&scenario.name, Some(i), e))?;
    }
    Ok(())
}

struct Scenario {
    name: String,
    /// `"store": "file"`: the scenario runs on a store file that `reopen` steps open again.
    file_store: bool,
    steps: Vec<Map<String, Value>>,
}

/// Reads a file's top level strictly, so that a misspelt key fails instead of being ignored.
fn parse(text: &str) -> Result<Scenario, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let top = value.as_object().ok_or("a scenario is a JSON object")?;
    only_keys(top, &["name", "covers", "store", "steps"])?;
    let name = top.get("name").and_then(Value::as_str).ok_or("\"name\" must be a string")?;
    let covers = top.get("covers").and_then(Value::as_array).ok_or("\"covers\" must be a list")?;
    if covers.is_empty() || !covers.iter().all(Value::is_string) {
        return Err("\"covers\" must list at least one section or seed".into());
    }
    let file_store = match top.get("store") {
        None => false,
        Some(store) if store == "memory" => false,
        Some(store) if store == "file" => true,
        Some(other) => return Err(format!("\"store\" must be \"memory\" or \"file\", got {other}")),
    };
    let steps = top.get("steps").and_then(Value::as_array).ok_or("\"steps\" must be a list")?;
    let steps = steps
        .iter()
        .map(|s| s.as_object().cloned().ok_or_else(|| format!("step {s} is not an object")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Scenario { name: name.to_string(), file_store, steps })
}

fn only_keys(map: &Map<String, Value>, allowed: &[&str]) -> Result<(), String> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("unknown key {k:?} (allowed: {allowed:?})")),
        None => Ok(()),
    }
}

/// The bytes of a key written as a name (`"first"`, `"second"`, `"third"`) or as
/// `{"hex": "..."}` (lowercase, two digits a byte, any length).
fn key_bytes(spec: &Value) -> Result<Vec<u8>, String> {
    let bad = || format!("a key is \"first\", \"second\", \"third\" or {{\"hex\": text}}, got {spec}");
    match spec {
        Value::String(name) => match name.as_str() {
            "first" => Ok(KEY.to_vec()),
            "second" => Ok(SECOND_KEY.to_vec()),
            "third" => Ok(THIRD_KEY.to_vec()),
            _ => Err(bad()),
        },
        Value::Object(map) => {
            only_keys(map, &["hex"])?;
            let hex = map.get("hex").and_then(Value::as_str).ok_or_else(bad)?;
            let digit = |c: u8| match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                _ => None,
            };
            if hex.len() % 2 != 0 {
                return Err(bad());
            }
            hex.as_bytes()
                .chunks(2)
                .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(bad)
        }
        _ => Err(bad()),
    }
}

/// One scenario in progress: the driver, the clock, and what the steps have bound by name.
struct Replay<'o, D> {
    /// `None` after a `reopen` that failed, until one succeeds.
    driver: Option<D>,
    open: &'o mut Open<'o, D>,
    /// The store file of a `"store": "file"` scenario.
    path: Option<PathBuf>,
    now: i64,
    /// NAME (from `as`) to id.
    names: HashMap<String, String>,
    /// User NAME to the base32 secret of its last `begin_enrollment`.
    secrets: HashMap<String, String>,
    /// User NAME to the codes of its last confirmation or regeneration.
    recovery_codes: HashMap<String, Vec<String>>,
    /// NAME (from `as` on a [`CHECKPOINT_OPS`] step) to its `{"seq", "mac"}`.
    checkpoints: HashMap<String, Value>,
}

impl<D: Driver> Replay<'_, D> {
    fn step(&mut self, step: &Map<String, Value>) -> Result<(), String> {
        if let Some(n) = step.get("advance") {
            only_keys(step, &["advance"])?;
            let n = n.as_i64().ok_or("\"advance\" must be an integer")?;
            return self.set_clock(self.now.checked_add(n), "advance", n);
        }
        if let Some(n) = step.get("at") {
            only_keys(step, &["at"])?;
            let n = n.as_i64().ok_or("\"at\" must be an integer")?;
            return self.set_clock(T0.checked_add(n), "at", n);
        }
        if let Some(reopen) = step.get("reopen") {
            only_keys(step, &["reopen", "expect"])?;
            let reopen = reopen.as_object().ok_or("\"reopen\" must be an object")?;
            only_keys(reopen, &["key"])?;
            let key = key_bytes(reopen.get("key").ok_or("\"reopen\" needs a \"key\"")?)?;
            let outcome = self.reopen(&key)?;
            return self.expect("reopen", step.get("expect"), &outcome);
        }
        only_keys(step, &["op", "args", "as", "expect"])?;
        let op = step
            .get("op")
            .and_then(Value::as_str)
            .ok_or("a step needs \"op\", \"advance\", \"at\" or \"reopen\"")?;
        if !OPS.contains(&op) {
            return Err(format!("unknown op {op:?}"));
        }
        let empty = Map::new();
        let args = match step.get("args") {
            None => &empty,
            Some(a) => a.as_object().ok_or("\"args\" must be an object")?,
        };
        let outcome = self.call(op, args)?;
        if let Err(f) = &outcome
            && f.code == Failure::HARNESS
        {
            return Err(format!("{op}: the driver could not run the step: {}", f.message));
        }
        self.expect(op, step.get("expect"), &outcome)?;
        if let Some(name) = step.get("as") {
            let name = name.as_str().ok_or("\"as\" must be a string")?;
            if CHECKPOINT_OPS.contains(&op) {
                let checkpoint = outcome.ok().filter(|v| v.get("seq").is_some() && v.get("mac").is_some());
                let checkpoint = checkpoint.ok_or_else(|| format!("{op}: \"as\" needs a checkpoint"))?;
                self.checkpoints.insert(name.to_string(), checkpoint);
                return Ok(());
            }
            let id = outcome.ok().and_then(|v| v.get("id")?.as_str().map(str::to_string));
            let id = id.ok_or_else(|| format!("{op}: \"as\" needs a result with an \"id\""))?;
            self.names.insert(name.to_string(), id);
        }
        Ok(())
    }

    /// Moves the clock to `t` (`None`: the step's arithmetic overflowed). A time the store
    /// refuses (outside 1970 to 9999) fails the scenario and leaves the clock where it was.
    /// Without an open handle (after a failed `reopen`) only the scenario's clock moves: the
    /// next `reopen` starts the store's clock there.
    fn set_clock(&mut self, t: Option<i64>, key: &str, n: i64) -> Result<(), String> {
        let t = t.ok_or_else(|| format!("\"{key}\": {n} moves the clock past the range of a 64-bit time"))?;
        if let Some(driver) = &mut self.driver {
            driver.set_time(t).map_err(|e| format!("set_time({t}) failed: {e}"))?;
        }
        self.now = t;
        Ok(())
    }

    /// `reopen`: closes the handle (if one is open) and opens the store file again with `key`
    /// and a manual clock at the scenario's current time. The outcome is `null` or the open's
    /// refusal, after which no handle is open until a later `reopen` succeeds.
    fn reopen(&mut self, key: &[u8]) -> Result<Result<Value, Failure>, String> {
        let path = self.path.as_deref().ok_or("\"reopen\" needs a scenario with \"store\": \"file\"")?;
        self.driver = None;
        match (self.open)(Some(path), key, self.now) {
            Ok(driver) => {
                self.driver = Some(driver);
                Ok(Ok(Value::Null))
            }
            Err(f) if f.code == Failure::HARNESS => {
                Err(format!("reopen: the driver could not open: {}", f.message))
            }
            Err(f) => Ok(Err(f)),
        }
    }

    /// The open handle's driver; none after a failed `reopen` (a scenario error).
    fn driver(&mut self) -> Result<&mut D, Failure> {
        self.driver.as_mut().ok_or_else(|| Failure::harness("no store is open: the last \"reopen\" failed"))
    }

    /// Runs one op and returns its outcome in the README's shape, times relative to T0.
    /// `Err(String)` is a scenario that cannot be run (an unbound name, a malformed argument).
    fn call(&mut self, op: &str, args: &Map<String, Value>) -> Result<Result<Value, Failure>, String> {
        let resolved = self.resolve(args)?;
        let user = args.get("user").and_then(Value::as_str);
        let mut outcome = match op {
            "enroll" => self.enroll(user.ok_or("enroll needs a \"user\" NAME")?, &resolved),
            _ => self
                .driver()
                .and_then(|driver| driver.call(op, &resolved))
                .and_then(|result| self.keep_secrets(op, user, result)),
        };
        if let Ok(value) = &mut outcome {
            pattern::relativise(value, T0);
        }
        Ok(outcome)
    }

    /// `enroll`: `begin_enrollment`, then `confirm_enrollment` with the user's current code.
    fn enroll(&mut self, user: &str, args: &Map<String, Value>) -> Result<Value, Failure> {
        let begun = self.driver()?.call("begin_enrollment", args)?;
        self.keep_secrets("begin_enrollment", Some(user), begun)?;
        let code = codes::totp(&self.secrets[user], self.now, 0).map_err(Failure::harness)?;
        let mut confirm = args.clone();
        confirm.insert("code".into(), Value::String(code));
        let confirmed = self.driver()?.call("confirm_enrollment", &confirm)?;
        self.keep_secrets("confirm_enrollment", Some(user), confirmed)
    }

    /// Remembers the secret or recovery codes a result shows once, under the user's NAME, and
    /// returns the result as the README compares it: the secret and codes left out. A result
    /// without them breaks the [`Driver`] contract: a harness failure.
    fn keep_secrets(&mut self, op: &str, user: Option<&str>, result: Value) -> Result<Value, Failure> {
        let broken = || Failure::harness(format!("{op} returned {result} instead of the Driver's shape"));
        match op {
            "begin_enrollment" => {
                let secret = result.get("secret").and_then(Value::as_str).ok_or_else(broken)?;
                let uri = result.get("uri").and_then(Value::as_str).ok_or_else(broken)?;
                if let Some(user) = user {
                    self.secrets.insert(user.to_string(), secret.to_string());
                }
                Ok(json!({ "uri": without_secret(uri) }))
            }
            "confirm_enrollment" | "regenerate_recovery_codes" => {
                let codes = result.get("recovery_codes").and_then(Value::as_array).ok_or_else(broken)?;
                let codes: Vec<String> = codes
                    .iter()
                    .map(|c| c.as_str().map(str::to_string))
                    .collect::<Option<_>>()
                    .ok_or_else(broken)?;
                let count = codes.len();
                if let Some(user) = user {
                    self.recovery_codes.insert(user.to_string(), codes);
                }
                Ok(json!({ "recovery_codes": count }))
            }
            _ => Ok(result),
        }
    }

    /// Replaces NAMEs and code specs in `args` by the plain strings the driver passes on.
    fn resolve(&self, args: &Map<String, Value>) -> Result<Map<String, Value>, String> {
        let mut out = Map::new();
        for (key, value) in args {
            let resolved = match key.as_str() {
                _ if value.is_null() => Value::Null,
                k if ID_ARGS.contains(&k) => Value::String(self.id(value)?),
                "targets" => {
                    let items = value.as_array().ok_or("\"targets\" must be a list")?;
                    Value::Array(
                        items.iter().map(|v| self.id(v).map(Value::String)).collect::<Result<_, _>>()?,
                    )
                }
                k if CODE_ARGS.contains(&k) => Value::String(self.code(value)?),
                "key" => Value::from(key_bytes(value)?),
                "checkpoint" => self.checkpoint(value)?,
                _ => value.clone(),
            };
            out.insert(key.clone(), resolved);
        }
        Ok(out)
    }

    /// A checkpoint: a NAME bound by `as`, or `{"seq": N, "mac": text}` as written.
    fn checkpoint(&self, value: &Value) -> Result<Value, String> {
        if let Some(name) = value.as_str() {
            return self
                .checkpoints
                .get(name)
                .cloned()
                .ok_or_else(|| format!("{name:?} is not a bound checkpoint"));
        }
        let map = value.as_object().filter(|m| m.get("seq").is_some_and(Value::is_u64));
        let map = map.filter(|m| m.get("mac").is_some_and(Value::is_string));
        let map =
            map.ok_or_else(|| format!("a checkpoint is a NAME or {{\"seq\", \"mac\"}}, got {value}"))?;
        only_keys(map, &["seq", "mac"])?;
        Ok(value.clone())
    }

    fn id(&self, value: &Value) -> Result<String, String> {
        if let Some(name) = value.as_str() {
            return self.names.get(name).cloned().ok_or_else(|| format!("{name:?} is not bound by \"as\""));
        }
        raw(value).ok_or_else(|| format!("an id is a NAME or {{\"raw\": text}}, got {value}"))
    }

    fn code(&self, spec: &Value) -> Result<String, String> {
        let bad = || {
            format!("a code is {{\"totp\"}}, {{\"wrong_totp\"}}, {{\"recovery\"}} or {{\"raw\"}}, got {spec}")
        };
        let map = spec.as_object().ok_or_else(bad)?;
        let secret_of = |name: &Value| {
            let name = name.as_str().ok_or_else(bad)?;
            self.secrets.get(name).ok_or_else(|| format!("{name:?} has begun no enrollment"))
        };
        if let Some(name) = map.get("totp") {
            only_keys(map, &["totp", "offset"])?;
            let offset = match map.get("offset") {
                None => 0,
                Some(k) => k.as_i64().ok_or("\"offset\" must be an integer")?,
            };
            return codes::totp(secret_of(name)?, self.now, offset);
        }
        if let Some(name) = map.get("wrong_totp") {
            only_keys(map, &["wrong_totp"])?;
            return codes::wrong_totp(secret_of(name)?, self.now);
        }
        if let Some(name) = map.get("recovery") {
            only_keys(map, &["recovery", "index"])?;
            let name = name.as_str().ok_or_else(bad)?;
            let index = map.get("index").and_then(Value::as_u64).ok_or("\"recovery\" needs an \"index\"")?;
            let codes =
                self.recovery_codes.get(name).ok_or_else(|| format!("{name:?} has no recovery codes"))?;
            return codes.get(index as usize).cloned().ok_or_else(|| format!("{name:?} has no code {index}"));
        }
        raw(spec).ok_or_else(bad)
    }

    fn expect(
        &self,
        op: &str,
        expect: Option<&Value>,
        outcome: &Result<Value, Failure>,
    ) -> Result<(), String> {
        let got = || match outcome {
            Ok(v) => format!("ok {v}"),
            Err(f) => format!("error {f}"),
        };
        let Some(expect) = expect else {
            return outcome.as_ref().map(drop).map_err(|f| format!("{op}: expected success, got error {f}"));
        };
        let expect = expect.as_object().ok_or("\"expect\" must be an object")?;
        if let Some(pattern) = expect.get("ok") {
            only_keys(expect, &["ok"])?;
            let Ok(value) = outcome else {
                return Err(format!("{op}: expected ok {pattern}, got {}", got()));
            };
            return pattern::check(pattern, value, &self.names)
                .map_err(|e| format!("{op}: {e}; result {value}"));
        }
        only_keys(expect, &["error", "retry_after"])?;
        let code =
            expect.get("error").and_then(Value::as_str).ok_or("\"expect\" needs \"ok\" or \"error\"")?;
        let retry_after = match expect.get("retry_after") {
            None => None,
            Some(n) => Some(n.as_u64().ok_or("\"retry_after\" must be a whole number")?),
        };
        match outcome {
            Err(f) if f.code == code && retry_after.is_none_or(|n| f.retry_after == Some(n)) => Ok(()),
            _ => Err(format!("{op}: expected error {code} (retry_after {retry_after:?}), got {}", got())),
        }
    }
}

/// `{"raw": "text"}`: the text as is.
fn raw(value: &Value) -> Option<String> {
    match value.as_object()? {
        map if map.len() == 1 => map.get("raw")?.as_str().map(str::to_string),
        _ => None,
    }
}

/// An otpauth URI without its `secret=...&` parameter, so that results can be compared.
fn without_secret(uri: &str) -> String {
    let Some(start) = uri.find("secret=") else { return uri.to_string() };
    match uri[start..].find('&') {
        Some(len) => format!("{}{}", &uri[..start], &uri[start + len + 1..]),
        // The last parameter: drop the `&` before it instead.
        None => uri[..start].strip_suffix('&').unwrap_or(&uri[..start]).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_the_bytes_0_to_31() {
        assert_eq!(KEY[0], 0);
        assert_eq!(KEY[31], 31);
        assert!(KEY.windows(2).all(|w| w[1] == w[0] + 1));
    }

    #[test]
    fn uris_lose_only_their_secret() {
        assert_eq!(
            without_secret("otpauth://totp/A:b%40a.test?secret=ABC&issuer=A&digits=6"),
            "otpauth://totp/A:b%40a.test?issuer=A&digits=6"
        );
        assert_eq!(without_secret("otpauth://totp/A:b?issuer=A&secret=ABC"), "otpauth://totp/A:b?issuer=A");
    }

    fn replay(text: &str) -> Result<(), Mismatch> {
        run_text(Path::new("fuzz.json"), text, crate::CoreDriver::open)
    }

    #[test]
    fn clock_steps_past_the_range_fail_the_scenario_instead_of_panicking() {
        let scenario = |steps: &str| format!(r#"{{"name": "x", "covers": ["s3"], "steps": [{steps}]}}"#);
        for steps in [
            r#"{"at": 9223372036854775807}"#,
            r#"{"at": -9223372036854775808}"#,
            r#"{"advance": 9223372036854775807}, {"advance": 9223372036854775807}"#,
            r#"{"advance": -9223372036854775807}, {"advance": -9223372036854775807}"#,
            r#"{"at": 251702300790}"#,
        ] {
            let err = replay(&scenario(steps)).unwrap_err();
            assert!(err.step.is_some(), "{steps}: {err}");
            assert!(err.message.contains("range") || err.message.contains("invalid_input"), "{steps}: {err}");
        }
        // The last accepted second is 251702300789 seconds after T0.
        assert_eq!(T0 + 251_702_300_789, mfa_core::MAX_UNIX_TIME);
        assert!(replay(&scenario(r#"{"at": 251702300789}"#)).is_ok());
    }

    #[test]
    fn totp_offsets_past_the_range_fail_the_scenario() {
        let text = r#"{"name": "x", "covers": ["s5"], "steps": [
            {"op": "create_org", "args": {"name": "A"}, "as": "org"},
            {"op": "create_user", "args": {"org": "org", "email": "a@a.test", "role": "member"}, "as": "u"},
            {"op": "begin_enrollment", "args": {"user": "u"}},
            {"op": "verify", "args": {"user": "u", "code": {"totp": "u", "offset": 9223372036854775807}}}
        ]}"#;
        let err = replay(text).unwrap_err();
        assert_eq!(err.step, Some(3), "{err}");
    }

    #[test]
    fn files_with_unknown_keys_are_refused() {
        assert!(parse(r#"{"name": "x", "covers": ["s4"], "steps": [], "stepz": []}"#).is_err());
        assert!(parse(r#"{"name": "x", "covers": [], "steps": []}"#).is_err());
        assert!(parse(r#"{"name": "x", "covers": ["s4"], "steps": []}"#).is_ok());
    }
}
