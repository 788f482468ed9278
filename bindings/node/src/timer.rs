//! A one-shot timer as a file descriptor (Linux's `timerfd`), for the event loop to watch: it
//! becomes readable when it expires and stays readable until it is set again.
//!
//! Why a file descriptor: libuv's timers count whole milliseconds, while the JS thread must wake
//! some tens of microseconds before a call's result is due ([`crate::awake`]). An event loop
//! watching the descriptor wakes at the kernel's precision, and, since the descriptor stays
//! readable, keeps polling without sleeping until the timer is set again.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

pub(crate) struct Timer {
    fd: OwnedFd,
}

impl Timer {
    /// A timer that is not set.
    pub(crate) fn new() -> io::Result<Timer> {
        // SAFETY: plain system call; a non-negative result is a new descriptor this owns.
        let fd =
            unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just created and is owned by nobody else.
        Ok(Timer { fd: unsafe { OwnedFd::from_raw_fd(fd) } })
    }

    /// Sets the timer to expire after `delay` (at once for zero), or, with `None`, unsets it:
    /// either way the descriptor is not readable again until it expires.
    pub(crate) fn set(&self, delay: Option<Duration>) {
        let value = match delay {
            // A zero `it_value` would unset the timer: the shortest delay instead.
            Some(delay) => libc::timespec {
                tv_sec: delay.as_secs() as libc::time_t,
                tv_nsec: delay.subsec_nanos().max(1) as libc::c_long,
            },
            None => libc::timespec { tv_sec: 0, tv_nsec: 0 },
        };
        let spec =
            libc::itimerspec { it_interval: libc::timespec { tv_sec: 0, tv_nsec: 0 }, it_value: value };
        // SAFETY: `spec` is a valid setting; the old one is not asked for. It fails only for a
        // bad descriptor or setting, neither possible here.
        unsafe { libc::timerfd_settime(self.fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
    }

    /// Whether the timer expired since it was last set, which also makes it unreadable until it
    /// expires again.
    pub(crate) fn expired(&self) -> bool {
        let mut count = 0u64;
        // SAFETY: reads the 8-byte expiration count into `count`; a timer that has not expired
        // fails with `EAGAIN` (the descriptor does not block).
        let read = unsafe { libc::read(self.fd.as_raw_fd(), (&raw mut count).cast(), 8) };
        read == 8
    }
}

impl AsRawFd for Timer {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the descriptor is readable within `wait`.
    fn readable(timer: &Timer, wait: Duration) -> bool {
        let mut poll = libc::pollfd { fd: timer.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        let ready = unsafe { libc::poll(&mut poll, 1, wait.as_millis() as libc::c_int) };
        assert!(ready >= 0, "{}", io::Error::last_os_error());
        ready == 1
    }

    #[test]
    fn expires_after_its_delay_and_stays_readable_until_set_again() {
        let timer = Timer::new().unwrap();
        assert!(!readable(&timer, Duration::ZERO));
        timer.set(Some(Duration::from_millis(20)));
        assert!(readable(&timer, Duration::from_secs(60)));
        assert!(readable(&timer, Duration::ZERO), "still readable: nobody read it");
        timer.set(None);
        assert!(!readable(&timer, Duration::from_millis(50)));
        assert!(!timer.expired());
    }

    #[test]
    fn reading_an_expiry_makes_it_unreadable() {
        let timer = Timer::new().unwrap();
        assert!(!timer.expired());
        timer.set(Some(Duration::ZERO));
        assert!(readable(&timer, Duration::from_secs(60)));
        assert!(timer.expired());
        assert!(!readable(&timer, Duration::ZERO));
        assert!(!timer.expired());
    }

    #[test]
    fn zero_expires_at_once_and_unsetting_cancels() {
        let timer = Timer::new().unwrap();
        timer.set(Some(Duration::ZERO));
        assert!(readable(&timer, Duration::from_secs(60)));
        timer.set(Some(Duration::from_secs(3600)));
        assert!(!readable(&timer, Duration::ZERO), "set again: no longer readable");
        timer.set(None);
        assert!(!readable(&timer, Duration::from_millis(50)));
    }
}
