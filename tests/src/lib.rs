//! Black-box test support: the progenitor client generated from the seed, the seed contract
//! every response is validated against, and a harness that runs the real server on 127.0.0.1:0
//! behind a validating proxy; [`real_dokku`] for the tests against a real Dokku (the README's
//! Testing section), and [`sandbox`] for the tests that start the server the way its
//! deployments do (the Debian package's systemd unit, the container image).

#[allow(clippy::all, unused_imports, dead_code, missing_docs, mismatched_lifetime_syntaxes)]
pub mod client {
    include!(concat!(env!("OUT_DIR"), "/client.rs"));
}

pub mod chromium;
pub mod contract;
pub mod fixtures;
pub mod harness;
pub mod real_dokku;
pub mod sandbox;

/// The workspace root (for `spec/`, ...).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in the workspace")
        .to_path_buf()
}

/// Whether a `/health` body still shows the setup checks as running (the server does not wait
/// for them at start; `checks` holds one `skip` entry until the first round is in).
pub fn setup_checks_pending(health: &serde_json::Value) -> bool {
    health["data"]["attributes"]["checks"].as_array().is_some_and(|checks| {
        checks.iter().any(|c| c["name"] == dokku_pro_server::health::SETUP_PENDING)
    })
}
