//! HTTP entry points of the `ssh keys` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{models, params};
use dropshot::{
    HttpResponseCreated, HttpResponseDeleted, HttpResponseOk, Path, RequestContext, TypedBody,
};

use crate::app::ssh_keys;
use crate::context::ApiContext;

pub async fn get_ssh_key_by_fingerprint_id(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::GetSshKeyByFingerprintIdPath>,
) -> Result<HttpResponseOk<models::GetSshKeyByFingerprintIdResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let id = path.into_inner().ssh_key_fingerprint_id;
    let data = ssh_keys::get(&ctx.host, &actor, &id).await?;
    Ok(HttpResponseOk(models::GetSshKeyByFingerprintIdResponse { data }))
}

pub async fn delete_ssh_key(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::DeleteSshKeyPath>,
) -> Result<HttpResponseDeleted, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    ssh_keys::delete(&ctx.host, &actor, &path.into_inner().ssh_key_fingerprint_id).await?;
    Ok(HttpResponseDeleted())
}

pub async fn get_ssh_keys(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
) -> Result<HttpResponseOk<models::GetSshKeysResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = ssh_keys::list(&ctx.host, &actor).await?;
    Ok(HttpResponseOk(models::GetSshKeysResponse { data }))
}

pub async fn add_ssh_key(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    body: TypedBody<models::AddSshKeyBody>,
) -> Result<HttpResponseCreated<models::AddSshKeyResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = ssh_keys::add(&ctx.host, &actor, body.into_inner()).await?;
    Ok(HttpResponseCreated(models::AddSshKeyResponse { data }))
}
