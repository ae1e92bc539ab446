//! Buildpacks of an app.
//!
//! * Read: `buildpacks:report <app> --format json` (key `list`, comma separated), one call;
//!   positions are 1-based list order.
//! * Add: `buildpacks:add [--index N] <app> <buildpack>`, then a `rebuild` job (`202`): a
//!   buildpack only takes effect in a new build.
//! * Delete: `buildpacks:remove <app> <buildpack>`, then a `rebuild` job.
//!
//! Dokku rewrites the shorthand `org/name` to `https://github.com/org/heroku-buildpack-name.git`
//! (and `heroku-community/` to `heroku/`) and does not deduplicate, so the API compares values
//! the way Dokku stores them: adding one that is already there is 409, and `app:heroku/nodejs`
//! deletes the expanded URL. Each write reads the list first, under the app's lock.

use dokku_pro_api::models::{Buildpack, BuildpackAttributes};

use super::apply::{change_then_apply, remove_then_apply};
use super::{AppError, IdRule, OpContext, check_data_id};
use crate::host::DokkuCommand;
use crate::host::parse::parse_buildpacks_report_json;
use crate::ids::{AppName, BuildpackUrl, required};
use crate::jobs::{ApplyAction, Enqueued};

fn buildpack(app: &AppName, url: &str, position: usize) -> Buildpack {
    Buildpack::record(
        format!("{app}:{url}"),
        BuildpackAttributes {
            app_id: Some(app.to_string()),
            buildpack: Some(url.to_string()),
            position: Some(position as i64),
        },
    )
}

async fn current(opctx: &OpContext, app: &AppName) -> Result<Vec<String>, AppError> {
    let cmd = DokkuCommand::new("buildpacks:report").arg(app.as_str()).arg("--format").arg("json");
    Ok(opctx.host.query(&cmd, parse_buildpacks_report_json).await?)
}

/// `getBuildpacksForApp`.
pub async fn get_buildpacks_for_app(
    opctx: &OpContext,
    app: &AppName,
) -> Result<Vec<Buildpack>, AppError> {
    let list = current(opctx, app).await?;
    Ok(list.iter().enumerate().map(|(i, url)| buildpack(app, url, i + 1)).collect())
}

/// `addBuildpack`: adds at `position` (1-based; absent appends), queues the rebuild.
pub async fn add_buildpack(
    opctx: &OpContext,
    data: Buildpack,
) -> Result<(Buildpack, Enqueued), AppError> {
    let attributes = data.attributes.unwrap_or_default();
    let app = AppName::parse(&required(attributes.app_id, "data.attributes.app_id")?)?;
    let value = BuildpackUrl::parse(&required(attributes.buildpack, "data.attributes.buildpack")?)?;
    if let Some(p) = attributes.position
        && !(1..=100).contains(&p)
    {
        return Err(AppError::Invalid(format!("position must be between 1 and 100, got {p}")));
    }
    check_data_id(data.id.as_deref(), &format!("{app}:{value}"), IdRule::Create)?;
    let stored = value.stored_form();
    let ((url, index), job) = change_then_apply(opctx, &app, ApplyAction::Rebuild, async |lock| {
        let before = current(opctx, &app).await?;
        if before.contains(&stored) {
            return Err(AppError::Conflict(format!("{app} already has the buildpack {stored}")));
        }
        let mut cmd = DokkuCommand::new("buildpacks:add");
        if let Some(p) = attributes.position {
            cmd = cmd.arg("--index").arg(p.to_string());
        }
        lock.run(&cmd.arg(app.as_str()).arg(value.as_str())).await?;
        // Dokku may have rewritten the value; report what it stored, where.
        let after = current(opctx, &app).await?;
        let index =
            after.iter().position(|u| *u == stored).unwrap_or(after.len().saturating_sub(1));
        Ok((after.get(index).cloned().unwrap_or(stored), index + 1))
    })
    .await?;
    Ok((buildpack(&app, &url, index), job))
}

/// `deleteBuildpack` (`app:buildpack`).
pub async fn delete_buildpack(
    opctx: &OpContext,
    (app, value): &(AppName, BuildpackUrl),
) -> Result<Enqueued, AppError> {
    remove_then_apply(opctx, app, ApplyAction::Rebuild, async || {
        let present = current(opctx, app).await?;
        let target = if present.iter().any(|u| value == u.as_str()) {
            value.to_string()
        } else {
            value.stored_form()
        };
        if !present.contains(&target) {
            return Err(AppError::NotFound(format!("{app} has no buildpack {value}")));
        }
        let cmd = DokkuCommand::new("buildpacks:remove").arg(app.as_str()).arg(&target);
        Ok(cmd.global_flag("--quiet"))
    })
    .await
}
