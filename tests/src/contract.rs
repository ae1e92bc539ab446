//! The contract every response in the tests must keep: the seed's schema for that operation and
//! status, or, for a status the seed does not document, the served document's (which holds the
//! documented additions).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Value, json};

use crate::workspace_root;

/// One route of the seed: method, path template split in segments, operationId.
#[derive(Clone, Debug)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub operation_id: String,
    segments: Vec<Option<String>>,
}

impl Route {
    fn matches(&self, method: &str, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').collect();
        self.method.eq_ignore_ascii_case(method)
            && parts.len() == self.segments.len()
            && self.segments.iter().zip(&parts).all(|(seg, part)| match seg {
                Some(lit) => lit == part,
                None => !part.is_empty(),
            })
    }
}

pub struct Contract {
    pub seed: Value,
    pub served: Value,
    pub routes: Vec<Route>,
}

/// Reads the seed (YAML) as JSON.
pub fn load_seed() -> Value {
    let path = workspace_root().join("spec/dokku-pro.openapi.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(&path).expect("reading the seed"))
        .expect("the seed is YAML")
}

impl Contract {
    pub fn load() -> Contract {
        let seed = load_seed();
        let served = dokku_pro_api::openapi::document();
        let mut routes = Vec::new();
        for doc in [&seed, &served] {
            for (path, item) in doc["paths"].as_object().expect("paths") {
                for (method, op) in item.as_object().expect("path item") {
                    let operation_id = op["operationId"].as_str().unwrap_or_default().to_string();
                    if routes.iter().any(|r: &Route| r.operation_id == operation_id) {
                        continue;
                    }
                    let full = format!("{}{path}", dokku_pro_api::BASE_PATH);
                    let segments = full
                        .split('/')
                        .map(|s| (!s.starts_with('{')).then(|| s.to_string()))
                        .collect();
                    routes.push(Route {
                        method: method.clone(),
                        path: path.clone(),
                        operation_id,
                        segments,
                    });
                }
            }
        }
        Contract { seed, served, routes }
    }

    /// The operation a request is routed to. Literal routes win over templated ones, as in dropshot.
    pub fn route(&self, method: &str, path: &str) -> Option<&Route> {
        let mut candidates: Vec<&Route> =
            self.routes.iter().filter(|r| r.matches(method, path)).collect();
        candidates.sort_by_key(|r| r.segments.iter().filter(|s| s.is_none()).count());
        candidates.first().copied()
    }

    fn operation<'a>(&self, doc: &'a Value, route: &Route) -> &'a Value {
        &doc["paths"][&route.path][&route.method]
    }

    /// Checks one response. `route` is `None` for a request that matched no operation.
    ///
    /// A body must validate against the seed's schema for that operation and status (when the seed
    /// has one) *and* the served document's (which marks what we always send as required). Error
    /// bodies must also be a non-empty envelope whose `status` repeats the HTTP status.
    pub fn check(
        &self,
        route: Option<&Route>,
        status: u16,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<(), String> {
        if status >= 400 {
            check_envelope(status, body)?;
        }
        let Some(route) = route else {
            return if status >= 400 {
                Ok(())
            } else {
                Err(format!("a request matching no operation answered {status}"))
            };
        };
        let at = |e: String| format!("{} {status}: {e}", route.operation_id);
        let code = status.to_string();
        let documented: Vec<(&Value, &Value)> = [&self.seed, &self.served]
            .into_iter()
            .filter_map(|doc| self.operation(doc, route)["responses"].get(&code).map(|r| (doc, r)))
            .collect();
        if documented.is_empty() {
            return Err(at("no document lists this status".into()));
        }
        for (doc, response) in documented {
            for (name, _) in response["headers"].as_object().into_iter().flatten() {
                if headers.get(name.as_str()).is_none() {
                    return Err(at(format!("header {name} missing")));
                }
            }
            match response["content"]["application/json"].get("schema") {
                Some(schema) => {
                    let content_type =
                        headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
                    if !content_type.is_some_and(|c| c.starts_with("application/json")) {
                        return Err(at(format!("content-type {content_type:?}")));
                    }
                    validate_json(doc, schema, body).map_err(at)?;
                }
                None => {
                    // A documented non-JSON body (the metrics text, an event stream): the
                    // content type must be the documented one; there is no schema to check.
                    let documented: Vec<&String> = response["content"]
                        .as_object()
                        .map(|c| c.keys().collect())
                        .unwrap_or_default();
                    let content_type = headers
                        .get(http::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    if documented.is_empty() {
                        if !body.is_empty() {
                            return Err(at("a body where the document has none".into()));
                        }
                    } else if !documented.iter().any(|m| content_type.starts_with(m.as_str())) {
                        return Err(at(format!(
                            "content-type {content_type:?}, documented {documented:?}"
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

/// `{"errors":[{"status":<the HTTP status>,"title":"<text>"}, ...]}`, at least one error.
fn check_envelope(status: u16, body: &[u8]) -> Result<(), String> {
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        format!("{status}: the error body is not JSON: {}", String::from_utf8_lossy(body))
    })?;
    let errors = value["errors"].as_array().filter(|e| !e.is_empty());
    let ok = errors.is_some_and(|errors| {
        errors.iter().all(|e| {
            e["status"] == json!(status) && e["title"].as_str().is_some_and(|t| !t.is_empty())
        })
    });
    if ok {
        Ok(())
    } else {
        Err(format!("{status}: not an error envelope for this status: {value}"))
    }
}

/// Validates a JSON body against an OpenAPI schema whose `$ref`s point into `doc`'s components.
pub fn validate_json(doc: &Value, schema: &Value, body: &[u8]) -> Result<(), String> {
    let instance: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the body is not JSON ({e}): {}", String::from_utf8_lossy(body)))?;
    let validator = compiled(doc, schema)?;
    let errors: Vec<String> =
        validator.iter_errors(&instance).map(|e| format!("{e} at {}", e.instance_path)).collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{} (body: {instance})", errors.join("; ")))
    }
}

/// The validator for `schema` in `doc`, compiled once per test binary: compiling one (with all of
/// `components`) costs several times what the request did, and every response is checked. The
/// documents are fixed, so `info` (which tells the seed from the served one) and the schema's
/// text identify it.
fn compiled(doc: &Value, schema: &Value) -> Result<Arc<jsonschema::Validator>, String> {
    type Cache = Mutex<HashMap<(String, String), Arc<jsonschema::Validator>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (doc["info"].to_string(), schema.to_string());
    let cache = CACHE.get_or_init(Default::default);
    if let Some(validator) = cache.lock().expect("not poisoned").get(&key) {
        return Ok(validator.clone());
    }
    let mut root = schema.clone();
    if let Value::Object(map) = &mut root {
        map.insert("components".into(), doc["components"].clone());
    }
    let validator =
        Arc::new(jsonschema::validator_for(&root).map_err(|e| format!("bad schema: {e}"))?);
    cache.lock().expect("not poisoned").insert(key, validator.clone());
    Ok(validator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_prefer_literals() {
        let c = Contract::load();
        assert_eq!(c.route("GET", "/@api/apps").unwrap().operation_id, "getApps");
        assert_eq!(
            c.route("GET", "/@api/apps/x/domains").unwrap().operation_id,
            "getDomainsForApp"
        );
        assert_eq!(c.route("GET", "/@api/apps/x").unwrap().operation_id, "getAppById");
        assert_eq!(c.route("GET", "/@api/health").unwrap().operation_id, "getHealth");
        assert!(c.route("PUT", "/@api/apps").is_none());
    }

    #[test]
    fn the_validator_catches_a_wrong_body() {
        let c = Contract::load();
        let route = c.route("GET", "/@api/apps").cloned();
        let json = http::HeaderMap::from_iter([(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        )]);
        assert!(
            c.check(route.as_ref(), 200, &json, br#"{"data":[{"id":"a","type":"apps"}]}"#).is_ok()
        );
        assert!(
            c.check(route.as_ref(), 200, &json, br#"{"data":[{"id":"a","type":"app"}]}"#).is_err()
        );
        assert!(c.check(route.as_ref(), 200, &json, br#"{"data":{"id":"a"}}"#).is_err());
        assert!(c.check(route.as_ref(), 418, &json, br#"{"errors":[]}"#).is_err());
        let err = br#"{"errors":[{"status":400,"title":"x"}]}"#;
        assert!(c.check(route.as_ref(), 400, &json, err).is_ok());
        assert!(c.check(route.as_ref(), 400, &json, br#"{"message":"x"}"#).is_err());
        assert!(
            c.check(route.as_ref(), 400, &json, br#"{"errors":[{"status":404,"title":"x"}]}"#)
                .is_err()
        );
        assert!(c.check(route.as_ref(), 200, &json, br#"{}"#).is_err(), "data is always sent");
        assert!(c.check(None, 404, &json, br#"{"errors":[{"status":404,"title":"x"}]}"#).is_ok());
        assert!(c.check(None, 200, &json, b"{}").is_err());
    }
}
