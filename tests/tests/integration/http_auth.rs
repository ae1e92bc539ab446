//! HTTP auth and maintenance mode: the 11 operations, through the generated client and raw
//! requests, every response checked against the seed by the harness.

use dokku_pro_tests::client::types;
use dokku_pro_tests::fixtures::{APP, server_with_app};
use dokku_pro_tests::harness::TestServer;
use serde_json::{Value, json};

fn enabled(body: &Value) -> bool {
    body["data"][0]["attributes"]["auth_enabled"].as_bool().expect("auth_enabled")
}

#[tokio::test]
async fn enable_disable_and_read_with_one_dokku_call() {
    let (server, bearer) = server_with_app().await;
    let client = server.client().await;
    server.take_dokku_calls();
    let r = client.get_http_auth_for_app().app_id(APP).send().await.unwrap();
    assert_eq!(r.data.len(), 1);
    assert_eq!(r.data[0].id.as_deref(), Some(APP));
    assert_eq!(r.data[0].attributes.as_ref().unwrap().auth_enabled, Some(false));
    assert_eq!(server.take_dokku_calls().len(), 1, "one call per read");

    let body =
        json!({"data": {"type": "httpAuths", "id": APP, "attributes": {"auth_enabled": true}}});
    let r = server.api(&bearer, "PATCH", &format!("/@api/httpAuths/{APP}"), Some(body)).await;
    assert_eq!(
        (r.status, r.json()["data"]["attributes"]["auth_enabled"].as_bool()),
        (200, Some(true))
    );
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{APP}/httpAuth"), None).await;
    assert!(enabled(&r.json()));
    // Idempotent.
    let body = json!({"data": {"attributes": {"auth_enabled": true}}});
    assert_eq!(
        server.api(&bearer, "PATCH", &format!("/@api/httpAuths/{APP}"), Some(body)).await.status,
        200
    );

    let r = server
        .api(
            &bearer,
            "PATCH",
            &format!("/@api/httpAuths/{APP}"),
            Some(json!({"data": {"attributes": {}}})),
        )
        .await;
    assert_eq!(r.status, 400, "auth_enabled is required");
    let r = server.api(&bearer, "GET", "/@api/apps/no-such-app/httpAuth", None).await;
    assert_eq!(r.status, 404);
    let r = server.api(&bearer, "GET", "/@api/apps/Bad_Name!/httpAuth", None).await;
    assert_eq!(r.status, 400);
    server.finish().await;
}

#[tokio::test]
async fn allowed_ips_of_every_shape_and_auth_stays_as_it_was() {
    let (server, bearer) = server_with_app().await;
    let ips = ["127.0.0.1", "::1", "10.0.0.0/8", "2001:db8::/32"];
    for ip in ips {
        let body = json!({"data": {"type": "httpAuthIPs", "attributes": {"app_id": APP, "ip_address": ip}}});
        let r = server.api(&bearer, "POST", "/@api/httpAuthIPs", Some(body)).await;
        assert_eq!(r.status, 201, "{ip}: {}", r.text());
        assert_eq!(r.json()["data"]["id"], format!("{APP}:{ip}"));
    }
    // Dokku's add-allowed-ip turns auth on; the API promised nothing of the kind.
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{APP}/httpAuth"), None).await;
    assert!(!enabled(&r.json()), "adding allowed IPs leaves auth disabled");

    server.take_dokku_calls();
    let client = server.client().await;
    let listed = client.get_http_auth_i_ps_for_app().app_id(APP).send().await.unwrap();
    let got: Vec<_> = listed
        .data
        .iter()
        .map(|i| i.attributes.as_ref().unwrap().ip_address.clone().unwrap())
        .collect();
    assert_eq!(got, ips);
    assert_eq!(server.take_dokku_calls().len(), 1, "one call per read");

    let body = json!({"data": {"attributes": {"app_id": APP, "ip_address": "::1"}}});
    assert_eq!(server.api(&bearer, "POST", "/@api/httpAuthIPs", Some(body)).await.status, 409);
    for bad in ["1.2.3.4/33", "not-an-ip", "1.2.3.4; reboot", "$(id)"] {
        let body = json!({"data": {"attributes": {"app_id": APP, "ip_address": bad}}});
        let r = server.api(&bearer, "POST", "/@api/httpAuthIPs", Some(body)).await;
        assert_eq!(r.status, 400, "{bad}");
    }
    assert!(
        server.take_dokku_calls().iter().all(|c| c[0] != "http-auth:add-allowed-ip"),
        "refused before Dokku"
    );

    // Ids hold `:` (IPv6) and `/` (CIDR, percent-encoded in the path).
    client
        .delete_http_auth_ip()
        .http_auth_ip_id(format!("{APP}:2001:db8::/32"))
        .send()
        .await
        .unwrap();
    let r =
        server.api(&bearer, "DELETE", &format!("/@api/httpAuthIPs/{APP}:10.0.0.0%2F8"), None).await;
    assert_eq!(r.status, 204);
    let r =
        server.api(&bearer, "DELETE", &format!("/@api/httpAuthIPs/{APP}:10.0.0.0%2F8"), None).await;
    assert_eq!(r.status, 404, "deleting what is absent");
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{APP}/httpAuthIPs"), None).await;
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 2);
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{APP}/httpAuth"), None).await;
    assert!(!enabled(&r.json()), "removing allowed IPs leaves auth disabled");
    let body = json!({"data": {"attributes": {"app_id": "no-such-app", "ip_address": "::1"}}});
    assert_eq!(server.api(&bearer, "POST", "/@api/httpAuthIPs", Some(body)).await.status, 404);
    server.finish().await;
}

#[tokio::test]
async fn users_with_any_password_and_no_password_echoed() {
    let (server, bearer) = server_with_app().await;
    let password = r#"a "quoted" 'pass' with spaces $(id) `x` ; | ✓"#;
    let body = json!({"data": {"type": "httpAuthUsers", "attributes": {"app_id": APP, "username": "deploy.bot", "password": password}}});
    server.take_dokku_calls();
    let r = server.api(&bearer, "POST", "/@api/httpAuthUsers", Some(body.clone())).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["data"]["id"], format!("{APP}:deploy.bot"));
    assert!(r.json()["data"]["attributes"].get("password").is_none(), "passwords are never echoed");
    let calls = server.take_dokku_calls();
    let add = calls.iter().find(|c| c[0] == "http-auth:add-user").expect("add-user ran");
    assert_eq!(add[3], password, "the password reached Dokku unaltered");
    // Auth was off: it was switched on around the change and off again.
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{APP}/httpAuth"), None).await;
    assert!(!enabled(&r.json()));

    assert_eq!(server.api(&bearer, "POST", "/@api/httpAuthUsers", Some(body)).await.status, 409);
    let client = server.client().await;
    let users = client.get_http_auth_users_for_app().app_id(APP).send().await.unwrap();
    assert_eq!(users.data.len(), 1);
    let attributes = users.data[0].attributes.as_ref().unwrap();
    assert_eq!(
        (attributes.username.as_deref(), attributes.password.as_deref()),
        (Some("deploy.bot"), None)
    );

    let update = json!({"data": {"attributes": {"password": "new secret with spaces"}}});
    let r = server
        .api(&bearer, "PATCH", &format!("/@api/httpAuthUsers/{APP}:deploy.bot"), Some(update))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let rename =
        json!({"data": {"attributes": {"username": "someone-else", "password": "new secret"}}});
    let r = server
        .api(&bearer, "PATCH", &format!("/@api/httpAuthUsers/{APP}:deploy.bot"), Some(rename))
        .await;
    assert_eq!(r.status, 403);
    let update = json!({"data": {"attributes": {"password": "whatever pw"}}});
    let r = server
        .api(&bearer, "PATCH", &format!("/@api/httpAuthUsers/{APP}:nobody"), Some(update))
        .await;
    assert_eq!(r.status, 404);

    server.take_dokku_calls();
    for (name, pass) in [
        ("-rf", "long enough"),
        ("a b", "long enough"),
        ("ok", "-starts-with-dash"),
        ("ok", "line\nbreak"),
        ("ok", ""),
    ] {
        let body =
            json!({"data": {"attributes": {"app_id": APP, "username": name, "password": pass}}});
        assert_eq!(
            server.api(&bearer, "POST", "/@api/httpAuthUsers", Some(body)).await.status,
            400,
            "{name:?} {pass:?}"
        );
    }
    assert!(server.take_dokku_calls().is_empty(), "invalid input never reaches Dokku");

    let r =
        server.api(&bearer, "DELETE", &format!("/@api/httpAuthUsers/{APP}:deploy.bot"), None).await;
    assert_eq!(r.status, 204);
    let r =
        server.api(&bearer, "DELETE", &format!("/@api/httpAuthUsers/{APP}:deploy.bot"), None).await;
    assert_eq!(r.status, 404);
    server.finish().await;
}

#[tokio::test]
async fn maintenance_mode_on_and_off() {
    let (server, bearer) = server_with_app().await;
    let client = server.client().await;
    server.take_dokku_calls();
    let r = client.get_maintenance_for_app().app_id(APP).send().await.unwrap();
    assert_eq!(r.data[0].attributes.as_ref().unwrap().enabled, Some(false));
    assert_eq!(server.take_dokku_calls().len(), 1, "one call per read");
    let body: types::UpdateMaintenancesBody = serde_json::from_value(
        json!({"data": {"type": "maintenances", "attributes": {"enabled": true}}}),
    )
    .unwrap();
    let r = client.update_maintenances().app_id(APP).body(body).send().await.unwrap();
    assert_eq!(r.data.as_ref().unwrap().attributes.as_ref().unwrap().enabled, Some(true));
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{APP}/maintenance"), None).await;
    assert_eq!(r.json()["data"][0]["attributes"]["enabled"], true);
    let r = server
        .api(&bearer, "PATCH", &format!("/@api/maintenances/{APP}"), Some(json!({"data": {}})))
        .await;
    assert_eq!(r.status, 400);
    let r = server.api(&bearer, "GET", "/@api/apps/no-such-app/maintenance", None).await;
    assert_eq!(r.status, 404);
    server.finish().await;
}

#[tokio::test]
async fn on_a_host_with_no_apps_at_all_an_app_is_404_not_a_plugin_error() {
    let server = TestServer::start().await;
    let bearer = server.bearer().await;
    assert_eq!(server.api(&bearer, "GET", "/@api/apps/ghost/httpAuth", None).await.status, 404);
    assert_eq!(server.api(&bearer, "GET", "/@api/apps/ghost/maintenance", None).await.status, 404);
    server.finish().await;
}

#[tokio::test]
async fn nginx_enforces_the_users_the_api_reports() {
    // The plugin renders its nginx include only on enable and on allowed-IP changes, and puts
    // `auth_basic` in it only when users exist at that moment.
    let (server, bearer) = server_with_app().await;
    let include = || server.sim().http_auth_include(APP);
    let enable = json!({"data": {"attributes": {"auth_enabled": true}}});
    let r = server.api(&bearer, "PATCH", &format!("/@api/httpAuths/{APP}"), Some(enable)).await;
    assert_eq!(r.status, 200);
    assert!(!include().unwrap().contains("auth_basic"), "no user yet: nothing to ask for");

    // The first user on an enabled app: nginx must ask for credentials.
    let user = |name: &str| json!({"data": {"attributes": {"app_id": APP, "username": name, "password": "pw of theirs"}}});
    let r = server.api(&bearer, "POST", "/@api/httpAuthUsers", Some(user("alice"))).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(include().unwrap().contains("auth_basic "), "{:?}", include());
    let r = server.api(&bearer, "POST", "/@api/httpAuthUsers", Some(user("bob"))).await;
    assert_eq!(r.status, 201);

    // Allowed addresses stay what they were, and the include keeps listing them.
    let ip = json!({"data": {"attributes": {"app_id": APP, "ip_address": "10.0.0.0/8"}}});
    assert_eq!(server.api(&bearer, "POST", "/@api/httpAuthIPs", Some(ip)).await.status, 201);
    let r = server.api(&bearer, "DELETE", &format!("/@api/httpAuthUsers/{APP}:bob"), None).await;
    assert_eq!(r.status, 204);
    let text = include().unwrap();
    assert!(text.contains("allow 10.0.0.0/8;") && text.contains("auth_basic "), "{text}");
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{APP}/httpAuthIPs"), None).await;
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 1, "{}", r.text());

    // The last user removed: nginx must stop asking for credentials nobody has.
    let r = server.api(&bearer, "DELETE", &format!("/@api/httpAuthUsers/{APP}:alice"), None).await;
    assert_eq!(r.status, 204);
    assert!(!include().unwrap().contains("auth_basic"), "{:?}", include());
    server.finish().await;
}
