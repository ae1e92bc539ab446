//! Every error the server sends, its own and dropshot's, comes in the spec's envelope with the
//! right status.

use dokku_pro_tests::harness::TestServer;

const JSON: (&str, &str) = ("content-type", "application/json");

#[tokio::test]
async fn unknown_routes_and_methods_answer_the_envelope() {
    let server = TestServer::start().await;
    let r = server.raw("GET", "/@api/nope", &[], b"").await;
    assert_eq!((r.status, r.error_title()), (404, "no such resource: GET /@api/nope".to_string()));
    let r = server.raw("GET", "/elsewhere", &[], b"").await;
    assert_eq!(r.status, 404);

    let r = server.raw("PUT", "/@api/apps", &[], b"").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.error_title(), "method PUT is not allowed here (allowed: GET, POST)");
    let allow: Vec<_> = r.headers.get_all("allow").iter().collect();
    assert_eq!(allow, ["GET", "POST"]);
    assert!(r.headers.get("x-request-id").is_some());
    server.finish().await;
}

#[tokio::test]
async fn malformed_bodies_and_wrong_content_types_are_400() {
    let server = TestServer::start().await;
    let r = server.raw("POST", "/@api/apps", &[JSON], br#"{"data":"#).await;
    assert_eq!(r.status, 400);
    assert!(r.error_title().starts_with("unable to parse JSON body"), "{}", r.error_title());

    let r = server.raw("POST", "/@api/apps", &[JSON], br#"{"data":{"type":"nope"}}"#).await;
    assert_eq!(r.status, 400);
    assert!(r.error_title().contains("unknown variant `nope`"), "{}", r.error_title());

    let r = server.raw("POST", "/@api/apps", &[JSON], br#"{"data":5}"#).await;
    assert_eq!(r.status, 400);

    let r = server.raw("POST", "/@api/apps", &[("content-type", "text/plain")], b"{}").await;
    assert_eq!(
        (r.status, r.error_title()),
        (400, "unsupported content-type: text/plain".to_string())
    );

    let r = server.raw("GET", "/@api/services?fields=dsn,bogus", &[], b"").await;
    assert_eq!(r.status, 400);
    assert!(r.error_title().contains("`bogus`"), "{}", r.error_title());

    let r = server.raw("GET", "/@api/apps/%C3%28", &[], b"").await;
    assert_eq!((r.status, r.error_title()), (400, "invalid path encoding".to_string()));
    server.finish().await;
}

#[tokio::test]
async fn oversized_bodies_are_413_whether_declared_or_streamed() {
    let server = TestServer::start_with(|c| c.request_body_max_bytes = 4096).await;
    let big = vec![b' '; 10_000];
    let r = server.raw("POST", "/@api/apps", &[JSON], &big).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.error_title(), "request body exceeded maximum size of 4096 bytes");

    let r = server.raw("POST", "/@api/apps", &[JSON, ("transfer-encoding", "chunked")], &big).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["errors"][0]["status"], 413);

    // Just under the limit is read and parsed (and then refused for what it is, not its size).
    let r = server.raw("POST", "/@api/apps", &[JSON], &big[..4000]).await;
    assert_eq!(r.status, 400);
    server.finish().await;
}

#[tokio::test]
async fn the_default_limit_is_256_kib() {
    let server = TestServer::start().await;
    let r = server.raw("POST", "/@api/apps", &[JSON], &vec![b' '; 256 * 1024 + 1]).await;
    assert_eq!(r.status, 413);
    let r = server.raw("POST", "/@api/apps", &[JSON], &vec![b' '; 200 * 1024]).await;
    assert_eq!(r.status, 400, "a 200 KiB body is read: {}", r.error_title());
    server.finish().await;
}

#[tokio::test]
async fn a_full_disk_on_the_dokku_host_is_the_servers_side() {
    let (server, bearer) = dokku_pro_tests::fixtures::server_with_app().await;
    server.sim().inject(dokku_sim::Injection {
        subcommand: "domains:add".into(),
        app: Some(dokku_pro_tests::fixtures::APP.into()),
        times: 1,
        effect: dokku_sim::Effect::Exit {
            status: 1,
            stderr: " !     write /home/dokku/node-js-app/VHOST: No space left on device\n".into(),
        },
    });
    let body = serde_json::json!({"data": {"attributes": {"app_id": dokku_pro_tests::fixtures::APP, "domain": "example.com"}}});
    let r = server.api(&bearer, "POST", "/@api/domains", Some(body)).await;
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.error_title().contains("No space left on device"), "{}", r.text());
    assert!(r.header("retry-after").is_some());
    server.finish().await;
}
