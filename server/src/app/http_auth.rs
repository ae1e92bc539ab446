//! HTTP basic auth in front of an app (the dokku-http-auth plugin).
//!
//! Reads cost one Dokku call each: `http-auth:report <app>` (the full report; the plugin has no
//! JSON, and `--http-auth-users` fails when there are no users).
//!
//! Where the plugin does more than the API promises, the API keeps its promise:
//!
//! * `add-allowed-ip` and `remove-allowed-ip` turn auth on as a side effect (the plugin renders
//!   its nginx include, and the include's existence is what "enabled" means). When auth was off,
//!   the server turns it off again right after, so adding or removing an allowed IP never
//!   changes whether auth is enabled.
//! * `add-user` and `remove-user` refuse while auth is off. The API lets users be managed at any
//!   time: when auth is off, the server enables it, makes the change, and disables it again
//!   (during those milliseconds visitors are asked for credentials, the safe direction).
//! * `add-user` and `remove-user` on an enabled app do not render the nginx include again, so
//!   nginx would go on enforcing the old user list; the server renders it after every user change
//!   ([`rerender`]), so that nginx enforces what the API reports.
//! * Passwords cannot be read back (the plugin keeps SHA-512 crypt hashes), so users are listed
//!   without one; a password is never echoed.
//!
//! Every mutation holds the app's lock, so the read-decide-write sequences above cannot
//! interleave with another change to the same app.

use dokku_pro_api::models::{
    HttpAuth, HttpAuthAttributes, HttpAuthIp, HttpAuthIpAttributes, HttpAuthUser,
    HttpAuthUserAttributes,
};

use super::{AppError, IdRule, OpContext, check_data_id, plugin_error, switch_plugin};
use crate::host::parse::{HttpAuthReport, parse_http_auth_report};
use crate::host::{DokkuCommand, LockKey, Locked};
use crate::ids::{AllowedIp, AppName, HttpAuthPassword, HttpAuthUsername, required};

/// `http-auth:report <app>`: one call.
async fn report(opctx: &OpContext, app: &AppName) -> Result<HttpAuthReport, AppError> {
    let cmd = DokkuCommand::new("http-auth:report").arg(app.as_str());
    opctx.host.query(&cmd, parse_http_auth_report).await.map_err(|e| plugin_error(e, app))
}

/// Runs a plugin command on `app` under its lock (see [`plugin_error`]).
async fn run(lock: &Locked<'_>, cmd: DokkuCommand, app: &AppName) -> Result<(), AppError> {
    lock.run(&cmd).await.map_err(|e| plugin_error(e, app))?;
    Ok(())
}

fn command(subcommand: &str, app: &AppName) -> DokkuCommand {
    DokkuCommand::new(subcommand).arg(app.as_str())
}

fn http_auth(app: &AppName, enabled: bool) -> HttpAuth {
    HttpAuth::record(
        app.to_string(),
        HttpAuthAttributes { app_id: Some(app.to_string()), auth_enabled: Some(enabled) },
    )
}

fn allowed_ip(app: &AppName, ip: &str) -> HttpAuthIp {
    HttpAuthIp::record(
        format!("{app}:{ip}"),
        HttpAuthIpAttributes { app_id: Some(app.to_string()), ip_address: Some(ip.to_string()) },
    )
}

fn user(app: &AppName, name: &str) -> HttpAuthUser {
    HttpAuthUser::record(
        format!("{app}:{name}"),
        HttpAuthUserAttributes {
            app_id: Some(app.to_string()),
            username: Some(name.to_string()),
            password: None,
        },
    )
}

/// `getHttpAuthForApp`: the one record, in a list as the seed has it.
pub async fn get_http_auth_for_app(
    opctx: &OpContext,
    app: &AppName,
) -> Result<Vec<HttpAuth>, AppError> {
    let report = report(opctx, app).await?;
    Ok(vec![http_auth(app, report.enabled)])
}

/// `updateHttpAuths`: enable or disable.
pub async fn update_http_auths(
    opctx: &OpContext,
    app: &AppName,
    data: HttpAuth,
) -> Result<HttpAuth, AppError> {
    let attributes = data.attributes.unwrap_or_default();
    let ids = (data.id.as_deref(), attributes.app_id.as_deref());
    let enabled = ("data.attributes.auth_enabled", attributes.auth_enabled);
    Ok(http_auth(app, switch_plugin(opctx, app, ids, enabled, "http-auth").await?))
}

/// `getHttpAuthIpsForApp`.
pub async fn get_http_auth_ips_for_app(
    opctx: &OpContext,
    app: &AppName,
) -> Result<Vec<HttpAuthIp>, AppError> {
    let report = report(opctx, app).await?;
    Ok(report.allowed_ips.iter().map(|ip| allowed_ip(app, ip)).collect())
}

/// Adds or removes an allowed IP, leaving auth enabled or disabled as it was (module docs).
async fn change_ip(
    opctx: &OpContext,
    app: &AppName,
    ip: &AllowedIp,
    add: bool,
) -> Result<(), AppError> {
    let lock = opctx.host.lock(LockKey::App(app.clone())).await;
    let before = report(opctx, app).await?;
    let present = before.allowed_ips.iter().any(|i| ip == i.as_str());
    if add && present {
        return Err(AppError::Conflict(format!("{ip} is already an allowed IP of {app}")));
    }
    if !add && !present {
        return Err(AppError::NotFound(format!("{ip} is not an allowed IP of {app}")));
    }
    let subcommand = if add { "http-auth:add-allowed-ip" } else { "http-auth:remove-allowed-ip" };
    run(&lock, command(subcommand, app).arg(ip.as_str()), app).await?;
    if !before.enabled {
        run(&lock, command("http-auth:disable", app), app).await?;
    }
    Ok(())
}

/// `addHttpAuthIp`.
pub async fn add_http_auth_ip(opctx: &OpContext, data: HttpAuthIp) -> Result<HttpAuthIp, AppError> {
    let attributes = data.attributes.unwrap_or_default();
    let app = AppName::parse(&required(attributes.app_id, "data.attributes.app_id")?)?;
    let ip = AllowedIp::parse(&required(attributes.ip_address, "data.attributes.ip_address")?)?;
    check_data_id(data.id.as_deref(), &format!("{app}:{ip}"), IdRule::Create)?;
    change_ip(opctx, &app, &ip, true).await?;
    Ok(allowed_ip(&app, ip.as_str()))
}

/// `deleteHttpAuthIp` (`app:ip`).
pub async fn delete_http_auth_ip(
    opctx: &OpContext,
    (app, ip): &(AppName, AllowedIp),
) -> Result<(), AppError> {
    change_ip(opctx, app, ip, false).await
}

/// `getHttpAuthUsersForApp`.
pub async fn get_http_auth_users_for_app(
    opctx: &OpContext,
    app: &AppName,
) -> Result<Vec<HttpAuthUser>, AppError> {
    let report = report(opctx, app).await?;
    Ok(report.users.iter().map(|name| user(app, name)).collect())
}

/// The plugin drops a user's `htpasswd` line with `sed "/^<name>:/d"` (on add, to replace it,
/// and on remove), where each `.` of the name matches any character: changing `a.b` would also
/// delete `axb`. Such a change is refused rather than made with that side effect.
fn no_collateral(name: &HttpAuthUsername, users: &[String]) -> Result<(), AppError> {
    match users.iter().find(|u| name.pattern_matches(u)) {
        None => Ok(()),
        Some(other) => Err(AppError::Invalid(format!(
            "the http-auth plugin matches user names as patterns (`.` is any character), so \
             changing {name} would also delete the user {other}: remove {other} first, or use a \
             name without `.`"
        ))),
    }
}

/// Runs a user change, enabling auth around it when it is off, and making nginx enforce the new
/// user list when it is on (module docs).
async fn change_user(
    lock: &Locked<'_>,
    app: &AppName,
    before: &HttpAuthReport,
    cmd: DokkuCommand,
) -> Result<(), AppError> {
    if !before.enabled {
        run(lock, command("http-auth:enable", app), app).await?;
        let result = run(lock, cmd, app).await;
        // Restore the state even when the change failed.
        run(lock, command("http-auth:disable", app), app).await?;
        return result;
    }
    run(lock, cmd, app).await?;
    rerender(lock, app, &before.allowed_ips).await
}

/// Addresses that no client can have (RFC 5737's documentation networks).
const UNREACHABLE: [&str; 3] = ["192.0.2.1", "198.51.100.1", "203.0.113.1"];

/// Renders the app's nginx include again from the current users and allowed IPs. The plugin
/// renders it only on `enable`, `add-allowed-ip` and `remove-allowed-ip`, and writes
/// `auth_basic` only when htpasswd has users at that moment, so after `add-user` or
/// `remove-user` nginx would keep enforcing the old list: no auth after the first user is added
/// to an enabled app, 401 for everyone after the last one is removed. Adding and removing an
/// allowed address that no client can have renders it twice; in between, that address is the
/// only thing that is more permitted, so nothing is exposed (disabling and enabling again would
/// serve the app without auth for a moment).
async fn rerender(lock: &Locked<'_>, app: &AppName, allowed: &[String]) -> Result<(), AppError> {
    let Some(sentinel) = UNREACHABLE.into_iter().find(|ip| !allowed.iter().any(|a| a == ip)) else {
        // Every documentation address is allowed already: the safe re-render is unavailable.
        return Err(AppError::Conflict(format!(
            "the allowed IPs of {app} hold {}: remove one of them to change users",
            UNREACHABLE.join(", ")
        )));
    };
    run(lock, command("http-auth:add-allowed-ip", app).arg(sentinel), app).await?;
    run(lock, command("http-auth:remove-allowed-ip", app).arg(sentinel), app).await
}

/// `addHttpAuthUser`.
pub async fn add_http_auth_user(
    opctx: &OpContext,
    data: HttpAuthUser,
) -> Result<HttpAuthUser, AppError> {
    let attributes = data.attributes.unwrap_or_default();
    let app = AppName::parse(&required(attributes.app_id, "data.attributes.app_id")?)?;
    let name =
        HttpAuthUsername::parse(&required(attributes.username, "data.attributes.username")?)?;
    let password =
        HttpAuthPassword::parse(&required(attributes.password, "data.attributes.password")?)?;
    check_data_id(data.id.as_deref(), &format!("{app}:{name}"), IdRule::Create)?;
    let lock = opctx.host.lock(LockKey::App(app.clone())).await;
    let before = report(opctx, &app).await?;
    if before.users.iter().any(|u| name == u.as_str()) {
        return Err(AppError::Conflict(format!("user {name} already exists for {app}")));
    }
    no_collateral(&name, &before.users)?;
    let cmd = command("http-auth:add-user", &app).arg(name.as_str()).secret_arg(password.expose());
    change_user(&lock, &app, &before, cmd).await?;
    Ok(user(&app, name.as_str()))
}

/// `updateHttpAuthUser` (`app:user`): a new password (`add-user` replaces the entry). The path
/// names the user; a body naming another one would be a rename (403).
pub async fn update_http_auth_user(
    opctx: &OpContext,
    (app, name): &(AppName, HttpAuthUsername),
    data: HttpAuthUser,
) -> Result<HttpAuthUser, AppError> {
    let what = IdRule::Update { what: "HTTP auth user" };
    check_data_id(data.id.as_deref(), &format!("{app}:{name}"), what)?;
    let attributes = data.attributes.unwrap_or_default();
    check_data_id(attributes.username.as_deref(), name.as_str(), what)?;
    check_data_id(attributes.app_id.as_deref(), app.as_str(), what)?;
    let password =
        HttpAuthPassword::parse(&required(attributes.password, "data.attributes.password")?)?;
    let lock = opctx.host.lock(LockKey::App(app.clone())).await;
    let before = report(opctx, app).await?;
    if !before.users.iter().any(|u| name == u.as_str()) {
        return Err(AppError::NotFound(format!("user {name} does not exist for {app}")));
    }
    no_collateral(name, &before.users)?;
    let cmd = command("http-auth:add-user", app).arg(name.as_str()).secret_arg(password.expose());
    change_user(&lock, app, &before, cmd).await?;
    Ok(user(app, name.as_str()))
}

/// `deleteHttpAuthUser` (`app:user`).
pub async fn delete_http_auth_user(
    opctx: &OpContext,
    (app, name): &(AppName, HttpAuthUsername),
) -> Result<(), AppError> {
    let lock = opctx.host.lock(LockKey::App(app.clone())).await;
    let before = report(opctx, app).await?;
    if !before.users.iter().any(|u| name == u.as_str()) {
        return Err(AppError::NotFound(format!("user {name} does not exist for {app}")));
    }
    no_collateral(name, &before.users)?;
    let cmd = command("http-auth:remove-user", app).arg(name.as_str());
    change_user(&lock, app, &before, cmd).await
}
