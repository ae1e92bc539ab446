//! All 54 operations are routed, and none answers 501: the trait has no default bodies, so an
//! operation the server does not implement does not compile.

use dokku_pro_tests::contract::load_seed;
use dokku_pro_tests::harness::TestServer;

#[tokio::test]
async fn every_operation_is_routed_and_implemented() {
    let server = TestServer::start().await;
    let bearer = format!("Bearer {}", server.token().await);
    let seed = load_seed();
    let mut routed = 0;
    for (path, item) in seed["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            // A placeholder for every path parameter, percent-encoded as a client would.
            let concrete: Vec<&str> = path
                .split('/')
                .map(|segment| if segment.starts_with('{') { "probe%3Aid" } else { segment })
                .collect();
            let concrete = concrete.join("/");
            let body: &[u8] = match op["requestBody"]["content"]["application/json"]["schema"]["properties"]["data"]["type"].as_str() {
                Some("array") => br#"{"data":[]}"#,
                _ if op.get("requestBody").is_some() => br#"{"data":{}}"#,
                _ => b"",
            };
            let r = server
                .raw(
                    &method.to_uppercase(),
                    &format!("/@api{concrete}"),
                    &[("content-type", "application/json"), ("authorization", &bearer)],
                    body,
                )
                .await;
            // A 404 from an operation (`App probe does not exist`) is routed; the router's is not.
            assert!(
                !(r.status == 404 && r.error_title().starts_with("no such resource")),
                "{method} {path} is not routed"
            );
            assert_ne!(r.status, 405, "{method} {path} is not routed");
            assert_ne!(r.status, 501, "{method} {path}: {}", r.text());
            routed += 1;
        }
    }
    assert_eq!(routed, 54);
    server.finish().await;
}

#[tokio::test]
async fn the_generated_client_talks_to_the_server() {
    let server = TestServer::start().await;
    let client = server.client().await;
    let apps = client.get_apps().send().await.expect("getApps through the generated client");
    assert_eq!(apps.status().as_u16(), 200);
    assert!(apps.data.is_empty());
    server.finish().await;
}

#[tokio::test]
async fn health_answers_without_credentials() {
    let server = TestServer::start().await;
    let r = server.raw("GET", "/@api/health", &[], b"").await;
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(body["data"]["attributes"]["status"], "ok");
    assert_eq!(body["data"]["attributes"]["server_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["data"]["attributes"]["dokku_host"], "sim");
    assert_eq!(body["data"]["attributes"]["dokku_version"], "0.38.27");
    // Probes cost at most one Dokku call per period, however many there are.
    server.sim().clear_invocations();
    for _ in 0..5 {
        assert_eq!(server.raw("GET", "/@api/health", &[], b"").await.status, 200);
    }
    assert!(server.sim().invocations().len() <= 1, "{:?}", server.sim().invocations());
    // Storage and host are reported apart; doctor's setup facts come in short.
    let attributes = &body["data"]["attributes"];
    assert_eq!(attributes["storage"]["status"], "ok", "{body}");
    assert_eq!(attributes["host"]["status"], "ok", "{body}");
    let checks = attributes["checks"].as_array().unwrap();
    let status = |name: &str| checks.iter().find(|c| c["name"] == name).unwrap()["status"].clone();
    for name in [
        "dokku version",
        "http-auth plugin",
        "datastore plugins",
        "root login",
        "proxy",
        "nginx config",
    ] {
        assert_eq!(status(name), "ok", "{name}: {body}");
    }
    server.finish().await;
}

#[tokio::test]
async fn health_answers_503_naming_the_host_when_dokku_stops_answering() {
    let server = TestServer::start().await;
    assert_eq!(server.raw("GET", "/@api/health", &[], b"").await.status, 200);
    server.sim().inject(dokku_sim::Injection {
        subcommand: "version".into(),
        app: None,
        times: 1000,
        effect: dokku_sim::Effect::TransportDrop,
    });
    // The host's answer is reused for 10 s; then the next probe asks again.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let r = loop {
        let r = server.raw("GET", "/@api/health", &[], b"").await;
        if r.status != 200 || std::time::Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("1"));
    let body = r.json();
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["title"], "host: the Dokku host does not answer `dokku version`");
    let attributes = &body["data"]["attributes"];
    assert_eq!(attributes["status"], "unavailable");
    assert_eq!(attributes["host"]["status"], "fail");
    assert_eq!(attributes["storage"]["status"], "ok", "the storage is reported on its own");
    server.finish().await;
}

#[tokio::test]
async fn metrics_count_the_dokku_commands_without_credentials() {
    let server = TestServer::start().await;
    let read = |r: &dokku_pro_tests::harness::RawResponse| -> u64 {
        let text = String::from_utf8_lossy(&r.body).into_owned();
        text.lines()
            .find_map(|l| l.strip_prefix("dokku_commands_total "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no counter in {text}"))
    };
    let r = server.raw("GET", "/@api/metrics", &[], b"").await;
    assert_eq!(r.status, 200);
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("text/plain"));
    let before = read(&r);
    let bearer = format!("Bearer {}", server.token().await);
    assert_eq!(server.api(&bearer, "GET", "/@api/apps", None).await.status, 200);
    let after = read(&server.raw("GET", "/@api/metrics", &[], b"").await);
    assert_eq!(after - before, 1, "getApps costs one Dokku call");
    let text = String::from_utf8_lossy(&server.raw("GET", "/@api/metrics", &[], b"").await.body)
        .into_owned();
    assert!(text.contains("dokku_host_up 1"), "{text}");
    assert!(text.contains("dokku_pro_api_storage_up 1"), "{text}");
    assert!(text.contains("dokku_version=\"0.38.27\""), "{text}");
    server.finish().await;
}
