//! The context one command runs in (state, output, version, global flags) and the checks every
//! Dokku command shares: app name validation and existence.

use crate::output::{Out, Stop};
use crate::state::{App, State};
use crate::version::DokkuVersion;

pub(crate) const MSG_NO_APP: &str = "Please specify an app to run the command on";
pub(crate) const MSG_BAD_NAME: &str = "App name must begin with lowercase alphanumeric character, and may only contain lowercase alphanumerics, dots, and hyphens";

pub(crate) struct Ctx<'a> {
    pub state: &'a mut State,
    pub out: Out,
    pub v: &'a DokkuVersion,
    /// Global `--force` (anywhere on the command line, as `parse_args` scans every argument).
    pub force: bool,
    /// Global `--app` (`DOKKU_APP_NAME`), for plugins that read it themselves.
    pub app_flag: Option<String>,
    pub stdin: Option<&'a [u8]>,
    /// Unix seconds, for `created-at`.
    pub now: u64,
}

impl Ctx<'_> {
    /// `VerifyAppName` / bash `verify_app_name`: a missing name, a name neither the current nor
    /// the legacy rule accepts (exit 1), or an app that does not exist (exit 20).
    pub(crate) fn verify_app(&mut self, name: Option<&str>) -> Result<String, Stop> {
        let name = match name {
            Some(name) if !name.is_empty() => name,
            _ => return Err(self.out.fail(MSG_NO_APP)),
        };
        if !is_valid_new_name(name) && !is_valid_legacy_name(name) {
            return Err(self.out.fail(MSG_BAD_NAME));
        }
        if !self.state.apps.contains_key(name) {
            return Err(self.out.fail_code(&format!("App {name} does not exist"), 20));
        }
        Ok(name.to_string())
    }

    /// The app, which `verify_app` has vouched for.
    pub(crate) fn app(&self, name: &str) -> &App {
        static EMPTY: std::sync::OnceLock<App> = std::sync::OnceLock::new();
        self.state.apps.get(name).unwrap_or_else(|| EMPTY.get_or_init(App::default))
    }

    pub(crate) fn app_mut(&mut self, name: &str) -> &mut App {
        self.state.apps.entry(name.to_string()).or_default()
    }

    /// Whether a config-style change restarts the app: deployed and not stopped (restore=false).
    pub(crate) fn restarts(&self, name: &str) -> bool {
        let app = self.app(name);
        app.deployed && app.ps.get("restore").map(String::as_str) != Some("false")
    }
}

/// `^[a-z0-9][a-z0-9.-]*$`: what `apps:create` accepts since 0.22.0.
pub(crate) fn is_valid_new_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
}

/// `^[a-z0-9][a-z0-9._-]*$`: apps created before underscores were banned still resolve.
pub(crate) fn is_valid_legacy_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-' || c == '_'
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules() {
        assert!(is_valid_new_name("node-js-app.example.com"));
        assert!(!is_valid_new_name("Foo"));
        assert!(!is_valid_new_name("-x"));
        assert!(!is_valid_new_name("a_b"));
        assert!(is_valid_legacy_name("a_b"));
        assert!(!is_valid_legacy_name("a/b"));
    }
}
