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
}
