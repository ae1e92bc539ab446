//! The reference page (`GET /@api/docs`) in a real headless Chromium: it renders every operation
//! of the served document, loads nothing but the server's own files, and breaks neither its
//! Content-Security-Policy nor its scripts. A screenshot of the rendered page is kept in
//! `target/artifacts/docs-page.png` for CI.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use dokku_pro_tests::chromium::Browser;
use dokku_pro_tests::harness::TestServer;
use serde_json::{Value, json};

/// One operation as the page shows it: method, path, operationId.
type Shown = (String, String, String);

/// The operations the page has rendered so far, from Swagger UI's operation blocks.
const RENDERED_OPERATIONS: &str = r#"
    Array.from(document.querySelectorAll('.opblock')).map(block => [
        block.querySelector('.opblock-summary-method')?.textContent ?? '',
        block.querySelector('.opblock-summary-path')?.dataset.path ?? '',
        block.querySelector('.opblock-summary-operation-id')?.textContent ?? '',
    ])
"#;

/// Records every Content-Security-Policy violation, from before the page's first script runs.
const RECORD_VIOLATIONS: &str = r#"
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', event => {
        window.__violations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
    });
"#;

/// Every operation of the served document, and how many are extensions.
fn operations(document: &Value) -> (BTreeSet<Shown>, usize) {
    let mut all = BTreeSet::new();
    let mut extensions = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            let id = op["operationId"].as_str().expect("an operationId").to_string();
            all.insert((method.to_uppercase(), path.clone(), id));
            if op.get("x-dokku-extension").is_some() {
                extensions += 1;
            }
        }
    }
    (all, extensions)
}

fn shown(value: &Value) -> BTreeSet<Shown> {
    let text = |v: &Value| v.as_str().unwrap_or_default().trim().to_string();
    value
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| (text(&row[0]).to_uppercase(), text(&row[1]), text(&row[2])))
        .collect()
}

#[tokio::test]
async fn the_reference_page_renders_every_operation_in_chromium() {
    let browser = Browser::launch().await;
    let server = TestServer::start().await;
    let document = server.raw("GET", "/@api/openapi.json", &[], b"").await.json();
    let (expected, extensions) = operations(&document);
    assert_eq!(expected.len() - extensions, 54, "the seed's operations in the served document");
    assert!(extensions > 0, "the served document has our extensions");

    let mut page = browser.page().await;
    for domain in ["Page", "Network", "Runtime"] {
        page.call(&format!("{domain}.enable"), json!({})).await;
    }
    page.call("Page.addScriptToEvaluateOnNewDocument", json!({"source": RECORD_VIOLATIONS})).await;
    page.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
    )
    .await;
    let url = format!("{}/docs", server.base_url());
    page.call("Page.navigate", json!({"url": url})).await;

    // Swagger UI fetches the document and renders it after the page has loaded: poll the DOM.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let rendered = shown(&page.evaluate(RENDERED_OPERATIONS).await);
        let missing: Vec<_> = expected.difference(&rendered).collect();
        if missing.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            let text = page.evaluate("document.body ? document.body.innerText : ''").await;
            let text: String = text.as_str().unwrap_or_default().chars().take(2000).collect();
            panic!(
                "{url} did not render {} of {} operations within 90 s: {missing:?}\n\
                 the page says:\n{text}\nChromium's log:\n{}",
                missing.len(),
                expected.len(),
                browser.log()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let title = page.evaluate("document.querySelector('.info .title')?.textContent ?? ''").await;
    assert!(title.as_str().unwrap_or_default().starts_with("Dokku Pro"), "title {title}");

    let screenshot = page.screenshot_full_page().await;
    let artifacts = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("artifacts");
    std::fs::create_dir_all(&artifacts).expect("create target/artifacts");
    let path = artifacts.join("docs-page.png");
    std::fs::write(&path, &screenshot).expect("write the screenshot");
    println!("screenshot of the reference page: {}", path.display());
    assert!(screenshot.starts_with(b"\x89PNG\r\n\x1a\n"), "the screenshot is a PNG");

    // Everything the page did: only the server's own files, nothing blocked, nothing failed.
    let violations = page.evaluate("window.__violations").await;
    assert_eq!(violations, json!([]), "Content-Security-Policy violations");
    let origin = format!("http://{}", url.split('/').nth(2).expect("a host"));
    let requests: Vec<String> = page
        .events_named("Network.requestWillBeSent")
        .map(|p| p["request"]["url"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(requests.iter().any(|u| u.ends_with("/@api/openapi.json")), "{requests:#?}");
    let foreign: Vec<_> =
        requests.iter().filter(|u| !u.starts_with(&origin) && !u.starts_with("data:")).collect();
    assert!(foreign.is_empty(), "requests beyond the server: {foreign:#?}");
    let failed: Vec<String> = page
        .events_named("Network.responseReceived")
        .filter(|p| p["response"]["status"].as_u64().is_none_or(|s| s >= 400))
        .map(|p| format!("{} {}", p["response"]["status"], p["response"]["url"]))
        .collect();
    assert!(failed.is_empty(), "failed requests: {failed:#?}");
    let load_failures: Vec<String> = page
        .events_named("Network.loadingFailed")
        .map(|p| format!("{} {}", p["type"], p["errorText"]))
        .collect();
    assert!(load_failures.is_empty(), "requests that failed to load: {load_failures:#?}");
    let exceptions: Vec<String> = page
        .events_named("Runtime.exceptionThrown")
        .map(|p| p["exceptionDetails"].to_string())
        .collect();
    assert!(exceptions.is_empty(), "uncaught exceptions in the page: {exceptions:#?}");

    browser.close().await;
    server.finish().await;
}

#[tokio::test]
async fn the_page_and_its_files_are_served_with_their_types_and_caching() {
    let server = TestServer::start().await;
    let page = server.raw("GET", "/@api/docs", &[], b"").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    let policy = page.header("content-security-policy").expect("a Content-Security-Policy");
    assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe"), "{policy}");
    let html = page.text();
    let linked: Vec<&str> =
        html.split("\"docs/").skip(1).filter_map(|rest| rest.split('"').next()).collect();
    assert_eq!(linked.len(), 8, "{linked:?}");
    for name in linked {
        let file = server.raw("GET", &format!("/@api/docs/{name}"), &[], b"").await;
        assert_eq!(file.status, 200, "{name}");
        let fingerprinted = !name.contains("LICENSE") && !name.contains("NOTICE");
        let expected_cache = if fingerprinted {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=86400"
        };
        assert_eq!(file.header("cache-control"), Some(expected_cache), "{name}");
        let expected_type = match name.rsplit('.').next() {
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("png") => "image/png",
            _ => "text/plain; charset=utf-8",
        };
        assert_eq!(file.header("content-type"), Some(expected_type), "{name}");
        assert_eq!(file.header("x-content-type-options"), Some("nosniff"), "{name}");
    }
    let licence = server.raw("GET", "/@api/docs/LICENSE", &[], b"").await;
    assert!(licence.text().contains("Apache License"), "the licence text is served");
    let missing = server.raw("GET", "/@api/docs/swagger-ui-bundle.js", &[], b"").await;
    assert_eq!(missing.status, 404);
    assert!(missing.error_title().contains("no file"), "{}", missing.text());
    server.finish().await;
}
