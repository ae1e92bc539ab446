//! dokku-pro-api: a server for the Dokku Pro REST API.
//!
//! # Architecture
//!
//! ```text
//! client -> front door (front.rs: one listener, connection cap and timeouts; body limit and
//!           shapes, error envelope for router errors, WWW-Authenticate, 5xx logged)
//!        -> dropshot's request handling, in process -> http_entrypoints (thin: extract and
//!           wrap through envelope.rs, call) -> app layer (validate, run Dokku commands or queue jobs)
//!        -> host layer (local/ssh/sim)
//! ```
//!
//! dropshot is a patched copy (`vendor/dropshot`, see its `PATCHES.md`) whose request handling
//! can be built without its listener, so the server has one socket and one hop, and the front
//! door decides what a connection may hold.
//!
//! The contract (models and the `DokkuProApi` trait) is generated from the seed OpenAPI document
//! into the `dokku-pro-api` crate; this crate implements it. HTTP status codes are chosen in one
//! place (`dokku_pro_api::error::ApiError` and the conversions into it); handlers never build
//! Dokku commands, SQL or parse output themselves.
//!
//! Logging is slog (dropshot's logger), to stderr, through `logging::Redact` so that no credential
//! reaches a log line.

pub mod app;
pub mod audit;
pub mod auth;
pub mod body_shape;
pub mod config;
pub mod context;
pub mod docs_page;
pub mod doctor;
pub mod envelope;
pub mod error;
pub mod fatal_signals;
pub mod front;
pub mod health;
pub mod host;
pub mod http_entrypoints;
pub mod ids;
pub mod jobs;
pub mod logging;
pub mod metrics;
pub mod retention;
pub mod storage;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use dropshot::{ConfigDropshot, HandlerTaskMode, ServerBuilder};
use slog::{Logger, info};

use crate::config::Config;
use crate::context::ApiContext;

/// A running server.
pub struct Server {
    /// The password of the `admin` user created at this start (first start only).
    pub initial_admin_password: Option<String>,
    local_addr: SocketAddr,
    front: front::FrontDoor<Arc<ApiContext>>,
    host: Arc<host::Host>,
    sim: Option<Arc<dokku_sim::SimHost>>,
    jobs: Arc<jobs::Jobs>,
    audit: Arc<audit::AuditLog>,
    health: Arc<health::Monitor>,
    pruner: tokio::task::JoinHandle<()>,
    log: Logger,
}

/// Starts the server on `config.bind`.
pub async fn start(config: &Config, log: Logger) -> Result<Server> {
    create_data_dir(&config.data_dir)?;
    // The start's local work (the database, the first admin's password hash, the token signing
    // key) runs on a blocking thread while the host answers `dokku version`.
    let local = {
        let (data_dir, settings) = (config.data_dir.clone(), config.auth.settings());
        let auth_log = log.new(slog::o!("component" => "auth"));
        tokio::task::spawn_blocking(move || -> Result<_> {
            let storage = storage::Storage::open(&data_dir)?;
            let initial_admin_password = auth::ensure_initial_admin(&storage, &data_dir)
                .map_err(|e| anyhow::anyhow!("creating the first user: {e}"))?;
            let authenticator =
                auth::Authenticator::open(storage.clone(), &data_dir, settings, auth_log)
                    .context("loading the token signing key")?;
            Ok((storage, initial_admin_password, authenticator))
        })
    };
    let connected = host::setup::connect(&config.host, &config.data_dir).await;
    // Awaited even when the host failed: the first admin and its password file are made whole.
    let (storage, initial_admin_password, authenticator) =
        local.await.context("opening the data directory")??;
    authenticator.start_background_tasks();
    let connected = connected
        .map_err(|e| anyhow::anyhow!("cannot use the Dokku host: {}", error::chain(&e)))?;
    info!(log, "connected to Dokku";
        "host" => connected.host.kind(), "version" => connected.host.version().to_string());
    let health = health::Monitor::start(
        storage.clone(),
        connected.host.clone(),
        doctor::Setup { host: config.host.clone(), data_dir: config.data_dir.clone() },
        log.new(slog::o!("component" => "health")),
    );
    let audit = audit::AuditLog::start(storage.clone(), log.new(slog::o!("component" => "audit")));
    let jobs = jobs::Jobs::open(
        storage.clone(),
        connected.host.clone(),
        config.jobs.settings(),
        log.new(slog::o!("component" => "jobs")),
    )
    .await
    .map_err(|e| anyhow::anyhow!("opening the job queue: {}", error::chain(&e)))?;
    // Rendered once: served at /openapi.json, and read by the front door's body checks.
    let openapi = match dokku_pro_api::openapi::document() {
        serde_json::Value::Object(map) => Arc::new(map),
        _ => unreachable!("the document is a JSON object"),
    };
    let context = Arc::new(
        ApiContext::new(
            log.clone(),
            authenticator,
            connected.host.clone(),
            jobs.clone(),
            health.clone(),
            audit.clone(),
            openapi.clone(),
        )
        .with_trusted_proxies(config.http.trusted_proxies.clone()),
    );
    let front_log = log.new(slog::o!("component" => "front"));
    let mut settings = config.front_settings();
    settings.max_connections = front::raise_open_file_limit(settings.max_connections, &front_log);
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("binding {}", config.bind))?;
    let local_addr = listener.local_addr()?;
    let dropshot_config = ConfigDropshot {
        default_request_body_max_bytes: config.request_body_max_bytes,
        // Handlers run Dokku commands; neither a client that hangs up nor the front door's
        // handler timeout may cancel one halfway.
        default_handler_task_mode: HandlerTaskMode::Detached,
        ..ConfigDropshot::default()
    };
    let hook: front::AuditHook = {
        let context = context.clone();
        Arc::new(move |refused| {
            let context = context.clone();
            Box::pin(async move { context.record_refused(refused).await })
        })
    };
    let service = ServerBuilder::new(http_entrypoints::api(), context, log.clone())
        .config(dropshot_config)
        .build_service(local_addr)
        .map_err(|e| anyhow::anyhow!("building the HTTP server: {e}"))?;
    let bodies =
        body_shape::BodyShapes::from_openapi(serde_json::Value::Object(openapi.as_ref().clone()));
    let front = front::FrontDoor::start(listener, service, bodies, settings, Some(hook), front_log);
    // Workers start once everything else did, so a failed start leaves no job half-run.
    jobs.start();
    let pruner = retention::start(
        storage,
        config.retention_settings(),
        log.new(slog::o!("component" => "retention")),
    );
    info!(log, "serving the Dokku Pro API"; "url" => format!("http://{local_addr}{}", dokku_pro_api::BASE_PATH));
    Ok(Server {
        initial_admin_password,
        local_addr,
        front,
        host: connected.host,
        sim: connected.sim,
        jobs,
        audit,
        health,
        pruner,
        log,
    })
}

/// The data directory holds keys and password hashes: owner-only.
pub fn create_data_dir(dir: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating the data directory {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("restricting the data directory {}", dir.display()))?;
    Ok(())
}

impl Server {
    /// The address clients connect to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The Dokku host the server drives.
    pub fn host(&self) -> &Arc<host::Host> {
        &self.host
    }

    /// The simulated host, when the server runs on one (`--sim`).
    pub fn sim(&self) -> Option<&Arc<dokku_sim::SimHost>> {
        self.sim.as_ref()
    }

    /// The background job queue.
    pub fn jobs(&self) -> &Arc<jobs::Jobs> {
        &self.jobs
    }

    /// The audit log.
    pub fn audit(&self) -> &Arc<audit::AuditLog> {
        &self.audit
    }

    /// Returns once the first round of setup checks (which the start does not wait for) is in:
    /// for callers that count Dokku commands and want none of theirs in the count.
    pub async fn setup_checks_done(&self) {
        self.health.setup_checks_done().await
    }

    /// Stops accepting connections, closes idle ones, lets requests in progress finish (within
    /// the configured grace period), and waits for handlers still running. Running jobs get
    /// their own bounded wait; waiting ones stay queued for the next start.
    pub async fn shutdown(self) -> Result<()> {
        info!(self.log, "shutting down");
        // Concurrently: job output streams end at once, so they do not hold the front door's
        // grace period; requests in progress may still queue jobs (they stay pending).
        tokio::join!(self.jobs.shutdown(), self.front.shutdown());
        self.pruner.abort();
        // Every request has ended: their audit events are all queued.
        self.audit.shutdown().await;
        info!(self.log, "stopped");
        Ok(())
    }
}
