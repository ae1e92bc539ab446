//! Typed identifiers, and the few values that travel with them: parse, don't validate.
//!
//! Every name or value a request gives the server (an app, a process type, a domain, an env key,
//! a service, a fingerprint, ...) is parsed once, where the request is unpacked, into one of these
//! types. Past that point the server holds a value that is known good, and every function that
//! builds a Dokku command takes the type, never a `&str`, so an unchecked string cannot reach
//! Dokku. The rules are Dokku's own, tightened where Dokku would accept something dangerous or
//! ambiguous (a value that reads as a flag, a path, a name its `sed` or `grep` would treat as a
//! pattern); `docs/dokku-commands.md` says which rule comes from where.
//!
//! A parse failure is an [`Invalid`] whose message says what is wrong and how to fix it; the app
//! layer answers it with a 400 before anything reaches Dokku.
//!
//! Each type's `parse` spells out its own check and message, even where several read alike
//! (non-empty, a length bound, no leading `-`, a character set): the bound and the set are each
//! a different plugin's rule (http-auth's `sed` patterns, sshcommand's `grep`, the datastores'
//! `is_valid_service_name`), or the API's own where Dokku checks nothing (a build directory),
//! and change with it; the message names exactly what that one type takes.

mod access;
mod app;
mod service;

use std::fmt;

pub(crate) use access::is_md5_fingerprint;
pub use access::{AllowedIp, Fingerprint, HttpAuthPassword, HttpAuthUsername, SshKeyName};
pub use app::{
    AppName, BuildDir, BuildpackUrl, DomainName, EnvKey, EnvValue, PluginSuffix, ProcessType,
    ResourceScope,
};
pub use service::{Datastore, OFFICIAL_DATASTORES, ServiceId, ServiceName, ServiceRef};

/// A client mistake, with the message to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}

/// A value shown back in an error message: quoted, control characters escaped, cut short.
pub fn quote(value: &str) -> String {
    let shown: String = value.chars().take(80).collect();
    let mut out = format!("{shown:?}");
    if value.chars().count() > 80 {
        out.push('…');
    }
    out
}

/// A field the request must carry (the seed marks nothing required; the operations do).
pub fn required<T>(value: Option<T>, field: &str) -> Result<T, Invalid> {
    value.ok_or_else(|| Invalid(format!("{field} is required")))
}

/// Splits a composite id `app:rest` at the first `:` (later parts may hold `:` themselves: a
/// buildpack URL, an IPv6 address), parsing the app part.
pub fn split_app_id<'a>(id: &'a str, what: &str) -> Result<(AppName, &'a str), Invalid> {
    match id.split_once(':') {
        Some((app, rest)) if !rest.is_empty() => Ok((AppName::parse(app)?, rest)),
        _ => Err(Invalid(format!("invalid {what} id {}: expected `app:{what}`", quote(id)))),
    }
}

/// A composite id `app:<part>`, split at the first `:` and parsed: the path parameter of every
/// per-app object (`app:KEY`, `app:example.com`, `app:https://…/x.git`, `app:::1`).
pub fn app_scoped<T>(
    id: &str,
    what: &str,
    parse: impl FnOnce(&str) -> Result<T, Invalid>,
) -> Result<(AppName, T), Invalid> {
    let (app, rest) = split_app_id(id, what)?;
    Ok((app, parse(rest)?))
}

/// The common surface of a text identifier: `as_str`, `Display`, `AsRef<str>`, comparison with
/// `str`. Construction stays with each type's parser.
macro_rules! text_id {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}
pub(crate) use text_id;

/// A value that must not appear in logs: `Debug` shows `<secret>`, and there is no `Display`.
/// It reads like `text_id!` but gives none of its plain-text access (`as_str`, `Display`,
/// `AsRef<str>`), so a secret cannot be formatted or passed on as text by accident.
macro_rules! secret_text {
    ($name:ident) => {
        impl $name {
            /// The value itself, for the one place that hands it to Dokku.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<secret>)"))
            }
        }
    };
}
pub(crate) use secret_text;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composite_ids_split_at_the_first_colon() {
        let (app, rest) = split_app_id("app:https://x/y.git#v1", "buildpack").unwrap();
        assert_eq!((app.as_str(), rest), ("app", "https://x/y.git#v1"));
        let (app, rest) = split_app_id("app:::1", "ip").unwrap();
        assert_eq!((app.as_str(), rest), ("app", "::1"));
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
    fn secrets_never_show() {
        let password = HttpAuthPassword::parse("hunter2").unwrap();
        assert!(!format!("{password:?}").contains("hunter2"));
        let value = EnvValue::parse("s3cret").unwrap();
        assert!(!format!("{value:?}").contains("s3cret"));
    }
}
