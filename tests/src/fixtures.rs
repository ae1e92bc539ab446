//! Set-ups the integration modules share: a server on the simulated host with an app already
//! created there, and an admin bearer to drive it with.

use dokku_pro_server::config::Config;

use crate::harness::TestServer;

/// The app the fixtures create.
pub const APP: &str = "node-js-app";

/// Starts a server, creates [`APP`] on its simulated host, and returns the server with an admin
/// `authorization` value (`Bearer ...`).
pub async fn server_with_app() -> (TestServer, String) {
    server_with_app_configured(|_| {}).await
}

/// Like [`server_with_app`], after `configure` adjusts the server's configuration.
pub async fn server_with_app_configured(
    configure: impl FnOnce(&mut Config),
) -> (TestServer, String) {
    let server = TestServer::start_with(configure).await;
    server.dokku(&["apps:create", APP]);
    let bearer = server.bearer().await;
    (server, bearer)
}
