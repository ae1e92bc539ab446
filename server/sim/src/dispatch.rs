//! The `dokku` dispatcher: global flags, the `--app` insertion for core plugins, routing a
//! subcommand to its implementation, and "is not a dokku command".

use crate::context::Ctx;
use crate::output::{CmdResult, Stop};
use crate::{apps, builder, buildpacks, config, domains, http_auth, maintenance, plugins, ps};
use crate::{proxy, resource, services, ssh_keys};

/// An argv split into the dispatcher's global flags, the subcommand and its arguments.
#[derive(Debug, Default)]
pub(crate) struct CommandLine {
    pub quiet: bool,
    pub force: bool,
    pub app: Option<String>,
    pub subcommand: Option<String>,
    pub args: Vec<String>,
}

/// Core commands whose first argument is the app: `--app X` is inserted there.
const APP_FIRST: &[&str] = &[
    "apps:destroy",
    "apps:exists",
    "apps:lock",
    "apps:locked",
    "apps:report",
    "apps:unlock",
    "builder:report",
    "builder:set",
    "buildpacks:add",
    "buildpacks:clear",
    "buildpacks:list",
    "buildpacks:remove",
    "buildpacks:report",
    "buildpacks:set",
    "config:clear",
    "config:export",
    "config:get",
    "config:import",
    "config:keys",
    "config:set",
    "config:show",
    "config:unset",
    "domains:add",
    "domains:clear",
    "domains:remove",
    "domains:report",
    "domains:set",
    "ps:rebuild",
    "ps:report",
    "ps:restart",
    "ps:scale",
    "ps:start",
    "ps:stop",
    "resource:limit",
    "resource:limit-clear",
    "resource:report",
    "resource:reserve",
    "resource:reserve-clear",
    "scheduler:report",
    "scheduler:set",
];

pub(crate) fn parse(argv: &[String]) -> CommandLine {
    let mut line = CommandLine::default();
    let mut i = 0;
    while i < argv.len() {
        match argv[i].as_str() {
            "--quiet" => line.quiet = true,
            "--force" => line.force = true,
            "--trace" | "--rm" | "--rm-container" | "--detach" => {}
            "--app" => {
                line.app = argv.get(i + 1).cloned();
                i += 1;
            }
            other if other.starts_with("--app=") => {
                line.app = Some(other["--app=".len()..].to_string());
            }
            _ => break,
        }
        i += 1;
    }
    line.subcommand = argv.get(i).cloned();
    line.args = argv.iter().skip(i + 1).cloned().collect();
    // `parse_args` scans every argument for these, not only the leading ones.
    line.quiet |= line.args.iter().any(|a| a == "--quiet");
    line.force |= line.args.iter().any(|a| a == "--force");
    if let (Some(app), Some(sub)) = (&line.app, &line.subcommand)
        && APP_FIRST.contains(&sub.as_str())
    {
        line.args.insert(0, app.clone());
    }
    line
}

/// Whether the command reads stdin: `config:import ... -` and `ssh-keys:add <name>` without a
/// key file. Only these make the binary read its stdin.
pub(crate) fn wants_stdin(line: &CommandLine) -> bool {
    let positional: Vec<&String> = line.args.iter().filter(|a| !a.starts_with("--")).collect();
    match line.subcommand.as_deref() {
        Some("config:import") => positional.last().is_some_and(|a| a.as_str() == "-"),
        Some("ssh-keys:add") => positional.len() == 1,
        _ => false,
    }
}

/// Flags whose value is the next argument, so it is not mistaken for the app.
const VALUE_FLAGS: &[&str] = &[
    "--format",
    "--index",
    "--process-type",
    "--cpu",
    "--memory",
    "--memory-swap",
    "--network",
    "--network-ingress",
    "--network-egress",
    "--nvidia-gpu",
    "--alias",
    "-a",
    "--querystring",
    "-q",
    "--fingerprint",
    "--parallel",
    "-i",
    "-I",
    "-p",
];

/// The app an invocation is about, for injection matching: the first positional argument (the
/// second for datastore link/unlink/linked), else the global `--app`.
pub(crate) fn target_app(line: &CommandLine) -> Option<String> {
    let mut positional = Vec::new();
    let mut skip = false;
    for arg in &line.args {
        if skip {
            skip = false;
            continue;
        }
        if VALUE_FLAGS.contains(&arg.as_str()) {
            skip = true;
            continue;
        }
        if arg.starts_with('-') && arg != "-" {
            continue;
        }
        positional.push(arg.clone());
    }
    let sub = line.subcommand.as_deref().unwrap_or("");
    let index = match sub.split_once(':') {
        Some((plugin, "link" | "unlink" | "linked")) if services::find(plugin).is_some() => 1,
        _ => 0,
    };
    positional.get(index).cloned().or_else(|| line.app.clone())
}

fn not_a_command(ctx: &mut Ctx, sub: &str) -> CmdResult {
    ctx.out.warn(&format!("`{sub}` is not a dokku command."));
    Err(ctx.out.fail("See `dokku help` for a list of available commands."))
}

/// Routes a subcommand: one arm per Dokku command (aliases share an arm), kept as a flat table
/// so the set of simulated commands reads at a glance.
pub(crate) fn execute(ctx: &mut Ctx, sub: &str, args: &[String]) -> CmdResult {
    match sub {
        "version" | "--version" | "-v" => {
            let line = format!("dokku version {}", ctx.v.as_str());
            ctx.out.line(&line);
            Ok(())
        }
        "help" | "--help" | "-h" => {
            help(ctx);
            Ok(())
        }
        "apps:list" => apps::list(ctx, args),
        "apps:create" => apps::create(ctx, args),
        "apps:exists" => apps::exists(ctx, args),
        "apps:report" => apps::report(ctx, args),
        "apps:destroy" => apps::destroy(ctx, args),
        "apps:lock" => apps::lock(ctx, args),
        "apps:unlock" => apps::unlock(ctx, args),
        "apps:locked" => apps::locked(ctx, args),
        "apps:set" => apps::set(ctx, args),
        "builder:report" => builder::builder_report(ctx, args),
        "builder:set" => builder::builder_set(ctx, args),
        "scheduler:report" => builder::scheduler_report(ctx, args),
        "scheduler:set" => builder::scheduler_set(ctx, args),
        "buildpacks:add" => buildpacks::add(ctx, args),
        "buildpacks:set" => buildpacks::set(ctx, args),
        "buildpacks:remove" => buildpacks::remove(ctx, args),
        "buildpacks:clear" => buildpacks::clear(ctx, args),
        "buildpacks:list" => buildpacks::list(ctx, args),
        "buildpacks:report" => buildpacks::report(ctx, args),
        "config:export" => config::export(ctx, args),
        "config:get" => config::get(ctx, args),
        "config:keys" => config::keys(ctx, args),
        "config:show" | "config" => config::show(ctx, args),
        "config:set" => config::set(ctx, args),
        "config:unset" => config::unset(ctx, args),
        "config:clear" => config::clear(ctx, args),
        "config:import" if ctx.v.config_import() => config::import(ctx, args),
        "domains:report" => domains::report(ctx, args),
        "domains:add" => domains::add(ctx, args),
        "domains:remove" => domains::remove(ctx, args),
        "domains:set" => domains::set(ctx, args),
        "domains:clear" => domains::clear(ctx, args),
        "domains:enable" => domains::enable(ctx, args),
        "domains:disable" => domains::disable(ctx, args),
        "domains:add-global" => domains::add_global(ctx, args),
        "domains:remove-global" => domains::remove_global(ctx, args),
        "domains:set-global" => domains::set_global(ctx, args),
        "domains:clear-global" => domains::clear_global(ctx, args),
        "ps:scale" => ps::scale(ctx, args),
        "ps:report" => ps::report(ctx, args),
        "ps:rebuild" => ps::rebuild(ctx, args),
        "ps:restart" => ps::restart(ctx, args),
        "ps:stop" => ps::stop(ctx, args),
        "ps:start" => ps::start(ctx, args),
        "resource:report" => resource::report(ctx, args),
        "resource:limit" => resource::limit(ctx, args),
        "resource:reserve" => resource::reserve(ctx, args),
        "resource:limit-clear" => resource::limit_clear(ctx, args),
        "resource:reserve-clear" => resource::reserve_clear(ctx, args),
        "http-auth:report" => http_auth::report(ctx, args),
        "http-auth:enable" | "http-auth:on" => http_auth::enable(ctx, args),
        "http-auth:disable" | "http-auth:off" => http_auth::disable(ctx, args),
        "http-auth:add-user" => http_auth::add_user(ctx, args),
        "http-auth:remove-user" => http_auth::remove_user(ctx, args),
        "http-auth:add-allowed-ip" => http_auth::add_allowed_ip(ctx, args),
        "http-auth:remove-allowed-ip" => http_auth::remove_allowed_ip(ctx, args),
        "http-auth:show-config" => http_auth::show_config(ctx, args),
        "maintenance:report" => maintenance::report(ctx, args),
        "maintenance:enable" | "maintenance:on" => maintenance::enable(ctx, args),
        "maintenance:disable" | "maintenance:off" => maintenance::disable(ctx, args),
        "ssh-keys:list" => ssh_keys::list(ctx, args),
        "ssh-keys:add" => ssh_keys::add(ctx, args),
        "ssh-keys:remove" => ssh_keys::remove(ctx, args),
        "plugin:list" => plugins::list(ctx, args),
        "plugin:installed" => plugins::is_installed(ctx, args),
        "proxy:report" => proxy::report(ctx, args),
        "nginx:validate-config" => proxy::validate_config(ctx, args),
        "sim:deploy" => ps::sim_deploy(ctx, args),
        other => {
            if let Some((plugin, command)) = other.split_once(':')
                && let Some(ds) = services::find(plugin)
                && let Some(result) = services::run(ctx, ds, command, args)
            {
                return result;
            }
            not_a_command(ctx, other)
        }
    }
}

fn help(ctx: &mut Ctx) {
    ctx.out.line("Usage: dokku [--quiet|--trace|--force] COMMAND <app> [command-specific-options]");
    ctx.out.line("");
    ctx.out.line("Primary help options, type \"dokku COMMAND:help\" for more details, or dokku help --all to see all commands.");
    ctx.out.line("");
    ctx.out.line("Commands:");
    ctx.out.line("");
    for (name, desc) in [
        ("apps", "Manage apps"),
        ("builder", "Manage builder settings for an app"),
        ("buildpacks", "Manage buildpack settings for an app"),
        ("config", "Manage global and app-specific config vars"),
        ("domains", "Manage vhost domains used by the Dokku proxy"),
        ("http-auth", "Manage HTTP Basic Authentication for an app"),
        ("maintenance", "Manage maintenance mode for an app"),
        ("mongo", "Manage mongo services"),
        ("mysql", "Manage mysql services"),
        ("plugin", "Manage installed plugins"),
        ("postgres", "Manage postgres services"),
        ("ps", "List processes running in app container(s)"),
        ("redis", "Manage redis services"),
        ("resource", "Manage resource settings for an app"),
        ("scheduler", "Manage scheduler settings for an app"),
        ("ssh-keys", "Manage public ssh keys that are allowed to connect to Dokku"),
        ("version", "Print dokku's version"),
    ] {
        ctx.out.line(&format!("    {name:<15} {desc}"));
    }
}

/// The status a command ended with.
pub(crate) fn status_of(result: CmdResult) -> i32 {
    match result {
        Ok(()) => 0,
        Err(Stop(status)) => status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn global_flags_and_app_insertion() {
        let line = parse(&argv(&["--quiet", "--app", "web", "ps:scale", "worker=2"]));
        assert!(line.quiet);
        assert_eq!(line.subcommand.as_deref(), Some("ps:scale"));
        assert_eq!(line.args, ["web", "worker=2"]);
        let line = parse(&argv(&["postgres:destroy", "db", "--force"]));
        assert!(line.force);
    }

    #[test]
    fn stdin_consumers() {
        assert!(wants_stdin(&parse(&argv(&["config:import", "--format", "json", "a", "-"]))));
        assert!(wants_stdin(&parse(&argv(&["ssh-keys:add", "alice"]))));
        assert!(!wants_stdin(&parse(&argv(&["ssh-keys:add", "alice", "/tmp/k.pub"]))));
        assert!(!wants_stdin(&parse(&argv(&["config:set", "a", "K=V"]))));
    }

    #[test]
    fn injection_target() {
        let t = |list: &[&str]| target_app(&parse(&argv(list)));
        assert_eq!(t(&["ps:rebuild", "web"]).as_deref(), Some("web"));
        assert_eq!(t(&["buildpacks:add", "--index", "1", "web", "x/y"]).as_deref(), Some("web"));
        assert_eq!(t(&["postgres:link", "db", "web", "--no-restart"]).as_deref(), Some("web"));
        assert_eq!(t(&["--app", "web", "postgres:app-links"]).as_deref(), Some("web"));
    }
}
