//! The `audit_events` table (migration 6 in `crate::storage`) and every statement on it. Times
//! are Unix milliseconds.

use rusqlite::{Connection, Row, params};

use crate::storage::StorageError;

/// One audit event: one request to an operation that changes something.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event {
    /// Its number, in the order events were recorded (0 before it is stored).
    pub id: i64,
    /// When the request arrived.
    pub at_ms: i64,
    pub duration_ms: i64,
    /// The authenticated user; for a failed login, the name it tried.
    pub user: Option<String>,
    /// The `jti` of the access token the request carried (never the token).
    pub token_id: Option<String>,
    /// The `operationId`.
    pub operation: String,
    pub method: String,
    pub app: Option<String>,
    /// The object the request named or created (as its path would carry it).
    pub resource: Option<String>,
    pub request_id: String,
    /// The HTTP status it was answered with.
    pub status: u16,
    /// The job it queued or joined.
    pub job_id: Option<i64>,
    /// The client's address.
    pub client: Option<String>,
}

/// Which events [`list`] returns: all filters hold; newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub app: Option<String>,
    pub user: Option<String>,
    /// At or after this time (ms).
    pub since_ms: Option<i64>,
    /// Before this time (ms).
    pub until_ms: Option<i64>,
    /// Only ids below this one (the next page).
    pub before_id: Option<i64>,
    pub limit: u32,
}

const COLUMNS: &str = "id, at, duration_ms, user, token_id, operation, method, app, resource, \
    request_id, status, job_id, client";

fn event(row: &Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        id: row.get(0)?,
        at_ms: row.get(1)?,
        duration_ms: row.get(2)?,
        user: row.get(3)?,
        token_id: row.get(4)?,
        operation: row.get(5)?,
        method: row.get(6)?,
        app: row.get(7)?,
        resource: row.get(8)?,
        request_id: row.get(9)?,
        status: row.get(10)?,
        job_id: row.get(11)?,
        client: row.get(12)?,
    })
}

/// Stores `events` in one transaction (ids ignored: the table numbers them).
pub fn insert(conn: &mut Connection, events: &[Event]) -> Result<(), StorageError> {
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO audit_events (at, duration_ms, user, token_id, operation, method, app,
                                       resource, request_id, status, job_id, client)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        for e in events {
            stmt.execute(params![
                e.at_ms,
                e.duration_ms,
                e.user,
                e.token_id,
                e.operation,
                e.method,
                e.app,
                e.resource,
                e.request_id,
                e.status,
                e.job_id,
                e.client,
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The events `filter` selects, newest (highest id) first.
pub fn list(conn: &Connection, filter: &Filter) -> Result<Vec<Event>, StorageError> {
    let mut sql = format!("SELECT {COLUMNS} FROM audit_events WHERE 1 = 1");
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    let mut condition = |sql: &mut String, clause: &str, value: rusqlite::types::Value| {
        values.push(value);
        sql.push_str(&format!(" AND {clause} ?{}", values.len()));
    };
    if let Some(app) = &filter.app {
        condition(&mut sql, "app =", app.clone().into());
    }
    if let Some(user) = &filter.user {
        condition(&mut sql, "user =", user.clone().into());
    }
    if let Some(since) = filter.since_ms {
        condition(&mut sql, "at >=", since.into());
    }
    if let Some(until) = filter.until_ms {
        condition(&mut sql, "at <", until.into());
    }
    if let Some(before) = filter.before_id {
        condition(&mut sql, "id <", before.into());
    }
    values.push(i64::from(filter.limit).into());
    sql.push_str(&format!(" ORDER BY id DESC LIMIT ?{}", values.len()));
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values), event)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Deletes at most `batch` events that arrived before `cutoff_ms`, oldest first; returns how
/// many went (fewer than `batch`: none are left).
pub fn prune(conn: &mut Connection, cutoff_ms: i64, batch: u32) -> Result<usize, StorageError> {
    Ok(conn.execute(
        "DELETE FROM audit_events WHERE id IN
            (SELECT id FROM audit_events WHERE at < ?1 ORDER BY at LIMIT ?2)",
        params![cutoff_ms, batch],
    )?)
}
