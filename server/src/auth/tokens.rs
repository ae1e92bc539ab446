//! Token records: one row per access token, with the refresh token that was issued with it
//! (stored as a SHA-256 hash). Refreshing spends the refresh token and issues a new pair in the
//! same family; presenting a spent refresh token again revokes the whole family, since only a
//! thief or a replay can do that (the legitimate holder got a new one).

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::storage::StorageError;

/// What one issued pair looks like in the database.
pub struct NewToken<'a> {
    pub jti: &'a str,
    pub user_id: i64,
    pub family: &'a str,
    pub refresh_token: &'a str,
    pub refresh_expires_at: i64,
    pub access_expires_at: i64,
    pub uses_limit: Option<i64>,
    pub now: i64,
}

pub fn refresh_hash(refresh_token: &str) -> String {
    let digest = Sha256::digest(refresh_token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn insert(conn: &Connection, t: &NewToken<'_>) -> Result<(), StorageError> {
    conn.execute(
        "INSERT INTO tokens (id, user_id, family, refresh_hash, refresh_expires_at, access_expires_at, uses_limit, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            t.jti,
            t.user_id,
            t.family,
            refresh_hash(t.refresh_token),
            t.refresh_expires_at,
            t.access_expires_at,
            t.uses_limit,
            t.now
        ],
    )?;
    Ok(())
}

/// The row a refresh token belongs to.
pub struct RefreshRecord {
    pub jti: String,
    pub user_id: Option<i64>,
    pub family: String,
    pub refresh_expires_at: i64,
    pub spent: bool,
    pub revoked: bool,
}

pub fn find_refresh(
    conn: &Connection,
    refresh_token: &str,
) -> Result<Option<RefreshRecord>, StorageError> {
    Ok(conn
        .query_row(
            "SELECT id, user_id, family, refresh_expires_at, refresh_spent_at IS NOT NULL, revoked_at IS NOT NULL
             FROM tokens WHERE refresh_hash = ?1",
            [refresh_hash(refresh_token)],
            |r| {
                Ok(RefreshRecord {
                    jti: r.get(0)?,
                    user_id: r.get(1)?,
                    family: r.get(2)?,
                    refresh_expires_at: r.get(3)?,
                    spent: r.get(4)?,
                    revoked: r.get(5)?,
                })
            },
        )
        .optional()?)
}

/// Marks a refresh token spent, unless someone spent it first (then `false`).
pub fn spend_refresh(conn: &Connection, jti: &str, now: i64) -> Result<bool, StorageError> {
    let changed = conn.execute(
        "UPDATE tokens SET refresh_spent_at = ?1 WHERE id = ?2 AND refresh_spent_at IS NULL AND revoked_at IS NULL",
        params![now, jti],
    )?;
    Ok(changed == 1)
}

/// Revokes every token of a family; returns their access token ids.
pub fn revoke_family(
    conn: &Connection,
    family: &str,
    now: i64,
) -> Result<Vec<String>, StorageError> {
    conn.execute(
        "UPDATE tokens SET revoked_at = ?1 WHERE family = ?2 AND revoked_at IS NULL",
        params![now, family],
    )?;
    let mut stmt = conn.prepare("SELECT id FROM tokens WHERE family = ?1")?;
    let ids = stmt.query_map([family], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
    Ok(ids)
}

/// Revokes one access token and its refresh token. Idempotent.
pub fn revoke(conn: &Connection, jti: &str, now: i64) -> Result<(), StorageError> {
    conn.execute(
        "UPDATE tokens SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
        params![now, jti],
    )?;
    Ok(())
}

/// The outcome of spending one use of a use-limited token.
#[derive(Debug, PartialEq, Eq)]
pub enum UseOutcome {
    Allowed,
    UsedUp,
    Revoked,
    Unknown,
}

/// Spends one use, atomically: concurrent requests cannot overspend a token, because the
/// check and the increment are one UPDATE.
pub fn spend_use(conn: &Connection, jti: &str) -> Result<UseOutcome, StorageError> {
    let changed = conn.execute(
        "UPDATE tokens SET uses_count = uses_count + 1
         WHERE id = ?1 AND revoked_at IS NULL AND uses_limit IS NOT NULL AND uses_count < uses_limit",
        [jti],
    )?;
    if changed == 1 {
        return Ok(UseOutcome::Allowed);
    }
    let row: Option<bool> = conn
        .query_row("SELECT revoked_at IS NOT NULL FROM tokens WHERE id = ?1", [jti], |r| r.get(0))
        .optional()?;
    Ok(match row {
        Some(true) => UseOutcome::Revoked,
        Some(false) => UseOutcome::UsedUp,
        None => UseOutcome::Unknown,
    })
}

/// Access tokens that are revoked and not yet expired: the in-memory revocation list.
pub fn revoked_unexpired(conn: &Connection, now: i64) -> Result<Vec<String>, StorageError> {
    let mut stmt = conn
        .prepare("SELECT id FROM tokens WHERE revoked_at IS NOT NULL AND access_expires_at > ?1")?;
    let ids = stmt.query_map([now], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
    Ok(ids)
}

/// Whether an access token id is one we issued.
pub fn exists(conn: &Connection, jti: &str) -> Result<bool, StorageError> {
    Ok(conn
        .query_row("SELECT count(*) FROM tokens WHERE id = ?1", [jti], |r| r.get::<_, i64>(0))?
        > 0)
}
