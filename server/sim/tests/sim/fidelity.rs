//! The sim against literal output samples of Dokku's docs and sources. Where a sample comes from
//! Dokku's docs (hand-trimmed, sometimes older than the code), the test compares the rows the
//! way a parser would, and separately pins the exact bytes the code path produces.

use std::collections::BTreeMap;

use crate::support::*;

/// `Key: value` rows of a report, split at the first colon and trimmed.
fn rows(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| l.starts_with("       "))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[test]
fn apps_list_forms() {
    let s = sim();
    let empty = s.run(&["apps:list"]);
    assert_eq!(empty.status, 0);
    // The header comes before the listing finds that there is nothing to list.
    assert_eq!(empty.stdout, "=====> My Apps\n");
    assert_eq!(empty.stderr, " !     You haven't deployed any applications yet\n");
    let quiet = s.run(&["--quiet", "apps:list"]);
    assert_eq!((quiet.status, quiet.stdout.as_str()), (0, ""));
    assert_eq!(s.stdout(&["apps:list", "--format", "json"]), "[]\n");

    s.app("python-app");
    s.app("node-js-app");
    assert_eq!(s.stdout(&["apps:list"]), "=====> My Apps\nnode-js-app\npython-app\n");
    assert_eq!(s.stdout(&["--quiet", "apps:list"]), "node-js-app\npython-app\n");
    assert_eq!(s.stdout(&["apps:list", "--format", "json"]), "[\"node-js-app\",\"python-app\"]\n");
}

#[test]
fn apps_create_and_exists() {
    let s = sim();
    let created = s.ok(&["apps:create", "node-js-app"]);
    // Without a global domain: vhosts off, a random proxy port, and the proxy config built
    // twice (once for the vhost change, once by nginx's own post-create trigger).
    let port = created.stdout.lines().nth(3).and_then(|l| l.strip_prefix("-----> Random port "));
    assert!(port.is_some_and(|p| p.parse::<u16>().is_ok()), "{created:?}");
    assert_eq!(
        created.stdout,
        format!(
            "-----> Creating node-js-app...\n\
             -----> Global server virtual host not set, disabling app vhost...\n\
             -----> No port set, setting to random open high port\n\
             -----> Random port {}\n\
             -----> Creating http nginx.conf\n       Reloading nginx\n\
             -----> Creating http nginx.conf\n       Reloading nginx\n",
            port.unwrap_or_default()
        )
    );
    assert_eq!(created.stderr, " !     No web listeners specified for node-js-app\n".repeat(2));
    let exists = s.run(&["apps:exists", "node-js-app"]);
    assert_eq!((exists.status, exists.stdout.as_str(), exists.stderr.as_str()), (0, "", ""));
    assert_fails(&s.run(&["apps:exists", "nope"]), 20, " !     App nope does not exist\n");
    assert_fails(
        &s.run(&["apps:exists", "Foo"]),
        1,
        " !     App name must begin with lowercase alphanumeric character, and may only contain lowercase alphanumerics, dots, and hyphens\n",
    );
}

#[test]
fn apps_report_rows() {
    let s = sim();
    s.app("node-js-app");
    s.host.mark_deployed("node-js-app", &["web"]).unwrap();
    let created = s.stdout(&["apps:report", "node-js-app", "--app-created-at"]);
    let sha = s.stdout(&["apps:report", "node-js-app", "--app-deploy-source-metadata"]);
    let (created, sha) = (created.trim_end(), sha.trim_end());
    assert_eq!(sha.len(), 40);
    let report = s.stdout(&["apps:report", "node-js-app"]);

    // The docs sample, with this app's timestamp and commit.
    let sample = format!(
        "=====> node-js-app app information
       App created at:              {created}
       App dir:                     /home/dokku/node-js-app
       App deploy source:           git
       App deploy source metadata:  {sha}
       App locked:                  false
"
    );
    let parsed = rows(&report);
    for (key, value) in rows(&sample) {
        assert_eq!(parsed.get(&key), Some(&value), "row {key}");
    }

    // The exact bytes: sorted by flag, padded to the longest flag (33).
    let expected = "=====> node-js-app app information\n".to_string()
        + &go_row("App created at", created, 33)
        + &go_row("App deploy source", "git", 33)
        + &go_row("App deploy source metadata", sha, 33)
        + &go_row("App dir", "/home/dokku/node-js-app", 33)
        + &go_row("App global disable autocreation", "", 33)
        + &go_row("App locked", "false", 33);
    assert_eq!(report, expected);

    assert_eq!(s.stdout(&["apps:report", "node-js-app", "--app-locked"]), "false\n");
    let json: serde_json::Value =
        serde_json::from_str(&s.stdout(&["apps:report", "node-js-app", "--format", "json"]))
            .unwrap();
    for key in [
        "created-at",
        "deploy-source",
        "deploy-source-metadata",
        "dir",
        "global-disable-autocreation",
        "locked",
    ] {
        assert!(json.get(key).is_some(), "{key}");
        assert!(json.get(format!("app-{key}")).is_some(), "app-{key}");
    }
    assert_eq!(
        s.stdout(&["apps:report", "--global", "--format", "json"]),
        "{\"app-global-disable-autocreation\":\"\",\"global-disable-autocreation\":\"\"}\n"
    );
}

#[test]
fn apps_lock_messages() {
    let s = sim();
    s.app("a");
    assert_fails(&s.run(&["apps:locked", "a"]), 1, " !     Deploy lock does not exist\n");
    assert_fails(&s.run(&["apps:unlock", "a"]), 1, " !     Unable to remove deploy lock\n");
    assert_eq!(s.stdout(&["apps:lock", "a"]), "-----> Deploy lock created\n");
    assert_eq!(s.stdout(&["apps:locked", "a"]), "Deploy lock exists\n");
    assert_eq!(s.stdout(&["--quiet", "apps:locked", "a"]), "");
    assert_eq!(s.stdout(&["apps:report", "a", "--app-locked"]), "true\n");
    let unlock = s.ok(&["apps:unlock", "a"]);
    assert_eq!(unlock.stdout, "-----> Deploy lock removed\n");
    assert_eq!(
        unlock.stderr,
        " !     A deploy may be in progress.\n !     Removing the app lock will not stop in progress deploys.\n"
    );
}

#[test]
fn apps_destroy_needs_force() {
    let s = sim();
    s.app("a");
    let refused = s.run(&["apps:destroy", "a"]);
    assert_eq!(refused.status, 1);
    assert_eq!(refused.stdout, "> ");
    assert!(refused.stderr.starts_with(
        " !     WARNING: Potentially Destructive Action\n !     This command will destroy app a.\n !     To proceed, type \"a\"\n"
    ));
    let wrong = s.run_stdin(&["apps:destroy", "a"], Some(b"b\n"));
    assert_eq!(wrong.status, 1);
    assert!(wrong.stderr.ends_with("Confirmation did not match test. Aborted.\n"));
    assert_eq!(
        s.stdout(&["--force", "apps:destroy", "a"]),
        "-----> Destroying a (including all add-ons)\n-----> Cleaning up...\n\
         -----> Retiring old containers and images\n"
    );
    s.app("b");
    s.ok(&["apps:destroy", "b", "--force"]);
    s.app("c");
    assert_eq!(s.run_stdin(&["apps:destroy", "c"], Some(b"c\n")).status, 0);
    assert_eq!(s.stdout(&["apps:list", "--format", "json"]), "[]\n");
}

/// An app with the docs' sample env (and not the NO_VHOST=1 a new app gets).
fn config_sample_app(s: &Sim) {
    s.app("app");
    s.ok(&["config:unset", "--no-restart", "app", "NO_VHOST"]);
    s.ok(&[
        "config:set",
        "--no-restart",
        "app",
        "BKEY=true",
        "aKey=true",
        "bKey=true",
        "zKey=true",
    ]);
}

#[test]
fn config_export_formats() {
    let s = sim();
    s.app("empty");
    // Without a global domain a new app has vhosts off, which is NO_VHOST=1 in its env.
    assert_eq!(s.stdout(&["config:export", "--format", "json", "empty"]), "{\"NO_VHOST\":\"1\"}\n");
    s.ok(&["config:unset", "--no-restart", "empty", "NO_VHOST"]);
    assert_eq!(s.stdout(&["config:export", "--format", "json-list", "empty"]), "null\n");
    assert_eq!(s.stdout(&["config:export", "--format", "json", "empty"]), "{}\n");

    config_sample_app(&s);
    assert_eq!(
        s.stdout(&["config:export", "--format", "json", "app"]),
        "{\"BKEY\":\"true\",\"aKey\":\"true\",\"bKey\":\"true\",\"zKey\":\"true\"}\n"
    );
    assert_eq!(
        s.stdout(&["config:export", "--format", "json-list", "app"]),
        "[{\"name\":\"BKEY\",\"value\":\"true\"},{\"name\":\"aKey\",\"value\":\"true\"},{\"name\":\"bKey\",\"value\":\"true\"},{\"name\":\"zKey\",\"value\":\"true\"}]\n"
    );
    assert_eq!(
        s.stdout(&["config:export", "--format", "shell", "app"]),
        "BKEY='true' aKey='true' bKey='true' zKey='true' \n"
    );
    assert_eq!(
        s.stdout(&["config:export", "--format", "docker-args", "app"]),
        "--env=BKEY='true' --env=aKey='true' --env=bKey='true' --env=zKey='true' \n"
    );
    assert_eq!(
        s.stdout(&["config:show", "app"]),
        "=====> app env vars\nBKEY:  true\naKey:  true\nbKey:  true\nzKey:  true\n"
    );
    assert_eq!(s.stdout(&["config:get", "app", "aKey"]), "true\n");
    assert_eq!(s.stdout(&["config:keys", "app"]), "BKEY\naKey\nbKey\nzKey\n");
    let unset = s.run(&["config:get", "app", "NOPE"]);
    assert_eq!((unset.status, unset.stdout.as_str(), unset.stderr.as_str()), (1, "", ""));
}

#[test]
fn config_set_unset_import_output() {
    let s = sim();
    s.app("app");
    assert_eq!(
        s.stdout(&["config:set", "app", "A=1", "LONGER=x=y"]),
        "-----> Setting config vars\n       A:       1\n       LONGER:  x=y\n"
    );
    assert_eq!(s.stdout(&["--quiet", "config:set", "app", "B=2"]), "");
    assert_eq!(s.stdout(&["config:get", "app", "LONGER"]), "x=y\n");
    assert_eq!(
        s.stdout(&["config:unset", "app", "A", "MISSING"]),
        "-----> Unsetting A\n-----> Skipping MISSING, it is not set in the environment\n"
    );
    s.ok(&["config:set", "--encoded", "app", "ENC=aGVsbG8gd29ybGQ="]);
    assert_eq!(s.stdout(&["config:get", "app", "ENC"]), "hello world\n");

    let imported = s.run_stdin(
        &["config:import", "--no-restart", "--format", "json", "app", "-"],
        Some(br#"{"MULTI":"line one\nline two","DASH":"-n"}"#),
    );
    assert_eq!(imported.status, 0, "{imported:?}");
    assert_eq!(
        imported.stdout,
        "-----> Setting config var DASH=-n\n-----> Setting config var MULTI=line one\nline two\n"
    );
    assert_eq!(s.stdout(&["config:get", "app", "MULTI"]), "line one\nline two\n");
    let replaced = s.run_stdin(
        &["--quiet", "config:import", "--replace", "--format", "json", "app", "-"],
        Some(br#"{"ONLY":"1"}"#),
    );
    assert_eq!(replaced.status, 0);
    assert_eq!(s.stdout(&["config:keys", "app"]), "ONLY\n");
}

#[test]
fn ps_scale_read_forms() {
    let s = sim();
    s.app("python");
    s.host.mark_deployed("python", &["web"]).unwrap();
    assert_eq!(
        s.stdout(&["ps:scale", "python"]),
        "-----> Scaling for python\nproctype: qty\n--------: ---\nweb:  1\n"
    );

    s.app("app");
    s.host.mark_deployed("app", &["web", "worker", "beat"]).unwrap();
    s.ok(&["ps:scale", "--skip-deploy", "app", "web=4", "worker=1"]);
    assert_eq!(s.stdout(&["--quiet", "ps:scale", "app"]), "beat: 0\nweb:  4\nworker: 1\n");

    s.ok(&["ps:scale", "--skip-deploy", "python", "web=1"]);
    s.host.mark_deployed("python", &["web", "worker"]).unwrap();
    s.ok(&["ps:scale", "--skip-deploy", "python", "worker=4"]);
    assert_eq!(
        s.stdout(&["ps:scale", "python", "--format", "json"]),
        "[{\"process_type\":\"web\",\"quantity\":1},{\"process_type\":\"worker\",\"quantity\":4}]\n"
    );
    // A new app starts with one web process (the ps plugin's post-create trigger).
    s.app("fresh");
    assert_eq!(
        s.stdout(&["ps:scale", "fresh", "--format", "json"]),
        "[{\"process_type\":\"web\",\"quantity\":1}]\n"
    );
}

#[test]
fn ps_scale_write_messages() {
    let s = sim();
    s.app("app");
    assert_eq!(
        s.stdout(&["ps:scale", "--skip-deploy", "app", "web=2"]),
        "-----> Scaling app processes: web=2\n"
    );
    assert_fails(
        &s.run(&["ps:scale", "app", "web"]),
        1,
        " !     Missing count for process type web\n",
    );
    assert_fails(
        &s.run(&["ps:scale", "app", "web=two"]),
        1,
        " !     Invalid count for process type web\n",
    );
    s.host.mark_deployed("app", &["web"]).unwrap();
    assert_fails(
        &s.run(&["ps:scale", "app", "worker=1"]),
        1,
        " !     worker is not a valid process name to scale up\n",
    );
    s.ok(&["ps:scale", "--skip-deploy", "app", "worker=0"]);
}

#[test]
fn ps_report_keys() {
    let s = sim();
    s.app("app");
    let fresh: serde_json::Value =
        serde_json::from_str(&s.stdout(&["ps:report", "app", "--format", "json"])).unwrap();
    assert_eq!(fresh["deployed"], "false");
    assert_eq!(fresh["processes"], "0");
    assert_eq!(fresh["can-scale"], "true");
    assert_eq!(fresh["ps-can-scale"], "true");
    assert!(fresh.get("status-web.1").is_none());
    s.host.mark_deployed("app", &["web"]).unwrap();
    s.ok(&["ps:scale", "--skip-deploy", "app", "web=2"]);
    assert_eq!(s.stdout(&["ps:report", "app", "--deployed"]), "true\n");
    assert_eq!(s.stdout(&["ps:report", "app", "--processes"]), "2\n");
    assert_eq!(s.stdout(&["ps:report", "app", "--running"]), "true\n");
    let status = s.stdout(&["ps:report", "app", "--status-web.2"]);
    assert!(status.starts_with("running (CID: ") && status.len() == "running (CID: )\n".len() + 11);
    let report = s.stdout(&["ps:report", "app"]);
    // The longest flag, --ps-computed-dockerfile-start-cmd, sets the padding: 34.
    assert!(report.contains(&go_row("Deployed", "true", 34)), "{report}");
    assert!(report.contains(&go_row("Ps restart policy", "", 34)), "{report}");
    assert!(report.contains(&go_row("Ps computed restart policy", "on-failure:10", 34)));
}

#[test]
fn domains_report_forms() {
    let s = sim();
    s.app("node-js-app");
    s.ok(&["domains:add", "node-js-app", "node-js-app.dokku.org"]);
    let report = s.stdout(&["domains:report", "node-js-app"]);
    let expected = "=====> node-js-app domains information\n".to_string()
        + &go_row("Domains app enabled", "true", 31)
        + &go_row("Domains app vhosts", "node-js-app.dokku.org", 31)
        + &go_row("Domains global enabled", "false", 31)
        + &go_row("Domains global vhosts", "", 31);
    assert_eq!(report, expected);
    let sample = "=====> node-js-app domains information
       Domains app enabled: true
       Domains app vhosts:  node-js-app.dokku.org
";
    let parsed = rows(&report);
    for (key, value) in rows(sample) {
        assert_eq!(parsed.get(&key), Some(&value));
    }
    assert_eq!(
        s.stdout(&["domains:report", "node-js-app", "--domains-app-vhosts"]),
        "node-js-app.dokku.org\n"
    );
    assert_eq!(
        s.stdout(&["domains:report", "node-js-app", "--format", "json"]),
        "{\"app-enabled\":\"true\",\"app-vhosts\":\"node-js-app.dokku.org\",\"global-enabled\":\"false\",\"global-vhosts\":\"\"}\n"
    );
}

#[test]
fn domains_add_remove_messages() {
    let s = sim();
    s.app("a");
    // Every change rebuilds the proxy config; the first also turns vhosts on, which rebuilds it
    // once more.
    let rebuild = "-----> Configuring x.example.com...(using built-in template)\n\
                   -----> Creating http nginx.conf\n       Reloading nginx\n";
    assert_eq!(
        s.stdout(&["domains:add", "a", "x.example.com"]),
        format!("-----> Added x.example.com to a\n{rebuild}{rebuild}")
    );
    assert_eq!(
        s.stdout(&["domains:add", "a", "x.example.com"]),
        format!("-----> Skipping: x.example.com already added to a\n{rebuild}")
    );
    assert_fails(
        &s.run(&["domains:add", "a", "bad domain"]),
        1,
        " !     bad domain is invalid. exiting...\n",
    );
    assert_eq!(
        s.stdout(&["domains:remove", "a", "y.example.com"]),
        format!("-----> Removed y.example.com from a\n{rebuild}")
    );
    assert_eq!(
        s.stdout(&["domains:remove", "a", "x.example.com"]),
        "-----> Removed x.example.com from a\n-----> Creating http nginx.conf\n       Reloading nginx\n"
    );
    assert_eq!(s.stdout(&["domains:report", "a", "--domains-app-vhosts"]), "\n");
}

#[test]
fn buildpacks_list_sample() {
    let s = sim();
    s.app("test");
    s.ok(&["buildpacks:add", "test", "heroku/nodejs"]);
    s.ok(&[
        "buildpacks:add",
        "--index",
        "1",
        "test",
        "https://github.com/heroku/heroku-buildpack-python.git",
    ]);
    assert_eq!(
        s.stdout(&["buildpacks:list", "test"]),
        "-----> test buildpack urls
       https://github.com/heroku/heroku-buildpack-python.git
       https://github.com/heroku/heroku-buildpack-nodejs.git
"
    );
    assert_eq!(
        s.stdout(&["--quiet", "buildpacks:list", "test"]),
        "       https://github.com/heroku/heroku-buildpack-python.git\n       https://github.com/heroku/heroku-buildpack-nodejs.git\n"
    );
    assert_eq!(
        s.stdout(&["buildpacks:report", "test", "--buildpacks-list"]),
        "https://github.com/heroku/heroku-buildpack-python.git,https://github.com/heroku/heroku-buildpack-nodejs.git\n"
    );
    // No deduplication.
    s.ok(&["buildpacks:add", "test", "heroku/nodejs"]);
    assert_eq!(s.stdout(&["buildpacks:list", "--quiet", "test"]).lines().count(), 3);
    assert_eq!(
        s.stdout(&["buildpacks:remove", "test", "--index", "3"]),
        "-----> Removing https://github.com/heroku/heroku-buildpack-nodejs.git\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&s.stdout(&["buildpacks:report", "test", "--format", "json"]))
            .unwrap();
    assert_eq!(json["list"], json["buildpacks-list"]);
    s.ok(&["buildpacks:clear", "test"]);
    assert_eq!(s.stdout(&["buildpacks:report", "test", "--buildpacks-list"]), "\n");
}

#[test]
fn builder_report_sample() {
    let s = sim();
    s.app("node-js-app");
    assert_eq!(
        s.stdout(&["builder:set", "node-js-app", "selected", "herokuish"]),
        "=====> Setting selected to herokuish\n"
    );
    s.ok(&["builder:set", "node-js-app", "build-dir", "custom"]);
    s.ok(&["builder:set", "--global", "selected", "herokuish"]);
    let report = s.stdout(&["builder:report", "node-js-app"]);
    let sample = "=====> node-js-app builder information
       Builder build dir:          custom
       Builder computed build dir: custom
       Builder computed selected:  herokuish
       Builder global build dir:
       Builder global selected: herokuish
       Builder selected: herokuish
";
    let parsed = rows(&report);
    for (key, value) in rows(sample) {
        assert_eq!(parsed.get(&key), Some(&value), "{key}");
    }
    assert!(report.contains(&go_row("Builder global build dir", "", 31)));
    assert_eq!(
        s.stdout(&["builder:report", "node-js-app", "--builder-computed-selected"]),
        "herokuish\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&s.stdout(&["builder:report", "node-js-app", "--format", "json"]))
            .unwrap();
    for key in [
        "selected",
        "global-selected",
        "computed-selected",
        "build-dir",
        "global-build-dir",
        "computed-build-dir",
    ] {
        assert!(json.get(key).is_some(), "{key}");
        assert!(json.get(format!("builder-{key}")).is_some(), "builder-{key}");
    }
    assert_eq!(
        s.stdout(&["builder:set", "node-js-app", "selected"]),
        "=====> Unsetting selected\n"
    );
    assert_eq!(s.stdout(&["--quiet", "builder:set", "node-js-app", "selected", "x"]), "");
}

#[test]
fn scheduler_report_keys() {
    let s = sim();
    s.app("node-js-app");
    let report = s.stdout(&["scheduler:report", "node-js-app"]);
    assert_eq!(
        report,
        "=====> node-js-app scheduler information\n".to_string()
            + &go_row("Scheduler computed selected", "docker-local", 31)
            + &go_row("Scheduler computed shell", "", 31)
            + &go_row("Scheduler global selected", "", 31)
            + &go_row("Scheduler global shell", "", 31)
            + &go_row("Scheduler selected", "", 31)
            + &go_row("Scheduler shell", "", 31)
    );
    s.ok(&["scheduler:set", "node-js-app", "selected", "k3s"]);
    let json: serde_json::Value =
        serde_json::from_str(&s.stdout(&["scheduler:report", "node-js-app", "--format", "json"]))
            .unwrap();
    assert_eq!(json["selected"], "k3s");
    assert_eq!(json["computed-selected"], "k3s");
    assert_eq!(json["scheduler-computed-selected"], "k3s");
    assert_eq!(json["global-selected"], "");
}

#[test]
fn resource_report_and_listing() {
    let s = sim();
    s.app("node-js-app");
    assert_eq!(s.stdout(&["resource:report", "node-js-app", "--format", "json"]), "{}\n");
    assert_eq!(
        s.stdout(&["resource:limit", "--memory", "512MB", "node-js-app"]),
        "=====> Setting resource limits for node-js-app\n       memory: 512MB\n"
    );
    s.ok(&["resource:reserve", "--cpu", "1", "--process-type", "web", "node-js-app"]);
    assert_eq!(
        s.stdout(&["resource:report", "node-js-app", "--format", "json"]),
        "{\"_default_.limit.memory\":\"512MB\",\"resource-_default_.limit.memory\":\"512MB\",\"resource-web.reserve.cpu\":\"1\",\"web.reserve.cpu\":\"1\"}\n"
    );
    assert_eq!(
        s.stdout(&["resource:report", "node-js-app", "--resource-_default_.limit.memory"]),
        "512MB\n"
    );
    let unset = s.run(&["resource:report", "node-js-app", "--resource-_default_.limit.cpu"]);
    assert_eq!(unset.status, 1);
    assert_eq!(
        unset.stderr,
        " !     Invalid flag passed, valid flags: --resource-_default_.limit.memory, --resource-web.reserve.cpu\n"
    );
    let report = s.stdout(&["resource:report", "node-js-app"]);
    assert_eq!(
        report,
        "=====> node-js-app resource information\n".to_string()
            + &go_row("resource _default_ limit memory", "512MB", 33)
            + &go_row("resource web reserve cpu", "1", 33)
    );

    s.app("listing");
    s.ok(&["resource:limit", "--memory-swap", "100", "--network", "100", "listing"]);
    let listing = s.stdout(&["resource:limit", "listing"]);
    let sample = "=====> resource limits listing information [defaults]
       cpu:
       memory:
       memory-swap: 100
       network: 100
       network-ingress:
       network-egress:
       nvidia-gpu:
";
    assert_same_rows(&listing, sample);
    // Go's "%v: %v" keeps the space after the colon when the value is empty.
    assert!(listing.contains("       cpu: \n"));
    assert_eq!(
        s.stdout(&["resource:limit", "--memory-swap", "clear", "listing"]),
        "=====> Setting resource limits for listing\n       memory-swap: cleared\n"
    );
    assert_eq!(
        s.stdout(&["resource:reserve", "--process-type", "web", "listing"]).lines().next(),
        Some("=====> resource reservation listing information (web)")
    );
}

#[test]
fn resource_clear_trap() {
    let s = sim();
    s.app("a");
    s.ok(&["resource:limit", "--memory", "1g", "a"]);
    s.ok(&["resource:limit", "--memory", "2g", "--process-type", "web", "a"]);
    s.ok(&["resource:reserve", "--memory", "3g", "--process-type", "web", "a"]);
    assert_eq!(
        s.stdout(&["resource:limit-clear", "--process-type", "web", "a"]),
        "=====> clearing a limits (web)\n"
    );
    assert_eq!(
        s.stdout(&["resource:report", "a", "--format", "json"]),
        "{\"_default_.limit.memory\":\"1g\",\"resource-_default_.limit.memory\":\"1g\",\"resource-web.reserve.memory\":\"3g\",\"web.reserve.memory\":\"3g\"}\n"
    );
    // Without --process-type the clear wipes every property, reservations included.
    assert_eq!(s.stdout(&["resource:limit-clear", "a"]), "=====> clearing a limits\n");
    assert_eq!(s.stdout(&["resource:report", "a", "--format", "json"]), "{}\n");
}

#[test]
fn http_auth_report_rows() {
    let s = sim();
    s.app("node-js-app");
    assert_eq!(
        s.stdout(&["http-auth:report", "node-js-app"]),
        "=====> node-js-app http-auth information\n".to_string()
            + &bash_row("Http auth enabled:", "false", 30)
            + &bash_row("Http auth allowed ips:", "", 30)
            + &bash_row("Http auth users:", "", 30)
    );
    let enabled = s.ok(&["http-auth:enable", "node-js-app", "root", "s3cret"]);
    assert_eq!(enabled.stdout, "-----> Enabling HTTP auth for node-js-app...\n       Done\n");
    s.ok(&["http-auth:add-user", "node-js-app", "username", "pw"]);
    s.ok(&["http-auth:add-allowed-ip", "node-js-app", "127.0.0.1"]);
    let report = s.stdout(&["http-auth:report", "node-js-app"]);
    let sample = "=====> node-js-app http-auth information
       Http auth enabled:             true
       Http auth allowed ips:         127.0.0.1
       Http auth users:               root username
";
    assert_same_rows(&report, sample);
    assert_eq!(
        report,
        "=====> node-js-app http-auth information\n".to_string()
            + &bash_row("Http auth enabled:", "true", 30)
            + &bash_row("Http auth allowed ips:", "127.0.0.1", 30)
            + &bash_row("Http auth users:", "root username", 30)
    );
    assert!(report.contains("       Http auth enabled:             true                     \n"));
    assert_eq!(s.stdout(&["http-auth:report", "node-js-app", "--http-auth-enabled"]), "true\n");
    // The password is stored only as a hash.
    let state = std::fs::read_to_string(s.dir.path().join("state.json")).unwrap();
    assert!(!state.contains("s3cret"));
}

#[test]
fn http_auth_messages() {
    let s = sim();
    assert_fails(
        &s.run(&["http-auth:report", "x"]),
        1,
        " !     You haven't deployed any applications yet\n",
    );
    s.app("a");
    let ips = s.ok(&["http-auth:report", "a", "--http-auth-allowed-ips"]);
    assert_eq!(ips.stdout, "");
    assert_fails(
        &s.run(&["http-auth:report", "a", "--http-auth-users"]),
        1,
        " !     not deployed\n",
    );
    assert_fails(
        &s.run(&["http-auth:report", "a", "--format", "json"]),
        1,
        " !     Invalid flag passed, valid flags: --http-auth-enabled --http-auth-allowed-ips --http-auth-users\n",
    );
    assert_fails(
        &s.run(&["http-auth:add-user", "a", "u", "p"]),
        1,
        " !     Authentication is disabled\n",
    );
    assert_eq!(s.stdout(&["http-auth:disable", "a"]), "-----> Authentication already disabled\n");
    let enable = s.ok(&["http-auth:enable", "a"]);
    assert_eq!(enable.stderr, " !     Skipping user initialization\n");
    assert_eq!(
        s.stdout(&["http-auth:enable", "a"]),
        "-----> Authentication already enabled, use http-auth:add-user or http-auth:remove-user to modify users\n"
    );
    assert_fails(&s.run(&["http-auth:add-user", "a", "u"]), 1, " !     Missing username\n");
    assert_fails(&s.run(&["http-auth:add-allowed-ip", "a"]), 1, " !     Missing ip address\n");
    s.ok(&["http-auth:disable", "a"]);
    // Adding an allowed IP renders the include, which is what "enabled" means.
    assert_eq!(
        s.stdout(&["http-auth:add-allowed-ip", "a", "10.0.0.0/8"]),
        "-----> Adding 10.0.0.0/8 to allowed ip list\n"
    );
    assert_eq!(s.stdout(&["http-auth:report", "a", "--http-auth-enabled"]), "true\n");
    s.ok(&["http-auth:add-allowed-ip", "a", "10.0.0.0/8"]);
    assert_eq!(s.stdout(&["http-auth:report", "a", "--http-auth-allowed-ips"]), "10.0.0.0/8\n");
}

#[test]
fn maintenance_report_forms() {
    let s = sim();
    s.app("node-js-app");
    assert_eq!(
        s.stdout(&["maintenance:report", "node-js-app", "--format", "json"]),
        "{\"enabled\":\"false\",\"custom-page-sha256\":\"\"}\n"
    );
    assert_eq!(
        s.stdout(&["maintenance:report", "node-js-app", "--maintenance-enabled"]),
        "false\n"
    );
    assert_eq!(s.stdout(&["maintenance:report", "--global", "--format", "json"]), "{}\n");
    assert_eq!(
        s.stdout(&["maintenance:enable", "node-js-app"]),
        "-----> Enabling maintenance mode for node-js-app...\n       Done\n"
    );
    assert_eq!(
        s.stdout(&["maintenance:enable", "node-js-app"]),
        "-----> Maintenance mode already enabled\n"
    );
    assert_eq!(s.stdout(&["maintenance:report", "node-js-app", "--maintenance-enabled"]), "true\n");
    assert_eq!(
        s.stdout(&["maintenance:report", "node-js-app"]),
        "=====> node-js-app maintenance information\n".to_string()
            + &bash_row("Maintenance enabled:", "true", 30)
            + &bash_row("Maintenance custom page sha256:", "", 30)
    );
    assert_fails(
        &s.run(&["maintenance:report", "node-js-app", "--bogus"]),
        1,
        " !     Invalid flag passed, valid flags: --maintenance-enabled --maintenance-custom-page-sha256\n",
    );
    assert_eq!(
        s.stdout(&["maintenance:disable", "node-js-app"]),
        "-----> Disabling maintenance mode for node-js-app...\n       Done\n"
    );
    assert_eq!(
        s.stdout(&["maintenance:disable", "node-js-app"]),
        "-----> Maintenance mode already disabled\n"
    );
}

#[test]
fn ssh_keys_list_shapes() {
    let s = sim();
    let empty = s.run(&["ssh-keys:list"]);
    assert_eq!(empty.status, 1);
    assert_eq!(empty.stderr, "authorized_keys is empty for dokku\n");

    let added = s.run_stdin(&["ssh-keys:add", "alice"], Some(format!("{ED25519}\n").as_bytes()));
    assert_eq!((added.status, added.stdout.as_str()), (0, format!("{ED25519_FP}\n").as_str()));
    s.run_stdin(&["ssh-keys:add", "bob"], Some(RSA.as_bytes()));
    let allowed = "no-agent-forwarding,no-user-rc,no-X11-forwarding,no-port-forwarding";
    assert_eq!(
        s.stdout(&["ssh-keys:list"]),
        format!(
            "{ED25519_FP} NAME=\"alice\" SSHCOMMAND_ALLOWED_KEYS=\"{allowed}\"\n{RSA_FP} NAME=\"bob\" SSHCOMMAND_ALLOWED_KEYS=\"{allowed}\"\n"
        )
    );
    assert_eq!(
        s.stdout(&["ssh-keys:list", "--format", "json"]),
        format!(
            "[{{ \"fingerprint\": \"{ED25519_FP}\", \"name\": \"alice\", \"SSHCOMMAND_ALLOWED_KEYS\": \"{allowed}\", \"public-key\": \"{ED25519}\" }},{{ \"fingerprint\": \"{RSA_FP}\", \"name\": \"bob\", \"SSHCOMMAND_ALLOWED_KEYS\": \"{allowed}\", \"public-key\": \"{RSA}\" }}]\n"
        )
    );
    assert_eq!(
        s.stdout(&["ssh-keys:list", "--format", "json", "bob"]),
        format!(
            "[{{\"fingerprint\":\"{RSA_FP}\",\"name\":\"bob\",\"SSHCOMMAND_ALLOWED_KEYS\":\"{allowed}\",\"public-key\":\"{RSA}\"}}]\n"
        )
    );
    assert_eq!(s.run(&["ssh-keys:list", "carol"]).status, 1);
    s.ok(&["ssh-keys:remove", "--fingerprint", ED25519_FP]);
    s.ok(&["ssh-keys:remove", "--fingerprint", ED25519_FP]);
    s.ok(&["ssh-keys:remove", "bob"]);
    assert_eq!(s.run(&["ssh-keys:list"]).status, 1);
}

#[test]
fn datastore_info_rows() {
    let s = sim();
    let created = s.ok(&["postgres:create", "lollipop"]);
    assert!(created.stdout.starts_with(
        "       Waiting for container to be ready\n       Creating container database\n       Securing connection to database\n=====> Postgres container created: lollipop\n=====> lollipop postgres service information\n"
    ));
    let dsn = s.stdout(&["postgres:info", "lollipop", "--dsn"]);
    let dsn = dsn.trim_end();
    assert!(dsn.starts_with("postgres://postgres:"), "{dsn}");
    assert!(dsn.ends_with("@dokku-postgres-lollipop:5432/lollipop"), "{dsn}");
    let id = s.stdout(&["postgres:info", "lollipop", "--id"]);
    let ip = s.stdout(&["postgres:info", "lollipop", "--internal-ip"]);
    let (id, ip) = (id.trim_end(), ip.trim_end());
    assert_eq!(id.len(), 64);
    let root = "/var/lib/dokku/services/postgres/lollipop";
    let expected = "=====> lollipop postgres service information\n".to_string()
        + &bash_row("Config dir:", &format!("{root}/data"), 20)
        + &bash_row("Config options:", "", 20)
        + &bash_row("Data dir:", &format!("{root}/data"), 20)
        + &bash_row("Dsn:", dsn, 20)
        + &bash_row("Exposed ports:", "-", 20)
        + &bash_row("Id:", id, 20)
        + &bash_row("Internal ip:", ip, 20)
        + &bash_row("Initial network:", "", 20)
        + &bash_row("Links:", "-", 20)
        + &bash_row("Post create network:", "", 20)
        + &bash_row("Post start network:", "", 20)
        + &bash_row("Service root:", root, 20)
        + &bash_row("Status:", "running", 20)
        + &bash_row("Version:", "postgres:18.4", 20);
    assert_eq!(s.stdout(&["postgres:info", "lollipop"]), expected);
    assert!(expected.contains("       Exposed ports:       -                        \n"));
    assert_fails(
        &s.run(&["postgres:info", "lollipop", "--bogus"]),
        1,
        " !     Invalid flag passed, valid flags: --config-dir --config-options --data-dir --dsn --exposed-ports --id --internal-ip --initial-network --links --post-create-network --post-start-network --service-root --status --version\n",
    );
    s.app("a");
    s.app("b");
    s.ok(&["postgres:link", "lollipop", "b", "--no-restart"]);
    s.ok(&["postgres:link", "lollipop", "a", "--no-restart"]);
    assert_eq!(s.stdout(&["postgres:info", "lollipop", "--links"]), "a b \n");
    assert_eq!(s.stdout(&["postgres:links", "lollipop"]), "a\nb\n");
}

#[test]
fn datastore_list_and_exists() {
    let s = sim();
    let none = s.ok(&["redis:list"]);
    assert_eq!(
        (none.stdout.as_str(), none.stderr.as_str()),
        ("", " !     There are no Redis services\n")
    );
    s.ok(&["--quiet", "redis:create", "l"]);
    assert_eq!(s.stdout(&["--quiet", "redis:list"]), "l\n");
    assert_eq!(s.stdout(&["redis:list"]), "=====> Redis services\nl\n");
    assert_eq!(s.stdout(&["redis:exists", "l"]), "-----> Service l exists\n");
    assert_fails(&s.run(&["redis:exists", "m"]), 1, " !     Redis service m does not exist\n");
    assert!(s.stdout(&["redis:info", "l", "--dsn"]).starts_with("redis://:"));
}

#[test]
fn plugin_list_and_installed() {
    let s = sim();
    let json: Vec<serde_json::Value> =
        serde_json::from_str(&s.stdout(&["plugin:list", "--format", "json"])).unwrap();
    let names: Vec<&str> = json.iter().map(|p| p["name"].as_str().unwrap()).collect();
    for name in [
        "builder-dockerfile",
        "builder-herokuish",
        "builder-lambda",
        "builder-nixpacks",
        "builder-null",
        "builder-pack",
        "builder-railpack",
        "scheduler-docker-local",
        "scheduler-k3s",
        "scheduler-null",
        "postgres",
        "mysql",
        "redis",
        "mongo",
        "http-auth",
        "maintenance",
    ] {
        assert!(names.contains(&name), "{name}");
    }
    let postgres = json.iter().find(|p| p["name"] == "postgres").unwrap();
    let keys: Vec<&String> = postgres.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 8);
    assert_eq!(postgres["version"], "1.48.0");
    assert_eq!(postgres["core"], false);
    assert_eq!(postgres["source_url"], "https://github.com/dokku/dokku-postgres.git");
    // Field order as Dokku prints it.
    let raw = s.stdout(&["plugin:list", "--format", "json"]);
    assert!(raw.contains("{\"name\":\"postgres\",\"version\":\"1.48.0\",\"enabled\":true,\"core\":false,\"description\":\"dokku postgres service plugin\",\"source_url\":\"https://github.com/dokku/dokku-postgres.git\",\"committish\":\""));

    // plugn's table: `printf "  %-20s %-5s %-10s %s\n"`, no header.
    let text = s.stdout(&["plugin:list"]);
    assert!(
        text.starts_with("  00_dokku-standard    0.38.27 enabled    dokku core standard plugin\n")
    );
    let row = text.lines().find(|l| l.split_whitespace().next() == Some("builder-pack")).unwrap();
    assert_eq!(row.split_whitespace().collect::<Vec<_>>()[1..3], ["0.38.27", "enabled"]);

    let yes = s.run(&["plugin:installed", "scheduler-k3s"]);
    assert_eq!((yes.status, yes.stdout.as_str(), yes.stderr.as_str()), (0, "", ""));
    let no = s.run(&["plugin:installed", "scheduler-nomad"]);
    assert_eq!((no.status, no.stdout.as_str(), no.stderr.as_str()), (1, "", ""));
}

#[test]
fn version_and_unknown_command() {
    let s = sim();
    assert_eq!(s.stdout(&["version"]), "dokku version 0.38.27\n");
    assert_eq!(s.host.version(), "0.38.27");
    assert_fails(
        &s.run(&["foo"]),
        1,
        " !     `foo` is not a dokku command.\n !     See `dokku help` for a list of available commands.\n",
    );
    assert_fails(
        &s.run(&["apps:frobnicate", "x"]),
        1,
        " !     `apps:frobnicate` is not a dokku command.\n !     See `dokku help` for a list of available commands.\n",
    );
    s.app("a");
    assert_fails(&s.run(&["config:set", "--bogus", "a", "K=V"]), 2, "unknown flag: --bogus\n");
}
