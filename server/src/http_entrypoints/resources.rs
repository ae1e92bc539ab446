//! HTTP entry points of the `resources` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{headers, models, params, responses};
use dropshot::RequestContext;

use super::not_implemented;
use crate::context::ApiContext;

pub async fn get_resources_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::GetResourcesForAppPath>,
) -> Result<dropshot::HttpResponseOk<models::GetResourcesForAppResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getResourcesForApp").await
}

pub async fn delete_resource(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::DeleteResourcePath>,
) -> Result<
    dropshot::HttpResponseHeaders<
        responses::HttpResponseAcceptedNoContent,
        headers::ContentLocationHeader,
    >,
    ApiError,
> {
    not_implemented(&rqctx, &auth, "deleteResource").await
}

pub async fn add_resource(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _body: dropshot::TypedBody<models::AddResourceBody>,
) -> Result<
    dropshot::HttpResponseHeaders<
        dropshot::HttpResponseAccepted<models::AddResourceResponse>,
        headers::ContentLocationHeader,
    >,
    ApiError,
> {
    not_implemented(&rqctx, &auth, "addResource").await
}
