//! The addon's own threads, on which every store call runs.
//!
//! Not libuv's pool: a write can wait up to the busy timeout (30 s) for another process's write
//! lock, and four such waits would occupy all of libuv's default threads, stalling every
//! `fs`, `dns.lookup`, `zlib` and `crypto` callback of the host. These threads serve the addon
//! only; waiting here costs the host nothing.
//!
//! One pool per process, shared by every handle and every worker thread's environment. Threads
//! start on demand (a job that no free thread will take starts one) up to [`MAX_THREADS`], so a
//! host that makes one call at a time has one thread, and concurrent calls (which share commits)
//! get one each. Jobs run in submission order.
//!
//! A thread counts as free *before* its result goes back to JS ([`spawn`]'s `then` runs after
//! that), so that a host awaiting one call after another, whose next call comes as soon as the
//! result arrives, finds that thread rather than starting another: its calls all run on one
//! thread, whose caches hold the store. (Otherwise each call could land on a different thread,
//! up to [`MAX_THREADS`] of them, each woken cold.)
//!
//! A thread left without a job may spin for the next one before it sleeps ([`crate::spin`]: only
//! while the last waits were short and no other thread wanted its CPU, and only when no other
//! thread runs or waits for a job: see [`State::may_spin`]), so that such a host's next call
//! finds it awake rather than paying for a wake-up.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use crate::spin::{self, Spin, Waited};

/// What a job gives back once it is done: run after its thread counts as free again.
type Then = Box<dyn FnOnce() + Send>;
type Job = Box<dyn FnOnce() -> Then + Send>;

/// Threads the pool may start. Each concurrent call needs one (a write waits there for its
/// commit); 16 lets 16 calls share commits while the rest queue.
const MAX_THREADS: usize = 16;

/// The longest wait for a next job worth spinning for: a host awaiting one call after another
/// calls again within tens of microseconds of a result (longer when its thread must be woken).
const SPIN_LIMIT: Duration = Duration::from_micros(150);

pub(crate) struct Pool {
    state: Mutex<State>,
    wake: Condvar,
    /// The queue's length, for a spinning thread to watch without taking the lock.
    queued: AtomicUsize,
}

struct State {
    jobs: VecDeque<Job>,
    threads: usize,
    /// Threads not running a job: about to look at the queue, or asleep.
    free: usize,
    /// Free threads asleep on `wake` and not yet woken.
    sleeping: usize,
    /// Wake-ups sent and not yet taken (a condition variable may also wake spuriously).
    wakeups: usize,
    /// Whether a free thread should spin for the next job, learned from the last waits.
    spin: Spin,
    /// A free thread is spinning (one at a time: it takes the next job; more would only burn
    /// CPU).
    spinning: bool,
}

impl State {
    /// Whether a thread left without a job may spin for the next one: not while another thread
    /// spins (it would take that job), nor while another runs a job. Spinning is for calls made
    /// one at a time; concurrent calls keep the threads busy anyway, and on a machine with few
    /// cores a spinning thread would take CPU from them.
    fn may_spin(&self) -> bool {
        !self.spinning && self.free == self.threads
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A job never runs under the lock, so a poisoned lock still holds a consistent queue.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `work` on one of the addon's threads, then `then` with its result once that thread is
/// free for the next job (so a job submitted by `then`'s receiver finds it). Neither may panic
/// (callers catch panics themselves, to report them).
pub(crate) fn spawn<R: Send + 'static>(
    work: impl FnOnce() -> R + Send + 'static,
    then: impl FnOnce(R) + Send + 'static,
) {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(Pool::new).submit(work, then);
}

impl Pool {
    fn new() -> Pool {
        Pool {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                threads: 0,
                free: 0,
                sleeping: 0,
                wakeups: 0,
                spin: Spin::new(SPIN_LIMIT),
                spinning: false,
            }),
            wake: Condvar::new(),
            queued: AtomicUsize::new(0),
        }
    }

    fn submit<R: Send + 'static>(
        &'static self,
        work: impl FnOnce() -> R + Send + 'static,
        then: impl FnOnce(R) + Send + 'static,
    ) {
        let job: Job = Box::new(move || {
            let result = work();
            Box::new(move || then(result))
        });
        let mut state = lock(&self.state);
        state.jobs.push_back(job);
        self.queued.store(state.jobs.len(), Ordering::Release);
        // Free threads that are awake take queued jobs on their own; wake or start one more only
        // when the queue holds more jobs than they are.
        if state.jobs.len() <= state.free - state.sleeping {
            return;
        }
        if state.sleeping > 0 {
            state.sleeping -= 1;
            state.wakeups += 1;
            drop(state);
            self.wake.notify_one();
        } else if state.threads < MAX_THREADS {
            state.threads += 1;
            state.free += 1;
            let name = format!("mfa-core-{}", state.threads);
            drop(state);
            let started = std::thread::Builder::new().name(name).spawn(move || self.work());
            if started.is_err() {
                // No new thread (resource limits): the job waits for a running one; with none at
                // all it would wait forever, so run it here rather than lose it.
                let mut state = lock(&self.state);
                state.threads -= 1;
                state.free -= 1;
                if state.threads == 0 {
                    let job = state.jobs.pop_front();
                    drop(state);
                    job.into_iter().for_each(|job| job()());
                }
            }
        }
        // Otherwise every thread is busy: the job waits its turn in the queue.
    }

    fn work(&self) {
        let mut state = lock(&self.state);
        // Since when this thread has had no job (`None` while it has one).
        let mut idle: Option<Instant> = None;
        loop {
            if let Some(job) = state.jobs.pop_front() {
                self.queued.store(state.jobs.len(), Ordering::Release);
                state.free -= 1;
                drop(state);
                idle = None;
                let then = job();
                state = lock(&self.state);
                state.free += 1;
                drop(state);
                then();
                state = lock(&self.state);
                continue;
            }
            let since = *idle.get_or_insert_with(Instant::now);
            let budget = if state.may_spin() { state.spin.budget(Instant::now()) } else { None };
            if let Some(budget) = budget {
                // Still free and awake: a job submitted meanwhile is left for this thread.
                state.spinning = true;
                drop(state);
                let waited = spin::until(budget, || self.queued.load(Ordering::Acquire) > 0);
                state = lock(&self.state);
                state.spinning = false;
                state.spin.record(waited, Instant::now());
                continue;
            }
            state.sleeping += 1;
            loop {
                state = self.wake.wait(state).unwrap_or_else(PoisonError::into_inner);
                if state.wakeups > 0 {
                    state.wakeups -= 1;
                    break;
                }
            }
            state.spin.record(Waited::Slept(since.elapsed()), Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::sync::{Arc, Barrier};
    use std::time::Duration;

    use super::*;

    fn pool() -> &'static Pool {
        Box::leak(Box::new(Pool::new()))
    }

    /// Submits `calls` jobs that wait for each other (so each needs a thread of its own), and
    /// waits for all of their results.
    fn run_together(pool: &'static Pool, calls: usize) {
        let barrier = Arc::new(Barrier::new(calls));
        let (done, results) = mpsc::channel();
        for _ in 0..calls {
            let (barrier, done) = (Arc::clone(&barrier), done.clone());
            pool.submit(move || barrier.wait(), move |_| done.send(()).unwrap());
        }
        for _ in 0..calls {
            results.recv_timeout(Duration::from_secs(60)).unwrap();
        }
    }

    /// A host awaiting one call after another gets its results back while the thread that ran
    /// the call is finishing it: the next call must find that thread rather than start another.
    #[test]
    fn calls_made_one_after_another_share_one_thread() {
        let pool = pool();
        let (done, results) = mpsc::channel();
        let mut threads = std::collections::HashSet::new();
        for _ in 0..300 {
            let done = done.clone();
            pool.submit(|| std::thread::current().id(), move |id| done.send(id).unwrap());
            threads.insert(results.recv_timeout(Duration::from_secs(60)).unwrap());
        }
        assert_eq!(threads.len(), 1);
        assert_eq!(lock(&pool.state).threads, 1);
    }

    /// Calls made together each get a thread (a commit they share waits for all of them), also
    /// when the pool's threads are free from an earlier round.
    #[test]
    fn concurrent_calls_run_together() {
        let pool = pool();
        for round in 0..3 {
            const CALLS: usize = 6;
            run_together(pool, CALLS);
            assert_eq!(lock(&pool.state).threads, CALLS, "round {round}");
        }
    }

    /// A free thread spins for its next job only for a while: once the calls stop, every thread
    /// ends up asleep, the one that spun included. (Calls made one after another, which the
    /// pool learns to spin for, are `calls_made_one_after_another_share_one_thread`: a job left
    /// to a spinning thread that it never took would hang there.)
    #[test]
    fn idle_threads_end_up_asleep() {
        let pool = pool();
        for _ in 0..3 {
            const CALLS: usize = 4;
            run_together(pool, CALLS);
            // Short waits seen: the next free thread spins.
            lock(&pool.state).spin.record(Waited::Caught, Instant::now());
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let state = lock(&pool.state);
                if state.sleeping == state.threads {
                    assert!(!state.spinning);
                    break;
                }
                drop(state);
                assert!(Instant::now() < deadline, "a thread never went to sleep");
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }

    /// One free thread spins at a time, and none while another thread runs a job.
    #[test]
    fn a_thread_spins_only_when_every_other_is_free() {
        let mut state = lock(&pool().state);
        state.threads = 3;
        state.free = 3;
        assert!(state.may_spin());
        state.spinning = true;
        assert!(!state.may_spin());
        state.spinning = false;
        state.free = 2;
        assert!(!state.may_spin());
    }

    /// More calls than threads: the extra ones queue and still all run.
    #[test]
    fn calls_beyond_the_thread_limit_queue_and_run() {
        let pool = pool();
        let (done, results) = mpsc::channel();
        for i in 0..MAX_THREADS * 4 {
            let done = done.clone();
            pool.submit(move || i, move |i| done.send(i).unwrap());
        }
        let mut seen: Vec<usize> =
            (0..MAX_THREADS * 4).map(|_| results.recv_timeout(Duration::from_secs(60)).unwrap()).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..MAX_THREADS * 4).collect::<Vec<_>>());
        assert!(lock(&pool.state).threads <= MAX_THREADS);
    }
}
