//! Token records: one row per access token, with the refresh token that was issued with it
//! (stored as a SHA-256 hash).
//!
//! Rows form a tree, so that no token is ever worth more than what made it:
//!
//! * a **family** is everything descended from one password login. Presenting a spent refresh
//!   token again revokes the whole family, since only a thief or a replay can do that (the
//!   legitimate holder got a new one).
//! * a **session** is the chain of pairs that one login or one mint started; each refresh
//!   continues it. Logging out any token of a session revokes the session and every session
//!   minted from it (`parent_session`), however deep, but not its parent or siblings.
//! * a session minted from an access token carries that token's expiry as its `expires_cap`:
//!   no access or refresh token of it, refreshed or not, expires later.
//! * uses move, they are never copied: minting from a use-limited token and refreshing a
//!   use-limited pair take their uses from the token they came from, so a token and all its
//!   descendants together make at most as many requests as its own limit.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use sha2::{Digest, Sha256};

use crate::storage::StorageError;

/// What one issued pair looks like in the database.
pub struct NewToken<'a> {
    pub jti: &'a str,
    pub user_id: i64,
    pub family: &'a str,
    pub session: &'a str,
    pub parent_session: Option<&'a str>,
    pub refresh_token: &'a str,
    pub refresh_expires_at: i64,
    pub access_expires_at: i64,
    pub expires_cap: Option<i64>,
    pub uses_limit: Option<i64>,
    pub now: i64,
}

/// A write transaction from its first statement: what it reads stays true until it commits,
/// in this process and any other (the `user` CLI).
pub fn immediate(conn: &mut Connection) -> Result<Transaction<'_>, StorageError> {
    Ok(conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
}

pub fn refresh_hash(refresh_token: &str) -> String {
    let digest = Sha256::digest(refresh_token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn insert(conn: &Connection, t: &NewToken<'_>) -> Result<(), StorageError> {
    conn.execute(
        "INSERT INTO tokens (id, user_id, family, session, parent_session, refresh_hash,
             refresh_expires_at, access_expires_at, expires_cap, uses_limit, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            t.jti,
            t.user_id,
            t.family,
            t.session,
            t.parent_session,
            refresh_hash(t.refresh_token),
            t.refresh_expires_at,
            t.access_expires_at,
            t.expires_cap,
            t.uses_limit,
            t.now
        ],
    )?;
    Ok(())
}

/// One token row, as minting and refreshing need it.
pub struct TokenRecord {
    pub jti: String,
    pub user_id: Option<i64>,
    pub family: String,
    pub session: String,
    pub parent_session: Option<String>,
    pub access_expires_at: i64,
    pub refresh_expires_at: i64,
    pub expires_cap: Option<i64>,
    pub uses_limit: Option<i64>,
    pub uses_count: i64,
    pub spent: bool,
    pub revoked: bool,
}

impl TokenRecord {
    /// The uses its access token has left; `None` when it has no limit.
    pub fn uses_left(&self) -> Option<i64> {
        self.uses_limit.map(|limit| (limit - self.uses_count).max(0))
    }
}

const RECORD_COLUMNS: &str = "id, user_id, family, session, parent_session, access_expires_at,
    refresh_expires_at, expires_cap, uses_limit, uses_count, refresh_spent_at IS NOT NULL,
    revoked_at IS NOT NULL";

fn record(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRecord> {
    Ok(TokenRecord {
        jti: r.get(0)?,
        user_id: r.get(1)?,
        family: r.get(2)?,
        session: r.get(3)?,
        parent_session: r.get(4)?,
        access_expires_at: r.get(5)?,
        refresh_expires_at: r.get(6)?,
        expires_cap: r.get(7)?,
        uses_limit: r.get(8)?,
        uses_count: r.get(9)?,
        spent: r.get(10)?,
        revoked: r.get(11)?,
    })
}

/// The row of an access token.
pub fn find(conn: &Connection, jti: &str) -> Result<Option<TokenRecord>, StorageError> {
    let sql = format!("SELECT {RECORD_COLUMNS} FROM tokens WHERE id = ?1");
    Ok(conn.query_row(&sql, [jti], record).optional()?)
}

/// The row a refresh token belongs to.
pub fn find_refresh(
    conn: &Connection,
    refresh_token: &str,
) -> Result<Option<TokenRecord>, StorageError> {
    let sql = format!("SELECT {RECORD_COLUMNS} FROM tokens WHERE refresh_hash = ?1");
    Ok(conn.query_row(&sql, [refresh_hash(refresh_token)], record).optional()?)
}

/// Marks a refresh token spent (in the transaction that found it unspent).
pub fn spend_refresh(tx: &Transaction<'_>, jti: &str, now: i64) -> Result<(), StorageError> {
    tx.execute("UPDATE tokens SET refresh_spent_at = ?1 WHERE id = ?2", params![now, jti])?;
    Ok(())
}

/// Takes `uses` of an access token's remaining uses away from it (they move to a token made from
/// it). The caller checked, in the same transaction, that it has that many left.
pub fn take_uses(tx: &Transaction<'_>, jti: &str, uses: i64) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE tokens SET uses_count = min(uses_limit, uses_count + ?1) WHERE id = ?2",
        params![uses, jti],
    )?;
    Ok(())
}

/// Revokes every token of a family; returns the ids of its access tokens that have not expired.
pub fn revoke_family(
    conn: &Connection,
    family: &str,
    now: i64,
) -> Result<Vec<String>, StorageError> {
    conn.execute(
        "UPDATE tokens SET revoked_at = ?1 WHERE family = ?2 AND revoked_at IS NULL",
        params![now, family],
    )?;
    let mut stmt =
        conn.prepare("SELECT id FROM tokens WHERE family = ?1 AND access_expires_at > ?2")?;
    let ids =
        stmt.query_map(params![family, now], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
    Ok(ids)
}

/// The sessions of the subtree rooted at the session of the access token `?1`.
const SUBTREE: &str = "WITH RECURSIVE subtree(session) AS (
        SELECT session FROM tokens WHERE id = ?1
        UNION
        SELECT t.session FROM tokens t JOIN subtree ON t.parent_session = subtree.session
    )";

/// Logout: revokes the session of an access token and every session minted from it, at any
/// depth. Returns the ids of the access tokens revoked that have not expired. Idempotent.
pub fn revoke_session_tree(
    conn: &mut Connection,
    jti: &str,
    now: i64,
) -> Result<Vec<String>, StorageError> {
    let tx = conn.transaction()?;
    tx.execute(
        &format!(
            "{SUBTREE} UPDATE tokens SET revoked_at = ?2
             WHERE session IN (SELECT session FROM subtree) AND revoked_at IS NULL"
        ),
        params![jti, now],
    )?;
    let ids = {
        let mut stmt = tx.prepare(&format!(
            "{SUBTREE} SELECT id FROM tokens
             WHERE session IN (SELECT session FROM subtree) AND access_expires_at > ?2"
        ))?;
        stmt.query_map(params![jti, now], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?
    };
    tx.commit()?;
    Ok(ids)
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

/// Deletes the rows that can no longer authenticate anything, once `retention` seconds have
/// passed since they stopped: the access token expired, and the refresh token expired or was
/// revoked. Returns how many went.
///
/// A row whose access token has not expired always stays, revoked or not: the revocation list
/// is loaded from these rows, so deleting one early would make a revoked token valid again at
/// the next start. A spent refresh token stays until it expires, so that presenting it again
/// still revokes its family.
pub fn prune(conn: &Connection, now: i64, retention: i64) -> Result<usize, StorageError> {
    let cutoff = now.saturating_sub(retention.max(0));
    Ok(conn.execute(
        "DELETE FROM tokens
         WHERE access_expires_at <= ?1
           AND (refresh_expires_at <= ?1 OR (revoked_at IS NOT NULL AND revoked_at <= ?1))",
        [cutoff],
    )?)
}
