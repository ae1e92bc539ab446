//! Apps: list, create, read, delete, and lock or unlock for deploys.
//!
//! # Dokku invocations per operation
//!
//! | operation | calls | commands |
//! |---|---|---|
//! | `getApps` | 1 | `apps:report --format json` (no app: one JSON object per app and line) |
//! | `getAppById` | 1 | `apps:report <app> --format json` (exit 20 = 404; no separate `apps:exists`) |
//! | `addApp` | 1, 2 with `locked: true` | `apps:create <app>` [, `apps:lock <app>`] |
//! | `updateApp` | 1 or 2 | `apps:report <app> --format json`, then `apps:lock`/`apps:unlock` only when the state changes |
//! | `deleteApp` | 1 | `--force apps:destroy <app>` (never the confirmation prompt) |
//!
//! # Listing in one call
//!
//! Each [`App`] needs `locked`, which only the report has. Listing names (`apps:list`) and
//! then reporting each app costs N+1 calls. `apps:report --format json` without an app reports
//! every app, one JSON object per line, in `apps:list` order, but without an app-name key
//! (a Dokku report without an app loops over every app). Every object has `dir` (`app-dir` before 0.38.8), which Dokku builds as
//! `$DOKKU_ROOT/<app>`; its last path component is the app's name. So the listing is one call
//! on every supported version, and it lists exactly the apps `apps:list` would (both use
//! Dokku's filtered app listing). With no apps the command prints only a warning (exit 0), except
//! on Dokku 0.34.0 to 0.35.15, where it fails with "You haven't deployed any applications yet":
//! that is an empty list too.
//!
//! # Locking
//!
//! `locked` is Dokku's deploy-lock marker (`apps:lock`); it blocks nothing by itself, and any
//! `ps:rebuild` removes it (`docs/dokku-commands.md`). `apps:unlock` fails on an unlocked app, so `updateApp` reads the
//! report first and changes nothing when the app is already in the requested state: PATCH is
//! idempotent. Renaming is not supported: a `data.id` other than the path's app is 403.

use dokku_pro_api::models::{App, AppAttributes};

use super::{AppError, IdRule, OpContext, check_data_id};
use crate::host::parse::{KnownFailure, parse_app_report_json, parse_stderr};
use crate::host::{DokkuCommand, HostError, LockKey, check_status};
use crate::ids::{AppName, required};

/// The API's view of an app.
fn app(name: &AppName, locked: bool) -> App {
    App::record(name.to_string(), AppAttributes { locked })
}

/// Whether the app is locked: `apps:report <app> --format json` (exit 20 = 404).
async fn is_locked(opctx: &OpContext, name: &AppName) -> Result<bool, AppError> {
    let cmd = DokkuCommand::new("apps:report").arg(name.as_str()).arg("--format").arg("json");
    Ok(opctx.host.query(&cmd, parse_app_report_json).await?.locked)
}

/// `getApps`: every app with its lock state, in one Dokku call (see the module docs).
pub async fn get_apps(opctx: &OpContext) -> Result<Vec<App>, AppError> {
    let cmd = DokkuCommand::new("apps:report").arg("--format").arg("json");
    let out = opctx.host.read(&cmd).await?;
    // Dokku 0.34.0 to 0.35.15 fail the listing of a host with no app at all.
    if out.status == 1 && parse_stderr(&out.stderr).known_failure() == Some(KnownFailure::NoApps) {
        return Ok(Vec::new());
    }
    let stdout = check_status(&cmd, out)?.stdout;
    let mut apps = Vec::new();
    // A warning line (` !     `) shows up here only when a pty merged the streams.
    for line in stdout.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('!')) {
        let report = parse_app_report_json(line).map_err(|e| HostError::unreadable(&cmd, e))?;
        let name = report
            .dir
            .as_deref()
            .map(|dir| dir.trim_end_matches('/'))
            .and_then(|dir| dir.rsplit('/').next())
            .ok_or_else(|| HostError::unreadable(&cmd, "an app report without `dir`"))?;
        let name = AppName::parse(name).map_err(|_| {
            HostError::unreadable(&cmd, "an app dir that does not end in an app name")
        })?;
        apps.push(app(&name, report.locked));
    }
    Ok(apps)
}

/// `getAppById`.
pub async fn get_app_by_id(opctx: &OpContext, name: &AppName) -> Result<App, AppError> {
    Ok(app(name, is_locked(opctx, name).await?))
}

/// `addApp`: `data.id` is the new app's name; `data.attributes.locked: true` creates it locked.
/// An existing name is 409.
pub async fn add_app(opctx: &OpContext, data: App) -> Result<App, AppError> {
    let name = AppName::parse_new(&required(data.id, "data.id (the app name)")?)?;
    let locked = data.attributes.is_some_and(|a| a.locked);
    let lock = opctx.host.lock(LockKey::App(name.clone())).await;
    let cmd = DokkuCommand::new("apps:create").arg(name.as_str());
    let out = lock.run_raw(&cmd).await?;
    if out.status == 1
        && parse_stderr(&out.stderr).known_failure() == Some(KnownFailure::AppNameTaken)
    {
        return Err(AppError::Conflict(format!("App {name} already exists")));
    }
    check_status(&cmd, out)?;
    if locked {
        lock.run(&DokkuCommand::new("apps:lock").arg(name.as_str())).await?;
    }
    Ok(app(&name, locked))
}

/// `updateApp`: lock or unlock for deploys. Without `data.attributes` nothing changes and the
/// app is returned as it is.
pub async fn update_app(opctx: &OpContext, name: &AppName, data: App) -> Result<App, AppError> {
    check_data_id(data.id.as_deref(), name.as_str(), IdRule::Update { what: "App" })?;
    let Some(wanted) = data.attributes.map(|a| a.locked) else {
        return get_app_by_id(opctx, name).await;
    };
    let lock = opctx.host.lock(LockKey::App(name.clone())).await;
    if is_locked(opctx, name).await? == wanted {
        return Ok(app(name, wanted));
    }
    if wanted {
        lock.run(&DokkuCommand::new("apps:lock").arg(name.as_str())).await?;
    } else {
        let cmd = DokkuCommand::new("apps:unlock").arg(name.as_str());
        let out = lock.run_raw(&cmd).await?;
        // A deploy that ended since the report removes the lock itself: already unlocked.
        let gone = out.status == 1
            && parse_stderr(&out.stderr).known_failure() == Some(KnownFailure::NotLocked);
        if !gone {
            check_status(&cmd, out)?;
        }
    }
    Ok(app(name, wanted))
}

/// `deleteApp`: destroys the app and its add-on links, without a prompt.
pub async fn delete_app(opctx: &OpContext, name: &AppName) -> Result<(), AppError> {
    let lock = opctx.host.lock(LockKey::App(name.clone())).await;
    lock.run(&DokkuCommand::new("apps:destroy").arg(name.as_str()).global_flag("--force")).await?;
    Ok(())
}
