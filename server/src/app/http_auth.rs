//! HTTP basic auth in front of an app (the dokku-http-auth plugin, dokku-host.md §3.8).
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
//! * Passwords cannot be read back (the plugin keeps SHA-512 crypt hashes), so users are listed
//!   without one; a password is never echoed.
//!
//! Every mutation holds the app's lock, so the read-decide-write sequences above cannot
//! interleave with another change to the same app.

use std::net::IpAddr;

use dokku_pro_api::models::{
    HttpAuth, HttpAuthAttributes, HttpAuthIp, HttpAuthIpAttributes, HttpAuthIpType, HttpAuthType,
    HttpAuthUser, HttpAuthUserAttributes, HttpAuthUserType,
};

use super::validate::{self, Invalid, quote};
use super::{AppError, plugin_error};
use crate::auth::Actor;
use crate::host::parse::{HttpAuthReport, parse_http_auth_report};
use crate::host::{DokkuCommand, Host, HostError};

/// `http-auth:report <app>`: one call.
async fn report(host: &Host, app: &str) -> Result<HttpAuthReport, AppError> {
    let cmd = DokkuCommand::new("http-auth:report").arg(app);
    let out = run(host, &cmd, app).await?;
    parse_http_auth_report(&out.stdout).map_err(|e| HostError::unreadable(&cmd, e).into())
}

/// Runs a plugin command on `app` (see [`plugin_error`]).
async fn run(host: &Host, cmd: &DokkuCommand, app: &str) -> Result<crate::host::Output, AppError> {
    host.run(cmd).await.map_err(|e| plugin_error(e, app))
}

fn http_auth(app: &str, enabled: bool) -> HttpAuth {
    HttpAuth {
        id: Some(app.to_string()),
        type_: Some(HttpAuthType::HttpAuths),
        attributes: Some(HttpAuthAttributes {
            app_id: Some(app.to_string()),
            auth_enabled: Some(enabled),
        }),
    }
}

fn allowed_ip(app: &str, ip: &str) -> HttpAuthIp {
    HttpAuthIp {
        id: Some(format!("{app}:{ip}")),
        type_: Some(HttpAuthIpType::HttpAuthIPs),
        attributes: Some(HttpAuthIpAttributes {
            app_id: Some(app.to_string()),
            ip_address: Some(ip.to_string()),
        }),
    }
}

fn user(app: &str, name: &str) -> HttpAuthUser {
    HttpAuthUser {
        id: Some(format!("{app}:{name}")),
        type_: Some(HttpAuthUserType::HttpAuthUsers),
        attributes: Some(HttpAuthUserAttributes {
            app_id: Some(app.to_string()),
            username: Some(name.to_string()),
            password: None,
        }),
    }
}

/// `GET /apps/{appId}/httpAuth`: the one record, in a list as the seed has it.
pub async fn get(host: &Host, _actor: &Actor, app: &str) -> Result<Vec<HttpAuth>, AppError> {
    validate::existing_app_name(app)?;
    let report = report(host, app).await?;
    Ok(vec![http_auth(app, report.enabled)])
}

/// `PATCH /httpAuths/{appId}`: enable or disable.
pub async fn set_enabled(
    host: &Host,
    _actor: &Actor,
    app: &str,
    enabled: bool,
) -> Result<HttpAuth, AppError> {
    validate::existing_app_name(app)?;
    let _lock = host.lock_app(app).await;
    let subcommand = if enabled { "http-auth:enable" } else { "http-auth:disable" };
    // Both are idempotent in the plugin ("already enabled/disabled", exit 0).
    run(host, &DokkuCommand::new(subcommand).arg(app), app).await?;
    Ok(http_auth(app, enabled))
}

pub async fn list_ips(host: &Host, _actor: &Actor, app: &str) -> Result<Vec<HttpAuthIp>, AppError> {
    validate::existing_app_name(app)?;
    let report = report(host, app).await?;
    Ok(report.allowed_ips.iter().map(|ip| allowed_ip(app, ip)).collect())
}

/// An IPv4 or IPv6 address, or a CIDR block of either (what nginx `allow` takes and the API
/// documents). Returned unchanged: the id is `app:<as given>`.
pub fn ip_or_cidr(value: &str) -> Result<(), Invalid> {
    let bad = || {
        Invalid(format!(
            "invalid IP address {}: use an IPv4 or IPv6 address or CIDR block",
            quote(value)
        ))
    };
    let (addr, prefix) = match value.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix)),
        None => (value, None),
    };
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
    if let Some(prefix) = prefix {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let ok = !prefix.is_empty()
            && prefix.chars().all(|c| c.is_ascii_digit())
            && prefix.len() <= 3
            && prefix.parse::<u32>().is_ok_and(|p| p <= max);
        if !ok {
            return Err(bad());
        }
    }
    Ok(())
}

/// Adds or removes an allowed IP, leaving auth enabled or disabled as it was (module docs).
async fn change_ip(host: &Host, app: &str, ip: &str, add: bool) -> Result<(), AppError> {
    let _lock = host.lock_app(app).await;
    let before = report(host, app).await?;
    let present = before.allowed_ips.iter().any(|i| i == ip);
    if add && present {
        return Err(AppError::Conflict(format!("{ip} is already an allowed IP of {app}")));
    }
    if !add && !present {
        return Err(AppError::NotFound(format!("{ip} is not an allowed IP of {app}")));
    }
    let subcommand = if add { "http-auth:add-allowed-ip" } else { "http-auth:remove-allowed-ip" };
    run(host, &DokkuCommand::new(subcommand).arg(app).arg(ip), app).await?;
    if !before.enabled {
        run(host, &DokkuCommand::new("http-auth:disable").arg(app), app).await?;
    }
    Ok(())
}

pub async fn add_ip(
    host: &Host,
    _actor: &Actor,
    app: &str,
    ip: &str,
) -> Result<HttpAuthIp, AppError> {
    validate::existing_app_name(app)?;
    ip_or_cidr(ip)?;
    change_ip(host, app, ip, true).await?;
    Ok(allowed_ip(app, ip))
}

/// `DELETE /httpAuthIPs/{app:ip}`.
pub async fn remove_ip(host: &Host, _actor: &Actor, id: &str) -> Result<(), AppError> {
    let (app, ip) = validate::split_app_id(id, "ip")?;
    ip_or_cidr(ip)?;
    change_ip(host, app, ip, false).await
}

pub async fn list_users(
    host: &Host,
    _actor: &Actor,
    app: &str,
) -> Result<Vec<HttpAuthUser>, AppError> {
    validate::existing_app_name(app)?;
    let report = report(host, app).await?;
    Ok(report.users.iter().map(|name| user(app, name)).collect())
}

/// User names end up in `user:hash` lines and in the plugin's `sed` patterns: letters, digits,
/// `.`, `_` and `-`, not starting with `-`.
pub fn username(name: &str) -> Result<(), Invalid> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('-')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Invalid(format!(
            "invalid user name {}: use up to 64 letters, digits, `.`, `_` or `-`, not starting with `-`",
            quote(name)
        )))
    }
}

/// Any characters but what cannot reach the plugin intact: a newline (it would split the
/// `htpasswd` line and cannot cross SSH), NUL, and a leading `-` (the plugin passes the password
/// to `mkpasswd` as an argument, where it would read as an option).
pub fn password(password: &str) -> Result<(), Invalid> {
    if password.is_empty() || password.len() > 256 {
        return Err(Invalid("the password must have 1 to 256 bytes".into()));
    }
    if password.contains(['\n', '\r', '\0']) {
        return Err(Invalid("the password must not contain line breaks or NUL bytes".into()));
    }
    if password.starts_with('-') {
        return Err(Invalid(
            "the password must not start with `-` (the plugin would read it as an option)".into(),
        ));
    }
    Ok(())
}

/// The plugin drops a user's `htpasswd` line with `sed "/^<name>:/d"` (on add, to replace it, and
/// on remove), where each `.` of the name matches any character: changing `a.b` would also delete
/// `axb`. Such a change is refused rather than made with that side effect.
fn no_collateral(name: &str, users: &[String]) -> Result<(), AppError> {
    let matched = |user: &str| {
        user != name
            && user.chars().count() == name.chars().count()
            && user.chars().zip(name.chars()).all(|(u, n)| n == '.' || u == n)
    };
    match users.iter().find(|u| matched(u)) {
        None => Ok(()),
        Some(other) => Err(AppError::Invalid(format!(
            "the http-auth plugin matches user names as patterns (`.` is any character), so \
             changing {name} would also delete the user {other}: remove {other} first, or use a \
             name without `.`"
        ))),
    }
}

/// Runs a user change, enabling auth around it when it is off (module docs).
async fn change_user(
    host: &Host,
    app: &str,
    was_enabled: bool,
    cmd: DokkuCommand,
) -> Result<(), AppError> {
    if !was_enabled {
        run(host, &DokkuCommand::new("http-auth:enable").arg(app), app).await?;
    }
    let result = run(host, &cmd, app).await;
    if !was_enabled {
        // Restore the state even when the change failed.
        run(host, &DokkuCommand::new("http-auth:disable").arg(app), app).await?;
    }
    result.map(|_| ())
}

pub async fn add_user(
    host: &Host,
    _actor: &Actor,
    app: &str,
    name: &str,
    pass: &str,
) -> Result<HttpAuthUser, AppError> {
    validate::existing_app_name(app)?;
    username(name)?;
    password(pass)?;
    let _lock = host.lock_app(app).await;
    let before = report(host, app).await?;
    if before.users.iter().any(|u| u == name) {
        return Err(AppError::Conflict(format!("user {name} already exists for {app}")));
    }
    no_collateral(name, &before.users)?;
    let cmd = DokkuCommand::new("http-auth:add-user").arg(app).arg(name).secret_arg(pass);
    change_user(host, app, before.enabled, cmd).await?;
    Ok(user(app, name))
}

/// `PATCH /httpAuthUsers/{app:user}`: a new password (`add-user` replaces the entry).
pub async fn set_password(
    host: &Host,
    _actor: &Actor,
    id: &str,
    pass: &str,
) -> Result<HttpAuthUser, AppError> {
    let (app, name) = validate::split_app_id(id, "user")?;
    username(name)?;
    password(pass)?;
    let _lock = host.lock_app(app).await;
    let before = report(host, app).await?;
    if !before.users.iter().any(|u| u == name) {
        return Err(AppError::NotFound(format!("user {name} does not exist for {app}")));
    }
    no_collateral(name, &before.users)?;
    let cmd = DokkuCommand::new("http-auth:add-user").arg(app).arg(name).secret_arg(pass);
    change_user(host, app, before.enabled, cmd).await?;
    Ok(user(app, name))
}

/// `DELETE /httpAuthUsers/{app:user}`.
pub async fn remove_user(host: &Host, _actor: &Actor, id: &str) -> Result<(), AppError> {
    let (app, name) = validate::split_app_id(id, "user")?;
    username(name)?;
    let _lock = host.lock_app(app).await;
    let before = report(host, app).await?;
    if !before.users.iter().any(|u| u == name) {
        return Err(AppError::NotFound(format!("user {name} does not exist for {app}")));
    }
    no_collateral(name, &before.users)?;
    let cmd = DokkuCommand::new("http-auth:remove-user").arg(app).arg(name);
    change_user(host, app, before.enabled, cmd).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ips_and_cidrs() {
        for ok in ["127.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "::1", "2001:db8::/32", "fe80::1/128"] {
            assert!(ip_or_cidr(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1.2.3",
            "1.2.3.4/33",
            "::1/129",
            "1.2.3.4/",
            "1.2.3.4/+8",
            "all",
            "unix:",
            "1.2.3.4 ",
            "a;b",
        ] {
            assert!(ip_or_cidr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dots_in_user_names_are_sed_wildcards() {
        let users = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert!(no_collateral("a.b", &users(&["a.b", "abc", "a.bc"])).is_ok());
        assert!(no_collateral("a.b", &users(&["axb"])).is_err());
        assert!(no_collateral("..", &users(&["ab"])).is_err());
        assert!(no_collateral("a-b", &users(&["axb"])).is_ok());
        assert!(no_collateral("a.b", &users(&["aéb"])).is_err());
    }

    #[test]
    fn user_names_and_passwords() {
        assert!(username("deploy.bot_1").is_ok());
        for bad in ["", "-x", "a b", "a:b", "a/b", "ü"] {
            assert!(username(bad).is_err(), "{bad}");
        }
        assert!(password("p@ss w'o\"rd $(x)").is_ok());
        for bad in ["", "a\nb", "-n", "x\0"] {
            assert!(password(bad).is_err(), "{bad:?}");
        }
    }
}
