//! An app's domains, from `domains:report`.

use super::parse_error::ParseError;
use super::report::parse_report_json;
use super::text::{parse_word_list, strip_ansi};

/// Parses `domains:report <app> --domains-app-vhosts`: one line, domains separated by spaces
/// (built from `~dokku/<app>/VHOST`); empty when there are none. Order is kept.
pub fn parse_domains_app_vhosts(stdout: &str) -> Vec<String> {
    parse_word_list(&strip_ansi(stdout))
}

/// `domains:report <app> --format json` (0.38.0+).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainsReport {
    /// `app-enabled`; `None` when absent or empty.
    pub app_enabled: Option<bool>,
    pub app_vhosts: Vec<String>,
    /// `global-enabled`; `None` when absent or empty.
    pub global_enabled: Option<bool>,
    pub global_vhosts: Vec<String>,
}

/// Parses `domains:report <app> --format json`: keys `app-enabled`, `app-vhosts`,
/// `global-enabled`, `global-vhosts` (no legacy twins are documented, but `domains-`-prefixed
/// keys are read as a fallback like every report). Vhost lists are whitespace separated.
pub fn parse_domains_report_json(stdout: &str) -> Result<DomainsReport, ParseError> {
    let report = parse_report_json("domains:report --format json", "domains", stdout)?;
    Ok(DomainsReport {
        app_enabled: report.get_bool("app-enabled")?,
        app_vhosts: report.get("app-vhosts").map(parse_word_list).unwrap_or_default(),
        global_enabled: report.get_bool("global-enabled")?,
        global_vhosts: report.get("global-vhosts").map(parse_word_list).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_vhosts_flag() {
        assert_eq!(
            parse_domains_app_vhosts("node-js-app.dokku.org www.example.com\n"),
            ["node-js-app.dokku.org", "www.example.com"]
        );
        assert!(parse_domains_app_vhosts("\n").is_empty());
        assert!(parse_domains_app_vhosts("").is_empty());
    }

    #[test]
    fn stdout_report_docs_sample_through_the_generic_rows() {
        let out = "=====> node-js-app domains information
       Domains app enabled: true
       Domains app vhosts:  node-js-app.dokku.org
       Domains global enabled: true
       Domains global vhosts: dokku.org
";
        let rows = super::super::report::parse_report_rows("domains:report", out).unwrap();
        assert_eq!(rows.get("Domains app enabled"), Some("true"));
        let vhosts = rows.get("Domains app vhosts").map(parse_word_list).unwrap_or_default();
        assert_eq!(vhosts, ["node-js-app.dokku.org"]);
    }

    #[test]
    fn report_json() {
        let json = r#"{"app-enabled":"true","app-vhosts":"node-js-app.dokku.org example.com","global-enabled":"true","global-vhosts":"dokku.org"}"#;
        assert_eq!(
            parse_domains_report_json(json).unwrap(),
            DomainsReport {
                app_enabled: Some(true),
                app_vhosts: vec!["node-js-app.dokku.org".into(), "example.com".into()],
                global_enabled: Some(true),
                global_vhosts: vec!["dokku.org".into()],
            }
        );
    }

    #[test]
    fn report_json_empty_and_missing() {
        let json = r#"{"app-enabled":"false","app-vhosts":""}"#;
        let report = parse_domains_report_json(json).unwrap();
        assert_eq!(report.app_enabled, Some(false));
        assert!(report.app_vhosts.is_empty());
        assert_eq!(report.global_enabled, None);
        assert!(report.global_vhosts.is_empty());
    }

    #[test]
    fn report_json_malformed() {
        for bad in ["", "[]", r#"{"app-enabled":"on"}"#, r#"{"app-vhosts":["a"]}"#] {
            assert!(parse_domains_report_json(bad).is_err(), "{bad:?}");
        }
    }
}
