//! Sign-in attempt limits: after 5 failures for one key (an agent's phone,
//! a kiosk PIN) within 15 minutes, further attempts are refused until the
//! window passes. In memory: a restart forgives, which is acceptable for
//! a single-server deployment.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Limiter {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Limiter {
    pub fn new(max_failures: usize, window: Duration) -> Limiter {
        Limiter { max_failures, window, failures: Mutex::new(HashMap::new()) }
    }

    fn recent(&self, key: &str, now: Instant) -> usize {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(list) = map.get_mut(key) else { return 0 };
        list.retain(|t| now.duration_since(*t) < self.window);
        let n = list.len();
        if n == 0 {
            map.remove(key);
        }
        n
    }

    pub fn allowed(&self, key: &str) -> bool {
        self.recent(key, Instant::now()) < self.max_failures
    }

    pub fn failed(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            // Bound memory under a flood of distinct keys.
            map.clear();
        }
        map.entry(key.to_owned()).or_default().push(Instant::now());
    }

    pub fn reset(&self, key: &str) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_the_key_and_a_success_resets_it() {
        let l = Limiter::new(5, Duration::from_secs(900));
        for _ in 0..5 {
            assert!(l.allowed("a"));
            l.failed("a");
        }
        assert!(!l.allowed("a"));
        assert!(l.allowed("b"));
        l.reset("a");
        assert!(l.allowed("a"));
    }
}
