//! The official datastore plugins postgres, mysql, redis and mongo: one bash
//! template, so one implementation parameterised by the plugin's constants.

use crate::context::{Ctx, MSG_NO_APP};
use crate::output::{CmdResult, Stop, bash_key, bash_row};
use crate::ps::{hex_id, restart_app};
use crate::state::Service;

pub(crate) struct Datastore {
    /// The command prefix and installed plugin name.
    pub name: &'static str,
    /// `PLUGIN_SERVICE`, as messages print it.
    pub service: &'static str,
    pub plugin_version: &'static str,
    pub image: &'static str,
    pub image_version: &'static str,
    pub port: u16,
    pub default_alias: &'static str,
    pub alt_alias: &'static str,
    pub scheme: &'static str,
    /// `PLUGIN_CONFIG_SUFFIX`: where `--config-dir` points.
    pub config_suffix: &'static str,
    /// Whether create prints "Creating container database".
    pub creates_database: bool,
}

pub(crate) const DATASTORES: [Datastore; 4] = [
    Datastore {
        name: "mongo",
        service: "Mongo",
        plugin_version: "1.42.2",
        image: "mongo",
        image_version: "8.0.13",
        port: 27017,
        default_alias: "MONGO",
        alt_alias: "DOKKU_MONGO",
        scheme: "mongodb",
        config_suffix: "config",
        creates_database: true,
    },
    Datastore {
        name: "mysql",
        service: "MySQL",
        plugin_version: "1.44.1",
        image: "mysql",
        image_version: "9.4.0",
        port: 3306,
        default_alias: "DATABASE",
        alt_alias: "DOKKU_MYSQL",
        scheme: "mysql",
        config_suffix: "config",
        creates_database: true,
    },
    Datastore {
        name: "postgres",
        service: "Postgres",
        plugin_version: "1.48.0",
        image: "postgres",
        image_version: "18.4",
        port: 5432,
        default_alias: "DATABASE",
        alt_alias: "DOKKU_POSTGRES",
        scheme: "postgres",
        config_suffix: "data",
        creates_database: true,
    },
    Datastore {
        name: "redis",
        service: "Redis",
        plugin_version: "1.42.0",
        image: "redis",
        image_version: "8.2.1",
        port: 6379,
        default_alias: "REDIS",
        alt_alias: "DOKKU_REDIS",
        scheme: "redis",
        config_suffix: "config",
        creates_database: false,
    },
];

pub(crate) fn find(name: &str) -> Option<&'static Datastore> {
    DATASTORES.iter().find(|d| d.name == name)
}

/// Subcommands the real plugins have that the sim does not model: they fail plainly instead of
/// pretending to be unknown.
const UNMODELLED: &[&str] = &[
    "backup",
    "backup-auth",
    "backup-deauth",
    "backup-schedule",
    "backup-schedule-cat",
    "backup-set-encryption",
    "backup-unschedule",
    "backup-unset-encryption",
    "clone",
    "connect",
    "enter",
    "export",
    "expose",
    "import",
    "logs",
    "pause",
    "promote",
    "restart",
    "set",
    "start",
    "stop",
    "unexpose",
];

/// Runs `<plugin>:<sub>`; `None` when the plugin has no such subcommand.
pub(crate) fn run(ctx: &mut Ctx, ds: &Datastore, sub: &str, args: &[String]) -> Option<CmdResult> {
    let result = match sub {
        "list" => list(ctx, ds),
        "create" => create(ctx, ds, args),
        "info" => info(ctx, ds, args),
        "exists" => exists(ctx, ds, args),
        "destroy" => destroy(ctx, ds, args),
        "link" => link(ctx, ds, args),
        "unlink" => unlink(ctx, ds, args),
        "linked" => linked(ctx, ds, args),
        "links" => links(ctx, ds, args),
        "app-links" => app_links(ctx, ds, args),
        other if UNMODELLED.contains(&other) || other.starts_with("backup") => {
            Err(ctx.out.fail(&format!("dokku-sim does not simulate {}:{other}", ds.name)))
        }
        _ => return None,
    };
    Some(result)
}

fn service_dir(ds: &Datastore, svc: &str) -> String {
    format!("/var/lib/dokku/services/{}/{svc}", ds.name)
}

pub(crate) fn dsn(ds: &Datastore, svc: &str, service: &Service) -> String {
    let host = format!("dokku-{}-{}", ds.name, svc.replace(['_', '.'], "-"));
    let database = svc.replace(['.', '-'], "_");
    let (scheme, port, pw) = (ds.scheme, ds.port, &service.password);
    match ds.name {
        "redis" => format!("{scheme}://:{pw}@{host}:{port}"),
        "mongo" => format!("{scheme}://{svc}:{pw}@{host}:{port}/{database}"),
        user => format!("{scheme}://{user}:{pw}@{host}:{port}/{database}"),
    }
}

fn is_valid_service_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `verify_service_name`: the service exists, or the plugin fails.
fn verify_service(ctx: &mut Ctx, ds: &Datastore, svc: Option<&str>) -> Result<String, Stop> {
    let svc = match svc {
        Some(svc) if !svc.is_empty() => svc,
        _ => return Err(ctx.out.fail("Please specify a valid name for the service")),
    };
    let exists = ctx.state.services.get(ds.name).is_some_and(|s| s.contains_key(svc));
    if !exists {
        return Err(ctx.out.fail(&format!("{} service {svc} does not exist", ds.service)));
    }
    Ok(svc.to_string())
}

fn service<'c>(ctx: &'c Ctx, ds: &Datastore, svc: &str) -> Option<&'c Service> {
    ctx.state.services.get(ds.name).and_then(|s| s.get(svc))
}

fn service_mut<'c>(ctx: &'c mut Ctx, ds: &Datastore, svc: &str) -> Option<&'c mut Service> {
    ctx.state.services.get_mut(ds.name).and_then(|s| s.get_mut(svc))
}

/// `service_parse_args`: long options become getopts letters; positionals are kept in order.
fn parse_options(args: &[String]) -> (Vec<String>, Vec<(char, String)>, Vec<char>) {
    const WITH_VALUE: &str = "aCcdiImNpPqrSsu";
    let long = |name: &str| match name {
        "--alias" => Some('a'),
        "--config-options" => Some('c'),
        "--custom-env" => Some('C'),
        "--database" => Some('d'),
        "--image" => Some('i'),
        "--image-version" => Some('I'),
        "--memory" => Some('m'),
        "--initial-network" => Some('N'),
        "--password" => Some('p'),
        "--post-create-network" => Some('P'),
        "--querystring" => Some('q'),
        "--root-password" => Some('r'),
        "--post-start-network" => Some('S'),
        "--shm-size" => Some('s'),
        "--user" => Some('u'),
        "--no-restart" => Some('n'),
        "--force" => Some('f'),
        _ => None,
    };
    let (mut positional, mut values, mut switches) = (Vec::new(), Vec::new(), Vec::new());
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let letter = if let Some(letter) = long(arg) {
            Some(letter)
        } else if arg.len() == 2 && arg.starts_with('-') {
            arg.chars().nth(1)
        } else {
            None
        };
        match letter {
            Some(letter) if WITH_VALUE.contains(letter) => {
                let value = args.get(i).cloned().unwrap_or_default();
                i += 1;
                values.push((letter, value));
            }
            Some(letter) => switches.push(letter),
            None => positional.push(arg.clone()),
        }
    }
    (positional, values, switches)
}

fn option(values: &[(char, String)], letter: char) -> Option<String> {
    values.iter().rev().find(|(l, _)| *l == letter).map(|(_, v)| v.clone())
}

fn list(ctx: &mut Ctx, ds: &Datastore) -> CmdResult {
    let names: Vec<String> =
        ctx.state.services.get(ds.name).map(|s| s.keys().cloned().collect()).unwrap_or_default();
    if names.is_empty() {
        ctx.out.warn(&format!("There are no {} services", ds.service));
        return Ok(());
    }
    ctx.out.info2_quiet(&format!("{} services", ds.service));
    for name in names {
        ctx.out.line(&name);
    }
    Ok(())
}

fn create(ctx: &mut Ctx, ds: &Datastore, args: &[String]) -> CmdResult {
    let (positional, values, _) = parse_options(args);
    let svc = positional.first().cloned().unwrap_or_default();
    if svc.is_empty() {
        return Err(ctx.out.fail("Please specify a valid name for the service"));
    }
    if !is_valid_service_name(&svc) {
        return Err(ctx.out.fail(
            "Please specify a valid name for the service. Valid characters are: [A-Za-z0-9_]+",
        ));
    }
    if service(ctx, ds, &svc).is_some() {
        return Err(ctx.out.fail(&format!("{} service {svc} already exists", ds.service)));
    }
    let seq = ctx.state.next_seq().to_string();
    let nonce = format!("{:?}", std::time::SystemTime::now());
    let password = match option(&values, 'p') {
        Some(password) => {
            ctx.out.warn("Specified password may not be as secure as the auto-generated password");
            password
        }
        None => hex_id(&[ds.name, &svc, &seq, &nonce, "password"])[..32].to_string(),
    };
    let ip_octet = ctx.state.seq % 250 + 2;
    let service = Service {
        password,
        root_password: option(&values, 'r')
            .unwrap_or_else(|| hex_id(&[ds.name, &svc, &seq, &nonce, "root"])[..32].to_string()),
        image: option(&values, 'i').unwrap_or_else(|| ds.image.to_string()),
        image_version: option(&values, 'I').unwrap_or_else(|| ds.image_version.to_string()),
        config_options: option(&values, 'c').unwrap_or_default(),
        custom_env: option(&values, 'C').unwrap_or_default(),
        memory: option(&values, 'm').unwrap_or_default(),
        shm_size: option(&values, 's').unwrap_or_default(),
        initial_network: option(&values, 'N').unwrap_or_default(),
        post_create_network: option(&values, 'P').unwrap_or_default(),
        post_start_network: option(&values, 'S').unwrap_or_default(),
        container_id: hex_id(&[ds.name, &svc, &seq, "container"]),
        internal_ip: format!("172.17.0.{ip_octet}"),
        links: Default::default(),
    };
    ctx.state.services.entry(ds.name.to_string()).or_default().insert(svc.clone(), service);
    ctx.out.verbose_quiet("Waiting for container to be ready");
    if ds.creates_database {
        ctx.out.verbose_quiet("Creating container database");
    }
    if ds.name == "postgres" {
        ctx.out.verbose_quiet("Securing connection to database");
    }
    ctx.out.info2(&format!("{} container created: {svc}", ds.service));
    print_info(ctx, ds, &svc, None)
}

/// `--flag` -> value, in the order `service_info` prints them.
fn info_rows(ds: &Datastore, svc: &str, service: &Service) -> Vec<(&'static str, String)> {
    let root = service_dir(ds, svc);
    let links = if service.links.is_empty() {
        "-".to_string()
    } else {
        // `tr '\n' ' '` over the LINKS file: space-separated with a trailing space.
        service.links.keys().map(|app| format!("{app} ")).collect()
    };
    vec![
        ("--config-dir", format!("{root}/{}", ds.config_suffix)),
        ("--config-options", service.config_options.clone()),
        ("--data-dir", format!("{root}/data")),
        ("--dsn", dsn(ds, svc, service)),
        ("--exposed-ports", "-".to_string()),
        ("--id", service.container_id.clone()),
        ("--internal-ip", service.internal_ip.clone()),
        ("--initial-network", service.initial_network.clone()),
        ("--links", links),
        ("--post-create-network", service.post_create_network.clone()),
        ("--post-start-network", service.post_start_network.clone()),
        ("--service-root", root.clone()),
        ("--status", "running".to_string()),
        ("--version", format!("{}:{}", service.image, service.image_version)),
    ]
}

fn info(ctx: &mut Ctx, ds: &Datastore, args: &[String]) -> CmdResult {
    let svc = verify_service(ctx, ds, args.first().map(String::as_str))?;
    // The info flag must be the second argument.
    print_info(ctx, ds, &svc, args.get(1).map(String::as_str))
}

fn print_info(ctx: &mut Ctx, ds: &Datastore, svc: &str, flag: Option<&str>) -> CmdResult {
    let Some(service) = service(ctx, ds, svc) else { return Ok(()) };
    let rows = info_rows(ds, svc, service);
    if let Some(flag) = flag {
        return match rows.iter().find(|(f, _)| *f == flag) {
            Some((_, value)) => {
                ctx.out.line(value);
                Ok(())
            }
            None => {
                let valid: Vec<&str> = rows.iter().map(|(f, _)| *f).collect();
                Err(ctx.out.fail(&format!("Invalid flag passed, valid flags: {}", valid.join(" "))))
            }
        };
    }
    ctx.out.info2_quiet(&format!("{svc} {} service information", ds.name));
    for (flag, value) in rows {
        ctx.out.verbose(&bash_row(&bash_key(flag), &value, 20));
    }
    Ok(())
}

fn exists(ctx: &mut Ctx, ds: &Datastore, args: &[String]) -> CmdResult {
    let svc = verify_service(ctx, ds, args.first().map(String::as_str))?;
    ctx.out.info1(&format!("Service {svc} exists"));
    Ok(())
}

fn destroy(ctx: &mut Ctx, ds: &Datastore, args: &[String]) -> CmdResult {
    let svc = verify_service(ctx, ds, args.first().map(String::as_str))?;
    let linked = service(ctx, ds, &svc).is_some_and(|s| !s.links.is_empty());
    if linked {
        return Err(ctx.out.fail("Cannot delete linked service"));
    }
    // `-f` / `--force` / `force` only count as the second argument; else the global --force.
    let force_arg = matches!(args.get(1).map(String::as_str), Some("force" | "-f" | "--force"));
    if !force_arg && !ctx.force {
        ctx.out.warn("WARNING: Potentially Destructive Action");
        ctx.out.warn(&format!("This command will destroy {svc} {} service.", ds.service));
        ctx.out.warn(&format!("To proceed, type \"{svc}\""));
        ctx.out.line("");
        // `read -rp`: without input, `read` fails under `set -e`: exit 1 and no message.
        let Some(answer) = ctx.stdin.filter(|bytes| !bytes.is_empty()) else {
            return Err(Stop(1));
        };
        let answer = String::from_utf8_lossy(answer);
        if answer.lines().next().unwrap_or("") != svc {
            return Err(ctx.out.fail(&format!("Confirmation did not match {svc}. Aborted.")));
        }
    }
    ctx.out.info2(&format!("Deleting {svc}"));
    ctx.out.verbose_quiet("Deleting container data");
    ctx.out.verbose_quiet("Removing container");
    ctx.out.verbose_quiet("Removing data");
    if let Some(services) = ctx.state.services.get_mut(ds.name) {
        services.remove(&svc);
    }
    ctx.out.info2(&format!("{} container deleted: {svc}", ds.service));
    Ok(())
}

/// The app argument of link/unlink/linked, falling back to the global `--app`.
fn app_arg(ctx: &Ctx, positional: &[String], index: usize) -> Option<String> {
    positional.get(index).cloned().filter(|a| !a.is_empty()).or_else(|| ctx.app_flag.clone())
}

/// The service and the app of `link`, `unlink` and `linked` (`<service> [<app>]`), both checked
/// as the plugin checks them, in its order.
fn service_and_app(
    ctx: &mut Ctx,
    ds: &Datastore,
    positional: &[String],
) -> Result<(String, String), Stop> {
    let svc = positional.first().cloned().unwrap_or_default();
    if svc.is_empty() {
        return Err(ctx.out.fail("Please specify a valid name for the service"));
    }
    let Some(app) = app_arg(ctx, positional, 1) else {
        return Err(ctx.out.fail(MSG_NO_APP));
    };
    let app = ctx.verify_app(Some(&app))?;
    let svc = verify_service(ctx, ds, Some(&svc))?;
    Ok((svc, app))
}

fn link(ctx: &mut Ctx, ds: &Datastore, args: &[String]) -> CmdResult {
    let (positional, values, switches) = parse_options(args);
    let (svc, app) = service_and_app(ctx, ds, &positional)?;
    let Some(service) = service(ctx, ds, &svc).cloned() else { return Ok(()) };
    if let Some(alias) = service.links.get(&app) {
        return Err(ctx.out.fail(&format!("Already linked as {alias}_URL")));
    }
    let mut url = dsn(ds, &svc, &service);
    if let Some(query) = option(&values, 'q').filter(|q| !q.is_empty()) {
        url = format!("{url}?{query}");
    }
    let env = ctx.app(&app).env.clone();
    let alias = match option(&values, 'a').filter(|a| !a.is_empty()) {
        Some(alias) => {
            let alias = alias.to_uppercase().replace('-', "_");
            if env.contains_key(&format!("{alias}_URL")) {
                return Err(ctx.out.fail(&format!("Specified alias {alias} already in use")));
            }
            alias
        }
        None if env.contains_key(&format!("{}_URL", ds.default_alias)) => {
            // `service_alternative_alias` picks a random free colour; the sim takes the first.
            const COLORS: [&str; 16] = [
                "AQUA", "BLACK", "BLUE", "FUCHSIA", "GRAY", "GREEN", "LIME", "MAROON", "NAVY",
                "OLIVE", "PURPLE", "RED", "SILVER", "TEAL", "WHITE", "YELLOW",
            ];
            COLORS
                .iter()
                .map(|c| format!("{}_{c}", ds.alt_alias))
                .find(|a| !env.contains_key(&format!("{a}_URL")))
                .unwrap_or_else(|| format!("{}_LINK", ds.alt_alias))
        }
        None => ds.default_alias.to_string(),
    };
    if let Some(service) = service_mut(ctx, ds, &svc) {
        service.links.insert(app.clone(), alias.clone());
    }
    let key = format!("{alias}_URL");
    ctx.out.info1_quiet("Setting config vars");
    ctx.out.verbose_quiet(&format!("{key}:  {url}"));
    ctx.app_mut(&app).env.insert(key, url);
    restart_after_link(ctx, &app, switches.contains(&'n'));
    Ok(())
}

fn unlink(ctx: &mut Ctx, ds: &Datastore, args: &[String]) -> CmdResult {
    let (positional, _, switches) = parse_options(args);
    let (svc, app) = service_and_app(ctx, ds, &positional)?;
    let alias = service(ctx, ds, &svc).and_then(|s| s.links.get(&app).cloned());
    let Some(alias) = alias else {
        return Err(ctx.out.fail(&format!("Not linked to app {app}")));
    };
    if let Some(service) = service_mut(ctx, ds, &svc) {
        service.links.remove(&app);
    }
    let key = format!("{alias}_URL");
    if ctx.app_mut(&app).env.remove(&key).is_some() {
        ctx.out.info1_quiet(&format!("Unsetting {key}"));
    }
    restart_after_link(ctx, &app, switches.contains(&'n'));
    Ok(())
}

/// After a link or unlink: with `--no-restart` the plugin says it skips the restart (deployed or
/// not); otherwise its config change restarts a deployed app.
fn restart_after_link(ctx: &mut Ctx, app: &str, no_restart: bool) {
    if no_restart {
        ctx.out.verbose("Skipping restart of linked app");
    } else if ctx.restarts(app) {
        restart_app(ctx, app);
    }
}

fn linked(ctx: &mut Ctx, ds: &Datastore, args: &[String]) -> CmdResult {
    let (svc, app) = service_and_app(ctx, ds, args)?;
    if service(ctx, ds, &svc).is_some_and(|s| s.links.contains_key(&app)) {
        ctx.out.info1(&format!("Service {svc} is linked to {app}"));
        Ok(())
    } else {
        Err(ctx.out.fail(&format!("Service {svc} is not linked to {app}")))
    }
}

fn links(ctx: &mut Ctx, ds: &Datastore, args: &[String]) -> CmdResult {
    let svc = verify_service(ctx, ds, args.first().map(String::as_str))?;
    let apps: Vec<String> =
        service(ctx, ds, &svc).map(|s| s.links.keys().cloned().collect()).unwrap_or_default();
    for app in apps {
        ctx.out.line(&app);
    }
    Ok(())
}

fn app_links(ctx: &mut Ctx, ds: &Datastore, args: &[String]) -> CmdResult {
    let app = args.first().cloned().filter(|a| !a.is_empty()).or_else(|| ctx.app_flag.clone());
    let app = ctx.verify_app(app.as_deref())?;
    let services: Vec<String> = ctx
        .state
        .services
        .get(ds.name)
        .map(|s| {
            s.iter()
                .filter(|(_, svc)| svc.links.contains_key(&app))
                .map(|(n, _)| n.clone())
                .collect()
        })
        .unwrap_or_default();
    for svc in services {
        ctx.out.line(&svc);
    }
    Ok(())
}
