//! `ApiError`: every error the API sends, in the seed's envelope
//! `{"errors":[{"status":N,"title":"..."}]}`.
//!
//! dropshot turns extractor failures (bad JSON, wrong content type, bad path or query value,
//! oversized body) into `HttpError`s and hands them to `From<HttpError>`, so those come back in the
//! envelope too. Router-level errors (unknown route, wrong method) never reach this type; the
//! server's front door reshapes them.
//!
//! `ApiError` builds its own response (rather than taking dropshot's for any `Serialize` type) so
//! that the response also carries what the body does not: `Retry-After`, and an [`ErrorCause`]
//! in its extensions for the server's log.

use std::fmt;

use dropshot::{ErrorStatusCode, HttpError, HttpResponseContent};
use schemars::JsonSchema;
use serde::Serialize;

/// One error object of the envelope (the seed's `Error` schema: `status` integer, `title` text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "Error")]
pub struct ErrorObject {
    /// The HTTP status code, repeated in the body. (Documented as a plain integer, as the seed
    /// has it, rather than schemars' `uint16` with `minimum: 0`.)
    #[schemars(with = "i64")]
    pub status: u16,
    /// What went wrong, for a person to read.
    pub title: String,
    /// Machine-readable details (JSON:API's `meta`), e.g. how long to wait before retrying.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<ErrorMeta>,
}

/// Details of an error for programs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ErrorMeta {
    /// Seconds to wait before retrying (also sent as the `Retry-After` header).
    pub retry_after: u64,
}

/// The error envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "ErrorResponse")]
pub struct ErrorEnvelope {
    pub errors: Vec<ErrorObject>,
}

/// In the extensions of every response built from an [`ApiError`]: what the server log says
/// about it, the internal cause for a 5xx whose body shows only a generic title, else the title.
/// A response that has it carries the envelope already.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorCause(pub String);

/// In the extensions of a response built from an [`ApiError`] that the server's audit log has
/// already recorded (the handler ran and recorded its request); the front door records the
/// other refusals of requests that change something.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Audited;

/// An error response: a status and the envelope that carries it.
#[derive(Clone, Debug)]
pub struct ApiError {
    status: ErrorStatusCode,
    envelope: ErrorEnvelope,
    /// What the server log gets instead of the title (the cause of an internal error, which the
    /// client is not shown).
    internal: Option<String>,
    /// The request is in the audit log already ([`Audited`]).
    audited: bool,
}

impl ApiError {
    /// An error with one error object. `status` must be a 4xx or 5xx code; anything else is a bug
    /// in the caller and becomes a 500.
    pub fn new(status: u16, title: impl Into<String>) -> ApiError {
        let status =
            ErrorStatusCode::from_u16(status).unwrap_or(ErrorStatusCode::INTERNAL_SERVER_ERROR);
        let title = title.into();
        ApiError {
            status,
            envelope: ErrorEnvelope {
                errors: vec![ErrorObject { status: status.as_u16(), title, meta: None }],
            },
            internal: None,
            audited: false,
        }
    }

    /// A 500 whose cause goes to the log only.
    pub fn internal(cause: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(500, "internal server error (the server log has the details)");
        e.internal = Some(cause.into());
        e
    }

    /// Adds `meta.retry_after`, also sent as the `Retry-After` header.
    pub fn with_retry_after(mut self, seconds: u64) -> ApiError {
        for e in &mut self.envelope.errors {
            e.meta = Some(ErrorMeta { retry_after: seconds });
        }
        self
    }

    /// Marks the request as recorded in the audit log (its response carries [`Audited`]).
    pub fn audited(mut self) -> ApiError {
        self.audited = true;
        self
    }

    pub fn status(&self) -> ErrorStatusCode {
        self.status
    }

    pub fn envelope(&self) -> &ErrorEnvelope {
        &self.envelope
    }

    /// The first error's title.
    pub fn title(&self) -> &str {
        self.envelope.errors.first().map(|e| e.title.as_str()).unwrap_or("")
    }

    /// The first error's `meta.retry_after`.
    pub fn retry_after(&self) -> Option<u64> {
        self.envelope.errors.first()?.meta.as_ref().map(|m| m.retry_after)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.internal {
            Some(cause) => write!(f, "{}: {}", self.status.as_u16(), cause),
            None => write!(f, "{}: {}", self.status.as_u16(), self.title()),
        }
    }
}

impl std::error::Error for ApiError {}

impl HttpResponseContent for ApiError {
    fn to_response(
        self,
        builder: http::response::Builder,
    ) -> Result<http::Response<dropshot::Body>, HttpError> {
        let body = serde_json::to_string(&self.envelope)
            .map_err(|e| HttpError::for_internal_error(e.to_string()))?;
        let mut builder = builder.header(http::header::CONTENT_TYPE, dropshot::CONTENT_TYPE_JSON);
        if let Some(seconds) = self.retry_after() {
            builder = builder.header(http::header::RETRY_AFTER, seconds);
        }
        let cause = match self.internal {
            Some(cause) => cause,
            None => self.title().to_string(),
        };
        let mut builder = builder.extension(ErrorCause(cause));
        if self.audited {
            builder = builder.extension(Audited);
        }
        Ok(builder.body(body.into())?)
    }

    /// The envelope's schema (`ErrorResponse`), as dropshot would give it.
    fn content_metadata() -> Option<dropshot::ApiSchemaGenerator> {
        ErrorEnvelope::content_metadata()
    }
}

impl From<HttpError> for ApiError {
    fn from(error: HttpError) -> ApiError {
        // A server error's external message is generic on purpose; keep it that way, and its
        // internal one for the log.
        let title = error.external_message.clone();
        let mut out = ApiError::new(error.status_code.as_u16(), title);
        out.status = error.status_code;
        if error.status_code.is_server_error() {
            out.internal = Some(error.internal_message);
        }
        out
    }
}

impl dropshot::HttpResponseError for ApiError {
    fn status_code(&self) -> ErrorStatusCode {
        self.status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The response dropshot sends for `e`: its head and its body as JSON.
    fn respond(e: ApiError) -> (http::response::Parts, serde_json::Value) {
        let status = e.status().as_status();
        let response = e.to_response(http::Response::builder().status(status)).unwrap();
        let (parts, body) = response.into_parts();
        let bytes =
            futures::executor::block_on(http_body_util::BodyExt::collect(body)).unwrap().to_bytes();
        (parts, serde_json::from_slice(&bytes).unwrap())
    }

    #[test]
    fn an_audited_error_says_so_in_its_extensions() {
        let (parts, _) = respond(ApiError::new(400, "bad"));
        assert!(parts.extensions.get::<Audited>().is_none());
        let (parts, body) = respond(ApiError::new(400, "bad").audited());
        assert_eq!(parts.extensions.get::<Audited>(), Some(&Audited));
        assert_eq!(body, serde_json::json!({"errors":[{"status":400,"title":"bad"}]}));
    }

    #[test]
    fn responds_with_the_envelope() {
        let e = ApiError::new(404, "App node-js-app does not exist");
        assert_eq!(e.to_string(), "404: App node-js-app does not exist");
        let (parts, body) = respond(e);
        assert_eq!(
            body,
            serde_json::json!({"errors":[{"status":404,"title":"App node-js-app does not exist"}]})
        );
        assert_eq!(parts.status, 404);
        assert_eq!(parts.headers[http::header::CONTENT_TYPE], "application/json");
        assert!(parts.headers.get(http::header::RETRY_AFTER).is_none());
        assert_eq!(
            parts.extensions.get::<ErrorCause>(),
            Some(&ErrorCause("App node-js-app does not exist".into()))
        );
    }

    #[test]
    fn internal_causes_stay_out_of_the_body_and_go_to_the_extensions() {
        let e = ApiError::internal("database or disk is full");
        assert_eq!(e.to_string(), "500: database or disk is full");
        let (parts, body) = respond(e);
        assert!(!body.to_string().contains("full"), "{body}");
        assert_eq!(
            parts.extensions.get::<ErrorCause>(),
            Some(&ErrorCause("database or disk is full".into()))
        );
    }

    #[test]
    fn retry_after_goes_in_the_envelope_and_the_header() {
        let e = ApiError::new(429, "slow down").with_retry_after(30);
        assert_eq!(e.retry_after(), Some(30));
        let (parts, body) = respond(e);
        assert_eq!(
            body,
            serde_json::json!({"errors":[{"status":429,"title":"slow down","meta":{"retry_after":30}}]})
        );
        assert_eq!(parts.headers[http::header::RETRY_AFTER], "30");
    }

    #[test]
    fn a_success_status_is_a_bug_and_becomes_500() {
        let e = ApiError::new(200, "oops");
        assert_eq!(e.status().as_u16(), 500);
        assert_eq!(e.envelope().errors[0].status, 500);
    }

    #[test]
    fn dropshot_errors_keep_status_and_message() {
        let e: ApiError =
            HttpError::for_bad_request(None, "unable to parse JSON body".into()).into();
        assert_eq!(e.status().as_u16(), 400);
        assert_eq!(e.title(), "unable to parse JSON body");
    }
}
