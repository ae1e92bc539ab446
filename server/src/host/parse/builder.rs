//! `builder:report <app> --format json` → [`BuilderReport`].

use super::parse_error::ParseError;
use super::report::parse_report_json;

/// An app's builder settings; every empty value (Dokku's "not set") is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuilderReport {
    /// The app's own choice (`builder:set <app> selected`).
    pub selected: Option<String>,
    /// The global choice. Before 0.38.0 this already held defaults.
    pub global_selected: Option<String>,
    /// The app value, else the global one; `None` means auto-detection (no built-in default).
    pub computed_selected: Option<String>,
    pub build_dir: Option<String>,
    pub global_build_dir: Option<String>,
    pub computed_build_dir: Option<String>,
    /// The builder last auto-detected (read-only).
    pub detected: Option<String>,
}

/// Parses `builder:report <app> --format json`: unprefixed keys (0.38.8+) or the legacy
/// `builder-` ones. Every key may be missing (build-dir keys arrived in 0.25.0, `detected`
/// later); only the object shape is checked.
pub fn parse_builder_report_json(stdout: &str) -> Result<BuilderReport, ParseError> {
    let report = parse_report_json("builder:report --format json", "builder", stdout)?;
    Ok(BuilderReport {
        selected: report.get_non_empty("selected"),
        global_selected: report.get_non_empty("global-selected"),
        computed_selected: report.get_non_empty("computed-selected"),
        build_dir: report.get_non_empty("build-dir"),
        global_build_dir: report.get_non_empty("global-build-dir"),
        computed_build_dir: report.get_non_empty("computed-build-dir"),
        detected: report.get_non_empty("detected"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_keys_with_legacy_twins() {
        let json = r#"{"build-dir":"custom","computed-build-dir":"custom","computed-selected":"herokuish","detected":"","global-build-dir":"","global-selected":"herokuish","selected":"herokuish","builder-build-dir":"custom","builder-computed-build-dir":"custom","builder-computed-selected":"herokuish","builder-detected":"","builder-global-build-dir":"","builder-global-selected":"herokuish","builder-selected":"herokuish"}"#;
        assert_eq!(
            parse_builder_report_json(json).unwrap(),
            BuilderReport {
                selected: Some("herokuish".into()),
                global_selected: Some("herokuish".into()),
                computed_selected: Some("herokuish".into()),
                build_dir: Some("custom".into()),
                global_build_dir: None,
                computed_build_dir: Some("custom".into()),
                detected: None,
            }
        );
    }

    #[test]
    fn legacy_keys_only_and_missing_build_dir() {
        let json = r#"{"builder-selected":"dockerfile","builder-global-selected":"","builder-computed-selected":"dockerfile"}"#;
        let report = parse_builder_report_json(json).unwrap();
        assert_eq!(report.selected.as_deref(), Some("dockerfile"));
        assert_eq!(report.global_selected, None);
        assert_eq!(report.computed_selected.as_deref(), Some("dockerfile"));
        assert_eq!(report.build_dir, None);
        assert_eq!(report.computed_build_dir, None);
    }

    #[test]
    fn empty_values_are_none() {
        let json = r#"{"selected":"","global-selected":"","computed-selected":"","build-dir":""}"#;
        assert_eq!(parse_builder_report_json(json).unwrap(), BuilderReport::default());
    }

    #[test]
    fn malformed() {
        for bad in ["", "[]", "{", "=====> a builder information\n", r#"{"selected":["x"]}"#] {
            assert!(parse_builder_report_json(bad).is_err(), "{bad:?}");
        }
    }
}
