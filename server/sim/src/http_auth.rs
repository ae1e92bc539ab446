//! The dokku-http-auth plugin, as of the master commit `plugin:install`
//! fetches: "enabled" means the nginx include exists, which `add-allowed-ip` and
//! `remove-allowed-ip` also render; passwords are kept only as salted hashes.

use sha2::{Digest, Sha256};

use crate::context::Ctx;
use crate::output::{CmdResult, bash_key, bash_row};
use crate::state::HttpAuthUser;

const FLAGS: [&str; 3] = ["--http-auth-enabled", "--http-auth-allowed-ips", "--http-auth-users"];

/// `dokku_apps` runs first in the plugin's report, so a host without any app fails even when an
/// app is named.
pub(crate) fn require_some_app(ctx: &mut Ctx) -> CmdResult {
    if ctx.state.apps.is_empty() {
        return Err(ctx.out.fail("You haven't deployed any applications yet"));
    }
    Ok(())
}

pub(crate) fn report(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    require_some_app(ctx)?;
    let (mut app, mut info_flag) = (args.first().cloned(), args.get(1).cloned());
    if app.as_deref().is_some_and(|a| a.starts_with("--")) {
        info_flag = app.take();
    }
    let apps = match app {
        Some(app) => vec![ctx.verify_app(Some(&app))?],
        None => ctx.state.apps.keys().cloned().collect(),
    };
    for name in apps {
        let auth = &ctx.app(&name).http_auth;
        let users: Vec<&str> = auth.users.iter().map(|u| u.name.as_str()).collect();
        let rows = [auth.enabled.to_string(), auth.allowed_ips.join(" "), users.join(" ")];
        let Some(flag) = &info_flag else {
            ctx.out.info2_quiet(&format!("{name} http-auth information"));
            for (flag, value) in FLAGS.iter().zip(rows) {
                ctx.out.verbose(&bash_row(&bash_key(flag), &value, 30));
            }
            continue;
        };
        let Some(index) = FLAGS.iter().position(|f| f == flag) else {
            return Err(ctx
                .out
                .fail(&format!("Invalid flag passed, valid flags: {}", FLAGS.join(" "))));
        };
        let value = &rows[index];
        if !value.is_empty() {
            ctx.out.line(value);
        } else if *flag != "--http-auth-allowed-ips" {
            // The plugin's odd wording for "no users".
            return Err(ctx.out.fail("not deployed"));
        }
    }
    Ok(())
}

pub(crate) fn enable(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let name = ctx.verify_app(args.first().map(String::as_str))?;
    if ctx.app(&name).http_auth.enabled {
        ctx.out.info1("Authentication already enabled, use http-auth:add-user or http-auth:remove-user to modify users");
        return Ok(());
    }
    ctx.out.info1(&format!("Enabling HTTP auth for {name}..."));
    // The include is rendered before the initial user is added (the plugin's order).
    render(ctx, &name);
    match (args.get(1), args.get(2)) {
        (Some(user), Some(password)) if !user.is_empty() && !password.is_empty() => {
            add_user_entry(ctx, &name, user, password);
        }
        _ => ctx.out.warn("Skipping user initialization"),
    }
    ctx.app_mut(&name).http_auth.enabled = true;
    ctx.out.verbose("Done");
    Ok(())
}

pub(crate) fn disable(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let name = ctx.verify_app(args.first().map(String::as_str))?;
    if !ctx.app(&name).http_auth.enabled {
        ctx.out.info1("Authentication already disabled");
        return Ok(());
    }
    ctx.out.info1(&format!("Disabling HTTP auth for {name}..."));
    let auth = &mut ctx.app_mut(&name).http_auth;
    auth.enabled = false;
    auth.include = None;
    ctx.out.verbose("Done");
    Ok(())
}

pub(crate) fn add_user(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let name = ctx.verify_app(args.first().map(String::as_str))?;
    if !ctx.app(&name).http_auth.enabled {
        return Err(ctx.out.fail("Authentication is disabled"));
    }
    let user = args.get(1).cloned().unwrap_or_default();
    let password = args.get(2).cloned().unwrap_or_default();
    // This plugin version reports a missing password as a missing username too.
    if user.is_empty() || password.is_empty() {
        return Err(ctx.out.fail("Missing username"));
    }
    ctx.out.info1(&format!("Adding {user} to basic auth list"));
    add_user_entry(ctx, &name, &user, &password);
    Ok(())
}

/// Adds or replaces the htpasswd entry (replacing keeps the file one line per user).
fn add_user_entry(ctx: &mut Ctx, app: &str, user: &str, password: &str) {
    let salt = crate::ps::hex_id(&[app, user, &ctx.state.next_seq().to_string()]);
    let salt = &salt[..16];
    let digest: String = Sha256::digest(format!("{salt}{password}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let hash = format!("$sim-sha256${salt}${digest}");
    let users = &mut ctx.app_mut(app).http_auth.users;
    users.retain(|u| u.name != user);
    users.push(HttpAuthUser { name: user.to_string(), hash });
}

pub(crate) fn remove_user(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let name = ctx.verify_app(args.first().map(String::as_str))?;
    if !ctx.app(&name).http_auth.enabled {
        return Err(ctx.out.fail("Authentication is disabled"));
    }
    let user = args.get(1).cloned().unwrap_or_default();
    if user.is_empty() {
        return Err(ctx.out.fail("Missing username"));
    }
    // Removing an absent user is no error.
    ctx.out.info1(&format!("Removing {user} from basic auth list"));
    ctx.app_mut(&name).http_auth.users.retain(|u| u.name != user);
    Ok(())
}

pub(crate) fn add_allowed_ip(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let address = args.get(1).cloned().unwrap_or_default();
    // The address is checked before the app.
    if address.is_empty() {
        return Err(ctx.out.fail("Missing ip address"));
    }
    let name = ctx.verify_app(args.first().map(String::as_str))?;
    ctx.out.info1(&format!("Adding {address} to allowed ip list"));
    let auth = &mut ctx.app_mut(&name).http_auth;
    if auth.allowed_ips.contains(&address) {
        return Ok(());
    }
    auth.allowed_ips.push(address);
    // Rendering the include is what "enabled" means: adding an IP turns auth on.
    render(ctx, &name);
    Ok(())
}

pub(crate) fn remove_allowed_ip(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let name = ctx.verify_app(args.first().map(String::as_str))?;
    let address = args.get(1).cloned().unwrap_or_default();
    if address.is_empty() {
        return Err(ctx.out.fail("Missing ip address"));
    }
    ctx.out.info1(&format!("Removing {address} from allowed ip list"));
    let auth = &mut ctx.app_mut(&name).http_auth;
    if !auth.allowed_ips.contains(&address) {
        // Dokku's property store refuses to remove what is not there, before anything renders,
        // with a plain line on stderr: the file's absence when no address was ever stored (the
        // sim counts an empty list as that), else the missing value.
        let message = if auth.allowed_ips.is_empty() {
            format!(
                "open /var/lib/dokku/config/http-auth/{name}/allowed-ips: no such file or directory"
            )
        } else {
            "Property not found, nothing was removed".to_string()
        };
        ctx.out.err_line(&message);
        return Err(crate::output::Stop(1));
    }
    auth.allowed_ips.retain(|ip| ip != &address);
    render(ctx, &name);
    Ok(())
}

pub(crate) fn show_config(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let name = ctx.verify_app(args.first().map(String::as_str))?;
    let Some(include) = ctx.app(&name).http_auth.include.clone() else {
        return Err(ctx.out.fail(&format!("No nginx.conf exists for {name}")));
    };
    for line in include.lines() {
        ctx.out.line(line);
    }
    Ok(())
}

/// Renders the nginx include from the addresses and users of this moment, as the plugin's
/// template does (`satisfy any`, `allow`s and `deny all` when addresses are allowed;
/// `auth_basic` only when htpasswd has users).
fn render(ctx: &mut Ctx, app: &str) {
    let auth = &mut ctx.app_mut(app).http_auth;
    let mut text = String::new();
    if !auth.allowed_ips.is_empty() {
        text.push_str("satisfy any;\n");
        for ip in &auth.allowed_ips {
            text.push_str(&format!("allow {ip};\n"));
        }
        text.push_str("deny all;\n");
    }
    if !auth.users.is_empty() {
        text.push_str("auth_basic           \"Restricted\";\n");
        text.push_str(&format!("auth_basic_user_file /home/dokku/{app}/htpasswd;\n"));
    }
    auth.enabled = true;
    auth.include = Some(text);
}
