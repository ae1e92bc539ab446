//! Input validation shared by the app layer: every value is checked here before it becomes an
//! argument of a Dokku command, with a message that says what is wrong (dokku-host.md rules,
//! tightened where Dokku would accept something dangerous or ambiguous).

/// A client mistake, with the message to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

/// App names as Dokku accepts new ones (`^[a-z0-9][a-z0-9.-]*$`), at most 63 characters (it
/// becomes a DNS label and part of container names; Dokku itself sets no limit). Existing apps
/// with underscores (allowed before Dokku 0.22) still pass [`existing_app_name`].
pub fn app_name(name: &str) -> Result<(), Invalid> {
    check_app_name(name, false)
}

/// An app that may predate Dokku 0.22's ban on underscores.
pub fn existing_app_name(name: &str) -> Result<(), Invalid> {
    check_app_name(name, true)
}

fn check_app_name(name: &str, allow_underscore: bool) -> Result<(), Invalid> {
    let mut chars = name.chars();
    let first = chars.next();
    let ok = first.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| {
            c.is_ascii_lowercase()
                || c.is_ascii_digit()
                || c == '.'
                || c == '-'
                || (allow_underscore && c == '_')
        })
        && name.len() <= 63;
    if ok {
        Ok(())
    } else {
        Err(Invalid(format!(
            "invalid app name {}: use up to 63 lowercase letters, digits, dots and hyphens, starting with a letter or digit",
            quote(name)
        )))
    }
}

/// Splits a composite id `app:rest` at the first `:` (spec-notes.md: later parts may contain
/// `:` themselves), checking the app part.
pub fn split_app_id<'a>(id: &'a str, what: &str) -> Result<(&'a str, &'a str), Invalid> {
    match id.split_once(':') {
        Some((app, rest)) if !rest.is_empty() => {
            existing_app_name(app)?;
            Ok((app, rest))
        }
        _ => Err(Invalid(format!("invalid {what} id {}: expected `app:{what}`", quote(id)))),
    }
}

/// A field the request must carry (the seed marks nothing required, the operations do).
pub fn required<T>(value: Option<T>, field: &str) -> Result<T, Invalid> {
    value.ok_or_else(|| Invalid(format!("{field} is required")))
}

/// A domain name for an app (dokku-host.md §3.5). Dokku checks the lower-cased value against
/// `^[a-z0-9.*-]*[a-z0-9*-]$` (or exactly `_`) and stores the original case. On top of that:
/// at most 253 characters; dot-separated labels of 1 to 63 letters, digits and hyphens that
/// neither start nor end with a hyphen (so no empty label, no leading or trailing dot, no value
/// that reads as a flag); `*` only as a whole label, first or last (`*.example.com`,
/// `www.example.*`: what nginx `server_name` means by a wildcard). `_` (nginx's catch-all name)
/// is accepted as Dokku does. Upper case is accepted, as Dokku does.
pub fn domain_name(domain: &str) -> Result<(), Invalid> {
    const LABEL_RULE: &str = "use dot-separated labels of 1 to 63 letters, digits and hyphens, \
        not starting or ending with a hyphen (a wildcard `*` may be the first or last label)";
    let bad = |why: &str| Invalid(format!("invalid domain name {}: {why}", quote(domain)));
    if domain == "_" {
        return Ok(());
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
    Ok(())
}

/// A domain an app may already have (added outside the API): Dokku's own rule (lower-cased,
/// `^[a-z0-9.*-]*[a-z0-9*-]$`, or `_`), at most 253 characters and not starting with `-`, so
/// every domain Dokku lists can be deleted while nothing can pass for a flag.
pub fn existing_domain_name(domain: &str) -> Result<(), Invalid> {
    let lower = domain.to_ascii_lowercase();
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '*' || c == '-';
    let dokku_rule = lower == "_"
        || (lower.chars().last().is_some_and(allowed)
            && lower.chars().all(|c| allowed(c) || c == '.'));
    if dokku_rule && domain.len() <= 253 && !domain.starts_with('-') {
        Ok(())
    } else {
        domain_name(domain)
    }
}

/// A builder name as the API names it: the `builder-<name>` plugin without its prefix
/// (`dockerfile`, `herokuish`, `pack`, ...; dokku-host.md §3.2).
pub fn builder_name(name: &str) -> Result<(), Invalid> {
    plugin_suffix(name, "builder")
}

/// A scheduler name as the API names it: the `scheduler-<name>` plugin without its prefix
/// (`docker-local`, `k3s`, `null`, ...; dokku-host.md §3.11).
pub fn scheduler_name(name: &str) -> Result<(), Invalid> {
    plugin_suffix(name, "scheduler")
}

/// The part of a plugin's name after `builder-`/`scheduler-`: plugin names are directory
/// names, and every known one is lowercase letters, digits, hyphens and underscores. Dokku does
/// not validate `builder:set`/`scheduler:set` values at all; this keeps paths, flags and spaces
/// out, and bounds the length.
fn plugin_suffix(name: &str, what: &str) -> Result<(), Invalid> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && name.len() <= 63;
    if ok {
        Ok(())
    } else {
        Err(Invalid(format!(
            "invalid {what} name {}: use up to 63 lowercase letters, digits, hyphens and \
             underscores, starting with a letter or digit",
            quote(name)
        )))
    }
}

/// A build directory (`builder:set <app> build-dir`): a path relative to the app's repository,
/// of `/`-separated segments of letters, digits, `.`, `_` and `-`, no segment `.` or `..` or
/// empty (so no leading `/`, no `//`, no escape from the repository), not starting with `-`, at
/// most 255 characters. Dokku itself does not check the value.
pub fn build_dir(dir: &str) -> Result<(), Invalid> {
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
        Ok(())
    } else {
        Err(Invalid(format!(
            "invalid build directory {}: use a relative path inside the repository (segments of \
             letters, digits, `.`, `_` and `-`, no `..`), at most 255 characters",
            quote(dir)
        )))
    }
}

/// A value shown back in an error message: quoted, control characters escaped, cut short.
pub fn quote(value: &str) -> String {
    let shown: String = value.chars().take(80).collect();
    let mut out = format!("{shown:?}");
    if value.chars().count() > 80 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_names_follow_dokku() {
        for ok in ["node-js-app", "a", "0app", "my.app.example.com"] {
            assert!(app_name(ok).is_ok(), "{ok}");
        }
        for bad in
            ["", "App", "-app", ".app", "a_b", "a b", "a;b", "../x", "--force", &"a".repeat(64)]
        {
            assert!(app_name(bad).is_err(), "{bad}");
        }
        assert!(existing_app_name("old_app").is_ok());
    }

    #[test]
    fn composite_ids_split_at_the_first_colon() {
        assert_eq!(
            split_app_id("app:https://x/y.git#v1", "buildpack").unwrap(),
            ("app", "https://x/y.git#v1")
        );
        assert_eq!(split_app_id("app:::1", "ip").unwrap(), ("app", "::1"));
        assert!(split_app_id("app", "domain").is_err());
        assert!(split_app_id("app:", "domain").is_err());
        assert!(split_app_id("Bad:x", "domain").is_err());
    }

    #[test]
    fn quoting_escapes_and_truncates() {
        assert_eq!(quote("a\nb"), "\"a\\nb\"");
        assert!(quote(&"x".repeat(200)).ends_with('…'));
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
            assert!(domain_name(ok).is_ok(), "{ok}");
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
            "é.com",
            "a\nb",
            &format!("{label63}a.com"),
            &long,
        ] {
            assert!(domain_name(bad).is_err(), "{bad:?}");
        }
        assert!(domain_name("*.*.com").is_err());
    }

    #[test]
    fn existing_domains_follow_dokku_alone() {
        for ok in ["example.com", "a*b.com", "www.*.com", "x.y", "_", "A.B"] {
            assert!(existing_domain_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-x.com", "a b", "a/b", "a:b", "a_b.com", "example.com.", "é.com"] {
            assert!(existing_domain_name(bad).is_err(), "{bad:?}");
        }
        assert!(existing_domain_name("a/b").unwrap_err().0.starts_with("invalid domain name"));
    }

    #[test]
    fn builder_and_scheduler_names() {
        for ok in ["dockerfile", "herokuish", "pack", "docker-local", "k3s", "null", "my_builder"] {
            assert!(builder_name(ok).is_ok(), "{ok}");
            assert!(scheduler_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Pack", "-x", "_x", "a b", "a/b", "a:b", "a.b", "--global", &"a".repeat(64)]
        {
            assert!(builder_name(bad).is_err(), "{bad:?}");
            assert!(scheduler_name(bad).is_err(), "{bad:?}");
        }
        assert!(builder_name("a/b").unwrap_err().0.starts_with("invalid builder name"));
        assert!(scheduler_name("a/b").unwrap_err().0.starts_with("invalid scheduler name"));
    }

    #[test]
    fn build_dirs_stay_inside_the_repository() {
        for ok in ["sub-dir", "apps/web", "a.b/c_d", "v1.2"] {
            assert!(build_dir(ok).is_ok(), "{ok}");
        }
        for bad in
            ["", "/abs", "a//b", "a/", "..", "a/../b", "./a", "-x", "a b", "a\\b", &"a".repeat(256)]
        {
            assert!(build_dir(bad).is_err(), "{bad:?}");
        }
    }
}
