//! Authentication: users, JWT access tokens, refresh tokens, revocation, use limits and failed
//! login limiting (the operator's view is `docs/authentication.md`).
//!
//! * `POST /tokens` with Basic credentials issues an access JWT (HS256, a 512-bit key generated
//!   at first start in `DATA_DIR/jwt-signing.key`, mode 0600) and an opaque refresh token
//!   (`dpr_...`, stored as a SHA-256 hash). With `data.attributes.refresh_token` it rotates the
//!   pair instead; a spent refresh token presented again revokes the whole family.
//! * `POST /tokens` with a Bearer token mints a child of that token, never worth more than it
//!   ([`tokens`] has the rules): in its family, expiring no later than the bearer token, with
//!   uses taken from the bearer's own, revoked when the bearer is logged out. Minting costs no
//!   use by itself: the uses the child gets are the ones the parent loses, so a parent and its
//!   children together never make more requests than the parent's limit.
//! * Every other operation calls [`Authenticator::authenticate`]: the JWT is verified with the
//!   algorithm pinned to HS256, the issuer and expiry required (no leeway), then checked against
//!   the in-memory revocation list. Tokens with a use limit spend one use per request in one
//!   atomic UPDATE; others cost no database read. The revocation list is loaded at start and
//!   reloaded when another process (the `user` CLI) changes the database.
//! * Passwords are checked on a bounded [`password::HashPool`], outside the database lock: the
//!   lock is held only to read the user's hash, so a crowd of logins never delays a request
//!   that carries a token, and logins past the pool's queue are refused at once (429), except
//!   that a user at an address where they logged in before may take one of a few reserved
//!   places.
//! * Failed logins are limited per client address and user name, per client address, and per
//!   user name (slowed, never locked), so that failures from one place cannot lock the owner out
//!   from another ([`ratelimit`]).
//! * Token rows that can no longer authenticate anything are deleted after a retention period,
//!   periodically ([`tokens::prune`]).
//!
//! Secrets never reach a log line: credentials arrive as `dokku_pro_api::auth::Secret`, and
//! nothing here logs a token, a password or a header.

pub mod password;
pub mod ratelimit;
pub mod tokens;
pub mod users;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use dokku_pro_api::auth::Credentials;
use dokku_pro_api::models::{Token, TokenAttributes};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use slog::{Logger, debug, info, warn};

use crate::storage::{Storage, StorageError, now};
use password::{HashPool, HashPoolError, Lane};
use ratelimit::{LimitSettings, LoginLimiter, Refusal};

const ISSUER: &str = "dokku-pro-api";
const REFRESH_PREFIX: &str = "dpr_";
/// The seed's example (and `default`) refresh token; see [`LoginRequest::from_body`].
const SEED_EXAMPLE_REFRESH_TOKEN: &str = "dpr_uoelcjosertv8w4vw3";
/// What a login refused because every hashing worker is busy is told to wait.
const BUSY_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Who made a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user: String,
    /// The access token's id (`jti`).
    pub token_id: String,
}

/// Why a request was not authenticated. The HTTP status for each is chosen in `crate::error`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    #[error(
        "missing credentials: send `Authorization: Bearer <token>` (get one with POST /tokens)"
    )]
    Missing,
    #[error("{0}")]
    Malformed(&'static str),
    #[error("this operation takes a bearer token; exchange basic credentials at POST /tokens")]
    BasicNotAccepted,
    #[error("invalid token")]
    InvalidToken,
    #[error("the token has expired")]
    Expired,
    #[error("the token has been revoked")]
    Revoked,
    #[error("the token has no uses left")]
    UsedUp,
    #[error("invalid user name or password")]
    BadCredentials,
    #[error("{why}; retry after {} s", retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration, why: RateLimit },
    #[error("Token being refreshed was not found")]
    RefreshNotFound,
    #[error("the refresh token was already used; every token of its login is now revoked")]
    RefreshReplayed,
    #[error("the refresh token has expired")]
    RefreshExpired,
    #[error("the refresh token belongs to another user than the credentials")]
    RefreshUserMismatch,
    #[error("{0}")]
    BadRequest(String),
    #[error("the token storage failed")]
    Storage(#[from] StorageError),
    /// Our own failure (signing, a hashing task that died); the text is for the log.
    #[error("{0}")]
    Internal(String),
}

/// Which limit refused a login.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RateLimit {
    #[error("too many failed logins")]
    Failures,
    #[error("too many failed logins for this user name; it takes one attempt at a time")]
    NameSlowed,
    #[error("too many logins in progress")]
    Busy,
}

impl From<users::UserError> for AuthError {
    fn from(e: users::UserError) -> Self {
        match e {
            users::UserError::Storage(s) => AuthError::Storage(s),
            other => AuthError::BadRequest(other.to_string()),
        }
    }
}

/// Token lifetimes, login limits, the password hashing pool and token retention.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    pub access_token_lifetime: Duration,
    pub refresh_token_lifetime: Duration,
    /// Failed logins per client address and user name within the window before that address
    /// is refused for that name.
    pub login_failure_limit: usize,
    pub login_failure_window: Duration,
    /// Failed logins per client address, any user names, within the window before the address
    /// is refused for every name.
    pub login_address_failure_limit: usize,
    /// Failed logins per user name, from every address, within the window past which the name
    /// is slowed to one attempt per `login_name_slowed_interval` (trusted addresses excepted).
    pub login_name_failure_limit: usize,
    pub login_name_slowed_interval: Duration,
    /// Password hashes computed at once.
    pub login_hash_workers: usize,
    /// Logins waiting for a hashing worker; past them, logins are refused at once.
    pub login_hash_queue: usize,
    /// How long a token row that can no longer authenticate anything is kept.
    pub token_retention: Duration,
    /// How often such rows are looked for.
    pub token_prune_interval: Duration,
}

impl Default for AuthSettings {
    /// The settings of the default configuration.
    fn default() -> Self {
        crate::config::Config::default().auth.settings()
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    jti: String,
    iat: i64,
    exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    uses: Option<i64>,
}

pub struct Authenticator {
    storage: Storage,
    encoding: EncodingKey,
    decoding: DecodingKey,
    settings: AuthSettings,
    revoked: RwLock<HashSet<String>>,
    limiter: LoginLimiter,
    hashes: HashPool,
    log: Logger,
}

/// The body of `POST /tokens`, as far as authentication cares.
#[derive(Debug, Default)]
pub struct LoginRequest {
    pub refresh_token: Option<String>,
    pub uses: Option<i64>,
}

impl LoginRequest {
    /// Reads the (optional) body: `{"data":{"type":"tokens","attributes":{...}}}`.
    pub fn from_body(
        body: Option<dokku_pro_api::models::LoginBody>,
    ) -> Result<LoginRequest, AuthError> {
        let Some(data) = body.and_then(|b| b.data) else { return Ok(LoginRequest::default()) };
        let attributes = data.attributes.unwrap_or_default();
        // The seed gives `refresh_token` a `default` that is its example value, so clients
        // generated from it send that value when they mean "no refresh token". We never issue
        // it (ours are longer), so it means absent.
        let refresh_token = attributes.refresh_token.filter(|t| t != SEED_EXAMPLE_REFRESH_TOKEN);
        if refresh_token.as_deref() == Some("") {
            return Err(AuthError::BadRequest("refresh_token must not be empty".into()));
        }
        Ok(LoginRequest { refresh_token, uses: attributes.uses })
    }
}

/// A pair about to be issued: its ids and expiry times.
struct NewPair {
    jti: String,
    refresh: String,
    issued_at: i64,
    access_expires: i64,
    refresh_expires: i64,
}

impl NewPair {
    /// A pair issued at `now` with the configured lifetimes, expiring no later than `cap`.
    fn new(settings: &AuthSettings, now: i64, cap: Option<i64>) -> NewPair {
        let cap = cap.unwrap_or(i64::MAX);
        let lifetime = |d: Duration| now.saturating_add(d.as_secs() as i64).min(cap);
        NewPair {
            jti: random_id(),
            refresh: format!("{REFRESH_PREFIX}{}", random_id()),
            issued_at: now,
            access_expires: lifetime(settings.access_token_lifetime),
            refresh_expires: lifetime(settings.refresh_token_lifetime),
        }
    }

    /// Its row in a session.
    fn record<'a>(&'a self, session: &'a Session, uses_limit: Option<i64>) -> tokens::NewToken<'a> {
        tokens::NewToken {
            jti: &self.jti,
            user_id: session.user_id,
            family: &session.family,
            session: &session.id,
            parent_session: session.parent.as_deref(),
            refresh_token: &self.refresh,
            refresh_expires_at: self.refresh_expires,
            access_expires_at: self.access_expires,
            expires_cap: session.expires_cap,
            uses_limit,
            now: self.issued_at,
        }
    }
}

/// Where a pair goes in the tree of tokens (see [`tokens`]).
struct Session {
    user_id: i64,
    family: String,
    id: String,
    parent: Option<String>,
    expires_cap: Option<i64>,
}

/// The uses a token made from `from` (minted or refreshed) gets: `requested`, or all that
/// `from` has left when it has a limit; never more than that, and none from a used-up token.
fn moved_uses(
    from: &tokens::TokenRecord,
    requested: Option<i64>,
) -> Result<Option<i64>, AuthError> {
    match (from.uses_left(), requested) {
        (None, requested) => Ok(requested),
        (Some(0), _) => Err(AuthError::UsedUp),
        (Some(left), Some(n)) if n > left => Err(AuthError::BadRequest(format!(
            "uses is {n}, but the token it is made from has only {left} left"
        ))),
        (Some(_), Some(n)) => Ok(Some(n)),
        (Some(left), None) => Ok(Some(left)),
    }
}

/// What a refresh came to, decided in one transaction.
enum Refreshed {
    Issued {
        pair: NewPair,
        user: String,
        uses: Option<i64>,
    },
    /// A spent refresh token presented again: its family is revoked now (these access token
    /// ids).
    Replayed {
        family: String,
        revoked: Vec<String>,
    },
}

impl Authenticator {
    /// Loads (or creates) the signing key and the revocation list.
    pub fn open(
        storage: Storage,
        data_dir: &Path,
        settings: AuthSettings,
        log: Logger,
    ) -> Result<Arc<Authenticator>, std::io::Error> {
        let key = signing_key(data_dir)?;
        let revoked = storage
            .call_blocking(|c| tokens::revoked_unexpired(c, now()))
            .map_err(std::io::Error::other)?;
        let limiter = LoginLimiter::new(LimitSettings {
            window: settings.login_failure_window,
            per_address_and_name: settings.login_failure_limit,
            per_address: settings.login_address_failure_limit,
            per_name: settings.login_name_failure_limit,
            slowed_interval: settings.login_name_slowed_interval,
            trusted_for: settings.refresh_token_lifetime,
        });
        let hashes = HashPool::new(settings.login_hash_workers, settings.login_hash_queue);
        Ok(Arc::new(Authenticator {
            storage,
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            settings,
            revoked: RwLock::new(revoked.into_iter().collect()),
            limiter,
            hashes,
            log,
        }))
    }

    /// Starts what runs beside the requests until the authenticator is dropped: reloading the
    /// revocation list when another process changes the database, and pruning old tokens.
    pub fn start_background_tasks(self: &Arc<Self>) {
        self.watch_for_external_revocations();
        self.prune_periodically();
    }

    /// Reloads the revocation list whenever another connection (the `user` CLI) commits, checked
    /// once a second.
    fn watch_for_external_revocations(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut last: Option<i64> = None;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let Some(auth) = weak.upgrade() else { return };
                let version = auth
                    .storage
                    .call(|c| {
                        c.pragma_query_value(None, "data_version", |r| r.get::<_, i64>(0))
                            .map_err(StorageError::from)
                    })
                    .await;
                match version {
                    Ok(v) if last != Some(v) => {
                        if last.is_some()
                            && let Err(e) = auth.reload_revocations().await
                        {
                            warn!(auth.log, "reloading revoked tokens failed"; "error" => %e);
                            continue;
                        }
                        last = Some(v);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        warn!(auth.log, "checking the database for changes failed"; "error" => %e)
                    }
                }
            }
        });
    }

    /// Prunes at start, then every `token_prune_interval`.
    fn prune_periodically(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let period = self.settings.token_prune_interval.max(Duration::from_millis(10));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                let Some(auth) = weak.upgrade() else { return };
                if let Err(e) = auth.prune_tokens(now()).await {
                    warn!(auth.log, "pruning old tokens failed"; "error" => %e);
                }
            }
        });
    }

    /// Deletes the token rows that stopped being able to authenticate anything more than
    /// `token_retention` before `now` ([`tokens::prune`]), then reloads the revocation list,
    /// which drops the revoked tokens that have expired since. Returns how many rows went.
    pub async fn prune_tokens(&self, now: i64) -> Result<usize, StorageError> {
        let retention = self.settings.token_retention.as_secs() as i64;
        let pruned = self.storage.call(move |c| tokens::prune(c, now, retention)).await?;
        self.reload_revocations().await?;
        if pruned > 0 {
            info!(self.log, "pruned expired and revoked tokens"; "count" => pruned);
        }
        Ok(pruned)
    }

    async fn reload_revocations(&self) -> Result<(), StorageError> {
        let ids = self.storage.call(|c| tokens::revoked_unexpired(c, now())).await?;
        *self.revoked.write().unwrap_or_else(|p| p.into_inner()) = ids.into_iter().collect();
        Ok(())
    }

    fn is_revoked(&self, jti: &str) -> bool {
        self.revoked.read().unwrap_or_else(|p| p.into_inner()).contains(jti)
    }

    fn mark_revoked(&self, ids: impl IntoIterator<Item = String>) {
        self.revoked.write().unwrap_or_else(|p| p.into_inner()).extend(ids);
    }

    /// Verifies a JWT's signature, algorithm and issuer; `check_expiry` false accepts an expired
    /// one (logout, and naming the user on refresh).
    fn decode(&self, token: &str, check_expiry: bool) -> Result<Claims, AuthError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_exp = check_expiry;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
                _ => AuthError::InvalidToken,
            })
    }

    /// The user and id (`jti`) of an access token this server signed, expired or revoked ones
    /// too (for the audit log: who a request came from, not whether it may do anything).
    pub fn identify(&self, token: &str) -> Option<(String, String)> {
        self.decode(token, false).ok().map(|claims| (claims.sub, claims.jti))
    }

    /// Authenticates a request to an operation secured by `bearer_auth`.
    pub async fn authenticate(&self, credentials: &Credentials) -> Result<Actor, AuthError> {
        let token = match credentials {
            Credentials::Bearer(token) => token,
            Credentials::Missing => return Err(AuthError::Missing),
            Credentials::Malformed(why) => return Err(AuthError::Malformed(why)),
            Credentials::Basic { .. } => return Err(AuthError::BasicNotAccepted),
        };
        let claims = self.decode(token.expose(), true)?;
        if self.is_revoked(&claims.jti) {
            return Err(AuthError::Revoked);
        }
        if claims.uses.is_some() {
            let jti = claims.jti.clone();
            match self.storage.call(move |c| tokens::spend_use(c, &jti)).await? {
                tokens::UseOutcome::Allowed => {}
                tokens::UseOutcome::UsedUp => return Err(AuthError::UsedUp),
                tokens::UseOutcome::Revoked => return Err(AuthError::Revoked),
                tokens::UseOutcome::Unknown => return Err(AuthError::InvalidToken),
            }
        }
        Ok(Actor { user: claims.sub, token_id: claims.jti })
    }

    /// `POST /tokens`: login with Basic credentials, a child of a valid bearer token, or a
    /// refresh.
    pub async fn login(
        &self,
        client: IpAddr,
        credentials: &Credentials,
        request: LoginRequest,
    ) -> Result<Token, AuthError> {
        if let Some(uses) = request.uses
            && !(1..=1_000_000).contains(&uses)
        {
            return Err(AuthError::BadRequest(format!(
                "uses must be between 1 and 1000000, got {uses}"
            )));
        }
        if let Some(refresh) = request.refresh_token {
            return self.refresh(client, credentials, &refresh, request.uses).await;
        }
        match credentials {
            Credentials::Basic { username, password } => {
                let user = self.check_password(client, username, password.expose()).await?;
                self.issue_login(user, request.uses).await
            }
            Credentials::Bearer(token) => self.mint(token.expose(), request.uses).await,
            Credentials::Missing => Err(AuthError::Missing),
            Credentials::Malformed(why) => Err(AuthError::Malformed(why)),
        }
    }

    /// Checks Basic credentials, within the failed-login limits. Only the read of the user's
    /// hash holds the database; the hash runs on the hash pool.
    async fn check_password(
        &self,
        client: IpAddr,
        username: &str,
        password: &str,
    ) -> Result<users::User, AuthError> {
        self.limiter.admit(client, username, Instant::now()).map_err(|refusal| match refusal {
            Refusal::Locked(retry_after) => {
                AuthError::RateLimited { retry_after, why: RateLimit::Failures }
            }
            Refusal::Slowed(retry_after) => {
                AuthError::RateLimited { retry_after, why: RateLimit::NameSlowed }
            }
        })?;
        let lane = if self.limiter.is_trusted(client, username, Instant::now()) {
            Lane::Trusted
        } else {
            Lane::Anyone
        };
        let name = username.to_string();
        let user = self.storage.call(move |c| users::find(c, &name)).await?;
        let password = password.to_string();
        let verified = self
            .hashes
            .run(lane, move |memory| match user {
                Some(user) if password::verify(&password, &user.password_hash, memory) => {
                    Some(user)
                }
                Some(_) => None,
                None => {
                    password::verify_nobody(&password, memory);
                    None
                }
            })
            .await;
        match verified {
            Ok(Some(user)) => {
                self.limiter.record_success(client, username, Instant::now());
                Ok(user)
            }
            Ok(None) => {
                self.limiter.record_failure(client, username, Instant::now());
                info!(self.log, "login failed"; "user" => username, "client" => %client);
                Err(AuthError::BadCredentials)
            }
            Err(HashPoolError::Busy) => {
                debug!(self.log, "login refused: every password hashing worker is busy";
                    "client" => %client);
                Err(AuthError::RateLimited { retry_after: BUSY_RETRY_AFTER, why: RateLimit::Busy })
            }
            Err(HashPoolError::Task(e)) => {
                Err(AuthError::Internal(format!("the password hashing task failed: {e}")))
            }
        }
    }

    /// Issues the first pair of a new family for a user whose password was just checked.
    async fn issue_login(&self, user: users::User, uses: Option<i64>) -> Result<Token, AuthError> {
        let pair = NewPair::new(&self.settings, now(), None);
        let family = random_id();
        let session = Session {
            user_id: user.id,
            id: family.clone(),
            family,
            parent: None,
            expires_cap: None,
        };
        let verified_hash = user.password_hash;
        let pair = self
            .storage
            .call(move |c| {
                let tx = tokens::immediate(c)?;
                // The password was checked outside the lock: if it changed meanwhile (which
                // revokes every token of the user), the check no longer stands.
                if users::password_hash(&tx, session.user_id)?.as_ref() != Some(&verified_hash) {
                    return Err(AuthError::BadCredentials);
                }
                tokens::insert(&tx, &pair.record(&session, uses))?;
                tx.commit().map_err(StorageError::from)?;
                Ok::<_, AuthError>(pair)
            })
            .await?;
        info!(self.log, "token issued"; "user" => &user.name);
        self.signed(user.name, pair, uses)
    }

    /// A child of the bearer token `parent` (see [`tokens`]): its family, a session of its own
    /// under the parent's, expiring no later than the parent's access token, with uses taken
    /// from the parent's.
    async fn mint(&self, parent: &str, uses: Option<i64>) -> Result<Token, AuthError> {
        let claims = self.decode(parent, true)?;
        if self.is_revoked(&claims.jti) {
            return Err(AuthError::Revoked);
        }
        let pair = NewPair::new(&self.settings, now(), Some(claims.exp));
        let (pair, user, uses) = self
            .storage
            .call(move |c| {
                let tx = tokens::immediate(c)?;
                let parent = tokens::find(&tx, &claims.jti)?.ok_or(AuthError::InvalidToken)?;
                if parent.revoked {
                    return Err(AuthError::Revoked);
                }
                let user_id = parent.user_id.ok_or(AuthError::Revoked)?;
                let user = users::name_of(&tx, user_id)?.ok_or(AuthError::Revoked)?;
                let uses = moved_uses(&parent, uses)?;
                if let (Some(n), Some(_)) = (uses, parent.uses_limit) {
                    tokens::take_uses(&tx, &parent.jti, n)?;
                }
                let session = Session {
                    user_id,
                    family: parent.family,
                    id: random_id(),
                    parent: Some(parent.session),
                    expires_cap: Some(claims.exp),
                };
                tokens::insert(&tx, &pair.record(&session, uses))?;
                tx.commit().map_err(StorageError::from)?;
                Ok::<_, AuthError>((pair, user, uses))
            })
            .await?;
        info!(self.log, "token minted from a token"; "user" => &user);
        self.signed(user, pair, uses)
    }

    async fn refresh(
        &self,
        client: IpAddr,
        credentials: &Credentials,
        refresh: &str,
        uses: Option<i64>,
    ) -> Result<Token, AuthError> {
        // The credentials are optional (the refresh token is itself the proof); when given, they
        // must name the same user.
        let claimed_user = match credentials {
            Credentials::Missing => None,
            Credentials::Basic { username, password } => {
                Some(self.check_password(client, username, password.expose()).await?.name)
            }
            Credentials::Bearer(token) => Some(self.decode(token.expose(), false)?.sub),
            Credentials::Malformed(why) => return Err(AuthError::Malformed(why)),
        };
        if !refresh.starts_with(REFRESH_PREFIX) {
            return Err(AuthError::RefreshNotFound);
        }
        let refresh = refresh.to_string();
        let t = now();
        let settings = self.settings.clone();
        // One transaction: nothing can spend, revoke or use the row between the checks and
        // the new pair.
        let outcome = self
            .storage
            .call(move |c| {
                let tx = tokens::immediate(c)?;
                let record =
                    tokens::find_refresh(&tx, &refresh)?.ok_or(AuthError::RefreshNotFound)?;
                // Only a thief or a replay presents a refresh token that was already used (the
                // holder got a new one). A revoked one is merely refused: a client refreshing
                // after its logout must not end the sessions it was minted from.
                if record.spent {
                    let revoked = tokens::revoke_family(&tx, &record.family, t)?;
                    tx.commit().map_err(StorageError::from)?;
                    return Ok(Refreshed::Replayed { family: record.family, revoked });
                }
                if record.revoked {
                    return Err(AuthError::Revoked);
                }
                if record.refresh_expires_at <= t {
                    return Err(AuthError::RefreshExpired);
                }
                let user_id = record.user_id.ok_or(AuthError::Revoked)?;
                let user = users::name_of(&tx, user_id)?.ok_or(AuthError::Revoked)?;
                if claimed_user.is_some_and(|u| u != user) {
                    return Err(AuthError::RefreshUserMismatch);
                }
                let uses = moved_uses(&record, uses)?;
                if let (Some(n), Some(_)) = (uses, record.uses_limit) {
                    tokens::take_uses(&tx, &record.jti, n)?;
                }
                tokens::spend_refresh(&tx, &record.jti, t)?;
                let session = Session {
                    user_id,
                    family: record.family,
                    id: record.session,
                    parent: record.parent_session,
                    expires_cap: record.expires_cap,
                };
                let pair = NewPair::new(&settings, t, session.expires_cap);
                tokens::insert(&tx, &pair.record(&session, uses))?;
                tx.commit().map_err(StorageError::from)?;
                Ok::<_, AuthError>(Refreshed::Issued { pair, user, uses })
            })
            .await?;
        match outcome {
            Refreshed::Issued { pair, user, uses } => {
                info!(self.log, "token refreshed"; "user" => &user);
                self.signed(user, pair, uses)
            }
            Refreshed::Replayed { family, revoked } => {
                self.mark_revoked(revoked);
                warn!(self.log, "a spent refresh token was presented again; its family is revoked";
                    "family" => family, "client" => %client);
                Err(AuthError::RefreshReplayed)
            }
        }
    }

    /// Signs the access token of a recorded pair and builds the answer.
    fn signed(&self, user: String, pair: NewPair, uses: Option<i64>) -> Result<Token, AuthError> {
        let claims = Claims {
            iss: ISSUER.into(),
            sub: user,
            jti: pair.jti,
            iat: pair.issued_at,
            exp: pair.access_expires,
            uses,
        };
        let jwt = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AuthError::Internal(format!("cannot sign the token: {e}")))?;
        Ok(Token::record(
            jwt,
            TokenAttributes {
                refresh_token: Some(pair.refresh),
                access_token_expires: Some(pair.access_expires),
                refresh_token_expires: Some(pair.refresh_expires),
                uses,
            },
        ))
    }

    /// `DELETE /tokens/{tokenId}`: revokes that token's session (its access and refresh tokens,
    /// and those it was refreshed into or from) and every token minted from it, at any depth.
    /// Only tokens this server signed are accepted (expired ones too); repeating it is fine.
    pub async fn logout(&self, token: &str) -> Result<(), AuthError> {
        let claims = match self.decode(token, false) {
            Ok(claims) => claims,
            Err(_) => {
                return Err(AuthError::BadRequest(
                    "the token id is not a token issued by this server".into(),
                ));
            }
        };
        let jti = claims.jti;
        let t = now();
        let revoked = self.storage.call(move |c| tokens::revoke_session_tree(c, &jti, t)).await?;
        self.mark_revoked(revoked);
        info!(self.log, "token revoked"; "user" => claims.sub);
        Ok(())
    }
}

/// 128 random bits, URL-safe base64.
fn random_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Loads `DATA_DIR/jwt-signing.key`, creating it (64 random bytes, mode 0600) on first start.
fn signing_key(data_dir: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = data_dir.join("jwt-signing.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()
            .filter(|k| k.len() >= 32)
            .ok_or_else(|| {
                std::io::Error::other(format!("{} is not a valid signing key", path.display()))
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = vec![0u8; 64];
            getrandom::fill(&mut key).map_err(std::io::Error::other)?;
            let mut file =
                std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)?;
            file.write_all(base64::engine::general_purpose::STANDARD.encode(&key).as_bytes())?;
            file.sync_all()?;
            Ok(key)
        }
        Err(e) => Err(e),
    }
}

/// On a first start with no users, creates `admin` with a random password, written 0600 to
/// `DATA_DIR/initial-admin-password`. Returns the password when it did.
pub fn ensure_initial_admin(
    storage: &Storage,
    data_dir: &Path,
) -> Result<Option<String>, Box<dyn std::error::Error + Send + Sync>> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let existing = storage.call_blocking(|c| users::count(c))?;
    if existing > 0 {
        return Ok(None);
    }
    let mut bytes = [0u8; 18];
    getrandom::fill(&mut bytes)?;
    let password = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let path = data_dir.join("initial-admin-password");
    let _ = std::fs::remove_file(&path);
    let mut file =
        std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)?;
    file.write_all(format!("{password}\n").as_bytes())?;
    file.sync_all()?;
    let pw = password.clone();
    storage.call_blocking(move |c| users::add(c, "admin", &pw))?;
    Ok(Some(password))
}
