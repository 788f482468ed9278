//! The addon's own threads, on which every store call runs.
//!
//! Not libuv's pool: a write can wait up to the busy timeout (30 s) for another process's write
//! lock, and four such waits would occupy all of libuv's default threads, stalling every
//! `fs`, `dns.lookup`, `zlib` and `crypto` callback of the host. These threads serve the addon
//! only; waiting here costs the host nothing.
//!
//! One pool per process, shared by every handle and every worker thread's environment. Threads
//! start on demand (a job with no idle thread to take it starts one) up to [`MAX_THREADS`], so a
//! host that makes one call at a time has one thread, and concurrent calls (which share commits)
//! get one each. Jobs run in submission order.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

type Job = Box<dyn FnOnce() + Send>;

/// Threads the pool may start. Each concurrent call needs one (a write waits there for its
/// commit); 16 lets 16 calls share commits while the rest queue.
const MAX_THREADS: usize = 16;

struct Pool {
    state: Mutex<State>,
    wake: Condvar,
}

struct State {
    jobs: VecDeque<Job>,
    threads: usize,
    /// Threads waiting for a job and not yet woken for one.
    idle: usize,
    /// Wake-ups sent and not yet taken (a condition variable may also wake spuriously).
    wakeups: usize,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A job never runs under the lock, so a poisoned lock still holds a consistent queue.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `job` on one of the addon's threads. The job must not panic (callers catch panics
/// themselves, to report them).
pub(crate) fn spawn(job: impl FnOnce() + Send + 'static) {
    static POOL: OnceLock<Pool> = OnceLock::new();
    let pool = POOL.get_or_init(|| Pool {
        state: Mutex::new(State { jobs: VecDeque::new(), threads: 0, idle: 0, wakeups: 0 }),
        wake: Condvar::new(),
    });
    pool.submit(Box::new(job));
}

impl Pool {
    fn submit(&'static self, job: Job) {
        let mut state = lock(&self.state);
        state.jobs.push_back(job);
        if state.idle > 0 {
            state.idle -= 1;
            state.wakeups += 1;
            drop(state);
            self.wake.notify_one();
        } else if state.threads < MAX_THREADS {
            state.threads += 1;
            let name = format!("mfa-core-{}", state.threads);
            drop(state);
            let started = std::thread::Builder::new().name(name).spawn(move || self.work());
            if started.is_err() {
                // No new thread (resource limits): the job waits for a running one; with none at
                // all it would wait forever, so run it here rather than lose it.
                let mut state = lock(&self.state);
                state.threads -= 1;
                if state.threads == 0 {
                    let job = state.jobs.pop_front();
                    drop(state);
                    job.into_iter().for_each(|job| job());
                }
            }
        }
        // Otherwise every thread is busy: the job waits its turn in the queue.
    }

    fn work(&self) {
        let mut state = lock(&self.state);
        loop {
            if let Some(job) = state.jobs.pop_front() {
                drop(state);
                job();
                state = lock(&self.state);
                continue;
            }
            state.idle += 1;
            loop {
                state = self.wake.wait(state).unwrap_or_else(PoisonError::into_inner);
                if state.wakeups > 0 {
                    state.wakeups -= 1;
                    break;
                }
            }
        }
    }
}
