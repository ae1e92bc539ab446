//! `plugin:list` (JSON 0.38.22+ and the older text table) → [`Plugin`]s; the source of the
//! builder, scheduler and datastore listings.

use serde::Deserialize;
use serde_json::Value;

use super::parse_error::ParseError;
use super::report::parse_json_list;
use super::text::{content_lines, is_warning, non_empty};

/// One installed plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plugin {
    /// The installed name, which is also the command prefix (`postgres`, `builder-pack`).
    pub name: String,
    pub version: Option<String>,
    pub enabled: bool,
    /// Whether it ships with Dokku; `None` from the text form, which does not say.
    pub core: Option<bool>,
    pub description: Option<String>,
    pub source_url: Option<String>,
    pub committish: Option<String>,
    pub branch: Option<String>,
}

const LIST_JSON: &str = "plugin:list --format json";
const LIST_TEXT: &str = "plugin:list";

/// The JSON entry; `enabled`/`core` are read as booleans or `"true"`/`"false"` strings.
#[derive(Deserialize)]
struct PluginJson {
    name: String,
    #[serde(default)]
    version: Option<String>,
    enabled: Value,
    #[serde(default)]
    core: Option<Value>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    source_url: Option<String>,
    #[serde(default)]
    committish: Option<String>,
    #[serde(default)]
    branch: Option<String>,
}

/// Parses `plugin:list --format json`:
/// `[{"name":"postgres","version":"1.42.0","enabled":true,"core":false,"description":"…",
/// "source_url":"…","committish":"…","branch":"master"}]`. `name` and `enabled` are required;
/// empty strings are `None`; unknown fields are ignored.
pub fn parse_plugin_list_json(stdout: &str) -> Result<Vec<Plugin>, ParseError> {
    let entries: Vec<PluginJson> = parse_json_list(LIST_JSON, stdout)?;
    entries
        .into_iter()
        .map(|entry| {
            let enabled = json_bool(&entry.enabled)
                .ok_or_else(|| ParseError::invalid_value(LIST_JSON, "enabled", "a boolean"))?;
            let core = match &entry.core {
                None | Some(Value::Null) => None,
                Some(value) => Some(
                    json_bool(value)
                        .ok_or_else(|| ParseError::invalid_value(LIST_JSON, "core", "a boolean"))?,
                ),
            };
            let name = non_empty(&entry.name)
                .ok_or_else(|| ParseError::invalid_value(LIST_JSON, "name", "a plugin name"))?;
            Ok(Plugin {
                name,
                version: entry.version.as_deref().and_then(non_empty),
                enabled,
                core,
                description: entry.description.as_deref().and_then(non_empty),
                source_url: entry.source_url.as_deref().and_then(non_empty),
                committish: entry.committish.as_deref().and_then(non_empty),
                branch: entry.branch.as_deref().and_then(non_empty),
            })
        })
        .collect()
}

fn json_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// Parses the text `plugin:list` (before 0.38.22):
///
/// ```text
/// plugn: dev
///   00_dokku-standard    0.22.1 enabled    dokku core standard plugin
///   scheduler-docker-local 0.22.1 enabled    dokku core scheduler-docker-local plugin
/// ```
///
/// Columns are split on whitespace, not offsets (long names push the columns right). A row is
/// `name [version] enabled|disabled [description…]`; the description keeps its inner spacing.
/// The `plugn:` header line is skipped.
pub fn parse_plugin_list_text(stdout: &str) -> Result<Vec<Plugin>, ParseError> {
    let mut plugins = Vec::new();
    for (line_no, line) in content_lines(stdout) {
        let line = line.trim();
        if line.starts_with("plugn:") || is_warning(line) {
            continue;
        }
        let bad = || ParseError::invalid_line(LIST_TEXT, line_no, "a `name version status` row");
        let (name, rest) = next_token(line).ok_or_else(bad)?;
        let (second, rest) = next_token(rest).ok_or_else(bad)?;
        let (version, status, description) = match parse_status(second) {
            Some(enabled) => (None, enabled, rest),
            None => {
                let (third, rest) = next_token(rest).ok_or_else(bad)?;
                let enabled = parse_status(third).ok_or_else(bad)?;
                (Some(second.to_string()), enabled, rest)
            }
        };
        plugins.push(Plugin {
            name: name.to_string(),
            version,
            enabled: status,
            core: None,
            description: non_empty(description),
            source_url: None,
            committish: None,
            branch: None,
        });
    }
    Ok(plugins)
}

fn parse_status(word: &str) -> Option<bool> {
    match word {
        "enabled" => Some(true),
        "disabled" => Some(false),
        _ => None,
    }
}

/// The first whitespace-separated token and the rest of the line after it.
fn next_token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    if s.is_empty() {
        return None;
    }
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    Some((&s[..end], &s[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_docs_sample() {
        let out = r#"[{"name":"postgres","version":"1.42.0","enabled":true,"core":false,"description":"dokku postgres service plugin","source_url":"https://github.com/dokku/dokku-postgres.git","committish":"a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0","branch":"master"}]"#;
        assert_eq!(
            parse_plugin_list_json(out).unwrap(),
            [Plugin {
                name: "postgres".into(),
                version: Some("1.42.0".into()),
                enabled: true,
                core: Some(false),
                description: Some("dokku postgres service plugin".into()),
                source_url: Some("https://github.com/dokku/dokku-postgres.git".into()),
                committish: Some("a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0".into()),
                branch: Some("master".into()),
            }]
        );
    }

    #[test]
    fn json_core_plugin_with_missing_and_empty_fields() {
        let out = r#"[{"name":"builder-pack","version":"0.38.27","enabled":"true","core":true,"description":"","source_url":"","extra":1},{"name":"x","enabled":false}]"#;
        let plugins = parse_plugin_list_json(out).unwrap();
        assert_eq!(plugins[0].core, Some(true));
        assert!(plugins[0].enabled);
        assert_eq!(plugins[0].description, None);
        assert_eq!(plugins[0].source_url, None);
        assert_eq!(plugins[1].version, None);
        assert_eq!(plugins[1].core, None);
        assert!(!plugins[1].enabled);
        assert!(parse_plugin_list_json("[]").unwrap().is_empty());
    }

    #[test]
    fn json_malformed() {
        let cases = [
            "",
            "{}",
            r#"[{"enabled":true}]"#,
            r#"[{"name":"x"}]"#,
            r#"[{"name":"x","enabled":"yes"}]"#,
            r#"[{"name":"x","enabled":true,"core":1}]"#,
            r#"[{"name":"","enabled":true}]"#,
            "plugn: dev\n",
        ];
        for bad in cases {
            assert!(parse_plugin_list_json(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn text_docs_sample() {
        let out = "plugn: dev
  00_dokku-standard    0.22.1 enabled    dokku core standard plugin
  20_events            0.22.1 enabled    dokku core events logging plugin
  scheduler-docker-local 0.22.1 enabled    dokku core scheduler-docker-local plugin
  postgres             1.9.0 disabled   dokku postgres service plugin
";
        let plugins = parse_plugin_list_text(out).unwrap();
        assert_eq!(plugins.len(), 4);
        assert_eq!(
            plugins[0],
            Plugin {
                name: "00_dokku-standard".into(),
                version: Some("0.22.1".into()),
                enabled: true,
                core: None,
                description: Some("dokku core standard plugin".into()),
                source_url: None,
                committish: None,
                branch: None,
            }
        );
        assert_eq!(plugins[2].name, "scheduler-docker-local");
        assert_eq!(plugins[2].version.as_deref(), Some("0.22.1"));
        assert!(!plugins[3].enabled);
    }

    #[test]
    fn text_rows_without_version_or_description() {
        let out = "plugn: 0.3.0\n  custom enabled\n  other 1.0 disabled\n";
        let plugins = parse_plugin_list_text(out).unwrap();
        assert_eq!(plugins[0].version, None);
        assert!(plugins[0].enabled);
        assert_eq!(plugins[0].description, None);
        assert_eq!(plugins[1].version.as_deref(), Some("1.0"));
        assert!(parse_plugin_list_text("plugn: dev\n").unwrap().is_empty());
    }

    #[test]
    fn text_malformed() {
        for bad in ["lonely\n", "name 1.0 maybe desc\n", "name 1.0\n"] {
            assert!(parse_plugin_list_text(bad).is_err(), "{bad:?}");
        }
    }
}
