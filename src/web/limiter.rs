//! Sign-in under attack (`governor`, GCRA buckets):
//!
//! - an attempt is *reserved* before the secret is checked, so concurrent
//!   guesses cannot slip past the count (a success costs an attempt too);
//! - buckets are per account *and* source address, plus one per source for
//!   all accounts: a stranger exhausts their own buckets, never a real
//!   user's (no lock-out of someone else's account);
//! - memory is bounded: stale buckets are dropped when the map grows past
//!   its cap, a bucket still counting is never forgotten, and when even
//!   that is not enough new keys are refused (fail closed) — never "clear
//!   everything";
//! - argon2 (19 MiB per check) runs only within a small number of slots;
//!   a request finding none free is refused at once (503) instead of
//!   queueing threads and memory.
//!
//! In memory: a restart forgives, acceptable for one server.

use super::error::WebError;
use super::error_code::ErrorCode;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Per account and source: 10 attempts (a success counts too), then one
/// more every 90 seconds.
pub const PER_ACCOUNT: (u32, Duration) = (10, Duration::from_secs(90));
/// Per source, all accounts together: 60, then one every 10 seconds (a
/// sales office's staff share one address).
pub const PER_SOURCE: (u32, Duration) = (60, Duration::from_secs(10));
/// Keys kept before stale ones are dropped (and new ones refused).
const MAX_KEYS: usize = 100_000;

fn quota((burst, every): (u32, Duration)) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(every).map_or(Quota::per_minute(NonZeroU32::MIN), |q| q.allow_burst(burst))
}

/// Refused codes per kiosk (manual-code guessing): 20, then one every 6 s.
const REFUSED_CODES: (u32, Duration) = (20, Duration::from_secs(6));

pub struct Limiter {
    accounts: DefaultKeyedRateLimiter<(String, IpAddr)>,
    sources: DefaultKeyedRateLimiter<IpAddr>,
    refused_codes: DefaultKeyedRateLimiter<i64>,
    clock: DefaultClock,
    secret_slots: Arc<Semaphore>,
    /// Failures anyone can cause, summarised for the audit log.
    pub audit: super::audit_throttle::AuditThrottle,
    /// argon2 checks run so far (for the load test and the logs).
    checked: std::sync::atomic::AtomicU64,
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }
}

impl Limiter {
    /// `slots`: argon2 checks that may run at once.
    pub fn new(slots: usize) -> Limiter {
        Limiter {
            accounts: DefaultKeyedRateLimiter::keyed(quota(PER_ACCOUNT)),
            sources: DefaultKeyedRateLimiter::keyed(quota(PER_SOURCE)),
            refused_codes: DefaultKeyedRateLimiter::keyed(quota(REFUSED_CODES)),
            clock: DefaultClock::default(),
            secret_slots: Arc::new(Semaphore::new(slots.max(1))),
            audit: Default::default(),
            checked: Default::default(),
        }
    }

    /// Reserves one attempt at `account` (an agent's phone, a staff login, a
    /// kiosk PIN, a pairing code …) from `source`, before anything is
    /// checked. Refused: when to try again.
    pub fn attempt(&self, account: &str, source: IpAddr) -> Result<(), WebError> {
        self.keep_bounded();
        if self.accounts.len() >= MAX_KEYS || self.sources.len() >= MAX_KEYS {
            return Err(refused(Duration::from_secs(60)));
        }
        let now = self.clock.now();
        if let Err(until) = self.sources.check_key(&source) {
            return Err(refused(until.wait_time_from(now)));
        }
        if let Err(until) = self.accounts.check_key(&(account.to_owned(), source)) {
            return Err(refused(until.wait_time_from(now)));
        }
        Ok(())
    }

    /// Counts one argon2 check (called in its slot).
    pub fn count_check(&self) {
        self.checked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many passwords and PINs were checked since start.
    pub fn secrets_checked(&self) -> u64 {
        self.checked.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A slot to check a password or PIN in; none free: 503 at once.
    pub fn secret_slot(&self) -> Result<OwnedSemaphorePermit, WebError> {
        self.secret_slots.clone().try_acquire_owned().map_err(|_| WebError::code(ErrorCode::Busy))
    }

    /// Notes a code refused at `kiosk`; `false` once the kiosk has had too
    /// many (someone is guessing manual codes): the clerk signs in again.
    pub fn refused_code(&self, kiosk: i64) -> bool {
        self.refused_codes.check_key(&kiosk).is_ok()
    }

    fn keep_bounded(&self) {
        for len in [self.accounts.len(), self.sources.len()] {
            if len >= MAX_KEYS {
                // Only buckets back at full capacity go: nothing that still
                // counts against anyone is forgotten.
                self.accounts.retain_recent();
                self.sources.retain_recent();
                self.accounts.shrink_to_fit();
                self.sources.shrink_to_fit();
                return;
            }
        }
    }
}

fn refused(wait: Duration) -> WebError {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    WebError::bad(
        ErrorCode::RateLimited,
        format!("尝试次数过多，请 {minutes} 分钟后再试 / too many attempts; try again in {minutes} min"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const STRANGER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 66));

    #[test]
    fn ten_attempts_per_account_and_source_then_a_wait_is_named() {
        let l = Limiter::new(2);
        for _ in 0..PER_ACCOUNT.0 {
            assert!(l.attempt("agent:13800000001", HOME).is_ok());
        }
        let e = l.attempt("agent:13800000001", HOME).unwrap_err();
        assert_eq!(e.error_code(), ErrorCode::RateLimited);
        assert!(e.to_string().contains("分钟后再试"), "{e}");
        assert!(l.attempt("agent:13800000002", HOME).is_ok(), "another account from the same place");
    }

    #[test]
    fn a_stranger_guessing_does_not_lock_the_real_user_out() {
        let l = Limiter::new(2);
        for _ in 0..PER_ACCOUNT.0 {
            let _ = l.attempt("agent:13800000001", STRANGER);
        }
        assert!(l.attempt("agent:13800000001", STRANGER).is_err());
        assert!(l.attempt("agent:13800000001", HOME).is_ok(), "the owner signs in from their phone");
    }

    #[test]
    fn one_source_spraying_many_accounts_is_stopped_too() {
        let l = Limiter::new(2);
        let allowed = (0..100).filter(|i| l.attempt(&format!("staff:user{i}"), STRANGER).is_ok()).count();
        assert_eq!(allowed, PER_SOURCE.0 as usize);
    }

    #[test]
    fn secret_checks_beyond_the_slots_are_refused_at_once() {
        let l = Limiter::new(2);
        let (a, b) = (l.secret_slot().unwrap(), l.secret_slot().unwrap());
        assert_eq!(l.secret_slot().unwrap_err().error_code(), ErrorCode::Busy);
        drop(a);
        assert!(l.secret_slot().is_ok());
        drop(b);
    }
}
