//! Password hashing: argon2id with the crate's default cost (19 MiB, 2 passes), a random salt
//! per hash, PHC string format.
//!
//! Hashing is deliberately slow and costs a core for its whole run, so the server runs it on a
//! [`HashPool`]: a fixed number of hashes at once, a short queue behind them, and an immediate
//! refusal past that. Without the bound, a crowd of clients guessing passwords would take every
//! core (and every blocking thread) from the requests that carry tokens; with a long queue, each
//! login would only wait longer and the crowd would still be served first. A few more places in
//! the queue are kept for logins the failed-login limiter trusts (a user at an address where
//! they logged in before), so that a crowd that fills the queue does not keep the owner out.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tokio::sync::Semaphore;

/// Hashes a password for storage.
pub fn hash(password: &str) -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    let salt = SaltString::encode_b64(&bytes).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

/// Checks a password against a stored hash. A malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    #[cfg(test)]
    held::wait_while_held(password);
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Spends the same time as [`verify`] for a user that does not exist, so response times do not
/// tell which user names are real.
pub fn verify_nobody(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("no user has this password"));
    let _ = verify(password, dummy);
}

/// A bounded pool for password hashing.
pub struct HashPool {
    /// Callers inside the pool: hashing or queued.
    pub(super) admitted: Arc<Semaphore>,
    /// The places kept for [`Lane::Trusted`] callers when `admitted` is full.
    pub(super) reserved: Arc<Semaphore>,
    /// Callers hashing.
    pub(super) workers: Arc<Semaphore>,
}

/// Who asks for a hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    Anyone,
    /// May also take one of the reserved places in the queue.
    Trusted,
}

/// Why [`HashPool::run`] did not run a hash.
#[derive(Debug, thiserror::Error)]
pub enum HashPoolError {
    #[error("every password hashing worker is busy and the queue is full")]
    Busy,
    #[error("the password hashing task failed")]
    Task(#[from] tokio::task::JoinError),
}

impl HashPool {
    /// At most `workers` hashes at once, and `queue` callers waiting for one of them (plus
    /// `workers` more places for trusted callers).
    pub fn new(workers: usize, queue: usize) -> HashPool {
        let workers = workers.max(1);
        HashPool {
            admitted: Arc::new(Semaphore::new(workers + queue)),
            reserved: Arc::new(Semaphore::new(workers)),
            workers: Arc::new(Semaphore::new(workers)),
        }
    }

    /// The default worker count: half the cores (at least one), so that hashing never takes
    /// every core from the requests that carry tokens.
    pub fn default_workers() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get().div_ceil(2))
    }

    /// Runs `f` on the blocking pool once a worker is free, or refuses at once with
    /// [`HashPoolError::Busy`] when every worker is busy and the queue (with the reserved places,
    /// for the trusted lane) is full. The permits go into the blocking task, so a caller that
    /// stops waiting does not free a worker that is still hashing.
    pub async fn run<T, F>(&self, lane: Lane, f: F) -> Result<T, HashPoolError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let admitted = match (self.admitted.clone().try_acquire_owned(), lane) {
            (Err(_), Lane::Trusted) => self.reserved.clone().try_acquire_owned(),
            (admitted, _) => admitted,
        }
        .map_err(|_| HashPoolError::Busy)?;
        let worker =
            self.workers.clone().acquire_owned().await.expect("the semaphore is never closed");
        Ok(tokio::task::spawn_blocking(move || {
            let _permits = (admitted, worker);
            f()
        })
        .await?)
    }
}

/// Test-only: the verification of a password a test holds waits until the test lets it go,
/// so that a test can stop a real login in the middle of its hash, wherever that hash runs.
#[cfg(test)]
pub(super) mod held {
    use std::sync::{Condvar, Mutex};

    /// The held passwords, each with how many verifications of it are waiting.
    static HELD: Mutex<Vec<(String, usize)>> = Mutex::new(Vec::new());
    static RELEASED: Condvar = Condvar::new();

    fn held() -> std::sync::MutexGuard<'static, Vec<(String, usize)>> {
        HELD.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Holds the verifications of `password` until the guard is dropped (also when the test
    /// fails, so that a failing test ends instead of waiting on its held hashes).
    #[must_use]
    pub fn hold(password: &str) -> Held {
        held().push((password.to_string(), 0));
        Held(password.to_string())
    }

    pub struct Held(String);

    impl Drop for Held {
        fn drop(&mut self) {
            held().retain(|(p, _)| *p != self.0);
            RELEASED.notify_all();
        }
    }

    /// How many verifications of `password` are waiting.
    pub fn waiting(password: &str) -> usize {
        held().iter().find(|(p, _)| p == password).map_or(0, |(_, n)| *n)
    }

    pub(super) fn wait_while_held(password: &str) {
        let mut held = held();
        let Some(entry) = held.iter_mut().find(|(p, _)| p == password) else { return };
        entry.1 += 1;
        while held.iter().any(|(p, _)| p == password) {
            held = RELEASED.wait(held).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Why a new password is refused.
pub fn check_strength(password: &str) -> Result<(), String> {
    if password.chars().count() < 8 {
        return Err("the password must have at least 8 characters".into());
    }
    if password.len() > 1024 {
        return Err("the password must have at most 1024 bytes".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_per_salt() {
        let a = hash("correct horse");
        let b = hash("correct horse");
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify("correct horse", &a));
        assert!(!verify("wrong horse", &a));
        assert!(!verify("correct horse", "not a hash"));
    }

    #[tokio::test]
    async fn the_pool_runs_a_bounded_number_at_once_and_refuses_past_its_queue() {
        let pool = Arc::new(HashPool::new(1, 1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let running = tokio::spawn({
            let pool = pool.clone();
            async move {
                pool.run(Lane::Anyone, move || {
                    hold.recv().unwrap();
                    1
                })
                .await
            }
        });
        while pool.workers.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        // The queue has room for one: it waits for the worker.
        let queued = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(Lane::Anyone, || 2).await }
        });
        while pool.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        // The worker and the queue are full: refused at once, not queued.
        assert!(matches!(pool.run(Lane::Anyone, || 3).await, Err(HashPoolError::Busy)));
        // A trusted caller takes a reserved place (one per worker), then is refused too.
        let trusted = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(Lane::Trusted, || 5).await }
        });
        while pool.reserved.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(pool.run(Lane::Trusted, || 6).await, Err(HashPoolError::Busy)));
        assert!(!queued.is_finished() && !trusted.is_finished());
        release.send(()).unwrap();
        assert_eq!(running.await.unwrap().unwrap(), 1);
        assert_eq!(queued.await.unwrap().unwrap(), 2);
        assert_eq!(trusted.await.unwrap().unwrap(), 5);
        assert_eq!(pool.run(Lane::Anyone, || 4).await.unwrap(), 4, "the permits came back");
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_strength("short").is_err());
        assert!(check_strength("long enough").is_ok());
    }
}
