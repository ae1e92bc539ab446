//! Failed-login limiting: a sliding window of failures per key (the client address, the user
//! name). A key with `limit` failures inside `window` is refused until the oldest one leaves the
//! window. Successful logins record nothing, so they are never slowed by this.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The most keys kept; past it, keys with no recent failure are dropped first.
const MAX_KEYS: usize = 100_000;

pub struct LoginLimiter {
    limit: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    pub fn new(limit: usize, window: Duration) -> LoginLimiter {
        LoginLimiter { limit: limit.max(1), window, failures: Mutex::new(HashMap::new()) }
    }

    /// `Err(wait)` when any key is over its limit: how long until it is not.
    pub fn check(&self, keys: &[String], now: Instant) -> Result<(), Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = Duration::ZERO;
        for key in keys {
            if let Some(times) = failures.get_mut(key) {
                prune(times, now, self.window);
                if times.len() >= self.limit
                    && let Some(oldest) = times.front()
                {
                    wait = wait.max(self.window.saturating_sub(now.duration_since(*oldest)));
                }
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait.max(Duration::from_secs(1))) }
    }

    pub fn record_failure(&self, keys: &[String], now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() >= MAX_KEYS {
            failures.retain(|_, times| {
                prune(times, now, self.window);
                !times.is_empty()
            });
        }
        for key in keys {
            let times = failures.entry(key.clone()).or_default();
            prune(times, now, self.window);
            times.push_back(now);
        }
    }
}

fn prune(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times.front().is_some_and(|t| now.duration_since(*t) >= window) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_until_the_window_passes() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        let keys = vec!["ip:1.2.3.4".to_string(), "user:admin".to_string()];
        for i in 0..3 {
            assert!(limiter.check(&keys, t0 + Duration::from_secs(i)).is_ok());
            limiter.record_failure(&keys, t0 + Duration::from_secs(i));
        }
        let wait = limiter.check(&keys, t0 + Duration::from_secs(10)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        // Another user from another address is not affected.
        assert!(
            limiter
                .check(&["ip:5.6.7.8".into(), "user:bob".into()], t0 + Duration::from_secs(10))
                .is_ok()
        );
        // The user key alone blocks, from any address.
        assert!(
            limiter
                .check(&["ip:5.6.7.8".into(), "user:admin".into()], t0 + Duration::from_secs(10))
                .is_err()
        );
        assert!(limiter.check(&keys, t0 + Duration::from_secs(61)).is_ok());
    }
}
