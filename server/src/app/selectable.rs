//! Builders and schedulers: two families of Dokku plugins that work alike. Each member is a
//! plugin named `<family>-<name>` (`builder-pack`, `scheduler-docker-local`); an app selects one
//! with `<family>:set <app> selected <name>` and reads its settings with
//! `<family>:report <app> --format json`. The API names a member by `<name>`.
//!
//! | operation | calls |
//! |---|---|
//! | list, get | 1 (`plugin:list`) |
//! | settings of an app | 1 (the report) |
//! | update settings | 1 per property set, + `plugin:list` when `selected` is set, + the report |
//!
//! Dokku checks no value given to `<family>:set`, so the server does: a selected member must be
//! installed (400 naming the installed ones), and every value is a typed one
//! ([`PluginSuffix`], [`crate::ids::BuildDir`]).

use crate::app::{AppError, IdRule, OpContext, check_app_attribute, check_data_id, plugins};
use crate::host::{DokkuCommand, LockKey};
use crate::ids::{AppName, Invalid, PluginSuffix, quote};

/// One family of selectable plugins.
pub struct Family {
    /// `builder`, `scheduler`: the plugins' name prefix without its `-`, and the word in messages.
    pub what: &'static str,
    /// `Builder`, `Scheduler`: the word that starts a message.
    pub title: &'static str,
}

pub const BUILDERS: Family = Family { what: "builder", title: "Builder" };
pub const SCHEDULERS: Family = Family { what: "scheduler", title: "Scheduler" };

impl Family {
    pub fn parse_name(&self, name: &str) -> Result<PluginSuffix, Invalid> {
        PluginSuffix::parse(name, self.what)
    }

    /// The members installed and enabled on the host.
    pub async fn installed(&self, opctx: &OpContext) -> Result<Vec<String>, AppError> {
        let prefix = format!("{}-", self.what);
        Ok(plugins::enabled(opctx)
            .await?
            .into_iter()
            .filter_map(|p| {
                p.name.strip_prefix(&prefix).filter(|n| !n.is_empty()).map(String::from)
            })
            .collect())
    }

    /// A member, if it is installed (404 otherwise).
    pub async fn get(&self, opctx: &OpContext, name: &PluginSuffix) -> Result<(), AppError> {
        if self.installed(opctx).await?.iter().any(|n| name == n.as_str()) {
            Ok(())
        } else {
            Err(AppError::NotFound(format!("{} {name} is not installed", self.title)))
        }
    }

    /// `<family>:report <app> --format json`.
    pub fn report_command(&self, app: &AppName) -> DokkuCommand {
        DokkuCommand::new(format!("{}:report", self.what))
            .arg(app.as_str())
            .arg("--format")
            .arg("json")
    }

    /// Checks the ids of a settings body: `data.id` and `data.attributes.app_id` name the app in
    /// the path, when present.
    pub fn check_ids(
        &self,
        app: &AppName,
        data_id: Option<&str>,
        app_id: Option<&str>,
    ) -> Result<(), AppError> {
        check_data_id(data_id, app.as_str(), IdRule::Update { what: "App" })?;
        check_app_attribute(app, app_id)
    }

    /// Sets an app's properties under its lock: `selected` (`Some(None)` unsets it, falling back
    /// to the global or computed choice), then the others in order (`None` unsets).
    pub async fn set(
        &self,
        opctx: &OpContext,
        app: &AppName,
        selected: Option<Option<PluginSuffix>>,
        others: Vec<(&'static str, Option<String>)>,
    ) -> Result<(), AppError> {
        let lock = opctx.host.lock(LockKey::App(app.clone())).await;
        if let Some(Some(name)) = &selected {
            let installed = self.installed(opctx).await?;
            if !installed.iter().any(|n| name == n.as_str()) {
                return Err(AppError::Invalid(format!(
                    "{} {} is not installed on the Dokku host (installed: {})",
                    self.what,
                    quote(name.as_str()),
                    installed.join(", ")
                )));
            }
        }
        let selected = selected.map(|s| ("selected", s.map(String::from)));
        for (property, value) in selected.into_iter().chain(others) {
            let cmd =
                DokkuCommand::new(format!("{}:set", self.what)).arg(app.as_str()).arg(property);
            lock.run(&match value {
                Some(value) => cmd.arg(value),
                None => cmd,
            })
            .await?;
        }
        Ok(())
    }
}

/// An optional text attribute of a settings body: absent leaves the property, empty unsets it,
/// anything else is parsed.
pub fn optional<T>(
    value: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, Invalid>,
) -> Result<Option<Option<T>>, Invalid> {
    match value {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(v) => parse(v).map(|t| Some(Some(t))),
    }
}
