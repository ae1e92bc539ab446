//! An app's environment, from `config:export`, `config:get` and `config:keys`.
//!
//! Values are secrets: these parsers check shapes by hand rather than through serde's typed
//! errors, whose messages can quote the offending value.

use std::collections::BTreeMap;

use serde_json::Value;

use super::parse_error::{ParseError, ParseErrorKind};
use super::report::parse_json_value;
use super::text::parse_name_lines;

const EXPORT_JSON: &str = "config:export --format json";
const EXPORT_JSON_LIST: &str = "config:export --format json-list";

/// Parses `config:export --format json <app>`: `{"KEY":"value",...}`, `{}` when empty (`null`
/// is accepted too). Values are exactly as stored: newlines, quotes, unicode, leading dashes.
pub fn parse_config_export_json(stdout: &str) -> Result<BTreeMap<String, String>, ParseError> {
    let object = match parse_json_value(EXPORT_JSON, stdout)? {
        Value::Null => return Ok(BTreeMap::new()),
        Value::Object(object) => object,
        _ => return Err(shape(EXPORT_JSON, "an object")),
    };
    let mut env = BTreeMap::new();
    for (key, value) in object {
        let Value::String(value) = value else {
            return Err(ParseError::invalid_value(EXPORT_JSON, &key, "a string"));
        };
        env.insert(key, value);
    }
    Ok(env)
}

/// Parses `config:export --format json-list <app>`: `[{"name":"K","value":"v"},...]`, or
/// `null` on an empty env (a nil Go slice). A repeated name is an error.
pub fn parse_config_export_json_list(stdout: &str) -> Result<BTreeMap<String, String>, ParseError> {
    let items = match parse_json_value(EXPORT_JSON_LIST, stdout)? {
        Value::Null => return Ok(BTreeMap::new()),
        Value::Array(items) => items,
        _ => return Err(shape(EXPORT_JSON_LIST, "an array")),
    };
    let mut env = BTreeMap::new();
    for item in items {
        let Value::Object(mut item) = item else {
            return Err(shape(EXPORT_JSON_LIST, "an array of objects"));
        };
        let Some(Value::String(name)) = item.remove("name") else {
            return Err(ParseError::missing_key(EXPORT_JSON_LIST, "name"));
        };
        let Some(Value::String(value)) = item.remove("value") else {
            return Err(ParseError::invalid_value(EXPORT_JSON_LIST, &name, "a string"));
        };
        if env.contains_key(&name) {
            return Err(ParseError::duplicate_key(EXPORT_JSON_LIST, &name));
        }
        env.insert(name, value);
    }
    Ok(env)
}

/// Parses `config:get <app> KEY`: the raw value plus one newline, which is removed (only that
/// one: the value may itself end with newlines). Unset keys exit 1 with no output, so the exit
/// code, not this, tells "unset" from "empty".
pub fn parse_config_get(stdout: &str) -> String {
    stdout.strip_suffix('\n').unwrap_or(stdout).to_string()
}

/// Parses `config:keys <app>`: one key per line, in output order.
pub fn parse_config_keys(stdout: &str) -> Result<Vec<String>, ParseError> {
    parse_name_lines("config:keys", stdout)
}

fn shape(what: &'static str, expected: &'static str) -> ParseError {
    ParseError::new(what, ParseErrorKind::JsonShape { expected })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn export_json_test_sample() {
        let out = r#"{"BKEY":"true","aKey":"true","bKey":"true","zKey":"true"}"#;
        assert_eq!(
            parse_config_export_json(out).unwrap(),
            env(&[("BKEY", "true"), ("aKey", "true"), ("bKey", "true"), ("zKey", "true")])
        );
    }

    #[test]
    fn export_json_values_are_exact() {
        let out = r#"{"CERT":"line1\nline2\n","Q":"say \"hi\" 'x'","U":"héllo ✓ \u00e9","E":"","D":"--x=a=b","S":"  padded  "}"#;
        let parsed = parse_config_export_json(out).unwrap();
        assert_eq!(parsed["CERT"], "line1\nline2\n");
        assert_eq!(parsed["Q"], "say \"hi\" 'x'");
        assert_eq!(parsed["U"], "héllo ✓ é");
        assert_eq!(parsed["E"], "");
        assert_eq!(parsed["D"], "--x=a=b");
        assert_eq!(parsed["S"], "  padded  ");
    }

    #[test]
    fn export_json_empty_forms() {
        assert!(parse_config_export_json("{}\n").unwrap().is_empty());
        assert!(parse_config_export_json("null\n").unwrap().is_empty());
    }

    #[test]
    fn export_json_malformed_never_quotes_the_value() {
        let err = parse_config_export_json(r#"{"K":5}"#).unwrap_err();
        assert!(matches!(err.kind, ParseErrorKind::InvalidValue { .. }));
        for bad in ["", "[]", "\"x\"", "{\"K\":\"v\"", "{\"K\":\"v\"}{}", "{\"K\":null}"] {
            assert!(parse_config_export_json(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn export_json_list_test_sample() {
        let out = r#"[{"name":"BKEY","value":"true"},{"name":"aKey","value":"true"},{"name":"bKey","value":"true"},{"name":"zKey","value":"true"}]"#;
        assert_eq!(
            parse_config_export_json_list(out).unwrap(),
            env(&[("BKEY", "true"), ("aKey", "true"), ("bKey", "true"), ("zKey", "true")])
        );
    }

    #[test]
    fn export_json_list_empty_forms() {
        assert!(parse_config_export_json_list("null\n").unwrap().is_empty());
        assert!(parse_config_export_json_list("[]").unwrap().is_empty());
    }

    #[test]
    fn export_json_list_malformed() {
        let secret_string = parse_config_export_json_list(r#"["K=secret"]"#).unwrap_err();
        assert!(!secret_string.kind.to_string().contains("secret"));
        let cases = [
            ("", "empty"),
            ("{}", "object"),
            (r#"[{"value":"v"}]"#, "no name"),
            (r#"[{"name":"K"}]"#, "no value"),
            (r#"[{"name":"K","value":1}]"#, "number value"),
            (r#"[{"name":"K","value":"a"},{"name":"K","value":"b"}]"#, "duplicate"),
        ];
        for (bad, why) in cases {
            assert!(parse_config_export_json_list(bad).is_err(), "{why}");
        }
    }

    #[test]
    fn get_removes_exactly_one_newline() {
        assert_eq!(parse_config_get("value\n"), "value");
        assert_eq!(parse_config_get("a\nb\n\n"), "a\nb\n");
        assert_eq!(parse_config_get(""), "");
        assert_eq!(parse_config_get("  x  \n"), "  x  ");
    }

    #[test]
    fn keys() {
        assert_eq!(parse_config_keys("BKEY\naKey\n").unwrap(), ["BKEY", "aKey"]);
        assert!(parse_config_keys("").unwrap().is_empty());
        assert!(parse_config_keys("A B\n").is_err());
    }
}
