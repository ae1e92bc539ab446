//! A real headless Chromium driven over the DevTools protocol, for tests of what a browser shows
//! (the reference page at `/@api/docs`).
//!
//! The browser is Debian's `chromium` package (or the binary `CHROMIUM` names), started with a
//! fresh profile and with everything that would reach the internet by itself turned off
//! (component updates, sync, background networking), so the only requests are the page's own.
//! The protocol runs over the DevTools WebSocket of one page target; events are kept as they
//! arrive, so a test can look at every request the page made and every exception it threw.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// What the test machine needs, for the message when Chromium is missing.
pub const INSTALL_HINT: &str = "apt-get install -y chromium (Debian's package `chromium`), or set \
     CHROMIUM to a Chromium or Chrome binary";

/// The flags that let headless Chromium run as root in a container with no network but
/// loopback: no sandbox (root), no GPU, and none of the background connections (updates, sync,
/// field trials) that a closed network refuses.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
];

/// A running Chromium with its own profile; killed when dropped.
pub struct Browser {
    child: tokio::process::Child,
    port: u16,
    profile: tempfile::TempDir,
}

/// The Chromium binary: `CHROMIUM` if set, else `chromium` on the `PATH`.
pub fn binary() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("CHROMIUM={} is not a file", path.display()))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromium"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| "Chromium is not installed (no `chromium` on the PATH)".to_string())
}

impl Browser {
    /// Starts Chromium; panics, saying what to install, when there is none.
    pub async fn launch() -> Browser {
        let binary = binary().unwrap_or_else(|e| panic!("{e}: {INSTALL_HINT}"));
        let profile = tempfile::tempdir().expect("a temporary profile directory");
        let log = std::fs::File::create(profile.path().join("chromium.log")).expect("a log file");
        let child = tokio::process::Command::new(&binary)
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().join("profile").display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a second handle on the log"))
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let mut browser = Browser { child, port: 0, profile };
        browser.port = browser.wait_for_devtools().await;
        browser
    }

    /// Chromium writes the DevTools port it picked to `DevToolsActivePort` in its profile.
    async fn wait_for_devtools(&mut self) -> u16 {
        let file = self.profile.path().join("profile/DevToolsActivePort");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let port = std::fs::read_to_string(&file)
                .ok()
                .and_then(|text| text.lines().next().and_then(|l| l.trim().parse().ok()));
            if let Some(port) = port {
                return port;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("Chromium exited at start ({status}):\n{}", self.log());
            }
            assert!(Instant::now() < deadline, "Chromium did not open DevTools:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What Chromium printed, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.profile.path().join("chromium.log")).unwrap_or_default()
    }

    /// The page target Chromium opened at start (`about:blank`).
    pub async fn page(&self) -> Page {
        let list: Value = reqwest::get(format!("http://127.0.0.1:{}/json/list", self.port))
            .await
            .expect("DevTools lists its targets")
            .json()
            .await
            .expect("the target list is JSON");
        let url = list
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["type"] == "page")
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .unwrap_or_else(|| panic!("no page target in {list}"))
            .to_string();
        let (socket, _) =
            tokio_tungstenite::connect_async(url).await.expect("connect to the page's DevTools");
        Page { socket, next_id: 0, events: Vec::new() }
    }

    /// Stops Chromium.
    pub async fn close(mut self) {
        let _ = self.child.kill().await;
    }
}

/// One page, over its DevTools WebSocket.
pub struct Page {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Every event received so far, in order: `{"method": ..., "params": ...}`.
    pub events: Vec<Value>,
}

impl Page {
    /// Calls a DevTools method and returns its result; panics on a protocol error. Events that
    /// arrive meanwhile are kept in [`Page::events`].
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let request = json!({"id": id, "method": method, "params": params});
        self.socket.send(Message::text(request.to_string())).await.expect("send to DevTools");
        loop {
            let message = tokio::time::timeout(Duration::from_secs(60), self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("DevTools did not answer {method} within 60 s"))
                .unwrap_or_else(|| panic!("DevTools closed the connection during {method}"))
                .expect("a DevTools message");
            let Message::Text(text) = message else { continue };
            let value: Value = serde_json::from_str(&text).expect("DevTools sends JSON");
            if value["id"] == json!(id) {
                if let Some(error) = value.get("error") {
                    panic!("DevTools {method} failed: {error}");
                }
                return value["result"].clone();
            }
            if value.get("method").is_some() {
                self.events.push(value);
            }
        }
    }

    /// Evaluates a JavaScript expression in the page and returns its value (as JSON).
    pub async fn evaluate(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            )
            .await;
        if let Some(exception) = result.get("exceptionDetails") {
            panic!("evaluating {expression}: {exception}");
        }
        result["result"]["value"].clone()
    }

    /// The parameters of the events named `method` received so far.
    pub fn events_named<'a>(&'a self, method: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.events.iter().filter(move |e| e["method"] == method).map(|e| &e["params"])
    }

    /// A PNG of the whole page, not only the viewport.
    pub async fn screenshot_full_page(&mut self) -> Vec<u8> {
        use base64::Engine as _;
        let metrics = self.call("Page.getLayoutMetrics", json!({})).await;
        let size = &metrics["cssContentSize"];
        let clip = json!({
            "x": 0, "y": 0, "scale": 1,
            "width": size["width"].as_f64().expect("a page width"),
            "height": size["height"].as_f64().expect("a page height"),
        });
        let shot = self
            .call(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true, "clip": clip}),
            )
            .await;
        base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("the screenshot is base64")
    }
}
