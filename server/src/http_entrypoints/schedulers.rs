//! HTTP entry points of the `schedulers` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{models, params};
use dropshot::RequestContext;

use super::not_implemented;
use crate::context::ApiContext;

pub async fn get_scheduler_settings_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::GetSchedulerSettingsForAppPath>,
) -> Result<dropshot::HttpResponseOk<models::GetSchedulerSettingsForAppResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getSchedulerSettingsForApp").await
}

pub async fn update_scheduler_settings(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::UpdateSchedulerSettingsPath>,
    _body: dropshot::TypedBody<models::UpdateSchedulerSettingsBody>,
) -> Result<dropshot::HttpResponseOk<models::UpdateSchedulerSettingsResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "updateSchedulerSettings").await
}

pub async fn get_scheduler_by_id(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::GetSchedulerByIdPath>,
) -> Result<dropshot::HttpResponseOk<models::GetSchedulerByIdResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getSchedulerById").await
}

pub async fn get_schedulers(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
) -> Result<dropshot::HttpResponseOk<models::GetSchedulersResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getSchedulers").await
}
