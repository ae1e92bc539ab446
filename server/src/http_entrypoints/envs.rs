//! HTTP entry points of the `environment variables` operations: extract, authenticate, call the
//! app layer, wrap the result (202 with the job in `Content-Location` for the writes).

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{headers, models, params, responses};
use dropshot::{
    HttpResponseAccepted, HttpResponseHeaders, HttpResponseOk, Path, RequestContext, TypedBody,
};

use super::queue_jobs::{accepted, accepted_no_content};
use crate::app::envs;
use crate::app::validate::required;
use crate::context::ApiContext;

pub async fn get_env_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::GetEnvForAppPath>,
) -> Result<HttpResponseOk<models::GetEnvForAppResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = envs::list(&ctx.host, &actor, &path.into_inner().app_id).await?;
    Ok(HttpResponseOk(models::GetEnvForAppResponse { data }))
}

pub async fn add_env(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    body: TypedBody<models::AddEnvBody>,
) -> Result<
    HttpResponseHeaders<
        HttpResponseAccepted<models::AddEnvResponse>,
        headers::ContentLocationHeader,
    >,
    ApiError,
> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let attributes = body.into_inner().data.and_then(|d| d.attributes).unwrap_or_default();
    let app = required(attributes.app_id, "data.attributes.app_id")?;
    let key = required(attributes.key, "data.attributes.key")?;
    let value = required(attributes.value, "data.attributes.value")?;
    let (data, job) =
        envs::set(&ctx.host, &ctx.jobs, &actor, &rqctx.request_id, &app, &key, &value).await?;
    Ok(accepted(models::AddEnvResponse { data }, &job))
}

pub async fn delete_env(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::DeleteEnvPath>,
) -> Result<
    HttpResponseHeaders<responses::HttpResponseAcceptedNoContent, headers::ContentLocationHeader>,
    ApiError,
> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let job =
        envs::unset(&ctx.host, &ctx.jobs, &actor, &rqctx.request_id, &path.into_inner().env_id)
            .await?;
    Ok(accepted_no_content(&job))
}
