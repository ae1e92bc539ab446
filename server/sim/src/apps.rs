//! `apps:*`: list, create, exists, report, destroy, lock/unlock/locked, set.

use crate::context::{Ctx, MSG_BAD_NAME, MSG_NO_APP, is_valid_new_name};
use crate::domains;
use crate::flags::{self, bool_flag, value_flag};
use crate::output::{CmdResult, Out, go_json};
use crate::properties::global_value;
use crate::ps::{self, hex_id};
use crate::report::{self, GoReport};
use crate::state::App;

pub(crate) fn list(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    // Before 0.38.21 `apps:list` takes no flags at all, so `--format` is an unknown flag.
    let spec: &[flags::Flag] = if ctx.v.apps_list_json() { &[value_flag("format")] } else { &[] };
    let parsed = flags::parse(&mut ctx.out, args, spec)?;
    let names: Vec<&String> = ctx.state.apps.keys().collect();
    match parsed.value("format").unwrap_or("stdout") {
        "json" => {
            let json = go_json(&names);
            ctx.out.line(&json);
        }
        "stdout" => {
            let names: Vec<String> = names.into_iter().cloned().collect();
            // The header comes first, even when the listing then finds no apps.
            ctx.out.info2_quiet("My Apps");
            if names.is_empty() {
                ctx.out.warn("You haven't deployed any applications yet");
                return Ok(());
            }
            for name in names {
                ctx.out.line(&name);
            }
        }
        other => return Err(ctx.out.fail(&format!("Invalid format specified: {other}"))),
    }
    Ok(())
}

pub(crate) fn create(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let parsed = flags::parse(&mut ctx.out, args, &[])?;
    let name = match parsed.arg(0) {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => return Err(ctx.out.fail(MSG_NO_APP)),
    };
    if !is_valid_new_name(&name) {
        return Err(ctx.out.fail(MSG_BAD_NAME));
    }
    if ctx.state.apps.contains_key(&name) {
        return Err(ctx.out.fail("Name is already taken"));
    }
    ctx.out.info1_quiet(&format!("Creating {name}..."));
    ctx.state.apps.insert(name.clone(), App { created_at: ctx.now, ..App::default() });
    // The post-create triggers. ps: a default scale of one web process.
    let web = [("web".to_string(), 1)];
    let _ = ps::update_scale(ctx.app_mut(&name), &web);
    // domains: the default vhosts, or vhosts off (NO_VHOST=1), which rebuilds the proxy config;
    // that first build picks the proxy port, a random one when vhosts are off.
    let defaults = domains::default_vhosts(ctx, &name);
    if defaults.is_empty() {
        ctx.out.info1_quiet("Global server virtual host not set, disabling app vhost...");
        ctx.out.info1("No port set, setting to random open high port");
        let seed = ctx.state.next_seq().to_string();
        let port =
            10_000 + u32::from_str_radix(&hex_id(&[&name, &seed])[..4], 16).unwrap_or(0) % 50_000;
        ctx.out.info1(&format!("Random port {port}"));
        domains::disable_vhosts(ctx, &name);
    } else {
        ctx.out.info1_quiet("Creating new app virtual host file...");
        ctx.app_mut(&name).vhosts = defaults;
    }
    // nginx-vhosts: the app's proxy config.
    domains::nginx_build_config(ctx, &name);
    Ok(())
}

pub(crate) fn exists(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let parsed = flags::parse(&mut ctx.out, args, &[])?;
    ctx.verify_app(parsed.arg(0))?;
    Ok(())
}

pub(crate) fn report(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    if ctx.v.report_without_apps_fails() && ctx.state.apps.is_empty() {
        // Parsed on the side: the real parse below prints any argument error.
        let parsed = report::parse_args(&mut Out::default(), args);
        if let Ok(parsed) = parsed
            && parsed.subject.is_none()
            && parsed.format == report::Format::Json
        {
            return Err(ctx.out.fail("You haven't deployed any applications yet"));
        }
    }
    let spec = GoReport::core(ctx, "app");
    report::run(ctx, args, &spec, collect_report)
}

fn collect_report(ctx: &Ctx, subject: &str) -> Vec<(String, String)> {
    let global = global_value(ctx, &ctx.state.global.apps, "disable-autocreation", "false");
    if subject == "--global" {
        return report::pairs(&[("--app-global-disable-autocreation", global)]);
    }
    let app = ctx.app(subject);
    let deployed = app.deployed;
    report::pairs(&[
        ("--app-created-at", app.created_at.to_string()),
        ("--app-deploy-source", if deployed { "git".into() } else { String::new() }),
        (
            "--app-deploy-source-metadata",
            if deployed { app.git_sha.clone() } else { String::new() },
        ),
        ("--app-dir", format!("/home/dokku/{subject}")),
        ("--app-global-disable-autocreation", global),
        ("--app-locked", app.locked.to_string()),
    ])
}

pub(crate) fn destroy(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let parsed = flags::parse(&mut ctx.out, args, &[])?;
    let name = ctx.verify_app(parsed.arg(0))?;
    if !ctx.force && !parsed.has("force") {
        confirm(ctx, &name)?;
    }
    ctx.out.info1(&format!("Destroying {name} (including all add-ons)"));
    // The datastore plugins' pre-delete trigger (plugins in name order) goes through every
    // service, linked to the app or not, and drops the app from its links.
    let mut unlinked = Vec::new();
    for services in ctx.state.services.values_mut() {
        for (svc, service) in services.iter_mut() {
            service.links.remove(&name);
            unlinked.push(svc.clone());
        }
    }
    for svc in unlinked {
        ctx.out.verbose_quiet(&format!("Unlinking from {svc}"));
    }
    ctx.out.info1("Cleaning up...");
    ctx.out.info1("Retiring old containers and images");
    ctx.state.apps.remove(&name);
    Ok(())
}

/// `AskForDestructiveConfirmation`: warnings, a `> ` prompt, and one line read from stdin.
fn confirm(ctx: &mut Ctx, name: &str) -> CmdResult {
    ctx.out.warn("WARNING: Potentially Destructive Action");
    ctx.out.warn(&format!("This command will destroy app {name}."));
    ctx.out.warn(&format!("To proceed, type \"{name}\""));
    ctx.out.print("> ");
    let answer = ctx.stdin.map(|bytes| String::from_utf8_lossy(bytes).into_owned());
    let Some(answer) = answer.filter(|text| !text.is_empty()) else {
        // Closed stdin: fmt.Scanln returns EOF and the command fails at once.
        return Err(ctx.out.fail("EOF"));
    };
    if answer.lines().next().unwrap_or("").trim() != name {
        // Go's LogStderr: no prefix, and the literal "test" is Dokku's own wording.
        ctx.out.err_line("Confirmation did not match test. Aborted.");
        return Err(crate::output::Stop(1));
    }
    Ok(())
}

// lock, unlock and locked share only the `<app>` argument; each mimics its own Dokku command,
// with its own messages and (for unlock) its own failure on a missing lock.
pub(crate) fn lock(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let parsed = flags::parse(&mut ctx.out, args, &[])?;
    let name = ctx.verify_app(parsed.arg(0))?;
    ctx.app_mut(&name).locked = true;
    ctx.out.info1("Deploy lock created");
    Ok(())
}

pub(crate) fn unlock(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let parsed = flags::parse(&mut ctx.out, args, &[])?;
    let name = ctx.verify_app(parsed.arg(0))?;
    if !ctx.app(&name).locked {
        // Not idempotent: removing a missing lock file is an error.
        return Err(ctx.out.fail("Unable to remove deploy lock"));
    }
    ctx.out.warn("A deploy may be in progress.");
    ctx.out.warn("Removing the app lock will not stop in progress deploys.");
    ctx.app_mut(&name).locked = false;
    ctx.out.info1("Deploy lock removed");
    Ok(())
}

pub(crate) fn locked(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let parsed = flags::parse(&mut ctx.out, args, &[])?;
    let name = ctx.verify_app(parsed.arg(0))?;
    if ctx.app(&name).locked {
        ctx.out.line_quiet("Deploy lock exists");
        Ok(())
    } else {
        Err(ctx.out.fail("Deploy lock does not exist"))
    }
}

/// `apps:set --global disable-autocreation (true|)`; the only property, and only global.
pub(crate) fn set(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let parsed = flags::parse(&mut ctx.out, args, &[bool_flag("global")])?;
    let mut positional = parsed.positional.clone();
    if parsed.has("global") {
        positional.insert(0, "--global".to_string());
    }
    let subject = positional.first().cloned();
    if subject.as_deref() != Some("--global") {
        ctx.verify_app(subject.as_deref())?;
    }
    let Some(property) = positional.get(1).filter(|p| !p.is_empty()).cloned() else {
        return Err(ctx.out.fail("No property specified"));
    };
    if property != "disable-autocreation" {
        return Err(ctx
            .out
            .fail("Invalid property specified, valid properties include: disable-autocreation"));
    }
    if subject.as_deref() != Some("--global") {
        return Err(ctx.out.fail("Property can only be specified globally"));
    }
    let value = positional.get(2).cloned().unwrap_or_default();
    if value.is_empty() {
        ctx.out.info2_quiet(&format!("Unsetting {property}"));
        ctx.state.global.apps.remove(&property);
    } else {
        ctx.out.info2_quiet(&format!("Setting {property} to {value}"));
        ctx.state.global.apps.insert(property, value);
    }
    Ok(())
}
