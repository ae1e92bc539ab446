//! The state every request handler shares, and the helpers that read per-request facts from
//! dropshot's `RequestContext`. With `http_entrypoints`, the only module that sees dropshot.

use std::net::SocketAddr;
use std::sync::Arc;

use dokku_pro_api::auth::Credentials;
use dokku_pro_api::error::ApiError;
use dropshot::RequestContext;
use serde_json::{Map, Value};
use slog::Logger;

use crate::auth::{Actor, Authenticator};
use crate::host::Host;
use crate::jobs::Jobs;

/// Shared by all requests (dropshot's `Context`).
pub struct ApiContext {
    pub log: Logger,
    pub auth: Arc<Authenticator>,
    pub host: Arc<Host>,
    /// The background job queue (the `202` operations enqueue here).
    pub jobs: Arc<Jobs>,
    /// The served OpenAPI document, rendered once at start.
    pub openapi: Arc<Map<String, Value>>,
}

impl ApiContext {
    pub fn new(
        log: Logger,
        auth: Arc<Authenticator>,
        host: Arc<Host>,
        jobs: Arc<Jobs>,
        openapi: Arc<Map<String, Value>>,
    ) -> ApiContext {
        ApiContext { log, auth, host, jobs, openapi }
    }

    /// The bearer check every operation but `login` and `logout` starts with.
    pub async fn authenticate(&self, credentials: &Credentials) -> Result<Actor, ApiError> {
        Ok(self.auth.authenticate(credentials).await?)
    }
}

/// The client's address: the peer of the connection the request came on.
pub fn client_addr(rqctx: &RequestContext<Arc<ApiContext>>) -> SocketAddr {
    rqctx.request.remote_addr()
}
