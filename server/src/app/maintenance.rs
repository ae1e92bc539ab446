//! Maintenance mode (the dokku-maintenance plugin).
//!
//! The read is one call, `maintenance:report <app> --maintenance-enabled`, which every plugin
//! version since 0.6.0 answers with `true` or `false` (the JSON report needs plugin 0.9.0, and
//! the plugin's version is not something the server can know without another call).
//! `maintenance:enable/disable` are idempotent ("already enabled", exit 0) and only reload nginx.

use dokku_pro_api::models::{Maintenance, MaintenanceAttributes};

use super::{AppError, OpContext, plugin_error, switch_plugin};
use crate::host::DokkuCommand;
use crate::host::parse::parse_maintenance_enabled;
use crate::ids::AppName;

fn maintenance(app: &AppName, enabled: bool) -> Maintenance {
    Maintenance::record(
        app.to_string(),
        MaintenanceAttributes { app_id: Some(app.to_string()), enabled: Some(enabled) },
    )
}

/// `getMaintenanceForApp`: the one record, in a list as the seed has it.
pub async fn get_maintenance_for_app(
    opctx: &OpContext,
    app: &AppName,
) -> Result<Vec<Maintenance>, AppError> {
    let cmd =
        DokkuCommand::new("maintenance:report").arg(app.as_str()).arg("--maintenance-enabled");
    let enabled = opctx
        .host
        .query(&cmd, parse_maintenance_enabled)
        .await
        .map_err(|e| plugin_error(e, app))?;
    Ok(vec![maintenance(app, enabled)])
}

/// `updateMaintenances`: turns maintenance mode on or off.
pub async fn update_maintenances(
    opctx: &OpContext,
    app: &AppName,
    data: Maintenance,
) -> Result<Maintenance, AppError> {
    let attributes = data.attributes.unwrap_or_default();
    let ids = (data.id.as_deref(), attributes.app_id.as_deref());
    let enabled = ("data.attributes.enabled", attributes.enabled);
    Ok(maintenance(app, switch_plugin(opctx, app, ids, enabled, "maintenance").await?))
}
