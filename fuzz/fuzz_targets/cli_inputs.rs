//! The files mfa-admin reads, on arbitrary bytes: key files and target lists. A key comes out
//! only of exactly 32 raw bytes or 64 hex digits; a target list keeps every meaningful line,
//! trimmed, in order; errors are `invalid_input` and never quote the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_cli::inputs;
use mfa_fuzz::contract;

fn key_file(bytes: &[u8]) {
    let parsed = inputs::key_file(bytes);
    if bytes.len() == inputs::KEY_BYTES {
        assert_eq!(parsed.as_deref().map(|k| &k[..]), Some(bytes), "32 raw bytes are the key");
        return;
    }
    let hex = std::str::from_utf8(bytes)
        .ok()
        .map(str::trim)
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
    match inputs::targets("targets.txt", bytes) {
        Ok(lines) => {
            let text = std::str::from_utf8(bytes).expect("only UTF-8 is accepted");
            let expected: Vec<&str> =
                text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
            assert_eq!(lines, expected);
            assert!(lines.iter().all(|l| !l.contains('\n') && l.trim() == l));
        }
        Err(e) => {
            contract::check("reset_mfa_many", e.code(), e.message());
            assert!(std::str::from_utf8(bytes).is_err() || bytes.len() as u64 > inputs::MAX_TARGETS_BYTES);
            let shown = e.to_string();
            assert!(bytes.len() < 8 || !shown.contains(&*String::from_utf8_lossy(bytes)), "{shown}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else { return };
    match which % 3 {
        0 => key_file(bytes),
        1 => {
            // `MFA_CORE_KEY`: only the hex form.
            if let Ok(text) = std::str::from_utf8(bytes) {
                let t = text.trim();
                let hex = t.len() == 2 * inputs::KEY_BYTES && t.bytes().all(|b| b.is_ascii_hexdigit());
                assert_eq!(inputs::key_hex(text).is_some(), hex, "{text:?}");
            }
        }
        _ => targets(bytes),
    }
});
