//! Generic `:report` readers: the `Key: value` rows of the stdout form, and the JSON object of
//! `--format json` with its legacy `<plugin>-` prefixed keys.

use std::collections::BTreeMap;

use serde_json::Value;

use super::parse_error::{ParseError, ParseErrorKind};
use super::text::{content_lines, is_warning, non_empty, parse_bool_value};

/// The rows of one stdout report, in output order.
///
/// Layout: an optional `=====> <name> <type> information` header
/// (absent under `--quiet`), then `       Key words:<pad>value` rows. Go plugins pad the key;
/// bash plugins use `printf "%-30s %-25s"`, which also pads the *value* with trailing spaces.
/// Each row is split at its first `:` (values such as DSNs and images contain more) and both
/// halves are trimmed, never cut at column offsets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportRows {
    header: Option<String>,
    rows: Vec<(String, String)>,
}

impl ReportRows {
    /// The header text after `=====> `, e.g. `node-js-app app information`.
    pub fn header(&self) -> Option<&str> {
        self.header.as_deref()
    }

    /// The value of a row, matching the key ASCII-case-insensitively (the resource plugin does
    /// not upper-case the first letter, the others do). An empty value is `Some("")`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.rows.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }

    /// The value of a row, `None` when the row is absent or its value empty.
    pub fn get_non_empty(&self, key: &str) -> Option<String> {
        self.get(key).and_then(non_empty)
    }

    /// All rows as `(key, value)`, in output order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.rows.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Parses the stdout of one `:report` (or datastore `:info`) into its rows.
///
/// Errors: a second header or a repeated key (a report over several apps, or rows of two
/// reports without headers under `--quiet`), or a line without `:` or with an empty key.
/// `-----> ` lines and ` !     ` warnings (present only when streams were merged) are skipped.
pub fn parse_report_rows(what: &'static str, stdout: &str) -> Result<ReportRows, ParseError> {
    let mut report = ReportRows::default();
    for (line_no, line) in content_lines(stdout) {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("=====>") {
            if report.header.is_some() {
                return Err(ParseError::new(what, ParseErrorKind::MultipleReports));
            }
            report.header = Some(rest.trim().to_string());
            continue;
        }
        if trimmed.starts_with("----->") || is_warning(trimmed) {
            continue;
        }
        let Some((key, value)) = trimmed.split_once(':') else {
            return Err(ParseError::invalid_line(what, line_no, "a `Key: value` row"));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(ParseError::invalid_line(what, line_no, "a `Key: value` row"));
        }
        if report.get(key).is_some() {
            return Err(ParseError::duplicate_key(what, key));
        }
        report.rows.push((key.to_string(), value.trim().to_string()));
    }
    Ok(report)
}

/// One `:report <app> --format json` object, read with the key rule below.
///
/// Go plugins print `map[string]string`. From 0.38.8 every key appears twice, unprefixed and
/// with the legacy `<plugin>-` prefix; before 0.38.8 apps, builder, buildpacks, ps and scheduler
/// print only the prefixed form. [`get`](Self::get) prefers the unprefixed key and falls back to
/// the prefixed one. Booleans and numbers (which plugins might print one day) are read as their
/// JSON text; `null` counts as absent; arrays and objects are an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportJson {
    what: &'static str,
    prefix: String,
    values: BTreeMap<String, String>,
}

impl ReportJson {
    /// The value of `key`, else of `<plugin>-key`; `None` when neither is present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .or_else(|| self.values.get(&format!("{}{key}", self.prefix)))
            .map(String::as_str)
    }

    /// Like [`get`](Self::get), with an empty value (Dokku's "not set") as `None`.
    pub fn get_non_empty(&self, key: &str) -> Option<String> {
        self.get(key).and_then(non_empty)
    }

    /// Like [`get`](Self::get), but a missing key is an error.
    pub fn require(&self, key: &str) -> Result<&str, ParseError> {
        self.get(key).ok_or_else(|| ParseError::missing_key(self.what, key))
    }

    /// A `true`/`false` value that must be present.
    pub fn require_bool(&self, key: &str) -> Result<bool, ParseError> {
        parse_bool_value(self.what, key, self.require(key)?)
    }

    /// A `true`/`false` value; `None` when absent or empty.
    pub fn get_bool(&self, key: &str) -> Result<Option<bool>, ParseError> {
        match self.get(key) {
            Some(value) if !value.trim().is_empty() => {
                parse_bool_value(self.what, key, value).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Every key exactly as printed (prefixed twins included), sorted.
    pub fn raw(&self) -> &BTreeMap<String, String> {
        &self.values
    }

    /// The command this object came from, for errors raised by callers.
    pub fn what(&self) -> &'static str {
        self.what
    }
}

/// Parses one report JSON object; `plugin` is the legacy key prefix without its dash (`app`
/// for apps:report, `builder`, `buildpacks`, `scheduler`, `ps`, `resource`, `maintenance`, ...).
///
/// Several objects (the NDJSON of a report over all apps) are an error: always pass the app.
pub fn parse_report_json(
    what: &'static str,
    plugin: &str,
    stdout: &str,
) -> Result<ReportJson, ParseError> {
    let object = parse_json_object(what, stdout)?;
    let mut values = BTreeMap::new();
    for (key, value) in object {
        let text = match value {
            Value::String(s) => s,
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::Null => continue,
            Value::Array(_) | Value::Object(_) => {
                return Err(ParseError::invalid_value(what, &key, "a string"));
            }
        };
        values.insert(key, text);
    }
    Ok(ReportJson { what, prefix: format!("{plugin}-"), values })
}

/// A top-level JSON object; anything else (including empty output) is an error.
pub(crate) fn parse_json_object(
    what: &'static str,
    stdout: &str,
) -> Result<serde_json::Map<String, Value>, ParseError> {
    match parse_json_value(what, stdout)? {
        Value::Object(object) => Ok(object),
        _ => Err(ParseError::new(what, ParseErrorKind::JsonShape { expected: "an object" })),
    }
}

/// Any single JSON document; empty output is [`ParseErrorKind::Empty`], not a serde error.
pub(crate) fn parse_json_value(what: &'static str, stdout: &str) -> Result<Value, ParseError> {
    if stdout.trim().is_empty() {
        return Err(ParseError::empty(what));
    }
    serde_json::from_str(stdout).map_err(|err| ParseError::json(what, err))
}

/// A JSON array of `T`, where `null` (what Dokku's listings print when there is nothing) is the
/// empty list and any other shape is an error.
pub(crate) fn parse_json_list<T: serde::de::DeserializeOwned>(
    what: &'static str,
    stdout: &str,
) -> Result<Vec<T>, ParseError> {
    match parse_json_value(what, stdout)? {
        Value::Null => Ok(Vec::new()),
        value @ Value::Array(_) => {
            serde_json::from_value(value).map_err(|err| ParseError::json(what, err))
        }
        _ => Err(ParseError::new(what, ParseErrorKind::JsonShape { expected: "an array" })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APPS_REPORT: &str = "=====> node-js-app app information
       App created at:              1635126111
       App dir:                     /home/dokku/node-js-app
       App deploy source:           git
       App deploy source metadata:  cd7b8afccb202f222e7dc7b427553e71ba5ddafd
       App locked:                  false
";

    #[test]
    fn go_report_rows() {
        let report = parse_report_rows("apps:report", APPS_REPORT).unwrap();
        assert_eq!(report.header(), Some("node-js-app app information"));
        assert_eq!(report.len(), 5);
        assert_eq!(report.get("App dir"), Some("/home/dokku/node-js-app"));
        assert_eq!(report.get("app LOCKED"), Some("false"));
        let keys: Vec<&str> = report.iter().map(|(k, _)| k).collect();
        assert_eq!(keys[0], "App created at");
        assert_eq!(keys[4], "App locked");
    }

    #[test]
    fn bash_rows_with_trailing_spaces_and_empty_values() {
        let out = "=====> node-js-app http-auth information\n       \
                   Http auth enabled:             true                     \n       \
                   Http auth allowed ips:                                  \n       \
                   Http auth users:               root username            \n";
        let report = parse_report_rows("http-auth:report", out).unwrap();
        assert_eq!(report.get("Http auth enabled"), Some("true"));
        assert_eq!(report.get("Http auth allowed ips"), Some(""));
        assert_eq!(report.get_non_empty("Http auth allowed ips"), None);
        assert_eq!(report.get("Http auth users"), Some("root username"));
    }

    #[test]
    fn builder_docs_sample_with_uneven_padding() {
        let out = "=====> node-js-app builder information
       Builder build dir:          custom
       Builder computed build dir: custom
       Builder computed selected:  herokuish
       Builder global build dir:
       Builder global selected: herokuish
       Builder selected: herokuish
";
        let report = parse_report_rows("builder:report", out).unwrap();
        assert_eq!(report.get("Builder global build dir"), Some(""));
        assert_eq!(report.get("Builder selected"), Some("herokuish"));
    }

    #[test]
    fn values_keep_everything_after_the_first_colon() {
        let out = "       Dsn:                 postgres://postgres:pw@dokku-postgres-l:5432/l\n";
        let report = parse_report_rows("postgres:info", out).unwrap();
        assert_eq!(report.header(), None);
        assert_eq!(report.get("Dsn"), Some("postgres://postgres:pw@dokku-postgres-l:5432/l"));
    }

    #[test]
    fn empty_output_is_an_empty_report() {
        assert!(parse_report_rows("x", "").unwrap().is_empty());
        assert!(parse_report_rows("x", "\n \n").unwrap().is_empty());
    }

    #[test]
    fn several_reports_are_rejected() {
        let twice = format!("{APPS_REPORT}{APPS_REPORT}");
        let err = parse_report_rows("apps:report", &twice).unwrap_err();
        assert!(matches!(err.kind, ParseErrorKind::MultipleReports));
        let quiet = "       App locked: false\n       App locked: true\n";
        let err = parse_report_rows("apps:report", quiet).unwrap_err();
        assert!(matches!(err.kind, ParseErrorKind::DuplicateKey { .. }));
    }

    #[test]
    fn lines_without_a_colon_are_rejected() {
        let err = parse_report_rows("x", "=====> a\n       no colon here\n").unwrap_err();
        assert!(matches!(err.kind, ParseErrorKind::InvalidLine { line: 2, .. }));
        let err = parse_report_rows("x", "   : value\n").unwrap_err();
        assert!(matches!(err.kind, ParseErrorKind::InvalidLine { line: 1, .. }));
    }

    #[test]
    fn json_prefers_the_unprefixed_key() {
        let json = r#"{"dir":"/new","app-dir":"/old","app-locked":"true"}"#;
        let report = parse_report_json("apps:report", "app", json).unwrap();
        assert_eq!(report.get("dir"), Some("/new"));
        assert_eq!(report.get("locked"), Some("true"));
        assert!(report.require_bool("locked").unwrap());
        assert_eq!(report.get("missing"), None);
        assert!(matches!(
            report.require("missing").unwrap_err().kind,
            ParseErrorKind::MissingKey { .. }
        ));
        assert_eq!(report.raw().len(), 3);
    }

    #[test]
    fn json_scalars_are_read_as_text_and_null_is_absent() {
        let json = r#"{"a":true,"b":3,"c":null,"d":""}"#;
        let report = parse_report_json("x", "p", json).unwrap();
        assert_eq!(report.get("a"), Some("true"));
        assert_eq!(report.get("b"), Some("3"));
        assert_eq!(report.get("c"), None);
        assert_eq!(report.get_non_empty("d"), None);
        assert_eq!(report.get_bool("d").unwrap(), None);
        assert_eq!(report.get_bool("a").unwrap(), Some(true));
    }

    #[test]
    fn json_malformed_inputs_are_errors() {
        for bad in ["", "[]", "{", "{\"a\":[1]}", "{}\n{}", "\"x\"", "null"] {
            assert!(parse_report_json("x", "p", bad).is_err(), "{bad:?}");
        }
        let err = parse_report_json("x", "p", r#"{"a":{"b":"c"}}"#).unwrap_err();
        assert!(matches!(err.kind, ParseErrorKind::InvalidValue { .. }));
        let report = parse_report_json("x", "p", r#"{"a":"maybe"}"#).unwrap();
        assert!(report.get_bool("a").is_err());
    }
}
