//! `plugin:list` and `plugin:installed`: the core plugins of the claimed Dokku version plus the
//! datastore, http-auth and maintenance plugins.

use serde::Serialize;

use crate::context::Ctx;
use crate::output::{CmdResult, Stop, go_json};
use crate::ps::hex_id;
use crate::services::DATASTORES;

/// The core plugins a 0.38 host has installed, by name.
const CORE: [&str; 46] = [
    "00_dokku-standard",
    "20_events",
    "app-json",
    "apps",
    "builder",
    "builder-dockerfile",
    "builder-herokuish",
    "builder-lambda",
    "builder-nixpacks",
    "builder-null",
    "builder-pack",
    "builder-railpack",
    "buildpacks",
    "builds",
    "caddy-vhosts",
    "certs",
    "checks",
    "common",
    "config",
    "cron",
    "docker-options",
    "domains",
    "enter",
    "git",
    "haproxy-vhosts",
    "logs",
    "network",
    "nginx-vhosts",
    "openresty-vhosts",
    "plugin",
    "ports",
    "proxy",
    "ps",
    "registry",
    "repo",
    "resource",
    "run",
    "scheduler",
    "scheduler-docker-local",
    "scheduler-k3s",
    "scheduler-null",
    "shell",
    "ssh-keys",
    "storage",
    "traefik-vhosts",
    "trace",
];

/// One row of `plugin:list --format json`, fields in Dokku's order.
#[derive(Serialize)]
struct Plugin {
    name: String,
    version: String,
    enabled: bool,
    core: bool,
    description: String,
    source_url: String,
    committish: String,
    branch: String,
}

/// A core plugin's `plugin.toml`: its version is Dokku's, except for `builds`, whose file
/// still says 0.34.0; its description is `dokku core <name> plugin` but for three.
fn core_plugin(name: &str, dokku_version: &str) -> (String, String) {
    let version = if name == "builds" { "0.34.0" } else { dokku_version };
    let description = match name {
        "00_dokku-standard" => "dokku core standard plugin".to_string(),
        "20_events" => "dokku core events logging plugin".to_string(),
        "certs" => "dokku core certificate management plugin".to_string(),
        other => format!("dokku core {other} plugin"),
    };
    (version.to_string(), description)
}

fn installed(ctx: &Ctx) -> Vec<Plugin> {
    let mut plugins: Vec<Plugin> = CORE
        .iter()
        .map(|name| {
            let (version, description) = core_plugin(name, ctx.v.as_str());
            Plugin {
                name: name.to_string(),
                version,
                enabled: true,
                core: true,
                description,
                source_url: String::new(),
                committish: String::new(),
                branch: String::new(),
            }
        })
        .collect();
    let mut third_party: Vec<(&str, &str, String)> = DATASTORES
        .iter()
        .map(|d| (d.name, d.plugin_version, format!("dokku {} service plugin", d.name)))
        .collect();
    third_party.push(("http-auth", "0.10.0", "HTTP authentication for apps".to_string()));
    third_party.push(("maintenance", "0.10.1", "Maintenance mode for apps".to_string()));
    for (name, version, description) in third_party {
        plugins.push(Plugin {
            name: name.to_string(),
            version: version.to_string(),
            enabled: true,
            core: false,
            description,
            source_url: format!("https://github.com/dokku/dokku-{name}.git"),
            committish: hex_id(&[name, version])[..40].to_string(),
            branch: "master".to_string(),
        });
    }
    plugins.sort_by(|a, b| a.name.cmp(&b.name));
    plugins
}

/// `plugin:list [--format stdout|json]`: plugn's table, or (0.38.22+) JSON. The arguments are
/// read by hand: before 0.38.22 they are all ignored (`--format json` prints the table), since
/// then `--format` is the only one looked at.
pub(crate) fn list(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let mut format = "stdout".to_string();
    if ctx.v.plugin_list_json() {
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            if arg == "--format" {
                format = rest.next().cloned().unwrap_or_default();
            } else if let Some(value) = arg.strip_prefix("--format=") {
                format = value.to_string();
            }
        }
    }
    let plugins = installed(ctx);
    match format.as_str() {
        "json" => {
            let json = go_json(&plugins);
            ctx.out.line(&json);
        }
        "stdout" => {
            // plugn's `printf "  %-20s %-5s %-10s %s\n"`.
            for p in plugins {
                let status = if p.enabled { "enabled" } else { "disabled" };
                ctx.out.line(&format!(
                    "  {:<20} {:<5} {:<10} {}",
                    p.name, p.version, status, p.description
                ));
            }
        }
        _ => {
            return Err(ctx
                .out
                .fail("Invalid output format specified, supported formats: json, stdout"));
        }
    }
    Ok(())
}

/// Exit 0 when installed, 1 when not; never any output.
pub(crate) fn is_installed(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let Some(name) = args.first() else {
        return Err(ctx.out.fail("Please specify a plugin"));
    };
    if installed(ctx).iter().any(|p| &p.name == name) { Ok(()) } else { Err(Stop(1)) }
}
