//! The server-wide state every handler shares ([`ApiContext`]), the per-operation context the
//! app layer works with ([`OpContext`]), and [`op`], the one combinator every authenticated
//! operation goes through. With `http_entrypoints`, the only module that sees dropshot.

use std::net::SocketAddr;
use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
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
    /// The health checks (`GET /health`).
    pub health: Arc<crate::health::Monitor>,
    /// The served OpenAPI document, rendered once at start.
    pub openapi: Arc<Map<String, Value>>,
}

impl ApiContext {
    pub fn new(
        log: Logger,
        auth: Arc<Authenticator>,
        host: Arc<Host>,
        jobs: Arc<Jobs>,
        health: Arc<crate::health::Monitor>,
        openapi: Arc<Map<String, Value>>,
    ) -> ApiContext {
        ApiContext { log, auth, host, jobs, health, openapi }
    }
}

/// One authenticated operation: who asked, in which request, and what it may use. Every app
/// layer function takes one, so no operation can run without an authenticated actor.
pub struct OpContext {
    pub actor: Actor,
    /// dropshot's request id (`X-Request-Id`), carried into job records.
    pub request_id: String,
    /// The operation's `operationId`.
    pub operation: String,
    /// The request's logger, with the operation and the user.
    pub log: Logger,
    pub host: Arc<Host>,
    pub jobs: Arc<Jobs>,
}

/// Runs one authenticated operation: checks the bearer credentials, builds the [`OpContext`],
/// and runs `f` with it. Every operation but `login`, `logout` and the public reads goes through
/// here, so authentication cannot be forgotten and the app layer never sees dropshot.
pub async fn op<T, E: Into<ApiError>>(
    rqctx: &RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    f: impl AsyncFnOnce(&OpContext) -> Result<T, E>,
) -> Result<T, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.auth.authenticate(&auth.0).await?;
    let operation = rqctx.endpoint.operation_id.clone();
    let log = rqctx.log.new(slog::o!(
        "operation" => operation.clone(),
        "user" => actor.user.clone(),
    ));
    let opctx = OpContext {
        actor,
        request_id: rqctx.request_id.clone(),
        operation,
        log,
        host: ctx.host.clone(),
        jobs: ctx.jobs.clone(),
    };
    f(&opctx).await.map_err(Into::into)
}

/// The client's address: the peer of the connection the request came on.
pub fn client_addr(rqctx: &RequestContext<Arc<ApiContext>>) -> SocketAddr {
    rqctx.request.remote_addr()
}
