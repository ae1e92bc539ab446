//! HTTP entry points of the `builders` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{models, params};
use dropshot::{HttpResponseOk, Path, RequestContext, TypedBody};

use crate::app::builders;
use crate::context::ApiContext;

pub async fn get_builder_settings_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::GetBuilderSettingsForAppPath>,
) -> Result<HttpResponseOk<models::GetBuilderSettingsForAppResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = builders::get_settings(&ctx.host, &actor, &path.into_inner().app_id).await?;
    Ok(HttpResponseOk(models::GetBuilderSettingsForAppResponse { data }))
}

pub async fn update_builder_settings(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::UpdateBuilderSettingsPath>,
    body: TypedBody<models::UpdateBuilderSettingsBody>,
) -> Result<HttpResponseOk<models::UpdateBuilderSettingsResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let app = path.into_inner().app_id;
    let data = builders::update_settings(&ctx.host, &actor, &app, body.into_inner().data).await?;
    Ok(HttpResponseOk(models::UpdateBuilderSettingsResponse { data }))
}

pub async fn get_builder_by_id(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::GetBuilderByIdPath>,
) -> Result<HttpResponseOk<models::GetBuilderByIdResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = builders::get(&ctx.host, &actor, &path.into_inner().builder_id).await?;
    Ok(HttpResponseOk(models::GetBuilderByIdResponse { data }))
}

pub async fn get_builders(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
) -> Result<HttpResponseOk<models::GetBuildersResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = builders::list(&ctx.host, &actor).await?;
    Ok(HttpResponseOk(models::GetBuildersResponse { data }))
}
