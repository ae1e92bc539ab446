//! The app layer: one module per spec tag. Each operation validates its input (before anything
//! reaches Dokku), builds host commands and runs them (or queues a job), and returns typed
//! results. Functions take the [`Actor`](crate::auth::Actor) first, so an operation cannot be
//! reached without authentication.
//!
//! Errors are [`AppError`]; `crate::error` turns them into HTTP statuses (DESIGN.md §8):
//! invalid input 400, unknown resource 404, already exists 409, forbidden 403, and host errors
//! as the host layer says (unknown app 404, Dokku refused 400, unreachable 503, timeout 504).

pub mod apps;
pub mod builders;
pub mod buildpacks;
pub mod datastores;
pub mod domains;
pub mod envs;
pub mod formations;
pub mod http_auth;
pub mod maintenance;
pub mod queue_jobs;
pub mod resources;
pub mod schedulers;
pub mod services;
pub mod ssh_keys;
pub mod validate;

use crate::host::HostError;

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The request is wrong: the title says what to fix. Nothing reached Dokku.
    #[error("{0}")]
    Invalid(String),
    /// The thing named does not exist (`App x does not exist`, `Service postgres:x does not exist`).
    #[error("{0}")]
    NotFound(String),
    /// The thing to create already exists.
    #[error("{0}")]
    Conflict(String),
    /// The request is understood but not allowed (`App renaming is not supported`).
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Host(#[from] HostError),
    /// The job queue refused or failed (`crate::jobs`).
    #[error(transparent)]
    Jobs(#[from] crate::jobs::JobError),
}

/// The http-auth and maintenance plugins' reports fail with "You haven't deployed any
/// applications yet" when the host has no app at all, even for an app argument (dokku-host.md
/// §9.16): then the app named does not exist either.
pub(crate) fn plugin_error(e: HostError, app: &str) -> AppError {
    match e {
        HostError::Refused { message, .. }
            if message.contains("haven't deployed any applications") =>
        {
            AppError::NotFound(format!("App {app} does not exist"))
        }
        other => other.into(),
    }
}

impl From<validate::Invalid> for AppError {
    fn from(e: validate::Invalid) -> Self {
        AppError::Invalid(e.0)
    }
}
