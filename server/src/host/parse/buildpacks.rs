//! An app's buildpack list, in order (position = index + 1), from `buildpacks:report` or
//! `buildpacks:list`.

use super::parse_error::ParseError;
use super::report::parse_report_json;
use super::text::{parse_comma_list, parse_name_lines, strip_ansi};

/// Parses `buildpacks:report <app> --format json`: key `list` (0.38.8+) or `buildpacks-list`,
/// comma separated; empty means no buildpacks. The key itself must be present.
pub fn parse_buildpacks_report_json(stdout: &str) -> Result<Vec<String>, ParseError> {
    let report = parse_report_json("buildpacks:report --format json", "buildpacks", stdout)?;
    Ok(parse_comma_list(report.require("list")?))
}

/// Parses `buildpacks:report <app> --buildpacks-list`: one comma-separated line, possibly empty.
pub fn parse_buildpacks_list_flag(stdout: &str) -> Vec<String> {
    parse_comma_list(&strip_ansi(stdout))
}

/// Parses `--quiet buildpacks:list <app>`: one URL per line, indented by 7 spaces (`LogVerbose`,
/// which `--quiet` keeps). The `-----> <app> buildpack urls` header of the non-quiet form is
/// skipped. A line with inner whitespace is an error: URLs have none.
pub fn parse_buildpacks_list_quiet(stdout: &str) -> Result<Vec<String>, ParseError> {
    parse_name_lines("buildpacks:list", stdout)
}

#[cfg(test)]
mod tests {
    use super::super::parse_error::ParseErrorKind;
    use super::*;

    const PY: &str = "https://github.com/heroku/heroku-buildpack-python.git";
    const NODE: &str = "https://github.com/heroku/heroku-buildpack-nodejs.git";

    #[test]
    fn report_json_new_and_legacy_keys() {
        let json =
            format!(r#"{{"list":"{PY},{NODE}","buildpacks-list":"{PY},{NODE}","stack":""}}"#);
        assert_eq!(parse_buildpacks_report_json(&json).unwrap(), [PY, NODE]);
        let legacy = format!(r#"{{"buildpacks-list":"{NODE}","buildpacks-stack":""}}"#);
        assert_eq!(parse_buildpacks_report_json(&legacy).unwrap(), [NODE]);
    }

    #[test]
    fn report_json_empty_list_and_missing_key() {
        let json = r#"{"list":"","buildpacks-list":""}"#;
        assert!(parse_buildpacks_report_json(json).unwrap().is_empty());
        let err = parse_buildpacks_report_json(r#"{"stack":""}"#).unwrap_err();
        assert!(matches!(err.kind, ParseErrorKind::MissingKey { .. }));
        assert!(parse_buildpacks_report_json("").is_err());
        assert!(parse_buildpacks_report_json("[\"x\"]").is_err());
    }

    #[test]
    fn list_flag() {
        assert_eq!(parse_buildpacks_list_flag(&format!("{PY},{NODE}\n")), [PY, NODE]);
        assert!(parse_buildpacks_list_flag("\n").is_empty());
    }

    #[test]
    fn quiet_list_docs_sample() {
        let out = format!("-----> test buildpack urls\n       {PY}\n       {NODE}\n");
        assert_eq!(parse_buildpacks_list_quiet(&out).unwrap(), [PY, NODE]);
        let quiet = format!("       {PY}\n       {NODE}   \n");
        assert_eq!(parse_buildpacks_list_quiet(&quiet).unwrap(), [PY, NODE]);
        assert!(parse_buildpacks_list_quiet("").unwrap().is_empty());
        assert!(parse_buildpacks_list_quiet("       a b\n").is_err());
    }
}
