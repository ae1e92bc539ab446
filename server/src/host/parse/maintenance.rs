//! `maintenance:report` of the dokku-maintenance plugin.

use super::parse_error::ParseError;
use super::report::parse_report_json;
use super::text::parse_bool_output;

/// An app's maintenance-mode state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaintenanceReport {
    pub enabled: bool,
    /// SHA-256 of the custom page (plugin 0.9.1+); `None` when none is set.
    pub custom_page_sha256: Option<String>,
}

/// Parses `maintenance:report <app> --format json` (plugin 0.9.0+):
/// `{"enabled":"false","custom-page-sha256":""}`, values as strings. `enabled` must be present
/// (`--global --format json` prints `{}`, which is not an app report).
pub fn parse_maintenance_report_json(stdout: &str) -> Result<MaintenanceReport, ParseError> {
    let report = parse_report_json("maintenance:report --format json", "maintenance", stdout)?;
    Ok(MaintenanceReport {
        enabled: report.require_bool("enabled")?,
        custom_page_sha256: report.get_non_empty("custom-page-sha256"),
    })
}

/// Parses `maintenance:report <app> --maintenance-enabled`: exactly `true` or `false`.
pub fn parse_maintenance_enabled(stdout: &str) -> Result<bool, ParseError> {
    parse_bool_output("maintenance:report --maintenance-enabled", stdout)
}

#[cfg(test)]
mod tests {
    use super::super::parse_error::ParseErrorKind;
    use super::*;

    #[test]
    fn json_sample() {
        assert_eq!(
            parse_maintenance_report_json(r#"{"enabled":"false","custom-page-sha256":""}"#)
                .unwrap(),
            MaintenanceReport { enabled: false, custom_page_sha256: None }
        );
        let sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let json = format!(r#"{{"enabled":"true","custom-page-sha256":"{sha}"}}"#);
        assert_eq!(
            parse_maintenance_report_json(&json).unwrap(),
            MaintenanceReport { enabled: true, custom_page_sha256: Some(sha.into()) }
        );
    }

    #[test]
    fn json_before_0_9_1_and_malformed() {
        let old = parse_maintenance_report_json(r#"{"enabled":"true"}"#).unwrap();
        assert_eq!(old, MaintenanceReport { enabled: true, custom_page_sha256: None });
        let err = parse_maintenance_report_json("{}").unwrap_err();
        assert!(matches!(err.kind, ParseErrorKind::MissingKey { .. }));
        for bad in ["", "[]", r#"{"enabled":"yes"}"#, r#"{"enabled":"true""#] {
            assert!(parse_maintenance_report_json(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn enabled_flag() {
        assert!(parse_maintenance_enabled("true\n").unwrap());
        assert!(!parse_maintenance_enabled("false\n").unwrap());
        assert!(parse_maintenance_enabled("").is_err());
    }
}
