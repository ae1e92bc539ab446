//! Response types dropshot does not have, named by the generated trait.

use dropshot::{HttpCodedResponse, HttpError, HttpResponseDeleted};
use http::StatusCode;
use schemars::JsonSchema;
use serde::Serialize;

use crate::models::Token;

/// `202 Accepted` with no body: the four DELETEs that queue a job answer this, with the job in
/// `Content-Location` (added by `HttpResponseHeaders`).
pub struct HttpResponseAcceptedNoContent;

impl HttpCodedResponse for HttpResponseAcceptedNoContent {
    // dropshot's own empty body type, reachable only through another response's `Body`.
    type Body = <HttpResponseDeleted as HttpCodedResponse>::Body;
    const STATUS_CODE: StatusCode = StatusCode::ACCEPTED;
    const DESCRIPTION: &'static str = "accepted; the work runs as a queued background job";
}

impl From<HttpResponseAcceptedNoContent> for Result<http::Response<dropshot::Body>, HttpError> {
    fn from(_: HttpResponseAcceptedNoContent) -> Self {
        // The empty body has no constructor we can name, so build the response directly.
        http::Response::builder()
            .status(StatusCode::ACCEPTED)
            .body(dropshot::Body::empty())
            .map_err(|e| HttpError::for_internal_error(e.to_string()))
    }
}

/// The body of `POST /tokens`: the seed says the `Token` object itself; Dokku Pro's own docs read
/// it as `.data.id`. We answer both (DESIGN.md §8): the token's fields at top level, and the same
/// object under `data`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct TokenResponse {
    #[serde(flatten)]
    pub token: Token,
    pub data: Token,
}

impl TokenResponse {
    pub fn new(token: Token) -> TokenResponse {
        TokenResponse { data: token.clone(), token }
    }
}
