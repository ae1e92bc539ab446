//! The Dokku version the simulated host claims, and the output-format gates that follow from it.
//!
//! Every gate cites the Dokku release that introduced the behaviour, so
//! a server talking to the sim with an older version knob walks its documented fallback path.
//! Gates are one small method per behaviour, even where two share a release: each names a
//! separate Dokku change, and call sites ask about the behaviour, not the version number.

use semver::Version;

#[derive(Clone, Debug)]
pub(crate) struct DokkuVersion {
    raw: String,
    parsed: Version,
}

impl DokkuVersion {
    pub(crate) fn parse(text: &str) -> Result<DokkuVersion, String> {
        let trimmed = text.trim();
        let bare = trimmed.strip_prefix('v').unwrap_or(trimmed);
        let parsed = Version::parse(bare).map_err(|e| {
            format!("invalid Dokku version {text:?} (want semver like 0.38.27): {e}")
        })?;
        Ok(DokkuVersion { raw: bare.to_string(), parsed })
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.raw
    }

    /// Pre-release suffixes are ignored: a `0.38.21-rc1` host already has what 0.38.21 has.
    pub(crate) fn at_least(&self, major: u64, minor: u64, patch: u64) -> bool {
        (self.parsed.major, self.parsed.minor, self.parsed.patch) >= (major, minor, patch)
    }

    /// `apps:list --format json` (#8795).
    pub(crate) fn apps_list_json(&self) -> bool {
        self.at_least(0, 38, 21)
    }

    /// `ps:scale <app> --format json` (#8796).
    pub(crate) fn ps_scale_json(&self) -> bool {
        self.at_least(0, 38, 21)
    }

    /// `plugin:list --format json` (#8801).
    pub(crate) fn plugin_list_json(&self) -> bool {
        self.at_least(0, 38, 22)
    }

    /// `domains:report --format json` and `--global` on every bash `:report` (0.38.0 guide).
    pub(crate) fn domains_json(&self) -> bool {
        self.at_least(0, 38, 0)
    }

    /// domains:report moved from bash to Go (Go row layout, comma-separated flag lists).
    pub(crate) fn domains_go(&self) -> bool {
        self.at_least(0, 38, 22)
    }

    /// `config:import` (#8085).
    pub(crate) fn config_import(&self) -> bool {
        self.at_least(0, 37, 0)
    }

    /// Go report JSON carries unprefixed keys plus the legacy `<plugin>-` twins (#8691); resource
    /// rows gain the plugin word.
    pub(crate) fn report_legacy_twins(&self) -> bool {
        self.at_least(0, 38, 8)
    }

    /// `<plugin>-global-<prop>` holds the raw stored value; before 0.38.0 it held the default.
    pub(crate) fn global_keys_raw(&self) -> bool {
        self.at_least(0, 38, 0)
    }

    /// `apps:report --format json` without an app fails with "You haven't deployed any
    /// applications yet" (exit 1) on a host without apps, instead of warning (fixed in 0.35.16).
    pub(crate) fn report_without_apps_fails(&self) -> bool {
        self.at_least(0, 34, 0) && !self.at_least(0, 35, 16)
    }

    /// The extended ps report (start-cmd, skip-deploy, computed restart policy ...).
    pub(crate) fn ps_report_extended(&self) -> bool {
        self.at_least(0, 38, 8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_semver_and_compares_numerically() {
        let v = DokkuVersion::parse("0.38.27").unwrap();
        assert!(v.at_least(0, 38, 21));
        assert!(v.at_least(0, 38, 27));
        assert!(!v.at_least(0, 38, 28));
        let old = DokkuVersion::parse("v0.38.9").unwrap();
        assert!(!old.at_least(0, 38, 10));
        assert_eq!(old.as_str(), "0.38.9");
        assert!(DokkuVersion::parse("0.38").is_err());
        assert!(DokkuVersion::parse("banana").is_err());
    }

    #[test]
    fn pre_release_counts_as_the_release() {
        let v = DokkuVersion::parse("0.38.21-rc1").unwrap();
        assert!(v.apps_list_json());
    }
}
