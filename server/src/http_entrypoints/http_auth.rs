//! HTTP entry points of the `http auth` operations: extract, authenticate, call the app layer,
//! wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{models, params};
use dropshot::{
    HttpResponseCreated, HttpResponseDeleted, HttpResponseOk, Path, RequestContext, TypedBody,
};

use crate::app::AppError;
use crate::app::http_auth;
use crate::app::validate::required;
use crate::context::ApiContext;

pub async fn get_http_auth_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::GetHttpAuthForAppPath>,
) -> Result<HttpResponseOk<models::GetHttpAuthForAppResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = http_auth::get(&ctx.host, &actor, &path.into_inner().app_id).await?;
    Ok(HttpResponseOk(models::GetHttpAuthForAppResponse { data }))
}

pub async fn update_http_auths(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::UpdateHttpAuthsPath>,
    body: TypedBody<models::UpdateHttpAuthsBody>,
) -> Result<HttpResponseOk<models::UpdateHttpAuthsResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let app = path.into_inner().app_id;
    let data = required(body.into_inner().data, "data")?;
    if data.id.as_deref().is_some_and(|id| id != app) {
        return Err(
            AppError::Invalid(format!("data.id must be the app in the path ({app})")).into()
        );
    }
    let enabled =
        required(data.attributes.and_then(|a| a.auth_enabled), "data.attributes.auth_enabled")?;
    let data = http_auth::set_enabled(&ctx.host, &actor, &app, enabled).await?;
    Ok(HttpResponseOk(models::UpdateHttpAuthsResponse { data }))
}

pub async fn get_http_auth_ips_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::GetHttpAuthIpsForAppPath>,
) -> Result<HttpResponseOk<models::GetHttpAuthIpsForAppResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = http_auth::list_ips(&ctx.host, &actor, &path.into_inner().app_id).await?;
    Ok(HttpResponseOk(models::GetHttpAuthIpsForAppResponse { data }))
}

pub async fn add_http_auth_ip(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    body: TypedBody<models::AddHttpAuthIpBody>,
) -> Result<HttpResponseCreated<models::AddHttpAuthIpResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let attributes = body.into_inner().data.and_then(|d| d.attributes).unwrap_or_default();
    let app = required(attributes.app_id, "data.attributes.app_id")?;
    let ip = required(attributes.ip_address, "data.attributes.ip_address")?;
    let data = http_auth::add_ip(&ctx.host, &actor, &app, &ip).await?;
    Ok(HttpResponseCreated(models::AddHttpAuthIpResponse { data }))
}

pub async fn delete_http_auth_ip(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::DeleteHttpAuthIpPath>,
) -> Result<HttpResponseDeleted, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    http_auth::remove_ip(&ctx.host, &actor, &path.into_inner().http_auth_ip_id).await?;
    Ok(HttpResponseDeleted())
}

pub async fn get_http_auth_users_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::GetHttpAuthUsersForAppPath>,
) -> Result<HttpResponseOk<models::GetHttpAuthUsersForAppResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = http_auth::list_users(&ctx.host, &actor, &path.into_inner().app_id).await?;
    Ok(HttpResponseOk(models::GetHttpAuthUsersForAppResponse { data }))
}

pub async fn add_http_auth_user(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    body: TypedBody<models::AddHttpAuthUserBody>,
) -> Result<HttpResponseCreated<models::AddHttpAuthUserResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let attributes = body.into_inner().data.and_then(|d| d.attributes).unwrap_or_default();
    let app = required(attributes.app_id, "data.attributes.app_id")?;
    let username = required(attributes.username, "data.attributes.username")?;
    let password = required(attributes.password, "data.attributes.password")?;
    let data = http_auth::add_user(&ctx.host, &actor, &app, &username, &password).await?;
    Ok(HttpResponseCreated(models::AddHttpAuthUserResponse { data }))
}

pub async fn update_http_auth_user(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::UpdateHttpAuthUserPath>,
    body: TypedBody<models::UpdateHttpAuthUserBody>,
) -> Result<HttpResponseOk<models::UpdateHttpAuthUserResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let id = path.into_inner().http_auth_user_id;
    let data = body.into_inner().data.unwrap_or_default();
    let attributes = data.attributes.unwrap_or_default();
    // The path names the user; a body naming another one would be a rename.
    let renamed = data.id.as_deref().is_some_and(|i| i != id)
        || attributes
            .username
            .as_deref()
            .is_some_and(|u| Some(u) != id.split_once(':').map(|(_, u)| u))
        || attributes
            .app_id
            .as_deref()
            .is_some_and(|a| Some(a) != id.split_once(':').map(|(a, _)| a));
    if renamed {
        return Err(
            AppError::Forbidden("renaming an http auth user is not supported".into()).into()
        );
    }
    let password = required(attributes.password, "data.attributes.password")?;
    let data = http_auth::set_password(&ctx.host, &actor, &id, &password).await?;
    Ok(HttpResponseOk(models::UpdateHttpAuthUserResponse { data }))
}

pub async fn delete_http_auth_user(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::DeleteHttpAuthUserPath>,
) -> Result<HttpResponseDeleted, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    http_auth::remove_user(&ctx.host, &actor, &path.into_inner().http_auth_user_id).await?;
    Ok(HttpResponseDeleted())
}
