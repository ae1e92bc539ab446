//! HTTP entry points of the `datastores` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::models;
use dropshot::{HttpResponseOk, RequestContext};

use crate::app::datastores;
use crate::context::ApiContext;

pub async fn get_datastores(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
) -> Result<HttpResponseOk<models::GetDatastoresResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = datastores::list(&ctx.host, &actor).await?;
    Ok(HttpResponseOk(models::GetDatastoresResponse { data }))
}
