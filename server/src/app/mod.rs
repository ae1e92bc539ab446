//! The app layer: one module per spec tag, one function per operation, named after its
//! `operationId` (`getAppById` is [`apps::get_app_by_id`]). Each takes the [`OpContext`] (so no
//! operation runs unauthenticated) and typed values ([`crate::ids`]): the entry points parse path
//! parameters, the operation parses its body's `data` first thing, so nothing unchecked reaches a
//! Dokku command. It takes the lock of what it changes ([`crate::host::LockKey`]), runs Dokku
//! commands or queues a job ([`apply`]), and returns the spec's models.
//!
//! The functions of one kind read alike by design, not by copying: a read takes the app, asks
//! one report and maps it to the models; a change takes the record, unpacks its attributes,
//! checks its ids, then runs one command under the lock. Their signatures are the operations',
//! and each runs its own Dokku command on its own model, so there is nothing to share beyond
//! [`apply`], [`selectable`] and the record constructors generated for every model.
//!
//! Errors are [`AppError`]; `crate::error` turns them into HTTP statuses (`docs/status-codes.md`):
//! invalid input 400, unknown resource 404, already exists 409, forbidden 403, and host errors as
//! the host layer says (unknown app 404, Dokku refused 400, unreachable 503, timeout 504).

pub mod apply;
pub mod apps;
pub mod audit;
pub mod builders;
pub mod buildpacks;
pub mod datastores;
pub mod domains;
pub mod envs;
pub mod formations;
pub mod http_auth;
pub mod maintenance;
mod plugins;
pub mod queue_jobs;
pub mod resources;
pub mod schedulers;
pub mod selectable;
pub mod services;
pub mod ssh_keys;

pub use crate::context::OpContext;
use crate::host::HostError;
use crate::ids::{Invalid, quote};

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
    /// The server's database failed (reading the audit log).
    #[error("the database failed")]
    Storage(#[from] crate::storage::StorageError),
}

impl From<Invalid> for AppError {
    fn from(e: Invalid) -> Self {
        AppError::Invalid(e.0)
    }
}

/// What a request body's `data.id` is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdRule {
    /// An update of the object the path names (`what`: `App`, `HTTP auth user`): another id
    /// would rename it, which no operation supports (403, as the seed documents for apps and
    /// http-auth users). Settings objects (builder, scheduler, maintenance, http-auth) are named
    /// by their app.
    Update { what: &'static str },
    /// A create: the attributes name the object, and another id contradicts them (400).
    Create,
}

/// A page size from a `limit` query parameter: `default` when absent, else a whole number from 1
/// to `max`.
pub fn page_limit(text: Option<&str>, default: u32, max: u32) -> Result<u32, AppError> {
    let Some(text) = text else { return Ok(default) };
    text.parse::<u32>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
        AppError::Invalid(format!(
            "invalid limit {}: use a whole number from 1 to {max}",
            crate::ids::quote(text)
        ))
    })
}

/// One page of a listing read with `limit + 1` rows: the first `limit`, and when more follow, the
/// path of the next page, which `next` makes from the last row of this one.
pub fn page<T>(
    mut found: Vec<T>,
    limit: u32,
    next: impl FnOnce(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let more = found.len() > limit as usize;
    found.truncate(limit as usize);
    let next = found.last().filter(|_| more).map(next);
    (found, next)
}

/// The one rule for `data.id`: absent, or the id the rest of the request gives the object.
pub fn check_data_id(given: Option<&str>, expected: &str, rule: IdRule) -> Result<(), AppError> {
    match given {
        Some(id) if id != expected => Err(match rule {
            IdRule::Update { what } => AppError::Forbidden(format!(
                "{what} renaming is not supported (data.id {} differs from {expected}, named by \
                 the path)",
                quote(id)
            )),
            IdRule::Create => AppError::Invalid(format!(
                "data.id {} does not match the attributes ({expected})",
                quote(id)
            )),
        }),
        _ => Ok(()),
    }
}

/// `data.attributes.app_id` of a body whose path names the app: absent, or that app.
pub fn check_app_attribute(
    app: &crate::ids::AppName,
    app_id: Option<&str>,
) -> Result<(), AppError> {
    match app_id {
        Some(other) if other != app.as_str() => Err(AppError::Invalid(format!(
            "data.attributes.app_id {} must be the app in the path ({app})",
            quote(other)
        ))),
        _ => Ok(()),
    }
}

/// The http-auth and maintenance plugins' reports fail with "You haven't deployed any
/// applications yet" when the host has no app at all, even for an app argument: then the app
/// named does not exist either.
pub(crate) fn plugin_error(e: HostError, app: &crate::ids::AppName) -> AppError {
    match e {
        HostError::Refused { message, .. }
            if message.contains("haven't deployed any applications") =>
        {
            AppError::NotFound(format!("App {app} does not exist"))
        }
        other => other.into(),
    }
}

/// The PATCH of a plugin's per-app switch (`http-auth`, `maintenance`): the body's ids must be the
/// app of the path, `enabled` (the attribute called `field`) is required, and `<plugin>:enable`
/// or `<plugin>:disable` runs under the app's lock. Both plugins' switches are idempotent
/// ("already enabled", exit 0). Returns the state set.
pub(crate) async fn switch_plugin(
    opctx: &OpContext,
    app: &crate::ids::AppName,
    (data_id, app_id): (Option<&str>, Option<&str>),
    (field, enabled): (&str, Option<bool>),
    plugin: &str,
) -> Result<bool, AppError> {
    check_data_id(data_id, app.as_str(), IdRule::Update { what: "App" })?;
    check_app_attribute(app, app_id)?;
    let enabled = crate::ids::required(enabled, field)?;
    let lock = opctx.host.lock(crate::host::LockKey::App(app.clone())).await;
    let action = if enabled { "enable" } else { "disable" };
    let command = crate::host::DokkuCommand::new(format!("{plugin}:{action}")).arg(app.as_str());
    lock.run(&command).await.map_err(|e| plugin_error(e, app))?;
    Ok(enabled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_ids_rename_on_update_and_contradict_on_create() {
        let update = IdRule::Update { what: "App" };
        assert!(check_data_id(None, "a", update).is_ok());
        assert!(check_data_id(Some("a"), "a", IdRule::Create).is_ok());
        assert!(matches!(
            check_data_id(Some("b"), "a", update),
            Err(AppError::Forbidden(m)) if m.starts_with("App renaming is not supported")
        ));
        assert!(matches!(check_data_id(Some("b"), "a", IdRule::Create), Err(AppError::Invalid(_))));
    }
}
