//! What names an app and its settings: the app, process types, domains, env keys and values,
//! buildpacks, build directories, builder and scheduler names.

use super::{Invalid, quote, secret_text, text_id};

/// An app's name.
///
/// Dokku checks new names against `^[a-z0-9][a-z0-9.-]*$` and nothing else; apps created before
/// Dokku 0.22 may also hold `_`. [`AppName::parse`] takes every name Dokku can have, so every
/// existing app can be read and deleted (names are at most 255 bytes: each is a directory under
/// Dokku's root). [`AppName::parse_new`] is what the API creates: Dokku's rule and at most 63
/// characters, since the name becomes a DNS label and part of container names. Neither can start
/// with `-`, so no name reads as a flag.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppName(String);
text_id!(AppName);

impl AppName {
    /// An app that may already exist on the host.
    pub fn parse(name: &str) -> Result<AppName, Invalid> {
        if app_name_ok(name, true) && name.len() <= 255 {
            Ok(AppName(name.to_string()))
        } else {
            Err(Invalid(format!(
                "invalid app name {}: use lowercase letters, digits, dots and hyphens, starting \
                 with a letter or digit",
                quote(name)
            )))
        }
    }

    /// A name for a new app.
    pub fn parse_new(name: &str) -> Result<AppName, Invalid> {
        if app_name_ok(name, false) && name.len() <= 63 {
            Ok(AppName(name.to_string()))
        } else {
            Err(Invalid(format!(
                "invalid app name {}: use up to 63 lowercase letters, digits, dots and hyphens, \
                 starting with a letter or digit",
                quote(name)
            )))
        }
    }
}

fn app_name_ok(name: &str, allow_underscore: bool) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| {
            c.is_ascii_lowercase()
                || c.is_ascii_digit()
                || c == '.'
                || c == '-'
                || (allow_underscore && c == '_')
        })
}

/// Whether `name` is a DNS label (at most 63 lowercase letters, digits and `-`, starting and
/// ending with a letter or digit): what Dokku requires of Procfile process types (procfile-util's
/// strict mode). The simulator keeps its own copy of the rule: it stands in for Dokku, whose check
/// must not lean on the API's.
fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// A Procfile process type: a DNS label. `build` is one too (the resource plugin's name for build
/// containers), which [`ProcessType::parse_scalable`] refuses.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcessType(String);
text_id!(ProcessType);

impl ProcessType {
    pub fn parse(name: &str) -> Result<ProcessType, Invalid> {
        if is_dns_label(name) {
            Ok(ProcessType(name.to_string()))
        } else {
            Err(Invalid(format!(
                "invalid process type {}: use up to 63 lowercase letters, digits and hyphens, \
                 starting and ending with a letter or digit",
                quote(name)
            )))
        }
    }

    /// A type that runs containers and can be scaled (not `build`).
    pub fn parse_scalable(name: &str) -> Result<ProcessType, Invalid> {
        if name == "build" {
            return Err(Invalid(
                "invalid process type \"build\": the name is reserved for build containers".into(),
            ));
        }
        ProcessType::parse(name)
    }
}

/// What a resource limit or reservation applies to: every process type of the app (Dokku's
/// `_default_`), or one type (`build` included: the build container).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceScope {
    AppWide,
    Type(ProcessType),
}

impl ResourceScope {
    /// Dokku's name for app-wide values.
    pub const APP_WIDE: &'static str = "_default_";

    pub fn parse(name: &str) -> Result<ResourceScope, Invalid> {
        if name == Self::APP_WIDE {
            return Ok(ResourceScope::AppWide);
        }
        ProcessType::parse(name).map(ResourceScope::Type).map_err(|_| {
            Invalid(format!(
                "invalid process type {}: use `_default_` (app-wide) or up to 63 lowercase \
                 letters, digits and hyphens, starting and ending with a letter or digit",
                quote(name)
            ))
        })
    }

    pub fn as_str(&self) -> &str {
        match self {
            ResourceScope::AppWide => Self::APP_WIDE,
            ResourceScope::Type(t) => t.as_str(),
        }
    }
}

impl std::fmt::Display for ResourceScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A domain name of an app, spelled as given (Dokku stores the spelling; names compare without
/// regard to case).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainName(String);
text_id!(DomainName);

impl DomainName {
    /// A domain to add. Dokku checks the lower-cased value against `^[a-z0-9.*-]*[a-z0-9*-]$`
    /// (or exactly `_`). On top of that: at most 253 characters; dot-separated labels of 1 to 63
    /// letters, digits and hyphens that neither start nor end with a hyphen (so no empty label,
    /// no leading or trailing dot, no value that reads as a flag); `*` only as a whole label,
    /// first or last (`*.example.com`, `www.example.*`: what nginx `server_name` means by a
    /// wildcard). `_` (nginx's catch-all name) and upper case are accepted, as Dokku does.
    pub fn parse_new(domain: &str) -> Result<DomainName, Invalid> {
        const LABEL_RULE: &str = "use dot-separated labels of 1 to 63 letters, digits and \
            hyphens, not starting or ending with a hyphen (a wildcard `*` may be the first or \
            last label)";
        let bad = |why: &str| Invalid(format!("invalid domain name {}: {why}", quote(domain)));
        if domain == "_" {
            return Ok(DomainName(domain.to_string()));
        }
        if domain.is_empty() {
            return Err(bad("it is empty"));
        }
        if domain.len() > 253 {
            return Err(bad("use at most 253 characters"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let last = labels.len() - 1;
        let wildcards = labels.iter().filter(|l| **l == "*").count();
        for (i, label) in labels.iter().enumerate() {
            if *label == "*" {
                if (i != 0 && i != last) || labels.len() == 1 || wildcards > 1 {
                    return Err(bad("a wildcard `*` must be the whole first or last label, once"));
                }
                continue;
            }
            let ok = !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-');
            if !ok {
                return Err(bad(LABEL_RULE));
            }
        }
        Ok(DomainName(domain.to_string()))
    }

    /// A domain an app may already have (added outside the API): Dokku's own rule, at most 253
    /// characters and not starting with `-`, so every domain Dokku lists can be deleted while
    /// nothing can pass for a flag.
    pub fn parse_existing(domain: &str) -> Result<DomainName, Invalid> {
        let lower = domain.to_ascii_lowercase();
        let allowed =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '*' || c == '-';
        let dokku_rule = lower == "_"
            || (lower.chars().last().is_some_and(allowed)
                && lower.chars().all(|c| allowed(c) || c == '.'));
        if dokku_rule && domain.len() <= 253 && !domain.starts_with('-') {
            Ok(DomainName(domain.to_string()))
        } else {
            DomainName::parse_new(domain)
        }
    }

    /// Whether two spellings name the same domain.
    pub fn same_as(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

/// An environment variable's name: Dokku's rule `^[a-zA-Z_][a-zA-Z0-9_]*$`, at most 256
/// characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EnvKey(String);
text_id!(EnvKey);

impl EnvKey {
    pub fn parse(key: &str) -> Result<EnvKey, Invalid> {
        let mut chars = key.chars();
        let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && key.len() <= 256;
        if ok {
            Ok(EnvKey(key.to_string()))
        } else {
            Err(Invalid(format!(
                "invalid environment variable name {}: use letters, digits and `_`, not starting \
                 with a digit",
                quote(key)
            )))
        }
    }
}

/// An environment variable's value: anything but a NUL byte (no process environment can hold
/// one), at most 64 KiB. A secret.
#[derive(Clone, PartialEq, Eq)]
pub struct EnvValue(String);
secret_text!(EnvValue);

impl EnvValue {
    pub fn parse(value: &str) -> Result<EnvValue, Invalid> {
        if value.contains('\0') {
            return Err(Invalid("an environment variable value cannot contain a NUL byte".into()));
        }
        if value.len() > 64 * 1024 {
            return Err(Invalid("an environment variable value must be at most 64 KiB".into()));
        }
        Ok(EnvValue(value.to_string()))
    }
}

/// A buildpack as Dokku takes it (`validBuildpackURL`): an `http(s)://` or `git://` URL,
/// `git@host:org/repo`, or the `org/name` shorthand; at most 512 characters, no whitespace,
/// control or shell characters, not starting with `-`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildpackUrl(String);
text_id!(BuildpackUrl);

impl BuildpackUrl {
    pub fn parse(value: &str) -> Result<BuildpackUrl, Invalid> {
        let bad = || {
            Invalid(format!(
                "invalid buildpack {}: use an http(s):// or git:// URL, git@host:org/repo, or \
                 org/name",
                quote(value)
            ))
        };
        if value.is_empty() || value.len() > 512 || value.starts_with('-') {
            return Err(bad());
        }
        if value.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, '\'' | '"' | '\\' | '`' | '$' | ';' | '|' | '<' | '>')
        }) {
            return Err(bad());
        }
        let url = ["http://", "https://", "git://"].iter().any(|s| {
            value.strip_prefix(s).is_some_and(|rest| {
                rest.split_once('/')
                    .is_some_and(|(host, path)| !host.is_empty() && !path.is_empty())
            })
        });
        let scp = value
            .strip_prefix("git@")
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(host, path)| !host.is_empty() && path.contains('/'));
        if url || scp || shorthand_parts(value).is_some() {
            Ok(BuildpackUrl(value.to_string()))
        } else {
            Err(bad())
        }
    }

    /// The value as Dokku stores it: it rewrites the shorthand `org/name` to
    /// `https://github.com/org/heroku-buildpack-name.git` (and `heroku-community` to `heroku`).
    pub fn stored_form(&self) -> String {
        match shorthand_parts(&self.0) {
            Some((org, name)) => {
                let org = if org == "heroku-community" { "heroku" } else { org };
                format!("https://github.com/{org}/heroku-buildpack-{name}.git")
            }
            None => self.0.clone(),
        }
    }
}

fn shorthand_parts(value: &str) -> Option<(&str, &str)> {
    let (org, name) = value.split_once('/')?;
    // Dokku's `^[\w-]+/[\w-]+$` (Go's `\w` is ASCII): no `.`, so no `../..` passes for one.
    let part_ok = |s: &str| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    };
    (part_ok(org) && part_ok(name)).then_some((org, name))
}

/// A build directory (`builder:set <app> build-dir`): a path relative to the app's repository, of
/// `/`-separated segments of letters, digits, `.`, `_` and `-`, no segment `.` or `..` or empty
/// (so no leading `/`, no `//`, no escape from the repository), not starting with `-`, at most
/// 255 characters. Dokku itself does not check the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildDir(String);
text_id!(BuildDir);

impl BuildDir {
    pub fn parse(dir: &str) -> Result<BuildDir, Invalid> {
        let ok = !dir.is_empty()
            && dir.len() <= 255
            && !dir.starts_with('-')
            && dir.split('/').all(|segment| {
                !segment.is_empty()
                    && segment != "."
                    && segment != ".."
                    && segment
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            });
        if ok {
            Ok(BuildDir(dir.to_string()))
        } else {
            Err(Invalid(format!(
                "invalid build directory {}: use a relative path inside the repository \
                 (segments of letters, digits, `.`, `_` and `-`, no `..`), at most 255 characters",
                quote(dir)
            )))
        }
    }
}

/// A builder or scheduler as the API names it: the part of the `builder-<name>` or
/// `scheduler-<name>` plugin's name after the prefix (`dockerfile`, `herokuish`, `pack`,
/// `docker-local`, `k3s`, ...). Plugin names are directory names, and every known one is
/// lowercase letters, digits, hyphens and underscores; Dokku does not check
/// `builder:set`/`scheduler:set` values at all, so this keeps paths, flags and spaces out and
/// bounds the length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginSuffix(String);
text_id!(PluginSuffix);

impl PluginSuffix {
    /// `what` names the family in the message (`builder`, `scheduler`).
    pub fn parse(name: &str, what: &str) -> Result<PluginSuffix, Invalid> {
        let mut chars = name.chars();
        let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
            && name.len() <= 63;
        if ok {
            Ok(PluginSuffix(name.to_string()))
        } else {
            Err(Invalid(format!(
                "invalid {what} name {}: use up to 63 lowercase letters, digits, hyphens and \
                 underscores, starting with a letter or digit",
                quote(name)
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_names_follow_dokku() {
        for ok in ["node-js-app", "a", "0app", "my.app.example.com"] {
            assert!(AppName::parse_new(ok).is_ok(), "{ok}");
        }
        for bad in
            ["", "App", "-app", ".app", "a_b", "a b", "a;b", "../x", "--force", &"a".repeat(64)]
        {
            assert!(AppName::parse_new(bad).is_err(), "{bad}");
        }
        assert!(AppName::parse("old_app").is_ok());
        // Dokku sets no length limit: an app made with the CLI may be longer than 63.
        assert!(AppName::parse(&"a".repeat(100)).is_ok());
        for bad in ["", "-x", "A", "a/b", "a:b", &"a".repeat(256)] {
            assert!(AppName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn process_types_are_dns_labels() {
        for ok in ["web", "worker", "a", "release", "cron-1", "build", &"a".repeat(63)] {
            assert!(ProcessType::parse(ok).is_ok(), "{ok}");
        }
        assert!(ProcessType::parse_scalable("build").is_err());
        assert!(ProcessType::parse_scalable("web").is_ok());
        for bad in ["", "Web", "-web", "web-", "we_b", "we b", "_default_", "a:b", &"a".repeat(64)]
        {
            assert!(ProcessType::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn resource_scopes_include_default_and_build() {
        assert_eq!(ResourceScope::parse("_default_").unwrap(), ResourceScope::AppWide);
        for ok in ["build", "web", "worker-2"] {
            assert_eq!(ResourceScope::parse(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "_x_", "Web", "-w", "a.b", "a:b"] {
            assert!(ResourceScope::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn domain_names_follow_dokku_with_limits() {
        let label63 = "a".repeat(63);
        let long = [label63.as_str(); 4].join("."); // 255 characters
        let ok_long = format!("{}.{}.{}.{}", label63, label63, label63, "a".repeat(61)); // 253
        for ok in [
            "example.com",
            "node-js-app.example.com",
            "Example.COM",
            "localhost",
            "127.0.0.1",
            "*.example.com",
            "www.example.*",
            "xn--bcher-kva.example",
            "_",
            &label63,
            &ok_long,
        ] {
            assert!(DomainName::parse_new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "example.com.",
            ".example.com",
            "a..b",
            "-example.com",
            "example-.com",
            "--force",
            "a b.com",
            "a_b.com",
            "a/b",
            "a:b",
            "a%2fb",
            "ex*ample.com",
            "www.*.com",
            "*",
            "*.*",
            "*.*.com",
            "é.com",
            "a\nb",
            &format!("{label63}a.com"),
            &long,
        ] {
            assert!(DomainName::parse_new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn existing_domains_follow_dokku_alone() {
        for ok in ["example.com", "a*b.com", "www.*.com", "x.y", "_", "A.B"] {
            assert!(DomainName::parse_existing(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-x.com", "a b", "a/b", "a:b", "a_b.com", "example.com.", "é.com"] {
            assert!(DomainName::parse_existing(bad).is_err(), "{bad:?}");
        }
        assert!(DomainName::parse_existing("a/b").unwrap_err().0.starts_with("invalid domain"));
        assert!(DomainName::parse_new("Example.com").unwrap().same_as("example.COM"));
    }

    #[test]
    fn env_keys_follow_dokku_and_values_take_anything_but_nul() {
        for ok in ["DATABASE_URL", "_x", "a1"] {
            assert!(EnvKey::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1A", "A-B", "A B", "A=B", "--force", "ü"] {
            assert!(EnvKey::parse(bad).is_err(), "{bad}");
        }
        assert!(EnvValue::parse("line1\nline2 'q' \"d\" $(x) `y` ✓").is_ok());
        assert!(EnvValue::parse("a\0b").is_err());
        assert!(EnvValue::parse(&"x".repeat(64 * 1024 + 1)).is_err());
    }

    #[test]
    fn buildpack_forms() {
        for ok in [
            "https://github.com/heroku/heroku-buildpack-nodejs.git",
            "https://github.com/heroku/heroku-buildpack-nodejs.git#v1.2.3",
            "git://example.com/x/y",
            "git@github.com:org/repo.git",
            "heroku/nodejs",
        ] {
            assert!(BuildpackUrl::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "nodejs",
            "/nodejs",
            "urn:cnb:x",
            "docker://x",
            "--index",
            "a b/c",
            "https://x/$(id)",
            "heroku/a;b",
            "../..",
            "heroku/..",
            "./x",
            "heroku/a.b",
        ] {
            assert!(BuildpackUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shorthands_expand_like_dokku() {
        let stored = |v: &str| BuildpackUrl::parse(v).unwrap().stored_form();
        assert_eq!(
            stored("heroku/nodejs"),
            "https://github.com/heroku/heroku-buildpack-nodejs.git"
        );
        assert_eq!(
            stored("heroku-community/apt"),
            "https://github.com/heroku/heroku-buildpack-apt.git"
        );
        assert_eq!(stored("https://x/y.git"), "https://x/y.git");
    }

    #[test]
    fn builder_and_scheduler_names() {
        for ok in ["dockerfile", "herokuish", "pack", "docker-local", "k3s", "null", "my_builder"] {
            assert!(PluginSuffix::parse(ok, "builder").is_ok(), "{ok}");
        }
        for bad in ["", "Pack", "-x", "_x", "a b", "a/b", "a:b", "a.b", "--global", &"a".repeat(64)]
        {
            assert!(PluginSuffix::parse(bad, "builder").is_err(), "{bad:?}");
        }
        assert!(
            PluginSuffix::parse("a/b", "scheduler").unwrap_err().0.starts_with("invalid scheduler")
        );
    }

    #[test]
    fn build_dirs_stay_inside_the_repository() {
        for ok in ["sub-dir", "apps/web", "a.b/c_d", "v1.2"] {
            assert!(BuildDir::parse(ok).is_ok(), "{ok}");
        }
        for bad in
            ["", "/abs", "a//b", "a/", "..", "a/../b", "./a", "-x", "a b", "a\\b", &"a".repeat(256)]
        {
            assert!(BuildDir::parse(bad).is_err(), "{bad:?}");
        }
    }
}
