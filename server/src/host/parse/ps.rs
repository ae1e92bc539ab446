//! Process scale (`ps:scale`) and deploy state (`ps:report --deployed`)

use serde::Deserialize;

use super::parse_error::{ParseError, ParseErrorKind};
use super::report::parse_json_value;
use super::text::{content_lines, is_header, is_warning, parse_bool_output};

/// The quantity of one process type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProcessScale {
    pub process_type: String,
    /// Dokku stores an `int32` and does not reject negative counts, so neither does this.
    pub quantity: i32,
}

const SCALE_JSON: &str = "ps:scale --format json";
const SCALE_TEXT: &str = "ps:scale";

/// Parses `ps:scale <app> --format json` (0.38.21+):
/// `[{"process_type":"web","quantity":1},...]` sorted by type, `[]` (or `null`) when none.
/// A repeated process type is an error.
pub fn parse_ps_scale_json(stdout: &str) -> Result<Vec<ProcessScale>, ParseError> {
    let value = parse_json_value(SCALE_JSON, stdout)?;
    let scales: Vec<ProcessScale> = match value {
        serde_json::Value::Null => return Ok(Vec::new()),
        value @ serde_json::Value::Array(_) => {
            serde_json::from_value(value).map_err(|err| ParseError::json(SCALE_JSON, err))?
        }
        _ => {
            return Err(ParseError::new(
                SCALE_JSON,
                ParseErrorKind::JsonShape { expected: "an array" },
            ));
        }
    };
    check_unique(SCALE_JSON, &scales)?;
    Ok(scales)
}

/// Parses `--quiet ps:scale <app>`: rows `<type>:<pad> <qty>` with the `<type>:` part padded to
/// 5 characters (`web:  4`, `beat: 0`), in output order. The non-quiet decoration
/// (`-----> Scaling for <app>`, `proctype: qty`, `--------: ---`) is skipped; no rows (an app
/// never deployed) gives `[]`.
pub fn parse_ps_scale_quiet(stdout: &str) -> Result<Vec<ProcessScale>, ParseError> {
    let mut scales = Vec::new();
    for (line_no, line) in content_lines(stdout) {
        if is_header(&line) || is_warning(&line) {
            continue;
        }
        let Some((process_type, quantity)) = line.split_once(':') else {
            return Err(ParseError::invalid_line(SCALE_TEXT, line_no, "a `type: quantity` row"));
        };
        let (process_type, quantity) = (process_type.trim(), quantity.trim());
        let is_table_head = (process_type == "proctype" && quantity == "qty")
            || (!process_type.is_empty() && process_type.chars().all(|c| c == '-'));
        if is_table_head {
            continue;
        }
        if process_type.is_empty() || process_type.contains(char::is_whitespace) {
            return Err(ParseError::invalid_line(SCALE_TEXT, line_no, "a `type: quantity` row"));
        }
        let Ok(quantity) = quantity.parse() else {
            return Err(ParseError::invalid_value(SCALE_TEXT, process_type, "an integer"));
        };
        scales.push(ProcessScale { process_type: process_type.to_string(), quantity });
    }
    check_unique(SCALE_TEXT, &scales)?;
    Ok(scales)
}

/// Parses `ps:report <app> --deployed`: `true` or `false`.
pub fn parse_ps_deployed(stdout: &str) -> Result<bool, ParseError> {
    parse_bool_output("ps:report --deployed", stdout)
}

fn check_unique(what: &'static str, scales: &[ProcessScale]) -> Result<(), ParseError> {
    for (index, scale) in scales.iter().enumerate() {
        if scales[..index].iter().any(|earlier| earlier.process_type == scale.process_type) {
            return Err(ParseError::duplicate_key(what, &scale.process_type));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scale(process_type: &str, quantity: i32) -> ProcessScale {
        ProcessScale { process_type: process_type.to_string(), quantity }
    }

    #[test]
    fn json_sample() {
        let out = r#"[{"process_type":"web","quantity":1},{"process_type":"worker","quantity":4}]"#;
        assert_eq!(parse_ps_scale_json(out).unwrap(), [scale("web", 1), scale("worker", 4)]);
        assert!(parse_ps_scale_json("[]\n").unwrap().is_empty());
        assert!(parse_ps_scale_json("null").unwrap().is_empty());
    }

    #[test]
    fn json_malformed() {
        let cases = [
            "",
            "{}",
            r#"[{"process_type":"web"}]"#,
            r#"[{"process_type":"web","quantity":"1"}]"#,
            r#"[{"process_type":"web","quantity":1.5}]"#,
            r#"[{"process_type":"web","quantity":99999999999}]"#,
            r#"[{"process_type":"web","quantity":1},{"process_type":"web","quantity":2}]"#,
        ];
        for bad in cases {
            assert!(parse_ps_scale_json(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn quiet_test_sample() {
        assert_eq!(
            parse_ps_scale_quiet("beat: 0\nweb:  4\nworker: 1").unwrap(),
            [scale("beat", 0), scale("web", 4), scale("worker", 1)]
        );
    }

    #[test]
    fn quiet_after_deploy_lists_every_type() {
        let out = "cron: 0\ncustom: 0\nrelease: 0\nweb:  1\nworker: 0\n";
        let parsed = parse_ps_scale_quiet(out).unwrap();
        assert_eq!(parsed.len(), 5);
        assert_eq!(parsed[3], scale("web", 1));
    }

    #[test]
    fn non_quiet_docs_sample() {
        let out = "-----> Scaling for python\nproctype: qty\n--------: ---\nweb:  1\n";
        assert_eq!(parse_ps_scale_quiet(out).unwrap(), [scale("web", 1)]);
    }

    #[test]
    fn quiet_empty_and_malformed() {
        assert!(parse_ps_scale_quiet("").unwrap().is_empty());
        assert_eq!(parse_ps_scale_quiet("web: -1\n").unwrap(), [scale("web", -1)]);
        for bad in ["web 1\n", "web: one\n", ": 1\n", "my web: 1\n", "web: 1\nweb: 2\n"] {
            assert!(parse_ps_scale_quiet(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn deployed() {
        assert!(parse_ps_deployed("true\n").unwrap());
        assert!(!parse_ps_deployed("false\n").unwrap());
        assert!(parse_ps_deployed("").is_err());
        assert!(parse_ps_deployed("deployed\n").is_err());
    }
}
