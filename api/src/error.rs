//! `ApiError`: every error the API sends, in the seed's envelope
//! `{"errors":[{"status":N,"title":"..."}]}`.
//!
//! dropshot turns extractor failures (bad JSON, wrong content type, bad path or query value,
//! oversized body) into `HttpError`s and hands them to `From<HttpError>`, so those come back in the
//! envelope too. Router-level errors (unknown route, wrong method) never reach this type; the
//! server's front layer reshapes them.

use std::fmt;

use dropshot::{ErrorStatusCode, HttpError};
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

/// An error response: a status and the envelope that carries it.
#[derive(Clone, Debug)]
pub struct ApiError {
    status: ErrorStatusCode,
    envelope: ErrorEnvelope,
    /// What the server log gets instead of the title (the cause of an internal error, which the
    /// client is not shown).
    internal: Option<String>,
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
        }
    }

    /// A 500 whose cause goes to the log only.
    pub fn internal(cause: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(500, "internal server error (the server log has the details)");
        e.internal = Some(cause.into());
        e
    }

    /// Adds `meta.retry_after` (the front layer turns it into a `Retry-After` header).
    pub fn with_retry_after(mut self, seconds: u64) -> ApiError {
        for e in &mut self.envelope.errors {
            e.meta = Some(ErrorMeta { retry_after: seconds });
        }
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

impl Serialize for ApiError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.envelope.serialize(serializer)
    }
}

impl JsonSchema for ApiError {
    fn schema_name() -> String {
        ErrorEnvelope::schema_name()
    }

    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        ErrorEnvelope::json_schema(generator)
    }
}

impl From<HttpError> for ApiError {
    fn from(error: HttpError) -> ApiError {
        // A server error's external message is generic on purpose; keep it that way.
        let title = error.external_message.clone();
        let mut out = ApiError::new(error.status_code.as_u16(), title);
        out.status = error.status_code;
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

    #[test]
    fn serializes_as_the_envelope() {
        let e = ApiError::new(404, "App node-js-app does not exist");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"errors":[{"status":404,"title":"App node-js-app does not exist"}]})
        );
        assert_eq!(e.to_string(), "404: App node-js-app does not exist");
    }

    #[test]
    fn internal_causes_stay_out_of_the_body_and_retry_after_goes_in() {
        let e = ApiError::internal("database is locked");
        assert!(!serde_json::to_string(&e).unwrap().contains("locked"));
        assert_eq!(e.to_string(), "500: database is locked");
        let e = ApiError::new(429, "slow down").with_retry_after(30);
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"errors":[{"status":429,"title":"slow down","meta":{"retry_after":30}}]})
        );
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
