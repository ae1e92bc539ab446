//! Request glue: `OptionalBody<T>`, a JSON request body that may be absent, and the traits the
//! generated models implement for the server's one place of unpacking ([`RequestData`],
//! [`PathParam`], [`AppPath`]).
//!
//! `OptionalBody<T>`:
//!
//! dropshot's `TypedBody` requires a body. The seed leaves the link/unlink bodies optional, and
//! `login` with Basic credentials needs none (`curl -u user:pass -X POST .../tokens`), so those
//! operations take this extractor: an empty body is `None`; anything else must be JSON of the
//! right shape, checked exactly as `TypedBody` would (content type, size limit, parse errors).

use async_trait::async_trait;
use dropshot::{
    ApiEndpointBodyContentType, ExclusiveExtractor, ExtractorMetadata, HttpError, RequestContext,
    ServerContext, TypedBody, UntypedBody,
};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

/// A request body whose only member is `data` (implemented by the generated models): the object
/// to create or change, which the seed does not mark required.
pub trait RequestData: JsonSchema + DeserializeOwned + Send + Sync + 'static {
    type Data: serde::Serialize;
    fn into_data(self) -> Option<Self::Data>;
}

/// The path parameters of an operation whose path has one parameter (implemented by the
/// generated `params`).
pub trait PathParam: JsonSchema + DeserializeOwned + Send + Sync + 'static {
    fn param(self) -> String;
}

/// A [`PathParam`] that is an app's name (`appId`).
pub trait AppPath: PathParam {}

#[derive(Debug)]
pub struct OptionalBody<T>(Option<T>);

impl<T> OptionalBody<T> {
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

/// Whether a `Content-Type` names JSON (`application/json`, `application/vnd.api+json`, with or
/// without parameters). A missing one is taken as JSON, as dropshot does.
pub fn is_json(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return true };
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[async_trait]
impl<T> ExclusiveExtractor for OptionalBody<T>
where
    T: JsonSchema + DeserializeOwned + Send + Sync + 'static,
{
    async fn from_request<C: ServerContext>(
        rqctx: &RequestContext<C>,
        request: hyper::Request<dropshot::Body>,
    ) -> Result<Self, HttpError> {
        let content_type = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("(not text)").to_string());
        let raw = UntypedBody::from_request(rqctx, request).await?;
        let bytes = raw.as_bytes();
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalBody(None));
        }
        if !is_json(content_type.as_deref()) {
            return Err(HttpError::for_bad_request(
                None,
                format!("unsupported content-type: {}", content_type.unwrap_or_default()),
            ));
        }
        serde_json::from_slice(bytes).map(|v| OptionalBody(Some(v))).map_err(|e| {
            HttpError::for_bad_request(None, format!("unable to parse JSON body: {e}"))
        })
    }

    fn metadata(content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        let mut metadata = <TypedBody<T> as ExclusiveExtractor>::metadata(content_type);
        for parameter in &mut metadata.parameters {
            parameter.required = false;
        }
        metadata
    }
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn json_content_types() {
        assert!(is_json(None));
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some("Application/JSON; charset=utf-8")));
        assert!(is_json(Some("application/vnd.api+json")));
        assert!(!is_json(Some("text/plain")));
        assert!(!is_json(Some("application/x-www-form-urlencoded")));
    }
}
