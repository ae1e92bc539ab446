//! HTTP entry points of the `schedulers` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{models, params};
use dropshot::{HttpResponseOk, Path, RequestContext, TypedBody};

use crate::app::schedulers;
use crate::context::ApiContext;

pub async fn get_scheduler_settings_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::GetSchedulerSettingsForAppPath>,
) -> Result<HttpResponseOk<models::GetSchedulerSettingsForAppResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = schedulers::get_settings(&ctx.host, &actor, &path.into_inner().app_id).await?;
    Ok(HttpResponseOk(models::GetSchedulerSettingsForAppResponse { data }))
}

pub async fn update_scheduler_settings(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::UpdateSchedulerSettingsPath>,
    body: TypedBody<models::UpdateSchedulerSettingsBody>,
) -> Result<HttpResponseOk<models::UpdateSchedulerSettingsResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let app = path.into_inner().app_id;
    let data = schedulers::update_settings(&ctx.host, &actor, &app, body.into_inner().data).await?;
    Ok(HttpResponseOk(models::UpdateSchedulerSettingsResponse { data }))
}

pub async fn get_scheduler_by_id(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::GetSchedulerByIdPath>,
) -> Result<HttpResponseOk<models::GetSchedulerByIdResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = schedulers::get(&ctx.host, &actor, &path.into_inner().scheduler_id).await?;
    Ok(HttpResponseOk(models::GetSchedulerByIdResponse { data }))
}

pub async fn get_schedulers(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
) -> Result<HttpResponseOk<models::GetSchedulersResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = schedulers::list(&ctx.host, &actor).await?;
    Ok(HttpResponseOk(models::GetSchedulersResponse { data }))
}
