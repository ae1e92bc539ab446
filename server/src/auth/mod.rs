//! Authentication: users, JWT access tokens, refresh tokens, revocation, use limits and failed
//! login limiting (DESIGN.md §6).
//!
//! * `POST /tokens` with Basic credentials issues an access JWT (HS256, a 512-bit key generated
//!   at first start in `DATA_DIR/jwt-signing.key`, mode 0600) and an opaque refresh token
//!   (`dpr_...`, stored as a SHA-256 hash). With `data.attributes.refresh_token` it rotates the
//!   pair instead; a spent refresh token presented again revokes the whole family.
//! * Every other operation calls [`Authenticator::authenticate`]: the JWT is verified with the
//!   algorithm pinned to HS256, the issuer and expiry required (no leeway), then checked against
//!   the in-memory revocation list. Tokens with a use limit spend one use per request in one
//!   atomic UPDATE; others cost no database read. The revocation list is loaded at start and
//!   reloaded when another process (the `user` CLI) changes the database.
//! * Failed logins are counted per client address and per user name ([`ratelimit`]).
//!
//! Secrets never reach a log line: credentials arrive as `dokku_pro_api::auth::Secret`, and
//! nothing here logs a token, a password or a header.

pub mod password;
pub mod ratelimit;
pub mod tokens;
pub mod users;

use std::collections::HashSet;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use dokku_pro_api::auth::Credentials;
use dokku_pro_api::models::{Token, TokenAttributes, TokenType};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use slog::{Logger, info, warn};

use crate::storage::{Storage, StorageError, now};
use ratelimit::LoginLimiter;

const ISSUER: &str = "dokku-pro-api";
const REFRESH_PREFIX: &str = "dpr_";
/// The seed's example (and `default`) refresh token; see [`LoginRequest::from_body`].
const SEED_EXAMPLE_REFRESH_TOKEN: &str = "dpr_uoelcjosertv8w4vw3";

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
    #[error("too many failed logins; retry after {} s", retry_after.as_secs())]
    RateLimited { retry_after: Duration },
    #[error("Token being refreshed was not found")]
    RefreshNotFound,
    #[error("the refresh token was already used; every token of its session is now revoked")]
    RefreshReplayed,
    #[error("the refresh token has expired")]
    RefreshExpired,
    #[error("the refresh token belongs to another user than the credentials")]
    RefreshUserMismatch,
    #[error("{0}")]
    BadRequest(String),
    #[error("the token storage failed")]
    Storage(#[from] StorageError),
}

impl From<users::UserError> for AuthError {
    fn from(e: users::UserError) -> Self {
        match e {
            users::UserError::Storage(s) => AuthError::Storage(s),
            other => AuthError::BadRequest(other.to_string()),
        }
    }
}

/// Token lifetimes and login limits.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    pub access_token_lifetime: Duration,
    pub refresh_token_lifetime: Duration,
    pub login_failure_limit: usize,
    pub login_failure_window: Duration,
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
        let limiter =
            LoginLimiter::new(settings.login_failure_limit, settings.login_failure_window);
        Ok(Arc::new(Authenticator {
            storage,
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            settings,
            revoked: RwLock::new(revoked.into_iter().collect()),
            limiter,
            log,
        }))
    }

    /// Reloads the revocation list whenever another connection (the `user` CLI) commits, checked
    /// once a second. Runs until the authenticator is dropped.
    pub fn watch_for_external_revocations(self: &Arc<Self>) {
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

    /// `POST /tokens`: login with Basic credentials, a new pair from a valid bearer token, or a
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
        let user = match credentials {
            Credentials::Basic { username, password } => {
                self.check_password(client, username, password.expose()).await?
            }
            Credentials::Bearer(_) => {
                let actor = self.authenticate(credentials).await?;
                self.user_id(&actor.user)
                    .await?
                    .map(|id| (id, actor.user))
                    .ok_or(AuthError::Revoked)?
            }
            Credentials::Missing => return Err(AuthError::Missing),
            Credentials::Malformed(why) => return Err(AuthError::Malformed(why)),
        };
        let family = random_id();
        let token = self.issue(user, family, request.uses).await?;
        info!(self.log, "token issued"; "user" => &token.1);
        Ok(token.0)
    }

    async fn user_id(&self, name: &str) -> Result<Option<i64>, AuthError> {
        let name = name.to_string();
        let user = self.storage.call(move |c| users::find(c, &name)).await?;
        Ok(user.map(|u| u.id))
    }

    /// Checks Basic credentials, with the failed-login limit.
    async fn check_password(
        &self,
        client: IpAddr,
        username: &str,
        password: &str,
    ) -> Result<(i64, String), AuthError> {
        let keys = [format!("ip:{client}"), format!("user:{username}")];
        if let Err(retry_after) = self.limiter.check(&keys, Instant::now()) {
            return Err(AuthError::RateLimited { retry_after });
        }
        let (name, password) = (username.to_string(), password.to_string());
        let verified = self
            .storage
            .call(move |c| {
                let user = users::find(c, &name)?;
                Ok::<_, AuthError>(match user {
                    Some(user) if password::verify(&password, &user.password_hash) => {
                        Some((user.id, user.name))
                    }
                    Some(_) => None,
                    None => {
                        password::verify_nobody(&password);
                        None
                    }
                })
            })
            .await?;
        match verified {
            Some(user) => Ok(user),
            None => {
                self.limiter.record_failure(&keys, Instant::now());
                info!(self.log, "login failed"; "user" => username, "client" => %client);
                Err(AuthError::BadCredentials)
            }
        }
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
                Some(self.check_password(client, username, password.expose()).await?.1)
            }
            Credentials::Bearer(token) => Some(self.decode(token.expose(), false)?.sub),
            Credentials::Malformed(why) => return Err(AuthError::Malformed(why)),
        };
        if !refresh.starts_with(REFRESH_PREFIX) {
            return Err(AuthError::RefreshNotFound);
        }
        let refresh = refresh.to_string();
        let t = now();
        let record = self.storage.call(move |c| tokens::find_refresh(c, &refresh)).await?;
        let record = record.ok_or(AuthError::RefreshNotFound)?;
        if record.spent || record.revoked {
            let family = record.family.clone();
            let revoked = self.storage.call(move |c| tokens::revoke_family(c, &family, t)).await?;
            self.mark_revoked(revoked);
            warn!(self.log, "a spent refresh token was presented again; its family is revoked";
                "family" => &record.family, "client" => %client);
            return Err(AuthError::RefreshReplayed);
        }
        if record.refresh_expires_at <= t {
            return Err(AuthError::RefreshExpired);
        }
        let user_id = record.user_id.ok_or(AuthError::Revoked)?;
        let name: Option<String> = self
            .storage
            .call(move |c| {
                use rusqlite::OptionalExtension;
                c.query_row("SELECT name FROM users WHERE id = ?1", [user_id], |r| r.get(0))
                    .optional()
                    .map_err(StorageError::from)
            })
            .await?;
        let name = name.ok_or(AuthError::Revoked)?;
        if claimed_user.is_some_and(|u| u != name) {
            return Err(AuthError::RefreshUserMismatch);
        }
        let jti = record.jti.clone();
        if !self.storage.call(move |c| tokens::spend_refresh(c, &jti, t)).await? {
            // Spent by a concurrent request between our read and this write: a replay.
            let family = record.family.clone();
            let revoked = self.storage.call(move |c| tokens::revoke_family(c, &family, t)).await?;
            self.mark_revoked(revoked);
            return Err(AuthError::RefreshReplayed);
        }
        let (token, user) = self.issue((user_id, name), record.family, uses).await?;
        info!(self.log, "token refreshed"; "user" => user);
        Ok(token)
    }

    /// Issues a new pair and records it before answering.
    async fn issue(
        &self,
        (user_id, user): (i64, String),
        family: String,
        uses: Option<i64>,
    ) -> Result<(Token, String), AuthError> {
        let t = now();
        let access_exp = t + self.settings.access_token_lifetime.as_secs() as i64;
        let refresh_exp = t + self.settings.refresh_token_lifetime.as_secs() as i64;
        let jti = random_id();
        let refresh = format!("{REFRESH_PREFIX}{}", random_id());
        let claims = Claims {
            iss: ISSUER.into(),
            sub: user.clone(),
            jti: jti.clone(),
            iat: t,
            exp: access_exp,
            uses,
        };
        let jwt = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AuthError::BadRequest(format!("cannot sign the token: {e}")))?;
        let record_refresh = refresh.clone();
        self.storage
            .call(move |c| {
                tokens::insert(
                    c,
                    &tokens::NewToken {
                        jti: &jti,
                        user_id,
                        family: &family,
                        refresh_token: &record_refresh,
                        refresh_expires_at: refresh_exp,
                        access_expires_at: access_exp,
                        uses_limit: uses,
                        now: t,
                    },
                )
            })
            .await?;
        let token = Token {
            id: Some(jwt),
            type_: Some(TokenType::Tokens),
            attributes: Some(TokenAttributes {
                refresh_token: Some(refresh),
                access_token_expires: Some(access_exp),
                refresh_token_expires: Some(refresh_exp),
                uses,
            }),
        };
        Ok((token, user))
    }

    /// `DELETE /tokens/{tokenId}`: revokes that access token and its refresh token. Only tokens
    /// this server signed are accepted (expired ones too); repeating it is fine.
    pub async fn logout(&self, token: &str) -> Result<(), AuthError> {
        let claims = match self.decode(token, false) {
            Ok(claims) => claims,
            Err(_) => {
                return Err(AuthError::BadRequest(
                    "the token id is not a token issued by this server".into(),
                ));
            }
        };
        let jti = claims.jti.clone();
        let t = now();
        self.storage.call(move |c| tokens::revoke(c, &jti, t)).await?;
        self.mark_revoked([claims.jti]);
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
