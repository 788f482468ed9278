//! Promises settled from the addon's threads.
//!
//! A call creates its Promise on the JS thread, runs its work on the pool ([`crate::pool`]), and
//! the result comes back through one N-API thread-safe function per JS environment (the main
//! thread and each worker thread have their own), which converts it to JS values and settles the
//! Promise on that environment's thread. One thread-safe function serves every call, rather than
//! one per call: creating one costs a libuv handle, and Node drains up to a thousand queued
//! results per wake-up.
//!
//! The thread-safe function keeps the event loop alive only while calls are pending, so an idle
//! handle never keeps a host from exiting, and a pending call always completes.

use std::cell::RefCell;
use std::ffi::c_void;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use mfa_core::Error;
use napi::bindgen_prelude::{ToNapiValue, TypeName};
use napi::{Env, ValueType, check_status, sys};

use crate::awake;
use crate::error::error_value;
use crate::pool;

/// A Promise of a `T`, as a method returns it to JS.
pub struct Call<T> {
    promise: sys::napi_value,
    _result: PhantomData<T>,
}

impl<T> TypeName for Call<T> {
    fn type_name() -> &'static str {
        "Promise"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl<T> ToNapiValue for Call<T> {
    unsafe fn to_napi_value(_env: sys::napi_env, call: Self) -> napi::Result<sys::napi_value> {
        Ok(call.promise)
    }
}

/// A Promise's resolver. Only ever used on the thread of the environment that created it; it
/// travels through the pool inside a job without being touched there.
struct Deferred(sys::napi_deferred);

// SAFETY: see the type's comment: the pool threads only move it.
unsafe impl Send for Deferred {}

fn new_promise<T>(env: &Env) -> napi::Result<(Deferred, Call<T>)> {
    let (mut deferred, mut promise) = (ptr::null_mut(), ptr::null_mut());
    check_status!(unsafe { sys::napi_create_promise(env.raw(), &mut deferred, &mut promise) })?;
    Ok((Deferred(deferred), Call { promise, _result: PhantomData }))
}

/// Converts `result` and settles the Promise with it, on its environment's thread.
fn settle<T: ToNapiValue>(env: sys::napi_env, deferred: Deferred, result: mfa_core::Result<T>) {
    let value = result.and_then(|value| {
        unsafe { T::to_napi_value(env, value) }
            .map_err(|e| Error::Internal(format!("the result could not be converted to JS: {}", e.reason)))
    });
    // Settling fails only while the environment is shutting down (a pending exception or a
    // terminating worker): nobody is left to tell, so the statuses are not checked.
    match value {
        Ok(value) => unsafe { sys::napi_resolve_deferred(env, deferred.0, value) },
        Err(err) => match error_value(&Env::from_raw(env), &err) {
            Ok(error) => unsafe { sys::napi_reject_deferred(env, deferred.0, error) },
            Err(_) => sys::Status::napi_generic_failure,
        },
    };
}

/// A Promise already settled with `result`: arguments refused before any work, a closed
/// handle, or a call with no storage work.
pub(crate) fn settled<T: ToNapiValue>(env: &Env, result: mfa_core::Result<T>) -> napi::Result<Call<T>> {
    let (deferred, call) = new_promise(env)?;
    settle(env.raw(), deferred, result);
    Ok(call)
}

/// A Promise of `work`, which runs on the pool. A panic in `work` rejects with `MFA_INTERNAL`
/// rather than taking the process down.
pub(crate) fn spawn<T, F>(env: &Env, work: F) -> napi::Result<Call<T>>
where
    T: ToNapiValue + Send + 'static,
    F: FnOnce() -> mfa_core::Result<T> + Send + 'static,
{
    let (deferred, call) = new_promise(env)?;
    let channel = Channel::of(env)?;
    pool::spawn(
        move || {
            catch_unwind(AssertUnwindSafe(work))
                .unwrap_or_else(|_| Err(Error::Internal("a panic was caught in the Node addon".into())))
        },
        move |result| channel.send(Box::new(move |env| settle(env, deferred, result))),
    );
    Ok(call)
}

/// What a pool thread hands back: settle one Promise, given the environment.
type Done = Box<dyn FnOnce(sys::napi_env) + Send>;

/// The way back to one environment's thread.
struct Channel {
    /// `None` once Node has finalized the thread-safe function (the environment is gone):
    /// results are then dropped.
    tsfn: Mutex<Option<Tsfn>>,
    /// Set with `tsfn` taken, for the JS thread's check on every call: reading the flag, unlike
    /// taking the mutex, never waits for a pool thread that is sending a result through it.
    closed: AtomicBool,
}

struct Tsfn(sys::napi_threadsafe_function);

// SAFETY: N-API thread-safe functions are made to be called from any thread; the mutex around
// it orders every call before Node's finalizer (which takes the same mutex) frees it.
unsafe impl Send for Tsfn {}

/// The JS-thread side of an environment's channel: its pending calls.
struct Local {
    env: sys::napi_env,
    channel: Arc<Channel>,
    tsfn: sys::napi_threadsafe_function,
    pending: usize,
}

thread_local! {
    /// The channel of the environment running on this thread (one at a time per thread).
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

impl Channel {
    /// The channel of `env`, created on its first call; counts one more pending call, and keeps
    /// the event loop alive while any is pending.
    fn of(env: &Env) -> napi::Result<Arc<Channel>> {
        LOCAL.with_borrow_mut(|local| {
            let stale = match local {
                Some(l) => l.env != env.raw() || l.channel.closed(),
                None => true,
            };
            if stale {
                *local = Some(Channel::create(env)?);
            }
            let local = local.as_mut().expect("set above");
            if local.pending == 0 {
                check_status!(unsafe { sys::napi_ref_threadsafe_function(local.env, local.tsfn) })?;
            }
            local.pending += 1;
            awake::call_made(local.env, local.pending == 1);
            Ok(Arc::clone(&local.channel))
        })
    }

    fn create(env: &Env) -> napi::Result<Local> {
        let channel = Arc::new(Channel { tsfn: Mutex::new(None), closed: AtomicBool::new(false) });
        let mut name = ptr::null_mut();
        check_status!(unsafe {
            sys::napi_create_string_utf8(env.raw(), c"mfa-core".as_ptr(), 8, &mut name)
        })?;
        let mut tsfn = ptr::null_mut();
        // The finalizer's data is a strong reference to the channel, released there.
        let finalize_data = Arc::into_raw(Arc::clone(&channel)) as *mut c_void;
        let created = check_status!(unsafe {
            sys::napi_create_threadsafe_function(
                env.raw(),
                ptr::null_mut(),
                ptr::null_mut(),
                name,
                0,
                1,
                finalize_data,
                Some(finalized),
                ptr::null_mut(),
                Some(deliver),
                &mut tsfn,
            )
        });
        if let Err(err) = created {
            drop(unsafe { Arc::from_raw(finalize_data as *const Channel) });
            return Err(err);
        }
        *channel.tsfn.lock().unwrap_or_else(PoisonError::into_inner) = Some(Tsfn(tsfn));
        // Idle until a call is pending.
        check_status!(unsafe { sys::napi_unref_threadsafe_function(env.raw(), tsfn) })?;
        Ok(Local { env: env.raw(), channel, tsfn, pending: 0 })
    }

    fn closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// From a pool thread: queues `done` for the environment's thread.
    fn send(&self, done: Done) {
        let tsfn = self.tsfn.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(tsfn) = tsfn.as_ref() else { return };
        let data = Box::into_raw(Box::new(done));
        let status = unsafe {
            sys::napi_call_threadsafe_function(
                tsfn.0,
                data.cast(),
                sys::ThreadsafeFunctionCallMode::nonblocking,
            )
        };
        if status != sys::Status::napi_ok {
            // Closing: the environment is going away and will not run it.
            drop(unsafe { Box::from_raw(data) });
        }
    }
}

/// Node's call into the environment's thread for one queued result (`env` is null when the
/// thread-safe function is being torn down: the result is only dropped).
unsafe extern "C" fn deliver(
    env: sys::napi_env,
    _js: sys::napi_value,
    _context: *mut c_void,
    data: *mut c_void,
) {
    let done = unsafe { Box::from_raw(data.cast::<Done>()) };
    if env.is_null() {
        return;
    }
    // Nothing may unwind into Node.
    let _ = catch_unwind(AssertUnwindSafe(|| done(env)));
    LOCAL.with_borrow_mut(|local| {
        if let Some(local) = local.as_mut().filter(|l| l.env == env) {
            local.pending -= 1;
            if local.pending == 0 {
                unsafe { sys::napi_unref_threadsafe_function(env, local.tsfn) };
            }
            awake::result_delivered(env, local.pending == 0);
        }
    });
}

/// Node frees the thread-safe function (its environment is shutting down): from now on pool
/// threads drop their results instead of calling it.
unsafe extern "C" fn finalized(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    let channel = unsafe { Arc::from_raw(data as *const Channel) };
    channel.tsfn.lock().unwrap_or_else(PoisonError::into_inner).take();
    channel.closed.store(true, Ordering::Release);
}
