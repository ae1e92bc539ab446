//! The HTTP entry points: `impl DokkuProApi`. Each handler extracts, calls one function of the
//! app layer and wraps the result; operations not implemented yet keep the generated default
//! body (501 in the error envelope) and are listed in `tests/output/unimplemented-operations.txt`.

use std::sync::Arc;

use dokku_pro_api::error::ApiError;
use dokku_pro_api::models::{
    GetHealthResponse, Health, HealthAttributes, HealthAttributesStatus, HealthType,
};
use dokku_pro_api::{DokkuProApi, dokku_pro_api_mod};
use dropshot::{ApiDescription, HttpResponseOk, RequestContext};
use serde_json::{Map, Value};

use crate::context::ApiContext;

/// The implementation of the generated trait (never instantiated: dropshot calls the functions).
pub enum DokkuProApiImpl {}

/// The API description the server registers.
pub fn api() -> ApiDescription<Arc<ApiContext>> {
    dokku_pro_api_mod::api_description::<DokkuProApiImpl>()
        .expect("the generated API trait registers with dropshot")
}

impl DokkuProApi for DokkuProApiImpl {
    type Context = Arc<ApiContext>;

    async fn get_health(
        _rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<GetHealthResponse>, ApiError> {
        Ok(HttpResponseOk(GetHealthResponse {
            data: Health {
                id: Some("server".into()),
                type_: Some(HealthType::Health),
                attributes: Some(HealthAttributes {
                    status: Some(HealthAttributesStatus::Ok),
                    server_version: Some(env!("CARGO_PKG_VERSION").into()),
                    dokku_host: None,
                    dokku_version: None,
                }),
            },
        }))
    }

    async fn get_open_api_document(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<Map<String, Value>>, ApiError> {
        Ok(HttpResponseOk(rqctx.context().openapi.as_ref().clone()))
    }
}
