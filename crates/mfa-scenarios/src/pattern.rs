//! Comparing a result with an expectation (README, "Expectations"), after turning its times
//! into seconds relative to T0 so that files need no absolute dates.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// Keys that hold a point in time, at any depth of a result (including an audit event's
/// `detail`): their integer values are made relative to `t0`.
const TIME_KEYS: [&str; 3] = ["created_at", "deadline", "at"];

/// Rewrites every integer under a [`TIME_KEYS`] key to `value - t0`; `null` stays `null`.
pub(crate) fn relativise(value: &mut Value, t0: i64) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v.as_i64() {
                    Some(t) if TIME_KEYS.contains(&key.as_str()) => *v = Value::from(t - t0),
                    _ => relativise(v, t0),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| relativise(v, t0)),
        _ => {}
    }
}

/// Checks `actual` against `pattern`; on a mismatch, says where (a JSON-pointer-like path) and
/// what differed.
pub(crate) fn check(pattern: &Value, actual: &Value, names: &HashMap<String, String>) -> Result<(), String> {
    check_at("", pattern, actual, names)
}

fn check_at(
    path: &str,
    pattern: &Value,
    actual: &Value,
    names: &HashMap<String, String>,
) -> Result<(), String> {
    let differ = || Err(format!("at {:?}: expected {pattern}, got {actual}", display(path)));
    match pattern {
        Value::Object(p) => match length_pattern(p) {
            Some(n) => match actual.as_array() {
                Some(items) if items.len() as u64 == n => Ok(()),
                _ => differ(),
            },
            None => {
                let Some(a) = actual.as_object() else { return differ() };
                for (key, p) in p {
                    let here = format!("{path}/{key}");
                    match a.get(key) {
                        Some(v) => check_at(&here, p, v, names)?,
                        None => return Err(format!("at {:?}: missing key, expected {p}", display(&here))),
                    }
                }
                Ok(())
            }
        },
        Value::Array(p) => {
            let Some(a) = actual.as_array().filter(|a| a.len() == p.len()) else { return differ() };
            p.iter()
                .zip(a)
                .enumerate()
                .try_for_each(|(i, (p, v))| check_at(&format!("{path}/{i}"), p, v, names))
        }
        Value::String(s) if s.starts_with('$') => {
            let name = &s[1..];
            let Some(id) = names.get(name) else {
                return Err(format!("at {:?}: {s} names nothing bound by \"as\"", display(path)));
            };
            match actual.as_str() == Some(id.as_str()) {
                true => Ok(()),
                false => {
                    Err(format!("at {:?}: expected the id of {name} ({id}), got {actual}", display(path)))
                }
            }
        }
        _ if pattern == actual => Ok(()),
        _ => differ(),
    }
}

/// `{"$len": N}`: the pattern for a list of length N.
fn length_pattern(p: &Map<String, Value>) -> Option<u64> {
    match (p.len(), p.get("$len")) {
        (1, Some(n)) => n.as_u64(),
        _ => None,
    }
}

fn display(path: &str) -> &str {
    if path.is_empty() { "/" } else { path }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn names() -> HashMap<String, String> {
        HashMap::from([("bob".to_string(), "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".to_string())])
    }

    #[test]
    fn objects_match_on_the_pattern_keys_only() {
        let actual = json!({"state": "enrolled", "deadline": null, "extra": 1});
        assert!(check(&json!({"state": "enrolled", "deadline": null}), &actual, &names()).is_ok());
        assert!(check(&json!({"state": "locked_out"}), &actual, &names()).is_err());
        assert!(check(&json!({"missing": null}), &actual, &names()).is_err());
    }

    #[test]
    fn lists_match_element_by_element_or_by_length() {
        let actual = json!([{"a": 1}, {"a": 2}]);
        assert!(check(&json!([{}, {"a": 2}]), &actual, &names()).is_ok());
        assert!(check(&json!([{}]), &actual, &names()).is_err());
        assert!(check(&json!({"$len": 2}), &actual, &names()).is_ok());
        assert!(check(&json!({"$len": 3}), &actual, &names()).is_err());
        assert!(check(&json!({"$len": 0}), &json!({}), &names()).is_err());
    }

    #[test]
    fn dollar_names_match_bound_ids() {
        let id = json!("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
        assert!(check(&json!("$bob"), &id, &names()).is_ok());
        assert!(check(&json!("$bob"), &json!("someone else"), &names()).is_err());
        let unbound = check(&json!("$ann"), &id, &names()).unwrap_err();
        assert!(unbound.contains("$ann"), "{unbound}");
    }

    #[test]
    fn mismatches_name_the_path() {
        let err = check(&json!({"detail": {"window": 60}}), &json!({"detail": {"window": 61}}), &names());
        assert!(err.unwrap_err().contains("/detail/window"));
    }

    #[test]
    fn time_keys_become_relative_at_any_depth() {
        let mut v = json!([{"at": 1060, "detail": {"deadline": 4660, "window": 3600}, "deadline": null}]);
        relativise(&mut v, 1000);
        assert_eq!(v, json!([{"at": 60, "detail": {"deadline": 3660, "window": 3600}, "deadline": null}]));
    }
}
