//! The simulator against recordings of a real Dokku (`tests/recordings/dokku-<version>/*.json`,
//! made by `tests/recordings/record.sh`): every recorded scenario is replayed on a fresh
//! [`SimHost`] claiming the recorded version, and each command's stdout, stderr and exit status
//! must match what the real host printed.
//!
//! Both sides go through the same normalisation as the recorder (creation times, the random
//! proxy port, the admin key), and the recorded side loses the few lines only the recording
//! environment prints ([`ENVIRONMENT_ONLY`]). Where the simulator cannot match for a reason that
//! is not a bug (no Docker on the recording host), [`narrowing`] says how much of that command
//! is compared and why. Every divergence is listed in one failure, by scenario and step.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use dokku_sim::{Effect, Injection, SimHost, SimOptions, SimOutcome, SimOutput};
use serde::Deserialize;

#[derive(Deserialize)]
struct Recording {
    dokku_version: String,
    scenario: String,
    steps: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Step {
    Command(Command),
    Seed { seed: Seed },
    Unseed { unseed: Unseed },
    HoldDeployLock { hold_deploy_lock: String },
    ReleaseDeployLock { release_deploy_lock: String },
}

#[derive(Deserialize)]
struct Command {
    argv: Vec<String>,
    #[serde(default)]
    note: Option<String>,
    /// Ran through the root login. The simulator cannot tell who calls, so it is replayed as is.
    #[serde(default)]
    #[allow(dead_code)]
    root: bool,
    #[serde(default)]
    stdin: Option<String>,
    stdout: String,
    stderr: String,
    status: i32,
}

/// A service written the way `postgres:create` leaves it (the recording host has no Docker).
#[derive(Deserialize)]
struct Seed {
    datastore: String,
    name: String,
    password: String,
}

/// A seeded service removed without its container (as `--force <datastore>:destroy` would).
#[derive(Deserialize)]
struct Unseed {
    datastore: String,
    name: String,
}

/// The recording host logs in with its own admin key; the replay host gets this one in its
/// place, and both are normalised to the same placeholders.
const ADMIN_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICo7GWPvuP0C7emU5VF+NKo4ZNWjKjbaIHqYBHH+ohmY sim-admin";
const ADMIN_FINGERPRINT: &str = "SHA256:a3HHmYnzoYHGZ/3ifBFmERFefw4jP/o0ah/TWMhn/WE";

/// Lines of the recordings that only the recording environment prints: its chroot has no
/// systemd and does not run nginx, so Dokku falls back to init.d, which says so and is refused by
/// the chroot's `policy-rc.d`. On a systemd host (what the simulator models) the reload is silent.
const ENVIRONMENT_ONLY: [&str; 3] = [
    "invoke-rc.d: could not determine current runlevel",
    "invoke-rc.d: policy-rc.d denied execution of reload.",
    " !     Checking nginx status is not possible for init.d managed services",
];

/// How much of a command is compared, when not everything.
enum Narrowing {
    /// Not run on the simulator, not compared; the reason says why.
    Skip(&'static str),
    /// Both stdouts go through `map` before they are compared (stderr and status in full).
    Stdout { map: fn(&str) -> String, why: &'static str },
}

impl Narrowing {
    fn why(&self) -> &'static str {
        match self {
            Narrowing::Skip(why) | Narrowing::Stdout { why, .. } => why,
        }
    }
}

/// Plugins the simulator has and the recording host does not: the other official datastores
/// (the simulator models a host with all four) and scheduler-k3s (not built there).
const SIM_ONLY_PLUGINS: [&str; 4] = ["mongo", "mysql", "redis", "scheduler-k3s"];

/// `plugin:list` (either form) without [`SIM_ONLY_PLUGINS`], and with the git source of the
/// third-party plugins blanked: the recording host got them by copying, not `plugin:install`
/// from git, so it has none to show. JSON is re-serialised with sorted keys.
fn plugin_list_in_common(stdout: &str) -> String {
    if let Ok(serde_json::Value::Array(plugins)) = serde_json::from_str(stdout) {
        let kept: Vec<serde_json::Value> = plugins
            .into_iter()
            .filter(|p| !SIM_ONLY_PLUGINS.contains(&p["name"].as_str().unwrap_or("")))
            .map(|mut p| {
                for field in ["source_url", "committish", "branch"] {
                    p[field] = serde_json::Value::from("");
                }
                p
            })
            .collect();
        return serde_json::to_string(&kept).unwrap_or_default() + "\n";
    }
    stdout
        .split_inclusive('\n')
        .filter(|line| !SIM_ONLY_PLUGINS.contains(&line.split_whitespace().next().unwrap_or("")))
        .collect()
}

/// `postgres:info` without the rows about the container.
fn service_info_without_container(stdout: &str) -> String {
    stdout
        .split_inclusive('\n')
        .filter(|line| {
            !["Id:", "Internal ip:", "Status:", "Version:"]
                .iter()
                .any(|key| line.trim_start().starts_with(key))
        })
        .collect()
}

/// The commands the simulator cannot match byte for byte, and why.
fn narrowing(cmd: &Command) -> Option<Narrowing> {
    // The recording host has no Docker: a datastore command that got as far as Docker (creating
    // or destroying a service's container) failed there in the Docker stub, or could not pull
    // the image, where the simulator (which models a host with Docker) succeeds. Whatever the
    // plugin checks before that (a linked service, a missing one) is still compared.
    if cmd.stderr.contains("docker stub: ") || cmd.stderr.contains("docker image pull") {
        return Some(Narrowing::Skip("reached Docker, which the recording host does not have"));
    }
    match subcommand(&cmd.argv) {
        "plugin:list" => Some(Narrowing::Stdout {
            map: plugin_list_in_common,
            why: "the hosts have different plugin sets and install methods",
        }),
        "mysql:list" => Some(Narrowing::Skip(
            "the simulator has the mysql plugin, which the recording host does not",
        )),
        // The seeded service has no container: its id is a placeholder, and the internal IP,
        // status and image version come from `docker inspect`, which the stub cannot answer.
        // The simulator reports a running container there.
        "postgres:info" => Some(Narrowing::Stdout {
            map: service_info_without_container,
            why: "container rows (id, internal ip, status, version) need Docker",
        }),
        _ => None,
    }
}

fn recordings_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/recordings")
}

fn recordings() -> Vec<(PathBuf, Recording)> {
    let mut found = Vec::new();
    for dir in std::fs::read_dir(recordings_root()).expect("the recordings directory") {
        let dir = dir.expect("a directory entry").path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).expect("a version directory") {
            let path = file.expect("a directory entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).expect("a readable recording");
                let recording: Recording = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{} is not a recording: {e}", path.display()));
                found.push((path, recording));
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// Replaces the digits after each `marker` with `placeholder`.
fn replace_number_after(text: &str, marker: &str, placeholder: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let (head, tail) = rest.split_at(at + marker.len());
        out.push_str(head);
        let digits = tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        out.push_str(if digits > 0 { placeholder } else { "" });
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

/// What `record.sh` rewrites, applied to the simulator's output.
fn normalise(text: &str) -> String {
    let mut text = text.replace(ADMIN_KEY, "<admin-public-key>");
    text = text.replace(ADMIN_FINGERPRINT, "<admin-fingerprint>");
    text = replace_number_after(&text, "created-at\":\"", "<created-at>");
    text = replace_number_after(&text, "Random port ", "<random-port>");
    // The text report's row: `       App created at:<padding><seconds>`.
    const ROW: &str = "       App created at:";
    text.split_inclusive('\n')
        .map(|line| {
            let Some(rest) = line.strip_prefix(ROW) else { return line.to_string() };
            let value = rest.trim();
            if value.is_empty() || !value.chars().all(|c| c.is_ascii_digit()) {
                return line.to_string();
            }
            let padding = &rest[..rest.len() - rest.trim_start().len()];
            let end = if line.ends_with('\n') { "\n" } else { "" };
            format!("{ROW}{padding}<created-at>{end}")
        })
        .collect()
}

/// The recorded text without the lines only the recording environment prints.
fn without_environment(text: &str) -> String {
    text.split_inclusive('\n')
        .filter(|line| !ENVIRONMENT_ONLY.contains(&line.trim_end_matches('\n')))
        .collect()
}

/// The subcommand: the first word that is not a global flag.
fn subcommand(argv: &[String]) -> &str {
    argv.iter().find(|a| !a.starts_with("--")).map(String::as_str).unwrap_or("")
}

fn run(host: &SimHost, argv: &[String], stdin: Option<&str>) -> SimOutput {
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    match host.run(&argv, stdin.map(str::as_bytes)) {
        SimOutcome::Completed(output) => output,
        SimOutcome::TransportDropped => panic!("no transport failure was injected: {argv:?}"),
    }
}

/// The subcommands that take the deploy lock: builds.
const BUILDS: [&str; 1] = ["ps:rebuild"];

/// What a replay found: the divergences, and the steps compared narrowly (with why).
#[derive(Default)]
struct Outcome {
    divergences: Vec<String>,
    narrowed: Vec<String>,
}

/// Replays one recording.
fn replay(path: &Path, recording: &Recording) -> Outcome {
    let dir = tempfile::tempdir().expect("temp dir");
    let host = SimHost::open(dir.path(), SimOptions { version: recording.dokku_version.clone() })
        .expect("open the simulated host");
    let added = run(&host, &["ssh-keys:add".into(), "admin".into()], Some(ADMIN_KEY));
    assert_eq!(added.status, 0, "seeding the admin key: {added:?}");

    let mut held: BTreeSet<String> = BTreeSet::new();
    let mut outcome = Outcome::default();
    let name = format!("{} ({})", recording.scenario, path.display());
    for (index, step) in recording.steps.iter().enumerate() {
        let cmd = match step {
            Step::Seed { seed } => {
                let create = [
                    format!("{}:create", seed.datastore),
                    seed.name.clone(),
                    "--password".into(),
                    seed.password.clone(),
                ];
                let out = run(&host, &create, None);
                assert_eq!(out.status, 0, "{name}: seeding {}: {out:?}", seed.name);
                continue;
            }
            Step::Unseed { unseed } => {
                // A service the simulator never made (its create needed Docker) is not there.
                let destroy = [
                    "--force".into(),
                    format!("{}:destroy", unseed.datastore),
                    unseed.name.clone(),
                ];
                let _ = run(&host, &destroy, None);
                continue;
            }
            Step::HoldDeployLock { hold_deploy_lock } => {
                held.insert(hold_deploy_lock.clone());
                continue;
            }
            Step::ReleaseDeployLock { release_deploy_lock } => {
                held.remove(release_deploy_lock);
                continue;
            }
            Step::Command(cmd) => cmd,
        };
        let sub = subcommand(&cmd.argv).to_string();
        // Another deploy holding the lock cannot be made with a command; it is an injection.
        if BUILDS.contains(&sub.as_str())
            && let Some(app) = cmd.argv.iter().find(|a| held.contains(*a))
        {
            host.inject(Injection {
                subcommand: sub.clone(),
                app: Some(app.clone()),
                times: 1,
                effect: Effect::DeployLock,
            });
        }
        let narrowed = narrowing(cmd);
        if let Some(narrowed) = &narrowed {
            let argv = cmd.argv.join(" ");
            let why = narrowed.why();
            outcome
                .narrowed
                .push(format!("{} step {index}: dokku {argv}: {why}", recording.scenario));
        }
        if let Some(Narrowing::Skip(_)) = narrowed {
            continue;
        }
        let actual = run(&host, &cmd.argv, cmd.stdin.as_deref());
        let (mut want_out, want_err) =
            (without_environment(&cmd.stdout), without_environment(&cmd.stderr));
        let (mut got_out, got_err) = (normalise(&actual.stdout), normalise(&actual.stderr));
        if let Some(Narrowing::Stdout { map, .. }) = narrowed {
            want_out = map(&want_out);
            got_out = map(&got_out);
        }
        if (want_out.as_str(), want_err.as_str(), cmd.status)
            != (got_out.as_str(), got_err.as_str(), actual.status)
        {
            let note = cmd.note.as_deref().map(|n| format!("  # {n}")).unwrap_or_default();
            outcome.divergences.push(format!(
                "{name} step {index}: dokku {}{note}\n  status: real {} sim {}\n{}{}",
                cmd.argv.join(" "),
                cmd.status,
                actual.status,
                diff("stdout", &want_out, &got_out),
                diff("stderr", &want_err, &got_err),
            ));
        }
    }
    outcome
}

fn diff(stream: &str, want: &str, got: &str) -> String {
    if want == got {
        return String::new();
    }
    format!("  {stream} real:\n{}  {stream} sim:\n{}", indent(want), indent(got))
}

fn indent(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|l| format!("    |{}", l.replace('\u{1b}', "\\e")))
        .collect::<String>()
        + if text.ends_with('\n') || text.is_empty() { "" } else { "⏎ (no newline)\n" }
}

#[test]
fn the_simulator_agrees_with_the_recordings() {
    let recordings = recordings();
    assert!(recordings.len() >= 13, "the recordings are missing: {}", recordings_root().display());
    let (mut divergences, mut narrowed) = (Vec::new(), Vec::new());
    for (path, recording) in &recordings {
        let outcome = replay(path, recording);
        divergences.extend(outcome.divergences);
        narrowed.extend(outcome.narrowed);
    }
    // Never silently: what was compared narrowly, and why (shown with `--nocapture`).
    println!("{} steps compared narrowly:\n  {}", narrowed.len(), narrowed.join("\n  "));
    assert!(
        divergences.is_empty(),
        "{} divergences from real Dokku:\n\n{}",
        divergences.len(),
        divergences.join("\n")
    );
}
