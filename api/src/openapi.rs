//! The OpenAPI document the server serves at `GET /@api/openapi.json`.
//!
//! dropshot renders a document from the generated trait ([`raw_document`]). It cannot express
//! everything the seed says, so [`document`] post-processes it with the merged source document
//! (seed + extensions, embedded at build time):
//!
//! * `servers`, `info`, `externalDocs`, the security schemes and each operation's `security`;
//! * paths relative to the base path `/@api` (the routes themselves carry the prefix);
//! * the tags in the seed's order, with their descriptions;
//! * explicit error responses (the seed's codes and descriptions) instead of dropshot's
//!   `4XX`/`5XX`, plus the documented additions in [`ADDITIONS`];
//! * the seed's array schema, `style` and `explode` for comma-list query parameters;
//! * the seed's response descriptions, and the seed's component names (`HTTPAuth`, not `HttpAuth`);
//! * the source's media type for a success response that is not JSON (an event stream).
//!
//! Everything else (parameters, request and response bodies, success codes, headers) comes from
//! the trait, so `cargo xtask openapi check` comparing this document with the seed is a real check
//! of the generated code. Every remaining difference is listed in `spec/contract-diff.txt`.

use serde_json::{Map, Value, json};

use crate::BASE_PATH;

/// The merged source document (seed + extensions) as JSON; extension operations carry
/// `x-dokku-extension: true`.
pub const SOURCE_DOCUMENT: &str = include_str!(concat!(env!("OUT_DIR"), "/source_document.json"));

/// The source document, parsed.
pub fn source_document() -> Value {
    serde_json::from_str(SOURCE_DOCUMENT).expect("build.rs writes valid JSON")
}

/// An error response the server sends beyond what the seed documents, with why.
pub struct Addition {
    pub status: u16,
    pub description: &'static str,
    /// Which operations get it.
    pub applies_to: fn(&OperationFacts) -> bool,
}

/// What [`ADDITIONS`] decide on.
pub struct OperationFacts<'a> {
    pub operation_id: &'a str,
    pub path: &'a str,
    pub secured: bool,
    pub has_input: bool,
    pub has_body: bool,
    /// Runs Dokku commands (every operation but login, logout and our extensions).
    pub reaches_dokku: bool,
}

/// The documented additions (`docs/status-codes.md` gives the reasons), one entry per status with
/// the rule that adds it to an operation. Each also has an entry in `spec/contract-diff.txt`.
pub const ADDITIONS: &[Addition] = &[
    Addition {
        status: 400,
        description: "The request is malformed (unparsable JSON, wrong content type, a value of the wrong type, an unknown enum value)",
        applies_to: |op| op.has_input,
    },
    Addition {
        status: 413,
        description: "The request body is larger than the server accepts (256 KiB unless configured otherwise)",
        applies_to: |op| op.has_body,
    },
    Addition {
        status: 401,
        description: "Missing, malformed, invalid, expired or revoked credentials, or a token with no uses left",
        applies_to: |op| op.secured,
    },
    Addition {
        status: 404,
        description: "The app (or the resource the id names) does not exist",
        applies_to: |op| op.reaches_dokku && op.has_input,
    },
    Addition {
        status: 409,
        description: "It already exists",
        applies_to: |op| {
            matches!(
                op.operation_id,
                "addApp"
                    | "addDomain"
                    | "addService"
                    | "addSSHKey"
                    | "addHTTPAuthUser"
                    | "addHTTPAuthIP"
                    | "addBuildpack"
            )
        },
    },
    Addition {
        status: 403,
        description: "`data.id` names another app than the path: renaming is not supported",
        applies_to: |op| {
            matches!(
                op.operation_id,
                "updateBuilderSettings"
                    | "updateSchedulerSettings"
                    | "updateHTTPAuths"
                    | "updateMaintenances"
            )
        },
    },
    Addition {
        status: 429,
        description: "Too many failed logins from this client address, a user name under attack taking one attempt at a time, or too many logins in progress; retry after the time in `Retry-After`",
        applies_to: |op| op.operation_id == "login",
    },
    Addition {
        status: 500,
        description: "An internal error (the server log has the details)",
        applies_to: |_| true,
    },
    Addition {
        status: 503,
        description: "The Dokku host cannot be reached (retry after the time in `Retry-After`), or the operation needs a root login that is not configured",
        applies_to: |op| op.reaches_dokku,
    },
    Addition {
        status: 504,
        description: "The Dokku command did not finish in time",
        applies_to: |op| op.reaches_dokku,
    },
];

/// The document dropshot renders from the generated trait, untouched.
pub fn raw_document() -> Value {
    let api = crate::dokku_pro_api_mod::stub_api_description()
        .expect("the generated API trait registers with dropshot");
    let source = source_document();
    let title = source["info"]["title"].as_str().unwrap_or("Dokku Pro");
    let version: semver::Version = source["info"]["version"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .expect("the seed's info.version is a semantic version");
    api.openapi(title, version).json().expect("dropshot renders the document")
}

/// The served document: [`raw_document`] post-processed as described in the module docs.
pub fn document() -> Value {
    post_process(raw_document(), &source_document())
}

fn post_process(raw: Value, source: &Value) -> Value {
    let mut doc = Map::new();
    doc.insert("openapi".into(), raw["openapi"].clone());
    let mut info = source["info"].clone();
    info["description"] = json!(format!(
        "{} Served by dokku-pro-api, which implements this document's operations on a Dokku host, \
         adds the extensions marked `x-dokku-extension`, and documents every status code it \
         sends beyond the original document.",
        source["info"]["description"].as_str().unwrap_or_default()
    ));
    doc.insert("info".into(), info);
    doc.insert("externalDocs".into(), source["externalDocs"].clone());
    doc.insert("servers".into(), source["servers"].clone());
    doc.insert("tags".into(), source["tags"].clone());

    let empty = Map::new();
    let mut paths = Map::new();
    for (raw_path, item) in raw["paths"].as_object().unwrap_or(&empty) {
        let path = raw_path.strip_prefix(BASE_PATH).unwrap_or(raw_path).to_string();
        let mut out_item = Map::new();
        for (method, op) in item.as_object().unwrap_or(&empty) {
            let source_op = &source["paths"][&path][method];
            out_item.insert(method.clone(), post_process_operation(op, source_op, &path));
        }
        paths.insert(path, Value::Object(out_item));
    }
    doc.insert("paths".into(), Value::Object(paths));

    let mut components = raw["components"].as_object().cloned().unwrap_or_default();
    components.remove("responses");
    components.insert("securitySchemes".into(), source["components"]["securitySchemes"].clone());
    let mut doc = Value::Object(doc);
    doc["components"] = Value::Object(components);
    rename_schemas_like_the_seed(&mut doc, source);
    strip_nullable(&mut doc);
    doc
}

/// schemars marks every `Option` field `nullable: true`. Our responses never contain `null`
/// (every optional field is skipped when absent), so the seed's schemas, which have no
/// `nullable`, describe them exactly. Requests that send `null` for an optional field are
/// tolerated as if the field were absent; the document does not advertise it.
fn strip_nullable(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("nullable");
            map.values_mut().for_each(strip_nullable);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nullable),
        _ => {}
    }
}

fn post_process_operation(raw: &Value, source: &Value, path: &str) -> Value {
    let mut op = raw.clone();
    if let Some(security) = source.get("security") {
        op["security"] = security.clone();
    }
    if source.get("x-dokku-extension").is_some() {
        op["x-dokku-extension"] = json!(true);
    }

    if let Some(body) = op.get_mut("requestBody")
        && crate::operation_facts::OPTIONAL_BODY
            .contains(&source["operationId"].as_str().unwrap_or(""))
    {
        body["required"] = json!(false);
    }

    // Comma-list query parameters: the seed's schema, style and explode.
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for param in params {
            let seed_param = source["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["name"] == param["name"] && p["in"] == param["in"]);
            if let Some(seed_param) = seed_param
                && seed_param["schema"]["type"] == "array"
            {
                param["schema"] = seed_param["schema"].clone();
                for key in ["style", "explode"] {
                    if let Some(v) = seed_param.get(key) {
                        param[key] = v.clone();
                    }
                }
            }
        }
    }

    // Responses: the success response as rendered (with the seed's description), then the seed's
    // error codes, then the additions.
    let mut responses = Map::new();
    let source_responses = source["responses"].as_object().cloned().unwrap_or_default();
    for (code, response) in op["responses"].as_object().cloned().unwrap_or_default() {
        if code.ends_with("XX") {
            continue;
        }
        let mut response = response;
        if let Some(d) = source_responses.get(&code).and_then(|r| r.get("description")) {
            response["description"] = d.clone();
        }
        // dropshot renders a hand-built response (an event stream) as `*/*`; the source says
        // what it is.
        if let Some(content) = source_responses.get(&code).and_then(|r| r.get("content"))
            && content.get("application/json").is_none()
        {
            response["content"] = content.clone();
        }
        responses.insert(code, response);
    }
    let error_body = json!({
        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}
    });
    for (code, response) in &source_responses {
        if code.parse::<u16>().is_ok_and(|c| c >= 400) {
            // An error answer with a body of its own (the envelope and more: `getHealth`'s 503
            // carries the health record too) is served as the source documents it.
            if response.get("x-dokku-own-body") == Some(&Value::Bool(true)) {
                let mut own = response.clone();
                if let Some(own) = own.as_object_mut() {
                    own.remove("x-dokku-own-body");
                }
                responses.insert(code.clone(), own);
                continue;
            }
            responses.insert(
                code.clone(),
                json!({"description": response["description"], "content": error_body}),
            );
        }
    }
    let facts = OperationFacts {
        operation_id: source["operationId"].as_str().unwrap_or_default(),
        path,
        secured: source.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty()),
        has_body: source.get("requestBody").is_some(),
        reaches_dokku: source.get("x-dokku-extension").is_none()
            && !matches!(source["operationId"].as_str(), Some("login" | "logout")),
        has_input: source.get("requestBody").is_some()
            || source.get("parameters").and_then(Value::as_array).is_some_and(|p| !p.is_empty()),
    };
    for addition in ADDITIONS {
        let code = addition.status.to_string();
        if (addition.applies_to)(&facts) && !responses.contains_key(&code) {
            responses
                .insert(code, json!({"description": addition.description, "content": error_body}));
        }
    }
    let mut sorted: Vec<(String, Value)> = responses.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    op["responses"] = Value::Object(sorted.into_iter().collect());
    op
}

/// typify and schemars name `HTTPAuth` `HttpAuth` (and so on); give the components the seed's
/// names back, and fix every `$ref` to them.
fn rename_schemas_like_the_seed(doc: &mut Value, source: &Value) {
    let Some(seed_names) = source["components"]["schemas"].as_object() else { return };
    let Some(schemas) = doc["components"]["schemas"].as_object_mut() else { return };
    let mut renames = Vec::new();
    for seed_name in seed_names.keys() {
        if schemas.contains_key(seed_name) {
            continue;
        }
        let found = schemas.keys().find(|k| k.eq_ignore_ascii_case(seed_name)).cloned();
        if let Some(ours) = found {
            let schema = schemas.remove(&ours).expect("the key was just found");
            schemas.insert(seed_name.clone(), schema);
            renames.push((format!("#/components/schemas/{ours}"), seed_name.clone()));
        }
    }
    let mut sorted: Vec<(String, Value)> = std::mem::take(schemas).into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    *schemas = sorted.into_iter().collect();
    rewrite_refs(doc, &renames);
}

fn rewrite_refs(value: &mut Value, renames: &[(String, String)]) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref")
                && let Some((_, to)) = renames.iter().find(|(from, _)| from == r)
            {
                *r = format!("#/components/schemas/{to}");
            }
            map.values_mut().for_each(|v| rewrite_refs(v, renames));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, renames)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_document_has_every_source_operation_once() {
        let doc = document();
        let source = source_document();
        let mut count = 0;
        for (path, item) in source["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let served = &doc["paths"][path][method];
                assert_eq!(served["operationId"], op["operationId"], "{method} {path}");
                count += 1;
            }
        }
        assert_eq!(count, 63, "54 seed operations and 9 extensions");
        assert_eq!(doc["servers"], json!([{"url": "/@api"}]));
        assert!(doc["paths"].as_object().unwrap().keys().all(|p| !p.starts_with("/@api")));
    }

    #[test]
    fn security_and_errors_come_from_the_seed() {
        let doc = document();
        let login = &doc["paths"]["/tokens"]["post"];
        assert_eq!(login["security"], json!([{"basic_auth": []}, {"bearer_auth": []}]));
        assert!(doc["paths"]["/tokens/{tokenId}"]["delete"].get("security").is_none());
        let get_app = &doc["paths"]["/apps/{appId}"]["get"];
        assert_eq!(get_app["responses"]["404"]["description"], "App not found");
        assert!(get_app["responses"].get("4XX").is_none());
        assert!(doc["components"]["schemas"].get("HTTPAuth").is_some());
        assert!(doc["components"]["schemas"].get("HttpAuth").is_none());
    }
}
