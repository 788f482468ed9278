//! Keeps an environment's event loop polling, rather than sleeping, while a call that is likely
//! to finish soon is pending: the JS thread's side of [`crate::spin`].
//!
//! Why: a result comes back through a thread-safe function, which wakes the event loop. A loop
//! asleep in `epoll_wait` on a halted vCPU takes 50-65 µs to wake on the virtual machines this
//! was measured on, about the cost of a whole verify. While a libuv idle handle is active, the
//! loop polls for I/O without waiting (timeout 0) at every iteration, so a result is taken up
//! within a microsecond or so, and every timer, socket and callback of the host runs as usual:
//! the loop is never blocked, only kept from sleeping. The handle is started only when the last
//! calls came back within [`SPIN_LIMIT`] of being made, and stopped as soon as no call is
//! pending, after [`SPIN_LIMIT`], or when a second call is made (concurrent calls keep the loop
//! busy). A spin during which the JS thread lost its CPU to another thread (a busy machine, where
//! spinning takes CPU from others) makes spinning pause ([`crate::spin`]); the loss is read from
//! the kernel's count of the thread's involuntary context switches, not from gaps between polls,
//! since the loop may run other callbacks between two polls. The spin also yields the CPU every
//! [`spin::YIELD_EVERY`], so a runnable thread never waits behind it for longer. The event loop
//! counts as busy while it spins (`performance.eventLoopUtilization()`).
//!
//! The handle is unreferenced (it never keeps the process alive: the thread-safe function does,
//! while calls are pending) and closed by the environment's asynchronous cleanup hook, which
//! Node runs before it tears the loop down.

use std::alloc::{Layout, alloc, dealloc};
use std::cell::RefCell;
use std::ffi::{c_int, c_void};
use std::ptr;
use std::time::{Duration, Instant};

use napi::sys;

use crate::spin::{self, Spin, Waited};

/// The longest round trip of a call worth spinning for: a reset or a verify that commits without
/// waiting for the disk, with the wake-up it saves (a commit that waits for an fsync takes longer).
const SPIN_LIMIT: Duration = Duration::from_micros(250);

/// libuv's `UV_IDLE` of `uv_handle_type` (part of libuv 1's stable ABI).
const UV_IDLE: c_int = 6;

// libuv, as Node exports it to addons.
unsafe extern "C" {
    fn uv_handle_size(kind: c_int) -> usize;
    fn uv_idle_init(event_loop: *mut sys::uv_loop_s, idle: *mut c_void) -> c_int;
    fn uv_idle_start(idle: *mut c_void, cb: unsafe extern "C" fn(*mut c_void)) -> c_int;
    fn uv_idle_stop(idle: *mut c_void) -> c_int;
    fn uv_unref(handle: *mut c_void);
    fn uv_close(handle: *mut c_void, cb: unsafe extern "C" fn(*mut c_void));
}

/// One environment's spinning state, on its JS thread.
struct Awake {
    env: sys::napi_env,
    /// The idle handle, made with the first call (so that an environment that made calls
    /// always closes one); null if that failed or once the environment has closed it: the calls
    /// then never spin.
    handle: *mut c_void,
    spin: Spin,
    /// The spin under way: when its budget ends, and the thread's CPU losses when it started.
    spinning: Option<(Instant, i64)>,
    /// When the first of the pending calls was made.
    since: Option<Instant>,
    /// When a spin last yielded the CPU.
    yielded: Instant,
}

thread_local! {
    /// The environment running on this thread (one at a time per thread).
    static AWAKE: RefCell<Option<Awake>> = const { RefCell::new(None) };
}

/// A call was made on `env`'s thread; `first`: no other call was pending. Starts a spin if the
/// last calls came back soon enough.
pub(crate) fn call_made(env: sys::napi_env, first: bool) {
    AWAKE.with_borrow_mut(|awake| {
        if awake.as_ref().is_none_or(|a| a.env != env) {
            *awake = Some(Awake {
                env,
                handle: unsafe { new_handle(env) },
                spin: Spin::new(SPIN_LIMIT),
                spinning: None,
                since: None,
                yielded: Instant::now(),
            });
        }
        let awake = awake.as_mut().expect("set above");
        if !first {
            // Calls made together: results come back one after another and keep the loop busy
            // anyway, while a spinning JS thread would take a core from the threads running them.
            if awake.spinning.take().is_some() && !awake.handle.is_null() {
                unsafe { uv_idle_stop(awake.handle) };
            }
            return;
        }
        let now = Instant::now();
        awake.since = Some(now);
        let Some(budget) = awake.spin.budget(now) else { return };
        if !awake.handle.is_null() && unsafe { uv_idle_start(awake.handle, poll) } == 0 {
            awake.spinning = Some((now + budget, spin::cpu_losses()));
        }
    });
}

/// A call's result was delivered on `env`'s thread; `last`: no call is pending any more. Ends
/// the spin, and learns how long the calls took.
pub(crate) fn result_delivered(env: sys::napi_env, last: bool) {
    AWAKE.with_borrow_mut(|awake| {
        let Some(awake) = awake.as_mut().filter(|a| a.env == env && last) else { return };
        if awake.spinning.is_some() {
            awake.stop(Waited::Caught);
        } else if let Some(since) = awake.since {
            awake.spin.record(Waited::Slept(since.elapsed()), Instant::now());
        }
        awake.since = None;
    });
}

impl Awake {
    /// Ends the spin, which ended as `waited` unless the thread lost its CPU meanwhile.
    fn stop(&mut self, waited: Waited) {
        let Some((_, losses)) = self.spinning.take() else { return };
        let waited = if spin::cpu_losses() > losses { Waited::Preempted } else { waited };
        self.spin.record(waited, Instant::now());
        if !self.handle.is_null() {
            unsafe { uv_idle_stop(self.handle) };
        }
    }
}

/// The idle handle's callback, once per loop iteration while a spin is under way.
unsafe extern "C" fn poll(handle: *mut c_void) {
    AWAKE.with_borrow_mut(|awake| {
        let Some(awake) = awake.as_mut().filter(|a| a.handle == handle) else {
            unsafe { uv_idle_stop(handle) };
            return;
        };
        let Some((until, _)) = awake.spinning else {
            unsafe { uv_idle_stop(handle) };
            return;
        };
        let now = Instant::now();
        if now > until {
            awake.stop(Waited::Overran);
        } else if now - awake.yielded > spin::YIELD_EVERY {
            std::thread::yield_now();
            awake.yielded = now;
        }
    });
}

fn layout() -> Option<Layout> {
    Layout::from_size_align(unsafe { uv_handle_size(UV_IDLE) }, 16).ok().filter(|l| l.size() > 0)
}

/// A new, unreferenced idle handle on `env`'s loop, which `env`'s cleanup closes; null if
/// anything fails (the calls then simply never spin).
unsafe fn new_handle(env: sys::napi_env) -> *mut c_void {
    let Some(layout) = layout() else { return ptr::null_mut() };
    let mut event_loop = ptr::null_mut();
    if unsafe { sys::napi_get_uv_event_loop(env, &mut event_loop) } != sys::Status::napi_ok {
        return ptr::null_mut();
    }
    let handle = unsafe { alloc(layout) }.cast::<c_void>();
    if handle.is_null() {
        return handle;
    }
    if unsafe { uv_idle_init(event_loop, handle) } != 0 {
        unsafe { dealloc(handle.cast(), layout) };
        return ptr::null_mut();
    }
    unsafe { uv_unref(handle) };
    let hooked = unsafe { sys::napi_add_async_cleanup_hook(env, Some(cleanup), handle, ptr::null_mut()) };
    if hooked != sys::Status::napi_ok {
        // An initialized handle must be closed on its loop, and the environment is going away
        // without telling this module: close it now.
        unsafe { uv_close(handle, closed_unhooked) };
        return ptr::null_mut();
    }
    handle
}

/// The environment is shutting down: close its handle, then tell Node the cleanup is done.
unsafe extern "C" fn cleanup(hook: sys::napi_async_cleanup_hook_handle, handle: *mut c_void) {
    AWAKE.with_borrow_mut(|awake| {
        if let Some(awake) = awake.as_mut().filter(|a| a.handle == handle) {
            awake.handle = ptr::null_mut();
            awake.spinning = None;
        }
    });
    // A handle's `data` (its first field) is the user's: it carries the hook to its close.
    unsafe { handle.cast::<sys::napi_async_cleanup_hook_handle>().write(hook) };
    unsafe { uv_close(handle, closed) };
}

unsafe extern "C" fn closed(handle: *mut c_void) {
    let hook = unsafe { handle.cast::<sys::napi_async_cleanup_hook_handle>().read() };
    unsafe { closed_unhooked(handle) };
    unsafe { sys::napi_remove_async_cleanup_hook(hook) };
}

unsafe extern "C" fn closed_unhooked(handle: *mut c_void) {
    if let Some(layout) = layout() {
        unsafe { dealloc(handle.cast(), layout) };
    }
}
