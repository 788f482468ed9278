//! Group commit, shared by both engines: the calls of one handle that arrive while a write
//! transaction of that handle is open join it (each in its own savepoint) and wait here for the
//! one commit that makes all of them durable.

use std::sync::atomic::{AtomicUsize, Ordering};
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
    ///
    /// Only calls that joined wait, and a call joins only under the writer's lock while the
    /// batch is open; the caller has closed it, so `calls` is final. A batch of one call (every
    /// call, when they do not overlap) has nobody to wake, and skips the wake-up, which is a
    /// system call even without waiters.
    pub(super) fn finish(&self, result: Result<()>) {
        *lock(&self.result) = Some(result);
        if self.calls.load(Ordering::SeqCst) > 1 {
            self.done.notify_all();
        }
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
