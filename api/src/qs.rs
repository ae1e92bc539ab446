//! Comma-list query parameters (`style: form, explode: false` in the spec).
//!
//! dropshot only registers scalar query parameters and parses them with `serde_urlencoded`, which
//! knows no sequences. The generated parameter structs therefore declare array parameters as
//! `Option<Vec<T>>` with [`comma_separated`], and the operations that have them use
//! [`FormQuery`], which also accepts repeated keys (`?fields=dsn&fields=status`, what progenitor
//! clients send) by joining them with a comma before parsing.

use std::str::FromStr;

use async_trait::async_trait;
use dropshot::{
    ApiEndpointBodyContentType, ExtractorMetadata, HttpError, Query, RequestContext, ServerContext,
    SharedExtractor,
};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

/// Deserializes `a,b,c` into a list, each element through `FromStr`. An empty value is an empty
/// list; an empty element (`a,,b`) or an unknown one is an error that names it.
pub fn comma_separated<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let raw = Option::<String>::deserialize(deserializer)?;
    let Some(raw) = raw else { return Ok(None) };
    if raw.is_empty() {
        return Ok(Some(Vec::new()));
    }
    raw.split(',')
        .map(|item| {
            T::from_str(item).map_err(|e| serde::de::Error::custom(format!("`{item}`: {e}")))
        })
        .collect::<Result<Vec<T>, _>>()
        .map(Some)
}

/// A query extractor like `dropshot::Query` that also accepts repeated keys for list parameters.
#[derive(Debug)]
pub struct FormQuery<T>(T);

impl<T> FormQuery<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// Joins repeated keys: `a=1&b=2&a=3` becomes `a=1,3&b=2` (order of first appearance kept).
pub fn join_repeated_keys(query: &str) -> Result<String, serde_urlencoded::de::Error> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)?;
    let mut joined: Vec<(String, String)> = Vec::new();
    for (key, value) in pairs {
        match joined.iter_mut().find(|(k, _)| *k == key) {
            Some((_, existing)) => {
                existing.push(',');
                existing.push_str(&value);
            }
            None => joined.push((key, value)),
        }
    }
    Ok(serde_urlencoded::to_string(joined).expect("pairs of strings always encode"))
}

#[async_trait]
impl<T> SharedExtractor for FormQuery<T>
where
    T: JsonSchema + DeserializeOwned + Send + Sync + 'static,
{
    async fn from_request<C: ServerContext>(rqctx: &RequestContext<C>) -> Result<Self, HttpError> {
        let raw = rqctx.request.uri().query().unwrap_or("");
        let bad = |e: &dyn std::fmt::Display| {
            HttpError::for_bad_request(None, format!("unable to parse query string: {e}"))
        };
        let joined = join_repeated_keys(raw).map_err(|e| bad(&e))?;
        serde_urlencoded::from_str(&joined).map(FormQuery).map_err(|e| bad(&e))
    }

    fn metadata(body_content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        // Same parameters as `Query<T>`; the served document restores their array schema.
        <Query<T> as SharedExtractor>::metadata(body_content_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Q {
        #[serde(default, deserialize_with = "comma_separated")]
        fields: Option<Vec<u8>>,
        other: Option<String>,
    }

    fn parse(q: &str) -> Result<Q, serde_urlencoded::de::Error> {
        serde_urlencoded::from_str(&join_repeated_keys(q)?)
    }

    #[test]
    fn comma_list_and_repeated_keys_agree() {
        assert_eq!(parse("fields=1,2").unwrap().fields, Some(vec![1, 2]));
        assert_eq!(parse("fields=1&fields=2").unwrap().fields, Some(vec![1, 2]));
        assert_eq!(parse("fields=1%2C2").unwrap().fields, Some(vec![1, 2]));
        assert_eq!(
            parse("other=x&fields=3").unwrap(),
            Q { fields: Some(vec![3]), other: Some("x".into()) }
        );
    }

    #[test]
    fn absent_empty_and_bad_values() {
        assert_eq!(parse("").unwrap().fields, None);
        assert_eq!(parse("fields=").unwrap().fields, Some(vec![]));
        let err = parse("fields=1,x").unwrap_err().to_string();
        assert!(err.contains("`x`"), "{err}");
        assert!(parse("fields=1,,2").is_err());
    }
}
