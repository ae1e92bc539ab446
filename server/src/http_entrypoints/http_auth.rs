//! HTTP entry points of the `http auth` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{models, params};
use dropshot::RequestContext;

use super::not_implemented;
use crate::context::ApiContext;

pub async fn get_http_auth_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::GetHttpAuthForAppPath>,
) -> Result<dropshot::HttpResponseOk<models::GetHttpAuthForAppResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getHTTPAuthForApp").await
}

pub async fn get_http_auth_ips_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::GetHttpAuthIpsForAppPath>,
) -> Result<dropshot::HttpResponseOk<models::GetHttpAuthIpsForAppResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getHTTPAuthIPsForApp").await
}

pub async fn get_http_auth_users_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::GetHttpAuthUsersForAppPath>,
) -> Result<dropshot::HttpResponseOk<models::GetHttpAuthUsersForAppResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getHTTPAuthUsersForApp").await
}

pub async fn delete_http_auth_ip(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::DeleteHttpAuthIpPath>,
) -> Result<dropshot::HttpResponseDeleted, ApiError> {
    not_implemented(&rqctx, &auth, "deleteHTTPAuthIP").await
}

pub async fn add_http_auth_ip(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _body: dropshot::TypedBody<models::AddHttpAuthIpBody>,
) -> Result<dropshot::HttpResponseCreated<models::AddHttpAuthIpResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "addHTTPAuthIP").await
}

pub async fn update_http_auth_user(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::UpdateHttpAuthUserPath>,
    _body: dropshot::TypedBody<models::UpdateHttpAuthUserBody>,
) -> Result<dropshot::HttpResponseOk<models::UpdateHttpAuthUserResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "updateHTTPAuthUser").await
}

pub async fn delete_http_auth_user(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::DeleteHttpAuthUserPath>,
) -> Result<dropshot::HttpResponseDeleted, ApiError> {
    not_implemented(&rqctx, &auth, "deleteHTTPAuthUser").await
}

pub async fn add_http_auth_user(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _body: dropshot::TypedBody<models::AddHttpAuthUserBody>,
) -> Result<dropshot::HttpResponseCreated<models::AddHttpAuthUserResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "addHTTPAuthUser").await
}

pub async fn update_http_auths(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::UpdateHttpAuthsPath>,
    _body: dropshot::TypedBody<models::UpdateHttpAuthsBody>,
) -> Result<dropshot::HttpResponseOk<models::UpdateHttpAuthsResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "updateHTTPAuths").await
}
