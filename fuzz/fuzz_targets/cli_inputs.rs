//! The files mfa-admin reads, on arbitrary bytes: key files, target lists and user imports. A
//! key comes out only of exactly 32 raw bytes or 64 hex digits; a target list keeps every
//! meaningful line, trimmed, in order; an import gives one entry per record with a line
//! number inside the file, and every refusal is `invalid_input`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_cli::parse as inputs;
use mfa_fuzz::contract;

fn key_file(bytes: &[u8]) {
    let parsed = inputs::key_file(bytes);
    if bytes.len() == inputs::KEY_BYTES {
        assert_eq!(parsed.as_deref().map(|k| &k[..]), Some(bytes), "32 raw bytes are the key");
        return;
    }
    // Hex: 64 digits with ASCII whitespace around them, in no more than a key file's bound.
    let hex = std::str::from_utf8(bytes)
        .ok()
        .filter(|_| bytes.len() as u64 <= inputs::MAX_KEY_FILE_BYTES)
        .map(|t| t.trim_matches(|c: char| c.is_ascii_whitespace()))
        .filter(|t| t.len() == 2 * inputs::KEY_BYTES && t.bytes().all(|b| b.is_ascii_hexdigit()));
    match (hex, parsed) {
        (Some(t), Some(key)) => {
            let back: String = key.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(back, t.to_ascii_lowercase(), "the hex digits are the key");
        }
        (None, None) => {}
        (hex, parsed) => panic!("hex {hex:?} but parsed {}", parsed.is_some()),
    }
}

fn targets(bytes: &[u8]) {
    // Size and UTF-8 are checked when the file is read; the lines are parsed here.
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let lines = inputs::targets(text);
    let expected: Vec<&str> =
        text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    assert_eq!(lines, expected);
    assert!(lines.iter().all(|l| !l.is_empty() && !l.contains('\n') && l.trim() == l));
}

fn users(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let last_line = text.lines().count() as u64 + 1;
    match inputs::users("users.csv", text) {
        Ok(entries) => {
            let mut previous = 0;
            for e in &entries {
                assert!(
                    (1..=last_line).contains(&e.line) && e.line >= previous,
                    "line {} of {last_line}",
                    e.line
                );
                previous = e.line;
                if let Err(err) = &e.role {
                    contract::check("create_user", err.code(), err.message());
                }
            }
            let body = text.strip_prefix('\u{feff}').unwrap_or(text);
            if body.trim_start().starts_with('{') {
                assert_eq!(entries.len(), body.lines().filter(|l| !l.trim().is_empty()).count());
            }
        }
        Err(e) => assert_eq!(e.code(), contract::INVALID_INPUT, "{e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else { return };
    match which % 4 {
        0 => key_file(bytes),
        1 => {
            // `MFA_CORE_KEY`: only the hex form.
            if let Ok(text) = std::str::from_utf8(bytes) {
                let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
                let hex = t.len() == 2 * inputs::KEY_BYTES && t.bytes().all(|b| b.is_ascii_hexdigit());
                assert_eq!(inputs::key_hex(text).is_some(), hex, "{text:?}");
            }
        }
        2 => targets(bytes),
        _ => users(bytes),
    }
});
