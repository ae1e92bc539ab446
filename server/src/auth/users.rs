//! Users: names and argon2id password hashes in the database. Used by the server (login) and by
//! the `dokku-pro-api user ...` commands.

use rusqlite::{Connection, OptionalExtension, params};

use super::password;
use crate::storage::{StorageError, now};

/// A stored user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub password_hash: String,
}

/// Why a user command failed.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error(
        "invalid user name {0:?}: use 1-64 letters, digits, `.`, `_`, `@` or `-`, starting with a letter or digit"
    )]
    BadName(String),
    #[error("{0}")]
    WeakPassword(String),
    #[error("user {0} already exists")]
    Exists(String),
    #[error("user {0} does not exist")]
    NotFound(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<rusqlite::Error> for UserError {
    fn from(e: rusqlite::Error) -> Self {
        UserError::Storage(e.into())
    }
}

pub fn validate_name(name: &str) -> Result<(), UserError> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
    if first_ok && rest_ok && name.len() <= 64 {
        Ok(())
    } else {
        Err(UserError::BadName(name.to_string()))
    }
}

pub fn find(conn: &Connection, name: &str) -> Result<Option<User>, UserError> {
    Ok(conn
        .query_row("SELECT id, name, password_hash FROM users WHERE name = ?1", [name], |r| {
            Ok(User { id: r.get(0)?, name: r.get(1)?, password_hash: r.get(2)? })
        })
        .optional()?)
}

/// The name of the user with this id.
pub fn name_of(conn: &Connection, id: i64) -> Result<Option<String>, StorageError> {
    Ok(conn.query_row("SELECT name FROM users WHERE id = ?1", [id], |r| r.get(0)).optional()?)
}

/// The stored password hash of the user with this id.
pub fn password_hash(conn: &Connection, id: i64) -> Result<Option<String>, StorageError> {
    Ok(conn
        .query_row("SELECT password_hash FROM users WHERE id = ?1", [id], |r| r.get(0))
        .optional()?)
}

pub fn count(conn: &Connection) -> Result<i64, UserError> {
    Ok(conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?)
}

pub fn add(conn: &Connection, name: &str, password: &str) -> Result<User, UserError> {
    validate_name(name)?;
    password::check_strength(password).map_err(UserError::WeakPassword)?;
    if find(conn, name)?.is_some() {
        return Err(UserError::Exists(name.to_string()));
    }
    let hash = password::hash(password);
    let t = now();
    conn.execute(
        "INSERT INTO users (name, password_hash, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
        params![name, hash, t],
    )?;
    Ok(User { id: conn.last_insert_rowid(), name: name.to_string(), password_hash: hash })
}

/// Sets a new password and revokes the user's tokens (whoever knew the old password may hold
/// some).
pub fn set_password(conn: &mut Connection, name: &str, password: &str) -> Result<(), UserError> {
    password::check_strength(password).map_err(UserError::WeakPassword)?;
    let user = find(conn, name)?.ok_or_else(|| UserError::NotFound(name.to_string()))?;
    let hash = password::hash(password);
    let t = now();
    let tx = conn.transaction()?;
    tx.execute(
        "UPDATE users SET password_hash = ?1, updated_at = ?2 WHERE id = ?3",
        params![hash, t, user.id],
    )?;
    tx.execute(
        "UPDATE tokens SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
        params![t, user.id],
    )?;
    tx.commit()?;
    Ok(())
}

/// Removes a user. Their tokens are revoked first (the rows stay, so they stay revoked).
pub fn remove(conn: &mut Connection, name: &str) -> Result<(), UserError> {
    let user = find(conn, name)?.ok_or_else(|| UserError::NotFound(name.to_string()))?;
    let t = now();
    let tx = conn.transaction()?;
    tx.execute(
        "UPDATE tokens SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
        params![t, user.id],
    )?;
    tx.execute("DELETE FROM users WHERE id = ?1", [user.id])?;
    tx.commit()?;
    Ok(())
}

pub fn list(conn: &Connection) -> Result<Vec<String>, UserError> {
    let mut stmt = conn.prepare("SELECT name FROM users ORDER BY name")?;
    let names = stmt.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
    Ok(names)
}
