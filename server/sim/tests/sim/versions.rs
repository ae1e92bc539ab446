//! The version knob: older hosts answer with the older formats, so fallback paths get exercised.

use crate::support::*;

#[test]
fn json_listing_gates() {
    let old = sim_at("0.38.20");
    old.app("a");
    old.host.mark_deployed("a", &["web"]).unwrap();
    assert_fails(&old.run(&["apps:list", "--format", "json"]), 2, "unknown flag: --format\n");
    assert_fails(&old.run(&["ps:scale", "a", "--format", "json"]), 2, "unknown flag: --format\n");
    assert_eq!(old.stdout(&["--quiet", "apps:list"]), "a\n");
    assert_eq!(old.stdout(&["--quiet", "ps:scale", "a"]), "web:  1\n");

    let new = sim_at("0.38.21");
    new.app("a");
    assert_eq!(new.stdout(&["apps:list", "--format", "json"]), "[\"a\"]\n");

    // Before 0.38.22 plugin:list is plugn's table whatever its arguments: `--format json` is
    // ignored, not refused.
    let ignored = sim_at("0.38.21").run(&["plugin:list", "--format", "json"]);
    assert_eq!((ignored.status, ignored.stderr.as_str()), (0, ""));
    assert_eq!(ignored.stdout, sim_at("0.38.21").stdout(&["plugin:list"]));
    assert!(ignored.stdout.starts_with("  00_dokku-standard    0.38.21 enabled    "));
    assert!(sim_at("0.38.22").stdout(&["plugin:list", "--format", "json"]).starts_with('['));
    assert_fails(
        &sim_at("0.38.22").run(&["plugin:list", "--format", "yaml"]),
        1,
        " !     Invalid output format specified, supported formats: json, stdout\n",
    );
}

#[test]
fn domains_report_gates() {
    let bash = sim_at("0.37.5");
    bash.app("a");
    assert_fails(
        &bash.run(&["domains:report", "a", "--format", "json"]),
        1,
        " !     Invalid flag passed, valid flags: --domains-app-enabled --domains-app-vhosts --domains-global-enabled --domains-global-vhosts\n",
    );
    assert_eq!(
        bash.stdout(&["domains:report", "a"]),
        "=====> a domains information\n".to_string()
            + &bash_row("Domains app enabled:", "false", 30)
            + &bash_row("Domains app vhosts:", "", 30)
            + &bash_row("Domains global enabled:", "false", 30)
            + &bash_row("Domains global vhosts:", "", 30)
    );
    let json = sim_at("0.38.0");
    json.app("a");
    assert_eq!(
        json.stdout(&["domains:report", "a", "--format", "json"]),
        "{\"app-enabled\":\"false\",\"app-vhosts\":\"\",\"global-enabled\":\"false\",\"global-vhosts\":\"\"}\n"
    );
    // Still bash until 0.38.22: printf rows.
    assert!(json.stdout(&["domains:report", "a"]).contains(&bash_row(
        "Domains app enabled:",
        "false",
        30
    )));
    let go = sim();
    go.app("a");
    assert!(go.stdout(&["domains:report", "a"]).contains(&go_row(
        "Domains app enabled",
        "false",
        31
    )));
}

#[test]
fn config_import_gate() {
    let old = sim_at("0.36.9");
    old.app("a");
    assert_fails(
        &old.run_stdin(&["config:import", "--format", "json", "a", "-"], Some(br#"{"K":"V"}"#)),
        1,
        " !     `config:import` is not a dokku command.\n !     See `dokku help` for a list of available commands.\n",
    );
    let new = sim_at("0.37.0");
    new.app("a");
    assert_eq!(
        new.run_stdin(&["config:import", "--format", "json", "a", "-"], Some(br#"{"K":"V"}"#))
            .status,
        0
    );
}

fn report_json(s: &Sim, argv: &[&str]) -> serde_json::Map<String, serde_json::Value> {
    let value: serde_json::Value = serde_json::from_str(&s.stdout(argv)).unwrap();
    value.as_object().unwrap().clone()
}

#[test]
fn legacy_key_twins_from_0_38_8() {
    for (version, twins) in [("0.37.0", false), ("0.38.7", false), ("0.38.8", true)] {
        let s = sim_at(version);
        s.app("a");
        s.ok(&["resource:limit", "--memory", "1g", "a"]);
        let apps = report_json(&s, &["apps:report", "a", "--format", "json"]);
        assert!(apps.contains_key("app-locked"), "{version}");
        assert_eq!(apps.contains_key("locked"), twins, "{version}");
        for (cmd, prefixed, plain) in [
            ("builder:report", "builder-selected", "selected"),
            ("buildpacks:report", "buildpacks-list", "list"),
            ("ps:report", "ps-can-scale", "can-scale"),
            ("scheduler:report", "scheduler-selected", "selected"),
        ] {
            let json = report_json(&s, &[cmd, "a", "--format", "json"]);
            assert!(json.contains_key(prefixed), "{version} {cmd}");
            assert_eq!(json.contains_key(plain), twins, "{version} {cmd}");
        }
        let resource = report_json(&s, &["resource:report", "a", "--format", "json"]);
        assert!(resource.contains_key("_default_.limit.memory"), "{version}");
        assert_eq!(resource.contains_key("resource-_default_.limit.memory"), twins, "{version}");
        let row_key =
            if twins { "resource _default_ limit memory:" } else { "_default_ limit memory:" };
        let rows = s.stdout(&["resource:report", "a"]);
        assert!(rows.contains(&format!("       {row_key}")), "{version}: {rows}");
    }
}

#[test]
fn global_keys_held_defaults_before_0_38_0() {
    let old = sim_at("0.37.9");
    old.app("a");
    let json = report_json(&old, &["scheduler:report", "a", "--format", "json"]);
    assert_eq!(json["scheduler-global-selected"], "docker-local");
    let ps = report_json(&old, &["ps:report", "a", "--format", "json"]);
    assert_eq!(ps["ps-global-procfile-path"], "Procfile");
    assert_eq!(ps["ps-restart-policy"], "on-failure:10");

    let new = sim_at("0.38.0");
    new.app("a");
    let json = report_json(&new, &["scheduler:report", "a", "--format", "json"]);
    assert_eq!(json["scheduler-global-selected"], "");
    assert_eq!(json["scheduler-computed-selected"], "docker-local");
}

#[test]
fn version_is_semver() {
    assert_eq!(sim_at("0.34.0").stdout(&["version"]), "dokku version 0.34.0\n");
    // Older hosts are reported as they are, so a server can refuse them.
    assert_eq!(sim_at("0.30.1").host.version(), "0.30.1");
    let dir = tempfile::tempdir().unwrap();
    let bad =
        dokku_sim::SimHost::open(dir.path(), dokku_sim::SimOptions { version: "0.38".into() });
    assert_eq!(bad.err().map(|e| e.kind()), Some(std::io::ErrorKind::InvalidInput));
}

/// Dokku 0.34.0 to 0.35.15 fail `apps:report --format json` without an app on a host without
/// apps (fixed in 0.35.16, which warns and exits 0, as every later version does).
#[test]
fn app_report_of_no_apps_fails_before_0_35_16() {
    for version in ["0.34.0", "0.35.15"] {
        let old = sim_at(version);
        assert_fails(
            &old.run(&["apps:report", "--format", "json"]),
            1,
            " !     You haven't deployed any applications yet\n",
        );
        // With an app there is something to report; a named app is unaffected.
        old.app("a");
        assert_eq!(old.run(&["apps:report", "--format", "json"]).status, 0);
    }
    for version in ["0.35.16", "0.38.27"] {
        let fixed = sim_at(version).run(&["apps:report", "--format", "json"]);
        assert_eq!(
            (fixed.status, fixed.stdout.as_str(), fixed.stderr.as_str()),
            (0, "", " !     You haven't deployed any applications yet\n"),
            "{version}"
        );
    }
}
