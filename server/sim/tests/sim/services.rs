//! Datastore service life cycle: create, link (aliases, restarts), unlink, destroy (force, links).

use crate::support::*;

#[test]
fn link_sets_the_url_and_restarts_unless_told_not_to() {
    let s = sim();
    s.app("a");
    s.ok(&["postgres:create", "db"]);
    let dsn = s.stdout(&["postgres:info", "db", "--dsn"]);
    let linked = s.stdout(&["postgres:link", "db", "a"]);
    assert_eq!(linked, format!("-----> Setting config vars\n       DATABASE_URL:  {dsn}"));
    assert_eq!(s.stdout(&["config:get", "a", "DATABASE_URL"]), dsn);
    assert_eq!(s.stdout(&["postgres:app-links", "a"]), "db\n");

    // A second postgres service gets an alternative alias.
    s.ok(&["postgres:create", "other"]);
    s.ok(&["--quiet", "postgres:link", "other", "a"]);
    assert_eq!(
        s.stdout(&["config:keys", "a"]),
        "DATABASE_URL\nDOKKU_POSTGRES_AQUA_URL\nNO_VHOST\n"
    );

    s.app("b");
    s.host.mark_deployed("b", &["web"]).unwrap();
    let restarted = s.stdout(&["--quiet", "redis:create", "cache"]);
    assert!(restarted.starts_with("=====> Redis container created: cache\n"), "{restarted}");
    let link = s.stdout(&["--quiet", "redis:link", "cache", "b", "--querystring", "ssl=true"]);
    assert!(link.starts_with("-----> Restarting app b\n"), "{link}");
    assert!(s.stdout(&["config:get", "b", "REDIS_URL"]).trim_end().ends_with("?ssl=true"));
    let unlink = s.stdout(&["redis:unlink", "cache", "b", "--no-restart"]);
    // Recorded: with --no-restart the plugin says it skips the restart.
    assert_eq!(unlink, "-----> Unsetting REDIS_URL\n       Skipping restart of linked app\n");
    assert_eq!(s.stdout(&["redis:app-links", "b"]), "");
    s.ok(&["--quiet", "redis:link", "cache", "b", "--no-restart", "--alias", "sessions"]);
    assert_eq!(s.stdout(&["config:keys", "b"]), "NO_VHOST\nSESSIONS_URL\n");
}

#[test]
fn destroy_needs_force_and_no_links() {
    let s = sim();
    s.ok(&["mysql:create", "db"]);
    let refused = s.run(&["mysql:destroy", "db"]);
    assert_eq!(refused.status, 1);
    assert_eq!(refused.stdout, "\n");
    assert_eq!(
        refused.stderr,
        " !     WARNING: Potentially Destructive Action\n !     This command will destroy db MySQL service.\n !     To proceed, type \"db\"\n"
    );
    assert_eq!(
        s.stdout(&["mysql:destroy", "db", "-f"]),
        "=====> Deleting db\n       Deleting container data\n       Removing container\n       Removing data\n=====> MySQL container deleted: db\n"
    );
    s.ok(&["mysql:create", "db"]);
    s.ok(&["mysql:destroy", "db", "--force"]);
    s.ok(&["mysql:create", "db"]);
    s.ok(&["--force", "mysql:destroy", "db"]);
    s.ok(&["mysql:create", "db"]);
    assert_eq!(s.run_stdin(&["mysql:destroy", "db"], Some(b"db\n")).status, 0);

    s.app("a");
    s.ok(&["mongo:create", "m"]);
    s.ok(&["mongo:link", "m", "a", "--no-restart"]);
    assert_fails(&s.run(&["mongo:destroy", "m", "-f"]), 1, " !     Cannot delete linked service\n");
    // Destroying the app drops its links (the plugins' pre-delete trigger).
    s.ok(&["--force", "apps:destroy", "a"]);
    assert_eq!(s.stdout(&["mongo:links", "m"]), "");
    s.ok(&["mongo:destroy", "m", "-f"]);
}

#[test]
fn app_flag_reaches_datastore_commands() {
    let s = sim();
    s.app("a");
    s.ok(&["postgres:create", "db"]);
    s.ok(&["--app", "a", "postgres:link", "db", "--no-restart"]);
    assert_eq!(s.stdout(&["--app", "a", "postgres:app-links"]), "db\n");
    assert_eq!(s.stdout(&["--app", "a", "config:keys"]), "DATABASE_URL\nNO_VHOST\n");
}
