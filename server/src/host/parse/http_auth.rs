//! `http-auth:report` of the dokku-http-auth plugin.
//!
//! The plugin's report is text only, with three rows (enabled, allowed ips, users): its source
//! (0.10.0, the version `plugin:install` of its git repository gives) builds exactly those in
//! `cmd-http-auth-report-single` and has no `--format` flag. Only the shipped source could be
//! read, not the plugin's history; no other row or form is known, so none is parsed.

use super::parse_error::ParseError;
use super::report::parse_report_rows;
use super::text::{parse_bool_output, parse_bool_value, parse_word_list};

/// An app's HTTP basic-auth state. Passwords are stored as hashes and cannot be read back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpAuthReport {
    /// Whether `nginx.conf.d/http-auth.conf` exists (which `add-allowed-ip` also creates).
    pub enabled: bool,
    pub allowed_ips: Vec<String>,
    pub users: Vec<String>,
}

const REPORT: &str = "http-auth:report";

/// Parses the full `http-auth:report <app>` stdout:
///
/// ```text
/// =====> node-js-app http-auth information
///        Http auth enabled:             true
///        Http auth allowed ips:         127.0.0.1
///        Http auth users:               root username
/// ```
///
/// Rows come from `printf "%-30s %-25s"`, so values carry trailing spaces, and an empty list is
/// an empty row. The `enabled` row must be present; absent list rows are empty lists. This is
/// also how users are listed, because `--http-auth-users` fails with ` !     not deployed`
/// (exit 1) when there are none.
pub fn parse_http_auth_report(stdout: &str) -> Result<HttpAuthReport, ParseError> {
    let rows = parse_report_rows(REPORT, stdout)?;
    let enabled = rows
        .get("Http auth enabled")
        .ok_or_else(|| ParseError::missing_key(REPORT, "Http auth enabled"))?;
    let list = |key: &str| rows.get(key).map(parse_word_list).unwrap_or_default();
    Ok(HttpAuthReport {
        enabled: parse_bool_value(REPORT, "Http auth enabled", enabled)?,
        allowed_ips: list("Http auth allowed ips"),
        users: list("Http auth users"),
    })
}

/// Parses `http-auth:report <app> --http-auth-enabled`: `true` or `false`.
pub fn parse_http_auth_enabled(stdout: &str) -> Result<bool, ParseError> {
    parse_bool_output("http-auth:report --http-auth-enabled", stdout)
}

#[cfg(test)]
mod tests {
    use super::super::parse_error::ParseErrorKind;
    use super::*;

    #[test]
    fn readme_sample() {
        let out = "=====> node-js-app http-auth information
       Http auth enabled:             true
       Http auth allowed ips:         127.0.0.1
       Http auth users:               root username
";
        assert_eq!(
            parse_http_auth_report(out).unwrap(),
            HttpAuthReport {
                enabled: true,
                allowed_ips: vec!["127.0.0.1".into()],
                users: vec!["root".into(), "username".into()],
            }
        );
    }

    #[test]
    fn printf_padding_and_empty_rows() {
        let out = format!(
            "=====> a http-auth information\n       {:<30} {:<25}\n       {:<30} {:<25}\n       \
             {:<30} {:<25}\n",
            "Http auth enabled:", "false", "Http auth allowed ips:", "", "Http auth users:", ""
        );
        assert!(out.contains(&format!("false{}\n", " ".repeat(20))));
        assert_eq!(
            parse_http_auth_report(&out).unwrap(),
            HttpAuthReport { enabled: false, allowed_ips: vec![], users: vec![] }
        );
    }

    #[test]
    fn missing_or_bad_enabled_row() {
        let err = parse_http_auth_report("       Http auth users: root\n").unwrap_err();
        assert!(matches!(err.kind, ParseErrorKind::MissingKey { .. }));
        assert!(parse_http_auth_report("").is_err());
        assert!(parse_http_auth_report("       Http auth enabled: maybe\n").is_err());
        assert!(parse_http_auth_report("=====> a\nnot a row\n").is_err());
    }

    #[test]
    fn enabled_flag() {
        assert!(parse_http_auth_enabled("true\n").unwrap());
        assert!(!parse_http_auth_enabled("false\n").unwrap());
        assert!(parse_http_auth_enabled(" !     not deployed\n").is_err());
    }
}
