//! Keeps an environment's event loop polling, rather than sleeping, around the time a pending
//! call's result is due: the JS thread's side of [`crate::spin`].
//!
//! Why: a result comes back through a thread-safe function, which wakes the event loop. A loop
//! asleep in `epoll_wait` on a halted vCPU takes 50-65 µs to wake on the virtual machines this
//! was measured on, about the cost of a whole verify; a loop that is polling takes a result up
//! within a microsecond or so. Polling for the whole of a call that waits for its commit's fsync
//! would burn a core, so the loop sleeps until [`LEAD`] before the result is due (predicted from
//! the shortest of the last [`RECENT`] calls' round trips) and polls from then on, for at most
//! [`SPIN_LIMIT`]: the wake-up then happens while the call still runs, where it costs nothing. A
//! call expected back sooner than [`LEAD`] spins from the start.
//!
//! How: while a libuv idle handle is active, the loop polls for I/O without waiting (timeout 0)
//! at every iteration, so every timer, socket and callback of the host runs as usual: the loop is
//! never blocked, only kept from sleeping. The wake-up before the result is a [`Timer`] watched
//! by a libuv poll handle (libuv's own timers count whole milliseconds), whose expiry starts the
//! idle handle. Whether to spin at all is [`Spin`]'s policy: only while the last results came
//! within [`SPIN_LIMIT`] of their spin's start, and not for a while after a spin during which the
//! JS thread lost its CPU to another thread (a busy machine, where spinning takes CPU from
//! others); the loss is read from the kernel's count of the thread's involuntary context
//! switches, not from gaps between polls, since the loop may run other callbacks between two
//! polls. A second pending call ends the spin (concurrent calls keep the loop busy), and the spin
//! yields the CPU every [`spin::YIELD_EVERY`], so a runnable thread never waits behind it for
//! longer. The event loop counts as busy while it spins (`performance.eventLoopUtilization()`).
//!
//! The handles are unreferenced (they never keep the process alive: the thread-safe function
//! does, while calls are pending) and closed by the environment's asynchronous cleanup hook,
//! which Node runs before it tears the loop down.

use std::alloc::{Layout, alloc, dealloc};
use std::cell::RefCell;
use std::ffi::{c_int, c_void};
use std::os::fd::AsRawFd;
use std::ptr;
use std::time::{Duration, Instant};

use napi::sys;

use crate::spin::{self, Spin, Waited};
use crate::timer::Timer;

/// The longest spin: long enough for a result that comes a little later than predicted.
const SPIN_LIMIT: Duration = Duration::from_micros(250);

/// How long before a result is due the loop wakes: a wake-up's cost, with a margin.
const LEAD: Duration = Duration::from_micros(100);

/// How many of the last calls' round trips predict the next one's.
const RECENT: usize = 16;

/// libuv's `UV_IDLE` and `UV_POLL` of `uv_handle_type`, and `UV_READABLE` of `uv_poll_event`
/// (part of libuv 1's stable ABI).
const UV_IDLE: c_int = 6;
const UV_POLL: c_int = 8;
const UV_READABLE: c_int = 1;

// libuv, as Node exports it to addons.
unsafe extern "C" {
    fn uv_handle_size(kind: c_int) -> usize;
    fn uv_idle_init(event_loop: *mut sys::uv_loop_s, idle: *mut c_void) -> c_int;
    fn uv_idle_start(idle: *mut c_void, cb: unsafe extern "C" fn(*mut c_void)) -> c_int;
    fn uv_idle_stop(idle: *mut c_void) -> c_int;
    fn uv_poll_init(event_loop: *mut sys::uv_loop_s, poll: *mut c_void, fd: c_int) -> c_int;
    fn uv_poll_start(
        poll: *mut c_void,
        events: c_int,
        cb: unsafe extern "C" fn(*mut c_void, c_int, c_int),
    ) -> c_int;
    fn uv_unref(handle: *mut c_void);
    fn uv_close(handle: *mut c_void, cb: unsafe extern "C" fn(*mut c_void));
}

/// One environment's spinning state, on its JS thread.
struct Awake {
    env: sys::napi_env,
    /// The loop's handles, made with the first call (so that an environment that made calls
    /// always closes them); `None` if that failed or once the environment has closed them: the
    /// calls then never spin.
    watch: Option<Watch>,
    spin: Spin,
    /// The pending call, while it is the only one.
    call: Option<Pending>,
    recent: Recent,
    /// When a spin last yielded the CPU.
    yielded: Instant,
}

struct Pending {
    since: Instant,
    /// When the call's spin starts, or would have: [`LEAD`] before its predicted result.
    start: Instant,
    plan: Plan,
}

enum Plan {
    /// No spin: the policy said to sleep.
    Sleep,
    /// The timer is set for `start`; the spin will end at `until`.
    Alarm { until: Instant },
    /// The idle handle spins until `until`; the thread's CPU losses when it began.
    Spinning { until: Instant, losses: i64 },
    /// The spin ran out of time (and was learned from).
    Over,
}

/// The round trips of the last [`RECENT`] calls made alone, which predict the next one's.
#[derive(Default)]
struct Recent {
    /// The oldest is overwritten first; zero until that many calls were made.
    round_trips: [Duration; RECENT],
    next: usize,
}

impl Recent {
    fn record(&mut self, round_trip: Duration) {
        self.round_trips[self.next] = round_trip;
        self.next = (self.next + 1) % RECENT;
    }

    /// How long the next call's JS thread may sleep before it spins: until [`LEAD`] before the
    /// shortest of the recent round trips (none before [`RECENT`] calls were seen).
    fn sleep_before_spin(&self) -> Duration {
        self.round_trips.iter().min().copied().unwrap_or_default().saturating_sub(LEAD)
    }
}

thread_local! {
    /// The environment running on this thread (one at a time per thread).
    static AWAKE: RefCell<Option<Awake>> = const { RefCell::new(None) };
}

/// A call was made on `env`'s thread; `first`: no other call was pending. Plans a spin around
/// the time its result is due, if the last calls' results came when their spins expected them.
pub(crate) fn call_made(env: sys::napi_env, first: bool) {
    AWAKE.with_borrow_mut(|awake| {
        if awake.as_ref().is_none_or(|a| a.env != env) {
            *awake = Some(Awake {
                env,
                // SAFETY: `env` is the environment calling on this thread.
                watch: unsafe { Watch::new(env) },
                spin: Spin::new(SPIN_LIMIT),
                call: None,
                recent: Recent::default(),
                yielded: Instant::now(),
            });
        }
        let awake = awake.as_mut().expect("set above");
        if !first {
            // Calls made together: results come back one after another and keep the loop busy
            // anyway, while a spinning JS thread would take a core from the threads running them.
            // Nor does their round trip predict a single call's.
            if let Some(call) = awake.call.take() {
                awake.stop(&call.plan);
            }
            return;
        }
        let now = Instant::now();
        let delay = awake.recent.sleep_before_spin();
        let start = now + delay;
        let plan = match (&awake.watch, awake.spin.budget(now)) {
            (Some(watch), Some(budget)) if delay.is_zero() => watch.spin(start + budget),
            (Some(watch), Some(budget)) => {
                watch.timer.set(Some(delay));
                Plan::Alarm { until: start + budget }
            }
            _ => Plan::Sleep,
        };
        awake.call = Some(Pending { since: now, start, plan });
    });
}

/// A call's result was delivered on `env`'s thread; `last`: no call is pending any more. Ends
/// the spin, and learns from the call's round trip.
pub(crate) fn result_delivered(env: sys::napi_env, last: bool) {
    AWAKE.with_borrow_mut(|awake| {
        let Some(awake) = awake.as_mut().filter(|a| a.env == env && last) else { return };
        let Some(call) = awake.call.take() else { return };
        let now = Instant::now();
        awake.stop(&call.plan);
        let waited = match call.plan {
            Plan::Spinning { losses, .. } if spin::cpu_losses() > losses => Some(Waited::Preempted),
            Plan::Spinning { .. } => Some(Waited::Caught),
            // The result came before the spin's start (a wait of zero), or while sleeping.
            Plan::Sleep | Plan::Alarm { .. } => {
                Some(Waited::Slept(now.saturating_duration_since(call.start)))
            }
            Plan::Over => None,
        };
        if let Some(waited) = waited {
            awake.spin.record(waited, now);
        }
        awake.recent.record(now - call.since);
    });
}

impl Awake {
    /// Stops `plan`'s spin or unsets its timer.
    fn stop(&self, plan: &Plan) {
        let Some(watch) = &self.watch else { return };
        match plan {
            // SAFETY: the idle handle is open while `watch` is there.
            Plan::Spinning { .. } => unsafe {
                uv_idle_stop(watch.idle);
            },
            Plan::Alarm { .. } => watch.timer.set(None),
            Plan::Sleep | Plan::Over => {}
        }
    }
}

/// The poll handle's callback: the timer expired, the result is due soon: start spinning.
unsafe extern "C" fn alarmed(handle: *mut c_void, _status: c_int, _events: c_int) {
    AWAKE.with_borrow_mut(|awake| {
        let Some(awake) = awake.as_mut() else { return };
        let Some(watch) = awake.watch.as_ref().filter(|w| w.poll == handle) else { return };
        // Not expired: an event libuv had already collected when the result, delivered first in
        // the same turn, unset the timer (perhaps set again since for the next call).
        if !watch.timer.expired() {
            return;
        }
        let Some(call) = awake.call.as_mut() else { return };
        if let Plan::Alarm { until } = call.plan {
            call.plan = watch.spin(until);
            awake.yielded = Instant::now();
        }
    });
}

/// The idle handle's callback, once per loop iteration while a spin is under way: ends it once
/// its time is up, and yields the CPU now and then.
unsafe extern "C" fn spun(handle: *mut c_void) {
    AWAKE.with_borrow_mut(|awake| {
        let Some(awake) = awake.as_mut().filter(|a| a.watch.as_ref().is_some_and(|w| w.idle == handle))
        else {
            // SAFETY: libuv passes the open handle whose callback this is.
            unsafe { uv_idle_stop(handle) };
            return;
        };
        let now = Instant::now();
        match awake.call.as_mut().map(|call| &mut call.plan) {
            Some(plan @ &mut Plan::Spinning { until, losses }) if now > until => {
                *plan = Plan::Over;
                let waited = if spin::cpu_losses() > losses { Waited::Preempted } else { Waited::Overran };
                awake.spin.record(waited, now);
                unsafe { uv_idle_stop(handle) };
            }
            Some(Plan::Spinning { .. }) => {
                if now - awake.yielded > spin::YIELD_EVERY {
                    std::thread::yield_now();
                    awake.yielded = now;
                }
            }
            _ => unsafe {
                uv_idle_stop(handle);
            },
        }
    });
}

/// The loop's idle and poll handles (in one allocation) and the timer the poll handle watches.
struct Watch {
    idle: *mut c_void,
    poll: *mut c_void,
    timer: Timer,
}

/// Where each handle lies in the allocation that holds both.
struct Handles {
    layout: Layout,
    poll_offset: usize,
}

fn handles() -> Option<Handles> {
    // SAFETY: pure functions of libuv's.
    let (idle, poll) = unsafe { (uv_handle_size(UV_IDLE), uv_handle_size(UV_POLL)) };
    let idle = Layout::from_size_align(idle, 16).ok().filter(|l| l.size() > 0)?;
    let poll = Layout::from_size_align(poll, 16).ok().filter(|l| l.size() > 0)?;
    let (layout, poll_offset) = idle.extend(poll).ok()?;
    Some(Handles { layout, poll_offset })
}

/// What the closing handles carry to their close callback (in their `data` field, their
/// first): the timer to close once no handle watches it, the allocation to free and the cleanup
/// hook to remove once both are closed.
struct Closing {
    open: u8,
    block: *mut u8,
    /// `None` only if the environment's state had lost it (never expected).
    timer: Option<Timer>,
    hook: sys::napi_async_cleanup_hook_handle,
}

impl Watch {
    /// Starts the idle handle for a spin that ends at `until`.
    fn spin(&self, until: Instant) -> Plan {
        // SAFETY: the idle handle is open while `self` is there.
        match unsafe { uv_idle_start(self.idle, spun) } {
            0 => Plan::Spinning { until, losses: spin::cpu_losses() },
            _ => Plan::Sleep,
        }
    }

    /// Unreferenced handles on `env`'s loop, which `env`'s cleanup closes; `None` if anything
    /// fails (the calls then simply never spin).
    ///
    /// # Safety
    /// `env` is the environment running on this thread.
    unsafe fn new(env: sys::napi_env) -> Option<Watch> {
        let Handles { layout, poll_offset } = handles()?;
        let timer = Timer::new().ok()?;
        let mut event_loop = ptr::null_mut();
        // SAFETY: `env` is live on this thread (the caller's promise).
        if unsafe { sys::napi_get_uv_event_loop(env, &mut event_loop) } != sys::Status::napi_ok {
            return None;
        }
        // SAFETY: `layout` has a non-zero size.
        let block = unsafe { alloc(layout) };
        if block.is_null() {
            return None;
        }
        let (idle, poll) = (block.cast::<c_void>(), unsafe { block.add(poll_offset) }.cast::<c_void>());
        // SAFETY: both handles lie in the fresh allocation, each with its type's size; the loop
        // is this thread's; the timer's descriptor stays open until the poll handle is closed.
        unsafe {
            if uv_idle_init(event_loop, idle) != 0 {
                dealloc(block, layout);
                return None;
            }
            if uv_poll_init(event_loop, poll, timer.as_raw_fd()) != 0 {
                // An initialized handle must be closed on its loop: the idle one alone.
                let closing = Box::new(Closing { open: 1, block, timer: Some(timer), hook: ptr::null_mut() });
                close(idle, Box::into_raw(closing));
                return None;
            }
            uv_unref(idle);
            uv_unref(poll);
            if uv_poll_start(poll, UV_READABLE, alarmed) != 0
                || sys::napi_add_async_cleanup_hook(env, Some(cleanup), block.cast(), ptr::null_mut())
                    != sys::Status::napi_ok
            {
                close_both(idle, poll, Closing { open: 2, block, timer: Some(timer), hook: ptr::null_mut() });
                return None;
            }
        }
        Some(Watch { idle, poll, timer })
    }
}

/// Closes both handles, then (in [`closed`]) the rest of `closing`.
///
/// # Safety
/// `idle` and `poll` are initialized handles of this thread's loop, not closed yet.
unsafe fn close_both(idle: *mut c_void, poll: *mut c_void, closing: Closing) {
    let closing = Box::into_raw(Box::new(closing));
    // SAFETY: the caller's promise.
    unsafe {
        close(idle, closing);
        close(poll, closing);
    }
}

/// # Safety
/// `handle` is an initialized handle of this thread's loop, not closed yet; `closing` counts it.
unsafe fn close(handle: *mut c_void, closing: *mut Closing) {
    // SAFETY: a handle's `data` (its first field) is the user's; `closed` reads it back.
    unsafe {
        handle.cast::<*mut Closing>().write(closing);
        uv_close(handle, closed);
    }
}

/// The environment is shutting down: close its handles and timer, then tell Node the cleanup is
/// done.
unsafe extern "C" fn cleanup(hook: sys::napi_async_cleanup_hook_handle, block: *mut c_void) {
    // The environment that made the handles runs on this thread until its cleanup (one at a
    // time per thread), so its state is still there.
    let watch = AWAKE.with_borrow_mut(|awake| {
        let awake = awake.as_mut().filter(|a| a.watch.as_ref().is_some_and(|w| w.idle == block))?;
        awake.call = None;
        awake.watch.take()
    });
    let timer = watch.map(|watch| watch.timer);
    // (Known when `block` was made: libuv's sizes do not change.)
    let Some(Handles { poll_offset, .. }) = handles() else {
        unsafe { sys::napi_remove_async_cleanup_hook(hook) };
        return;
    };
    let (idle, poll) = (block, unsafe { block.cast::<u8>().add(poll_offset) }.cast::<c_void>());
    // SAFETY: the handles `Watch::new` initialized in `block`; they close only here.
    unsafe { close_both(idle, poll, Closing { open: 2, block: block.cast(), timer, hook }) };
}

unsafe extern "C" fn closed(handle: *mut c_void) {
    // SAFETY: `close` stored the pointer in the handle's `data`; the last of its handles to
    // close takes the box back, after which nothing reads it.
    let closing = unsafe { handle.cast::<*mut Closing>().read() };
    unsafe {
        (*closing).open -= 1;
        if (*closing).open > 0 {
            return;
        }
        let closing = Box::from_raw(closing);
        if let Some(Handles { layout, .. }) = handles() {
            dealloc(closing.block, layout);
        }
        drop(closing.timer);
        if !closing.hook.is_null() {
            sys::napi_remove_async_cleanup_hook(closing.hook);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    #[test]
    fn the_spin_starts_lead_before_the_shortest_recent_round_trip() {
        let mut recent = Recent::default();
        // Until as many calls as it remembers were made, it spins from the start.
        for _ in 0..RECENT - 1 {
            recent.record(us(300));
            assert_eq!(recent.sleep_before_spin(), Duration::ZERO);
        }
        recent.record(us(300));
        assert_eq!(recent.sleep_before_spin(), us(300) - LEAD);
        // A quicker call moves the spin earlier, until it is forgotten.
        recent.record(us(180));
        assert_eq!(recent.sleep_before_spin(), us(180) - LEAD);
        for _ in 0..RECENT - 1 {
            recent.record(us(400));
        }
        assert_eq!(recent.sleep_before_spin(), us(180) - LEAD);
        recent.record(us(400));
        assert_eq!(recent.sleep_before_spin(), us(400) - LEAD);
        // Calls quicker than the lead spin from the start.
        recent.record(us(40));
        assert_eq!(recent.sleep_before_spin(), Duration::ZERO);
    }
}
