//! Error messages, streams and exit statuses, as Dokku's sources print them.

use crate::support::*;

const NO_APP: &str = " !     Please specify an app to run the command on\n";

#[test]
fn apps_errors() {
    let s = sim();
    assert_fails(&s.run(&["apps:create"]), 1, NO_APP);
    assert_fails(
        &s.run(&["apps:create", "Bad_Name"]),
        1,
        " !     App name must begin with lowercase alphanumeric character, and may only contain lowercase alphanumerics, dots, and hyphens\n",
    );
    s.app("a");
    assert_fails(&s.run(&["apps:create", "a"]), 1, " !     Name is already taken\n");
    assert_fails(&s.run(&["apps:report", "zz"]), 20, " !     App zz does not exist\n");
    assert_fails(
        &s.run(&["apps:set", "a", "disable-autocreation", "true"]),
        1,
        " !     Property can only be specified globally\n",
    );
    assert_fails(
        &s.run(&["apps:report", "a", "--app-locked", "--format", "json"]),
        1,
        " !     --format flag cannot be specified when specifying an info flag\n",
    );
    assert_fails(
        &s.run(&["apps:report", "a", "--format=json"]),
        1,
        " !     Invalid flag passed, valid flags: --app-created-at, --app-deploy-source, --app-deploy-source-metadata, --app-dir, --app-global-disable-autocreation, --app-locked\n",
    );
    // Two info flags: Go drops the parse error and prints nothing.
    let two = s.run(&["apps:report", "a", "--app-locked", "--app-dir"]);
    assert_eq!((two.status, two.stdout.as_str(), two.stderr.as_str()), (0, "", ""));
}

#[test]
fn config_errors() {
    let s = sim();
    s.app("a");
    assert_fails(&s.run(&["config:set", "a", "x-y=1"]), 1, " !     Invalid key name: 'x-y'\n");
    assert_fails(&s.run(&["config:set", "a", "FOO"]), 1, " !     Invalid env pair: FOO\n");
    assert_fails(&s.run(&["config:set", "a"]), 1, " !     At least one env pair must be given\n");
    assert_fails(&s.run(&["config:unset", "a"]), 1, " !     At least one key must be given\n");
    assert_fails(
        &s.run(&["config:set", "--encoded", "a", "K=aGVsbG8"]),
        1,
        " !     illegal base64 data at input byte 4 for key 'K'\n",
    );
    assert_fails(&s.run(&["config:get", "a"]), 1, " !     Expected: key\n");
    assert_fails(
        &s.run(&["config:get", "a", "K1", "K2"]),
        1,
        " !     Unexpected argument(s): [K2]\n",
    );
    assert_fails(
        &s.run(&["config:export", "--format", "x", "a"]),
        1,
        " !     Unknown export format: x\n",
    );
    assert_fails(&s.run(&["config:set"]), 1, NO_APP);
    assert_fails(
        &s.run_stdin(&["config:import", "--format", "json", "a", "-"], Some(b"{}")),
        1,
        " !     No config vars to set\n",
    );
    assert_fails(
        &s.run_stdin(&["config:import", "--format", "json", "a", "-"], Some(br#"{"a-b":"1"}"#)),
        1,
        " !     Invalid key name: 'a-b'\n",
    );
}

#[test]
fn builder_property_errors() {
    let s = sim();
    s.app("a");
    assert_fails(&s.run(&["builder:set", "a"]), 1, " !     No property specified\n");
    assert_fails(
        &s.run(&["builder:set", "a", "colour", "x"]),
        1,
        " !     Invalid property specified, valid properties include: build-dir, detected, selected, skip-cleanup\n",
    );
    assert_fails(
        &s.run(&["builder:set", "--global", "detected", "x"]),
        1,
        " !     Property cannot be specified globally\n",
    );
    assert_fails(
        &s.run(&["builder:set", "nope", "selected", "x"]),
        20,
        " !     App nope does not exist\n",
    );
}

#[test]
fn buildpacks_errors() {
    let s = sim();
    s.app("a");
    assert_fails(
        &s.run(&["buildpacks:add", "a", "nodejs"]),
        1,
        " !     Invalid buildpack specified: nodejs\n",
    );
    assert_fails(
        &s.run(&["buildpacks:remove", "a", "heroku/nodejs"]),
        1,
        " !     No buildpacks were found, next release on a will detect buildpack normally\n",
    );
    s.ok(&["buildpacks:add", "a", "heroku/ruby"]);
    assert_fails(
        &s.run(&["buildpacks:remove", "a", "heroku/nodejs"]),
        1,
        " !     Value not found\n",
    );
    assert_fails(
        &s.run(&["buildpacks:remove", "a", "--index", "5"]),
        1,
        " !     Index not found\n",
    );
    assert_fails(
        &s.run(&["buildpacks:remove", "a", "--index", "1", "heroku/ruby"]),
        1,
        " !     Please choose either index or Buildpack, but not both\n",
    );
    assert_fails(
        &s.run(&["buildpacks:remove", "a"]),
        1,
        " !     Must specify a buildpack to remove, either by index or URL\n",
    );
    assert_fails(
        &s.run(&["buildpacks:set", "a", "heroku/a", "heroku/b"]),
        1,
        " !     Setting multiple buildpacks requires the --replace flag\n",
    );
    assert_fails(
        &s.run(&["buildpacks:set", "--replace", "--index", "1", "a", "heroku/a"]),
        1,
        " !     The --index flag cannot be used with --replace\n",
    );
    assert_fails(
        &s.run(&["buildpacks:set", "a"]),
        1,
        " !     Must specify a buildpack url or reference\n",
    );
    s.ok(&["buildpacks:set", "--replace", "a", "heroku/a", "heroku/b"]);
    s.ok(&["buildpacks:set", "--index", "2", "a", "heroku/c"]);
    assert_eq!(
        s.stdout(&["buildpacks:report", "a", "--buildpacks-list"]),
        "https://github.com/heroku/heroku-buildpack-a.git,https://github.com/heroku/heroku-buildpack-c.git\n"
    );
}

#[test]
fn datastore_errors() {
    let s = sim();
    s.app("a");
    assert_fails(
        &s.run(&["postgres:create", ""]),
        1,
        " !     Please specify a valid name for the service\n",
    );
    assert_fails(
        &s.run(&["postgres:create", "bad.name"]),
        1,
        " !     Please specify a valid name for the service. Valid characters are: [A-Za-z0-9_]+\n",
    );
    s.ok(&["postgres:create", "db"]);
    assert_fails(
        &s.run(&["postgres:create", "db"]),
        1,
        " !     Postgres service db already exists\n",
    );
    assert_fails(
        &s.run(&["postgres:info", "not_existing_service"]),
        1,
        " !     Postgres service not_existing_service does not exist\n",
    );
    assert_fails(&s.run(&["postgres:link", "db", "zz"]), 20, " !     App zz does not exist\n");
    assert_fails(&s.run(&["postgres:link", "db"]), 1, NO_APP);
    assert_fails(&s.run(&["postgres:unlink", "db", "a"]), 1, " !     Not linked to app a\n");
    s.ok(&["postgres:link", "db", "a"]);
    assert_fails(
        &s.run(&["postgres:link", "db", "a"]),
        1,
        " !     Already linked as DATABASE_URL\n",
    );
    assert_fails(
        &s.run(&["--force", "postgres:destroy", "db"]),
        1,
        " !     Cannot delete linked service\n",
    );
    s.ok(&["postgres:create", "db2"]);
    assert_fails(
        &s.run(&["postgres:link", "db2", "a", "--alias", "DATABASE"]),
        1,
        " !     Specified alias DATABASE already in use\n",
    );
    assert_eq!(s.stdout(&["postgres:linked", "db", "a"]), "-----> Service db is linked to a\n");
    assert_fails(
        &s.run(&["postgres:linked", "db2", "a"]),
        1,
        " !     Service db2 is not linked to a\n",
    );
}

#[test]
fn ssh_keys_errors() {
    let s = sim();
    assert_fails(&s.run(&["ssh-keys:add", "k"]), 1, " !     No key specified via file or pipe\n");
    assert_fails(
        &s.run_stdin(&["ssh-keys:add", "k"], Some(b"\n")),
        1,
        " !     Empty key was specified\n",
    );
    assert_fails(
        &s.run_stdin(&["ssh-keys:add", "k"], Some(format!("{ED25519}\n{RSA}\n").as_bytes())),
        1,
        " !     Too many keys provided, set one per invocation of dokku ssh-keys:add <NAME> <KEY_FILE>\n",
    );
    assert_fails(
        &s.run_stdin(&["ssh-keys:add", "k"], Some(b"ssh-ed25519 AAAAnotakey x\n")),
        1,
        " !     Key specified in is not a valid ssh public key\n",
    );
    s.run_stdin(&["ssh-keys:add", "k"], Some(ED25519.as_bytes()));
    assert_fails(
        &s.run_stdin(&["ssh-keys:add", "k"], Some(RSA.as_bytes())),
        1,
        "Duplicate ssh key name\n !     sshcommand returned an error: 1\n",
    );
    assert_fails(
        &s.run_stdin(&["ssh-keys:add", "k2"], Some(ED25519.as_bytes())),
        1,
        "Duplicate ssh public key specified\n !     sshcommand returned an error: 1\n",
    );
    assert_fails(
        &s.run(&["ssh-keys:remove"]),
        1,
        " !     A name is required to remove a key, ie: dokku ssh-keys:remove <name>\n",
    );
    assert_fails(
        &s.run(&["ssh-keys:remove", "--fingerprint"]),
        1,
        " !     A fingerprint is required to remove a key, ie: dokku ssh-keys:remove --fingerprint FINGERPRINT\n",
    );
    let gone = s.run(&["ssh-keys:remove", "nobody"]);
    assert_eq!((gone.status, gone.stdout.as_str(), gone.stderr.as_str()), (0, "", ""));
}

#[test]
fn app_validation_applies_everywhere() {
    let s = sim();
    for argv in [
        &["ps:scale", "zz"][..],
        &["config:export", "--format", "json", "zz"],
        &["domains:report", "zz"],
        &["buildpacks:list", "zz"],
        &["resource:limit", "--memory", "1", "zz"],
        &["http-auth:enable", "zz"],
        &["maintenance:enable", "zz"],
        &["postgres:app-links", "zz"],
    ] {
        assert_fails(&s.run(argv), 20, " !     App zz does not exist\n");
    }
    // Build capture starts before the app is checked: the failure arrives on stdout.
    for argv in [&["ps:rebuild", "zz"][..], &["ps:restart", "zz"]] {
        let out = s.run(argv);
        let shown = (out.status, out.stdout.as_str(), out.stderr.as_str());
        assert_eq!(shown, (20, " !     App zz does not exist\n", ""), "{argv:?}");
    }
    for argv in [&["ps:scale"][..], &["builder:report", ""], &["resource:limit"]] {
        assert_fails(&s.run(argv), 1, NO_APP);
    }
}
