//! HTTP entry points of the `builders` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{models, params};
use dropshot::RequestContext;

use super::not_implemented;
use crate::context::ApiContext;

pub async fn get_builder_settings_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::GetBuilderSettingsForAppPath>,
) -> Result<dropshot::HttpResponseOk<models::GetBuilderSettingsForAppResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getBuilderSettingsForApp").await
}

pub async fn update_builder_settings(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::UpdateBuilderSettingsPath>,
    _body: dropshot::TypedBody<models::UpdateBuilderSettingsBody>,
) -> Result<dropshot::HttpResponseOk<models::UpdateBuilderSettingsResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "updateBuilderSettings").await
}

pub async fn get_builder_by_id(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::GetBuilderByIdPath>,
) -> Result<dropshot::HttpResponseOk<models::GetBuilderByIdResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getBuilderById").await
}

pub async fn get_builders(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
) -> Result<dropshot::HttpResponseOk<models::GetBuildersResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getBuilders").await
}
