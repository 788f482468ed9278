//! The engine's calls block while they wait for the server. A host that calls them from a
//! thread running async tasks gets a `storage` error that says what to do (run the call on a
//! blocking thread), never a panic, and the same handle works from a blocking thread.

use mfa_core::{Core, OpenOptions};

use crate::server::{KEY, Schema};

pub fn calls_from_an_async_task_are_refused(base: &str) {
    let schema = Schema::new(base, "async_host");
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();

    let opened = runtime.block_on(async { Core::open(&schema.url, &KEY, OpenOptions::default()) });
    let err = opened.expect_err("opening from an async task is refused");
    assert_eq!(err.code(), "storage", "{err}");
    assert!(err.to_string().contains("spawn_blocking"), "the error says what to do: {err}");

    let core = schema.core();
    let err = runtime.block_on(async { core.list_orgs() }).unwrap_err();
    assert_eq!(err.code(), "storage", "{err}");
    assert!(core.list_orgs().unwrap().is_empty(), "the handle works from a blocking thread");
    // Dropped inside the runtime: its connections close without waiting, and without a panic.
    runtime.block_on(async move { drop(core) });
}
