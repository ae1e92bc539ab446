//! `apps:list` (JSON and quiet text) and `apps:report --format json`.

use super::parse_error::ParseError;
use super::report::{ReportJson, parse_json_list, parse_report_json};
use super::text::parse_name_lines;

/// Parses `apps:list --format json` (0.38.21+): `["node-js-app","python-app"]`, `[]` when there
/// are none. `null` (a nil Go slice) is read as `[]` too.
pub fn parse_apps_list_json(stdout: &str) -> Result<Vec<String>, ParseError> {
    parse_json_list("apps:list --format json", stdout)
}

/// Parses `--quiet apps:list`: one name per line. With no apps stdout is empty (the warning
/// ` !     You haven't deployed any applications yet` goes to stderr, exit 0), giving `[]`. The
/// `=====> My Apps` header of the non-quiet form is skipped.
pub fn parse_apps_list_quiet(stdout: &str) -> Result<Vec<String>, ParseError> {
    parse_name_lines("apps:list", stdout)
}

/// `apps:report <app> --format json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppReport {
    /// The deploy-lock file exists (`apps:lock`). It stops no deploy: a build takes the lock
    /// itself and removes the file when it ends, so a rebuild unlocks the app.
    pub locked: bool,
    /// Creation time, seconds since the Unix epoch.
    pub created_at: Option<i64>,
    /// `git`, `git-sync`, `docker-image`, `tar`, ...; `None` before the first deploy.
    pub deploy_source: Option<String>,
    /// The commit or image behind `deploy_source`.
    pub deploy_source_metadata: Option<String>,
    /// The app directory, e.g. `/home/dokku/node-js-app`.
    pub dir: Option<String>,
}

const APP_REPORT: &str = "apps:report --format json";

/// Parses `apps:report <app> --format json`. Keys are read unprefixed (`locked`, 0.38.8+) or
/// with the legacy `app-` prefix (`app-locked`, 0.23.1+). `locked` must be present; empty
/// values of the other keys are `None`.
pub fn parse_app_report_json(stdout: &str) -> Result<AppReport, ParseError> {
    let report = parse_report_json(APP_REPORT, "app", stdout)?;
    Ok(AppReport {
        locked: report.require_bool("locked")?,
        created_at: parse_timestamp(&report, "created-at")?,
        deploy_source: report.get_non_empty("deploy-source"),
        deploy_source_metadata: report.get_non_empty("deploy-source-metadata"),
        dir: report.get_non_empty("dir"),
    })
}

fn parse_timestamp(report: &ReportJson, key: &str) -> Result<Option<i64>, ParseError> {
    match report.get_non_empty(key) {
        None => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| ParseError::invalid_value(report.what(), key, "a Unix timestamp")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::parse::parse_error::ParseErrorKind;

    #[test]
    fn list_json() {
        assert_eq!(
            parse_apps_list_json("[\"node-js-app\",\"python-app\"]\n").unwrap(),
            ["node-js-app", "python-app"]
        );
        assert!(parse_apps_list_json("[]\n").unwrap().is_empty());
        assert!(parse_apps_list_json("null\n").unwrap().is_empty());
    }

    #[test]
    fn list_json_malformed() {
        for bad in ["", "{}", "[1]", "[\"a\"", "[\"a\"]\n[\"b\"]", "=====> My Apps\na\n"] {
            assert!(parse_apps_list_json(bad).is_err(), "{bad:?}");
        }
        let err = parse_apps_list_json("{}").unwrap_err();
        assert!(matches!(err.kind, ParseErrorKind::JsonShape { .. }));
        let err = parse_apps_list_json("").unwrap_err();
        assert!(matches!(err.kind, ParseErrorKind::Empty));
    }

    #[test]
    fn list_quiet_and_plain() {
        assert_eq!(
            parse_apps_list_quiet("node-js-app\npython-app\n").unwrap(),
            ["node-js-app", "python-app"]
        );
        assert_eq!(
            parse_apps_list_quiet("=====> My Apps\nnode-js-app\npython-app\n").unwrap(),
            ["node-js-app", "python-app"]
        );
        assert!(parse_apps_list_quiet("").unwrap().is_empty());
        // Merged streams (a pty) put the empty-state warning on stdout.
        let merged = " !     You haven't deployed any applications yet\r\n";
        assert!(parse_apps_list_quiet(merged).unwrap().is_empty());
        assert!(parse_apps_list_quiet("a b\n").is_err());
    }

    #[test]
    fn report_new_keys_with_legacy_twins() {
        let json = r#"{"created-at":"1635126111","deploy-source":"git","deploy-source-metadata":"cd7b8afccb202f222e7dc7b427553e71ba5ddafd","dir":"/home/dokku/node-js-app","global-disable-autocreation":"","locked":"false","app-created-at":"1635126111","app-deploy-source":"git","app-deploy-source-metadata":"cd7b8afccb202f222e7dc7b427553e71ba5ddafd","app-dir":"/home/dokku/node-js-app","app-global-disable-autocreation":"","app-locked":"false"}"#;
        let report = parse_app_report_json(json).unwrap();
        assert_eq!(
            report,
            AppReport {
                locked: false,
                created_at: Some(1_635_126_111),
                deploy_source: Some("git".into()),
                deploy_source_metadata: Some("cd7b8afccb202f222e7dc7b427553e71ba5ddafd".into()),
                dir: Some("/home/dokku/node-js-app".into()),
            }
        );
    }

    #[test]
    fn report_legacy_keys_only() {
        let json = r#"{"app-created-at":"1635126111","app-deploy-source":"","app-deploy-source-metadata":"","app-dir":"/home/dokku/a","app-locked":"true"}"#;
        let report = parse_app_report_json(json).unwrap();
        assert!(report.locked);
        assert_eq!(report.deploy_source, None);
        assert_eq!(report.deploy_source_metadata, None);
        assert_eq!(report.dir.as_deref(), Some("/home/dokku/a"));
    }

    #[test]
    fn report_missing_and_malformed() {
        let err = parse_app_report_json(r#"{"dir":"/home/dokku/a"}"#).unwrap_err();
        assert!(matches!(err.kind, ParseErrorKind::MissingKey { ref key } if key == "locked"));
        assert!(parse_app_report_json(r#"{"locked":"yes"}"#).is_err());
        assert!(parse_app_report_json(r#"{"locked":"false","created-at":"yesterday"}"#).is_err());
        let minimal = parse_app_report_json(r#"{"locked":"false","created-at":""}"#).unwrap();
        assert_eq!(minimal.created_at, None);
        assert!(parse_app_report_json("").is_err());
        assert!(parse_app_report_json("{\"locked\":\"false\"}\n{\"locked\":\"true\"}").is_err());
    }
}
