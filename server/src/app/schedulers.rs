//! Schedulers and an app's scheduler settings (dokku-host.md §3.11).
//!
//! # Dokku invocations per operation
//!
//! | operation | calls | commands |
//! |---|---|---|
//! | `getSchedulers` | 1 | `plugin:list --format json` (0.38.22+; before: the `plugin:list` text table) |
//! | `getSchedulerById` | 1 | the same listing |
//! | `getSchedulerSettingsForApp` | 1 | `scheduler:report <app> --format json` (exit 20 = 404) |
//! | `updateSchedulerSettings` | 1 to 3 | the listing (only when `selected` names a scheduler), `scheduler:set <app> selected [<v>]`, then the report |
//!
//! The decisions are the builders' ([`super::builders`]): schedulers are the enabled
//! `scheduler-*` plugins without the prefix (`docker-local`, `k3s`, `null`; the names Dokku's
//! dispatcher aliases, dokku-host.md §3.11), looked up in the listing rather than with the
//! root-only `plugin:installed`; `selected` must name an installed scheduler (400 otherwise;
//! Dokku stores anything), `""` clears it; read-only attributes are ignored; unset values are
//! `""`. Before Dokku 0.38.0 `global_selected` reports the default `docker-local` when unset;
//! that is what the host says, and it is passed on.

use dokku_pro_api::models::{
    Scheduler, SchedulerAttributes, SchedulerSetting, SchedulerSettingAttributes,
    SchedulerSettingType, SchedulerType,
};

use super::AppError;
use super::builders::{check_installed, check_same_app, installed_with_prefix, set_command};
use super::validate;
use crate::auth::Actor;
use crate::host::parse::{SchedulerReport, parse_scheduler_report_json};
use crate::host::{DokkuCommand, Host};

const PREFIX: &str = "scheduler-";

fn scheduler(name: &str) -> Scheduler {
    Scheduler {
        id: Some(name.to_string()),
        type_: Some(SchedulerType::Schedulers),
        attributes: Some(SchedulerAttributes { name: Some(name.to_string()) }),
    }
}

/// `GET /schedulers`.
pub async fn list(host: &Host, _actor: &Actor) -> Result<Vec<Scheduler>, AppError> {
    Ok(installed_with_prefix(host, PREFIX).await?.iter().map(|n| scheduler(n)).collect())
}

/// `GET /schedulers/{schedulerId}`: 404 when no such scheduler is installed and enabled.
pub async fn get(host: &Host, _actor: &Actor, name: &str) -> Result<Scheduler, AppError> {
    validate::scheduler_name(name)?;
    if installed_with_prefix(host, PREFIX).await?.iter().any(|n| n == name) {
        Ok(scheduler(name))
    } else {
        Err(AppError::NotFound(format!("Scheduler {name} is not installed")))
    }
}

fn setting(app: &str, report: SchedulerReport) -> SchedulerSetting {
    SchedulerSetting {
        id: Some(app.to_string()),
        type_: Some(SchedulerSettingType::SchedulerSettings),
        attributes: Some(SchedulerSettingAttributes {
            app_id: Some(app.to_string()),
            selected: Some(report.selected.unwrap_or_default()),
            global_selected: Some(report.global_selected.unwrap_or_default()),
            computed_selected: Some(report.computed_selected.unwrap_or_default()),
        }),
    }
}

async fn report(host: &Host, app: &str) -> Result<SchedulerReport, AppError> {
    let cmd = DokkuCommand::new("scheduler:report").arg(app).arg("--format").arg("json");
    Ok(host.query(&cmd, parse_scheduler_report_json).await?)
}

/// `GET /apps/{appId}/schedulerSetting`: the one record, in a list as the seed has it.
pub async fn get_settings(
    host: &Host,
    _actor: &Actor,
    app: &str,
) -> Result<Vec<SchedulerSetting>, AppError> {
    validate::existing_app_name(app)?;
    Ok(vec![setting(app, report(host, app).await?)])
}

/// `PATCH /schedulerSettings/{appId}`.
pub async fn update_settings(
    host: &Host,
    _actor: &Actor,
    app: &str,
    data: Option<SchedulerSetting>,
) -> Result<SchedulerSetting, AppError> {
    validate::existing_app_name(app)?;
    let data = validate::required(data, "data")?;
    check_same_app(app, data.id.as_deref(), "data.id")?;
    let attributes = data.attributes.unwrap_or_default();
    check_same_app(app, attributes.app_id.as_deref(), "data.attributes.app_id")?;
    if let Some(selected) = attributes.selected.as_deref().filter(|s| !s.is_empty()) {
        validate::scheduler_name(selected)?;
    }
    let _lock = host.lock_app(app).await;
    if let Some(selected) = attributes.selected.as_deref() {
        if !selected.is_empty() {
            let installed = installed_with_prefix(host, PREFIX).await?;
            check_installed(selected, &installed, "scheduler")?;
        }
        host.run(&set_command("scheduler:set", app, "selected", selected)).await?;
    }
    Ok(setting(app, report(host, app).await?))
}
