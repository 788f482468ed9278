//! Adaptive spinning: whether a thread about to wait for something (a pool thread for its next
//! job) should poll for it a little while before it sleeps.
//!
//! Why: on a virtual machine whose idle vCPUs halt, waking a sleeping thread costs the host's
//! wake-up of a halted vCPU, 50-65 µs on the machines this was measured on: as much as a whole
//! verify. A host awaiting one call after another makes its next call some 10-60 µs after the
//! last result; a thread that polls that long keeps its vCPU running and takes the next job with
//! no wake-up at all. Polling pays only when the wait is short and nobody else wants the CPU, so
//! [`Spin`] learns both from the last waits:
//!
//! - it spins only while the last wait was short: caught by a spin, or a sleep no longer than
//!   the spin limit (the next wait is likely the same);
//! - a spin that runs out of budget stops spinning until a short wait is seen again;
//! - a spin during which the thread lost its CPU (another thread was runnable on it: the machine
//!   is busy) ends at once and spinning backs off: the next 1, 2, 4 ... 1024 waits sleep at once,
//!   and the backoff halves only after as many spins in a row kept their CPU. A spin that loses
//!   its CPU may wait a whole time slice of another thread (milliseconds) for it, where a
//!   wake-up saves tens of microseconds; on a busy machine no vCPU halts, so a wake-up is cheap
//!   and spinning buys nothing: it must then be rare.
//!
//! A spinning thread also yields its CPU between polls ([`std::thread::yield_now`]), so that a
//! runnable thread never waits behind it for more than one poll, and a yield that lets another
//! thread run is seen as a lost CPU.

use std::time::{Duration, Instant};

/// A gap between two polls longer than this means the thread lost its CPU meanwhile (a poll
/// itself takes well under a microsecond).
const PREEMPTED: Duration = Duration::from_micros(20);

/// The most waits in a row that sleep at once after spins lost their CPU.
const MAX_BACKOFF: u32 = 1024;

/// How a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Waited {
    /// A spin saw what it waited for.
    Caught,
    /// A spin ran out of budget.
    Overran,
    /// A spin lost its CPU to another thread.
    Preempted,
    /// The thread slept at once; what it waited for came after this long.
    Slept(Duration),
}

/// Whether to spin before the next wait, learned from the last ones (see the module's comment).
#[derive(Debug)]
pub(crate) struct Spin {
    /// The longest wait worth spinning for, and so the budget of a spin.
    limit: Duration,
    /// The last wait was short enough to catch by spinning.
    short: bool,
    /// Waits still to sleep at once after a spin lost its CPU.
    skip: u32,
    /// The length of the last such run of sleeps (0: no backoff).
    backoff: u32,
    /// Spins in a row that kept their CPU since the backoff last changed.
    kept: u32,
}

impl Spin {
    /// A policy that spins for waits up to `limit`; it starts by sleeping, until a short wait
    /// has been seen.
    pub(crate) const fn new(limit: Duration) -> Spin {
        Spin { limit, short: false, skip: 0, backoff: 0, kept: 0 }
    }

    /// How long to spin before the wait about to start, or `None` to sleep at once.
    pub(crate) fn budget(&mut self) -> Option<Duration> {
        if self.skip > 0 {
            self.skip -= 1;
            return None;
        }
        self.short.then_some(self.limit)
    }

    /// Learns from how a wait ended.
    pub(crate) fn record(&mut self, waited: Waited) {
        match waited {
            Waited::Caught => {
                self.short = true;
                self.kept_cpu();
            }
            Waited::Overran => {
                self.short = false;
                self.kept_cpu();
            }
            Waited::Preempted => {
                self.backoff = (self.backoff * 2).clamp(1, MAX_BACKOFF);
                self.skip = self.backoff;
                self.kept = 0;
            }
            Waited::Slept(waited) => self.short = waited <= self.limit,
        }
    }
}

impl Spin {
    fn kept_cpu(&mut self) {
        self.kept += 1;
        if self.backoff > 0 && self.kept >= self.backoff {
            self.backoff /= 2;
            self.kept = 0;
        }
    }
}

/// Polls `ready` until it returns true, for at most `budget`, yielding the CPU between polls;
/// says how the spin ended (never [`Waited::Slept`]).
pub(crate) fn until(budget: Duration, mut ready: impl FnMut() -> bool) -> Waited {
    let mut episode = Episode::new(budget);
    loop {
        if ready() {
            return Waited::Caught;
        }
        std::hint::spin_loop();
        std::thread::yield_now();
        if let Some(waited) = episode.tick() {
            return waited;
        }
    }
}

/// One spin, polled by its owner: [`until`]'s loop, or an event loop's iterations.
#[derive(Debug)]
pub(crate) struct Episode {
    start: Instant,
    last: Instant,
    budget: Duration,
}

impl Episode {
    pub(crate) fn new(budget: Duration) -> Episode {
        let now = Instant::now();
        Episode { start: now, last: now, budget }
    }

    /// Between two polls: `None` to poll again, or why the spin ends ([`Waited::Preempted`] if
    /// the thread lost its CPU since the last poll, [`Waited::Overran`] past the budget).
    pub(crate) fn tick(&mut self) -> Option<Waited> {
        let now = Instant::now();
        if now - self.last > PREEMPTED {
            return Some(Waited::Preempted);
        }
        if now - self.start > self.budget {
            return Some(Waited::Overran);
        }
        self.last = now;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Duration = Duration::from_micros(100);

    #[test]
    fn starts_by_sleeping_and_spins_once_a_wait_was_short() {
        let mut spin = Spin::new(LIMIT);
        assert_eq!(spin.budget(), None);
        spin.record(Waited::Slept(Duration::from_micros(40)));
        assert_eq!(spin.budget(), Some(LIMIT));
        spin.record(Waited::Caught);
        assert_eq!(spin.budget(), Some(LIMIT));
    }

    #[test]
    fn a_long_wait_stops_spinning_until_a_short_one() {
        let mut spin = Spin::new(LIMIT);
        spin.record(Waited::Caught);
        spin.record(Waited::Overran);
        assert_eq!(spin.budget(), None);
        spin.record(Waited::Slept(Duration::from_millis(5)));
        assert_eq!(spin.budget(), None);
        spin.record(Waited::Slept(LIMIT));
        assert_eq!(spin.budget(), Some(LIMIT));
    }

    #[test]
    fn a_lost_cpu_backs_off_exponentially_up_to_the_cap() {
        let mut spin = Spin::new(LIMIT);
        spin.record(Waited::Caught);
        let mut runs = Vec::new();
        for _ in 0..9 {
            spin.record(Waited::Preempted);
            let mut sleeps = 0;
            while spin.budget().is_none() {
                sleeps += 1;
                // The short waits seen meanwhile do not end the backoff.
                spin.record(Waited::Slept(Duration::from_micros(10)));
            }
            runs.push(sleeps);
        }
        assert_eq!(runs, [1, 2, 4, 8, 16, 32, 64, 128, 256]);
        for _ in 0..3 {
            spin.record(Waited::Preempted);
            while spin.budget().is_none() {}
        }
        spin.record(Waited::Preempted);
        assert_eq!((0..).take_while(|_| spin.budget().is_none()).count(), 1024);
    }

    #[test]
    fn the_backoff_halves_after_as_many_spins_kept_their_cpu() {
        let mut spin = Spin::new(LIMIT);
        spin.record(Waited::Caught);
        for _ in 0..3 {
            spin.record(Waited::Preempted);
            while spin.budget().is_none() {}
        }
        // Backing off 4 waits: 3 spins that keep their CPU are not enough to halve it.
        for _ in 0..3 {
            spin.record(Waited::Caught);
        }
        spin.record(Waited::Preempted);
        assert_eq!((0..).take_while(|_| spin.budget().is_none()).count(), 8);
        // 8 then 4 then 2 then 1 spins kept (an overrun keeps its CPU too): no backoff left.
        for _ in 0..8 + 4 + 2 {
            spin.record(Waited::Caught);
        }
        spin.record(Waited::Overran);
        spin.record(Waited::Slept(LIMIT));
        spin.record(Waited::Preempted);
        assert_eq!((0..).take_while(|_| spin.budget().is_none()).count(), 1);
    }

    #[test]
    fn until_catches_what_becomes_ready() {
        let mut polls = 0;
        let waited = until(Duration::from_secs(60), || {
            polls += 1;
            polls == 3
        });
        // (A test machine may deschedule the thread, which also ends the spin.)
        assert!(matches!(waited, Waited::Caught | Waited::Preempted), "{waited:?}");
        assert!(waited == Waited::Preempted || polls == 3);
    }

    #[test]
    fn until_gives_up_after_its_budget() {
        let waited = until(Duration::ZERO, || false);
        assert!(matches!(waited, Waited::Overran | Waited::Preempted), "{waited:?}");
    }
}
