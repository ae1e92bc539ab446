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
                errors: vec![ErrorObject { status: status.as_u16(), title }],
            },
        }
    }

    /// 501 for an operation the server does not implement yet.
    pub fn not_implemented(operation_id: &str) -> ApiError {
        ApiError::new(501, format!("{operation_id} is not implemented"))
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
        write!(f, "{}: {}", self.status.as_u16(), self.title())
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
