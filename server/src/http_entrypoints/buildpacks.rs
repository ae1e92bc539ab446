//! HTTP entry points of the `buildpacks` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{headers, models, params, responses};
use dropshot::RequestContext;

use super::not_implemented;
use crate::context::ApiContext;

pub async fn get_buildpacks_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::GetBuildpacksForAppPath>,
) -> Result<dropshot::HttpResponseOk<models::GetBuildpacksForAppResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getBuildpacksForApp").await
}

pub async fn delete_buildpack(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::DeleteBuildpackPath>,
) -> Result<
    dropshot::HttpResponseHeaders<
        responses::HttpResponseAcceptedNoContent,
        headers::ContentLocationHeader,
    >,
    ApiError,
> {
    not_implemented(&rqctx, &auth, "deleteBuildpack").await
}

pub async fn add_buildpack(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _body: dropshot::TypedBody<models::AddBuildpackBody>,
) -> Result<
    dropshot::HttpResponseHeaders<
        dropshot::HttpResponseAccepted<models::AddBuildpackResponse>,
        headers::ContentLocationHeader,
    >,
    ApiError,
> {
    not_implemented(&rqctx, &auth, "addBuildpack").await
}
