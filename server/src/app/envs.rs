//! Environment variables.
//!
//! * Read: `config:export --format json <app>`, one call.
//! * Write: the value is stored at once without a restart, then a `restart` job makes it live
//!   (`202`, [`super::apply`]). Values of any content are stored exactly: on Dokku 0.37.0 and
//!   newer the pair travels as JSON on stdin to `config:import --no-restart --format json <app>
//!   -`, so it never becomes an argument (no SSH re-parse, not in the host's process list); older
//!   hosts get `config:set --no-restart --encoded <app> KEY=<base64>`, whose argument is plain
//!   base64.
//! * Delete: `config:unset --no-restart`, then a `restart` job. Dokku silently accepts unsetting
//!   a key that is not set; the API answers 404 for it instead (one read first).
//!
//! Every write holds the app's lock: Dokku's ENV writes are unlocked read-modify-write.

use base64::Engine as _;
use dokku_pro_api::models::{Env, EnvAttributes};

use super::apply::{change_then_apply, remove_then_apply};
use super::{AppError, IdRule, OpContext, check_data_id};
use crate::host::DokkuCommand;
use crate::host::parse::parse_config_export_json;
use crate::ids::{AppName, EnvKey, EnvValue, required};
use crate::jobs::{ApplyAction, Enqueued};

fn env(app: &AppName, key: &str, value: Option<&str>) -> Env {
    Env::record(
        format!("{app}:{key}"),
        EnvAttributes {
            app_id: Some(app.to_string()),
            key: Some(key.to_string()),
            value: value.map(str::to_string),
        },
    )
}

async fn export(
    opctx: &OpContext,
    app: &AppName,
) -> Result<std::collections::BTreeMap<String, String>, AppError> {
    let cmd = DokkuCommand::new("config:export").arg("--format").arg("json").arg(app.as_str());
    Ok(opctx.host.query(&cmd, parse_config_export_json).await?)
}

/// `getEnvForApp`.
pub async fn get_env_for_app(opctx: &OpContext, app: &AppName) -> Result<Vec<Env>, AppError> {
    let vars = export(opctx, app).await?;
    Ok(vars.iter().map(|(k, v)| env(app, k, Some(v))).collect())
}

/// `addEnv`: sets `key` (creating or replacing it) and queues the restart.
pub async fn add_env(opctx: &OpContext, data: Env) -> Result<(Env, Enqueued), AppError> {
    let attributes = data.attributes.unwrap_or_default();
    let app = AppName::parse(&required(attributes.app_id, "data.attributes.app_id")?)?;
    let key = EnvKey::parse(&required(attributes.key, "data.attributes.key")?)?;
    let value = EnvValue::parse(&required(attributes.value, "data.attributes.value")?)?;
    check_data_id(data.id.as_deref(), &format!("{app}:{key}"), IdRule::Create)?;
    let host = &opctx.host;
    let ((), job) = change_then_apply(opctx, &app, ApplyAction::Restart, async |lock| {
        let cmd = if host.version().has_config_import() {
            let json = serde_json::json!({ key.as_str(): value.expose() }).to_string();
            DokkuCommand::new("config:import")
                .with_args(["--no-restart", "--format", "json", app.as_str(), "-"])
                .stdin(json)
        } else {
            let encoded = base64::engine::general_purpose::STANDARD.encode(value.expose());
            DokkuCommand::new("config:set")
                .with_args(["--no-restart", "--encoded", app.as_str()])
                .secret_arg(format!("{key}={encoded}"))
        };
        // `--quiet`: config:import echoes `KEY=VALUE` otherwise, and output is kept in logs.
        lock.run(&cmd.global_flag("--quiet")).await?;
        Ok(())
    })
    .await?;
    Ok((env(&app, key.as_str(), Some(value.expose())), job))
}

/// `deleteEnv` (`app:KEY`).
pub async fn delete_env(
    opctx: &OpContext,
    (app, key): &(AppName, EnvKey),
) -> Result<Enqueued, AppError> {
    remove_then_apply(opctx, app, ApplyAction::Restart, async || {
        if !export(opctx, app).await?.contains_key(key.as_str()) {
            return Err(AppError::NotFound(format!("{key} is not set for {app}")));
        }
        let cmd = DokkuCommand::new("config:unset").with_args(["--no-restart", app.as_str()]);
        Ok(cmd.arg(key.as_str()).global_flag("--quiet"))
    })
    .await
}
