//! HTTP entry points of the `app` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{models, params};
use dropshot::RequestContext;

use super::not_implemented;
use crate::context::ApiContext;

pub async fn get_app_by_id(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::GetAppByIdPath>,
) -> Result<dropshot::HttpResponseOk<models::GetAppByIdResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getAppById").await
}

pub async fn update_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::UpdateAppPath>,
    _body: dropshot::TypedBody<models::UpdateAppBody>,
) -> Result<dropshot::HttpResponseOk<models::UpdateAppResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "updateApp").await
}

pub async fn delete_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::DeleteAppPath>,
) -> Result<dropshot::HttpResponseDeleted, ApiError> {
    not_implemented(&rqctx, &auth, "deleteApp").await
}

pub async fn get_apps(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
) -> Result<dropshot::HttpResponseOk<models::GetAppsResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getApps").await
}

pub async fn add_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _body: dropshot::TypedBody<models::AddAppBody>,
) -> Result<dropshot::HttpResponseCreated<models::AddAppResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "addApp").await
}
