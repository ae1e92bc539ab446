//! The dokku-maintenance plugin 0.10.1: report (with its hand-built JSON),
//! enable, disable. No custom pages are simulated, so their sha256 is always empty.

use crate::context::Ctx;
use crate::http_auth::require_some_app;
use crate::output::{CmdResult, bash_key, bash_row};

const FLAGS: [&str; 2] = ["--maintenance-enabled", "--maintenance-custom-page-sha256"];

pub(crate) fn report(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let mut app = None;
    let mut info_flag = None;
    let mut json = false;
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--format" {
            json = args.get(i).map(String::as_str) == Some("json");
            i += 1;
        } else if arg == "--global" {
            app = Some(arg.clone());
        } else if arg.starts_with("--") {
            info_flag.get_or_insert(arg.clone());
        } else {
            app.get_or_insert(arg.clone());
        }
    }
    if app.as_deref() == Some("--global") {
        if json {
            ctx.out.line("{}");
        }
        return Ok(());
    }
    require_some_app(ctx)?;
    let apps = match app {
        Some(app) => vec![ctx.verify_app(Some(&app))?],
        None => ctx.state.apps.keys().cloned().collect(),
    };
    for name in apps {
        let enabled = ctx.app(&name).maintenance.to_string();
        let values = [enabled.clone(), String::new()];
        if let Some(flag) = &info_flag {
            let Some(index) = FLAGS.iter().position(|f| f == flag) else {
                return Err(ctx
                    .out
                    .fail(&format!("Invalid flag passed, valid flags: {}", FLAGS.join(" "))));
            };
            if !values[index].is_empty() {
                ctx.out.line(&values[index]);
            }
            continue;
        }
        if json {
            // Built by the plugin itself: this key order, string values.
            ctx.out.line(&format!("{{\"enabled\":\"{enabled}\",\"custom-page-sha256\":\"\"}}"));
            continue;
        }
        ctx.out.info2_quiet(&format!("{name} maintenance information"));
        for (flag, value) in FLAGS.iter().zip(values) {
            ctx.out.verbose(&bash_row(&bash_key(flag), &value, 30));
        }
    }
    Ok(())
}

// enable and disable mirror the plugin's two separate subcommand scripts, each with its own
// wording; they are alike because the scripts are.
pub(crate) fn enable(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let name = ctx.verify_app(args.first().map(String::as_str))?;
    if ctx.app(&name).maintenance {
        ctx.out.info1("Maintenance mode already enabled");
        return Ok(());
    }
    ctx.out.info1(&format!("Enabling maintenance mode for {name}..."));
    ctx.app_mut(&name).maintenance = true;
    ctx.out.verbose("Done");
    Ok(())
}

pub(crate) fn disable(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let name = ctx.verify_app(args.first().map(String::as_str))?;
    if !ctx.app(&name).maintenance {
        ctx.out.info1("Maintenance mode already disabled");
        return Ok(());
    }
    ctx.out.info1(&format!("Disabling maintenance mode for {name}..."));
    ctx.app_mut(&name).maintenance = false;
    ctx.out.verbose("Done");
    Ok(())
}
