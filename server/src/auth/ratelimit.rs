//! Failed-login limiting, keyed so that an attacker's failures cannot lock the owner out.
//!
//! Three counts of failed logins, each over a sliding window:
//!
//! * per **client address and user name**: past its limit, that address may not try that name
//!   until enough failures have left the window (429). This is the lock one guesser meets; the
//!   owner at another address is not affected.
//! * per **client address**, whatever the names: past its limit, the address may not try any
//!   name (429). This stops one address from guessing across many names.
//! * per **user name**, from every address: past its limit the name is *slowed*, never locked:
//!   one attempt per interval from addresses that are not trusted for it, the rest refused at
//!   once (429). An address is trusted for a name when a login for that name succeeded from it
//!   (since the server started, within the trust period): during an attack from many addresses
//!   the owner's usual address keeps its way in, and everyone else still gets a turn.
//!
//! IPv6 clients count by their /64 prefix, since one subscriber usually holds a whole /64 and
//! could otherwise take a fresh address per guess; IPv4-mapped IPv6 addresses count as IPv4.
//! A successful login clears the failures of its address and name (an owner who mistyped) and
//! trusts the address for the name; it does not clear the address's own count, so an attacker
//! with one account of their own cannot reset it. Names that cannot be user names count under
//! one shared key, so that long made-up names cost no memory. Failures are recorded only after
//! a password hash, and the hash pool bounds how many of those happen per second, which bounds
//! how many keys one window can hold.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::users;

/// Past this many keys, the ones with no failure left in the window are dropped.
const MAX_KEYS: usize = 100_000;
/// Past this many trusted (address, name) pairs, the stale ones are dropped, then the oldest.
const MAX_TRUSTED: usize = 10_000;
/// The key of every name that cannot be a user name (no valid name contains a NUL).
const NOT_A_NAME: &str = "\0not a user name";

/// The limits (see the module docs).
#[derive(Clone, Copy, Debug)]
pub struct LimitSettings {
    /// The sliding window every count covers.
    pub window: Duration,
    /// Failures per client address and user name that lock that address out of that name.
    pub per_address_and_name: usize,
    /// Failures per client address, any names, that lock the address out of every name.
    pub per_address: usize,
    /// Failures per user name, from every address, past which the name is slowed.
    pub per_name: usize,
    /// A slowed name takes one attempt per this interval from untrusted addresses.
    pub slowed_interval: Duration,
    /// How long a successful login trusts its address for its name.
    pub trusted_for: Duration,
}

/// Why an attempt is refused before its password is checked, and how long to wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures from this address (for this name, or for any).
    Locked(Duration),
    /// Too many failures for this name from everywhere: its next turn comes after the wait.
    Slowed(Duration),
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
enum Key {
    Pair(IpAddr, String),
    Address(IpAddr),
    Name(String),
}

#[derive(Default)]
struct State {
    failures: HashMap<Key, VecDeque<Instant>>,
    /// The next moment a slowed name takes an attempt from an untrusted address.
    next_turn: HashMap<String, Instant>,
    /// The last successful login per (address, name).
    trusted: HashMap<(IpAddr, String), Instant>,
}

pub struct LoginLimiter {
    settings: LimitSettings,
    state: Mutex<State>,
}

impl LoginLimiter {
    pub fn new(settings: LimitSettings) -> LoginLimiter {
        let settings = LimitSettings {
            per_address_and_name: settings.per_address_and_name.max(1),
            per_address: settings.per_address.max(1),
            per_name: settings.per_name.max(1),
            ..settings
        };
        LoginLimiter { settings, state: Mutex::new(State::default()) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether an attempt from `client` for `name` may check its password now. An attempt on a
    /// slowed name that is let through takes the name's turn.
    pub fn admit(&self, client: IpAddr, name: &str, now: Instant) -> Result<(), Refusal> {
        let (address, name) = (source(client), name_key(name));
        let s = &self.settings;
        let mut state = self.state();
        let mut wait = Duration::ZERO;
        for (key, limit) in [
            (Key::Pair(address, name.clone()), s.per_address_and_name),
            (Key::Address(address), s.per_address),
        ] {
            if let Some(times) = state.failures.get_mut(&key) {
                wait = wait.max(wait_for(times, limit, now, s.window));
            }
        }
        if !wait.is_zero() {
            return Err(Refusal::Locked(wait.max(Duration::from_secs(1))));
        }
        let name_failures = state
            .failures
            .get_mut(&Key::Name(name.clone()))
            .map_or(0, |times| live(times, now, s.window).len());
        if name_failures < s.per_name || is_trusted(&state, address, &name, now, s.trusted_for) {
            return Ok(());
        }
        match state.next_turn.get(&name) {
            Some(next) if *next > now => {
                Err(Refusal::Slowed(next.duration_since(now).max(Duration::from_secs(1))))
            }
            _ => {
                state.next_turn.insert(name, now + s.slowed_interval);
                Ok(())
            }
        }
    }

    /// Whether a login for `name` succeeded from `client` within the trust period.
    pub fn is_trusted(&self, client: IpAddr, name: &str, now: Instant) -> bool {
        let (address, name) = (source(client), name_key(name));
        is_trusted(&self.state(), address, &name, now, self.settings.trusted_for)
    }

    pub fn record_failure(&self, client: IpAddr, name: &str, now: Instant) {
        let (address, name) = (source(client), name_key(name));
        let window = self.settings.window;
        let mut state = self.state();
        if state.failures.len() >= MAX_KEYS {
            state.failures.retain(|_, times| !live(times, now, window).is_empty());
            state.next_turn.retain(|_, next| *next > now);
        }
        for key in [Key::Pair(address, name.clone()), Key::Address(address), Key::Name(name)] {
            let times = state.failures.entry(key).or_default();
            live(times, now, window).push_back(now);
        }
    }

    pub fn record_success(&self, client: IpAddr, name: &str, now: Instant) {
        let (address, name) = (source(client), name_key(name));
        let trusted_for = self.settings.trusted_for;
        let mut state = self.state();
        state.failures.remove(&Key::Pair(address, name.clone()));
        if state.trusted.len() >= MAX_TRUSTED {
            state.trusted.retain(|_, at| now.duration_since(*at) < trusted_for);
            if state.trusted.len() >= MAX_TRUSTED
                && let Some(oldest) =
                    state.trusted.iter().min_by_key(|(_, at)| **at).map(|(k, _)| k.clone())
            {
                state.trusted.remove(&oldest);
            }
        }
        state.trusted.insert((address, name), now);
    }
}

/// Drops the failures that left the window; returns the rest.
fn live(times: &mut VecDeque<Instant>, now: Instant, window: Duration) -> &mut VecDeque<Instant> {
    while times.front().is_some_and(|t| now.duration_since(*t) >= window) {
        times.pop_front();
    }
    times
}

/// How long until fewer than `limit` failures are in the window (zero: already).
fn wait_for(
    times: &mut VecDeque<Instant>,
    limit: usize,
    now: Instant,
    window: Duration,
) -> Duration {
    let times = live(times, now, window);
    if times.len() < limit {
        return Duration::ZERO;
    }
    // Concurrent attempts may have recorded more than `limit`: wait for all but `limit - 1`.
    let deciding = times[times.len() - limit];
    window.saturating_sub(now.duration_since(deciding))
}

fn is_trusted(
    state: &State,
    address: IpAddr,
    name: &str,
    now: Instant,
    trusted_for: Duration,
) -> bool {
    state
        .trusted
        .get(&(address, name.to_string()))
        .is_some_and(|at| now.duration_since(*at) < trusted_for)
}

/// The address a client counts as: IPv4, or the /64 prefix of IPv6.
fn source(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V4(_) => client,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

fn name_key(name: &str) -> String {
    match users::validate_name(name) {
        Ok(()) => name.to_string(),
        Err(_) => NOT_A_NAME.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> LimitSettings {
        LimitSettings {
            window: Duration::from_secs(60),
            per_address_and_name: 3,
            per_address: 5,
            per_name: 8,
            slowed_interval: Duration::from_secs(2),
            trusted_for: Duration::from_secs(3600),
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn an_address_is_locked_out_of_a_name_not_the_owner_elsewhere() {
        let limiter = LoginLimiter::new(settings());
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(limiter.admit(ip("10.0.0.1"), "admin", t0 + secs(i)).is_ok());
            limiter.record_failure(ip("10.0.0.1"), "admin", t0 + secs(i));
        }
        assert_eq!(
            limiter.admit(ip("10.0.0.1"), "admin", t0 + secs(10)),
            Err(Refusal::Locked(secs(50)))
        );
        // The owner, elsewhere, is not affected; nor is another name from the same address.
        assert!(limiter.admit(ip("10.0.0.2"), "admin", t0 + secs(10)).is_ok());
        assert!(limiter.admit(ip("10.0.0.1"), "bob", t0 + secs(10)).is_ok());
        assert!(limiter.admit(ip("10.0.0.1"), "admin", t0 + secs(61)).is_ok());
    }

    #[test]
    fn an_address_guessing_across_names_is_locked_out_of_all() {
        let limiter = LoginLimiter::new(settings());
        let t0 = Instant::now();
        for (i, name) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            assert!(limiter.admit(ip("10.0.0.1"), name, t0 + secs(i as u64)).is_ok());
            limiter.record_failure(ip("10.0.0.1"), name, t0 + secs(i as u64));
        }
        assert!(matches!(
            limiter.admit(ip("10.0.0.1"), "f", t0 + secs(6)),
            Err(Refusal::Locked(_))
        ));
        assert!(limiter.admit(ip("10.0.0.2"), "a", t0 + secs(6)).is_ok());
    }

    #[test]
    fn a_name_under_attack_from_everywhere_is_slowed_and_its_owner_keeps_a_way_in() {
        let limiter = LoginLimiter::new(settings());
        let t0 = Instant::now();
        limiter.record_success(ip("192.0.2.7"), "admin", t0);
        for i in 0..8 {
            let attacker = ip(&format!("10.0.0.{i}"));
            assert!(limiter.admit(attacker, "admin", t0 + secs(1)).is_ok());
            limiter.record_failure(attacker, "admin", t0 + secs(1));
        }
        // Slowed, not locked: one attempt per interval from untrusted addresses.
        let t = t0 + secs(2);
        assert!(limiter.admit(ip("10.1.0.1"), "admin", t).is_ok());
        assert_eq!(limiter.admit(ip("10.1.0.2"), "admin", t), Err(Refusal::Slowed(secs(2))));
        assert!(limiter.admit(ip("10.1.0.2"), "admin", t + secs(2)).is_ok());
        // The owner's address, where a login succeeded, is not slowed.
        for _ in 0..3 {
            assert!(limiter.admit(ip("192.0.2.7"), "admin", t).is_ok());
        }
        // Other names are not slowed.
        assert!(limiter.admit(ip("10.1.0.2"), "bob", t).is_ok());
        // The name recovers when its failures leave the window.
        assert!(limiter.admit(ip("10.1.0.3"), "admin", t0 + secs(61)).is_ok());
        assert!(limiter.admit(ip("10.1.0.4"), "admin", t0 + secs(61)).is_ok());
    }

    #[test]
    fn a_success_clears_its_own_failures_but_not_the_address_count() {
        let limiter = LoginLimiter::new(settings());
        let t0 = Instant::now();
        for i in 0..3 {
            limiter.record_failure(ip("10.0.0.1"), "bob", t0 + secs(i));
        }
        limiter.record_success(ip("10.0.0.1"), "bob", t0 + secs(3));
        assert!(limiter.admit(ip("10.0.0.1"), "bob", t0 + secs(4)).is_ok());
        for name in ["x", "y"] {
            limiter.record_failure(ip("10.0.0.1"), name, t0 + secs(4));
        }
        assert!(matches!(
            limiter.admit(ip("10.0.0.1"), "bob", t0 + secs(5)),
            Err(Refusal::Locked(_))
        ));
    }

    #[test]
    fn ipv6_counts_by_its_64_prefix_and_mapped_ipv4_as_ipv4() {
        assert_eq!(source(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(source(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        let limiter = LoginLimiter::new(settings());
        let t0 = Instant::now();
        for i in 0..3 {
            limiter.record_failure(ip(&format!("2001:db8:1:2::{i}")), "admin", t0);
        }
        assert!(limiter.admit(ip("2001:db8:1:2::ffff"), "admin", t0).is_err());
        assert!(limiter.admit(ip("2001:db8:1:3::1"), "admin", t0).is_ok());
    }

    #[test]
    fn names_that_cannot_be_users_share_one_key() {
        assert_eq!(name_key(&"x".repeat(10_000)), NOT_A_NAME);
        assert_eq!(name_key("bad name"), NOT_A_NAME);
        assert_eq!(name_key("admin"), "admin");
    }
}
