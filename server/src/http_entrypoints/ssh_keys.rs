//! HTTP entry points of the `ssh keys` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{models, params};
use dropshot::RequestContext;

use super::not_implemented;
use crate::context::ApiContext;

pub async fn get_ssh_key_by_fingerprint_id(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::GetSshKeyByFingerprintIdPath>,
) -> Result<dropshot::HttpResponseOk<models::GetSshKeyByFingerprintIdResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getSSHKeyByFingerprintId").await
}

pub async fn delete_ssh_key(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::DeleteSshKeyPath>,
) -> Result<dropshot::HttpResponseDeleted, ApiError> {
    not_implemented(&rqctx, &auth, "deleteSSHKey").await
}

pub async fn get_ssh_keys(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
) -> Result<dropshot::HttpResponseOk<models::GetSshKeysResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getSSHkeys").await
}

pub async fn add_ssh_key(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _body: dropshot::TypedBody<models::AddSshKeyBody>,
) -> Result<dropshot::HttpResponseCreated<models::AddSshKeyResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "addSSHKey").await
}
