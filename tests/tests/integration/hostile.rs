//! Hostile input: a table of attack strings (shell metacharacters, line breaks, NUL bytes, very
//! long values, path traversal, look-alike characters, leading dashes, SQL) sent through every
//! body field and path id that can reach Dokku, plus wrong JSON types, deep nesting, oversized
//! bodies, undecodable paths and wrong content types.
//!
//! Every case is either refused with a 4xx in the error envelope and no Dokku call at all, or
//! (for fields that take free text: env values, http-auth passwords, SSH key comments, and
//! URL-shaped buildpacks) stored exactly, which is checked by reading it back and in the
//! simulated host's invocation log. Whatever the outcome, every command the simulated host ran
//! could have crossed SSH unaltered and no hostile value reached it as a flag; the server answers
//! `/health` after every batch, and the harness checks every response against the contract.
//!
//! To extend the corpus, add a string to [`payloads`], a field-specific one to a target's
//! `extra`, or a target to [`body_targets`] / [`path_targets`].

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use dokku_pro_tests::harness::{RawResponse, TestServer, parse_response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const APP: &str = "node-js-app";
/// An http-auth user that exists on [`APP`].
const USER: &str = "deploy-bot";
const JSON: (&str, &str) = ("content-type", "application/json");
/// Requests in flight at once for cases that must all be refused.
const CONCURRENCY: usize = 16;

/// Where a payload goes: alone, after each field's valid base value (`node-js-app;reboot`), or
/// both.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Bare,
    Suffix,
    Both,
}

/// Whether a payload is sent in bodies, in paths, or both.
#[derive(Clone, Copy, PartialEq, Eq)]
enum In {
    Any,
    /// A URI over 64 KiB is refused by the HTTP parser before the server sees it (tested on its
    /// own below), and an empty path segment is a routing matter (likewise).
    BodyOnly,
    PathOnly,
}

struct Payload {
    label: &'static str,
    value: String,
    place: Place,
    within: In,
}

/// The attack strings, tried in every field.
fn payloads() -> Vec<Payload> {
    let p = |label, value: &str, place| Payload {
        label,
        value: value.to_string(),
        place,
        within: In::Any,
    };
    vec![
        p("semicolon", "x;reboot", Place::Both),
        p("pipe", "x|cat /etc/passwd", Place::Both),
        p("command substitution", "$(reboot)", Place::Both),
        p("backticks", "`reboot`", Place::Both),
        p("single quotes", "x'; reboot; '", Place::Both),
        p("double quotes", "x\"; reboot; \"", Place::Both),
        p("and-and", "x&&reboot", Place::Both),
        p("redirect", "x>/tmp/pwned", Place::Both),
        p("variable", "${IFS}reboot", Place::Both),
        p("glob", "*", Place::Both),
        p("SQL quote", "x' OR '1'='1", Place::Both),
        p("SQL statement", "1; DROP TABLE jobs; --", Place::Bare),
        p("newline", "x\nreboot", Place::Both),
        p("carriage return", "x\r\nreboot", Place::Both),
        p("NUL byte", "x\u{0}reboot", Place::Both),
        p("NUL alone", "\u{0}", Place::Bare),
        Payload {
            label: "100 KiB",
            value: "a".repeat(100 * 1024),
            place: Place::Bare,
            within: In::BodyOnly,
        },
        Payload {
            label: "60 KiB",
            value: "a".repeat(60 * 1024),
            place: Place::Bare,
            within: In::PathOnly,
        },
        p("traversal", "../../../etc/passwd", Place::Bare),
        p("traversal suffix", "/../../../etc/passwd", Place::Suffix),
        p("encoded traversal", "%2e%2e%2f%2e%2e%2fetc", Place::Both),
        p("backslash traversal", "..\\..\\etc", Place::Bare),
        p("cyrillic look-alike", "nоde-js-аpp", Place::Bare),
        p("fullwidth", "ｎｏｄｅ－ｊｓ－ａｐｐ", Place::Bare),
        p("zero-width space", "node\u{200b}-js-app", Place::Bare),
        p("combining accent", "\u{301}", Place::Suffix),
        p("right-to-left override", "\u{202e}ppa", Place::Both),
        p("--force", "--force", Place::Bare),
        p("-n", "-n", Place::Bare),
        p("--help", "--help", Place::Bare),
        p("-e", "-e", Place::Bare),
        p("--version", "--version", Place::Bare),
        p("-rf", "-rf", Place::Bare),
        p("--global", "--global", Place::Bare),
        Payload { label: "empty", value: String::new(), place: Place::Bare, within: In::BodyOnly },
        p("space", " ", Place::Bare),
        p("tab", "\t", Place::Bare),
    ]
}

/// What a field may do with a hostile value.
#[derive(Clone, Copy)]
enum Policy {
    /// Identifiers: every value of the corpus is refused before Dokku, except the ones the
    /// target lists as `valid` (which may reach Dokku, literally).
    Refuse,
    /// Free text (or URL-shaped): refused before Dokku, or stored exactly (checked as named).
    Exact(Check),
}

#[derive(Clone, Copy, Debug)]
enum Check {
    EnvValue,
    Password,
    Buildpack,
    SshKey,
}

/// How a target's value travels.
#[derive(Clone, Copy)]
enum Carrier {
    /// In the JSON body `body(value, case number)` sent to `path`.
    Body { path: &'static str, body: fn(&str, usize) -> Value },
    /// As the path segment `{}` of `path` (percent-encoded), with an optional fixed body.
    Path { path: &'static str, body: Option<fn() -> Value> },
}

/// A field or id the corpus is sent through.
struct Target {
    name: &'static str,
    method: &'static str,
    carrier: Carrier,
    /// A valid value; payloads marked [`Place::Suffix`] are appended to it.
    base: &'static str,
    policy: Policy,
    /// Labels of corpus values that are valid for this field.
    valid: &'static [&'static str],
    /// Hostile values specific to this field.
    extra: fn() -> Vec<String>,
}

fn none() -> Vec<String> {
    Vec::new()
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|s| s.to_string()).collect()
}

/// The concrete cases of a target: (label, value).
fn values(target: &Target) -> Vec<(String, String)> {
    let in_path = matches!(target.carrier, Carrier::Path { .. });
    // In free text a valid prefix changes nothing; in a URL it is what gets a payload past the
    // shape check.
    let prefixes_matter =
        !matches!(target.policy, Policy::Exact(Check::EnvValue | Check::Password | Check::SshKey));
    let mut out = Vec::new();
    for p in payloads() {
        let fits = match p.within {
            In::Any => true,
            In::BodyOnly => !in_path,
            In::PathOnly => in_path,
        };
        if !fits {
            continue;
        }
        if matches!(p.place, Place::Bare | Place::Both) {
            out.push((p.label.to_string(), p.value.clone()));
        }
        if p.place == Place::Suffix || (p.place == Place::Both && prefixes_matter) {
            out.push((
                format!("{} after the base", p.label),
                format!("{}{}", target.base, p.value),
            ));
        }
    }
    for value in (target.extra)() {
        out.push((format!("field-specific {}", shown(&value)), value));
    }
    out
}

/// A real ed25519 key (the simulated host's tests pin its fingerprint).
const ED25519: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIERYuvLE9DLBGc1ucsmRVNQy+49e4pzEhlFYJDjBM5XS";

fn body_targets() -> Vec<Target> {
    fn env(app: &str, key: &str, value: &str) -> Value {
        json!({"data": {"type": "envs", "attributes": {"app_id": app, "key": key, "value": value}}})
    }
    fn domain(app: &str, domain: &str) -> Value {
        json!({"data": {"type": "domains", "attributes": {"app_id": app, "domain": domain}}})
    }
    fn ip(app: &str, ip: &str) -> Value {
        json!({"data": {"type": "httpAuthIPs", "attributes": {"app_id": app, "ip_address": ip}}})
    }
    fn user(app: &str, name: &str, password: &str) -> Value {
        json!({"data": {"type": "httpAuthUsers",
            "attributes": {"app_id": app, "username": name, "password": password}}})
    }
    fn ssh(name: &str, key: &str) -> Value {
        json!({"data": {"type": "sshKeys", "attributes": {"username": name, "ssh_key": key}}})
    }
    fn formation(app: &str, process_type: &str) -> Value {
        json!({"data": {"type": "formations",
            "attributes": {"app_id": app, "process_type": process_type, "quantity": 1}}})
    }
    fn resource(app: &str, process_type: &str, value: &str) -> Value {
        json!({"data": {"type": "resources", "attributes": {"app_id": app,
            "process_type": process_type, "resource_type": "limit", "name": "memory",
            "value": value}}})
    }
    fn buildpack(app: &str, buildpack: &str) -> Value {
        json!({"data": {"type": "buildpacks", "attributes": {"app_id": app, "buildpack": buildpack}}})
    }
    fn settings(attributes: Value) -> Value {
        json!({"data": {"attributes": attributes}})
    }
    fn service(id: &str) -> Value {
        json!({"data": [{"type": "services", "id": id}]})
    }
    let t = |name, method, path, base, policy, body| Target {
        name,
        method,
        carrier: Carrier::Body { path, body },
        base,
        policy,
        valid: &[],
        extra: none,
    };
    use Policy::*;
    let app_extra = || strings(&["App", "-app", ".app", "a_b", "app/x", "app:x", "..", "."]);
    vec![
        Target {
            extra: app_extra,
            ..t(
                "addApp data.id",
                "POST",
                "/@api/apps",
                "new-app",
                Refuse,
                |v, _| json!({"data": {"type": "apps", "id": v}}),
            )
        },
        t("addDomain app_id", "POST", "/@api/domains", APP, Refuse, |v, _| {
            domain(v, "example.com")
        }),
        Target {
            extra: || {
                strings(&[
                    "example.com:80",
                    "*.*",
                    "ex*ample.com",
                    "example.com.",
                    "a..b",
                    "localhost/../x",
                    "-x.example.com",
                    "http://example.com",
                ])
            },
            ..t("addDomain domain", "POST", "/@api/domains", "example.com", Refuse, |v, _| {
                domain(APP, v)
            })
        },
        t(
            "addDomain data.id",
            "POST",
            "/@api/domains",
            "node-js-app:example.com",
            Refuse,
            |v, _| json!({"data": {"type": "domains", "id": v}}),
        ),
        t("addEnv app_id", "POST", "/@api/envs", APP, Refuse, |v, _| env(v, "KEY", "value")),
        Target {
            extra: || strings(&["KEY=value", "1KEY", "ÄKEY", "KEY-X", "KEY X"]),
            ..t("addEnv key", "POST", "/@api/envs", "KEY", Refuse, |v, _| env(APP, v, "value"))
        },
        Target {
            extra: || vec!["b".repeat(64 * 1024), "b".repeat(64 * 1024 + 1)],
            ..t("addEnv value", "POST", "/@api/envs", "value", Exact(Check::EnvValue), |v, _| {
                env(APP, "HOSTILE", v)
            })
        },
        t("addBuildpack app_id", "POST", "/@api/buildpacks", APP, Refuse, |v, _| {
            buildpack(v, "heroku/nodejs")
        }),
        Target {
            extra: || {
                strings(&[
                    "../..",
                    "heroku/..",
                    "../heroku",
                    "./x",
                    "heroku/a.b",
                    "file:///etc/passwd",
                    "ext::sh -c reboot",
                    "ext::reboot",
                    "--upload-pack=reboot",
                    "git@github.com:-oProxyCommand=reboot/x",
                    "https://github.com/x/y.git#--upload-pack=reboot",
                ])
            },
            ..t(
                "addBuildpack buildpack",
                "POST",
                "/@api/buildpacks",
                "https://github.com/heroku/heroku-buildpack-nodejs.git",
                Exact(Check::Buildpack),
                |v, _| buildpack(APP, v),
            )
        },
        t("addHTTPAuthIP app_id", "POST", "/@api/httpAuthIPs", APP, Refuse, |v, _| {
            ip(v, "10.0.0.1")
        }),
        Target {
            extra: || {
                strings(&[
                    "unix:",
                    "all",
                    "127.0.0.1 deny",
                    "127.0.0.1; deny all",
                    "1.2.3.4/33",
                    "01.2.3.4",
                    "1.2.3.4/-1",
                    "fe80::1%eth0",
                    "::1/129",
                    "0x7f.1",
                ])
            },
            ..t(
                "addHTTPAuthIP ip_address",
                "POST",
                "/@api/httpAuthIPs",
                "10.0.0.0/8",
                Refuse,
                |v, _| ip(APP, v),
            )
        },
        t("addHTTPAuthUser app_id", "POST", "/@api/httpAuthUsers", APP, Refuse, |v, _| {
            user(v, "someone", "a password")
        }),
        Target {
            extra: || strings(&["a:b", "root:$6$salt$hash", "a/b", "a b", "ü"]),
            ..t(
                "addHTTPAuthUser username",
                "POST",
                "/@api/httpAuthUsers",
                "someone",
                Refuse,
                |v, _| user(APP, v, "a password"),
            )
        },
        Target {
            extra: || vec!["p".repeat(256), "p".repeat(257), "pass\u{7f}word".into()],
            ..t(
                "addHTTPAuthUser password",
                "POST",
                "/@api/httpAuthUsers",
                "a password",
                Exact(Check::Password),
                |v, n| user(APP, &format!("user-{n}"), v),
            )
        },
        t(
            "updateHTTPAuthUser password",
            "PATCH",
            "/@api/httpAuthUsers/node-js-app:deploy-bot",
            "a password",
            Exact(Check::Password),
            |v, _| json!({"data": {"type": "httpAuthUsers", "attributes": {"password": v}}}),
        ),
        t(
            "updateHTTPAuthUser username",
            "PATCH",
            "/@api/httpAuthUsers/node-js-app:deploy-bot",
            USER,
            Refuse,
            |v, _| json!({"data": {"attributes": {"username": v, "password": "a password"}}}),
        ),
        Target {
            extra: || strings(&["a\"b", "a\\b", "a=b", "a,b"]),
            ..t("addSSHKey username", "POST", "/@api/sshKeys", "alice", Refuse, |v, n| {
                ssh(v, &ed25519(n).0)
            })
        },
        Target {
            extra: || {
                vec![
                    format!("command=\"reboot\" {ED25519}"),
                    format!("no-pty,command=\"reboot\" {ED25519}"),
                    format!("environment=\"LD_PRELOAD=/tmp/x.so\" {ED25519}"),
                    format!("{ED25519}\n{ED25519}"),
                    format!("{ED25519} a\"b"),
                    format!("{ED25519} a\\b"),
                    "ssh-dss AAAAB3NzaC1kc3MAAACBAP".into(),
                    format!("ssh-rsa {}", STANDARD.encode(b"garbage")),
                    format!("ssh-ed25519 {}", STANDARD.encode(b"\0\0\0\x0bssh-ed25519\0\0\0\x01x")),
                    format!("ssh-ed25519 {}!", &ED25519[12..]),
                ]
            },
            ..t("addSSHKey ssh_key", "POST", "/@api/sshKeys", "ssh-ed25519", Refuse, |v, n| {
                ssh(&format!("user-{n}"), v)
            })
        },
        t("addSSHKey comment", "POST", "/@api/sshKeys", "", Exact(Check::SshKey), |v, n| {
            ssh(&format!("user-{n}"), &format!("{} {v}", ed25519(n).0))
        }),
        t("addSSHKey data.id", "POST", "/@api/sshKeys", "SHA256:", Refuse, |v, n| {
            json!({"data": {"type": "sshKeys", "id": v,
                "attributes": {"username": format!("user-{n}"), "ssh_key": ed25519(n).0}}})
        }),
        Target {
            // Blank is "not given" (Dokku applies its options to every key).
            valid: &["empty", "space", "tab"],
            extra: || strings(&["command=\"reboot\"", "no-pty", "restrict,command=\"x\""]),
            ..t("addSSHKey allowed_keys", "POST", "/@api/sshKeys", "no-pty", Refuse, |v, n| {
                json!({"data": {"type": "sshKeys", "attributes": {"username": format!("user-{n}"),
                    "ssh_key": ed25519(n).0, "allowed_keys": v}}})
            })
        },
        t("addFormation app_id", "POST", "/@api/formations", APP, Refuse, |v, _| {
            formation(v, "web")
        }),
        Target {
            extra: || strings(&["web:1", "web=1", "WEB", "build", "_default_", "web-"]),
            ..t("addFormation process_type", "POST", "/@api/formations", "web", Refuse, |v, _| {
                formation(APP, v)
            })
        },
        t("addResource app_id", "POST", "/@api/resources", APP, Refuse, |v, _| {
            resource(v, "web", "512m")
        }),
        t("addResource process_type", "POST", "/@api/resources", "web", Refuse, |v, _| {
            resource(APP, v, "512m")
        }),
        Target {
            extra: || strings(&["512m --cpus 99", "clear", "-1", "1e9", "512 m", "0x10", ".5"]),
            ..t("addResource value", "POST", "/@api/resources", "512m", Refuse, |v, _| {
                resource(APP, "web", v)
            })
        },
        Target {
            extra: || {
                strings(&[
                    "postgres:../db",
                    "postgres:--force",
                    "postgres:db:x",
                    "../postgres:db",
                    "Postgres:db",
                    "postgres:",
                    ":db",
                    "nosuchdatastore:db",
                ])
            },
            ..t(
                "addService data.id",
                "POST",
                "/@api/services",
                "postgres:db",
                Refuse,
                |v, _| json!({"data": {"type": "services", "id": v}}),
            )
        },
        Target {
            extra: || {
                strings(&[
                    "../../etc/passwd",
                    "postgres@sha256:abc",
                    "POSTGRES",
                    "postgres:16 --privileged",
                    "--privileged",
                    "registry:5000:16/pg",
                    "registry:5000/../pg",
                    "pg/./x",
                    "pg//x",
                ])
            },
            ..t(
                "addService image",
                "POST",
                "/@api/services",
                "postgres:16",
                Refuse,
                |v, _| json!({"data": {"type": "services", "id": "postgres:db", "attributes": {"image": v}}}),
            )
        },
        t(
            "linkServiceToApp data[].id",
            "POST",
            "/@api/apps/node-js-app/relationships/services",
            "postgres:db",
            Refuse,
            |v, _| service(v),
        ),
        t(
            "unlinkServiceFromApp data[].id",
            "DELETE",
            "/@api/apps/node-js-app/relationships/services",
            "postgres:db",
            Refuse,
            |v, _| service(v),
        ),
        Target {
            // Empty resets the setting (`builder:set <app> selected`, no value).
            valid: &["empty"],
            extra: || strings(&["../builder-x", "PACK", "pack/x", "pack.x"]),
            ..t(
                "updateBuilderSettings selected",
                "PATCH",
                "/@api/builderSettings/node-js-app",
                "pack",
                Refuse,
                |v, _| settings(json!({"selected": v})),
            )
        },
        Target {
            valid: &["empty"],
            extra: || strings(&["/abs", "a/../../b", "./a", "a//b", ".."]),
            ..t(
                "updateBuilderSettings build_dir",
                "PATCH",
                "/@api/builderSettings/node-js-app",
                "sub/dir",
                Refuse,
                |v, _| settings(json!({"build_dir": v})),
            )
        },
        t(
            "updateBuilderSettings app_id",
            "PATCH",
            "/@api/builderSettings/node-js-app",
            APP,
            Refuse,
            |v, _| settings(json!({"app_id": v, "selected": "pack"})),
        ),
        Target {
            valid: &["empty"],
            ..t(
                "updateSchedulerSettings selected",
                "PATCH",
                "/@api/schedulerSettings/node-js-app",
                "k3s",
                Refuse,
                |v, _| settings(json!({"selected": v})),
            )
        },
        t(
            "updateApp data.id",
            "PATCH",
            "/@api/apps/node-js-app",
            APP,
            Refuse,
            |v, _| json!({"data": {"type": "apps", "id": v, "attributes": {"locked": true}}}),
        ),
        t(
            "login refresh_token",
            "POST",
            "/@api/tokens",
            "dpr_",
            Refuse,
            |v, _| json!({"data": {"type": "tokens", "attributes": {"refresh_token": v}}}),
        ),
    ]
}

fn path_targets() -> Vec<Target> {
    let t = |method, path, base| Target {
        name: path,
        method,
        carrier: Carrier::Path { path, body: None },
        base,
        policy: Policy::Refuse,
        valid: &[],
        extra: none,
    };
    let with = |method, path, base, body| Target {
        carrier: Carrier::Path { path, body: Some(body) },
        ..t(method, path, base)
    };
    let mut targets = Vec::new();
    for suffix in [
        "",
        "/builderSetting",
        "/buildpacks",
        "/domains",
        "/envs",
        "/formations",
        "/httpAuth",
        "/httpAuthIPs",
        "/httpAuthUsers",
        "/maintenance",
        "/resources",
        "/schedulerSetting",
        "/services",
    ] {
        let path: &'static str = format!("/@api/apps/{{}}{suffix}").leak();
        targets.push(t("GET", path, APP));
    }
    // The URL-shaped buildpack values the corpus produces are valid (and absent: 404 after the
    // one read), as they are when added (stored exactly, see the body targets).
    const URLS: &[&str] = &[
        "and-and after the base",
        "glob after the base",
        "traversal suffix after the base",
        "encoded traversal after the base",
        "combining accent after the base",
        "right-to-left override after the base",
    ];
    targets.extend([
        t("DELETE", "/@api/apps/{}", APP),
        with("PATCH", "/@api/apps/{}", APP, || json!({"data": {"attributes": {"locked": true}}})),
        with(
            "POST",
            "/@api/apps/{}/relationships/services",
            APP,
            || json!({"data": [{"type": "services", "id": "postgres:db"}]}),
        ),
        with(
            "DELETE",
            "/@api/apps/{}/relationships/services",
            APP,
            || json!({"data": [{"type": "services", "id": "postgres:db"}]}),
        ),
        with(
            "PATCH",
            "/@api/builderSettings/{}",
            APP,
            || json!({"data": {"attributes": {"selected": "pack"}}}),
        ),
        with(
            "PATCH",
            "/@api/schedulerSettings/{}",
            APP,
            || json!({"data": {"attributes": {"selected": "k3s"}}}),
        ),
        with(
            "PATCH",
            "/@api/httpAuths/{}",
            APP,
            || json!({"data": {"attributes": {"auth_enabled": true}}}),
        ),
        with(
            "PATCH",
            "/@api/maintenances/{}",
            APP,
            || json!({"data": {"attributes": {"enabled": true}}}),
        ),
        t("DELETE", "/@api/envs/{}:KEY", APP),
        t("DELETE", "/@api/envs/node-js-app:{}", "KEY"),
        t("DELETE", "/@api/domains/{}:example.com", APP),
        // Existing domains follow Dokku's own rule, which allows `*` anywhere.
        Target {
            valid: &["glob", "glob after the base"],
            ..t("DELETE", "/@api/domains/node-js-app:{}", "example.com")
        },
        t("DELETE", "/@api/buildpacks/{}:heroku/nodejs", APP),
        Target {
            valid: URLS,
            extra: || strings(&["../..", "heroku/..", "ext::sh -c reboot", "--upload-pack=x"]),
            ..t("DELETE", "/@api/buildpacks/node-js-app:{}", "https://github.com/heroku/x.git")
        },
        t("DELETE", "/@api/formations/{}:web", APP),
        t("DELETE", "/@api/formations/node-js-app:{}", "web"),
        t("DELETE", "/@api/resources/{}:web:limit:memory", APP),
        t("DELETE", "/@api/resources/node-js-app:{}:limit:memory", "web"),
        t("DELETE", "/@api/resources/node-js-app:web:{}:memory", "limit"),
        t("DELETE", "/@api/resources/node-js-app:web:limit:{}", "memory"),
        t("DELETE", "/@api/httpAuthIPs/{}:10.0.0.1", APP),
        t("DELETE", "/@api/httpAuthIPs/node-js-app:{}", "10.0.0.1"),
        t("DELETE", "/@api/httpAuthUsers/{}:deploy-bot", APP),
        t("DELETE", "/@api/httpAuthUsers/node-js-app:{}", USER),
        with(
            "PATCH",
            "/@api/httpAuthUsers/node-js-app:{}",
            USER,
            || json!({"data": {"attributes": {"password": "a password"}}}),
        ),
        Target {
            extra: || strings(&["../builder-x", "PACK", "pack/x", "pack:x", "pack.x"]),
            ..t("GET", "/@api/builders/{}", "pack")
        },
        Target {
            extra: || strings(&["../scheduler-x", "K3S", "k3s/../x", "k3s:x"]),
            ..t("GET", "/@api/schedulers/{}", "k3s")
        },
        t("GET", "/@api/services/{}", "db"),
        Target {
            extra: || strings(&["postgres:../db", "postgres:db:x", "Postgres:db", ":db"]),
            ..t("GET", "/@api/services/postgres:{}", "db")
        },
        t("DELETE", "/@api/services/{}", "db"),
        t("DELETE", "/@api/services/postgres:{}", "db"),
        Target { extra: fingerprints, ..t("GET", "/@api/sshKeys/{}", "SHA256:") },
        Target { extra: fingerprints, ..t("DELETE", "/@api/sshKeys/{}", "SHA256:") },
        Target {
            extra: || {
                strings(&["-1", "0x10", "1e3", "1 OR 1=1", "99999999999999999999999", "+1", "1.0"])
            },
            ..t("GET", "/@api/queueJobs/{}", "1")
        },
        Target {
            extra: || strings(&["' OR '1'='1", "dpo_x;DROP TABLE tokens", "a.b.c", "..."]),
            ..t("DELETE", "/@api/tokens/{}", "dpo_")
        },
    ]);
    targets
}

/// Fingerprint-shaped hostile ids.
fn fingerprints() -> Vec<String> {
    vec![
        format!("SHA256:{}", "A".repeat(42) + ";"),
        format!("SHA256:../../../../etc/passwd{}", "A".repeat(17)),
        format!("SHA256:{}", "A".repeat(44)),
        "MD5:zz:zz:zz:zz:zz:zz:zz:zz:zz:zz:zz:zz:zz:zz:zz:zz".into(),
        "--fingerprint".into(),
    ]
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so the router sees one
/// segment and the handler gets exactly `value` back.
fn encode_segment(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A structurally valid ed25519 public key for `seed`, and its fingerprint.
fn ed25519(seed: usize) -> (String, String) {
    let mut key = [0x5au8; 32];
    key[..8].copy_from_slice(&(seed as u64).to_be_bytes());
    let mut blob = Vec::new();
    for part in [&b"ssh-ed25519"[..], &key[..]] {
        blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
        blob.extend_from_slice(part);
    }
    let fingerprint = format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(&blob)));
    (format!("ssh-ed25519 {}", STANDARD.encode(&blob)), fingerprint)
}

/// One request of the corpus.
struct Request {
    case: String,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

/// The server under attack, and the failures found so far (collected, so that one run lists
/// them all).
struct Bench {
    server: TestServer,
    bearer: String,
    failures: Vec<String>,
    cases: usize,
}

impl Bench {
    async fn start() -> Bench {
        let server = TestServer::start().await;
        server.dokku(&["apps:create", APP]);
        server.dokku(&["http-auth:enable", APP]);
        // Enabled: a user change is then one command (the API wraps it in enable/disable
        // otherwise, which the http_auth tests cover).
        server.dokku(&["http-auth:add-user", APP, USER, "initial password"]);
        let bearer = format!("Bearer {}", server.token().await);
        server.take_dokku_calls();
        Bench { server, bearer, failures: Vec::new(), cases: 0 }
    }

    fn fail(&mut self, case: &str, why: String) {
        self.failures.push(format!("{case}: {why}"));
    }

    /// A JSON request as admin.
    fn json_request(
        &self,
        case: String,
        method: &'static str,
        path: String,
        body: Option<&Value>,
    ) -> Request {
        let headers = vec![("authorization", self.bearer.clone()), (JSON.0, JSON.1.to_string())];
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        Request { case, method, path, headers, body }
    }

    async fn send(&self, request: &Request) -> RawResponse {
        let headers: Vec<(&str, &str)> =
            request.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.server.raw(request.method, &request.path, &headers, &request.body).await
    }

    /// Sends requests that must all be refused, [`CONCURRENCY`] at a time: each answer must be
    /// a 4xx in the envelope, and no Dokku command may run during the batch.
    async fn expect_all_refused(&mut self, requests: Vec<Request>) {
        for chunk in requests.chunks(CONCURRENCY) {
            self.cases += chunk.len();
            self.server.take_dokku_calls();
            let responses = futures::future::join_all(chunk.iter().map(|r| self.send(r))).await;
            let calls = self.server.take_dokku_calls();
            let mut culprits = Vec::new();
            for (request, response) in chunk.iter().zip(&responses) {
                if !self.refused(&request.case, response) {
                    culprits.push(request.case.clone());
                }
            }
            self.expect_clean_calls("a batch of refused cases", &calls);
            if !calls.is_empty() {
                let cases: Vec<&str> = chunk.iter().map(|r| r.case.as_str()).collect();
                self.fail(
                    &format!("{culprits:?}"),
                    format!("Dokku was called for refused input {calls:?} (batch: {cases:?})"),
                );
            }
        }
    }

    /// Whether the response is a 4xx in the envelope (records a failure if not).
    fn refused(&mut self, case: &str, r: &RawResponse) -> bool {
        if !(400..500).contains(&r.status) {
            let text: String = String::from_utf8_lossy(&r.body).chars().take(300).collect();
            self.fail(case, format!("status {} (expected a 4xx): {text}", r.status));
            return false;
        }
        if let Err(why) = envelope(r) {
            self.fail(case, why);
            return false;
        }
        true
    }

    /// What every command run must satisfy, whatever the outcome: it could cross SSH unaltered
    /// (the simulated host takes anything) and no hostile flag-like value is one of its words.
    fn expect_clean_calls(&mut self, case: &str, calls: &[Vec<String>]) {
        let dashes: Vec<String> =
            payloads().into_iter().filter(|p| p.value.starts_with('-')).map(|p| p.value).collect();
        for argv in calls {
            let args: Vec<&str> = argv.iter().map(String::as_str).collect();
            if let Err(e) = dokku_pro_server::host::ssh::encode_for_dokku(&args) {
                self.fail(case, format!("{argv:?} could not cross SSH unaltered: {e}"));
            }
            if let Some(flag) = argv.iter().find(|a| dashes.contains(a)) {
                self.fail(case, format!("the hostile value {flag:?} reached Dokku: {argv:?}"));
            }
        }
    }

    /// `/health` still answers.
    async fn expect_serving(&mut self, after: &str) {
        let r = self.server.raw("GET", "/@api/health", &[], b"").await;
        if r.status != 200 {
            self.fail(after, format!("/health answered {} afterwards", r.status));
        }
        self.server.take_dokku_calls();
    }

    /// Waits for the job at `location` to end (a short poll: the simulated host is fast).
    async fn settle_job(&mut self, case: &str, location: &str) {
        for _ in 0..2000 {
            let r = self.server.api(&self.bearer, "GET", location, None).await;
            let state = r.json()["data"]["attributes"]["state"].as_str().map(str::to_string);
            if matches!(state.as_deref(), Some("completed" | "failed")) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.fail(case, format!("the job {location} did not end"));
    }

    async fn finish(self, min_cases: usize) {
        let Bench { server, failures, cases, .. } = self;
        eprintln!("{cases} hostile cases");
        assert!(cases >= min_cases, "only {cases} cases ran");
        assert!(
            failures.is_empty(),
            "{} failures in {cases} cases:\n{}",
            failures.len(),
            failures.join("\n")
        );
        server.finish().await;
    }
}

/// The error envelope, with the response's status.
fn envelope(r: &RawResponse) -> Result<(), String> {
    let body: Value = serde_json::from_slice(&r.body)
        .map_err(|e| format!("{} with a body that is not JSON ({e})", r.status))?;
    let error = &body["errors"][0];
    let title_ok = error["title"].as_str().is_some_and(|t| !t.is_empty());
    if error["status"] != json!(r.status) || !title_ok {
        return Err(format!("{} without the error envelope: {body}", r.status));
    }
    Ok(())
}

/// A value in a failure message, without 100 KiB of it.
fn shown(value: &str) -> String {
    let short: String = value.chars().take(40).collect();
    if short.len() < value.len() {
        format!("{short:?}… ({} bytes)", value.len())
    } else {
        format!("{short:?}")
    }
}

/// The subcommand of a recorded argv (after global flags such as `--quiet`).
fn subcommand(argv: &[String]) -> &str {
    argv.iter().find(|a| !a.starts_with("--")).map_or("", String::as_str)
}

/// Runs every case of `target`: the ones that must be refused in concurrent batches, the others
/// one by one with their own checks.
async fn run_target(bench: &mut Bench, target: &Target, n: &mut usize) {
    let mut refused = Vec::new();
    let mut single = Vec::new();
    for (label, value) in values(target) {
        *n += 1;
        let case = format!("{} {} ← {label} {}", target.method, target.name, shown(&value));
        let request = match target.carrier {
            Carrier::Body { path, body } => {
                bench.json_request(case, target.method, path.to_string(), Some(&body(&value, *n)))
            }
            Carrier::Path { path, body } => {
                let path = path.replace("{}", &encode_segment(&value));
                let body = body.map(|b| b());
                bench.json_request(case, target.method, path, body.as_ref())
            }
        };
        let valid = target.valid.contains(&label.as_str());
        match target.policy {
            Policy::Refuse if !valid => refused.push(request),
            _ => single.push((request, value, *n, valid)),
        }
    }
    bench.expect_all_refused(refused).await;
    for (request, value, n, valid) in single {
        bench.cases += 1;
        bench.server.take_dokku_calls();
        let r = bench.send(&request).await;
        let mut calls = bench.server.take_dokku_calls();
        if r.status == 202
            && let Some(location) = r.headers.get("content-location")
        {
            let location = location.to_str().unwrap_or_default().to_string();
            bench.settle_job(&request.case, &location).await;
            calls.extend(bench.server.take_dokku_calls());
        }
        bench.expect_clean_calls(&request.case, &calls);
        match target.policy {
            _ if (400..500).contains(&r.status) && calls.is_empty() => {
                bench.refused(&request.case, &r);
            }
            // A valid identifier: it may reach Dokku, which may not find it.
            Policy::Refuse if valid && r.status < 500 => {}
            Policy::Exact(check) if (200..300).contains(&r.status) => {
                stored_exactly(bench, &request.case, check, &value, n, &calls).await;
            }
            _ => {
                let text: String = String::from_utf8_lossy(&r.body).chars().take(300).collect();
                let why = format!("status {} after Dokku calls {calls:?}: {text}", r.status);
                bench.fail(&request.case, why);
            }
        }
    }
    bench.expect_serving(target.name).await;
}

/// An accepted value arrived unaltered: as one whole argument, or on stdin and read back; and
/// no other command ran than the operation's own.
async fn stored_exactly(
    bench: &mut Bench,
    case: &str,
    check: Check,
    value: &str,
    n: usize,
    calls: &[Vec<String>],
) {
    let allowed: &[&str] = match check {
        Check::EnvValue => &["config:import", "ps:report"],
        // On an enabled app, nginx's include is rendered again after the change.
        Check::Password => &[
            "http-auth:report",
            "http-auth:enable",
            "http-auth:add-user",
            "http-auth:disable",
            "http-auth:add-allowed-ip",
            "http-auth:remove-allowed-ip",
        ],
        Check::Buildpack => &["buildpacks:report", "buildpacks:add", "ps:report"],
        Check::SshKey => &["ssh-keys:list", "ssh-keys:add"],
    };
    if let Some(extra) = calls.iter().map(|c| subcommand(c)).find(|s| !allowed.contains(s)) {
        bench.fail(case, format!("an unexpected command ran: {extra} in {calls:?}"));
    }
    let only = |sub: &str| -> Vec<&Vec<String>> {
        calls.iter().filter(|c| subcommand(c) == sub).collect()
    };
    match check {
        Check::EnvValue => {
            // On stdin: the value is no argument (nor part of one, for a distinctive value).
            let inside = |a: &String| a == value || (value.len() >= 8 && a.contains(value));
            if !value.is_empty() && calls.iter().flatten().any(inside) {
                bench.fail(case, format!("the env value became an argument: {calls:?}"));
            }
            let out = bench.server.dokku(&["config:export", "--format", "json", APP]);
            let stored: Value = serde_json::from_str(&out.stdout).unwrap_or_default();
            if stored["HOSTILE"] != json!(value) {
                bench.fail(case, format!("stored as {}", shown(&stored["HOSTILE"].to_string())));
            }
        }
        Check::Password => {
            let add = only("http-auth:add-user");
            if add.len() != 1 || add[0].len() != 4 || add[0][3] != value {
                bench.fail(case, format!("the password did not reach Dokku as one word: {add:?}"));
            }
        }
        Check::Buildpack => {
            let add = only("buildpacks:add");
            if add.len() != 1 || add[0].last().map(String::as_str) != Some(value) {
                bench.fail(case, format!("the buildpack did not reach Dokku as one word: {add:?}"));
            }
            let path = format!("/@api/apps/{APP}/buildpacks");
            let r = bench.server.api(&bench.bearer, "GET", &path, None).await;
            let listed = r.json()["data"].as_array().cloned().unwrap_or_default();
            if !listed.iter().any(|b| b["attributes"]["buildpack"] == json!(value)) {
                bench.fail(case, format!("not listed as sent: {listed:?}"));
            }
        }
        Check::SshKey => {
            let (key, fingerprint) = ed25519(n);
            // The key line is normalized (surrounding blanks trimmed), the comment kept.
            let expected = format!("{key} {value}").trim().to_string();
            let path = format!("/@api/sshKeys/{}", fingerprint.replace('/', "%2F"));
            let r = bench.server.api(&bench.bearer, "GET", &path, None).await;
            let listed = r.json()["data"]["attributes"]["ssh_key"].clone();
            if listed != json!(expected) {
                bench.fail(case, format!("listed as {listed}"));
            }
        }
    }
    bench.server.take_dokku_calls();
}

#[tokio::test]
async fn hostile_values_in_body_fields_are_refused_or_stored_exactly() {
    let mut bench = Bench::start().await;
    let mut n = 0;
    for target in body_targets() {
        run_target(&mut bench, &target, &mut n).await;
    }
    bench.finish(1200).await;
}

#[tokio::test]
async fn hostile_path_ids_are_refused_before_dokku() {
    let mut bench = Bench::start().await;
    let mut n = 0;
    for target in path_targets() {
        run_target(&mut bench, &target, &mut n).await;
    }
    bench.finish(2000).await;
}

/// A body field's value replaced by `replacement` (raw JSON text): the target's body is built
/// with a marker string, which is then swapped textually (so that a 10 000-deep value never
/// goes through serde_json's recursive serializer).
fn with_raw_value(target: &Target, replacement: &str, n: usize) -> Option<(String, Vec<u8>)> {
    const MARKER: &str = "\u{1}marker\u{1}";
    let Carrier::Body { path, body } = target.carrier else { return None };
    let text = body(MARKER, n).to_string();
    let quoted = serde_json::to_string(MARKER).expect("a string serializes");
    text.contains(&quoted)
        .then(|| (path.to_string(), text.replace(&quoted, replacement).into_bytes()))
}

#[tokio::test]
async fn wrong_json_types_deep_nesting_and_malformed_bodies_are_refused() {
    let mut bench = Bench::start().await;
    let deep_array = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let wrong_types: Vec<(&str, String)> = vec![
        ("a number", "42".into()),
        ("a huge number", "1e400".into()),
        ("true", "true".into()),
        ("an empty array", "[]".into()),
        ("an array of the string", "[\"node-js-app\"]".into()),
        ("an empty object", "{}".into()),
        ("an operator object", "{\"$ne\": \"\"}".into()),
        ("10 000 nested arrays", deep_array.clone()),
        ("10 000 nested objects", deep_object.clone()),
    ];
    // `null` is "not given" in JSON:API; where a field is optional that is no mistake.
    let optional = [
        "addSSHKey data.id",
        "addSSHKey allowed_keys",
        "updateBuilderSettings selected",
        "updateBuilderSettings build_dir",
        "updateBuilderSettings app_id",
        "updateSchedulerSettings selected",
        "updateApp data.id",
        "addService image",
        "addDomain data.id",
        "updateHTTPAuthUser username",
        "login refresh_token",
    ];
    let mut requests = Vec::new();
    let mut nulls = Vec::new();
    let mut n = 0;
    for target in body_targets() {
        let mut types = wrong_types.clone();
        types.push(("null", "null".into()));
        for (label, replacement) in types {
            n += 1;
            let Some((path, body)) = with_raw_value(&target, &replacement, n) else { continue };
            let case = format!("{} {} ← {label}", target.method, target.name);
            let mut request = bench.json_request(case, target.method, path, None);
            request.body = body;
            if label == "null" && optional.contains(&target.name) {
                nulls.push(request);
            } else {
                requests.push(request);
            }
        }
    }

    // Whole bodies of the wrong shape, on every operation that takes one.
    let operations = [
        ("POST", "/@api/apps"),
        ("PATCH", "/@api/apps/node-js-app"),
        ("POST", "/@api/domains"),
        ("POST", "/@api/envs"),
        ("POST", "/@api/buildpacks"),
        ("POST", "/@api/formations"),
        ("POST", "/@api/resources"),
        ("POST", "/@api/httpAuthIPs"),
        ("POST", "/@api/httpAuthUsers"),
        ("PATCH", "/@api/httpAuthUsers/node-js-app:deploy-bot"),
        ("PATCH", "/@api/httpAuths/node-js-app"),
        ("PATCH", "/@api/maintenances/node-js-app"),
        ("PATCH", "/@api/builderSettings/node-js-app"),
        ("PATCH", "/@api/schedulerSettings/node-js-app"),
        ("POST", "/@api/services"),
        ("POST", "/@api/sshKeys"),
        ("POST", "/@api/apps/node-js-app/relationships/services"),
        ("DELETE", "/@api/apps/node-js-app/relationships/services"),
    ];
    let shapes: Vec<(&str, Vec<u8>)> = vec![
        ("no body", Vec::new()),
        ("null", b"null".to_vec()),
        ("a string", b"\"node-js-app\"".to_vec()),
        ("a number", b"42".to_vec()),
        ("an array", b"[]".to_vec()),
        ("data as a string", br#"{"data":"node-js-app"}"#.to_vec()),
        ("data as a number", br#"{"data":7}"#.to_vec()),
        ("attributes as an array", br#"{"data":{"attributes":[]}}"#.to_vec()),
        ("attributes as a string", br#"{"data":{"attributes":"x"}}"#.to_vec()),
        ("a wrong type tag", br#"{"data":{"type":"reboot","id":"x"}}"#.to_vec()),
        // serde fills a struct from an array by position; these must not read as fields.
        ("positional attributes", br#"{"data":{"attributes":[true]}}"#.to_vec()),
        (
            "positional attributes of every kind",
            br#"{"data":{"attributes":["node-js-app","KEY","value","web",1]}}"#.to_vec(),
        ),
        ("positional data", br#"{"data":[{"locked":true},"new-app","apps"]}"#.to_vec()),
        ("positional data items", br#"{"data":[["services","postgres:db"]]}"#.to_vec()),
        ("10 000 nested arrays", deep_array.clone().into_bytes()),
        ("10 000 nested objects", deep_object.clone().into_bytes()),
        ("data nested 10 000 deep", format!("{{\"data\":{deep_array}}}").into_bytes()),
        ("truncated JSON", br#"{"data":{"id":"#.to_vec()),
        ("trailing garbage", br#"{"data":{"id":"a"}};reboot"#.to_vec()),
        ("two documents", br#"{"data":{"id":"a"}}{"data":{"id":"b"}}"#.to_vec()),
        ("a comment", br#"{"data":{"id":"a" /* reboot */}}"#.to_vec()),
        ("NaN", br#"{"data":{"attributes":{"quantity":NaN}}}"#.to_vec()),
        ("invalid UTF-8", b"{\"data\":{\"id\":\"\xff\xfe\"}}".to_vec()),
        ("a lone surrogate", br#"{"data":{"id":"\ud800"}}"#.to_vec()),
        ("a UTF-16 body", "{\"data\":{}}".encode_utf16().flat_map(u16::to_le_bytes).collect()),
        ("only whitespace", b" \n\t ".to_vec()),
        ("300 KiB", vec![b' '; 300 * 1024]),
    ];
    for (method, path) in operations {
        for (label, body) in &shapes {
            let case = format!("{method} {path} ← {label}");
            let mut request = bench.json_request(case, method, path.to_string(), None);
            request.body = body.clone();
            requests.push(request);
        }
    }

    // A duplicated key: serde refuses it, where another parser might take the first one.
    let duplicates = [
        ("POST", "/@api/apps", r#"{"data":{"type":"apps","id":"ok-app","id":"-rf"}}"#),
        (
            "POST",
            "/@api/envs",
            r#"{"data":{"attributes":{"app_id":"node-js-app","key":"K","key":"--force","value":"v"}}}"#,
        ),
        (
            "POST",
            "/@api/domains",
            r#"{"data":{"attributes":{"app_id":"node-js-app","app_id":"x;y","domain":"example.com"}}}"#,
        ),
    ];
    for (method, path, body) in duplicates {
        let case = format!("{method} {path} ← a duplicated key");
        let mut request = bench.json_request(case, method, path.to_string(), None);
        request.body = body.as_bytes().to_vec();
        requests.push(request);
    }

    // Wrong content types with a body that would otherwise create an app.
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "text/json",
        "application/javascript",
        "application/octet-stream",
        "*/*",
        "json",
        "application/json+x",
    ] {
        let mut request = bench.json_request(
            format!("POST /@api/apps as {content_type:?}"),
            "POST",
            "/@api/apps".into(),
            Some(&json!({"data": {"type": "apps", "id": "content-type-app"}})),
        );
        request.headers[1].1 = content_type.to_string();
        requests.push(request);
    }
    let form = "data%5Bid%5D=form-app";
    let mut request =
        bench.json_request("POST /@api/apps as a form".into(), "POST", "/@api/apps".into(), None);
    request.headers[1].1 = "application/x-www-form-urlencoded".into();
    request.body = form.as_bytes().to_vec();
    requests.push(request);

    // A streamed (chunked) body is read and checked like a declared one: trailing bytes are
    // refused, and a well-formed one reaches the operation (which refuses this app name).
    for (label, body) in [
        ("trailing bytes", r#"{"data":{"type":"apps","id":"ok-app"}} x"#),
        ("a bad app name", r#"{"data":{"type":"apps","id":"a;reboot"}}"#),
    ] {
        let case = format!("POST /@api/apps chunked with {label}");
        let mut request = bench.json_request(case, "POST", "/@api/apps".into(), None);
        request.headers.push(("transfer-encoding", "chunked".into()));
        request.body = body.as_bytes().to_vec();
        requests.push(request);
    }

    let count = requests.len();
    bench.expect_all_refused(requests).await;
    bench.expect_serving("the malformed bodies").await;

    // Nulls in optional fields: refused, or taken as "not given"; never a server error.
    for request in nulls {
        bench.cases += 1;
        bench.server.take_dokku_calls();
        let r = bench.send(&request).await;
        let calls = bench.server.take_dokku_calls();
        bench.expect_clean_calls(&request.case, &calls);
        if r.status >= 500 || ((400..500).contains(&r.status) && !calls.is_empty()) {
            bench.fail(&request.case, format!("status {} after {calls:?}", r.status));
        } else if r.status >= 400 {
            bench.refused(&request.case, &r);
        }
    }
    bench.expect_serving("the nulls").await;
    bench.finish(count.min(500)).await;
}

/// Sends `bytes` on a new connection and parses the answer, outside the harness's contract
/// check: for requests the HTTP parser refuses before the server sees them (their answers are
/// hyper's own, with no body).
async fn send_unchecked(addr: std::net::SocketAddr, bytes: &[u8]) -> RawResponse {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let _ = stream.write_all(bytes).await;
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut received));
    let _ = read.await.expect("the server answers within 10 s");
    parse_response(&received)
}

#[tokio::test]
async fn undecodable_and_traversing_paths_are_refused() {
    let mut bench = Bench::start().await;
    let paths = [
        ("GET", "/@api/apps/%C3%28"),
        ("GET", "/@api/apps/%FF/envs"),
        ("GET", "/@api/apps/node-js-app%FF/envs"),
        ("GET", "/@api/apps/%C0%AF/envs"),
        ("GET", "/@api/apps/%ED%A0%80/envs"),
        ("DELETE", "/@api/apps/%FF"),
        ("DELETE", "/@api/envs/node-js-app:%FF"),
        ("DELETE", "/@api/envs/node-js-app:KEY%C3%28"),
        ("DELETE", "/@api/domains/node-js-app:%C3%28.com"),
        ("GET", "/@api/sshKeys/%C3%28"),
        ("DELETE", "/@api/sshKeys/SHA256:%FF"),
        ("GET", "/@api/services/%FF"),
        ("GET", "/@api/builders/%FF"),
        ("GET", "/@api/queueJobs/%FF"),
        ("DELETE", "/@api/tokens/%FF"),
        ("GET", "/@api/apps/%2e%2e/envs"),
        ("GET", "/@api/apps/.%2e/envs"),
        ("GET", "/@api/apps/%2e%2e%2f%2e%2e%2fetc/envs"),
        ("GET", "/@api/apps/..%2F..%2Fetc%2Fpasswd/envs"),
        ("GET", "/@api/apps/node-js-app%2F..%2F..%2Fetc/envs"),
        ("GET", "/@api/apps/..%5C..%5Cetc/envs"),
        ("DELETE", "/@api/apps/%2e%2e"),
        ("GET", "/@api/apps/%252e%252e%252f/envs"),
        ("GET", "/@api/apps/node-js-app%00/envs"),
        ("GET", "/@api/apps/node-js-app%0Areboot/envs"),
        ("GET", "/@api/apps/node-js-app;reboot/envs"),
        ("GET", "/@api/apps/$(reboot)/envs"),
        ("GET", "/@api/apps/node-js-app&&reboot/envs"),
        ("GET", "/@api/apps/node-js-app%20%26%26%20reboot/envs"),
        ("GET", "/@api/apps/%E2%80%AEppa-sj-edon/envs"),
        ("GET", "/@api/apps/n%D0%BEde-js-app/envs"),
        ("DELETE", "/@api/domains/node-js-app:example.com%0Areboot"),
        ("DELETE", "/@api/envs/node-js-app:KEY%00"),
        ("GET", "/@api/apps/node-js-app/envs%00"),
        ("GET", "/@api/apps/node-js-app/../../tokens"),
        ("DELETE", "/@api/apps/node-js-app/.."),
        ("GET", "/@api/apps/./envs"),
        ("GET", "/@api/apps/../apps/node-js-app/envs"),
        ("GET", "/@api/../@api/apps/node-js-app/envs/.."),
    ];
    let mut requests = Vec::new();
    for (method, path) in paths {
        let case = format!("{method} {path}");
        requests.push(bench.json_request(case, method, path.to_string(), None));
    }
    let count = requests.len();
    bench.expect_all_refused(requests).await;
    bench.expect_serving("the hostile paths").await;

    // An empty segment: the router skips it, so `/apps//envs` is `/apps/envs` (the app named
    // `envs`). Nothing is interpreted: the remaining segment reaches Dokku literally, read only.
    for path in ["/@api/apps//envs", "/@api/apps//buildpacks"] {
        bench.cases += 1;
        bench.server.take_dokku_calls();
        let r = bench.server.api(&bench.bearer, "GET", path, None).await;
        let calls = bench.server.take_dokku_calls();
        let literal = path.rsplit('/').next().unwrap_or_default();
        let read_only = calls.iter().all(|c| c == &["apps:report", literal, "--format", "json"]);
        if r.status != 404 || !read_only {
            bench.fail(path, format!("status {} after {calls:?}", r.status));
        }
    }

    // A request target over 64 KiB, and bytes no request line may hold, are refused by the HTTP
    // parser before the server sees them (hyper's bare 414 / 400: no envelope is possible
    // there, so these are read outside the contract check); nothing reaches Dokku.
    let long = format!("/@api/apps/{}/envs", "a".repeat(100 * 1024));
    let raw_lines = [
        format!("GET {long} HTTP/1.1\r\n"),
        "GET /@api/apps/node\"js/envs HTTP/1.1\r\n".to_string(),
        "GET /@api/apps/node js/envs HTTP/1.1\r\n".to_string(),
        "GET /@api/apps/node-js-app\u{0}/envs HTTP/1.1\r\n".to_string(),
        "GET /@api/apps/nоde/envs HTTP/1.1\r\n".to_string(),
        "GET /@api/apps/node-js-app/envs HTTP/1.1\r\ncontent-type: application/json\u{1}\r\n"
            .to_string(),
        "GET /@api/apps/node-js-app/envs HTTP/1.1\r\nx-injected: a\rb\r\n".to_string(),
    ];
    for line in raw_lines {
        bench.cases += 1;
        bench.server.take_dokku_calls();
        let request = format!(
            "{line}host: x\r\nauthorization: {}\r\nconnection: close\r\n\r\n",
            bench.bearer
        );
        let r = send_unchecked(bench.server.server_addr(), request.as_bytes()).await;
        let calls = bench.server.take_dokku_calls();
        if !(400..500).contains(&r.status) || !calls.is_empty() {
            bench.fail(&shown(&line), format!("status {} after {calls:?}", r.status));
        }
    }
    bench.expect_serving("the unparsable request lines").await;
    bench.finish(count).await;
}

/// The http-auth plugin deletes a user's line with `sed "/^<name>:/d"`, so a `.` in a name is a
/// wildcard there: a change that would also delete another user is refused after the one read
/// that shows the users, and nothing is changed.
#[tokio::test]
async fn http_auth_user_names_are_not_sed_patterns() {
    let mut bench = Bench::start().await;
    for user in ["axb", "a.b", "ab"] {
        bench.server.dokku(&["http-auth:add-user", APP, user, "a password"]);
    }
    let body = |name: &str| json!({"data": {"attributes": {"app_id": APP, "username": name, "password": "a password"}}});
    let password = json!({"data": {"attributes": {"password": "a new password"}}});
    let cases = [
        ("POST", "/@api/httpAuthUsers".to_string(), Some(body("ax."))),
        ("POST", "/@api/httpAuthUsers".to_string(), Some(body(".."))),
        ("PATCH", format!("/@api/httpAuthUsers/{APP}:a.b"), Some(password)),
        ("DELETE", format!("/@api/httpAuthUsers/{APP}:a.b"), None),
    ];
    for (method, path, body) in cases {
        bench.cases += 1;
        let case = format!("{method} {path} {body:?}");
        bench.server.take_dokku_calls();
        let r = bench.server.api(&bench.bearer, method, &path, body).await;
        let calls = bench.server.take_dokku_calls();
        if r.status != 400 || !r.error_title().contains("would also delete") {
            bench.fail(&case, format!("status {}: {}", r.status, r.error_title()));
        }
        if calls != [["http-auth:report", APP]] {
            bench.fail(&case, format!("more than the one read: {calls:?}"));
        }
    }
    // A dot that matches no other user is fine.
    let r = bench.server.api(&bench.bearer, "POST", "/@api/httpAuthUsers", Some(body("c.d"))).await;
    assert_eq!(r.status, 201, "{}", r.error_title());
    let path = format!("/@api/apps/{APP}/httpAuthUsers");
    let r = bench.server.api(&bench.bearer, "GET", &path, None).await;
    let listed: Vec<Value> = r.json()["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| u["attributes"]["username"].clone())
        .collect();
    assert_eq!(listed, [USER, "axb", "a.b", "ab", "c.d"]);
    bench.finish(4).await;
}
