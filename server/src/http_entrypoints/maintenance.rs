//! HTTP entry points of the `maintenance mode` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{models, params};
use dropshot::{HttpResponseOk, Path, RequestContext, TypedBody};

use crate::app::AppError;
use crate::app::maintenance;
use crate::app::validate::required;
use crate::context::ApiContext;

pub async fn get_maintenance_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::GetMaintenanceForAppPath>,
) -> Result<HttpResponseOk<models::GetMaintenanceForAppResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let data = maintenance::get(&ctx.host, &actor, &path.into_inner().app_id).await?;
    Ok(HttpResponseOk(models::GetMaintenanceForAppResponse { data }))
}

pub async fn update_maintenances(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: Path<params::UpdateMaintenancesPath>,
    body: TypedBody<models::UpdateMaintenancesBody>,
) -> Result<HttpResponseOk<models::UpdateMaintenancesResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let app = path.into_inner().app_id;
    let data = required(body.into_inner().data, "data")?;
    if data.id.as_deref().is_some_and(|id| id != app) {
        return Err(
            AppError::Invalid(format!("data.id must be the app in the path ({app})")).into()
        );
    }
    let enabled = required(data.attributes.and_then(|a| a.enabled), "data.attributes.enabled")?;
    let data = maintenance::set(&ctx.host, &actor, &app, enabled).await?;
    Ok(HttpResponseOk(models::UpdateMaintenancesResponse { data }))
}
