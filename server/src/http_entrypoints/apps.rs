//! HTTP entry points of the `app` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{models, params};
use dropshot::{
    HttpResponseCreated, HttpResponseDeleted, HttpResponseOk, Path, RequestContext, TypedBody,
};

use crate::app::apps;
use crate::context::ApiContext;

pub async fn get_app_by_id(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::GetAppByIdPath>,
) -> Result<HttpResponseOk<models::GetAppByIdResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = apps::get(&ctx.host, &actor, &path.into_inner().app_id).await?;
    Ok(HttpResponseOk(models::GetAppByIdResponse { data }))
}

pub async fn update_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::UpdateAppPath>,
    body: TypedBody<models::UpdateAppBody>,
) -> Result<HttpResponseOk<models::UpdateAppResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let app = path.into_inner().app_id;
    let data = apps::update(&ctx.host, &actor, &app, body.into_inner().data).await?;
    Ok(HttpResponseOk(models::UpdateAppResponse { data }))
}

pub async fn delete_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::DeleteAppPath>,
) -> Result<HttpResponseDeleted, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    apps::delete(&ctx.host, &actor, &path.into_inner().app_id).await?;
    Ok(HttpResponseDeleted())
}

pub async fn get_apps(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
) -> Result<HttpResponseOk<models::GetAppsResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = apps::list(&ctx.host, &actor).await?;
    Ok(HttpResponseOk(models::GetAppsResponse { data }))
}

pub async fn add_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    body: TypedBody<models::AddAppBody>,
) -> Result<HttpResponseCreated<models::AddAppResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = apps::create(&ctx.host, &actor, body.into_inner().data).await?;
    Ok(HttpResponseCreated(models::AddAppResponse { data }))
}
