//! HTTP entry points of the `queued background jobs` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{models, params};
use dropshot::RequestContext;

use super::not_implemented;
use crate::context::ApiContext;

pub async fn get_queue_job(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::GetQueueJobPath>,
) -> Result<dropshot::HttpResponseOk<models::GetQueueJobResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getQueueJob").await
}
