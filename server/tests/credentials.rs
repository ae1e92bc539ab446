//! Credentials against the real binary, configured through its flags as an operator would: a
//! token minted from a token is never worth more than its parent and dies with it; failed
//! logins lock the guesser's address, not the owner's, also behind a trusted proxy; a login
//! flood is shed with 429 while token-checked reads go on; and a Dokku host whose disk is full
//! or read-only is the server's side (503), not the client's.
//!
//! The same rules are tested in detail in-process (`tests/tests/integration/auth.rs`); these
//! tests prove that the shipped program, as started from its command line, enforces them.

mod common;

use std::net::IpAddr;
use std::sync::{Arc, Barrier};

use common::{DOKKU, Options, Server, basic, request, request_from};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn bearer(token: &serde_json::Value) -> String {
    format!("Bearer {}", token["id"].as_str().unwrap())
}

/// The status of a token-checked read with `token` (a token answer).
fn read_with(server: &Server, token: &serde_json::Value) -> u16 {
    request(server.addr, "GET", "/@api/apps", &bearer(token), "").status
}

/// `POST /tokens` with `parent` as the bearer: the answer.
fn mint(server: &Server, parent: &serde_json::Value, attributes: &str) -> common::Answer {
    let body = format!(r#"{{"data":{{"type":"tokens","attributes":{attributes}}}}}"#);
    request(server.addr, "POST", "/@api/tokens", &bearer(parent), &body)
}

fn created(answer: common::Answer) -> serde_json::Value {
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.json()
}

#[test]
fn a_token_minted_from_a_token_is_never_worth_more_and_dies_with_its_parent() {
    let server = Server::start(Options::default());

    // A parent with two uses: its child cannot ask for more, and takes what is left.
    let parent = server.login(r#"{"data":{"attributes":{"uses":2}}}"#);
    let r = mint(&server, &parent, r#"{"uses":5}"#);
    assert_eq!(r.status, 400, "a child with more uses than its parent: {}", r.text);
    let child = created(mint(&server, &parent, "{}"));
    assert_eq!(child["attributes"]["uses"], 2, "{child}");
    let expires = |t: &serde_json::Value, which: &str| t["attributes"][which].as_i64().unwrap();
    assert!(
        expires(&child, "refresh_token_expires") <= expires(&parent, "access_token_expires"),
        "the child's refresh token outlives its parent's access token"
    );
    assert_eq!(read_with(&server, &parent), 401, "the parent's uses went to the child");

    // An unlimited parent's children and grandchildren die with its logout.
    let parent = server.login("");
    let child = created(mint(&server, &parent, "{}"));
    let grandchild = created(mint(&server, &child, r#"{"uses":3}"#));
    assert_eq!(read_with(&server, &grandchild), 200);
    let logout = format!("/@api/tokens/{}", parent["id"].as_str().unwrap());
    assert_eq!(request(server.addr, "DELETE", &logout, "", "").status, 204);
    for (what, token) in [("parent", &parent), ("child", &child), ("grandchild", &grandchild)] {
        assert_eq!(read_with(&server, token), 401, "the {what} outlived the logout");
    }
    let refresh = format!(
        r#"{{"data":{{"type":"tokens","attributes":{{"refresh_token":"{}"}}}}}}"#,
        child["attributes"]["refresh_token"].as_str().unwrap()
    );
    let r = request(server.addr, "POST", "/@api/tokens", "", &refresh);
    assert_eq!((r.status, r.title().as_str()), (401, "the token has been revoked"), "{}", r.text);
}

#[test]
fn an_attack_on_a_user_name_does_not_lock_out_the_owner_at_another_address() {
    let server = Server::start(Options {
        args: &["--sim", "--login-failure-limit", "3"],
        ..Options::default()
    });
    let login = ("POST", "/@api/tokens");
    let (attacker, owner) = (ip("127.0.0.3"), ip("127.0.0.4"));
    let statuses: Vec<u16> = (0..6)
        .map(|_| request_from(attacker, server.addr, None, login, &basic("admin", "guess")).status)
        .collect();
    assert_eq!(statuses, [401, 401, 401, 429, 429, 429]);
    let right = basic("admin", &server.admin_password());
    let r = request_from(attacker, server.addr, None, login, &right);
    assert_eq!(r.status, 429, "the attacker's address is locked even with the password");
    assert!(r.head.to_ascii_lowercase().contains("retry-after:"), "{}", r.head);
    let r = request_from(owner, server.addr, None, login, &right);
    assert_eq!(r.status, 201, "the owner is locked out by someone else's failures: {}", r.text);
}

#[test]
fn behind_a_trusted_proxy_the_limits_key_on_the_forwarded_client() {
    let args = ["--sim", "--login-failure-limit", "3", "--trusted-proxies", "127.0.0.5"];
    let server = Server::start(Options { args: &args, ..Options::default() });
    let login = ("POST", "/@api/tokens");
    let proxy = ip("127.0.0.5");
    // The attacker, behind the proxy, forges an address of its own in front of the real one.
    let attacker = Some("198.51.100.66, 203.0.113.9");
    let statuses: Vec<u16> = (0..5)
        .map(|_| request_from(proxy, server.addr, attacker, login, &basic("admin", "x")).status)
        .collect();
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
    let right = basic("admin", &server.admin_password());
    let r = request_from(proxy, server.addr, Some("203.0.113.9"), login, &right);
    assert_eq!(r.status, 429, "the address the proxy saw is locked: {}", r.text);
    let r = request_from(proxy, server.addr, Some("192.0.2.10"), login, &right);
    assert_eq!(r.status, 201, "the owner is locked out through the proxy: {}", r.text);

    // A peer that is not a trusted proxy cannot pick its address with the header.
    let statuses: Vec<u16> = (0..5)
        .map(|n| {
            let claimed = format!("192.0.2.{}", 100 + n);
            let wrong = basic("admin", "nope");
            request_from(ip("127.0.0.6"), server.addr, Some(&claimed), login, &wrong).status
        })
        .collect();
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
}

#[test]
fn a_login_flood_is_shed_with_429_while_token_reads_go_on() {
    // One hashing worker and one waiting login: a burst of logins must be shed at once.
    let args = ["--sim", "--login-hash-workers", "1", "--login-hash-queue", "1"];
    let server = Arc::new(Server::start(Options { args: &args, ..Options::default() }));
    let token = server.login("");
    let clients = 24;
    let start = Arc::new(Barrier::new(clients + 1));
    let flood: Vec<_> = (0..clients)
        .map(|n| {
            let (server, start) = (server.clone(), start.clone());
            std::thread::spawn(move || {
                // Each from its own address and for its own name, so that no failure limit
                // answers before the hashing pool does.
                let source = ip(&format!("127.0.1.{}", n + 1));
                let credentials = basic(&format!("user{n}"), "a wrong guess");
                start.wait();
                let r =
                    request_from(source, server.addr, None, ("POST", "/@api/tokens"), &credentials);
                (r.status, r.title())
            })
        })
        .collect();
    start.wait();
    let reads: Vec<u16> = (0..20).map(|_| read_with(&server, &token)).collect();
    let answers: Vec<(u16, String)> = flood.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(reads.iter().all(|&s| s == 200), "token-checked reads during the flood: {reads:?}");
    let shed =
        answers.iter().filter(|(s, t)| *s == 429 && t.starts_with("too many logins in progress"));
    assert!(shed.count() > 0, "nothing was shed: {answers:?}");
    assert!(
        answers.iter().all(|(s, _)| *s == 401 || *s == 429),
        "a wrong password is 401 or shed: {answers:?}"
    );
    // The flood over, the owner logs in.
    server.login("");
}

#[test]
fn a_dokku_host_with_a_full_or_read_only_disk_is_the_servers_side() {
    let inject = r#"[
        {"subcommand":"domains:add","effect":{"exit":{"status":1,
            "stderr":" !     write /home/dokku/web/VHOST: No space left on device\n"}}},
        {"subcommand":"domains:add","effect":{"exit":{"status":1,
            "stderr":" !     mkdir /home/dokku/web/tls: Read-only file system\n"}}}]"#;
    let args = ["--host-kind", "local", "--dokku-path", DOKKU];
    let env = [("DOKKU_SIM_INJECT", inject.to_string())];
    let server = Server::start(Options { args: &args, env: &env, ..Options::default() });
    let bearer = format!("Bearer {}", server.token());
    let app = r#"{"data":{"type":"apps","id":"web"}}"#;
    assert_eq!(request(server.addr, "POST", "/@api/apps", &bearer, app).status, 201);
    let domain = r#"{"data":{"attributes":{"app_id":"web","domain":"example.com"}}}"#;
    for cause in ["No space left on device", "Read-only file system"] {
        let r = request(server.addr, "POST", "/@api/domains", &bearer, domain);
        assert_eq!(r.status, 503, "{cause}: {}", r.text);
        assert!(r.title().contains(cause), "{}", r.text);
        assert!(r.head.to_ascii_lowercase().contains("retry-after:"), "{}", r.head);
    }
    // The host recovered, the same request is carried out.
    let r = request(server.addr, "POST", "/@api/domains", &bearer, domain);
    assert!(r.status < 300, "{}: {}", r.status, r.text);
}
