//! Buildpacks of an app (dokku-host.md §3.3).
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

use dokku_pro_api::models::{Buildpack, BuildpackAttributes, BuildpackType};

use super::AppError;
use super::validate::{self, Invalid, quote};
use crate::auth::Actor;
use crate::host::parse::parse_buildpacks_report_json;
use crate::host::{DokkuCommand, Host};
use crate::jobs::{ApplyAction, Enqueued, Jobs};

fn buildpack(app: &str, url: &str, position: usize) -> Buildpack {
    Buildpack {
        id: Some(format!("{app}:{url}")),
        type_: Some(BuildpackType::Buildpacks),
        attributes: Some(BuildpackAttributes {
            app_id: Some(app.to_string()),
            buildpack: Some(url.to_string()),
            position: Some(position as i64),
        }),
    }
}

/// What Dokku accepts (`validBuildpackURL`): `http(s)://` or `git://` URLs, `git@host:org/repo`
/// and the `org/name` shorthand; at most 512 characters, no whitespace or control characters,
/// not starting with `-`.
pub fn buildpack_value(value: &str) -> Result<(), Invalid> {
    let bad = || {
        Invalid(format!(
            "invalid buildpack {}: use an http(s):// or git:// URL, git@host:org/repo, or org/name",
            quote(value)
        ))
    };
    if value.is_empty() || value.len() > 512 || value.starts_with('-') {
        return Err(bad());
    }
    if value.chars().any(|c| {
        c.is_whitespace()
            || c.is_control()
            || matches!(c, '\'' | '"' | '\\' | '`' | '$' | ';' | '|' | '<' | '>')
    }) {
        return Err(bad());
    }
    let url = ["http://", "https://", "git://"].iter().any(|s| {
        value.strip_prefix(s).is_some_and(|rest| {
            rest.split_once('/').is_some_and(|(host, path)| !host.is_empty() && !path.is_empty())
        })
    });
    let scp = value
        .strip_prefix("git@")
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(host, path)| !host.is_empty() && path.contains('/'));
    let shorthand = shorthand_parts(value).is_some();
    if url || scp || shorthand { Ok(()) } else { Err(bad()) }
}

fn shorthand_parts(value: &str) -> Option<(&str, &str)> {
    let (org, name) = value.split_once('/')?;
    // Dokku's `^[\w-]+/[\w-]+$` (Go's `\w` is ASCII): no `.`, so no `../..` passes for one.
    let part_ok = |s: &str| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    };
    (part_ok(org) && part_ok(name)).then_some((org, name))
}

/// The value as Dokku stores it (shorthands expanded).
pub fn stored_form(value: &str) -> String {
    match shorthand_parts(value) {
        Some((org, name)) => {
            let org = if org == "heroku-community" { "heroku" } else { org };
            format!("https://github.com/{org}/heroku-buildpack-{name}.git")
        }
        None => value.to_string(),
    }
}

async fn current(host: &Host, app: &str) -> Result<Vec<String>, AppError> {
    let cmd = DokkuCommand::new("buildpacks:report").arg(app).arg("--format").arg("json");
    Ok(host.query(&cmd, parse_buildpacks_report_json).await?)
}

/// `GET /apps/{appId}/buildpacks`.
pub async fn list(host: &Host, _actor: &Actor, app: &str) -> Result<Vec<Buildpack>, AppError> {
    validate::existing_app_name(app)?;
    let list = current(host, app).await?;
    Ok(list.iter().enumerate().map(|(i, url)| buildpack(app, url, i + 1)).collect())
}

/// `POST /buildpacks`: adds at `position` (1-based; absent appends), queues the rebuild.
pub async fn add(
    host: &Host,
    jobs: &Jobs,
    actor: &Actor,
    request_id: &str,
    app: &str,
    value: &str,
    position: Option<i64>,
) -> Result<(Buildpack, Enqueued), AppError> {
    validate::existing_app_name(app)?;
    buildpack_value(value)?;
    if let Some(p) = position
        && !(1..=100).contains(&p)
    {
        return Err(AppError::Invalid(format!("position must be between 1 and 100, got {p}")));
    }
    let stored = stored_form(value);
    let (url, index) = {
        let _lock = host.lock_app(app).await;
        let before = current(host, app).await?;
        if before.contains(&stored) {
            return Err(AppError::Conflict(format!("{app} already has the buildpack {stored}")));
        }
        let mut cmd = DokkuCommand::new("buildpacks:add");
        if let Some(p) = position {
            cmd = cmd.arg("--index").arg(p.to_string());
        }
        host.run(&cmd.arg(app).arg(value)).await?;
        // Dokku may have rewritten the value; report what it stored, where.
        let after = current(host, app).await?;
        let index =
            after.iter().position(|u| *u == stored).unwrap_or(after.len().saturating_sub(1));
        (after.get(index).cloned().unwrap_or(stored), index + 1)
    };
    let job = jobs.enqueue(app, ApplyAction::Rebuild, request_id, actor).await?;
    Ok((buildpack(app, &url, index), job))
}

/// `DELETE /buildpacks/{app:buildpack}`.
pub async fn remove(
    host: &Host,
    jobs: &Jobs,
    actor: &Actor,
    request_id: &str,
    id: &str,
) -> Result<Enqueued, AppError> {
    let (app, value) = validate::split_app_id(id, "buildpack")?;
    buildpack_value(value)?;
    let stored = stored_form(value);
    {
        let _lock = host.lock_app(app).await;
        let present = current(host, app).await?;
        let target = if present.iter().any(|u| u == value) { value.to_string() } else { stored };
        if !present.contains(&target) {
            return Err(AppError::NotFound(format!("{app} has no buildpack {value}")));
        }
        host.run(
            &DokkuCommand::new("buildpacks:remove").arg(app).arg(&target).global_flag("--quiet"),
        )
        .await?;
    }
    Ok(jobs.enqueue(app, ApplyAction::Rebuild, request_id, actor).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        for ok in [
            "https://github.com/heroku/heroku-buildpack-nodejs.git",
            "https://github.com/heroku/heroku-buildpack-nodejs.git#v1.2.3",
            "git://example.com/x/y",
            "git@github.com:org/repo.git",
            "heroku/nodejs",
        ] {
            assert!(buildpack_value(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "nodejs",
            "/nodejs",
            "urn:cnb:x",
            "docker://x",
            "--index",
            "a b/c",
            "https://x/$(id)",
            "heroku/a;b",
            "../..",
            "heroku/..",
            "./x",
            "heroku/a.b",
        ] {
            assert!(buildpack_value(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shorthands_expand_like_dokku() {
        assert_eq!(
            stored_form("heroku/nodejs"),
            "https://github.com/heroku/heroku-buildpack-nodejs.git"
        );
        assert_eq!(
            stored_form("heroku-community/apt"),
            "https://github.com/heroku/heroku-buildpack-apt.git"
        );
        assert_eq!(stored_form("https://x/y.git"), "https://x/y.git");
    }
}
