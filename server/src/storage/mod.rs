//! Storage: one SQLite database in the data directory (rusqlite, bundled SQLite).
//!
//! WAL journal with `synchronous = FULL`: a write is on disk before the call returns, so nothing
//! the API acknowledged is lost to a crash, `kill -9` or power loss. Migrations are embedded and
//! run at open, inside a transaction each, tracked by `PRAGMA user_version`.
//!
//! SQLite calls block, so async code reaches the database through [`Storage::call`], which runs
//! the closure on tokio's blocking pool; one connection behind a mutex serializes writers (SQLite
//! allows one writer at a time anyway) and keeps the code simple.
//!
//! Each table belongs to one module (`auth::tokens`, `jobs::store`, `audit::store`), which
//! declares its row structs and maps rows to them by column position, in its own `SELECT`'s
//! order. Those structs and mappings read alike; a shared mapper would hide which column is
//! which, so each stays next to its statements.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

/// Embedded schema migrations, applied in order. Never edit one that has shipped; add another.
const MIGRATIONS: &[&str] = &[
    // 1: users and tokens.
    "CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE tokens (
        -- The access token's `jti`.
        id TEXT PRIMARY KEY,
        -- NULL once the user is removed; the row stays so the token stays revoked.
        user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        -- Every token minted by refreshing shares its ancestor's family; replaying a spent
        -- refresh token revokes the whole family.
        family TEXT NOT NULL,
        -- SHA-256 of the opaque refresh token (the token itself is never stored).
        refresh_hash TEXT NOT NULL UNIQUE,
        refresh_expires_at INTEGER NOT NULL,
        refresh_spent_at INTEGER,
        access_expires_at INTEGER NOT NULL,
        uses_limit INTEGER,
        uses_count INTEGER NOT NULL DEFAULT 0,
        revoked_at INTEGER,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX tokens_family ON tokens(family);
    CREATE INDEX tokens_user ON tokens(user_id);",
    // 2: background jobs (server/src/jobs/store.rs describes the tables). Times in Unix ms.
    "CREATE TABLE jobs (
        -- AUTOINCREMENT: an id is never reused, so a Content-Location never names another job.
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        internal_id TEXT NOT NULL UNIQUE,
        app TEXT NOT NULL,
        -- restart | rebuild | scale (the `kind` of `action`, for filtering).
        kind TEXT NOT NULL,
        -- The apply action as JSON.
        action TEXT NOT NULL,
        -- The argv it runs as JSON, `dokku` first, secrets masked.
        command TEXT NOT NULL,
        request_id TEXT,
        actor TEXT,
        -- pending | retrying | completed | failed
        state TEXT NOT NULL,
        retry_count INTEGER NOT NULL DEFAULT 0,
        status_message TEXT NOT NULL,
        -- Not picked up before this time (backoff after a retryable failure).
        run_after INTEGER NOT NULL,
        -- The worker running it; a row still claimed at start was interrupted by a crash.
        claimed_by TEXT,
        claimed_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        finished_at INTEGER
    );
    CREATE INDEX jobs_app ON jobs(app, id);
    CREATE INDEX jobs_open ON jobs(state, app, id);
    CREATE TABLE job_requests (
        job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        request_id TEXT,
        actor TEXT,
        action TEXT NOT NULL,
        at INTEGER NOT NULL
    );
    CREATE INDEX job_requests_job ON job_requests(job_id);
    CREATE TABLE job_attempts (
        job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        worker TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        -- completed | skipped | retry | failed | interrupted
        outcome TEXT,
        exit_status INTEGER,
        message TEXT,
        PRIMARY KEY (job_id, attempt)
    ) WITHOUT ROWID;
    CREATE TABLE job_events (
        job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        -- 1, 2, ... per job: the event id of the output stream.
        seq INTEGER NOT NULL,
        attempt INTEGER,
        -- status | stdout | stderr
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (job_id, seq)
    ) WITHOUT ROWID;",
    // 3: changes about to be made whose job is not queued yet (server/src/jobs/store.rs).
    "CREATE TABLE job_intents (
        id INTEGER PRIMARY KEY,
        internal_id TEXT NOT NULL,
        app TEXT NOT NULL,
        action TEXT NOT NULL,
        request_id TEXT,
        actor TEXT,
        created_at INTEGER NOT NULL
    );",
    // 4: tokens minted from tokens (server/src/auth/tokens.rs describes the tree).
    "-- The chain of pairs one login or one mint started, continued by each refresh. Rows
    -- written before this migration each started their own family, so it is their session.
    ALTER TABLE tokens ADD COLUMN session TEXT NOT NULL DEFAULT '';
    UPDATE tokens SET session = family;
    -- The session of the access token this session was minted from; NULL for a login.
    ALTER TABLE tokens ADD COLUMN parent_session TEXT;
    -- No token of this session may expire later than this (its parent's access token expiry).
    ALTER TABLE tokens ADD COLUMN expires_cap INTEGER;
    CREATE INDEX tokens_session ON tokens(session);
    CREATE INDEX tokens_parent_session ON tokens(parent_session);",
    // 5: the row the health check writes (`Storage::heartbeat`): one row, rewritten.
    "CREATE TABLE heartbeat (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        -- Unix ms of the last successful health write.
        at INTEGER NOT NULL
    );
    INSERT INTO heartbeat (id, at) VALUES (1, 0);",
    // 6: the audit log (server/src/audit describes what is recorded) and the index the pruning
    // of finished jobs reads. Times in Unix ms.
    "CREATE TABLE audit_events (
        -- AUTOINCREMENT: ids only grow, so a page cursor (an id) never meets a reused one.
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        -- When the request arrived.
        at INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        -- The authenticated user (for a failed login, the name it tried); NULL without one.
        user TEXT,
        -- The `jti` of the access token the request carried (never the token).
        token_id TEXT,
        operation TEXT NOT NULL,
        method TEXT NOT NULL,
        app TEXT,
        resource TEXT,
        request_id TEXT NOT NULL,
        status INTEGER NOT NULL,
        job_id INTEGER,
        client TEXT
    );
    CREATE INDEX audit_events_at ON audit_events(at);
    CREATE INDEX audit_events_app ON audit_events(app, id);
    CREATE INDEX audit_events_user ON audit_events(user, id);
    CREATE INDEX jobs_finished ON jobs(finished_at) WHERE finished_at IS NOT NULL;",
];

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("cannot open the database {path}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database migration {version} failed")]
    Migrate {
        version: usize,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the database was written by a newer dokku-pro-api (schema {found}, this one knows {known})"
    )]
    TooNew { found: usize, known: usize },
    #[error("database error")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database task failed")]
    Task(#[from] tokio::task::JoinError),
}

/// The database, shared by the auth and jobs layers.
#[derive(Clone)]
pub struct Storage {
    conn: Arc<Mutex<Connection>>,
}

impl Storage {
    /// Opens (creating if needed) `DATA_DIR/dokku-pro-api.db` and migrates it.
    pub fn open(data_dir: &Path) -> Result<Storage, StorageError> {
        let path = data_dir.join("dokku-pro-api.db");
        let open_err = |source| StorageError::Open { path: path.display().to_string(), source };
        let mut conn = Connection::open(&path).map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", true).map_err(open_err)?;
        // A second process (the `user` CLI while the server runs) waits instead of failing.
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(open_err)?;
        migrate(&mut conn)?;
        restrict_permissions(&path);
        Ok(Storage { conn: Arc::new(Mutex::new(conn)) })
    }

    /// Runs `f` with the connection on the blocking pool. `f` may return any error that a
    /// storage error converts into.
    pub async fn call<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StorageError> + Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(|e| E::from(StorageError::Task(e)))?
    }

    /// A real, durable write: rewrites the heartbeat row and commits (with `synchronous = FULL`
    /// the commit reaches the disk). Fails when the database cannot be written: a read-only or
    /// full file system, a file made immutable, an I/O error. The health check's storage probe.
    pub async fn heartbeat(&self) -> Result<(), StorageError> {
        self.call(|c| {
            c.execute("UPDATE heartbeat SET at = ?1 WHERE id = 1", [now_ms()])?;
            Ok(())
        })
        .await
    }

    /// Runs `f` with the connection on the current thread (for the CLI and start-up).
    pub fn call_blocking<T, E>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut conn)
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StorageError> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let current = usize::try_from(current).unwrap_or(usize::MAX);
    if current > MIGRATIONS.len() {
        return Err(StorageError::TooNew { found: current, known: MIGRATIONS.len() });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let version = index + 1;
        let err = |source| StorageError::Migrate { version, source };
        let tx = conn.transaction().map_err(err)?;
        tx.execute_batch(sql).map_err(err)?;
        tx.pragma_update(None, "user_version", version as i64).map_err(err)?;
        tx.commit().map_err(err)?;
    }
    Ok(())
}

/// The database holds password hashes and token records: owner-only.
fn restrict_permissions(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for p in [path.to_path_buf(), path.with_extension("db-wal"), path.with_extension("db-shm")] {
        let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600));
    }
}

/// The schema version this build migrates to.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_run_once_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(dir.path()).unwrap();
        storage
            .call_blocking(|c| {
                c.execute("INSERT INTO users (name, password_hash, created_at, updated_at) VALUES ('a', 'h', 1, 1)", [])?;
                Ok::<_, StorageError>(())
            })
            .unwrap();
        drop(storage);
        let storage = Storage::open(dir.path()).unwrap();
        let (version, users): (i64, i64) = storage
            .call_blocking(|c| {
                let v = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
                let n = c.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
                Ok::<_, StorageError>((v, n))
            })
            .unwrap();
        assert_eq!((version, users), (MIGRATIONS.len() as i64, 1));
        use std::os::unix::fs::PermissionsExt;
        let mode =
            std::fs::metadata(dir.path().join("dokku-pro-api.db")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(Storage::open(dir.path()).unwrap());
        let conn = Connection::open(dir.path().join("dokku-pro-api.db")).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        assert!(matches!(Storage::open(dir.path()), Err(StorageError::TooNew { found: 99, .. })));
    }
}
