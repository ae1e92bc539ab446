//! The authenticator against a real database: password hashing never holds up a request that
//! carries a token, and pruning deletes dead tokens and never a live one.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use dokku_pro_api::auth::{Credentials, Secret};
use rusqlite::params;

use super::*;

struct Fixture {
    auth: Arc<Authenticator>,
    storage: Storage,
    password: String,
    dir: tempfile::TempDir,
}

fn fixture(settings: AuthSettings) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(dir.path()).unwrap();
    let password = ensure_initial_admin(&storage, dir.path()).unwrap().unwrap();
    let log = Logger::root(slog::Discard, slog::o!());
    let auth = Authenticator::open(storage.clone(), dir.path(), settings, log).unwrap();
    Fixture { auth, storage, password, dir }
}

fn basic(username: &str, password: &str) -> Credentials {
    Credentials::Basic { username: username.into(), password: Secret::new(password) }
}

async fn login_admin(f: &Fixture) -> Token {
    let credentials = basic("admin", &f.password);
    f.auth.login(ip("10.0.0.1"), &credentials, LoginRequest::default()).await.unwrap()
}

fn bearer(token: &Token) -> Credentials {
    Credentials::Bearer(Secret::new(token.id.clone().unwrap()))
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Polls `done` every millisecond, for at most 10 s.
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..10_000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_checked_requests_never_wait_on_password_hashing() {
    let settings =
        AuthSettings { login_hash_workers: 1, login_hash_queue: 2, ..AuthSettings::default() };
    let f = fixture(settings);
    let auth = f.auth.clone();
    let held = "a password held in its hash";
    f.storage.call_blocking(|c| users::set_password(c, "admin", held)).unwrap();
    // A use-limited token: every request with it writes to the database.
    let uses = LoginRequest { uses: Some(1000), ..LoginRequest::default() };
    let token = auth.login(ip("10.0.0.9"), &basic("admin", held), uses).await.unwrap();

    // A real login stops in the middle of its password hash, on the only worker, until the
    // test releases it; more logins queue behind it, each having read its user. Meanwhile,
    // requests with tokens (database writes included) and tokens minted from tokens are
    // answered. Had any of them to wait on a hash, it would wait until the end of the test:
    // the 10 s bound only turns that hang into a failure.
    let holding = password::held::hold(held);
    let login = |client: &'static str, password: &'static str| {
        let auth = auth.clone();
        tokio::spawn(async move {
            auth.login(ip(client), &basic("admin", password), LoginRequest::default()).await
        })
    };
    let token_checked = || async {
        let answered = tokio::time::timeout(Duration::from_secs(10), async {
            for _ in 0..10 {
                assert_eq!(auth.authenticate(&bearer(&token)).await.unwrap().user, "admin");
            }
            let parent = bearer(&token);
            let one_use = LoginRequest { uses: Some(1), ..LoginRequest::default() };
            let child = auth.login(ip("10.0.0.9"), &parent, one_use).await;
            auth.authenticate(&bearer(&child.unwrap())).await.unwrap();
        });
        answered.await.expect("a request with a token waited on password hashing");
    };
    let hashing = login("10.0.0.1", held);
    wait_until("the login is hashing", || password::held::waiting(held) == 1).await;
    token_checked().await;
    let right = login("10.0.0.2", held);
    wait_until("one login is queued", || auth.hashes.admitted.available_permits() == 1).await;
    token_checked().await;
    let wrong = login("10.0.0.3", "a wrong guess");
    wait_until("the queue is full", || auth.hashes.admitted.available_permits() == 0).await;
    token_checked().await;

    // Past the queue, a login is refused at once, not queued.
    let shed = auth.login(ip("10.0.0.4"), &basic("admin", "x"), LoginRequest::default()).await;
    assert!(
        matches!(
            shed,
            Err(AuthError::RateLimited { why: RateLimit::Busy, retry_after }) if retry_after == BUSY_RETRY_AFTER
        ),
        "{shed:?}"
    );
    // ... except for the user at an address where they logged in: a reserved place.
    let owner = login("10.0.0.9", held);
    wait_until("the owner is queued", || auth.hashes.reserved.available_permits() == 0).await;
    assert_eq!(password::held::waiting(held), 1, "one hash at a time");
    assert!(!hashing.is_finished(), "the hash is still running");
    assert!(!right.is_finished() && !wrong.is_finished(), "the queued logins are still pending");

    drop(holding);
    assert!(hashing.await.unwrap().is_ok(), "the held login succeeds");
    assert!(right.await.unwrap().is_ok(), "the queued login with the right password succeeds");
    assert!(owner.await.unwrap().is_ok(), "the owner's login in a reserved place succeeds");
    assert!(matches!(wrong.await.unwrap(), Err(AuthError::BadCredentials)));
}

#[tokio::test]
async fn a_password_changed_while_it_was_checked_issues_no_token() {
    let f = fixture(AuthSettings {
        login_hash_workers: 1,
        login_hash_queue: 1,
        ..AuthSettings::default()
    });
    let auth = f.auth.clone();
    let (release, hold) = std::sync::mpsc::channel::<()>();
    let hashing = tokio::spawn({
        let auth = auth.clone();
        async move { auth.hashes.run(password::Lane::Anyone, move |_| hold.recv()).await }
    });
    wait_until("the worker is busy", || auth.hashes.workers.available_permits() == 0).await;
    let login = tokio::spawn({
        let (auth, password) = (auth.clone(), f.password.clone());
        async move {
            auth.login(ip("10.0.0.1"), &basic("admin", &password), LoginRequest::default()).await
        }
    });
    wait_until("the login is queued", || auth.hashes.admitted.available_permits() == 0).await;
    // What `dokku-pro-api user passwd admin` does meanwhile.
    f.storage.call_blocking(|c| users::set_password(c, "admin", "a brand new password")).unwrap();
    release.send(()).unwrap();
    hashing.await.unwrap().unwrap().unwrap();
    assert!(matches!(login.await.unwrap(), Err(AuthError::BadCredentials)));
}

/// Inserts a token row with these times (relative to `t`), for pruning.
fn old_row(storage: &Storage, jti: &str, access: i64, refresh: i64, revoked: Option<i64>) {
    let jti = jti.to_string();
    storage
        .call_blocking(move |c| {
            tokens::insert(
                c,
                &tokens::NewToken {
                    jti: &jti,
                    user_id: 1,
                    family: "f",
                    session: "s",
                    parent_session: None,
                    refresh_token: &format!("dpr_{jti}"),
                    refresh_expires_at: refresh,
                    access_expires_at: access,
                    expires_cap: None,
                    uses_limit: None,
                    now: 0,
                },
            )?;
            c.execute("UPDATE tokens SET revoked_at = ?1 WHERE id = ?2", params![revoked, jti])?;
            Ok::<_, StorageError>(())
        })
        .unwrap();
}

fn row_ids(storage: &Storage) -> Vec<String> {
    storage
        .call_blocking(|c| {
            let mut stmt = c.prepare("SELECT id FROM tokens ORDER BY id")?;
            let ids = stmt.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
            Ok::<_, StorageError>(ids)
        })
        .unwrap()
}

#[tokio::test]
async fn pruning_deletes_dead_tokens_after_the_retention_and_never_a_live_one() {
    let retention = 100;
    let settings = AuthSettings {
        token_retention: Duration::from_secs(retention as u64),
        ..AuthSettings::default()
    };
    let f = fixture(settings.clone());
    let auth = f.auth.clone();
    let t = now();
    let live = login_admin(&f).await;
    let logged_out = login_admin(&f).await;
    auth.logout(logged_out.id.as_deref().unwrap()).await.unwrap();
    let long_ago = t - retention - 1;
    old_row(&f.storage, "expired-long-ago", long_ago, long_ago, None);
    old_row(&f.storage, "revoked-long-ago", long_ago, t + 86400, Some(long_ago));
    old_row(&f.storage, "expired-recently", t - 10, t - 10, None);
    old_row(&f.storage, "revoked-recently", long_ago, t + 86400, Some(t - 10));
    old_row(&f.storage, "refreshable", long_ago, t + 86400, None);
    old_row(&f.storage, "revoked-unexpired", t + 600, t + 86400, Some(long_ago));
    let before = row_ids(&f.storage);
    assert_eq!(before.len(), 8);

    assert_eq!(auth.prune_tokens(t).await.unwrap(), 2);
    let after = row_ids(&f.storage);
    let gone: Vec<_> = before.iter().filter(|id| !after.contains(id)).collect();
    assert_eq!(gone, ["expired-long-ago", "revoked-long-ago"]);
    // Pruning again finds nothing new.
    assert_eq!(auth.prune_tokens(t).await.unwrap(), 0);

    // The live token still works, and the logged-out one stays refused, now and after a
    // restart (the revocation list is loaded from the rows that remain).
    assert!(auth.authenticate(&bearer(&live)).await.is_ok());
    assert!(matches!(auth.authenticate(&bearer(&logged_out)).await, Err(AuthError::Revoked)));
    let log = Logger::root(slog::Discard, slog::o!());
    let restarted = Authenticator::open(f.storage.clone(), f.dir.path(), settings, log).unwrap();
    assert!(restarted.authenticate(&bearer(&live)).await.is_ok());
    assert!(matches!(restarted.authenticate(&bearer(&logged_out)).await, Err(AuthError::Revoked)));
}

#[tokio::test]
async fn pruning_runs_periodically() {
    let f = fixture(AuthSettings {
        token_retention: Duration::ZERO,
        token_prune_interval: Duration::from_millis(50),
        ..AuthSettings::default()
    });
    f.auth.start_background_tasks();
    let live = login_admin(&f).await;
    let dead = now() - 10;
    old_row(&f.storage, "dead", dead, dead, None);
    wait_until("the dead token is pruned", || !row_ids(&f.storage).contains(&"dead".to_string()))
        .await;
    assert_eq!(row_ids(&f.storage).len(), 1);
    assert!(f.auth.authenticate(&bearer(&live)).await.is_ok());
}
