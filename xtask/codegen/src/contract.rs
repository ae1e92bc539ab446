//! The contract check: the served OpenAPI document against the seed, operation by operation.
//!
//! [`compare`] lists every difference as one line, `<where>: <what>`. The allowlist
//! (`spec/contract-diff.txt`, parsed by [`Allowlist::parse`]) names each accepted difference, or a
//! family of them with `*` wildcards, and says why. [`Allowlist::check`] fails on a difference no
//! entry covers and on an entry that no longer matches anything, so the list can only shrink or
//! gain documented additions.
//!
//! Compared per operation: method and path, operationId, tags, security, parameters (name,
//! location, required, schema, style/explode), request body (presence, required, media types,
//! schema), every response code (description text excepted), its body schema and its headers.
//! Schemas are compared structurally after resolving `$ref`s in each document: type, enum,
//! properties, required, items, additionalProperties, default, nullable and numeric/length
//! bounds. Documentation-only keywords (description, example, title, format) are not compared.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Compares the served document with the seed.
pub fn compare(seed: &Value, served: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let cx = Docs { seed, served };
    if seed["servers"] != served["servers"] {
        out.push(format!("servers: seed {} served {}", seed["servers"], served["servers"]));
    }
    if seed["components"]["securitySchemes"] != served["components"]["securitySchemes"] {
        out.push("components.securitySchemes differ".to_string());
    }
    let served_tags: BTreeSet<&str> = served["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for tag in seed["tags"].as_array().into_iter().flatten() {
        if let Some(name) = tag["name"].as_str()
            && !served_tags.contains(name)
        {
            out.push(format!("tags: `{name}` missing"));
        }
    }

    let empty = Map::new();
    for (path, item) in seed["paths"].as_object().unwrap_or(&empty) {
        for method in METHODS {
            let Some(seed_op) = item.get(*method) else { continue };
            let id = seed_op["operationId"].as_str().unwrap_or("?").to_string();
            let Some(served_op) = served["paths"].get(path).and_then(|i| i.get(*method)) else {
                out.push(format!("{id}: {} {path} missing", method.to_uppercase()));
                continue;
            };
            cx.operation(&id, seed_op, served_op, &mut out);
        }
    }
    for (path, item) in served["paths"].as_object().unwrap_or(&empty) {
        for (method, op) in item.as_object().unwrap_or(&empty) {
            let in_seed = seed["paths"].get(path).and_then(|i| i.get(method)).is_some();
            if !in_seed && op.get("x-dokku-extension") != Some(&Value::Bool(true)) {
                out.push(format!(
                    "{}: {} {path} is served, not in the seed, and not marked x-dokku-extension",
                    op["operationId"].as_str().unwrap_or("?"),
                    method.to_uppercase()
                ));
            }
        }
    }
    out
}

struct Docs<'a> {
    seed: &'a Value,
    served: &'a Value,
}

/// Which document a schema lives in, for `$ref` resolution.
#[derive(Clone, Copy)]
enum Side {
    Seed,
    Served,
}

impl Docs<'_> {
    fn doc(&self, side: Side) -> &Value {
        match side {
            Side::Seed => self.seed,
            Side::Served => self.served,
        }
    }

    /// Follows `$ref`s (and single-element `allOf`, which is how schemars wraps a described
    /// reference) to the schema itself.
    fn resolve<'v>(&'v self, side: Side, mut schema: &'v Value) -> &'v Value {
        for _ in 0..32 {
            if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
                let Some(name) = r.strip_prefix("#/components/schemas/") else { return schema };
                schema = &self.doc(side)["components"]["schemas"][name];
            } else if let Some([only]) =
                schema.get("allOf").and_then(Value::as_array).map(Vec::as_slice)
            {
                schema = only;
            } else {
                return schema;
            }
        }
        schema
    }

    fn operation(&self, id: &str, seed: &Value, served: &Value, out: &mut Vec<String>) {
        if seed["operationId"] != served["operationId"] {
            out.push(format!("{id}: operationId served {}", served["operationId"]));
        }
        if seed["tags"] != served["tags"] {
            out.push(format!("{id}: tags seed {} served {}", seed["tags"], served["tags"]));
        }
        if seed.get("security") != served.get("security") {
            out.push(format!(
                "{id}: security seed {} served {}",
                seed.get("security").unwrap_or(&Value::Null),
                served.get("security").unwrap_or(&Value::Null)
            ));
        }
        self.parameters(id, seed, served, out);
        self.request_body(id, seed, served, out);
        self.responses(id, seed, served, out);
    }

    fn parameters(&self, id: &str, seed: &Value, served: &Value, out: &mut Vec<String>) {
        let list =
            |op: &Value| -> Vec<Value> { op["parameters"].as_array().cloned().unwrap_or_default() };
        let (seed_params, served_params) = (list(seed), list(served));
        let key = |p: &Value| {
            format!("{} `{}`", p["in"].as_str().unwrap_or("?"), p["name"].as_str().unwrap_or("?"))
        };
        for sp in &seed_params {
            let at = format!("{id}: parameter {}", key(sp));
            let Some(vp) =
                served_params.iter().find(|p| p["name"] == sp["name"] && p["in"] == sp["in"])
            else {
                out.push(format!("{at} missing"));
                continue;
            };
            let required = |p: &Value| p["required"].as_bool().unwrap_or(false);
            if required(sp) != required(vp) {
                out.push(format!("{at}: required seed {} served {}", required(sp), required(vp)));
            }
            let location = sp["in"].as_str().unwrap_or("");
            let default_style = if location == "query" { "form" } else { "simple" };
            let style = |p: &Value| p["style"].as_str().unwrap_or(default_style).to_string();
            let explode = |p: &Value| p["explode"].as_bool().unwrap_or(style(p) == "form");
            if style(sp) != style(vp) || explode(sp) != explode(vp) {
                out.push(format!(
                    "{at}: style/explode seed {}/{} served {}/{}",
                    style(sp),
                    explode(sp),
                    style(vp),
                    explode(vp)
                ));
            }
            self.schema(&format!("{at} schema"), &sp["schema"], &vp["schema"], out, 0);
        }
        for vp in &served_params {
            if !seed_params.iter().any(|p| p["name"] == vp["name"] && p["in"] == vp["in"]) {
                out.push(format!("{id}: parameter {} only in served", key(vp)));
            }
        }
    }

    fn request_body(&self, id: &str, seed: &Value, served: &Value, out: &mut Vec<String>) {
        match (seed.get("requestBody"), served.get("requestBody")) {
            (None, None) => {}
            (Some(_), None) => out.push(format!("{id}: request body missing")),
            (None, Some(_)) => out.push(format!("{id}: request body only in served")),
            (Some(s), Some(v)) => {
                let required = |b: &Value| b["required"].as_bool().unwrap_or(false);
                if required(s) != required(v) {
                    out.push(format!(
                        "{id}: request body required seed {} served {}",
                        required(s),
                        required(v)
                    ));
                }
                self.content(&format!("{id}: request body"), &s["content"], &v["content"], out);
            }
        }
    }

    fn content(&self, at: &str, seed: &Value, served: &Value, out: &mut Vec<String>) {
        let types = |c: &Value| -> BTreeSet<String> {
            c.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
        };
        if types(seed) != types(served) {
            out.push(format!(
                "{at}: media types seed {:?} served {:?}",
                types(seed),
                types(served)
            ));
        }
        for media in types(seed).intersection(&types(served)) {
            self.schema(
                &format!("{at} {media}"),
                &seed[media]["schema"],
                &served[media]["schema"],
                out,
                0,
            );
        }
    }

    fn responses(&self, id: &str, seed: &Value, served: &Value, out: &mut Vec<String>) {
        let empty = Map::new();
        let seed_responses = seed["responses"].as_object().unwrap_or(&empty);
        let served_responses = served["responses"].as_object().unwrap_or(&empty);
        for (code, sr) in seed_responses {
            let at = format!("{id}: response {code}");
            let Some(vr) = served_responses.get(code) else {
                out.push(format!("{at} missing"));
                continue;
            };
            match (sr.get("content"), vr.get("content")) {
                (None, None) => {}
                (Some(_), None) => out.push(format!("{at}: body missing")),
                (None, Some(_)) => out.push(format!("{at}: body only in served")),
                (Some(s), Some(v)) => self.content(&format!("{at} body"), s, v, out),
            }
            let headers = |r: &Value| -> BTreeSet<String> {
                r["headers"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
            };
            if headers(sr) != headers(vr) {
                out.push(format!("{at}: headers seed {:?} served {:?}", headers(sr), headers(vr)));
            }
            for h in headers(sr).intersection(&headers(vr)) {
                self.schema(
                    &format!("{at} header {h}"),
                    &sr["headers"][h]["schema"],
                    &vr["headers"][h]["schema"],
                    out,
                    0,
                );
            }
        }
        for code in served_responses.keys() {
            if !seed_responses.contains_key(code) {
                out.push(format!("{id}: response {code} only in served"));
            }
        }
    }

    fn schema(&self, at: &str, seed: &Value, served: &Value, out: &mut Vec<String>, depth: usize) {
        if depth > 16 {
            return;
        }
        let s = self.resolve(Side::Seed, seed);
        let v = self.resolve(Side::Served, served);
        for key in [
            "type",
            "enum",
            "default",
            "minimum",
            "maximum",
            "minLength",
            "maxLength",
            "minItems",
            "maxItems",
            "pattern",
        ] {
            if s.get(key) != v.get(key) {
                out.push(format!(
                    "{at}: {key} seed {} served {}",
                    s.get(key).map(Value::to_string).unwrap_or("absent".into()),
                    v.get(key).map(Value::to_string).unwrap_or("absent".into())
                ));
            }
        }
        let flag = |x: &Value, k: &str| x.get(k).and_then(Value::as_bool).unwrap_or(false);
        if flag(s, "nullable") != flag(v, "nullable") {
            out.push(format!(
                "{at}: nullable seed {} served {}",
                flag(s, "nullable"),
                flag(v, "nullable")
            ));
        }
        let required = |x: &Value| -> BTreeSet<String> {
            x["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_str().map(String::from))
                .collect()
        };
        let (sr, vr) = (required(s), required(v));
        if sr != vr {
            let only_served: Vec<_> = vr.difference(&sr).cloned().collect();
            let only_seed: Vec<_> = sr.difference(&vr).cloned().collect();
            out.push(format!(
                "{at}: required differs (only in seed: {only_seed:?}, only in served: {only_served:?})"
            ));
        }
        let additional =
            |x: &Value| x.get("additionalProperties").cloned().unwrap_or(Value::Bool(true));
        let (sa, va) = (additional(s), additional(v));
        match (&sa, &va) {
            (Value::Object(_), Value::Object(_)) => {
                self.schema(&format!("{at}{{*}}"), &sa, &va, out, depth + 1)
            }
            _ if sa != va => out.push(format!("{at}: additionalProperties seed {sa} served {va}")),
            _ => {}
        }
        let empty = Map::new();
        let sp = s["properties"].as_object().unwrap_or(&empty);
        let vp = v["properties"].as_object().unwrap_or(&empty);
        for (name, sub) in sp {
            match vp.get(name) {
                Some(vsub) => self.schema(&format!("{at}.{name}"), sub, vsub, out, depth + 1),
                None => out.push(format!("{at}.{name}: property missing")),
            }
        }
        for name in vp.keys() {
            if !sp.contains_key(name) {
                out.push(format!("{at}.{name}: property only in served"));
            }
        }
        match (s.get("items"), v.get("items")) {
            (Some(si), Some(vi)) => self.schema(&format!("{at}[]"), si, vi, out, depth + 1),
            (None, None) => {}
            (si, _) => out.push(format!(
                "{at}: items only in {}",
                if si.is_some() { "seed" } else { "served" }
            )),
        }
    }
}

/// One entry of `spec/contract-diff.txt`: a difference (or a `*` pattern of them) and why.
#[derive(Debug, Clone)]
pub struct Entry {
    pub pattern: String,
    pub why: String,
    pub line: usize,
}

/// The accepted differences.
#[derive(Debug, Default)]
pub struct Allowlist {
    pub entries: Vec<Entry>,
}

/// What [`Allowlist::check`] found.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// Differences no entry covers.
    pub unlisted: Vec<String>,
    /// Entries that match no difference any more.
    pub stale: Vec<Entry>,
    /// How many differences were covered.
    pub covered: usize,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.unlisted.is_empty() && self.stale.is_empty()
    }
}

impl Allowlist {
    /// Format: `#` starts a comment line; an unindented line is a difference pattern (`*` matches
    /// any text); the indented lines under a run of patterns say why, for each of them. A pattern
    /// without a reason is an error.
    pub fn parse(text: &str) -> Result<Allowlist, String> {
        let mut entries: Vec<Entry> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if line.starts_with(char::is_whitespace) {
                if entries.is_empty() {
                    return Err(format!("line {n}: a reason with no difference above it"));
                }
                // The reason belongs to the run of differences directly above it.
                let text = line.trim();
                let last_why = entries.last().map(|e| e.why.clone()).unwrap_or_default();
                for e in
                    entries.iter_mut().rev().take_while(|e| e.why.is_empty() || e.why == last_why)
                {
                    if !e.why.is_empty() {
                        e.why.push(' ');
                    }
                    e.why.push_str(text);
                }
            } else {
                entries.push(Entry {
                    pattern: line.trim_end().to_string(),
                    why: String::new(),
                    line: n,
                });
            }
        }
        if let Some(e) = entries.iter().find(|e| e.why.is_empty()) {
            return Err(format!(
                "line {}: `{}` has no reason (indent one under it)",
                e.line, e.pattern
            ));
        }
        Ok(Allowlist { entries })
    }

    pub fn check(&self, differences: &[String]) -> CheckReport {
        let mut report = CheckReport::default();
        let mut used = vec![false; self.entries.len()];
        for d in differences {
            let mut covered = false;
            for (i, e) in self.entries.iter().enumerate() {
                if wildcard_match(&e.pattern, d) {
                    used[i] = true;
                    covered = true;
                }
            }
            if covered {
                report.covered += 1;
            } else {
                report.unlisted.push(d.clone());
            }
        }
        report.stale =
            self.entries.iter().zip(used).filter(|(_, u)| !u).map(|(e, _)| e.clone()).collect();
        report
    }
}

/// `*` matches any run of characters (including none); everything else matches itself.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(pos) => rest = &rest[pos + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("a*c", "abc"));
        assert!(wildcard_match("a*c", "ac"));
        assert!(wildcard_match(
            "*: nullable*",
            "getApps: response 200: nullable seed false served true"
        ));
        assert!(!wildcard_match("a*c", "abd"));
        assert!(!wildcard_match("ab*ba", "aba"));
        assert!(wildcard_match("exact", "exact"));
    }

    #[test]
    fn allowlist_needs_reasons_and_goes_stale() {
        assert!(Allowlist::parse("x: y\n").is_err());
        let list = Allowlist::parse("# c\nx: *\n    because\nz\ny\n  why\n  twice\n").unwrap();
        assert_eq!(list.entries[1].why, "why twice");
        assert_eq!(list.entries[2].why, "why twice");
        assert_eq!(list.entries[0].why, "because");
        let report = list.check(&["x: 1".into(), "x: 2".into(), "w".into()]);
        assert_eq!(report.unlisted, vec!["w".to_string()]);
        assert_eq!(report.stale.len(), 2);
        assert_eq!(report.stale[0].pattern, "z");
        assert_eq!(report.covered, 2);
    }

    fn doc(op: Value, schemas: Value) -> Value {
        json!({"paths": {"/a": {"get": op}}, "components": {"schemas": schemas}})
    }

    #[test]
    fn finds_structural_differences_through_refs() {
        let seed = doc(
            json!({"operationId": "getA", "tags": ["t"], "responses": {"200": {"description": "ok",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}}),
            json!({"A": {"type": "object", "properties": {"x": {"type": "string"}, "y": {"type": "integer"}}}}),
        );
        let served = doc(
            json!({"operationId": "getA", "tags": ["t"], "responses": {"200": {"description": "fine",
                "content": {"application/json": {"schema": {"allOf": [{"$ref": "#/components/schemas/B"}]}}}},
                "401": {"description": "no"}}}),
            json!({"B": {"type": "object", "properties": {"x": {"type": "string", "nullable": true, "description": "d"}}}}),
        );
        let diffs = compare(&seed, &served);
        assert_eq!(
            diffs,
            vec![
                "getA: response 200 body application/json.x: nullable seed false served true",
                "getA: response 200 body application/json.y: property missing",
                "getA: response 401 only in served",
            ]
        );
        assert!(compare(&seed, &seed).is_empty());
    }

    #[test]
    fn missing_operations_and_unmarked_extras() {
        let seed = doc(json!({"operationId": "getA", "responses": {}}), json!({}));
        let served = json!({"paths": {"/b": {"get": {"operationId": "getB"}}}});
        let diffs = compare(&seed, &served);
        assert!(diffs.contains(&"getA: GET /a missing".to_string()));
        assert!(diffs.iter().any(|d| d.starts_with("getB: GET /b is served, not in the seed")));
    }
}
