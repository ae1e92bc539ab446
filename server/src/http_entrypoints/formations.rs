//! HTTP entry points of the `formations` operations: extract, authenticate, call the app
//! layer, wrap the result.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::{headers, models, params, responses};
use dropshot::RequestContext;

use super::not_implemented;
use crate::context::ApiContext;

pub async fn get_formations_for_app(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::GetFormationsForAppPath>,
) -> Result<dropshot::HttpResponseOk<models::GetFormationsForAppResponse>, ApiError> {
    not_implemented(&rqctx, &auth, "getFormationsForApp").await
}

pub async fn delete_formation(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _path: dropshot::Path<params::DeleteFormationPath>,
) -> Result<
    dropshot::HttpResponseHeaders<
        responses::HttpResponseAcceptedNoContent,
        headers::ContentLocationHeader,
    >,
    ApiError,
> {
    not_implemented(&rqctx, &auth, "deleteFormation").await
}

pub async fn add_formation(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    _body: dropshot::TypedBody<models::AddFormationBody>,
) -> Result<
    dropshot::HttpResponseHeaders<
        dropshot::HttpResponseAccepted<models::AddFormationResponse>,
        headers::ContentLocationHeader,
    >,
    ApiError,
> {
    not_implemented(&rqctx, &auth, "addFormation").await
}
