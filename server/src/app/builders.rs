//! Builders and an app's builder settings (the family logic is [`super::selectable`]'s).
//!
//! | operation | calls | commands |
//! |---|---|---|
//! | `getBuilders` | 1 | `plugin:list --format json` (0.38.22+; before: the `plugin:list` text table) |
//! | `getBuilderById` | 1 | the same listing |
//! | `getBuilderSettingsForApp` | 1 | `builder:report <app> --format json` (exit 20 = 404) |
//! | `updateBuilderSettings` | 1 to 4 | the listing (only when `selected` names a builder), `builder:set <app> selected [<v>]` and/or `builder:set <app> build-dir [<v>]`, then the report |
//!
//! * **Builders are the enabled `builder-*` plugins**, named without the prefix (`dockerfile`,
//!   `herokuish`, `pack`, ...). Dokku has no builder listing of its own. One builder is looked
//!   up in the same listing rather than with `plugin:installed builder-<name>`, which is
//!   root-only and would need the root login for a read.
//! * **`selected` must name an installed builder** (400 otherwise, listing the installed ones),
//!   although `builder:set` stores anything: a typo would otherwise only surface at the next
//!   deploy. It costs one `plugin:list`, only when a builder is selected. Clearing (`""`) needs
//!   no check.
//! * **PATCH sets what it is given**: `selected` and `build_dir` when present, `""` clears
//!   (`builder:set <app> <property>` without a value). The `global_*` and `computed_*`
//!   attributes are read-only and ignored, so a client can send back what it read. The answer
//!   is the report read after the change (`computed_*` depend on the global settings).
//! * Unset values are answered as `""`, so every attribute is always present.
//!
//! [`super::schedulers`] reads almost line for line like this module. The logic they share is
//! [`super::selectable`]'s; what is left here is the mapping to this family's own model types,
//! which the seed declares apart (and builders have one setting more, `build_dir`).

use dokku_pro_api::models::{Builder, BuilderAttributes, BuilderSetting, BuilderSettingAttributes};

use super::selectable::{BUILDERS, optional};
use super::{AppError, OpContext};
use crate::host::parse::{BuilderReport, parse_builder_report_json};
use crate::ids::{AppName, BuildDir, PluginSuffix};

fn builder(name: &str) -> Builder {
    Builder::record(name.to_string(), BuilderAttributes { name: Some(name.to_string()) })
}

/// `getBuilders`.
pub async fn get_builders(opctx: &OpContext) -> Result<Vec<Builder>, AppError> {
    Ok(BUILDERS.installed(opctx).await?.iter().map(|n| builder(n)).collect())
}

/// `getBuilderById`.
pub async fn get_builder_by_id(
    opctx: &OpContext,
    name: &PluginSuffix,
) -> Result<Builder, AppError> {
    BUILDERS.get(opctx, name).await?;
    Ok(builder(name.as_str()))
}

fn setting(app: &AppName, report: BuilderReport) -> BuilderSetting {
    BuilderSetting::record(
        app.to_string(),
        BuilderSettingAttributes {
            app_id: Some(app.to_string()),
            selected: Some(report.selected.unwrap_or_default()),
            global_selected: Some(report.global_selected.unwrap_or_default()),
            computed_selected: Some(report.computed_selected.unwrap_or_default()),
            build_dir: Some(report.build_dir.unwrap_or_default()),
            global_build_dir: Some(report.global_build_dir.unwrap_or_default()),
            computed_build_dir: Some(report.computed_build_dir.unwrap_or_default()),
        },
    )
}

async fn report(opctx: &OpContext, app: &AppName) -> Result<BuilderReport, AppError> {
    Ok(opctx.host.query(&BUILDERS.report_command(app), parse_builder_report_json).await?)
}

/// `getBuilderSettingsForApp`: the one record, in a list as the seed has it.
pub async fn get_builder_settings_for_app(
    opctx: &OpContext,
    app: &AppName,
) -> Result<Vec<BuilderSetting>, AppError> {
    Ok(vec![setting(app, report(opctx, app).await?)])
}

/// `updateBuilderSettings`.
pub async fn update_builder_settings(
    opctx: &OpContext,
    app: &AppName,
    data: BuilderSetting,
) -> Result<BuilderSetting, AppError> {
    let attributes = data.attributes.unwrap_or_default();
    BUILDERS.check_ids(app, data.id.as_deref(), attributes.app_id.as_deref())?;
    let selected = optional(attributes.selected.as_deref(), |s| BUILDERS.parse_name(s))?;
    let build_dir = optional(attributes.build_dir.as_deref(), BuildDir::parse)?;
    let others = build_dir.map(|dir| ("build-dir", dir.map(String::from))).into_iter().collect();
    BUILDERS.set(opctx, app, selected, others).await?;
    Ok(setting(app, report(opctx, app).await?))
}
