//! HTTP entry points of the `formations` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{headers, models, params, responses};
use dropshot::{HttpResponseAccepted, HttpResponseHeaders, HttpResponseOk, RequestContext};

use super::queue_jobs::{accepted, accepted_no_content};
use crate::app::formations;
use crate::context::ApiContext;

pub async fn get_formations_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: dropshot::Path<params::GetFormationsForAppPath>,
) -> Result<HttpResponseOk<models::GetFormationsForAppResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = formations::list(&ctx.host, &actor, &path.into_inner().app_id).await?;
    Ok(HttpResponseOk(models::GetFormationsForAppResponse { data }))
}

pub async fn delete_formation(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: dropshot::Path<params::DeleteFormationPath>,
) -> Result<
    HttpResponseHeaders<responses::HttpResponseAcceptedNoContent, headers::ContentLocationHeader>,
    ApiError,
> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let id = path.into_inner().formation_id;
    let job =
        formations::scale_to_zero(&ctx.host, &ctx.jobs, &actor, &rqctx.request_id, &id).await?;
    Ok(accepted_no_content(&job))
}

pub async fn add_formation(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    body: dropshot::TypedBody<models::AddFormationBody>,
) -> Result<
    HttpResponseHeaders<
        HttpResponseAccepted<models::AddFormationResponse>,
        headers::ContentLocationHeader,
    >,
    ApiError,
> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = body.into_inner().data;
    let (formation, job) =
        formations::set(&ctx.host, &ctx.jobs, &actor, &rqctx.request_id, data).await?;
    Ok(accepted(models::AddFormationResponse { data: formation }, &job))
}
