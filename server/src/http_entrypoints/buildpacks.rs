//! HTTP entry points of the `buildpacks` operations: extract, authenticate, call the app layer,
//! wrap the result (202 with the job in `Content-Location` for the writes).

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{headers, models, params, responses};
use dropshot::{
    HttpResponseAccepted, HttpResponseHeaders, HttpResponseOk, Path, RequestContext, TypedBody,
};

use super::queue_jobs::{accepted, accepted_no_content};
use crate::app::buildpacks;
use crate::app::validate::required;
use crate::context::ApiContext;

pub async fn get_buildpacks_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::GetBuildpacksForAppPath>,
) -> Result<HttpResponseOk<models::GetBuildpacksForAppResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = buildpacks::list(&ctx.host, &actor, &path.into_inner().app_id).await?;
    Ok(HttpResponseOk(models::GetBuildpacksForAppResponse { data }))
}

pub async fn add_buildpack(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    body: TypedBody<models::AddBuildpackBody>,
) -> Result<
    HttpResponseHeaders<
        HttpResponseAccepted<models::AddBuildpackResponse>,
        headers::ContentLocationHeader,
    >,
    ApiError,
> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let attributes = body.into_inner().data.and_then(|d| d.attributes).unwrap_or_default();
    let app = required(attributes.app_id, "data.attributes.app_id")?;
    let value = required(attributes.buildpack, "data.attributes.buildpack")?;
    let (data, job) = buildpacks::add(
        &ctx.host,
        &ctx.jobs,
        &actor,
        &rqctx.request_id,
        &app,
        &value,
        attributes.position,
    )
    .await?;
    Ok(accepted(models::AddBuildpackResponse { data }, &job))
}

pub async fn delete_buildpack(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::DeleteBuildpackPath>,
) -> Result<
    HttpResponseHeaders<responses::HttpResponseAcceptedNoContent, headers::ContentLocationHeader>,
    ApiError,
> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let id = path.into_inner().buildpack_id;
    let job = buildpacks::remove(&ctx.host, &ctx.jobs, &actor, &rqctx.request_id, &id).await?;
    Ok(accepted_no_content(&job))
}
