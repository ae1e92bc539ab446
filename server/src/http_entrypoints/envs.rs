//! HTTP entry points of the `environment variables` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{headers, models, params, responses};
use dropshot::RequestContext;

use super::not_implemented;
use crate::context::ApiContext;

pub async fn get_env_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::GetEnvForAppPath>,
) -> Result<dropshot::HttpResponseOk<models::GetEnvForAppResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getEnvForApp").await
}

pub async fn delete_env(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::DeleteEnvPath>,
) -> Result<
    dropshot::HttpResponseHeaders<
        responses::HttpResponseAcceptedNoContent,
        headers::ContentLocationHeader,
    >,
    ApiError,
> {
    not_implemented(&rqctx, &auth, "deleteEnv").await
}

pub async fn add_env(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _body: dropshot::TypedBody<models::AddEnvBody>,
) -> Result<
    dropshot::HttpResponseHeaders<
        dropshot::HttpResponseAccepted<models::AddEnvResponse>,
        headers::ContentLocationHeader,
    >,
    ApiError,
> {
    not_implemented(&rqctx, &auth, "addEnv").await
}
