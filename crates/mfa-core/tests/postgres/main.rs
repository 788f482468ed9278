//! What holds when several hosts share one PostgreSQL database (docs/scale-out.md), proved with
//! real concurrent OS processes on a real server: this binary runs itself as the children
//! (`--child`), each with its own handle and connections, and drives them over pipes so that
//! they submit their calls at the same moment.
//!
//! Needs `MFA_CORE_TEST_PG` (scripts/test-postgres.sh starts a server under target/postgres
//! and sets it); without it the run fails. Each case works in a new, empty schema of that
//! database. The restart cases stop, crash and start that server (scripts/postgres.sh): it
//! must be the script's server, and nothing else may use it meanwhile.

mod async_host;
mod child;
#[path = "../common/mod.rs"]
mod common;
mod fleet;
mod lifecycle;
mod refused;
mod restart;
mod rules;
mod same_as_sqlite;
mod schema_life;
mod secrets;
mod server;

/// A case's name (what it proves) and its function, given the server's URL.
type Case = (&'static str, fn(&str));

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        return child::serve();
    }
    // This target has `harness = false`: arguments that are not options filter the cases by
    // name, as the test runner's would.
    let filters: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-')).collect();
    let url = server::url();
    let cases: &[Case] = &[
        ("the audit chain never forks", rules::audit_chain_never_forks),
        ("the reset rate limit is never exceeded", rules::reset_limit_is_exact),
        ("a TOTP code and a recovery code are accepted once", rules::codes_are_accepted_once),
        ("failure counters and throttling are exact", rules::throttling_is_exact),
        ("concurrent enrollments leave one", rules::concurrent_enrollments_leave_one),
        ("concurrent resets are each counted", rules::concurrent_resets_are_each_counted),
        ("the last owner stays", rules::the_last_owner_stays),
        ("refusals are kept as on SQLite", same_as_sqlite::refusals_are_kept_as_on_sqlite),
        ("hosts starting at once create the schema once", schema_life::schema_is_created_once),
        ("hosts starting at once with two keys", schema_life::first_key_wins),
        ("a newer schema is refused untouched", schema_life::newer_schema_is_refused),
        ("a wrong key is refused untouched", schema_life::wrong_key_is_refused),
        ("another application's tables are refused untouched", schema_life::foreign_tables_are_refused),
        ("create_if_missing false on an empty schema", schema_life::empty_schema_without_create),
        ("stores in two schemas do not wait for each other", schema_life::other_schemas_do_not_wait),
        ("a password in the URL is never shown", secrets::password_never_shown),
        ("a password in the URL is never stored", secrets::password_never_stored),
        ("key rotation, policy changes and leaving users", lifecycle::key_rotation_policy_and_users),
        ("a write the server refuses fails its calls", refused::refused_writes_fail_their_calls),
        ("a call from an async task is refused", async_host::calls_from_an_async_task_are_refused),
        ("a server restart under load", restart::restart_under_load),
        ("idle connections after a restart", restart::idle_connections_after_restart),
    ];
    let mut ran = 0;
    for (name, case) in cases {
        if filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())) {
            println!("postgres: {name} ...");
            case(&url);
            ran += 1;
        }
    }
    println!("postgres: {ran} cases passed");
}
