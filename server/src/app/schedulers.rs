//! Schedulers and an app's scheduler settings (the family logic is [`super::selectable`]'s).
//!
//! | operation | calls | commands |
//! |---|---|---|
//! | `getSchedulers` | 1 | `plugin:list --format json` (0.38.22+; before: the `plugin:list` text table) |
//! | `getSchedulerById` | 1 | the same listing |
//! | `getSchedulerSettingsForApp` | 1 | `scheduler:report <app> --format json` (exit 20 = 404) |
//! | `updateSchedulerSettings` | 1 to 3 | the listing (only when `selected` names a scheduler), `scheduler:set <app> selected [<v>]`, then the report |
//!
//! The decisions are the builders' ([`super::builders`]): schedulers are the enabled
//! `scheduler-*` plugins without the prefix (`docker-local`, `k3s`, `null`), looked up in the
//! listing rather than with the root-only `plugin:installed`; `selected` must name an installed
//! scheduler (400 otherwise; Dokku stores anything), `""` clears it; read-only attributes are
//! ignored; unset values are `""`. Before Dokku 0.38.0 `global_selected` reports the default
//! `docker-local` when unset; that is what the host says, and it is passed on.
//!
//! This module mirrors [`super::builders`] on purpose: the shared logic is
//! [`super::selectable`]'s, and what stays is the mapping to the scheduler model types.

use dokku_pro_api::models::{
    Scheduler, SchedulerAttributes, SchedulerSetting, SchedulerSettingAttributes,
};

use super::selectable::{SCHEDULERS, optional};
use super::{AppError, OpContext};
use crate::host::parse::{SchedulerReport, parse_scheduler_report_json};
use crate::ids::{AppName, PluginSuffix};

fn scheduler(name: &str) -> Scheduler {
    Scheduler::record(name.to_string(), SchedulerAttributes { name: Some(name.to_string()) })
}

/// `getSchedulers`.
pub async fn get_schedulers(opctx: &OpContext) -> Result<Vec<Scheduler>, AppError> {
    Ok(SCHEDULERS.installed(opctx).await?.iter().map(|n| scheduler(n)).collect())
}

/// `getSchedulerById`.
pub async fn get_scheduler_by_id(
    opctx: &OpContext,
    name: &PluginSuffix,
) -> Result<Scheduler, AppError> {
    SCHEDULERS.get(opctx, name).await?;
    Ok(scheduler(name.as_str()))
}

fn setting(app: &AppName, report: SchedulerReport) -> SchedulerSetting {
    SchedulerSetting::record(
        app.to_string(),
        SchedulerSettingAttributes {
            app_id: Some(app.to_string()),
            selected: Some(report.selected.unwrap_or_default()),
            global_selected: Some(report.global_selected.unwrap_or_default()),
            computed_selected: Some(report.computed_selected.unwrap_or_default()),
        },
    )
}

async fn report(opctx: &OpContext, app: &AppName) -> Result<SchedulerReport, AppError> {
    Ok(opctx.host.query(&SCHEDULERS.report_command(app), parse_scheduler_report_json).await?)
}

/// `getSchedulerSettingsForApp`: the one record, in a list as the seed has it.
pub async fn get_scheduler_settings_for_app(
    opctx: &OpContext,
    app: &AppName,
) -> Result<Vec<SchedulerSetting>, AppError> {
    Ok(vec![setting(app, report(opctx, app).await?)])
}

/// `updateSchedulerSettings`.
pub async fn update_scheduler_settings(
    opctx: &OpContext,
    app: &AppName,
    data: SchedulerSetting,
) -> Result<SchedulerSetting, AppError> {
    let attributes = data.attributes.unwrap_or_default();
    SCHEDULERS.check_ids(app, data.id.as_deref(), attributes.app_id.as_deref())?;
    let selected = optional(attributes.selected.as_deref(), |s| SCHEDULERS.parse_name(s))?;
    SCHEDULERS.set(opctx, app, selected, Vec::new()).await?;
    Ok(setting(app, report(opctx, app).await?))
}
