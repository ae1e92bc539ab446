//! Builders and an app's builder settings (dokku-host.md §3.2).
//!
//! # Dokku invocations per operation
//!
//! | operation | calls | commands |
//! |---|---|---|
//! | `getBuilders` | 1 | `plugin:list --format json` (0.38.22+; before: the `plugin:list` text table) |
//! | `getBuilderById` | 1 | the same listing |
//! | `getBuilderSettingsForApp` | 1 | `builder:report <app> --format json` (exit 20 = 404) |
//! | `updateBuilderSettings` | 1 to 4 | the listing (only when `selected` names a builder), `builder:set <app> selected [<v>]` and/or `builder:set <app> build-dir [<v>]`, then the report |
//!
//! # Decisions
//!
//! * **Builders are the enabled `builder-*` plugins**, named without the prefix (`dockerfile`,
//!   `herokuish`, `pack`, ...). Dokku has no builder listing of its own. One builder is looked
//!   up in the same listing rather than with `plugin:installed builder-<name>`, which is
//!   root-only (dokku-host.md §2.1) and would need the root login for a read.
//! * **`selected` must name an installed builder** (400 otherwise, listing the installed ones),
//!   although `builder:set` stores anything: a typo would otherwise only surface at the next
//!   deploy. It costs one `plugin:list`, only when a builder is selected. Clearing (`""`) needs
//!   no check.
//! * **PATCH sets what it is given**: `selected` and `build_dir` when present, `""` clears
//!   (`builder:set <app> <property>` without a value). The `global_*` and `computed_*`
//!   attributes are read-only and ignored, so a client can send back what it read. The answer
//!   is the report read after the change (`computed_*` depend on the global settings).
//! * Unset values are answered as `""`, so every attribute is always present.

use dokku_pro_api::models::{
    Builder, BuilderAttributes, BuilderSetting, BuilderSettingAttributes, BuilderSettingType,
    BuilderType,
};

use super::AppError;
use super::validate::{self, Invalid, quote};
use crate::auth::Actor;
use crate::host::parse::{
    BuilderReport, parse_builder_report_json, parse_plugin_list_json, parse_plugin_list_text,
};
use crate::host::{DokkuCommand, Host, HostError};

/// The names of the enabled plugins called `<prefix><name>`, without the prefix, in Dokku's
/// order: one `plugin:list` (JSON from 0.38.22, the text table before). `plugin:list` is the one
/// `plugin:*` command the dokku user may run (dokku-host.md §2.1).
pub(super) async fn installed_with_prefix(
    host: &Host,
    prefix: &str,
) -> Result<Vec<String>, AppError> {
    let json = host.version().has_plugin_list_json();
    let cmd = if json {
        DokkuCommand::new("plugin:list").arg("--format").arg("json")
    } else {
        DokkuCommand::new("plugin:list")
    };
    let out = host.run(&cmd).await?;
    let plugins = if json {
        parse_plugin_list_json(&out.stdout)
    } else {
        parse_plugin_list_text(&out.stdout)
    }
    .map_err(|e| HostError::unreadable(&cmd, e))?;
    Ok(plugins
        .into_iter()
        .filter(|p| p.enabled)
        .filter_map(|p| p.name.strip_prefix(prefix).filter(|n| !n.is_empty()).map(String::from))
        .collect())
}

/// 400 unless `name` is among `installed` (what is installed is listed in the message).
pub(super) fn check_installed(name: &str, installed: &[String], what: &str) -> Result<(), Invalid> {
    if installed.iter().any(|n| n == name) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "{what} {} is not installed on the Dokku host (installed: {})",
            quote(name),
            installed.join(", ")
        )))
    }
}

fn builder(name: &str) -> Builder {
    Builder {
        id: Some(name.to_string()),
        type_: Some(BuilderType::Builders),
        attributes: Some(BuilderAttributes { name: Some(name.to_string()) }),
    }
}

/// `GET /builders`.
pub async fn list(host: &Host, _actor: &Actor) -> Result<Vec<Builder>, AppError> {
    Ok(installed_with_prefix(host, "builder-").await?.iter().map(|n| builder(n)).collect())
}

/// `GET /builders/{builderId}`: 404 when no such builder is installed and enabled.
pub async fn get(host: &Host, _actor: &Actor, name: &str) -> Result<Builder, AppError> {
    validate::builder_name(name)?;
    if installed_with_prefix(host, "builder-").await?.iter().any(|n| n == name) {
        Ok(builder(name))
    } else {
        Err(AppError::NotFound(format!("Builder {name} is not installed")))
    }
}

fn setting(app: &str, report: BuilderReport) -> BuilderSetting {
    BuilderSetting {
        id: Some(app.to_string()),
        type_: Some(BuilderSettingType::BuilderSettings),
        attributes: Some(BuilderSettingAttributes {
            app_id: Some(app.to_string()),
            selected: Some(report.selected.unwrap_or_default()),
            global_selected: Some(report.global_selected.unwrap_or_default()),
            computed_selected: Some(report.computed_selected.unwrap_or_default()),
            build_dir: Some(report.build_dir.unwrap_or_default()),
            global_build_dir: Some(report.global_build_dir.unwrap_or_default()),
            computed_build_dir: Some(report.computed_build_dir.unwrap_or_default()),
        }),
    }
}

async fn report(host: &Host, app: &str) -> Result<BuilderReport, AppError> {
    let cmd = DokkuCommand::new("builder:report").arg(app).arg("--format").arg("json");
    Ok(host.query(&cmd, parse_builder_report_json).await?)
}

/// `GET /apps/{appId}/builderSetting`: the one record, in a list as the seed has it.
pub async fn get_settings(
    host: &Host,
    _actor: &Actor,
    app: &str,
) -> Result<Vec<BuilderSetting>, AppError> {
    validate::existing_app_name(app)?;
    Ok(vec![setting(app, report(host, app).await?)])
}

/// `PATCH /builderSettings/{appId}`.
pub async fn update_settings(
    host: &Host,
    _actor: &Actor,
    app: &str,
    data: Option<BuilderSetting>,
) -> Result<BuilderSetting, AppError> {
    validate::existing_app_name(app)?;
    let data = validate::required(data, "data")?;
    check_same_app(app, data.id.as_deref(), "data.id")?;
    let attributes = data.attributes.unwrap_or_default();
    check_same_app(app, attributes.app_id.as_deref(), "data.attributes.app_id")?;
    if let Some(selected) = attributes.selected.as_deref().filter(|s| !s.is_empty()) {
        validate::builder_name(selected)?;
    }
    if let Some(dir) = attributes.build_dir.as_deref().filter(|d| !d.is_empty()) {
        validate::build_dir(dir)?;
    }
    let _lock = host.lock_app(app).await;
    if let Some(selected) = attributes.selected.as_deref().filter(|s| !s.is_empty()) {
        let installed = installed_with_prefix(host, "builder-").await?;
        check_installed(selected, &installed, "builder")?;
    }
    for (property, value) in
        [("selected", attributes.selected), ("build-dir", attributes.build_dir)]
    {
        if let Some(value) = value {
            host.run(&set_command("builder:set", app, property, &value)).await?;
        }
    }
    Ok(setting(app, report(host, app).await?))
}

/// `<plugin>:set <app> <property> <value>`, or without the value to clear it (an empty argument
/// would not survive every transport the same way).
pub(super) fn set_command(
    subcommand: &str,
    app: &str,
    property: &str,
    value: &str,
) -> DokkuCommand {
    let cmd = DokkuCommand::new(subcommand).arg(app).arg(property);
    if value.is_empty() { cmd } else { cmd.arg(value) }
}

/// A settings body names its app in `data.id` and `data.attributes.app_id`; when present they
/// must be the app in the path (these operations document no 403, so a mismatch is 400).
pub(super) fn check_same_app(app: &str, given: Option<&str>, field: &str) -> Result<(), Invalid> {
    match given {
        Some(other) if other != app => {
            Err(Invalid(format!("{field} {} must be the app in the path ({app})", quote(other))))
        }
        _ => Ok(()),
    }
}
