//! HTTP entry points of the `services` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{body::OptionalBody, models, params, qs};
use dropshot::{
    HttpResponseCreated, HttpResponseDeleted, HttpResponseOk, HttpResponseUpdatedNoContent, Path,
    RequestContext, TypedBody,
};

use crate::app::services;
use crate::context::ApiContext;

pub async fn link_service_to_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::LinkServiceToAppPath>,
    body: OptionalBody<models::LinkServiceToAppBody>,
) -> Result<HttpResponseUpdatedNoContent, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let links = body.into_inner().map(|b| b.data);
    services::link(&ctx.host, &actor, &path.into_inner().app_id, links).await?;
    Ok(HttpResponseUpdatedNoContent())
}

pub async fn unlink_service_from_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::UnlinkServiceFromAppPath>,
    body: OptionalBody<models::UnlinkServiceFromAppBody>,
) -> Result<HttpResponseDeleted, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let links = body.into_inner().map(|b| b.data);
    services::unlink(&ctx.host, &actor, &path.into_inner().app_id, links).await?;
    Ok(HttpResponseDeleted())
}

pub async fn get_services_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::GetServicesForAppPath>,
    query: qs::FormQuery<params::GetServicesForAppQuery>,
) -> Result<HttpResponseOk<models::GetServicesForAppResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let include = query.into_inner().include;
    let app = path.into_inner().app_id;
    let data = services::list_for_app(&ctx.host, &actor, &app, include.as_deref()).await?;
    Ok(HttpResponseOk(models::GetServicesForAppResponse { data }))
}

pub async fn get_service_by_id(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::GetServiceByIdPath>,
    query: qs::FormQuery<params::GetServiceByIdQuery>,
) -> Result<HttpResponseOk<models::GetServiceByIdResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let fields = query.into_inner().fields;
    let id = path.into_inner().service_name;
    let data = services::get(&ctx.host, &actor, &id, fields.as_deref()).await?;
    Ok(HttpResponseOk(models::GetServiceByIdResponse { data }))
}

pub async fn delete_service(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::DeleteServicePath>,
) -> Result<HttpResponseDeleted, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    services::delete(&ctx.host, &actor, &path.into_inner().service_name).await?;
    Ok(HttpResponseDeleted())
}

pub async fn get_services(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    query: qs::FormQuery<params::GetServicesQuery>,
) -> Result<HttpResponseOk<models::GetServicesResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let fields = query.into_inner().fields;
    let data = services::list(&ctx.host, &actor, fields.as_deref()).await?;
    Ok(HttpResponseOk(models::GetServicesResponse { data }))
}

pub async fn add_service(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    body: TypedBody<models::AddServiceBody>,
) -> Result<HttpResponseCreated<models::AddServiceResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = services::create(&ctx.host, &actor, body.into_inner()).await?;
    Ok(HttpResponseCreated(models::AddServiceResponse { data }))
}
