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
//!
//! Each worker also reuses one [`Memory`] for the 19 MiB a hash works in. Allocated per hash,
//! that memory comes from the allocator's arena of whichever blocking thread runs the hash, and
//! every arena keeps what it once held: a login flood on 2 cores left the server at 660 MiB.

use std::sync::{Arc, Mutex};

use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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

/// The memory a hash works in, kept from one hash to the next.
#[derive(Default)]
pub struct Memory(Vec<Block>);

/// Checks a password against a stored hash, with the algorithm, version and cost the hash
/// names, working in `memory`. A malformed hash never matches.
pub fn verify(password: &str, stored: &str, memory: &mut Memory) -> bool {
    #[cfg(test)]
    held::wait_while_held(password);
    let Ok(parsed) = PasswordHash::new(stored) else { return false };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    let (Ok(algorithm), Ok(version), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        parsed.version.map_or(Ok(Version::default()), Version::try_from),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    let blocks = params.block_count();
    if memory.0.len() < blocks {
        memory.0.resize(blocks, Block::default());
    }
    let argon2 = Argon2::new(algorithm, version, params);
    // `Output` compares in constant time.
    Output::init_with(expected.len(), |out| {
        Ok(argon2.hash_password_into_with_memory(password.as_bytes(), salt, out, &mut memory.0)?)
    })
    .is_ok_and(|computed| computed == expected)
}

/// Spends the same time as [`verify`] for a user that does not exist, so response times do not
/// tell which user names are real.
pub fn verify_nobody(password: &str, memory: &mut Memory) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("no user has this password"));
    let _ = verify(password, dummy, memory);
}

/// A bounded pool for password hashing.
pub struct HashPool {
    /// Callers inside the pool: hashing or queued.
    pub(super) admitted: Arc<Semaphore>,
    /// The places kept for [`Lane::Trusted`] callers when `admitted` is full.
    pub(super) reserved: Arc<Semaphore>,
    /// Callers hashing.
    pub(super) workers: Arc<Semaphore>,
    /// The memory of the workers that are not hashing (one per worker that ever hashed).
    memories: Arc<Mutex<Vec<Memory>>>,
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
            memories: Arc::default(),
        }
    }

    /// The default worker count: half the cores (at least one), so that hashing never takes
    /// every core from the requests that carry tokens.
    pub fn default_workers() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get().div_ceil(2))
    }

    /// Runs `f` on the blocking pool once a worker is free, with that worker's memory, or
    /// refuses at once with [`HashPoolError::Busy`] when every worker is busy and the queue
    /// (with the reserved places, for the trusted lane) is full. The permits go into the
    /// blocking task, so a caller that stops waiting does not free a worker that is still
    /// hashing.
    pub async fn run<T, F>(&self, lane: Lane, f: F) -> Result<T, HashPoolError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Memory) -> T + Send + 'static,
    {
        let admitted = match (self.admitted.clone().try_acquire_owned(), lane) {
            (Err(_), Lane::Trusted) => self.reserved.clone().try_acquire_owned(),
            (admitted, _) => admitted,
        }
        .map_err(|_| HashPoolError::Busy)?;
        let worker =
            self.workers.clone().acquire_owned().await.expect("the semaphore is never closed");
        let memories = self.memories.clone();
        Ok(tokio::task::spawn_blocking(move || {
            let permits = (admitted, worker);
            let lock = || memories.lock().unwrap_or_else(|p| p.into_inner());
            // At most one `Memory` per worker permit, since a memory is back before its permit.
            let mut memory = lock().pop().unwrap_or_default();
            let result = f(&mut memory);
            lock().push(memory);
            drop(permits);
            result
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
        let memory = &mut Memory::default();
        assert!(verify("correct horse", &a, memory));
        assert!(!verify("wrong horse", &a, memory));
        assert!(!verify("correct horse", "not a hash", memory));
        assert!(verify("correct horse", &b, memory), "the memory is reused");
        // Hashes with other costs and versions (as another build may have written) verify too.
        let params = Params::new(4096, 3, 1, None).unwrap();
        for (algorithm, version) in
            [(Algorithm::Argon2id, Version::V0x13), (Algorithm::Argon2i, Version::V0x10)]
        {
            let other = Argon2::new(algorithm, version, params.clone())
                .hash_password(b"correct horse", &SaltString::encode_b64(&[7; 16]).unwrap())
                .unwrap()
                .to_string();
            assert!(verify("correct horse", &other, memory), "{other}");
            assert!(!verify("wrong horse", &other, memory), "{other}");
        }
        assert!(verify("correct horse", &a, memory), "after a smaller hash");
    }

    #[tokio::test]
    async fn the_pool_runs_a_bounded_number_at_once_and_refuses_past_its_queue() {
        let pool = Arc::new(HashPool::new(1, 1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let running = tokio::spawn({
            let pool = pool.clone();
            async move {
                pool.run(Lane::Anyone, move |_| {
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
            async move { pool.run(Lane::Anyone, |_| 2).await }
        });
        while pool.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        // The worker and the queue are full: refused at once, not queued.
        assert!(matches!(pool.run(Lane::Anyone, |_| 3).await, Err(HashPoolError::Busy)));
        // A trusted caller takes a reserved place (one per worker), then is refused too.
        let trusted = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(Lane::Trusted, |_| 5).await }
        });
        while pool.reserved.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(pool.run(Lane::Trusted, |_| 6).await, Err(HashPoolError::Busy)));
        assert!(!queued.is_finished() && !trusted.is_finished());
        release.send(()).unwrap();
        assert_eq!(running.await.unwrap().unwrap(), 1);
        assert_eq!(queued.await.unwrap().unwrap(), 2);
        assert_eq!(trusted.await.unwrap().unwrap(), 5);
        assert_eq!(pool.run(Lane::Anyone, |_| 4).await.unwrap(), 4, "the permits came back");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_worker_reuses_one_memory() {
        let pool = Arc::new(HashPool::new(2, 64));
        let runs = (0..40).map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run(Lane::Anyone, |memory| {
                    if memory.0.is_empty() {
                        memory.0.push(Block::default());
                    }
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    memory.0.as_ptr() as usize
                })
                .await
                .unwrap()
            })
        });
        let mut used: Vec<usize> =
            futures::future::join_all(runs).await.into_iter().map(|r| r.unwrap()).collect();
        used.sort();
        used.dedup();
        assert!((1..=2).contains(&used.len()), "{} memories for 2 workers", used.len());
        assert_eq!(pool.memories.lock().unwrap().len(), used.len());
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_strength("short").is_err());
        assert!(check_strength("long enough").is_ok());
    }
}
