//! `completions` and `man`: generated from the command definitions, so they know every
//! command, and they need no key or store.

mod common;

use common::*;

fn generated(args: &[&str]) -> String {
    let out = bare().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

/// What bash offers after `words` (the last one being completed), with the generated script
/// loaded the way a user's `.bashrc` would load it.
fn bash_completes(words: &[&str]) -> Vec<String> {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_mfa-admin"));
    let script = format!(
        r#"source <("{bin}" completions bash)
fn=$(complete -p mfa-admin | sed -n 's/.*-F \([^ ]*\).*/\1/p')
[ -n "$fn" ] || {{ echo "no completion function for mfa-admin" >&2; exit 1; }}
COMP_WORDS=({words})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
"$fn" mfa-admin "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        bin = bin.display(),
        words = words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" "),
    );
    let out = std::process::Command::new("bash").args(["-c", &script]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out).lines().map(|l| l.trim().to_string()).collect()
}

#[test]
fn the_bash_script_loads_and_completes_subcommands() {
    assert_eq!(bash_completes(&["mfa-admin", "us"]), ["user"]);
    assert_eq!(bash_completes(&["mfa-admin", "user", "im"]), ["import"]);
    let audit = bash_completes(&["mfa-admin", "audit", ""]);
    for sub in ["tail", "export", "verify", "checkpoint"] {
        assert!(audit.iter().any(|w| w == sub), "{sub} missing from {audit:?}");
    }
    assert!(bash_completes(&["mfa-admin", "audit", "export", "--format", ""]).contains(&"csv".to_string()));
}

#[test]
fn zsh_and_fish_scripts_know_every_command() {
    let zsh = generated(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef mfa-admin"), "{}", &zsh[..80]);
    let fish = generated(&["completions", "fish"]);
    assert!(fish.contains("complete -c mfa-admin"));
    for path in COMMANDS {
        let name = path.last().unwrap();
        assert!(zsh.contains(&format!("'{name}:")), "zsh lacks {path:?}");
        assert!(fish.contains(&format!("-a \"{name}\"")), "fish lacks {path:?}");
    }
    let refused = bare().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
}

#[test]
fn the_man_page_documents_every_command_and_the_exit_statuses() {
    let page = generated(&["man"]);
    assert!(page.contains(".TH mfa-admin 1"), "{}", &page[..200]);
    for path in COMMANDS.iter().filter(|p| p.len() == 1) {
        // roff escapes the hyphen of `reset-many`.
        assert!(page.contains(&format!("mfa\\-admin\\-{}(1)", path[0].replace('-', "\\-"))), "{path:?}");
    }
    // The same exit-status table as `--help`.
    let help = help(&[]);
    let table = exit_rows(&help[help.find("Exit status:").unwrap()..]);
    let man_table = exit_rows(&page.replace("\\-", "-"));
    assert_eq!(man_table, table);

    // One page per command, as `man mfa-admin-user-import` finds them once installed.
    let dir = tempfile::tempdir().unwrap();
    let written = generated(&["man", "--out-dir", dir.path().to_str().unwrap()]);
    assert!(written.contains(dir.path().to_str().unwrap()));
    let mut want: Vec<String> = COMMANDS.iter().map(|p| format!("mfa-admin-{}.1", p.join("-"))).collect();
    want.extend(["mfa-admin.1".to_string(), "mfa-admin-demo.1".to_string()]);
    want.sort();
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    assert_eq!(pages, want);
    let import = std::fs::read_to_string(dir.path().join("mfa-admin-user-import.1")).unwrap();
    assert!(import.contains("dry\\-run") && import.contains("email,role"), "{import}");

    let missing = bare().args(["man", "--out-dir", "/nonexistent/man1"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(13));
}

#[test]
fn generators_print_text_only() {
    for args in [&["completions", "bash", "--json"][..], &["man", "--json"]] {
        let out = bare().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(stdout(&out), "");
    }
}
