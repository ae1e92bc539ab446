//! JSON request bodies checked before dropshot parses them (the front door calls
//! [`BodyShapes::check`]).
//!
//! dropshot 0.18 parses a body with `serde_json::Deserializer::from_slice` and never calls
//! `end()`, so anything after the first JSON value is ignored (`{"data":{"id":"a"}};reboot`
//! creates `a`). And serde's derived `Deserialize` fills a struct from a JSON array by position,
//! so a wrong type is silently read as something else: `{"data":{"attributes":[true]}}` locks an
//! app, `{"data":{"attributes":["app","KEY","value"]}}` sets a variable. Neither can be turned
//! off in the generated models or in `TypedBody`, so this layer refuses such bodies first:
//!
//! * the body must be exactly one JSON value (serde_json's own parser, with its nesting limit);
//! * wherever the operation's request schema (from the served OpenAPI document) has an object,
//!   the body may not have an array, and where it has an array, not an object.
//!
//! Everything else (scalar types, enums, required fields) is left to dropshot and the app layer,
//! whose messages say more.
//!
//! The operation is found the way dropshot's router finds it, on the decoded path
//! ([`route_segments`]) and the method in upper case: matching anything else (the raw path, say)
//! would let `POST /@api/%65nvs` or `post /@api/envs` reach the operation unchecked.

use http::Method;
use serde_json::Value;

/// The request body schema of every operation that takes one.
pub struct BodyShapes {
    doc: Value,
    routes: Vec<Route>,
}

struct Route {
    method: Method,
    /// Path segments; `None` is a `{parameter}`.
    segments: Vec<Option<String>>,
    schema: Value,
}

impl BodyShapes {
    /// Reads the request schemas of `doc` (an OpenAPI 3 document whose paths are relative to
    /// its first server URL, `/@api`).
    pub fn from_openapi(doc: Value) -> BodyShapes {
        let base = doc["servers"][0]["url"].as_str().unwrap_or_default().to_string();
        let mut routes = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
                let Ok(method) = method.to_ascii_uppercase().parse::<Method>() else { continue };
                if schema.is_null() {
                    continue;
                }
                let segments = segments(&base)
                    .chain(segments(path))
                    .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_string()))
                    .collect();
                routes.push(Route { method, segments, schema: schema.clone() });
            }
        }
        BodyShapes { doc, routes }
    }

    /// The request schema for `method` on the path of `segments` ([`route_segments`]),
    /// preferring literal segments over parameters, as the router does.
    fn schema(&self, method: &Method, segments: &[String]) -> Option<&Value> {
        self.routes
            .iter()
            .filter(|r| {
                r.method.as_str().eq_ignore_ascii_case(method.as_str())
                    && r.segments.len() == segments.len()
                    && r.segments
                        .iter()
                        .zip(segments)
                        .all(|(s, w)| s.as_deref().is_none_or(|s| s == w))
            })
            .min_by_key(|r| r.segments.iter().filter(|s| s.is_none()).count())
            .map(|r| &r.schema)
    }

    /// Whether a body sent to `method` on `segments` needs checking (the operation takes one).
    pub fn applies(&self, method: &Method, segments: &[String]) -> bool {
        self.schema(method, segments).is_some()
    }

    /// Checks a JSON body sent to `method` on `segments`; the error is the title of a 400. A
    /// blank body is left to the operation (some take none).
    pub fn check(&self, method: &Method, segments: &[String], body: &[u8]) -> Result<(), String> {
        let Some(schema) = self.schema(method, segments) else { return Ok(()) };
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let value: Value =
            serde_json::from_slice(body).map_err(|e| format!("unable to parse JSON body: {e}"))?;
        shape(&self.doc, schema, &value, "body", 0)
            .map_err(|e| format!("unable to parse JSON body: {e}"))
    }
}

/// The non-empty segments of a path (the router skips empty ones, so `/apps//x` is `/apps/x`).
fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('?').next().unwrap_or_default().split('/').filter(|s| !s.is_empty())
}

/// The segments of a request path as dropshot's router sees them: split on `/`, empty ones
/// skipped, each percent-decoded (so `%2F` stays inside its segment). `None` where the router
/// answers 400 itself: a dot-segment, or a segment that does not decode to UTF-8.
pub fn route_segments(path: &str) -> Option<Vec<String>> {
    segments(path)
        .map(|segment| match segment {
            "." | ".." => None,
            _ => percent_encoding::percent_decode_str(segment)
                .decode_utf8()
                .ok()
                .map(|s| s.into_owned()),
        })
        .collect()
}

/// Checks that objects and arrays in `value` sit where `schema` has them.
fn shape(doc: &Value, schema: &Value, value: &Value, at: &str, depth: usize) -> Result<(), String> {
    // References only point into `components`; the bound guards against a cycle of them.
    if depth > 64 {
        return Ok(());
    }
    let schema = resolve(doc, schema);
    for part in schema["allOf"].as_array().into_iter().flatten() {
        shape(doc, part, value, at, depth + 1)?;
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(alternatives) = schema[key].as_array() {
            let mut first_error = None;
            for alternative in alternatives {
                match shape(doc, alternative, value, at, depth + 1) {
                    Ok(()) => {
                        first_error = None;
                        break;
                    }
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            if let Some(e) = first_error {
                return Err(e);
            }
        }
    }
    let types: Option<Vec<&str>> = match &schema["type"] {
        Value::String(t) => Some(vec![t.as_str()]),
        Value::Array(ts) => Some(ts.iter().filter_map(Value::as_str).collect()),
        _ if schema.get("properties").is_some() => Some(vec!["object"]),
        _ => None,
    };
    let allows = |t: &str| types.as_ref().is_none_or(|ts| ts.contains(&t));
    match value {
        Value::Array(items) => {
            if !allows("array") {
                return Err(format!("{at}: invalid type: array, expected {}", expected(&types)));
            }
            for (i, item) in items.iter().enumerate() {
                shape(doc, &schema["items"], item, &format!("{at}[{i}]"), depth + 1)?;
            }
        }
        Value::Object(map) => {
            if !allows("object") {
                return Err(format!("{at}: invalid type: object, expected {}", expected(&types)));
            }
            for (key, item) in map {
                let property = match schema["properties"].get(key) {
                    Some(property) => property,
                    None => &schema["additionalProperties"],
                };
                if property.is_object() {
                    shape(doc, property, item, &format!("{at}.{key}"), depth + 1)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn expected(types: &Option<Vec<&str>>) -> String {
    match types.as_deref() {
        Some([one]) => format!("{} {one}", if one.starts_with(['a', 'o']) { "an" } else { "a" }),
        Some(many) => many.join(" or "),
        None => "another type".into(),
    }
}

/// Follows a local `$ref` (`#/components/schemas/Name`).
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc.pointer(pointer).unwrap_or(&Value::Null),
        None => schema,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes() -> BodyShapes {
        BodyShapes::from_openapi(dokku_pro_api::openapi::document())
    }

    /// Shorthands that take a raw request path, as a client sends it.
    impl BodyShapes {
        fn applies_to(&self, method: &Method, path: &str) -> bool {
            self.applies(method, &route_segments(path).expect("a routable path"))
        }

        fn check_at(&self, method: &Method, path: &str, body: &[u8]) -> Result<(), String> {
            self.check(method, &route_segments(path).expect("a routable path"), body)
        }
    }

    #[test]
    fn every_operation_with_a_body_is_found() {
        let s = shapes();
        assert!(s.applies_to(&Method::POST, "/@api/apps"));
        assert!(s.applies_to(&Method::PATCH, "/@api/apps/node-js-app"));
        assert!(s.applies_to(&Method::PATCH, "/@api/apps//node-js-app"));
        assert!(s.applies_to(&Method::DELETE, "/@api/apps/a/relationships/services"));
        assert!(s.applies_to(&Method::POST, "/@api/tokens"));
        assert!(!s.applies_to(&Method::GET, "/@api/apps/node-js-app"));
        assert!(!s.applies_to(&Method::DELETE, "/@api/apps/node-js-app"));
    }

    #[test]
    fn operations_are_found_on_the_decoded_path_and_any_method_case() {
        let s = shapes();
        let array = br#"{"data":{"attributes":["a","K","V"]}}"#;
        for path in ["/@api/%65nvs", "/%40api/envs", "/@api/envs/", "//@api//e%6Evs"] {
            assert!(s.applies_to(&Method::POST, path), "{path}");
            assert!(s.check_at(&Method::POST, path, array).is_err(), "{path}");
        }
        let lower: Method = "post".parse().unwrap();
        assert!(s.check_at(&lower, "/@api/envs", array).is_err());
        // A `%2F` stays inside its segment, as the router has it: no such operation.
        assert!(!s.applies_to(&Method::POST, "/@api%2Fenvs"));
        assert_eq!(route_segments("/@api/apps/%C3%28"), None);
        assert_eq!(route_segments("/@api/apps/../envs"), None);
        assert_eq!(
            route_segments("/@api/apps/a%2Fb?x=1"),
            Some(vec!["@api".to_string(), "apps".into(), "a/b".into()])
        );
    }

    #[test]
    fn one_json_value_only() {
        let s = shapes();
        let ok = br#"{"data":{"type":"apps","id":"a"}}"#;
        assert_eq!(s.check_at(&Method::POST, "/@api/apps", ok), Ok(()));
        assert_eq!(s.check_at(&Method::POST, "/@api/apps", b" \n"), Ok(()));
        for bad in [
            &br#"{"data":{"id":"a"}};reboot"#[..],
            br#"{"data":{"id":"a"}}{"data":{"id":"b"}}"#,
            br#"{"data":"#,
            b"\xff",
        ] {
            let e = s.check_at(&Method::POST, "/@api/apps", bad).unwrap_err();
            assert!(e.starts_with("unable to parse JSON body: "), "{e}");
        }
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(s.check_at(&Method::POST, "/@api/apps", deep.as_bytes()).is_err());
    }

    #[test]
    fn arrays_are_no_objects() {
        let s = shapes();
        let check =
            |method: Method, path: &str, body: &str| s.check_at(&method, path, body.as_bytes());
        let e = check(Method::PATCH, "/@api/apps/a", r#"{"data":{"attributes":[true]}}"#);
        assert_eq!(
            e.unwrap_err(),
            "unable to parse JSON body: body.data.attributes: invalid type: array, expected an object"
        );
        assert!(
            check(Method::POST, "/@api/envs", r#"{"data":{"attributes":["a","K","V"]}}"#).is_err()
        );
        assert!(check(Method::POST, "/@api/apps", r#"{"data":["a"]}"#).is_err());
        assert!(check(Method::POST, "/@api/apps", "[]").is_err());
        // The link bodies are lists; an object there is no list.
        let link = "/@api/apps/a/relationships/services";
        assert_eq!(
            check(Method::POST, link, r#"{"data":[{"type":"services","id":"p:x"}]}"#),
            Ok(())
        );
        assert!(check(Method::POST, link, r#"{"data":{"id":"p:x"}}"#).is_err());
        assert!(check(Method::POST, link, r#"{"data":[["p:x"]]}"#).is_err());
        // Scalars, nulls and unknown fields are left to the operation.
        assert_eq!(check(Method::POST, "/@api/apps", r#"{"data":{"id":5,"x":[1]}}"#), Ok(()));
        assert_eq!(check(Method::POST, "/@api/apps", r#"{"data":null}"#), Ok(()));
        // Free-form attributes (a service's creation options) take anything.
        assert_eq!(
            check(
                Method::POST,
                "/@api/services",
                r#"{"data":{"id":"p:x","attributes":{"image":[1]}}}"#
            ),
            Ok(())
        );
    }
}
