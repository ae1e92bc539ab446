//! HTTP entry points of the `datastores` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::models;
use dropshot::RequestContext;

use super::not_implemented;
use crate::context::ApiContext;

pub async fn get_datastores(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
) -> Result<dropshot::HttpResponseOk<models::GetDatastoresResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getDatastores").await
}
