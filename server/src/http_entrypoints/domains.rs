//! HTTP entry points of the `domains` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{models, params};
use dropshot::RequestContext;

use super::not_implemented;
use crate::context::ApiContext;

pub async fn get_domains_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::GetDomainsForAppPath>,
) -> Result<dropshot::HttpResponseOk<models::GetDomainsForAppResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getDomainsForApp").await
}

pub async fn delete_domain(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::DeleteDomainPath>,
) -> Result<dropshot::HttpResponseDeleted, ApiError> {
    not_implemented(&rqctx, &auth, "deleteDomain").await
}

pub async fn add_domain(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _body: dropshot::TypedBody<models::AddDomainBody>,
) -> Result<dropshot::HttpResponseCreated<models::AddDomainResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "addDomain").await
}
