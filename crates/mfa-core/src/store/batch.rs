//! Group commit, shared by both engines: the calls of one handle that arrive while a write
//! transaction of that handle is open join it (each in its own savepoint) and wait here for the
//! one commit that makes all of them durable.

use std::sync::atomic::AtomicUsize;
use std::sync::{Condvar, Mutex};

use super::lock;
use crate::error::Result;

/// Most calls that share one commit; bounds the latency a busy handle adds to a call.
pub(super) const MAX_BATCH: usize = 64;

/// One shared transaction: the calls that joined it wait here for its commit.
#[derive(Default)]
pub(super) struct Batch {
    pub(super) calls: AtomicUsize,
    result: Mutex<Option<Result<()>>>,
    done: Condvar,
}

impl Batch {
    /// Records the commit's result (durable, or why not) and wakes every call of the batch.
    pub(super) fn finish(&self, result: Result<()>) {
        *lock(&self.result) = Some(result);
        self.done.notify_all();
    }

    /// Waits for [`Batch::finish`].
    pub(super) fn wait(&self) -> Result<()> {
        let mut slot = lock(&self.result);
        loop {
            if let Some(result) = slot.as_ref() {
                return result.clone();
            }
            slot = self.done.wait(slot).unwrap_or_else(|e| e.into_inner());
        }
    }
}
