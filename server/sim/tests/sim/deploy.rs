//! The deployment model: undeployed apps only store changes; deployed ones rebuild, restart and
//! redeploy the way Dokku does.

use crate::support::*;

#[test]
fn rebuild_of_a_never_deployed_app_fails() {
    let s = sim();
    s.app("a");
    let out = s.run(&["--force", "ps:rebuild", "a"]);
    assert_eq!(out.status, 1);
    assert_eq!(
        out.stdout,
        "\u{1b}[1G\u{1b}[K-----> WARNING: Cannot build from 'master' as there are no commits stored at that branch.\n"
    );
    assert_eq!(out.stderr, "");
    assert_eq!(s.stdout(&["ps:report", "a", "--deployed"]), "false\n");
}

#[test]
fn rebuild_and_restart_of_a_deployed_app() {
    let s = sim();
    s.app("a");
    s.host.mark_deployed("a", &["web", "worker"]).unwrap();
    let rebuild = s.ok(&["--force", "ps:rebuild", "a"]);
    assert_eq!(rebuild.stderr, "");
    assert!(rebuild.stdout.contains("-----> Building a from herokuish\n"), "{}", rebuild.stdout);
    assert!(rebuild.stdout.contains("-----> Deploying web (count=1)\n"));
    assert!(rebuild.stdout.contains("-----> Deploying worker (count=0)\n"));
    let restart = s.ok(&["ps:restart", "a"]);
    assert_eq!(restart.stderr, "");
    assert!(restart.stdout.contains("=====> Application deployed:\n"));
    assert_eq!(s.stdout(&["builder:report", "a", "--builder-detected"]), "herokuish\n");
}

#[test]
fn mark_deployed_sets_default_scale() {
    let s = sim();
    s.app("a");
    s.ok(&["ps:scale", "--skip-deploy", "a", "web=3"]);
    s.host.mark_deployed("a", &["web", "worker", "release"]).unwrap();
    assert_eq!(s.stdout(&["--quiet", "ps:scale", "a"]), "release: 0\nweb:  3\nworker: 0\n");
    assert!(s.host.mark_deployed("nope", &["web"]).is_err());
    assert!(s.host.mark_deployed("a", &["Bad_Type"]).is_err());
}

#[test]
fn config_changes_restart_a_deployed_app() {
    let s = sim();
    s.app("a");
    // Undeployed: stored only.
    assert_eq!(s.stdout(&["--quiet", "config:set", "a", "K=V"]), "");
    s.host.mark_deployed("a", &["web"]).unwrap();
    let restarted = s.stdout(&["--quiet", "config:set", "a", "K=W"]);
    assert!(
        restarted.starts_with("-----> Restarting app a\n-----> Deploying web (count=1)\n"),
        "{restarted}"
    );
    assert_eq!(s.stdout(&["--quiet", "config:set", "--no-restart", "a", "K=X"]), "");
    let unset = s.stdout(&["config:unset", "a", "K"]);
    assert!(unset.starts_with("-----> Unsetting K\n-----> Restarting app a\n"), "{unset}");
    assert_eq!(
        s.stdout(&["config:unset", "--no-restart", "a", "K"]),
        "-----> Skipping K, it is not set in the environment\n"
    );
}

#[test]
fn scale_deploys_only_changed_types() {
    let s = sim();
    s.app("a");
    s.host.mark_deployed("a", &["web", "worker"]).unwrap();
    let out = s.stdout(&["ps:scale", "a", "web=1", "worker=2"]);
    assert!(
        out.starts_with(
            "-----> Scaling a processes: web=1 worker=2\n-----> Deploying worker (count=2)\n"
        ),
        "{out}"
    );
    assert!(!out.contains("Deploying web"));
    assert_eq!(
        s.stdout(&["ps:scale", "--skip-deploy", "a", "worker=3"]),
        "-----> Scaling a processes: worker=3\n"
    );
}

#[test]
fn sim_deploy_subcommand() {
    let s = sim();
    s.app("a");
    let out = s.ok(&["sim:deploy", "a", "web", "worker"]);
    assert!(out.stdout.contains("Procfile declares types -> web, worker"));
    assert_eq!(s.stdout(&["ps:report", "a", "--deployed"]), "true\n");
    assert_fails(&s.run(&["sim:deploy", "zz"]), 20, " !     App zz does not exist\n");
}

#[test]
fn stop_and_start() {
    let s = sim();
    s.app("a");
    let undeployed = s.ok(&["ps:stop", "a"]);
    assert_eq!(undeployed.stderr, " !     App a has not been deployed\n");
    s.host.mark_deployed("a", &["web"]).unwrap();
    assert_eq!(s.stdout(&["ps:stop", "a"]), "Stopping a\n");
    assert_eq!(s.stdout(&["ps:report", "a", "--running"]), "false\n");
    assert_eq!(s.stdout(&["ps:report", "a", "--restore"]), "false\n");
    assert!(s.stdout(&["ps:report", "a", "--status-web.1"]).starts_with("exited (CID: "));
    // A stopped app is not restarted by config changes.
    assert_eq!(s.stdout(&["--quiet", "config:set", "a", "K=V"]), "");
    let started = s.ok(&["ps:start", "a"]);
    assert_eq!(started.stderr, " !     App has been detected as not running, releasing\n");
    assert!(started.stdout.starts_with("-----> Deploying web (count=1)\n"));
    assert_eq!(s.stdout(&["ps:report", "a", "--running"]), "true\n");
    assert_eq!(s.ok(&["ps:start", "a"]).stderr, " !     App a already running\n");
}

#[test]
fn restart_of_a_never_deployed_app_warns() {
    let s = sim();
    s.app("a");
    let out = s.ok(&["ps:restart", "a"]);
    // Build capture: the warning arrives on stdout.
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        (" !     App a has not been deployed\n", "")
    );
}

#[test]
fn global_vhost_gives_new_apps_a_domain() {
    let s = sim();
    s.ok(&["domains:add-global", "dokku.me"]);
    let created = s.stdout(&["apps:create", "a"]);
    assert_eq!(
        created,
        "-----> Creating a...\n-----> Creating new app virtual host file...\n\
         -----> Configuring a.dokku.me...(using built-in template)\n\
         -----> Creating http nginx.conf\n       Reloading nginx\n"
    );
    assert_eq!(
        s.stdout(&["domains:report", "a", "--format", "json"]),
        "{\"app-enabled\":\"true\",\"app-vhosts\":\"a.dokku.me\",\"global-enabled\":\"true\",\"global-vhosts\":\"dokku.me\"}\n"
    );
    s.host.mark_deployed("a", &["web"]).unwrap();
    assert!(
        s.stdout(&["ps:restart", "a"])
            .ends_with("=====> Application deployed:\n       http://a.dokku.me\n")
    );
}

/// `apps:lock` only creates the lock file; a build takes Dokku's deploy lock and removes the
/// file when it ends, so a rebuild (even a failed one) unlocks the app, and a restart leaves it.
#[test]
fn a_build_removes_the_deploy_lock() {
    let s = sim();
    s.app("a");
    s.ok(&["apps:lock", "a"]);
    s.ok(&["ps:restart", "a"]);
    assert_eq!(s.run(&["apps:locked", "a"]).status, 0);
    assert_eq!(s.run(&["ps:rebuild", "a"]).status, 1, "never deployed: no commits");
    assert_fails(&s.run(&["apps:locked", "a"]), 1, " !     Deploy lock does not exist\n");
    s.host.mark_deployed("a", &["web"]).unwrap();
    s.ok(&["apps:lock", "a"]);
    s.ok(&["ps:rebuild", "a"]);
    assert_eq!(s.run(&["apps:locked", "a"]).status, 1);
}
