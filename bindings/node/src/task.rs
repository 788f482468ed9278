//! Storage calls as Promises computed on the libuv thread pool (`AsyncTask`): a
//! `synchronous=FULL` commit waits on fsync, which must not stall the event loop.

use std::panic::{AssertUnwindSafe, catch_unwind};

use mfa_core::Error;
use napi::bindgen_prelude::{ToNapiValue, TypeName};
use napi::{Env, Task};

type Work<T> = Box<dyn FnOnce() -> mfa_core::Result<T> + Send>;

/// One core call. Arguments were converted on the JS thread before; a conversion error is
/// returned by `work` itself, so that every method reports failures the same way: a rejected
/// Promise, never a synchronous throw.
pub struct Op<T> {
    work: Option<Work<T>>,
    failure: Option<Error>,
}

impl<T> Op<T> {
    pub fn new(work: impl FnOnce() -> mfa_core::Result<T> + Send + 'static) -> Self {
        Op { work: Some(Box::new(work)), failure: None }
    }
}

impl<T: ToNapiValue + TypeName + Send + 'static> Task for Op<T> {
    type Output = T;
    type JsValue = T;

    fn compute(&mut self) -> napi::Result<T> {
        let work = self.work.take().ok_or_else(|| napi::Error::from_reason("the task already ran"))?;
        // A panic must reject the Promise with MFA_INTERNAL, not take the process down.
        let result = catch_unwind(AssertUnwindSafe(work))
            .unwrap_or_else(|_| Err(Error::Internal("a panic was caught in the Node addon".into())));
        result.map_err(|err| {
            // The JS error needs the JS thread: `reject` builds it from here.
            let reason = napi::Error::from_reason(err.code());
            self.failure = Some(err);
            reason
        })
    }

    fn resolve(&mut self, _env: Env, output: T) -> napi::Result<T> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> napi::Result<T> {
        match self.failure.take() {
            Some(failure) => Err(crate::error::to_napi(&env, &failure)),
            None => Err(err),
        }
    }
}
