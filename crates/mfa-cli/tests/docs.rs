//! The README's "Operate it" section stays true: its exit-status table is the one `--help` prints, and its
//! set-up block runs as written.

mod common;

use common::*;

/// The README from its "Operate it" section on.
fn doc() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let start = readme.find("## Operate it").expect("an \"Operate it\" section in README.md");
    readme[start..].to_string()
}

/// The first fenced block of `lang` after `heading`.
fn block_after(doc: &str, heading: &str, lang: &str) -> String {
    let section = &doc[doc.find(heading).unwrap_or_else(|| panic!("no {heading:?}"))..];
    let start = section.find(&format!("```{lang}\n")).expect("a block") + lang.len() + 4;
    let len = section[start..].find("```").expect("a closed block");
    section[start..start + len].to_string()
}

#[test]
fn the_exit_status_table_is_the_one_help_prints() {
    let help = help(&[]);
    let printed = exit_rows(&help[help.find("Exit status:").unwrap()..]);
    let doc = doc();
    let documented = exit_rows(&doc[doc.find("## Exit status").expect("an exit-status table")..]);
    assert_eq!(documented, printed);
}

#[test]
fn the_set_up_block_runs_as_written() {
    let script = block_after(&doc(), "### The key and the store", "sh");
    assert!(script.contains("mfa-admin init --generate-key"), "{script}");
    let dir = tempfile::tempdir().unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_mfa-admin")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(dir.path())
        .env("PATH", path)
        .env_remove("MFA_CORE_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let users = stdout(&out);
    assert!(users.contains("ada@acme.example") && users.contains("bob@acme.example"), "{users}");
    let key = std::fs::read_to_string(dir.path().join("mfa.key")).unwrap();
    assert!(!users.contains(key.trim()), "the key was printed");
}

#[test]
fn the_import_block_of_the_cli_guide_runs_as_written() {
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/cli.md")).unwrap();
    let block = block_after(&guide, "## Importing users", "sh");
    assert!(block.contains("mfa-admin user import --org Acme users.csv"), "{block}");
    let dir = tempfile::tempdir().unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_mfa-admin")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let script = format!("mfa-admin init >/dev/null\nmfa-admin org create Acme >/dev/null\n{block}");
    let out = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(dir.path())
        .env("PATH", path)
        .env("MFA_CORE_DB", dir.path().join("identity.db"))
        .env("MFA_CORE_KEY", KEY_HEX)
        .env_remove("MFA_CORE_KEY_FILE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("line 2: ada@acme.example  would create (owner)"), "{text}");
    assert!(text.contains("line 2: ada@acme.example  created "), "{text}");
    assert!(text.contains("line 4: not-an-email  refused invalid_input"), "{text}");
    let listed: Vec<&str> = text.lines().filter(|l| l.contains("  mfa ")).collect();
    assert_eq!(listed.len(), 2, "{text}");
}
