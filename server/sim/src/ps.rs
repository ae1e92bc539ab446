//! `ps:*` and the deployment model: scale read/write, the ps report,
//! rebuild/restart, and the build and deploy logs a deployed app prints when it is (re)deployed.
//!
//! An app is deployed only through `mark_deployed` (what a `git push` does). Until then it has no
//! Procfile, `ps:rebuild` fails the way Dokku does for an app without commits, and scale and
//! config changes are only stored.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::builder::{build_with, selected_scheduler};
use crate::context::Ctx;
use crate::flags::{self, bool_flag, value_flag};
use crate::output::{CmdResult, Out, Stop, go_json};
use crate::properties::global_value;
use crate::report::{self, GoReport};
use crate::state::{App, State};

/// Hex of a SHA-256 over the parts: stable, realistic-looking ids.
pub(crate) fn hex_id(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// What a `git push` leaves behind: a deployed app with a Procfile of these types; each new type
/// is scaled to 0, except `web` to 1, keeping scales already set.
pub(crate) fn mark_deployed(state: &mut State, app: &str, types: &[&str]) -> Result<(), String> {
    if !state.apps.contains_key(app) {
        return Err(format!("App {app} does not exist"));
    }
    let seq = state.next_seq();
    let Some(entry) = state.apps.get_mut(app) else {
        return Err(format!("App {app} does not exist"));
    };
    let mut procfile: Vec<String> = types.iter().map(|t| t.to_string()).collect();
    if procfile.is_empty() {
        procfile.push("web".to_string());
    }
    for t in &procfile {
        if !is_process_type(t) {
            return Err(format!("invalid process type {t:?}: must be a DNS label"));
        }
    }
    procfile.sort();
    procfile.dedup();
    for t in &procfile {
        entry.scale.entry(t.clone()).or_insert(if t == "web" { 1 } else { 0 });
    }
    entry.procfile = procfile;
    entry.deployed = true;
    entry.deploy_seq += 1;
    entry.git_sha = hex_id(&[app, "commit", &seq.to_string()])[..40].to_string();
    if entry.builder.get("selected").is_none_or(String::is_empty) {
        entry.builder.insert("detected".into(), "herokuish".into());
    }
    Ok(())
}

/// A DNS label (procfile-util strict mode).
///
/// Kept apart from the server's own check of the same rule (`is_dns_label` in its ids) on
/// purpose: the sim stands in for the host and shares no code with the server it is tested against.
fn is_process_type(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 63
        && t.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !t.starts_with('-')
        && !t.ends_with('-')
}

/// The release-and-deploy log of the given process types (all when `None`).
pub(crate) fn deploy_log(out: &mut Out, state: &State, app: &str, only: Option<&[String]>) {
    let Some(entry) = state.apps.get(app) else { return };
    for (t, count) in &entry.scale {
        if let Some(only) = only
            && !only.contains(t)
        {
            continue;
        }
        if !entry.procfile.contains(t) {
            continue;
        }
        out.info1(&format!("Deploying {t} (count={count})"));
        for i in 1..=*count {
            out.verbose(&format!("Attempting pre-flight checks ({t}.{i})"));
            out.verbose(&format!("Waiting for 10 seconds ({t}.{i})"));
            out.verbose(&format!("Default container check successful ({t}.{i})"));
        }
    }
    out.info1("Running post-deploy");
    out.info2("Application deployed:");
    if entry.vhosts_enabled() {
        for domain in &entry.vhosts {
            out.verbose(&format!("http://{domain}"));
        }
    }
}

/// `-----> Restarting app <app>` and a release-and-deploy of every process type.
pub(crate) fn restart_app(ctx: &mut Ctx, app: &str) {
    ctx.out.info1(&format!("Restarting app {app}"));
    bump_deploy(ctx.state, app);
    deploy_log(&mut ctx.out, ctx.state, app, None);
}

/// A deploy replaces the containers: new ids, and a stopped app runs again.
fn bump_deploy(state: &mut State, app: &str) {
    if let Some(entry) = state.apps.get_mut(app) {
        entry.deploy_seq += 1;
        entry.stopped = false;
    }
}

/// The build part of a deploy (herokuish-style), before the release-and-deploy.
pub(crate) fn build_log(out: &mut Out, state: &State, app: &str) {
    let builder = build_with(state, app);
    let Some(entry) = state.apps.get(app) else { return };
    out.info1("Cleaning up...");
    out.info1(&format!("Building {app} from {builder}"));
    if !entry.buildpacks.is_empty() {
        out.info1("Using buildpacks from the app's buildpack list");
        for bp in &entry.buildpacks {
            out.verbose(bp);
        }
    }
    let sha = entry.git_sha.get(..7).unwrap_or(&entry.git_sha);
    out.verbose(&format!("Building from stored source at {sha}"));
    out.info1("Discovering process types");
    out.verbose(&format!("Procfile declares types -> {}", entry.procfile.join(", ")));
    out.info1(&format!("Releasing {app}..."));
    out.info1("Checking for predeploy task");
    out.verbose("No predeploy task found, skipping");
    out.info1("Checking for release task");
    out.verbose("No release task found, skipping");
}

pub(crate) fn scale(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let mut spec = vec![bool_flag("skip-deploy")];
    // `--format` arrived with 0.38.21; before that it is an unknown flag.
    if ctx.v.ps_scale_json() {
        spec.push(value_flag("format"));
    }
    let parsed = flags::parse(&mut ctx.out, args, &spec)?;
    let name = ctx.verify_app(parsed.arg(0))?;
    let tuples: Vec<String> = parsed.positional.iter().skip(1).cloned().collect();
    if tuples.is_empty() {
        return scale_read(ctx, &name, parsed.value("format").unwrap_or("stdout"));
    }
    scale_write(ctx, &name, &tuples, parsed.has("skip-deploy"))
}

fn scale_read(ctx: &mut Ctx, name: &str, format: &str) -> CmdResult {
    let scale = ctx.app(name).formations();
    match format {
        "json" => {
            let list: Vec<BTreeMap<&str, serde_json::Value>> = scale
                .iter()
                .map(|(t, n)| {
                    BTreeMap::from([
                        ("process_type", serde_json::Value::from(t.as_str())),
                        ("quantity", serde_json::Value::from(*n)),
                    ])
                })
                .collect();
            let json = go_json(&list);
            ctx.out.line(&json);
        }
        "stdout" => {
            ctx.out.info1_quiet(&format!("Scaling for {name}"));
            let mut rows = Vec::new();
            if !ctx.out.quiet {
                rows.push(("proctype".to_string(), "qty".to_string()));
                rows.push(("--------".to_string(), "---".to_string()));
            }
            rows.extend(scale.iter().map(|(t, n)| (t.clone(), n.to_string())));
            for (t, n) in rows {
                // `<type>:` right-padded to 5, one space, the count.
                ctx.out.line(&format!("{:<5} {n}", format!("{t}:")));
            }
        }
        other => return Err(ctx.out.fail(&format!("Invalid format specified: {other}"))),
    }
    Ok(())
}

fn scale_write(ctx: &mut Ctx, name: &str, tuples: &[String], skip_deploy: bool) -> CmdResult {
    // The tuples are echoed as given, before they are parsed.
    ctx.out.info1(&format!("Scaling {name} processes: {}", tuples.join(" ")));
    let mut updates: Vec<(String, i64)> = Vec::new();
    for tuple in tuples {
        let Some((t, count)) = tuple.split_once('=') else {
            return Err(ctx.out.fail(&format!("Missing count for process type {tuple}")));
        };
        let Ok(count) = count.trim().parse::<i64>() else {
            return Err(ctx.out.fail(&format!("Invalid count for process type {t}")));
        };
        let t = t.trim().to_string();
        if !updates.iter().any(|(seen, _)| seen == &t) {
            updates.push((t, count));
        }
    }
    let before = ctx.app(name).formations();
    let deployed = ctx.app(name).deployed;
    update_scale(ctx.app_mut(name), &updates).map_err(|e| ctx.out.fail(&e))?;
    if skip_deploy || !deployed {
        return Ok(());
    }
    // Only the process types whose count changed are deployed again.
    let changed: Vec<String> =
        updates.iter().filter(|(t, n)| before.get(t) != Some(n)).map(|(t, _)| t.clone()).collect();
    if !changed.is_empty() {
        bump_deploy(ctx.state, name);
        deploy_log(&mut ctx.out, ctx.state, name, Some(&changed));
    }
    Ok(())
}

/// `updateScale`: the updates, then the stored types they do not name, then the Procfile's
/// other types at 0. A type at 0 that the Procfile lacks (every type, before a deploy) moves to
/// `scale.old`, which replaces the previous `scale.old`. Only a deployed Procfile restricts
/// scaling up.
pub(crate) fn update_scale(app: &mut App, updates: &[(String, i64)]) -> Result<(), String> {
    let valid = |t: &str| app.deployed && app.procfile.iter().any(|p| p == t);
    if let Some((t, _)) = updates.iter().find(|(t, n)| app.deployed && *n != 0 && !valid(t)) {
        return Err(format!("{t} is not a valid process name to scale up"));
    }
    let mut all: Vec<(String, i64)> = updates.to_vec();
    for (t, n) in &app.scale {
        if !all.iter().any(|(seen, _)| seen == t) {
            all.push((t.clone(), *n));
        }
    }
    if app.deployed {
        for t in &app.procfile {
            if !all.iter().any(|(seen, _)| seen == t) {
                all.push((t.clone(), 0));
            }
        }
    }
    let (scale, old): (Vec<_>, Vec<_>) = all.into_iter().partition(|(t, n)| valid(t) || *n != 0);
    app.scale = scale.into_iter().collect();
    app.scale_old = old.into_iter().collect();
    Ok(())
}

pub(crate) fn report(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let spec = GoReport::core(ctx, "ps");
    report::run(ctx, args, &spec, ps_report_values)
}

fn ps_report_values(ctx: &Ctx, subject: &str) -> Vec<(String, String)> {
    let global = &ctx.state.global.ps;
    let global_or = |prop: &str, default: &str| global_value(ctx, global, prop, default);
    let extended = ctx.v.ps_report_extended();
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut push = |flag: &str, value: String| rows.push((flag.to_string(), value));
    push("--ps-global-procfile-path", global_or("procfile-path", "Procfile"));
    push("--ps-global-stop-timeout-seconds", global_or("stop-timeout-seconds", "30"));
    if extended {
        push("--ps-global-restart-policy", global_or("restart-policy", "on-failure:10"));
        push("--ps-global-skip-deploy", global_or("skip-deploy", "false"));
    }
    let empty = BTreeMap::new();
    let app_props = if subject == "--global" { &empty } else { &ctx.app(subject).ps };
    let computed = |prop: &str, default: &str| {
        let value = app_props.get(prop).or_else(|| global.get(prop)).cloned().unwrap_or_default();
        if value.is_empty() { default.to_string() } else { value }
    };
    push("--ps-computed-procfile-path", computed("procfile-path", "Procfile"));
    push("--ps-computed-stop-timeout-seconds", computed("stop-timeout-seconds", "30"));
    if extended {
        push("--ps-computed-restart-policy", computed("restart-policy", "on-failure:10"));
        push("--ps-computed-skip-deploy", computed("skip-deploy", "false"));
    }
    if subject == "--global" {
        return rows;
    }
    let app = ctx.app(subject);
    let processes: i64 = if app.deployed {
        app.scale.iter().filter(|(t, _)| app.procfile.contains(t)).map(|(_, n)| *n).sum()
    } else {
        0
    };
    let get = |prop: &str| app.ps.get(prop).cloned().unwrap_or_default();
    push("--deployed", app.deployed.to_string());
    push("--processes", processes.to_string());
    push("--ps-can-scale", "true".into());
    push("--ps-procfile-path", get("procfile-path"));
    // Since 0.38.8 the app key is the raw property (the default moved to the computed key).
    push("--ps-restart-policy", {
        let policy = get("restart-policy");
        if policy.is_empty() && !extended { "on-failure:10".into() } else { policy }
    });
    push("--ps-stop-timeout-seconds", get("stop-timeout-seconds"));
    push("--restore", {
        let restore = get("restore");
        if restore.is_empty() { "true".into() } else { restore }
    });
    push("--running", (app.deployed && !app.stopped && processes > 0).to_string());
    if extended {
        push("--ps-computed-dockerfile-start-cmd", get("dockerfile-start-cmd"));
        push("--ps-computed-start-cmd", get("start-cmd"));
        push("--ps-dockerfile-start-cmd", get("dockerfile-start-cmd"));
        push("--ps-skip-deploy", get("skip-deploy"));
        push("--ps-start-cmd", get("start-cmd"));
    }
    // Container status rows exist only under docker-local, one per running container.
    if app.deployed && selected_scheduler(ctx.state, Some(subject)) == "docker-local" {
        for t in &app.procfile {
            let count = app.scale.get(t).copied().unwrap_or(0);
            for i in 1..=count {
                let cid = hex_id(&[subject, t, &i.to_string(), &app.deploy_seq.to_string()]);
                let state = if app.stopped { "exited" } else { "running" };
                push(&format!("--status-{t}.{i}"), format!("{state} (CID: {})", &cid[..11]));
            }
        }
    }
    rows
}

/// The warning the git plugin prints for an app that never received code (with its ANSI prefix).
fn no_commits(out: &mut Out) -> Stop {
    out.line("\u{1b}[1G\u{1b}[K-----> WARNING: Cannot build from 'master' as there are no commits stored at that branch.");
    Stop(1)
}

/// Apps named on the command line, or every app with `--all`.
fn targets(ctx: &mut Ctx, args: &[String]) -> Result<(Vec<String>, Vec<String>), Stop> {
    let parsed = flags::parse(&mut ctx.out, args, &[bool_flag("all"), value_flag("parallel")])?;
    if parsed.has("all") {
        let apps = ctx.state.apps.keys().cloned().collect();
        return Ok((apps, Vec::new()));
    }
    let name = ctx.verify_app(parsed.arg(0))?;
    Ok((vec![name], parsed.positional.iter().skip(1).cloned().collect()))
}

/// The `dokku` script puts `ps:rebuild` and `ps:restart` under build capture whenever they have
/// a first argument, before anything checks it: from then on both streams go to stdout.
pub(crate) fn start_build_capture(ctx: &mut Ctx, args: &[String]) {
    if args.first().is_some_and(|a| !a.is_empty()) {
        ctx.out.capture = true;
    }
}

/// A build (`git_receive_app`) takes the app's deploy lock and removes the lock file when it
/// ends, whether it succeeded or not. `apps:lock` only creates that file and holds no lock, so
/// it never stops a build, and a build unlocks the app.
fn release_deploy_lock(ctx: &mut Ctx, name: &str) {
    ctx.app_mut(name).locked = false;
}

pub(crate) fn rebuild(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    start_build_capture(ctx, args);
    let (apps, _) = targets(ctx, args)?;
    for name in apps {
        release_deploy_lock(ctx, &name);
        if !ctx.app(&name).deployed {
            return Err(no_commits(&mut ctx.out));
        }
        bump_deploy(ctx.state, &name);
        build_log(&mut ctx.out, ctx.state, &name);
        deploy_log(&mut ctx.out, ctx.state, &name, None);
    }
    Ok(())
}

/// `ps:restart`, `ps:stop` and `ps:start` skip an app that was never deployed, with a warning.
/// Each keeps its own loop around it: what they do with a deployed app differs, and its output
/// must interleave with these warnings in order.
fn deployed_or_warn(ctx: &mut Ctx, name: &str) -> bool {
    let deployed = ctx.app(name).deployed;
    if !deployed {
        ctx.out.warn(&format!("App {name} has not been deployed"));
    }
    deployed
}

/// Restarts take no deploy lock (only builds do).
pub(crate) fn restart(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    start_build_capture(ctx, args);
    let (apps, rest) = targets(ctx, args)?;
    let only = rest.first().map(|t| vec![t.clone()]);
    for name in apps {
        if !deployed_or_warn(ctx, &name) {
            continue;
        }
        bump_deploy(ctx.state, &name);
        deploy_log(&mut ctx.out, ctx.state, &name, only.as_deref());
    }
    Ok(())
}

pub(crate) fn stop(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let (apps, _) = targets(ctx, args)?;
    for name in apps {
        if !deployed_or_warn(ctx, &name) {
            continue;
        }
        ctx.out.line_quiet(&format!("Stopping {name}"));
        let app = ctx.app_mut(&name);
        app.stopped = true;
        // ps:stop keeps the app down across config changes and reboots.
        app.ps.insert("restore".into(), "false".into());
    }
    Ok(())
}

pub(crate) fn start(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let (apps, _) = targets(ctx, args)?;
    for name in apps {
        if !deployed_or_warn(ctx, &name) {
            continue;
        }
        ctx.app_mut(&name).ps.remove("restore");
        if !ctx.app(&name).stopped {
            ctx.out.warn(&format!("App {name} already running"));
            continue;
        }
        ctx.out.warn("App has been detected as not running, releasing");
        bump_deploy(ctx.state, &name);
        deploy_log(&mut ctx.out, ctx.state, &name, None);
    }
    Ok(())
}

/// The hidden `sim:deploy <app> [proctype...]`: what a `git push` would do, with its log.
pub(crate) fn sim_deploy(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let name = ctx.verify_app(args.first().map(String::as_str))?;
    let types: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    mark_deployed(ctx.state, &name, &types).map_err(|e| ctx.out.fail(&e))?;
    build_log(&mut ctx.out, ctx.state, &name);
    deploy_log(&mut ctx.out, ctx.state, &name, None);
    Ok(())
}
