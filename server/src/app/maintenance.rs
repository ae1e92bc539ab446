//! Maintenance mode (the dokku-maintenance plugin, dokku-host.md §3.9).
//!
//! The read is one call, `maintenance:report <app> --maintenance-enabled`, which every plugin
//! version since 0.6.0 answers with `true` or `false` (the JSON report needs plugin 0.9.0, and
//! the plugin's version is not something the server can know without another call).
//! `maintenance:enable/disable` are idempotent ("already enabled", exit 0) and only reload nginx.

use dokku_pro_api::models::{Maintenance, MaintenanceAttributes, MaintenanceType};

use super::validate;
use super::{AppError, plugin_error};
use crate::auth::Actor;
use crate::host::parse::parse_maintenance_enabled;
use crate::host::{DokkuCommand, Host};

fn maintenance(app: &str, enabled: bool) -> Maintenance {
    Maintenance {
        id: Some(app.to_string()),
        type_: Some(MaintenanceType::Maintenances),
        attributes: Some(MaintenanceAttributes {
            app_id: Some(app.to_string()),
            enabled: Some(enabled),
        }),
    }
}

/// `GET /apps/{appId}/maintenance`: the one record, in a list as the seed has it.
pub async fn get(host: &Host, _actor: &Actor, app: &str) -> Result<Vec<Maintenance>, AppError> {
    validate::existing_app_name(app)?;
    let cmd = DokkuCommand::new("maintenance:report").arg(app).arg("--maintenance-enabled");
    let enabled =
        host.query(&cmd, parse_maintenance_enabled).await.map_err(|e| plugin_error(e, app))?;
    Ok(vec![maintenance(app, enabled)])
}

/// `PATCH /maintenances/{appId}`.
pub async fn set(
    host: &Host,
    _actor: &Actor,
    app: &str,
    enabled: bool,
) -> Result<Maintenance, AppError> {
    validate::existing_app_name(app)?;
    let _lock = host.lock_app(app).await;
    let subcommand = if enabled { "maintenance:enable" } else { "maintenance:disable" };
    host.run(&DokkuCommand::new(subcommand).arg(app)).await.map_err(|e| plugin_error(e, app))?;
    Ok(maintenance(app, enabled))
}
