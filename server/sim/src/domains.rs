//! `domains:*`: a bash plugin until 0.38.22 (printf rows, space-separated
//! flag lists, JSON only from 0.38.0), a Go one since.

use crate::context::Ctx;
use crate::output::{CmdResult, Stop, bash_key, bash_row};
use crate::report::{self, Format, GoReport};

const FLAGS: [&str; 4] = [
    "--domains-app-enabled",
    "--domains-app-vhosts",
    "--domains-global-enabled",
    "--domains-global-vhosts",
];

/// `is_valid_hostname`: lower-cased, `^[a-z0-9.*-]*[a-z0-9*-]$`, or exactly `_`.
fn is_valid_domain(domain: &str) -> bool {
    let lower = domain.to_lowercase();
    if lower == "_" {
        return true;
    }
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '*' || c == '-';
    match lower.chars().last() {
        Some(last) if ok(last) => lower.chars().all(|c| ok(c) || c == '.'),
        _ => false,
    }
}

fn values(ctx: &Ctx, subject: &str) -> Vec<(String, String)> {
    let global = &ctx.state.global.vhosts;
    let mut rows = Vec::new();
    if subject != "--global" {
        let app = ctx.app(subject);
        rows.push((FLAGS[0], app.vhosts_enabled().to_string()));
        rows.push((FLAGS[1], app.vhosts.join(" ")));
    }
    rows.push((FLAGS[2], (!global.is_empty()).to_string()));
    rows.push((FLAGS[3], global.join(" ")));
    rows.into_iter().map(|(f, v)| (f.to_string(), v)).collect()
}

pub(crate) fn report(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    if ctx.v.domains_go() {
        let spec = GoReport {
            report_type: "domains",
            json_trim: true,
            json_legacy: false,
            row_trim: false,
            uppercase: true,
        };
        return report::run(ctx, args, &spec, values);
    }
    bash_report(ctx, args)
}

/// The bash report of 0.34–0.38.21: `--format` is an unknown info flag before 0.38.0.
fn bash_report(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let mut subject = None;
    let mut info_flag = None;
    let mut format = Format::Stdout;
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--format" && ctx.v.domains_json() {
            if args.get(i).map(String::as_str) == Some("json") {
                format = Format::Json;
            }
            i += 1;
        } else if arg == "--global" && ctx.v.domains_json() {
            subject = Some(arg.clone());
        } else if arg.starts_with("--") {
            info_flag.get_or_insert(arg.clone());
        } else {
            subject.get_or_insert(arg.clone());
        }
    }
    let subjects = match subject.as_deref() {
        Some("--global") => vec!["--global".to_string()],
        Some(app) => vec![ctx.verify_app(Some(app))?],
        None => ctx.state.apps.keys().cloned().collect(),
    };
    for subject in subjects {
        let rows = values(ctx, &subject);
        if let Some(flag) = &info_flag {
            match rows.iter().find(|(f, _)| f == flag) {
                Some((_, value)) if !value.is_empty() => ctx.out.line(value),
                Some(_) => {}
                None => {
                    let valid: Vec<&str> = rows.iter().map(|(f, _)| f.as_str()).collect();
                    return Err(ctx
                        .out
                        .fail(&format!("Invalid flag passed, valid flags: {}", valid.join(" "))));
                }
            }
            continue;
        }
        if format == Format::Json {
            let map: std::collections::BTreeMap<String, String> = rows
                .into_iter()
                .map(|(f, v)| (f.trim_start_matches("--domains-").to_string(), v))
                .collect();
            let json = serde_json::to_string(&map).unwrap_or_default();
            ctx.out.line(&json);
            continue;
        }
        ctx.out.info2_quiet(&format!("{subject} domains information"));
        for (flag, value) in rows {
            ctx.out.verbose(&bash_row(&bash_key(&flag), &value, 30));
        }
    }
    Ok(())
}

fn app_and_domains(
    ctx: &mut Ctx,
    args: &[String],
    usage: &str,
) -> Result<(String, Vec<String>), Stop> {
    let name = ctx.verify_app(args.first().map(String::as_str))?;
    let domains: Vec<String> = args.iter().skip(1).cloned().collect();
    if domains.is_empty() {
        return Err(ctx.out.fail(&format!("Please specify a domain name. Usage: dokku {usage}")));
    }
    // Every domain is validated before any is written.
    for domain in &domains {
        if !is_valid_domain(domain) {
            return Err(ctx.out.fail(&format!("{domain} is invalid. exiting...")));
        }
    }
    Ok((name, domains))
}

pub(crate) fn add(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let (name, domains) = app_and_domains(ctx, args, "domains:add <app> <domain> [<domain> ...]")?;
    for domain in domains {
        // Exact, case-sensitive line match; the original case is stored.
        if ctx.app(&name).vhosts.contains(&domain) {
            ctx.out.info1(&format!("Skipping: {domain} already added to {name}"));
            continue;
        }
        ctx.app_mut(&name).vhosts.push(domain.clone());
        ctx.out.info1(&format!("Added {domain} to {name}"));
    }
    // Adding a domain re-enables vhosts that were disabled, without a restart.
    if !ctx.app(&name).vhosts_enabled() {
        enable_vhosts(ctx, &name, false);
    }
    nginx_build_config(ctx, &name);
    Ok(())
}

pub(crate) fn remove(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let (name, domains) =
        app_and_domains(ctx, args, "domains:remove <app> <domain> [<domain> ...]")?;
    for domain in domains {
        // A `sed` delete: dots in the pattern match any character, and absence is no error.
        ctx.app_mut(&name).vhosts.retain(|line| !sed_line_match(&domain, line));
        ctx.out.info1(&format!("Removed {domain} from {name}"));
    }
    nginx_build_config(ctx, &name);
    Ok(())
}

pub(crate) fn set(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let (name, domains) = app_and_domains(ctx, args, "domains:set <app> <domain> [<domain> ...]")?;
    ctx.app_mut(&name).vhosts = domains.clone();
    ctx.out.info1(&format!("Set {} for {name}", domains.join(" ")));
    if !ctx.app(&name).vhosts_enabled() {
        enable_vhosts(ctx, &name, false);
    }
    nginx_build_config(ctx, &name);
    Ok(())
}

pub(crate) fn clear(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let name = ctx.verify_app(args.first().map(String::as_str))?;
    ctx.app_mut(&name).vhosts.clear();
    nginx_build_config(ctx, &name);
    ctx.out.info1(&format!("Cleared domains in {name}"));
    Ok(())
}

pub(crate) fn enable(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let name = ctx.verify_app(args.first().map(String::as_str))?;
    if ctx.app(&name).vhosts_enabled() {
        ctx.out.info1(&format!("Domains (VHOST) support is already enabled for app ({name})"));
        return Ok(());
    }
    enable_vhosts(ctx, &name, true);
    Ok(())
}

pub(crate) fn disable(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let name = ctx.verify_app(args.first().map(String::as_str))?;
    if !ctx.app(&name).vhosts_enabled() {
        ctx.out.info1(&format!("Domains (VHOST) support is already disabled for app ({name})"));
        return Ok(());
    }
    // `domains:disable` touches the VHOST file first, so the removal is always announced.
    ctx.out.info1("App virtual host support disabled");
    disable_vhosts(ctx, &name);
    Ok(())
}

/// `disable_app_vhost <app> --no-restart`: the VHOST file goes, `NO_VHOST=1` is set quietly, and
/// the proxy config is rebuilt.
pub(crate) fn disable_vhosts(ctx: &mut Ctx, app: &str) {
    let entry = ctx.app_mut(app);
    entry.vhosts.clear();
    entry.env.insert("NO_VHOST".into(), "1".into());
    nginx_build_config(ctx, app);
}

/// `domains_enable`: the app's VHOST file becomes the default vhosts when there are any (the
/// domains just added are lost then), and `NO_VHOST=0` is set quietly. From a command
/// (`restart`) a deployed app restarts; from `domains:add|set` (`--no-restart`) the proxy config
/// is rebuilt instead.
fn enable_vhosts(ctx: &mut Ctx, app: &str, restart: bool) {
    let defaults = default_vhosts(ctx, app);
    let entry = ctx.app_mut(app);
    if !defaults.is_empty() {
        entry.vhosts = defaults;
    }
    entry.env.insert("NO_VHOST".into(), "0".into());
    if !restart {
        nginx_build_config(ctx, app);
    } else if ctx.restarts(app) {
        crate::ps::restart_app(ctx, app);
    }
}

/// `get_default_vhosts`: one per global vhost that is not an IP address, `<app>.<vhost>`, or the
/// app's own name when it has a dot.
pub(crate) fn default_vhosts(ctx: &Ctx, app: &str) -> Vec<String> {
    let is_ip = |v: &str| v.parse::<std::net::IpAddr>().is_ok();
    ctx.state
        .global
        .vhosts
        .iter()
        .filter(|v| is_valid_domain(v) && !is_ip(v))
        .map(|v| if app.contains('.') { app.to_string() } else { format!("{app}.{v}") })
        .collect()
}

/// `nginx_build_config` of an app (nginx is the proxy): the `Configuring` line of each vhost, the
/// config written and nginx reloaded. An app that was never deployed has no web listeners, which
/// is warned about (not under `--quiet`).
pub(crate) fn nginx_build_config(ctx: &mut Ctx, app: &str) {
    let entry = ctx.app(app);
    let deployed = entry.deployed;
    let mut vhosts: Vec<String> =
        if entry.vhosts_enabled() { entry.vhosts.clone() } else { Vec::new() };
    vhosts.sort();
    vhosts.dedup();
    if !deployed {
        ctx.out.warn_quiet(&format!("No web listeners specified for {app}"));
    }
    for vhost in vhosts {
        ctx.out.line(&format!("-----> Configuring {vhost}...(using built-in template)"));
    }
    ctx.out.info1("Creating http nginx.conf");
    ctx.out.verbose("Reloading nginx");
}

fn global_domains(ctx: &mut Ctx, args: &[String], usage: &str) -> Result<Vec<String>, Stop> {
    if args.is_empty() {
        return Err(ctx.out.fail(&format!("Please specify a domain name. Usage: dokku {usage}")));
    }
    for domain in args {
        if !is_valid_domain(domain) {
            return Err(ctx.out.fail(&format!("{domain} is invalid. exiting...")));
        }
    }
    Ok(args.to_vec())
}

/// Global vhosts (`$DOKKU_ROOT/VHOST`): new apps get their default vhosts from them ([`default_vhosts`]).
pub(crate) fn add_global(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    for domain in global_domains(ctx, args, "domains:add-global <domain> [<domain> ...]")? {
        if ctx.state.global.vhosts.contains(&domain) {
            ctx.out.info1(&format!("Skipping {domain}: already added"));
            continue;
        }
        ctx.state.global.vhosts.push(domain.clone());
        ctx.out.info1(&format!("Added {domain}"));
    }
    Ok(())
}

pub(crate) fn remove_global(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    for domain in global_domains(ctx, args, "domains:remove-global <domain> [<domain> ...]")? {
        ctx.state.global.vhosts.retain(|line| !sed_line_match(&domain, line));
        ctx.out.info1(&format!("Removed {domain}"));
    }
    Ok(())
}

pub(crate) fn set_global(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let domains = global_domains(ctx, args, "domains:set-global <domain> [<domain> ...]")?;
    ctx.out.info1(&format!("Set {}", domains.join(" ")));
    ctx.state.global.vhosts = domains;
    Ok(())
}

pub(crate) fn clear_global(ctx: &mut Ctx, _args: &[String]) -> CmdResult {
    ctx.out.info1_quiet("Clearing global domains");
    ctx.state.global.vhosts.clear();
    Ok(())
}

/// `sed "/^$PATTERN$/d"` for a hostname pattern: `.` is any character, `*` repeats the previous
/// one, everything else is literal.
///
/// Kept apart from the server's prediction of the same match (`sed_deletes` in its domains
/// module) on purpose: the tests compare the two, which one shared function could not.
fn sed_line_match(pattern: &str, line: &str) -> bool {
    fn matches(p: &[char], s: &[char]) -> bool {
        match p {
            [] => s.is_empty(),
            [c, '*', rest @ ..] => {
                let mut i = 0;
                loop {
                    if matches(rest, &s[i..]) {
                        return true;
                    }
                    if i < s.len() && (*c == '.' || s[i] == *c) {
                        i += 1;
                    } else {
                        return false;
                    }
                }
            }
            [c, rest @ ..] => !s.is_empty() && (*c == '.' || s[0] == *c) && matches(rest, &s[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = line.chars().collect();
    matches(&p, &s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_rules() {
        assert!(is_valid_domain("Example.COM"));
        assert!(is_valid_domain("*.example.com"));
        assert!(is_valid_domain("_"));
        assert!(!is_valid_domain("example.com."));
        assert!(!is_valid_domain("exa mple.com"));
        assert!(!is_valid_domain(""));
    }

    #[test]
    fn removal_is_a_regex() {
        assert!(sed_line_match("a.b", "a.b"));
        assert!(sed_line_match("a.b", "axb"));
        assert!(!sed_line_match("a.b", "a.bc"));
    }
}
