//! HTTP entry points of the `resources` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{headers, models, params, responses};
use dropshot::{HttpResponseAccepted, HttpResponseHeaders, HttpResponseOk, RequestContext};

use super::queue_jobs::{accepted, accepted_no_content};
use crate::app::resources;
use crate::context::ApiContext;

pub async fn get_resources_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: dropshot::Path<params::GetResourcesForAppPath>,
) -> Result<HttpResponseOk<models::GetResourcesForAppResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = resources::list(&ctx.host, &actor, &path.into_inner().app_id).await?;
    Ok(HttpResponseOk(models::GetResourcesForAppResponse { data }))
}

pub async fn delete_resource(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: dropshot::Path<params::DeleteResourcePath>,
) -> Result<
    HttpResponseHeaders<responses::HttpResponseAcceptedNoContent, headers::ContentLocationHeader>,
    ApiError,
> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let id = path.into_inner().resource_id;
    let job = resources::clear(&ctx.host, &ctx.jobs, &actor, &rqctx.request_id, &id).await?;
    Ok(accepted_no_content(&job))
}

pub async fn add_resource(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    body: dropshot::TypedBody<models::AddResourceBody>,
) -> Result<
    HttpResponseHeaders<
        HttpResponseAccepted<models::AddResourceResponse>,
        headers::ContentLocationHeader,
    >,
    ApiError,
> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = body.into_inner().data;
    let (resource, job) =
        resources::set(&ctx.host, &ctx.jobs, &actor, &rqctx.request_id, data).await?;
    Ok(accepted(models::AddResourceResponse { data: resource }, &job))
}
