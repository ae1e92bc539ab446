//! HTTP entry points of the `maintenance mode` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{models, params};
use dropshot::RequestContext;

use super::not_implemented;
use crate::context::ApiContext;

pub async fn get_maintenance_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::GetMaintenanceForAppPath>,
) -> Result<dropshot::HttpResponseOk<models::GetMaintenanceForAppResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getMaintenanceForApp").await
}

pub async fn update_maintenances(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::UpdateMaintenancesPath>,
    _body: dropshot::TypedBody<models::UpdateMaintenancesBody>,
) -> Result<dropshot::HttpResponseOk<models::UpdateMaintenancesResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "updateMaintenances").await
}
