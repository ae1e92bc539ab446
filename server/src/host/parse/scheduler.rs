//! `scheduler:report <app> --format json` → [`SchedulerReport`].

use super::parse_error::ParseError;
use super::report::parse_report_json;

/// An app's scheduler settings; every empty value (Dokku's "not set") is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchedulerReport {
    /// The app's own choice (`scheduler:set <app> selected`).
    pub selected: Option<String>,
    /// The global choice: empty from 0.38.0 when unset, `docker-local` before.
    pub global_selected: Option<String>,
    /// The app value, else the global one, else `docker-local`.
    pub computed_selected: Option<String>,
}

/// Parses `scheduler:report <app> --format json`: unprefixed keys (0.38.8+) or the legacy
/// `scheduler-` ones (which the Dokku tests themselves read). Missing keys are `None`.
pub fn parse_scheduler_report_json(stdout: &str) -> Result<SchedulerReport, ParseError> {
    let report = parse_report_json("scheduler:report --format json", "scheduler", stdout)?;
    Ok(SchedulerReport {
        selected: report.get_non_empty("selected"),
        global_selected: report.get_non_empty("global-selected"),
        computed_selected: report.get_non_empty("computed-selected"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_keys_with_legacy_twins() {
        let json = r#"{"computed-selected":"docker-local","computed-shell":"/bin/bash","global-selected":"","global-shell":"","selected":"","shell":"","scheduler-computed-selected":"docker-local","scheduler-global-selected":"","scheduler-selected":""}"#;
        assert_eq!(
            parse_scheduler_report_json(json).unwrap(),
            SchedulerReport {
                selected: None,
                global_selected: None,
                computed_selected: Some("docker-local".into()),
            }
        );
    }

    #[test]
    fn legacy_keys_only_with_the_old_global_default() {
        let json = r#"{"scheduler-selected":"k3s","scheduler-global-selected":"docker-local","scheduler-computed-selected":"k3s"}"#;
        assert_eq!(
            parse_scheduler_report_json(json).unwrap(),
            SchedulerReport {
                selected: Some("k3s".into()),
                global_selected: Some("docker-local".into()),
                computed_selected: Some("k3s".into()),
            }
        );
    }

    #[test]
    fn stdout_report_docs_sample_through_the_generic_rows() {
        let out = "=====> node-js-app scheduler information
       Scheduler computed selected:  herokuish
       Scheduler global selected:
       Scheduler selected: herokuish
";
        let rows = super::super::report::parse_report_rows("scheduler:report", out).unwrap();
        assert_eq!(rows.get_non_empty("Scheduler computed selected").as_deref(), Some("herokuish"));
        assert_eq!(rows.get_non_empty("Scheduler global selected"), None);
    }

    #[test]
    fn missing_keys_and_malformed() {
        assert_eq!(parse_scheduler_report_json("{}").unwrap(), SchedulerReport::default());
        for bad in ["", "null", "{\"selected\":{}}", "{\"selected\":\"k3s\""] {
            assert!(parse_scheduler_report_json(bad).is_err(), "{bad:?}");
        }
    }
}
