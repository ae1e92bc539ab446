//! Environment variables (dokku-host.md §3.6).
//!
//! * Read: `config:export --format json <app>`, one call.
//! * Write: the value is stored at once without a restart, then a `restart` job makes it live
//!   (`202`). Values of any content are stored exactly: on Dokku 0.37.0 and newer the pair
//!   travels as JSON on stdin to `config:import --no-restart --format json <app> -`, so it never
//!   becomes an argument (no SSH re-parse, not in the host's process list); older hosts get
//!   `config:set --no-restart --encoded <app> KEY=<base64>`, whose argument is plain base64.
//! * Delete: `config:unset --no-restart`, then a `restart` job. Dokku silently accepts unsetting
//!   a key that is not set; the API answers 404 for it instead (one read first).
//!
//! Every write holds the app's lock: Dokku's ENV writes are unlocked read-modify-write.

use base64::Engine as _;
use dokku_pro_api::models::{Env, EnvAttributes, EnvType};

use super::AppError;
use super::validate::{self, Invalid, quote};
use crate::auth::Actor;
use crate::host::parse::parse_config_export_json;
use crate::host::{DokkuCommand, Host};
use crate::jobs::{ApplyAction, Enqueued, Jobs};

fn env(app: &str, key: &str, value: Option<&str>) -> Env {
    Env {
        id: Some(format!("{app}:{key}")),
        type_: Some(EnvType::Envs),
        attributes: Some(EnvAttributes {
            app_id: Some(app.to_string()),
            key: Some(key.to_string()),
            value: value.map(str::to_string),
        }),
    }
}

/// Dokku's rule for keys (`^[a-zA-Z_][a-zA-Z0-9_]*$`), at most 256 characters.
pub fn key(key: &str) -> Result<(), Invalid> {
    let mut chars = key.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && key.len() <= 256;
    if ok {
        Ok(())
    } else {
        Err(Invalid(format!(
            "invalid environment variable name {}: use letters, digits and `_`, not starting with a digit",
            quote(key)
        )))
    }
}

/// Anything but a NUL byte (no process environment can hold one), at most 64 KiB.
pub fn value(value: &str) -> Result<(), Invalid> {
    if value.contains('\0') {
        return Err(Invalid("an environment variable value cannot contain a NUL byte".into()));
    }
    if value.len() > 64 * 1024 {
        return Err(Invalid("an environment variable value must be at most 64 KiB".into()));
    }
    Ok(())
}

async fn export(
    host: &Host,
    app: &str,
) -> Result<std::collections::BTreeMap<String, String>, AppError> {
    let cmd = DokkuCommand::new("config:export").arg("--format").arg("json").arg(app);
    Ok(host.query(&cmd, parse_config_export_json).await?)
}

/// `GET /apps/{appId}/envs`.
pub async fn list(host: &Host, _actor: &Actor, app: &str) -> Result<Vec<Env>, AppError> {
    validate::existing_app_name(app)?;
    let vars = export(host, app).await?;
    Ok(vars.iter().map(|(k, v)| env(app, k, Some(v))).collect())
}

/// `POST /envs`: sets `key` (creating or replacing it) and queues the restart.
pub async fn set(
    host: &Host,
    jobs: &Jobs,
    actor: &Actor,
    request_id: &str,
    app: &str,
    name: &str,
    val: &str,
) -> Result<(Env, Enqueued), AppError> {
    validate::existing_app_name(app)?;
    key(name)?;
    value(val)?;
    {
        let _lock = host.lock_app(app).await;
        let cmd = if host.version().has_config_import() {
            let json = serde_json::json!({ name: val }).to_string();
            DokkuCommand::new("config:import")
                .with_args(["--no-restart", "--format", "json", app, "-"])
                .stdin(json)
        } else {
            let encoded = base64::engine::general_purpose::STANDARD.encode(val.as_bytes());
            DokkuCommand::new("config:set")
                .with_args(["--no-restart", "--encoded", app])
                .secret_arg(format!("{name}={encoded}"))
        };
        // `--quiet`: config:import echoes `KEY=VALUE` otherwise, and output is kept in logs.
        host.run(&cmd.global_flag("--quiet")).await?;
    }
    let job = jobs.enqueue(app, ApplyAction::Restart, request_id, actor).await?;
    Ok((env(app, name, Some(val)), job))
}

/// `DELETE /envs/{app:KEY}`.
pub async fn unset(
    host: &Host,
    jobs: &Jobs,
    actor: &Actor,
    request_id: &str,
    id: &str,
) -> Result<Enqueued, AppError> {
    let (app, name) = validate::split_app_id(id, "env")?;
    key(name)?;
    {
        let _lock = host.lock_app(app).await;
        if !export(host, app).await?.contains_key(name) {
            return Err(AppError::NotFound(format!("{name} is not set for {app}")));
        }
        host.run(
            &DokkuCommand::new("config:unset")
                .with_args(["--no-restart", app, name])
                .global_flag("--quiet"),
        )
        .await?;
    }
    Ok(jobs.enqueue(app, ApplyAction::Restart, request_id, actor).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_dokku_and_values_take_anything_but_nul() {
        for ok in ["DATABASE_URL", "_x", "a1"] {
            assert!(key(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1A", "A-B", "A B", "A=B", "--force", "ü"] {
            assert!(key(bad).is_err(), "{bad}");
        }
        assert!(value("line1\nline2 'q' \"d\" $(x) `y` ✓").is_ok());
        assert!(value("a\0b").is_err());
    }
}
