//! `plugin:list` and `plugin:installed`: the core plugins of the claimed Dokku version plus the
//! datastore, http-auth and maintenance plugins (dokku-host.md §3.2, §3.4, §3.11).

use serde::Serialize;

use crate::context::Ctx;
use crate::flags::{self, value_flag};
use crate::output::{CmdResult, Stop, go_json};
use crate::ps::hex_id;
use crate::services::DATASTORES;

/// The plugn release whose `plugn: <version>` header `plugin:list` prints.
const PLUGN_VERSION: &str = "0.16.0";

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

fn installed(ctx: &Ctx) -> Vec<Plugin> {
    let mut plugins: Vec<Plugin> = CORE
        .iter()
        .map(|name| Plugin {
            name: name.to_string(),
            version: ctx.v.as_str().to_string(),
            enabled: true,
            core: true,
            description: format!(
                "dokku core {} plugin",
                name.trim_start_matches(|c: char| c.is_ascii_digit() || c == '_')
            ),
            source_url: String::new(),
            committish: String::new(),
            branch: String::new(),
        })
        .collect();
    let mut third_party: Vec<(&str, &str, String)> = DATASTORES
        .iter()
        .map(|d| (d.name, d.plugin_version, format!("dokku {} service plugin", d.name)))
        .collect();
    third_party.push(("http-auth", "0.10.0", "dokku http-auth plugin".to_string()));
    third_party.push(("maintenance", "0.10.1", "dokku maintenance plugin".to_string()));
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

pub(crate) fn list(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let spec: &[flags::Flag] = if ctx.v.plugin_list_json() { &[value_flag("format")] } else { &[] };
    let parsed = flags::parse(&mut ctx.out, args, spec)?;
    let plugins = installed(ctx);
    match parsed.value("format").unwrap_or("stdout") {
        "json" => {
            let json = go_json(&plugins);
            ctx.out.line(&json);
        }
        "stdout" | "text" => {
            let width = plugins.iter().map(|p| p.name.len()).max().unwrap_or(0);
            ctx.out.line(&format!("plugn: {PLUGN_VERSION}"));
            for p in plugins {
                let status = if p.enabled { "enabled" } else { "disabled" };
                ctx.out.line(&format!(
                    "  {:<width$} {:<8} {:<8} {}",
                    p.name, p.version, status, p.description
                ));
            }
        }
        other => return Err(ctx.out.fail(&format!("Invalid format specified: {other}"))),
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
