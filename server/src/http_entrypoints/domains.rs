//! HTTP entry points of the `domains` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{models, params};
use dropshot::{
    HttpResponseCreated, HttpResponseDeleted, HttpResponseOk, Path, RequestContext, TypedBody,
};

use crate::app::domains;
use crate::context::ApiContext;

pub async fn get_domains_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::GetDomainsForAppPath>,
) -> Result<HttpResponseOk<models::GetDomainsForAppResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = domains::list(&ctx.host, &actor, &path.into_inner().app_id).await?;
    Ok(HttpResponseOk(models::GetDomainsForAppResponse { data }))
}

pub async fn delete_domain(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::DeleteDomainPath>,
) -> Result<HttpResponseDeleted, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    domains::delete(&ctx.host, &actor, &path.into_inner().domain_id).await?;
    Ok(HttpResponseDeleted())
}

pub async fn add_domain(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    body: TypedBody<models::AddDomainBody>,
) -> Result<HttpResponseCreated<models::AddDomainResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = domains::add(&ctx.host, &actor, body.into_inner().data).await?;
    Ok(HttpResponseCreated(models::AddDomainResponse { data }))
}
