//! The code generator: turns the Dokku Pro OpenAPI document (plus our extensions document) into
//! typed models and a `#[dropshot::api_description]` trait.
//!
//! It is shared by the top-level `build.rs` (which writes `$OUT_DIR/dokku_api.rs`, the code the
//! `dokku-pro-api` crate compiles) and `cargo xtask codegen` (which writes the same text to
//! `api/generated/dokku_api.rs` for review). It deliberately depends on neither `api` nor
//! `server`, so it still runs when the generated code is broken.
//!
//! What it emits, in one file:
//!
//! * `models`: typify output for every component schema and every inline request/response
//!   envelope (`AddAppBody`, `GetAppsResponse`, ...). The `data` member of *response* envelopes is
//!   marked required so that an empty list serializes as `{"data":[]}`, never `{}`.
//! * `params`: one `<Op>Path` / `<Op>Query` / `<Op>Headers` struct per operation with
//!   parameters. Array query parameters (`fields`, `include`) use the hand-written comma-list
//!   deserializer (`crate::qs`) because dropshot only accepts scalar query parameters. Header
//!   parameters use dropshot's `Header` extractor (header names are matched case-insensitively).
//! * `headers`: the typed response headers (`Content-Location` on the 202 operations).
//! * the trait `DokkuProApi`, one method per operation, each carrying the operationId, tags,
//!   method, the path prefixed with the server base (`/@api`), the summary as doc comment, typed
//!   extractors and the success response type; a method the server does not implement is a
//!   compile error. A success response that is not JSON (an event stream) needs a
//!   hand-written response type, named in [`Options::raw_responses`].
//!
//! What dropshot cannot express (servers, security, explicit error codes, array query schemas) is
//! not generated here: `api/src/openapi.rs` post-processes the rendered document using the source
//! document that `source_document_json` returns.

pub mod contract;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail, ensure};
use openapiv3::{
    OpenAPI, Operation, Parameter, ParameterSchemaOrContent, RequestBody, Response, StatusCode,
};
use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote};
use serde_json::{Map, Value};
use typify::{TypeSpace, TypeSpaceSettings};

/// How the generated trait is shaped.
#[derive(Clone, Debug)]
pub struct Options {
    /// Operations whose success body is a hand-written type instead of the generated one, as
    /// `(operationId, Rust type path)`. Used where the design answers more than the seed's schema
    /// describes (login returns the token at top level *and* under `data`).
    pub response_overrides: Vec<(String, String)>,
    /// Operations whose whole success response is a hand-written type implementing
    /// `dropshot::HttpResponse`, as `(operationId, Rust type path)`: for media types dropshot
    /// cannot describe (`text/event-stream`). The served document takes that response's content
    /// from the source document.
    pub raw_responses: Vec<(String, String)>,
    /// Operations whose body may be absent even though the seed marks it required. (Bodies the
    /// seed does not mark required are optional anyway.) `login` with Basic credentials needs
    /// no body, and `curl -u user:pass -X POST .../tokens` sends none.
    pub optional_bodies: Vec<String>,
    /// `default`s in component schemas that the seed meant as examples (the
    /// `Token` / `TokenCreate` `refresh_token` default to `dpr_uoelcjosertv8w4vw3`). As JSON
    /// pointers into `components/schemas`; the generated field is then optional instead of
    /// silently filled with the example.
    pub example_defaults: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            response_overrides: vec![(
                "login".to_string(),
                "crate::responses::TokenResponse".to_string(),
            )],
            raw_responses: vec![
                (
                    "getQueueJobOutput".to_string(),
                    "crate::responses::HttpResponseEventStream".to_string(),
                ),
                ("getHealth".to_string(), "crate::responses::HttpResponseHealth".to_string()),
                ("getMetrics".to_string(), "crate::responses::HttpResponsePrometheus".to_string()),
                ("getDocsPage".to_string(), "crate::responses::HttpResponseOkFile".to_string()),
                ("getDocsAsset".to_string(), "crate::responses::HttpResponseOkFile".to_string()),
            ],
            optional_bodies: vec!["login".to_string()],
            example_defaults: vec![
                "/Token/properties/attributes/properties/refresh_token/default".to_string(),
                "/TokenCreate/properties/attributes/properties/refresh_token/default".to_string(),
            ],
        }
    }
}

/// The name of the generated trait and of its dropshot support module.
pub const TRAIT_NAME: &str = "DokkuProApi";
pub const SUPPORT_MODULE: &str = "dokku_pro_api_mod";

/// Reads an OpenAPI document (YAML or JSON).
pub fn load_document(path: &Path) -> Result<OpenAPI> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_yaml::from_str(&text)
        .with_context(|| format!("parsing {} as OpenAPI 3.0", path.display()))
}

/// The seed and our extensions, as the generator sees them.
pub struct Sources {
    pub seed: OpenAPI,
    pub extensions: OpenAPI,
}

impl Sources {
    /// Loads `dokku-pro.openapi.yaml` and `extensions.openapi.yaml` from the `spec/` folder.
    pub fn load(spec_dir: &Path) -> Result<Sources> {
        Ok(Sources {
            seed: load_document(&spec_dir.join("dokku-pro.openapi.yaml"))?,
            extensions: load_document(&spec_dir.join("extensions.openapi.yaml"))?,
        })
    }

    /// The files the generator reads, for `cargo:rerun-if-changed`.
    pub fn input_files(spec_dir: &Path) -> Vec<std::path::PathBuf> {
        vec![spec_dir.join("dokku-pro.openapi.yaml"), spec_dir.join("extensions.openapi.yaml")]
    }
}

/// The merged source document (seed plus extensions) as JSON, with every operation of the
/// extensions marked `x-dokku-extension: true`. The served document is post-processed from it.
pub fn source_document_json(sources: &Sources) -> Result<String> {
    let merged = merged_document(sources)?;
    Ok(serde_json::to_string_pretty(&merged)?)
}

fn merged_document(sources: &Sources) -> Result<Value> {
    let mut seed = serde_json::to_value(&sources.seed)?;
    let ext = serde_json::to_value(&sources.extensions)?;
    let seed_paths = seed["paths"].as_object_mut().ok_or_else(|| anyhow!("seed has no paths"))?;
    for (path, item) in ext["paths"].as_object().into_iter().flatten() {
        // An extension may add methods to a seed path (DELETE /queueJobs/{id}), never replace one.
        let target = seed_paths.entry(path.clone()).or_insert_with(|| Value::Object(Map::new()));
        let target =
            target.as_object_mut().ok_or_else(|| anyhow!("path item {path} is not an object"))?;
        for (method, op) in item.as_object().into_iter().flatten() {
            ensure!(
                !target.contains_key(method),
                "extension operation {} {path} is already in the seed",
                method.to_uppercase()
            );
            let mut op = op.clone();
            if let Some(op) = op.as_object_mut() {
                op.insert("x-dokku-extension".into(), Value::Bool(true));
            }
            target.insert(method.clone(), op);
        }
    }
    let seed_schemas = seed["components"]["schemas"]
        .as_object_mut()
        .ok_or_else(|| anyhow!("seed has no component schemas"))?;
    for (name, schema) in ext["components"]["schemas"].as_object().into_iter().flatten() {
        ensure!(!seed_schemas.contains_key(name), "extension schema {name} is already in the seed");
        seed_schemas.insert(name.clone(), schema.clone());
    }
    let seed_tags = seed["tags"].as_array_mut().ok_or_else(|| anyhow!("seed has no tags"))?;
    for tag in ext["tags"].as_array().into_iter().flatten() {
        seed_tags.push(tag.clone());
    }
    Ok(seed)
}

/// One operation, as the generator needs it.
struct Op<'a> {
    id: String,
    method: &'static str,
    path: String,
    op: &'a Operation,
    extension: bool,
}

fn operations<'a>(doc: &'a OpenAPI, extension: bool) -> Result<Vec<Op<'a>>> {
    let mut ops = Vec::new();
    for (path, item) in &doc.paths.paths {
        let item = item.as_item().ok_or_else(|| anyhow!("path item {path} is a reference"))?;
        ensure!(item.parameters.is_empty(), "path-level parameters on {path} are not supported");
        let methods = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in methods {
            let Some(op) = op else { continue };
            let id = op
                .operation_id
                .clone()
                .ok_or_else(|| anyhow!("{method} {path} has no operationId"))?;
            ops.push(Op { id, method, path: path.clone(), op, extension });
        }
    }
    Ok(ops)
}

/// Rust identifiers for operationIds and parameter names. The spec's acronyms are normalized
/// first so that `getSSHkeys` becomes `get_ssh_keys` (not `get_ss_hkeys`) and
/// `getHTTPAuthIPsForApp` becomes `get_http_auth_ips_for_app`.
fn normalize_acronyms(name: &str) -> String {
    // Order matters: the longer forms first.
    const ACRONYMS: &[(&str, &str)] = &[
        ("SSHkeys", "SshKeys"),
        ("SSH", "Ssh"),
        ("HTTP", "Http"),
        ("IPs", "Ips"),
        ("IP", "Ip"),
        ("ID", "Id"),
    ];
    let mut out = name.to_string();
    for (from, to) in ACRONYMS {
        out = out.replace(from, to);
    }
    out
}

pub fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in normalize_acronyms(name).chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '-' || c == ' ' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

pub fn pascal_case(name: &str) -> String {
    let snake = snake_case(name);
    snake
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut cs = p.chars();
            let first = cs.next().map(|c| c.to_ascii_uppercase()).into_iter();
            first.chain(cs).collect::<String>()
        })
        .collect()
}

/// Converts an OpenAPI 3.0 schema (as JSON) to the schemars form typify reads. The two are close
/// enough for this spec: the only OpenAPI-only keywords it uses are `example`, which typify
/// ignores, and `$ref` with siblings, which OpenAPI 3.0 says to ignore (we drop them).
fn to_schemars(value: &Value) -> Result<schemars::schema::Schema> {
    let mut value = value.clone();
    strip_ref_siblings(&mut value);
    serde_json::from_value(value).context("converting a schema for typify")
}

fn strip_ref_siblings(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.contains_key("$ref") {
                map.retain(|k, _| k == "$ref");
                return;
            }
            for v in map.values_mut() {
                strip_ref_siblings(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_ref_siblings),
        _ => {}
    }
}

fn json_schema_of_media(content: &openapiv3::Content) -> Result<Option<Value>> {
    match content.get("application/json") {
        Some(media) => match &media.schema {
            Some(schema) => Ok(Some(serde_json::to_value(schema)?)),
            None => Ok(None),
        },
        None if content.is_empty() => Ok(None),
        None => bail!("only application/json content is supported"),
    }
}

/// The success response of an operation: the one 2xx the spec gives it.
struct Success<'a> {
    code: u16,
    response: &'a Response,
}

fn success_of<'a>(op: &Op<'a>) -> Result<Success<'a>> {
    let mut found = None;
    for (code, resp) in &op.op.responses.responses {
        let StatusCode::Code(code) = code else {
            bail!("{}: range status codes are not supported", op.id)
        };
        if (200..300).contains(code) {
            ensure!(found.is_none(), "{}: more than one success response", op.id);
            let resp = resp
                .as_item()
                .ok_or_else(|| anyhow!("{}: referenced responses are not supported", op.id))?;
            found = Some(Success { code: *code, response: resp });
        }
    }
    found.ok_or_else(|| anyhow!("{} has no success response", op.id))
}

/// Where a parameter travels.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Location {
    Path,
    Query,
    Header,
}

fn parameters<'a>(op: &Op<'a>) -> Result<Vec<(Location, &'a openapiv3::ParameterData)>> {
    op.op
        .parameters
        .iter()
        .map(|p| {
            let p = p
                .as_item()
                .ok_or_else(|| anyhow!("{}: referenced parameters are not supported", op.id))?;
            Ok(match p {
                Parameter::Path { parameter_data, .. } => (Location::Path, parameter_data),
                Parameter::Query { parameter_data, .. } => (Location::Query, parameter_data),
                Parameter::Header { parameter_data, .. } => (Location::Header, parameter_data),
                Parameter::Cookie { .. } => {
                    bail!("{}: cookie parameters are not supported", op.id)
                }
            })
        })
        .collect()
}

fn param_schema(op: &Op<'_>, p: &openapiv3::ParameterData) -> Result<Value> {
    match &p.format {
        ParameterSchemaOrContent::Schema(s) => Ok(serde_json::to_value(s)?),
        ParameterSchemaOrContent::Content(_) => {
            bail!("{}: parameter {} uses content", op.id, p.name)
        }
    }
}

fn doc_attr(text: &str) -> TokenStream {
    let lines: Vec<TokenStream> = text
        .lines()
        .map(|l| {
            let l = format!(" {}", l.trim_end());
            quote!(#[doc = #l])
        })
        .collect();
    quote!(#(#lines)*)
}

/// The response header structs generated so far: name -> (item, `(header, description)`s).
type HeaderTypes = BTreeMap<String, (TokenStream, Vec<(String, String)>)>;

/// The dropshot response type of an operation's JSON (or empty) success response, with its
/// headers; registers the body and header types it needs.
fn typed_response(
    op: &Op<'_>,
    success: &Success<'_>,
    overrides: &BTreeMap<&str, &str>,
    types: &mut TypeSpace,
    header_types: &mut HeaderTypes,
    envelopes: &mut Vec<typify::TypeId>,
) -> Result<TokenStream> {
    let type_base = pascal_case(&op.id);
    let body_ty = match overrides.get(op.id.as_str()) {
        Some(path) => Some(syn::parse_str::<syn::Type>(path)?.into_token_stream()),
        None => match json_schema_of_media(&success.response.content)? {
            Some(mut schema) => {
                // Response envelopes always carry `data` (see the module docs).
                if schema.get("properties").and_then(|p| p.get("data")).is_some() {
                    schema["required"] = serde_json::json!(["data"]);
                }
                let id = types.add_type_with_name(
                    &to_schemars(&schema)?,
                    Some(format!("{type_base}Response")),
                )?;
                envelopes.push(id.clone());
                Some(types.get_type(&id)?.ident())
            }
            None => None,
        },
    };
    let base_response = match (success.code, &body_ty) {
        (200, Some(t)) => quote!(dropshot::HttpResponseOk<#t>),
        (201, Some(t)) => quote!(dropshot::HttpResponseCreated<#t>),
        (202, Some(t)) => quote!(dropshot::HttpResponseAccepted<#t>),
        (202, None) => quote!(crate::responses::HttpResponseAcceptedNoContent),
        (204, None) if op.method == "DELETE" => quote!(dropshot::HttpResponseDeleted),
        (204, None) => quote!(dropshot::HttpResponseUpdatedNoContent),
        (code, body) => {
            bail!("{}: unsupported success response {code} (body: {})", op.id, body.is_some())
        }
    };
    let response = if success.response.headers.is_empty() {
        base_response
    } else {
        let mut fields = Vec::new();
        let mut names = Vec::new();
        for (name, header) in &success.response.headers {
            let header = header.as_item().ok_or_else(|| anyhow!("{}: referenced header", op.id))?;
            let description = header.description.clone().unwrap_or_default();
            names.push((name.clone(), description));
        }
        let type_name =
            format!("{}Header", names.iter().map(|(n, _)| pascal_case(n)).collect::<String>());
        for (name, description) in &names {
            let field = format_ident!("{}", snake_case(name));
            let doc = doc_attr(description);
            fields.push(quote! {
                #doc
                #[serde(rename = #name)]
                pub #field: String,
            });
        }
        let ident = format_ident!("{}", type_name);
        let item = quote! {
            #[doc = " Response headers (the same set on every operation that uses this type)."]
            #[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
            pub struct #ident { #(#fields)* }
        };
        if let Some((_, existing)) = header_types.get(&type_name) {
            ensure!(
                existing == &names,
                "{}: header set {type_name} differs between operations",
                op.id
            );
        } else {
            header_types.insert(type_name.clone(), (item, names));
        }
        quote!(dropshot::HttpResponseHeaders<#base_response, headers::#ident>)
    };
    Ok(response)
}

/// The glue of envelopes that hold nothing but `data`, so that handlers need not name them: a
/// response envelope is `From` its data, a request body gives up its optional data through
/// `crate::body::RequestData`, and a list body (link and unlink) converts into its list.
fn envelope_impls(types: &TypeSpace, envelopes: &[typify::TypeId]) -> Result<Vec<TokenStream>> {
    let mut impls = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for id in envelopes {
        let ty = types.get_type(id)?;
        let typify::TypeDetails::Struct(details) = ty.details() else { continue };
        let props: Vec<_> = details.properties_info().collect();
        let [prop] = props.as_slice() else { continue };
        if prop.name != "data" {
            continue;
        }
        let envelope = ty.ident();
        if !seen.insert(envelope.to_string()) {
            continue;
        }
        let data_type = types.get_type(&prop.type_id)?;
        if prop.required {
            let data = data_type.ident();
            impls.push(quote! {
                impl From<#data> for #envelope {
                    fn from(data: #data) -> Self {
                        #envelope { data }
                    }
                }
            });
        } else if let typify::TypeDetails::Vec(_) = data_type.details() {
            let data = data_type.ident();
            impls.push(quote! {
                impl From<#envelope> for #data {
                    fn from(envelope: #envelope) -> Self {
                        envelope.data
                    }
                }
            });
        } else if let typify::TypeDetails::Option(inner) = data_type.details() {
            let data = types.get_type(&inner)?.ident();
            impls.push(quote! {
                impl crate::body::RequestData for #envelope {
                    type Data = #data;
                    fn into_data(self) -> Option<#data> {
                        self.data
                    }
                }
            });
        }
    }
    Ok(impls)
}

/// A constructor for every resource record of the spec (`{id, type, attributes}`, all optional,
/// `type` an enum of one value): `Domain::record(id, attributes)`. The `type` can only be that
/// one value, so the server never spells it, nor wraps the three fields in `Some`.
fn record_impls(types: &TypeSpace) -> Result<Vec<TokenStream>> {
    let mut impls = Vec::new();
    for ty in types.iter_types() {
        let typify::TypeDetails::Struct(details) = ty.details() else { continue };
        let mut fields = BTreeMap::new();
        for prop in details.properties_info() {
            let inner = match types.get_type(&prop.type_id)?.details() {
                typify::TypeDetails::Option(inner) => Some(types.get_type(&inner)?),
                _ => None,
            };
            fields.insert(prop.name, inner);
        }
        let fields: BTreeMap<_, _> = match fields.into_iter().map(|(k, v)| Some((k, v?))).collect()
        {
            Some(fields) => fields,
            None => continue,
        };
        let (Some(id), Some(kind), Some(attributes), 3) =
            (fields.get("id"), fields.get("type_"), fields.get("attributes"), fields.len())
        else {
            continue;
        };
        let typify::TypeDetails::String = id.details() else { continue };
        let typify::TypeDetails::Enum(values) = kind.details() else { continue };
        let variants: Vec<_> = values.variants().collect();
        let [(variant, typify::TypeEnumVariant::Simple)] = variants.as_slice() else { continue };
        let (record, kind, attributes) = (ty.ident(), kind.ident(), attributes.ident());
        let variant = format_ident!("{}", variant);
        impls.push(quote! {
            impl #record {
                /// The record of this id, its type the one the schema allows.
                pub fn record(id: impl Into<String>, attributes: #attributes) -> Self {
                    #record {
                        id: Some(id.into()),
                        type_: Some(#kind::#variant),
                        attributes: Some(attributes),
                    }
                }
            }
        });
    }
    Ok(impls)
}

/// Generates the Rust source of the contract: models, parameters, headers and the API trait.
pub fn generate(sources: &Sources, options: &Options) -> Result<String> {
    let merged = merged_document(sources)?;
    let mut ops = operations(&sources.seed, false)?;
    ops.extend(operations(&sources.extensions, true)?);
    let base = sources
        .seed
        .servers
        .first()
        .map(|s| s.url.trim_end_matches('/').to_string())
        .ok_or_else(|| anyhow!("the seed has no servers entry to take the base path from"))?;

    // --- models (typify) ---
    let mut settings = TypeSpaceSettings::default();
    settings
        .with_type_mod("models")
        .with_struct_builder(false)
        .with_derive("schemars::JsonSchema".to_string())
        .with_derive("PartialEq".to_string());
    let mut types = TypeSpace::new(&settings);
    let mut schemas = merged["components"]["schemas"].clone();
    for pointer in &options.example_defaults {
        let (parent, key) =
            pointer.rsplit_once('/').ok_or_else(|| anyhow!("bad pointer {pointer}"))?;
        let removed =
            schemas.pointer_mut(parent).and_then(Value::as_object_mut).and_then(|o| o.remove(key));
        ensure!(removed.is_some(), "example_defaults: {pointer} is not in the spec");
    }
    let components: Vec<(String, schemars::schema::Schema)> = schemas
        .as_object()
        .ok_or_else(|| anyhow!("no component schemas"))?
        .iter()
        .map(|(k, v)| Ok((k.clone(), to_schemars(v)?)))
        .collect::<Result<_>>()?;
    types.add_ref_types(components)?;

    let overrides: BTreeMap<&str, &str> =
        options.response_overrides.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let raw_responses: BTreeMap<&str, &str> =
        options.raw_responses.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    for id in overrides.keys().chain(raw_responses.keys()) {
        ensure!(ops.iter().any(|op| op.id == *id), "response override for unknown operation {id}");
    }

    let mut params_items = Vec::new();
    let mut header_types: HeaderTypes = BTreeMap::new();
    let mut envelopes: Vec<typify::TypeId> = Vec::new();
    let mut methods = Vec::new();
    let mut optional_body_ops: Vec<String> = Vec::new();
    let mut all_tags: BTreeMap<String, String> = BTreeMap::new();
    for tag in sources.seed.tags.iter().chain(sources.extensions.tags.iter()) {
        all_tags.insert(tag.name.clone(), tag.description.clone().unwrap_or_default());
    }

    for op in &ops {
        let type_base = pascal_case(&op.id);
        let fn_name = format_ident!("{}", snake_case(&op.id));
        let mut args = Vec::new();

        // Security -> the credential extractor. Verification is the server's job; the api crate only
        // knows which credentials an operation accepts.
        let security: Vec<Vec<String>> =
            op.op.security.iter().flatten().map(|req| req.keys().cloned().collect()).collect();
        let schemes: Vec<&str> = security.iter().flatten().map(String::as_str).collect();
        match schemes.as_slice() {
            [] => {}
            ["bearer_auth"] => args.push(quote!(auth: crate::auth::BearerAuth)),
            ["basic_auth", "bearer_auth"] => {
                args.push(quote!(auth: crate::auth::BasicOrBearerAuth))
            }
            other => bail!("{}: unsupported security {:?}", op.id, other),
        }

        // Path and query parameters -> one struct each.
        let params = parameters(op)?;
        let located = |want: Location| -> Vec<&openapiv3::ParameterData> {
            params.iter().filter(|(at, _)| *at == want).map(|(_, p)| *p).collect()
        };
        let (path_params, query_params) = (located(Location::Path), located(Location::Query));
        let header_params = located(Location::Header);
        if !path_params.is_empty() {
            let name = format_ident!("{}Path", type_base);
            let mut fields = Vec::new();
            for p in &path_params {
                let schema = param_schema(op, p)?;
                ensure!(
                    schema["type"] == "string",
                    "{}: path parameter {} is not a string",
                    op.id,
                    p.name
                );
                let field = format_ident!("{}", snake_case(&p.name));
                let rename = &p.name;
                let doc = doc_attr(p.description.as_deref().unwrap_or(""));
                fields.push(quote! {
                    #doc
                    #[serde(rename = #rename)]
                    pub #field: String,
                });
            }
            params_items.push(quote! {
                #[doc = concat!(" Path parameters of `", stringify!(#fn_name), "`.")]
                #[derive(Clone, Debug, serde::Deserialize, schemars::JsonSchema)]
                pub struct #name { #(#fields)* }
            });
            // The paths with one parameter, and among them those that name an app
            // (`/apps/{appId}/...`, `/httpAuths/{appId}`).
            if let [only] = path_params.as_slice() {
                let field = format_ident!("{}", snake_case(&only.name));
                params_items.push(quote! {
                    impl crate::body::PathParam for #name {
                        fn param(self) -> String {
                            self.#field
                        }
                    }
                });
                if only.name == "appId" {
                    params_items.push(quote!(impl crate::body::AppPath for #name {}));
                }
            }
            args.push(quote!(path: dropshot::Path<params::#name>));
        }
        if !query_params.is_empty() {
            let name = format_ident!("{}Query", type_base);
            let mut fields = Vec::new();
            let mut has_array = false;
            for p in &query_params {
                let schema = param_schema(op, p)?;
                let field = format_ident!("{}", snake_case(&p.name));
                let rename = &p.name;
                let doc = doc_attr(p.description.as_deref().unwrap_or(""));
                if schema["type"] == "array" {
                    has_array = true;
                    let item_name = format!("{}{}Item", type_base, pascal_case(&p.name));
                    let item_id = types
                        .add_type_with_name(&to_schemars(&schema["items"])?, Some(item_name))?;
                    let item_ty = types.get_type(&item_id)?.ident();
                    fields.push(quote! {
                        #doc
                        #[serde(rename = #rename, default, deserialize_with = "crate::qs::comma_separated")]
                        #[schemars(with = "Option<String>")]
                        pub #field: Option<Vec<#item_ty>>,
                    });
                } else {
                    ensure!(
                        schema["type"] == "string",
                        "{}: query parameter {} type",
                        op.id,
                        p.name
                    );
                    fields.push(quote! {
                        #doc
                        #[serde(rename = #rename)]
                        pub #field: Option<String>,
                    });
                }
            }
            params_items.push(quote! {
                #[doc = concat!(" Query parameters of `", stringify!(#fn_name), "`.")]
                #[derive(Clone, Debug, serde::Deserialize, schemars::JsonSchema)]
                pub struct #name { #(#fields)* }
            });
            if has_array {
                args.push(quote!(query: crate::qs::FormQuery<params::#name>));
            } else {
                args.push(quote!(query: dropshot::Query<params::#name>));
            }
        }
        if !header_params.is_empty() {
            let name = format_ident!("{}Headers", type_base);
            let mut fields = Vec::new();
            for p in &header_params {
                let schema = param_schema(op, p)?;
                ensure!(schema["type"] == "string", "{}: header {} type", op.id, p.name);
                let field = format_ident!("{}", snake_case(&p.name));
                let rename = &p.name;
                let doc = doc_attr(p.description.as_deref().unwrap_or(""));
                let ty = if p.required { quote!(String) } else { quote!(Option<String>) };
                fields.push(quote! {
                    #doc
                    #[serde(rename = #rename)]
                    pub #field: #ty,
                });
            }
            params_items.push(quote! {
                #[doc = concat!(" Header parameters of `", stringify!(#fn_name), "`.")]
                #[derive(Clone, Debug, serde::Deserialize, schemars::JsonSchema)]
                pub struct #name { #(#fields)* }
            });
            args.push(quote!(request_headers: dropshot::Header<params::#name>));
        }

        // Request body.
        if let Some(body) = &op.op.request_body {
            let body: &RequestBody = body
                .as_item()
                .ok_or_else(|| anyhow!("{}: referenced request bodies are not supported", op.id))?;
            let schema = json_schema_of_media(&body.content)?
                .ok_or_else(|| anyhow!("{}: request body without a JSON schema", op.id))?;
            let id = types
                .add_type_with_name(&to_schemars(&schema)?, Some(format!("{type_base}Body")))?;
            let ty = types.get_type(&id)?.ident();
            envelopes.push(id.clone());
            if body.required && !options.optional_bodies.contains(&op.id) {
                args.push(quote!(body: dropshot::TypedBody<#ty>));
            } else {
                args.push(quote!(body: crate::body::OptionalBody<#ty>));
                optional_body_ops.push(op.id.clone());
            }
        }

        // Success response.
        let success = success_of(op)?;
        let response = match raw_responses.get(op.id.as_str()) {
            Some(path) => {
                ensure!(
                    success.response.headers.is_empty(),
                    "{}: a raw response sets its own headers; the spec's cannot be generated",
                    op.id
                );
                syn::parse_str::<syn::Type>(path)?.into_token_stream()
            }
            None => typed_response(
                op,
                &success,
                &overrides,
                &mut types,
                &mut header_types,
                &mut envelopes,
            )?,
        };

        // The endpoint attribute and the doc comment.
        let method = format_ident!("{}", op.method);
        let full_path = format!("{base}{}", op.path);
        let op_id = &op.id;
        let tags = &op.op.tags;
        for t in tags {
            ensure!(all_tags.contains_key(t), "{}: tag {t} is not declared", op.id);
        }
        let mut doc_text = op.op.summary.clone().unwrap_or_default();
        if let Some(d) = &op.op.description {
            doc_text.push_str("\n\n");
            doc_text.push_str(d);
        }
        let doc = doc_attr(&doc_text);
        let signature = quote! {
            async fn #fn_name(
                rqctx: dropshot::RequestContext<Self::Context>,
                #(#args),*
            ) -> Result<#response, crate::error::ApiError>
        };
        let body = quote!(;);
        let extension_doc = if op.extension {
            quote!(#[doc = ""] #[doc = " (An extension of ours, described in `spec/extensions.openapi.yaml`.)"])
        } else {
            quote!()
        };
        methods.push(quote! {
            #doc
            #extension_doc
            #[endpoint { method = #method, path = #full_path, operation_id = #op_id, tags = [#(#tags),*] }]
            #signature #body
        });
    }

    // --- assemble ---
    let trait_ident = format_ident!("{}", TRAIT_NAME);
    let module = SUPPORT_MODULE;
    let tag_entries: Vec<TokenStream> = all_tags
        .iter()
        .map(|(name, description)| quote!(#name = { description = #description }))
        .collect();
    let models = types.to_stream();
    let envelope_impls = envelope_impls(&types, &envelopes)?;
    let record_impls = record_impls(&types)?;
    let header_items: Vec<&TokenStream> = header_types.values().map(|(item, _)| item).collect();
    let file = quote! {
        /// The spec's schemas and the request/response envelopes of its operations (typify).
        pub mod models {
            #models
        }

        #(#envelope_impls)*
        #(#record_impls)*

        /// Path and query parameters of the operations.
        pub mod params {
            #[allow(unused_imports)]
            use super::models;
            #(#params_items)*
        }

        /// Typed response headers.
        pub mod headers {
            #(#header_items)*
        }

        /// Facts about the operations that dropshot's rendered document cannot carry.
        pub mod operation_facts {
            /// Operations whose request body may be absent (dropshot documents every body as
            /// required; the served document is corrected from this list).
            pub const OPTIONAL_BODY: &[&str] = &[#(#optional_body_ops),*];
        }

        /// The Dokku Pro API: one method per operation of the seed spec, plus our extensions.
        #[dropshot::api_description {
            module = #module,
            tag_config = {
                allow_other_tags = false,
                policy = dropshot::EndpointTagPolicy::ExactlyOne,
                tags = { #(#tag_entries),* },
            },
        }]
        pub trait #trait_ident {
            /// The server's state, shared by all requests.
            type Context: dropshot::ServerContext;

            #(#methods)*
        }
    };
    let parsed: syn::File = syn::parse2(file).context("the generated code does not parse")?;
    let mut out = String::new();
    writeln!(
        out,
        "// @generated by dokku-codegen from spec/dokku-pro.openapi.yaml and spec/extensions.openapi.yaml."
    )?;
    writeln!(
        out,
        "// DO NOT EDIT: change the spec or xtask/codegen, then run `cargo xtask codegen`."
    )?;
    writeln!(out)?;
    out.push_str(&prettyplease::unparse(&parsed));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_acronyms() {
        assert_eq!(snake_case("getSSHkeys"), "get_ssh_keys");
        assert_eq!(snake_case("getHTTPAuthIPsForApp"), "get_http_auth_ips_for_app");
        assert_eq!(snake_case("deleteHTTPAuthIP"), "delete_http_auth_ip");
        assert_eq!(snake_case("getSSHKeyByFingerprintId"), "get_ssh_key_by_fingerprint_id");
        assert_eq!(snake_case("httpAuthIPId"), "http_auth_ip_id");
        assert_eq!(snake_case("appId"), "app_id");
        assert_eq!(snake_case("Content-Location"), "content_location");
        assert_eq!(pascal_case("getSSHkeys"), "GetSshKeys");
        assert_eq!(pascal_case("addApp"), "AddApp");
        assert_eq!(pascal_case("Content-Location"), "ContentLocation");
        assert_eq!(snake_case("Last-Event-ID"), "last_event_id");
        assert_eq!(snake_case("queueJobId"), "queue_job_id");
    }

    #[test]
    fn ref_siblings_are_dropped() {
        let mut v =
            serde_json::json!({"properties": {"limits": {"$ref": "#/x", "description": "d"}}});
        strip_ref_siblings(&mut v);
        assert_eq!(v, serde_json::json!({"properties": {"limits": {"$ref": "#/x"}}}));
    }
}
