//! Dokku versions and what each supports.
//!
//! The version is read once per host (`dokku version`) and decides, per command, whether the
//! JSON form exists or the documented fallback is used (`docs/dokku-commands.md`, "Versions"). Hosts older
//! than [`MINIMUM`] are refused at start.

pub use super::parse::DokkuVersion;

/// The oldest Dokku this server supports.
pub const MINIMUM: DokkuVersion = DokkuVersion::new(0, 34, 0);

/// What each version supports. (The type and its parser live in `parse::version`.)
impl DokkuVersion {
    /// `apps:list --format json`, `ps:scale --format json` (0.38.21).
    pub fn has_apps_and_scale_json(self) -> bool {
        self >= DokkuVersion::new(0, 38, 21)
    }

    /// `plugin:list --format json` (0.38.22).
    pub fn has_plugin_list_json(self) -> bool {
        self >= DokkuVersion::new(0, 38, 22)
    }

    /// `domains:report --format json` and `--global` on every report (0.38.0).
    pub fn has_domains_json(self) -> bool {
        self >= DokkuVersion::new(0, 38, 0)
    }

    /// `config:import --format json` from stdin (0.37.0).
    pub fn has_config_import(self) -> bool {
        self >= DokkuVersion::new(0, 37, 0)
    }

    /// Go-plugin reports emit unprefixed JSON keys (0.38.8); before, only `<plugin>-` keys.
    pub fn has_unprefixed_report_keys(self) -> bool {
        self >= DokkuVersion::new(0, 38, 8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gates_follow_the_documented_versions() {
        assert!(!DokkuVersion::new(0, 38, 20).has_apps_and_scale_json());
        assert!(DokkuVersion::new(0, 38, 21).has_apps_and_scale_json());
        assert!(!DokkuVersion::new(0, 36, 9).has_config_import());
        assert!(DokkuVersion::new(0, 37, 0).has_config_import());
        assert!(DokkuVersion::new(0, 38, 7) < DokkuVersion::new(0, 38, 8));
        assert!(MINIMUM > DokkuVersion::new(0, 33, 99));
    }
}
