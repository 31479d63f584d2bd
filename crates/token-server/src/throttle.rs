//! Sign-in throttling: failed sign-ins are counted per client address, per account and per
//! account from one address, each with its own budget (GCRA, from `governor`). Once a budget is
//! spent, sign-ins under that key are refused with 429 and `Retry-After` before any password is
//! hashed, until the budget has refilled. Only failures count, so people signing in often are
//! never slowed down.
//!
//! An attacker guessing one account's password from one address is slowed to two guesses a
//! minute after five, without touching that account's owner elsewhere or any other account;
//! spread over many addresses, the account's own budget caps them at four a minute after twenty;
//! one address spraying many accounts is capped at thirty a minute after thirty. The counts live
//! in this instance's memory: behind a load balancer each instance counts its own share.
//!
//! A browser that signed in to the account before carries a device cookie for it (OWASP's
//! "device cookies"): its sign-ins are not held by the account's budgets, which strangers spend,
//! but by a budget of its own (five failures, then one every 30 seconds), one shared by all the
//! account's trusted browsers (twenty, then one every 15 seconds: only someone who once knew the
//! password can spend it) and its address's. So twenty wrong passwords from anywhere lock out
//! every stranger's guesses, but not the owner.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Which budget a key draws on.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
enum Key {
    Address(String),
    Account(String),
    AccountFrom(String, String),
    /// A trusted browser's device cookie, by its digest.
    Device(String),
    /// Every trusted browser of one account together: cookies are made at every sign-in, so
    /// one who holds many is still capped.
    AccountDevices(String),
}

/// The failure budgets and the keys currently refused.
#[derive(Debug)]
pub struct SignInThrottle {
    by_address: DefaultKeyedRateLimiter<Key>,
    by_account: DefaultKeyedRateLimiter<Key>,
    by_account_from: DefaultKeyedRateLimiter<Key>,
    by_device: DefaultKeyedRateLimiter<Key>,
    by_account_devices: DefaultKeyedRateLimiter<Key>,
    refused_until: Mutex<HashMap<Key, Instant>>,
}

/// A budget of `failures` before refusal, refilled one every `every`. The limiter is asked once
/// per failure and refuses the failure that spends the budget, so the burst is one less.
fn quota(failures: u32, every: Duration) -> Quota {
    let burst = NonZeroU32::new(failures.saturating_sub(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(every).map_or(Quota::per_second(NonZeroU32::MIN), |q| q.allow_burst(burst))
}

impl Default for SignInThrottle {
    fn default() -> Self {
        SignInThrottle {
            by_address: RateLimiter::keyed(quota(30, Duration::from_secs(2))),
            by_account: RateLimiter::keyed(quota(20, Duration::from_secs(15))),
            by_account_from: RateLimiter::keyed(quota(5, Duration::from_secs(30))),
            by_device: RateLimiter::keyed(quota(5, Duration::from_secs(30))),
            by_account_devices: RateLimiter::keyed(quota(20, Duration::from_secs(15))),
            refused_until: Mutex::new(HashMap::new()),
        }
    }
}

/// The keys of a sign-in, each with its budget: `email` is normalized
/// (`users::normalize_email`), so it is short; `device` is the digest of a device cookie that
/// is valid for this account, from a browser that signed in to it before.
fn keys<'a>(
    limiters: &'a SignInThrottle,
    email: &str,
    address: Option<&str>,
    device: Option<&str>,
) -> Vec<(&'a DefaultKeyedRateLimiter<Key>, Key)> {
    let address = address.unwrap_or("unknown").to_owned();
    let mut keys = vec![(&limiters.by_address, Key::Address(address.clone()))];
    match device {
        Some(device) => {
            keys.push((&limiters.by_device, Key::Device(device.to_owned())));
            keys.push((&limiters.by_account_devices, Key::AccountDevices(email.to_owned())));
        }
        None => {
            keys.push((&limiters.by_account, Key::Account(email.to_owned())));
            keys.push((&limiters.by_account_from, Key::AccountFrom(email.to_owned(), address)));
        }
    }
    keys
}

impl SignInThrottle {
    /// `Some(wait)` when a sign-in for `email` from `address` must be refused now.
    pub fn refused(&self, email: &str, address: Option<&str>, device: Option<&str>) -> Option<Duration> {
        let now = Instant::now();
        let refused = self.refused_until.lock().ok()?;
        keys(self, email, address, device)
            .iter()
            .filter_map(|(_, k)| refused.get(k))
            .filter(|&&until| until > now)
            .map(|&until| until - now)
            .max()
    }

    /// Counts a failed sign-in; keys whose budget it spent are refused until they refill.
    pub fn failed(&self, email: &str, address: Option<&str>, device: Option<&str>) {
        let clock = DefaultClock::default();
        let checks = keys(self, email, address, device);
        let Ok(mut refused) = self.refused_until.lock() else {
            return;
        };
        for (limiter, key) in checks {
            if let Err(not_until) = limiter.check_key(&key) {
                let wait = not_until.wait_time_from(clock.now());
                refused.insert(key, Instant::now() + wait.max(Duration::from_secs(1)));
            }
        }
    }

    /// Forgets what can no longer refuse anyone: run now and then so memory stays bounded.
    pub fn tidy(&self) {
        self.by_address.retain_recent();
        self.by_account.retain_recent();
        self.by_account_from.retain_recent();
        self.by_device.retain_recent();
        self.by_account_devices.retain_recent();
        let now = Instant::now();
        if let Ok(mut refused) = self.refused_until.lock() {
            refused.retain(|_, until| *until > now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_account_from_one_address_is_slowed_after_five_failures() {
        let t = SignInThrottle::default();
        for _ in 0..5 {
            assert_eq!(t.refused("a@x.test", Some("10.0.0.1"), None), None);
            t.failed("a@x.test", Some("10.0.0.1"), None);
        }
        let wait = t
            .refused("a@x.test", Some("10.0.0.1"), None)
            .expect("refused after five");
        assert!(
            wait > Duration::from_secs(20) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        // The same account from another address, and another account from this one, still pass.
        assert_eq!(t.refused("a@x.test", Some("10.0.0.2"), None), None);
        assert_eq!(t.refused("b@x.test", Some("10.0.0.1"), None), None);
    }

    #[test]
    fn strangers_lock_out_strangers_but_not_a_browser_the_owner_signed_in_with() {
        let t = SignInThrottle::default();
        for i in 0..20 {
            t.failed("owner@x.test", Some(&format!("10.1.0.{i}")), None);
        }
        assert!(
            t.refused("owner@x.test", Some("10.2.0.1"), None).is_some(),
            "a stranger"
        );
        assert_eq!(
            t.refused("owner@x.test", Some("10.2.0.1"), Some("device-1")),
            None,
            "the owner"
        );
        // Guesses through a (stolen) device cookie have a budget of their own.
        for _ in 0..5 {
            t.failed("owner@x.test", Some("10.3.0.1"), Some("device-1"));
        }
        assert!(t.refused("owner@x.test", Some("10.3.0.2"), Some("device-1")).is_some());
        assert_eq!(t.refused("owner@x.test", Some("10.3.0.2"), Some("device-2")), None);
    }

    #[test]
    fn an_address_spraying_accounts_is_slowed() {
        let t = SignInThrottle::default();
        for i in 0..30 {
            t.failed(&format!("user{i}@x.test"), Some("10.0.0.9"), None);
        }
        assert!(t.refused("new@x.test", Some("10.0.0.9"), None).is_some());
        assert_eq!(t.refused("new@x.test", Some("10.0.0.10"), None), None);
    }

    #[test]
    fn many_addresses_against_one_account_are_slowed() {
        let t = SignInThrottle::default();
        for i in 0..20 {
            t.failed("target@x.test", Some(&format!("10.1.0.{i}")), None);
        }
        assert!(t.refused("target@x.test", Some("10.2.0.1"), None).is_some());
        assert_eq!(t.refused("other@x.test", Some("10.2.0.1"), None), None);
    }
}

/// Token buckets by key, on this instance: `burst` requests at once, then `per_second`; what an
/// endpoint that anyone (or one credential) may call in bulk is bounded by.
#[derive(Debug)]
pub struct Buckets {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Buckets {
    pub fn new(burst: f64, per_second: f64) -> Buckets {
        Buckets {
            burst,
            per_second,
            buckets: Mutex::default(),
        }
    }

    /// `None` when a request under `key` may go ahead, else how long to wait.
    pub fn take(&self, key: &str) -> Option<Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > 10_000 {
            buckets.retain(|_, (_, at)| now.duration_since(*at) < Duration::from_secs(60));
        }
        let (tokens, at) = buckets.entry(key.to_owned()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            None
        } else {
            Some(Duration::from_secs_f64((1.0 - *tokens) / self.per_second))
        }
    }
}
