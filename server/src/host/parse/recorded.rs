//! Every parser on what a real Dokku printed: the recordings the simulator's fidelity test also
//! replays (`server/sim/tests/recordings/dokku-0.38.27/`, made by `record.sh` there). The
//! values below are the recorded state of each scenario; placeholders (`<admin-fingerprint>`,
//! ...) stand where the recorder normalised a volatile value.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::*;

/// One recorded Dokku command (setup steps of a recording have no `argv` and are skipped).
#[derive(Deserialize)]
struct Step {
    #[serde(default)]
    argv: Vec<String>,
    #[serde(default)]
    stdout: String,
    #[serde(default)]
    stderr: String,
    #[serde(default)]
    status: i32,
}

#[derive(Deserialize)]
struct Recording {
    dokku_version: String,
    steps: Vec<Step>,
}

macro_rules! recording {
    ($name:literal) => {
        include_str!(concat!("../../../sim/tests/recordings/dokku-0.38.27/", $name, ".json"))
    };
}

/// A recording, with the placeholders the parsers must read as values put back: a creation
/// time the recording host printed.
fn load(text: &str) -> Recording {
    let mut recording: Recording = serde_json::from_str(text).expect("a recording");
    assert_eq!(recording.dokku_version, "0.38.27");
    for step in &mut recording.steps {
        step.stdout = step.stdout.replace("<created-at>", CREATED_AT);
    }
    recording
}

const CREATED_AT: &str = "1796461982";

/// The steps that ran exactly this command line, in order.
fn runs<'r>(recording: &'r Recording, command: &str) -> Vec<&'r Step> {
    let found: Vec<&Step> = recording
        .steps
        .iter()
        .filter(|s| !s.argv.is_empty() && s.argv.join(" ") == command)
        .collect();
    assert!(!found.is_empty(), "no recorded `dokku {command}`");
    found
}

/// The only (or first) run of a command line.
fn run<'r>(recording: &'r Recording, command: &str) -> &'r Step {
    runs(recording, command)[0]
}

fn known(step: &Step) -> Option<KnownFailure> {
    parse_stderr(&step.stderr).known_failure()
}

#[test]
fn version_and_plugins() {
    let r = load(recording!("empty-host"));
    let version = parse_version(&run(&r, "version").stdout).unwrap();
    assert_eq!((version.major, version.minor, version.patch), (0, 38, 27));

    let json = parse_plugin_list_json(&run(&r, "plugin:list --format json").stdout).unwrap();
    let text = parse_plugin_list_text(&run(&r, "plugin:list").stdout).unwrap();
    // Both forms list the same plugins, enabled, with the same versions.
    let summary = |plugins: &[Plugin]| -> Vec<(String, Option<String>, bool)> {
        plugins.iter().map(|p| (p.name.clone(), p.version.clone(), p.enabled)).collect()
    };
    assert_eq!(summary(&json), summary(&text));
    assert_eq!(json.len(), 48);
    let find = |name: &str| json.iter().find(|p| p.name == name).unwrap();
    assert_eq!(find("postgres").version.as_deref(), Some("1.48.0"));
    assert_eq!(find("postgres").core, Some(false));
    assert_eq!(find("http-auth").description.as_deref(), Some("HTTP authentication for apps"));
    assert_eq!(find("builder-pack").core, Some(true));
    // The version of the builds plugin is its own (its plugin.toml was never bumped).
    assert_eq!(find("builds").version.as_deref(), Some("0.34.0"));
    assert!(json.iter().all(|p| p.enabled));
    assert_eq!(
        text.iter().find(|p| p.name == "http-auth").unwrap().version.as_deref(),
        Some("0.10.0")
    );
}

#[test]
fn apps() {
    let empty = load(recording!("empty-host"));
    // No apps: `apps:report --format json` prints nothing on stdout and warns (exit 0).
    let none = run(&empty, "apps:report --format json");
    assert_eq!((none.status, none.stdout.as_str()), (0, ""));
    assert_eq!(known(none), Some(KnownFailure::NoApps));
    assert_eq!(
        parse_apps_list_json(&run(&empty, "apps:list --format json").stdout).unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        parse_apps_list_quiet(&run(&empty, "--quiet apps:list").stdout).unwrap(),
        Vec::<String>::new()
    );
    let missing = run(&empty, "apps:report rec-missing --format json");
    assert_eq!(missing.status, 20);
    assert_eq!(known(missing), Some(KnownFailure::AppDoesNotExist { app: "rec-missing".into() }));

    let r = load(recording!("apps"));
    let report =
        parse_app_report_json(&runs(&r, "apps:report rec-app --format json")[0].stdout).unwrap();
    assert!(!report.locked);
    assert_eq!(report.dir.as_deref(), Some("/home/dokku/rec-app"));
    assert_eq!(report.deploy_source, None);
    assert_eq!(report.created_at, Some(CREATED_AT.parse().unwrap()));
    let locked =
        parse_app_report_json(&runs(&r, "apps:report rec-app --format json")[1].stdout).unwrap();
    assert!(locked.locked);
    // Every app, one object per line (what `GET /apps` reads), in name order.
    let all: Vec<AppReport> = run(&r, "apps:report --format json")
        .stdout
        .lines()
        .map(|line| parse_app_report_json(line).unwrap())
        .collect();
    let dirs: Vec<&str> = all.iter().filter_map(|a| a.dir.as_deref()).collect();
    assert_eq!(dirs, ["/home/dokku/rec-app", "/home/dokku/rec-second"]);
    assert_eq!(
        parse_apps_list_json(&run(&r, "apps:list --format json").stdout).unwrap(),
        ["rec-app", "rec-second"]
    );

    assert_eq!(known(runs(&r, "apps:create rec-app")[1]), Some(KnownFailure::AppNameTaken));
    let unlocks = runs(&r, "apps:unlock rec-app");
    assert_eq!(unlocks[0].status, 0);
    // Unlocking warns on success; the warnings are no failure.
    assert_eq!(known(unlocks[0]), None);
    assert_eq!(known(unlocks[1]), Some(KnownFailure::NotLocked));
    assert_eq!(
        known(run(&r, "--force apps:destroy rec-missing")),
        Some(KnownFailure::AppDoesNotExist { app: "rec-missing".into() })
    );
}

#[test]
fn envs() {
    let r = load(recording!("envs"));
    let exports: Vec<BTreeMap<String, String>> = runs(&r, "config:export --format json rec-env")
        .iter()
        .map(|s| parse_config_export_json(&s.stdout).unwrap())
        .collect();
    let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    assert_eq!(exports[0], map(&[("NO_VHOST", "1")]));
    assert_eq!(exports[1], map(&[("EMPTY", ""), ("GREETING", "hello world"), ("NO_VHOST", "1")]));
    assert_eq!(exports[2]["SECRET"], "s3cr3t value with spaces");
    assert_eq!(
        exports[3],
        map(&[("EMPTY", ""), ("NO_VHOST", "1"), ("SECRET", "s3cr3t value with spaces")])
    );
}

#[test]
fn formations_and_jobs() {
    let r = load(recording!("ps"));
    let scale = |s: &Step| -> Vec<(String, i32)> {
        parse_ps_scale_json(&s.stdout)
            .unwrap()
            .into_iter()
            .map(|p| (p.process_type, p.quantity))
            .collect()
    };
    let json = runs(&r, "ps:scale rec-ps --format json");
    // A new app starts with one web process.
    assert_eq!(scale(json[0]), [("web".to_string(), 1)]);
    assert_eq!(scale(json[1]), [("web".to_string(), 2), ("worker".to_string(), 1)]);
    // Scaled to 0 before any deploy, a type is kept aside and listed until the next scale.
    assert_eq!(scale(json[2]), [("web".to_string(), 1), ("worker".to_string(), 0)]);
    assert_eq!(scale(json[3]), [("web".to_string(), 3)]);
    let quiet: Vec<Vec<ProcessScale>> = runs(&r, "--quiet ps:scale rec-ps")
        .iter()
        .map(|s| parse_ps_scale_quiet(&s.stdout).unwrap())
        .collect();
    assert_eq!(quiet[0], parse_ps_scale_json(&json[0].stdout).unwrap());
    assert_eq!(quiet[1], parse_ps_scale_json(&json[1].stdout).unwrap());

    assert!(!parse_ps_deployed(&run(&r, "ps:report rec-ps --deployed").stdout).unwrap());
    // The jobs' commands on an app that was never deployed.
    let restart = runs(&r, "ps:restart rec-ps")[0];
    assert_eq!((restart.status, restart.stderr.as_str()), (0, ""));
    assert_eq!(parse_stderr(&restart.stdout).messages, ["App rec-ps has not been deployed"]);
    let rebuild = runs(&r, "ps:rebuild rec-ps")[0];
    assert_eq!(rebuild.status, 1);
    assert_eq!(
        strip_ansi(&rebuild.stdout),
        "-----> WARNING: Cannot build from 'master' as there are no commits stored at that branch.\n"
    );
    // Another deploy holds the lock: the failure, reported twice, reads as one deploy lock.
    let locked = runs(&r, "ps:rebuild rec-ps")[2];
    let messages = parse_stderr(&locked.stdout);
    assert_eq!(messages.known_failure(), Some(KnownFailure::DeployLocked { app: "rec-ps".into() }));
    assert_eq!(
        messages.summary().as_deref(),
        Some(
            "rec-ps currently has a deploy lock in place. Exiting...; Run 'apps:unlock' to release the existing deploy lock"
        )
    );
    // Build capture: even a missing app is reported on stdout.
    let missing = run(&r, "ps:restart rec-missing");
    assert_eq!((missing.status, missing.stderr.as_str()), (20, ""));
    assert_eq!(
        parse_stderr(&missing.stdout).known_failure(),
        Some(KnownFailure::AppDoesNotExist { app: "rec-missing".into() })
    );
}

#[test]
fn buildpacks_builders_schedulers() {
    let r = load(recording!("buildpacks"));
    let lists: Vec<Vec<String>> = runs(&r, "buildpacks:report rec-bp --format json")
        .iter()
        .map(|s| parse_buildpacks_report_json(&s.stdout).unwrap())
        .collect();
    let ruby = "https://github.com/heroku/heroku-buildpack-ruby.git";
    let node = "https://github.com/heroku/heroku-buildpack-nodejs.git";
    assert_eq!(lists[0], Vec::<String>::new());
    // The shorthand is stored as its URL; the list keeps duplicates.
    assert_eq!(lists[1], [ruby, node, node]);
    // Removing a URL removes every copy.
    assert_eq!(lists[2], [ruby]);

    let r = load(recording!("builder-scheduler"));
    let builders: Vec<BuilderReport> = runs(&r, "builder:report rec-bs --format json")
        .iter()
        .map(|s| parse_builder_report_json(&s.stdout).unwrap())
        .collect();
    assert_eq!(builders[0].selected, None);
    assert_eq!(builders[0].computed_selected, None);
    assert_eq!(builders[1].selected.as_deref(), Some("dockerfile"));
    assert_eq!(builders[1].computed_selected.as_deref(), Some("dockerfile"));
    assert_eq!(builders[2].selected, None);
    let schedulers: Vec<SchedulerReport> = runs(&r, "scheduler:report rec-bs --format json")
        .iter()
        .map(|s| parse_scheduler_report_json(&s.stdout).unwrap())
        .collect();
    assert_eq!(schedulers[0].selected, None);
    assert_eq!(schedulers[0].computed_selected.as_deref(), Some("docker-local"));
    assert_eq!(schedulers[1].selected.as_deref(), Some("docker-local"));
    assert_eq!(schedulers[2].selected, None);
}

#[test]
fn domains() {
    let r = load(recording!("domains"));
    let reports: Vec<DomainsReport> = runs(&r, "domains:report rec-dom --format json")
        .iter()
        .map(|s| parse_domains_report_json(&s.stdout).unwrap())
        .collect();
    assert_eq!(reports[0].app_enabled, Some(false));
    assert_eq!(reports[0].app_vhosts, Vec::<String>::new());
    assert_eq!(reports[0].global_enabled, Some(false));
    assert_eq!(reports[1].app_enabled, Some(true));
    assert_eq!(reports[1].app_vhosts, ["rec.example.com"]);
    assert_eq!(reports[2].app_vhosts, ["a.rec.example.com", "b.rec.example.com"]);
    assert_eq!(reports[3].app_vhosts, ["b.rec.example.com"]);
    let flags = runs(&r, "domains:report rec-dom --domains-app-vhosts");
    // No domains: an empty line.
    assert_eq!(flags[0].stdout, "\n");
    assert_eq!(parse_domains_app_vhosts(&flags[0].stdout), Vec::<String>::new());
    assert_eq!(parse_domains_app_vhosts(&flags[1].stdout), ["rec.example.com"]);

    let global = load(recording!("global-domain"));
    let with =
        parse_domains_report_json(&run(&global, "domains:report rec-web --format json").stdout)
            .unwrap();
    assert_eq!(
        (with.app_vhosts, with.global_vhosts),
        (vec!["rec-web.rec.example.com".to_string()], vec!["rec.example.com".to_string()])
    );
}

#[test]
fn resources() {
    let r = load(recording!("resources"));
    let reports: Vec<Vec<ResourceSetting>> = runs(&r, "resource:report rec-res --format json")
        .iter()
        .map(|s| parse_resource_report_json(&s.stdout).unwrap())
        .collect();
    assert_eq!(reports[0], []);
    let shown = |settings: &[ResourceSetting]| -> Vec<String> {
        settings
            .iter()
            .map(|s| {
                format!("{}.{}.{}={}", s.process_type, s.kind.as_str(), s.name.as_str(), s.value)
            })
            .collect()
    };
    // The legacy `resource-` twins are read once.
    assert_eq!(
        shown(&reports[1]),
        ["_default_.limit.memory=512m", "_default_.reserve.memory=256m", "web.limit.cpu=2"]
    );
    // `--<name> clear` removes only that value.
    assert_eq!(shown(&reports[2]), ["_default_.reserve.memory=256m"]);
}

#[test]
fn http_auth() {
    let r = load(recording!("http-auth"));
    let reports: Vec<HttpAuthReport> = runs(&r, "http-auth:report rec-auth")
        .iter()
        .map(|s| parse_http_auth_report(&s.stdout).unwrap())
        .collect();
    let report = |enabled: bool, ips: &[&str], users: &[&str]| HttpAuthReport {
        enabled,
        allowed_ips: ips.iter().map(|s| s.to_string()).collect(),
        users: users.iter().map(|s| s.to_string()).collect(),
    };
    assert_eq!(reports[0], report(false, &[], &[]));
    assert_eq!(reports[1], report(true, &[], &[]));
    assert_eq!(reports[2], report(true, &[], &["rec-user", "rec-other"]));
    assert_eq!(reports[3], report(true, &[], &["rec-user"]));
    assert_eq!(reports[4], report(true, &["10.0.0.1", "10.0.0.0/24"], &["rec-user"]));
    assert_eq!(reports[5], report(true, &["10.0.0.0/24"], &["rec-user"]));
    // Disabling keeps the users and addresses.
    assert_eq!(reports[6], report(false, &["10.0.0.0/24"], &["rec-user"]));
    // Adding an address to a disabled app turns auth on (the plugin renders its include).
    assert_eq!(reports[7], report(true, &["10.0.0.0/24", "10.0.0.2"], &["rec-user"]));
    assert_eq!(reports.len(), 8);
    let refused = run(&r, "http-auth:remove-user rec-auth rec-user");
    assert_eq!(known(refused), Some(KnownFailure::HttpAuthDisabled));

    let empty = load(recording!("empty-host"));
    assert_eq!(known(run(&empty, "http-auth:report rec-missing")), Some(KnownFailure::NoApps));
}

#[test]
fn maintenance() {
    let r = load(recording!("maintenance"));
    let states: Vec<bool> = runs(&r, "maintenance:report rec-mnt --maintenance-enabled")
        .iter()
        .map(|s| parse_maintenance_enabled(&s.stdout).unwrap())
        .collect();
    assert_eq!(states, [false, true, false]);
    let empty = load(recording!("empty-host"));
    let none = run(&empty, "maintenance:report rec-missing --maintenance-enabled");
    assert_eq!((none.status, known(none)), (1, Some(KnownFailure::NoApps)));
}

#[test]
fn ssh_keys() {
    let r = load(recording!("ssh-keys"));
    let lists: Vec<Vec<SshKeyEntry>> = runs(&r, "ssh-keys:list --format json")
        .iter()
        .map(|s| parse_ssh_keys_json(&s.stdout).unwrap())
        .collect();
    let names =
        |keys: &[SshKeyEntry]| -> Vec<String> { keys.iter().map(|k| k.name.clone()).collect() };
    assert_eq!(names(&lists[0]), ["admin"]);
    assert_eq!(lists[0][0].fingerprint, "<admin-fingerprint>");
    assert_eq!(names(&lists[1]), ["admin", "rec-alice"]);
    assert_eq!(lists[1][1].fingerprint, "SHA256:O5K6KJb19UkMocyY75sLQYCPT4s7FQavTOW0aPox6+8");
    assert_eq!(
        lists[1][1].public_key.as_deref(),
        Some(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIERYuvLE9DLBGc1ucsmRVNQy+49e4pzEhlFYJDjBM5XS alice@example"
        )
    );
    assert_eq!(names(&lists[2]), ["admin", "rec-alice", "rec-bob"]);
    assert_eq!(names(&lists[3]), ["admin", "rec-bob"]);
    let text = runs(&r, "ssh-keys:list");
    assert_eq!(names(&parse_ssh_keys_text(&text[0].stdout).unwrap()), ["admin", "rec-alice"]);
    assert_eq!(names(&parse_ssh_keys_text(&text[1].stdout).unwrap()), ["admin"]);

    let adds = runs(&r, "ssh-keys:add rec-alice");
    assert_eq!(
        parse_ssh_key_add(&adds[0].stdout).unwrap(),
        "SHA256:O5K6KJb19UkMocyY75sLQYCPT4s7FQavTOW0aPox6+8"
    );
    assert_eq!(known(adds[1]), Some(KnownFailure::DuplicateSshKeyName));
    assert_eq!(known(run(&r, "ssh-keys:add rec-alice2")), Some(KnownFailure::DuplicateSshKey));
    assert_eq!(known(run(&r, "ssh-keys:add rec-bad")), Some(KnownFailure::InvalidSshKey));
}

#[test]
fn services() {
    let r = load(recording!("services"));
    let lists = runs(&r, "--quiet postgres:list");
    // No service: a warning (exit 0), read as an empty list.
    assert_eq!(lists[0].status, 0);
    assert_eq!(parse_service_list(&lists[0].stdout).unwrap(), Vec::<String>::new());
    assert_eq!(parse_service_list(&lists[1].stdout).unwrap(), ["rec-db"]);

    let infos = runs(&r, "postgres:info rec-db");
    let info = parse_service_info(&infos[0].stdout).unwrap();
    let dsn =
        "postgres://postgres:5ca1ab1e0ddba11c0ffeec0de5eed001@dokku-postgres-rec-db:5432/rec_db";
    assert_eq!(info.dsn.as_deref(), Some(dsn));
    assert_eq!(info.links, Vec::<String>::new());
    assert_eq!(info.exposed_ports, Vec::<String>::new());
    assert_eq!(info.service_root.as_deref(), Some("/var/lib/dokku/services/postgres/rec-db"));
    // The recording host has no container: the status Docker would give is `missing`.
    assert_eq!(info.status.as_deref(), Some("missing"));
    assert_eq!(parse_service_info(&infos[1].stdout).unwrap().links, ["rec-svc", "rec-svc2"]);

    let app_links = runs(&r, "postgres:app-links rec-svc");
    assert_eq!(parse_service_links(&app_links[0].stdout).unwrap(), Vec::<String>::new());
    assert_eq!(parse_service_links(&app_links[1].stdout).unwrap(), ["rec-db"]);
    assert_eq!(
        parse_service_links(&run(&r, "postgres:links rec-db").stdout).unwrap(),
        ["rec-svc", "rec-svc2"]
    );

    let linked = runs(&r, "postgres:linked rec-db rec-svc");
    assert_eq!(linked[0].status, 1);
    assert!(
        parse_stderr(&linked[0].stderr).messages.iter().any(|m| m.contains(" is not linked to "))
    );
    assert_eq!(linked[1].status, 0);
    assert_eq!(
        known(runs(&r, "postgres:link rec-db rec-svc")[0]),
        Some(KnownFailure::ServiceAlreadyLinked)
    );
    assert_eq!(
        known(runs(&r, "postgres:unlink rec-db rec-svc")[0]),
        Some(KnownFailure::ServiceNotLinked)
    );
    assert_eq!(
        known(runs(&r, "--force postgres:destroy rec-db")[0]),
        Some(KnownFailure::ServiceLinked)
    );
    assert_eq!(
        known(run(&r, "postgres:exists rec-missing")),
        Some(KnownFailure::ServiceDoesNotExist { service: "rec-missing".into() })
    );
    assert_eq!(
        known(run(&r, "postgres:app-links rec-missing")),
        Some(KnownFailure::AppDoesNotExist { app: "rec-missing".into() })
    );
    let exported =
        parse_config_export_json(&runs(&r, "config:export --format json rec-svc")[0].stdout)
            .unwrap();
    assert_eq!(exported["DATABASE_URL"], dsn);

    let empty = load(recording!("empty-host"));
    assert_eq!(known(run(&empty, "--quiet mysql:list")), Some(KnownFailure::UnknownCommand));
}
