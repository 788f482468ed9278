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
//!   is busy) ends at once, and spinning pauses: for 1 ms after the first such spin, then 2, 4 ...
//!   up to about a second while spins keep losing their CPU; the pause shortens by one step after
//!   [`KEPT_TO_SHORTEN`] spins in a row that kept theirs. A spin that loses its CPU may wait a
//!   whole time slice of another thread (a millisecond or more) to get it back, where a wake-up
//!   saves tens of microseconds, and on a busy machine no vCPU halts, so a wake-up is cheap and
//!   spinning buys nothing: there it must be rare in time, whatever the rate of calls. (The pause
//!   is measured in time rather than in waits: a backoff counted in waits lasted the whole of a
//!   benchmark after the JIT's start-up threads had taken the CPU a few times.)
//!
//! A spinning thread also yields its CPU every [`YIELD_EVERY`] ([`std::thread::yield_now`]), so
//! that a runnable thread never waits behind it for longer, and a yield that lets another thread
//! run is seen as a lost CPU.

use std::time::{Duration, Instant};

/// A gap between two polls longer than this means the thread lost its CPU meanwhile (a poll
/// itself takes well under a microsecond).
const PREEMPTED: Duration = Duration::from_micros(20);

/// How often a spinning thread yields its CPU: a runnable thread waits no longer than this for
/// it. (Not at every poll: a yield is a system call and a pass through the scheduler, which
/// would make each poll a microsecond or more.)
pub(crate) const YIELD_EVERY: Duration = Duration::from_micros(10);

/// The pause after a first spin that lost its CPU; each further one doubles it.
const FIRST_PAUSE: Duration = Duration::from_millis(1);

/// The most doublings of the pause: 2^10 ms, about a second.
const MAX_LEVEL: u32 = 11;

/// Spins in a row that kept their CPU to shorten the pause by one step.
const KEPT_TO_SHORTEN: u32 = 16;

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
    /// Spins lost their CPU lately: 0 for none, else the pause is `FIRST_PAUSE << (level - 1)`.
    level: u32,
    /// No spin before this (the pause after a spin that lost its CPU).
    paused_until: Option<Instant>,
    /// Spins in a row that kept their CPU since the level last changed.
    kept: u32,
}

impl Spin {
    /// A policy that spins for waits up to `limit`; it starts by sleeping, until a short wait
    /// has been seen.
    pub(crate) const fn new(limit: Duration) -> Spin {
        Spin { limit, short: false, level: 0, paused_until: None, kept: 0 }
    }

    /// How long to spin before the wait about to start (at `now`), or `None` to sleep at once.
    pub(crate) fn budget(&mut self, now: Instant) -> Option<Duration> {
        if let Some(until) = self.paused_until {
            if now < until {
                return None;
            }
            self.paused_until = None;
        }
        self.short.then_some(self.limit)
    }

    /// Learns from how a wait ended (at `now`).
    pub(crate) fn record(&mut self, waited: Waited, now: Instant) {
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
                self.level = (self.level + 1).min(MAX_LEVEL);
                self.paused_until = Some(now + FIRST_PAUSE * (1 << (self.level - 1)));
                self.kept = 0;
            }
            Waited::Slept(waited) => self.short = waited <= self.limit,
        }
    }

    fn kept_cpu(&mut self) {
        self.kept += 1;
        if self.level > 0 && self.kept >= KEPT_TO_SHORTEN {
            self.level -= 1;
            self.kept = 0;
        }
    }
}

/// Polls `ready` until it returns true, for at most `budget`, yielding the CPU every
/// [`YIELD_EVERY`]; says how the spin ended (never [`Waited::Slept`]).
pub(crate) fn until(budget: Duration, mut ready: impl FnMut() -> bool) -> Waited {
    let start = Instant::now();
    let (mut last, mut yielded) = (start, start);
    loop {
        if ready() {
            return Waited::Caught;
        }
        std::hint::spin_loop();
        if last - yielded > YIELD_EVERY {
            std::thread::yield_now();
            yielded = last;
        }
        let now = Instant::now();
        if now - last > PREEMPTED {
            return Waited::Preempted;
        }
        if now - start > budget {
            return Waited::Overran;
        }
        last = now;
    }
}

/// How many times the calling thread has lost its CPU while it could run (involuntary context
/// switches, a yield that let another thread run included), for a spin whose polls are not
/// back to back (an event loop's iterations may run other callbacks between them).
pub(crate) fn cpu_losses() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `usage` is a valid place for the result; RUSAGE_THREAD is Linux's, the only
    // platform the addon is built for. On failure it stays zeroed.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr()) };
    unsafe { usage.assume_init() }.ru_nivcsw
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Duration = Duration::from_micros(100);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn starts_by_sleeping_and_spins_once_a_wait_was_short() {
        let (mut spin, now) = (Spin::new(LIMIT), Instant::now());
        assert_eq!(spin.budget(now), None);
        spin.record(Waited::Slept(Duration::from_micros(40)), now);
        assert_eq!(spin.budget(now), Some(LIMIT));
        spin.record(Waited::Caught, now);
        assert_eq!(spin.budget(now), Some(LIMIT));
    }

    #[test]
    fn a_long_wait_stops_spinning_until_a_short_one() {
        let (mut spin, now) = (Spin::new(LIMIT), Instant::now());
        spin.record(Waited::Caught, now);
        spin.record(Waited::Overran, now);
        assert_eq!(spin.budget(now), None);
        spin.record(Waited::Slept(ms(5)), now);
        assert_eq!(spin.budget(now), None);
        spin.record(Waited::Slept(LIMIT), now);
        assert_eq!(spin.budget(now), Some(LIMIT));
    }

    /// The pause after each spin that lost its CPU, found by asking at every millisecond.
    fn pause(spin: &mut Spin, at: &mut Instant) -> Duration {
        spin.record(Waited::Preempted, *at);
        let start = *at;
        while spin.budget(*at).is_none() {
            // Short waits seen meanwhile do not end the pause.
            spin.record(Waited::Slept(Duration::from_micros(10)), *at);
            *at += ms(1);
        }
        *at - start
    }

    #[test]
    fn a_lost_cpu_pauses_spinning_longer_each_time_up_to_a_second() {
        let (mut spin, mut at) = (Spin::new(LIMIT), Instant::now());
        spin.record(Waited::Caught, at);
        let pauses: Vec<u64> = (0..13).map(|_| pause(&mut spin, &mut at).as_millis() as u64).collect();
        assert_eq!(pauses, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 1024, 1024]);
    }

    #[test]
    fn spins_that_keep_their_cpu_shorten_the_pause() {
        let (mut spin, mut at) = (Spin::new(LIMIT), Instant::now());
        spin.record(Waited::Caught, at);
        for _ in 0..3 {
            pause(&mut spin, &mut at);
        }
        // 15 spins that keep their CPU are not enough to shorten the next pause (8 ms)...
        for _ in 0..KEPT_TO_SHORTEN - 1 {
            spin.record(Waited::Caught, at);
        }
        assert_eq!(pause(&mut spin, &mut at), ms(8));
        // ... 16 are (an overrun keeps its CPU too): 8 ms again after one more step down.
        for _ in 0..KEPT_TO_SHORTEN - 1 {
            spin.record(Waited::Caught, at);
        }
        spin.record(Waited::Overran, at);
        spin.record(Waited::Slept(LIMIT), at);
        assert_eq!(pause(&mut spin, &mut at), ms(8));
        // Four steps down: back to the first pause.
        for _ in 0..4 * KEPT_TO_SHORTEN {
            spin.record(Waited::Caught, at);
        }
        assert_eq!(pause(&mut spin, &mut at), ms(1));
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
    fn cpu_losses_never_go_down() {
        let before = cpu_losses();
        for _ in 0..100 {
            std::thread::yield_now();
        }
        assert!(cpu_losses() >= before);
    }

    #[test]
    fn until_gives_up_after_its_budget() {
        let waited = until(Duration::ZERO, || false);
        assert!(matches!(waited, Waited::Overran | Waited::Preempted), "{waited:?}");
    }
}
