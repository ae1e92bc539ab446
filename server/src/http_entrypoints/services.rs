//! HTTP entry points of the `services` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{body::OptionalBody, models, params, qs};
use dropshot::RequestContext;

use super::not_implemented;
use crate::context::ApiContext;

pub async fn link_service_to_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::LinkServiceToAppPath>,
    _body: OptionalBody<models::LinkServiceToAppBody>,
) -> Result<dropshot::HttpResponseUpdatedNoContent, ApiError> {
    not_implemented(&rqctx, &auth, "linkServiceToApp").await
}

pub async fn unlink_service_from_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::UnlinkServiceFromAppPath>,
    _body: OptionalBody<models::UnlinkServiceFromAppBody>,
) -> Result<dropshot::HttpResponseDeleted, ApiError> {
    not_implemented(&rqctx, &auth, "unlinkServiceFromApp").await
}

pub async fn get_services_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::GetServicesForAppPath>,
    _query: qs::FormQuery<params::GetServicesForAppQuery>,
) -> Result<dropshot::HttpResponseOk<models::GetServicesForAppResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getServicesForApp").await
}

pub async fn get_service_by_id(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::GetServiceByIdPath>,
    _query: qs::FormQuery<params::GetServiceByIdQuery>,
) -> Result<dropshot::HttpResponseOk<models::GetServiceByIdResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getServiceById").await
}

pub async fn delete_service(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::DeleteServicePath>,
) -> Result<dropshot::HttpResponseDeleted, ApiError> {
    not_implemented(&rqctx, &auth, "deleteService").await
}

pub async fn get_services(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _query: qs::FormQuery<params::GetServicesQuery>,
) -> Result<dropshot::HttpResponseOk<models::GetServicesResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getServices").await
}

pub async fn add_service(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _body: dropshot::TypedBody<models::AddServiceBody>,
) -> Result<dropshot::HttpResponseCreated<models::AddServiceResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "addService").await
}
