//! An app's domains. A domain's id is `app:domain`, split at the first `:`.
//!
//! # Dokku invocations per operation
//!
//! | operation | calls | commands |
//! |---|---|---|
//! | `getDomainsForApp` | 1 | `domains:report <app> --format json` (0.38.0+; before: `domains:report <app> --domains-app-vhosts`) |
//! | `addDomain` | 2 | the listing above, then `domains:add <app> <domain>` |
//! | `deleteDomain` | 2 | the listing above, then `domains:remove <app> <domain>` (or `domains:set`, below) |
//!
//! # Where the API is stricter than Dokku
//!
//! * **Duplicates are 409.** `domains:add` of a domain already there prints "Skipping" and
//!   exits 0. The server reads the list first (under the app's lock) and answers 409; it also
//!   treats a "Skipping" from Dokku (a CLI user added it meanwhile) as 409. Domain names are
//!   case-insensitive, so `Example.com` duplicates `example.com`; the spelling sent is stored,
//!   as Dokku does.
//! * **Deleting an absent domain is 404**, where `domains:remove` exits 0 whatever it removed:
//!   a client that mistyped a domain learns it, and a retried delete says it is gone. The domain
//!   is matched case-insensitively (the stored spelling is removed).
//! * **Deleting removes exactly one domain.** Dokku removes with a `sed` regular expression, so
//!   in `a.example.com` the dots match any character and in `www.*` the `.*` matches anything.
//!   When the pattern would also match another of the app's domains, the server writes the
//!   remaining list with `domains:set <app> <rest...>` instead, which (like `domains:add`) also
//!   re-enables app vhosts if they were disabled.
//! * Domain names are parsed by [`DomainName::parse_new`] before anything reaches Dokku
//!   (stricter than Dokku: label lengths, no leading or trailing hyphen, `*` only as a whole
//!   first or last label). A delete accepts anything Dokku itself accepts
//!   ([`DomainName::parse_existing`]), so a domain added outside the API can be removed.

use dokku_pro_api::models::{Domain, DomainAttributes};

use super::{AppError, OpContext};
use crate::host::parse::{parse_domains_app_vhosts, parse_domains_report_json};
use crate::host::{DokkuCommand, HostError, LockKey};
use crate::ids::{AppName, DomainName, Invalid, quote, split_app_id};

fn domain(app: &AppName, name: &str) -> Domain {
    Domain::record(
        format!("{app}:{name}"),
        DomainAttributes { app_id: Some(app.to_string()), domain: Some(name.to_string()) },
    )
}

/// The app's domains in Dokku's order (exit 20 = 404).
async fn vhosts(opctx: &OpContext, app: &AppName) -> Result<Vec<String>, AppError> {
    let host = &opctx.host;
    if host.version().has_domains_json() {
        let cmd = DokkuCommand::new("domains:report").arg(app.as_str()).arg("--format").arg("json");
        Ok(host.query(&cmd, parse_domains_report_json).await?.app_vhosts)
    } else {
        let cmd = DokkuCommand::new("domains:report").arg(app.as_str()).arg("--domains-app-vhosts");
        Ok(host.query(&cmd, |s| Ok::<_, HostError>(parse_domains_app_vhosts(s))).await?)
    }
}

/// `getDomainsForApp`.
pub async fn get_domains_for_app(
    opctx: &OpContext,
    app: &AppName,
) -> Result<Vec<Domain>, AppError> {
    Ok(vhosts(opctx, app).await?.iter().map(|d| domain(app, d)).collect())
}

/// The app and domain a create body names: `attributes.app_id` and `attributes.domain`, or the
/// parts of `id` (`app:domain`); when both are given they must agree.
fn target(data: Domain) -> Result<(AppName, DomainName), Invalid> {
    let attributes = data.attributes.unwrap_or_default();
    let (id_app, id_domain) = match data.id.as_deref() {
        Some(id) => {
            let (app, name) = split_app_id(id, "domain")?;
            (Some(app.to_string()), Some(name.to_string()))
        }
        None => (None, None),
    };
    let pick = |attribute: Option<String>, from_id: Option<String>, field: &str| match (
        attribute, from_id,
    ) {
        (Some(a), Some(b)) if a != b => Err(Invalid(format!(
            "data.attributes.{field} {} does not match data.id {}",
            quote(&a),
            quote(data.id.as_deref().unwrap_or_default())
        ))),
        (Some(value), _) | (None, Some(value)) => Ok(value),
        (None, None) => Err(Invalid(format!("data.attributes.{field} (or data.id) is required"))),
    };
    let app = AppName::parse(&pick(attributes.app_id, id_app, "app_id")?)?;
    let name = DomainName::parse_new(&pick(attributes.domain, id_domain, "domain")?)?;
    Ok((app, name))
}

/// `addDomain`: adds one domain; 409 when the app already has it.
pub async fn add_domain(opctx: &OpContext, data: Domain) -> Result<Domain, AppError> {
    let (app, name) = target(data)?;
    let lock = opctx.host.lock(LockKey::App(app.clone())).await;
    let already = |existing: &str| {
        AppError::Conflict(format!("Domain {existing} is already added to app {app}"))
    };
    if let Some(existing) = vhosts(opctx, &app).await?.iter().find(|d| name.same_as(d)) {
        return Err(already(existing));
    }
    let out =
        lock.run(&DokkuCommand::new("domains:add").arg(app.as_str()).arg(name.as_str())).await?;
    // `-----> Skipping: <domain> already added to <app>`, exit 0: added meanwhile by someone else.
    if out.stdout.contains("Skipping:") {
        return Err(already(name.as_str()));
    }
    Ok(domain(&app, name.as_str()))
}

/// `deleteDomain` (`app:domain`): removes one domain; 404 when the app does not have it. The
/// domain is parsed with Dokku's looser rule ([`DomainName::parse_existing`]), so a domain added
/// outside the API can be deleted through it.
pub async fn delete_domain(
    opctx: &OpContext,
    (app, name): &(AppName, DomainName),
) -> Result<(), AppError> {
    let lock = opctx.host.lock(LockKey::App(app.clone())).await;
    let current = vhosts(opctx, app).await?;
    let stored = current
        .iter()
        .find(|d| name == d.as_str())
        .or_else(|| current.iter().find(|d| name.same_as(d)))
        .ok_or_else(|| AppError::NotFound(format!("Domain {name} is not added to app {app}")))?;
    let collateral = current.iter().any(|d| d != stored && sed_deletes(stored, d));
    let cmd = if collateral {
        let rest = current.iter().filter(|d| *d != stored);
        DokkuCommand::new("domains:set").arg(app.as_str()).with_args(rest)
    } else {
        DokkuCommand::new("domains:remove").arg(app.as_str()).arg(stored)
    };
    lock.run(&cmd).await?;
    Ok(())
}

/// Whether Dokku's `sed "/^<pattern>$/d"` removes `line`: in a basic regular expression over
/// the characters a domain can hold, `.` is any character, `x*` repeats `x` (so `.*` is
/// anything), a leading `*` is literal, and everything else stands for itself.
///
/// The simulated host has its own copy (`sed_line_match` in the sim crate) on purpose: the sim
/// plays Dokku and this predicts it, and the tests compare the two (and the sim with recordings
/// of the real Dokku), which one shared function could never contradict.
fn sed_deletes(pattern: &str, line: &str) -> bool {
    fn matches(p: &[char], s: &[char]) -> bool {
        match p {
            [] => s.is_empty(),
            [c, '*', rest @ ..] => {
                // Zero or more of `c`, trying the shortest first.
                let mut i = 0;
                loop {
                    if matches(rest, &s[i..]) {
                        return true;
                    }
                    if i < s.len() && (*c == '.' || s[i] == *c) {
                        i += 1;
                    } else {
                        return false;
                    }
                }
            }
            [c, rest @ ..] => !s.is_empty() && (*c == '.' || s[0] == *c) && matches(rest, &s[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = line.chars().collect();
    matches(&p, &s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sed_patterns_match_like_dokku_removes() {
        assert!(sed_deletes("a.example.com", "a.example.com"));
        assert!(sed_deletes("a.example.com", "axexample.com"));
        assert!(!sed_deletes("a.example.com", "a.example.co"));
        assert!(!sed_deletes("a.example.com", "a.example.com.x"));
        assert!(sed_deletes("www.*", "www.example.com"));
        assert!(sed_deletes("www.*", "www"));
        assert!(!sed_deletes("www.*", "ww"));
        assert!(sed_deletes("*.example.com", "*.example.com"));
        assert!(!sed_deletes("*.example.com", "a.example.com"));
        assert!(!sed_deletes("Example.com", "example.com"));
    }

    fn body(id: Option<&str>, app: Option<&str>, name: Option<&str>) -> Domain {
        Domain {
            id: id.map(String::from),
            type_: None,
            attributes: Some(DomainAttributes {
                app_id: app.map(String::from),
                domain: name.map(String::from),
            }),
        }
    }

    #[test]
    fn create_bodies_name_the_target_by_id_or_attributes() {
        let both = (AppName::parse("a").unwrap(), DomainName::parse_new("x.com").unwrap());
        assert_eq!(target(body(Some("a:x.com"), None, None)).unwrap(), both);
        assert_eq!(target(body(None, Some("a"), Some("x.com"))).unwrap(), both);
        assert_eq!(target(body(Some("a:x.com"), Some("a"), Some("x.com"))).unwrap(), both);
        assert!(target(body(Some("a:x.com"), Some("b"), None)).is_err());
        assert!(target(body(Some("a:x.com"), None, Some("y.com"))).is_err());
        assert!(target(body(None, Some("a"), None)).is_err());
        assert!(target(body(None, None, Some("x.com"))).is_err());
        assert!(target(body(None, Some("a"), Some("x/y"))).is_err());
        assert!(target(body(None, Some("A"), Some("x.com"))).is_err());
        assert!(target(Domain::default()).is_err());
    }
}
