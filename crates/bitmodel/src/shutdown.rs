//! `bitmodel up`'s stop signal, as a type: triggered once (Ctrl-C, or a node that turned out
//! to be another chain), it wakes every waiter at once — the follower sleeping between steps
//! stops now, not after its sleep — and stays triggered.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Default)]
pub struct Shutdown(Arc<(Mutex<bool>, Condvar)>);

impl Shutdown {
    pub fn trigger(&self) {
        let (flag, cv) = &*self.0;
        *flag.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cv.notify_all();
    }

    pub fn is_triggered(&self) -> bool {
        *self.0 .0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until triggered or `timeout` passes; whether it was triggered.
    pub fn wait(&self, timeout: Duration) -> bool {
        let (flag, cv) = &*self.0;
        let deadline = Instant::now() + timeout;
        let mut stopped = flag.lock().unwrap_or_else(|p| p.into_inner());
        while !*stopped {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            stopped = cv
                .wait_timeout(stopped, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        *stopped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trigger_wakes_a_long_wait_at_once_and_stays() {
        let s = Shutdown::default();
        assert!(
            !s.wait(Duration::from_millis(1)),
            "not triggered: the wait times out"
        );
        let waiter = {
            let s = s.clone();
            std::thread::spawn(move || s.wait(Duration::from_secs(600)))
        };
        s.trigger();
        assert!(waiter.join().unwrap(), "the waiter saw the trigger");
        assert!(
            s.is_triggered() && s.wait(Duration::from_secs(600)),
            "it stays triggered"
        );
    }
}
