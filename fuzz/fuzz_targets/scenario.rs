//! The scenario runner on arbitrary bytes: any file gets an answer (pass or a mismatch that
//! names the step), never a panic. Every error the core returns on the way is documented for
//! its op, and the store's audit chain verifies at the end (unless a `rotate_key` retired the
//! handle). Scenarios run on in-memory stores only: a `"store": "file"` input is refused when it
//! opens, so that the fuzzer never waits on files and disk syncs.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mfa_fuzz::contract;
use mfa_scenarios::{CoreDriver, Driver, Failure};
use serde_json::{Map, Value};

/// [`CoreDriver`], with every failure checked against the contract and the chain checked on
/// drop (when the runner is done with it).
struct Checked {
    driver: CoreDriver,
    /// A `rotate_key` succeeded: the handle refuses every call, `verify_audit` included.
    retired: bool,
}

impl Driver for Checked {
    fn set_time(&mut self, unix_seconds: i64) -> Result<(), Failure> {
        let r = self.driver.set_time(unix_seconds);
        if let Err(f) = &r {
            contract::check("set_time", &f.code, &f.message);
        }
        r
    }

    fn call(&mut self, op: &str, args: &Map<String, Value>) -> Result<Value, Failure> {
        let r = self.driver.call(op, args);
        self.retired |= op == "rotate_key" && r.is_ok();
        if let Err(f) = &r
            && f.code != Failure::HARNESS
        {
            contract::check(op, &f.code, &f.message);
        }
        r
    }
}

impl Drop for Checked {
    fn drop(&mut self) {
        if self.retired {
            return;
        }
        let report = self.driver.call("verify_audit", &Map::new()).expect("verify_audit");
        assert_eq!(report.get("ok"), Some(&Value::Bool(true)), "audit chain: {report}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let result = mfa_scenarios::run_text(Path::new("fuzz.json"), text, |store, key, now| {
        if store.is_some() {
            return Err(Failure::harness("the fuzz target replays in-memory stores only"));
        }
        let driver = CoreDriver::open(None, key, now);
        if let Err(f) = &driver {
            contract::check("open", &f.code, &f.message);
        }
        driver.map(|driver| Checked { driver, retired: false })
    });
    if let Err(mismatch) = result {
        assert!(!mismatch.message.is_empty());
    }
});
