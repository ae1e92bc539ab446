//! An app's domains (dokku-host.md §3.5). A domain's id is `app:domain`, split at the first `:`.
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
//!   in `a.example.com` the dots match any character and in `www.*` the `.*` matches anything
//!   (dokku-host.md §3.5). When the pattern would also match another of the app's domains, the
//!   server writes the remaining list with `domains:set <app> <rest...>` instead, which (like
//!   `domains:add`) also re-enables app vhosts if they were disabled.
//! * Domain names are checked by [`validate::domain_name`] before anything reaches Dokku
//!   (stricter than Dokku: label lengths, no leading or trailing hyphen, `*` only as a whole
//!   first or last label). A delete accepts anything Dokku itself accepts
//!   ([`validate::existing_domain_name`]), so a domain added outside the API can be removed.

use dokku_pro_api::models::{Domain, DomainAttributes, DomainType};

use super::AppError;
use super::validate::{self, Invalid, quote};
use crate::auth::Actor;
use crate::host::parse::{parse_domains_app_vhosts, parse_domains_report_json};
use crate::host::{DokkuCommand, Host, HostError};

fn domain(app: &str, name: &str) -> Domain {
    Domain {
        id: Some(format!("{app}:{name}")),
        type_: Some(DomainType::Domains),
        attributes: Some(DomainAttributes {
            app_id: Some(app.to_string()),
            domain: Some(name.to_string()),
        }),
    }
}

/// The app's domains in Dokku's order (exit 20 = 404).
async fn vhosts(host: &Host, app: &str) -> Result<Vec<String>, AppError> {
    if host.version().has_domains_json() {
        let cmd = DokkuCommand::new("domains:report").arg(app).arg("--format").arg("json");
        Ok(host.query(&cmd, parse_domains_report_json).await?.app_vhosts)
    } else {
        let cmd = DokkuCommand::new("domains:report").arg(app).arg("--domains-app-vhosts");
        Ok(host.query(&cmd, |s| Ok::<_, HostError>(parse_domains_app_vhosts(s))).await?)
    }
}

/// `GET /apps/{appId}/domains`.
pub async fn list(host: &Host, _actor: &Actor, app: &str) -> Result<Vec<Domain>, AppError> {
    validate::existing_app_name(app)?;
    Ok(vhosts(host, app).await?.iter().map(|d| domain(app, d)).collect())
}

/// The app and domain a create body names: `attributes.app_id` and `attributes.domain`, or the
/// parts of `id` (`app:domain`); when both are given they must agree.
fn target(data: Domain) -> Result<(String, String), Invalid> {
    let attributes = data.attributes.unwrap_or_default();
    let (id_app, id_domain) = match data.id.as_deref() {
        Some(id) => {
            let (app, name) = validate::split_app_id(id, "domain")?;
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
    let app = pick(attributes.app_id, id_app, "app_id")?;
    let name = pick(attributes.domain, id_domain, "domain")?;
    validate::existing_app_name(&app)?;
    validate::domain_name(&name)?;
    Ok((app, name))
}

/// `POST /domains`: adds one domain; 409 when the app already has it.
pub async fn add(host: &Host, _actor: &Actor, data: Option<Domain>) -> Result<Domain, AppError> {
    let (app, name) = target(validate::required(data, "data")?)?;
    let _lock = host.lock_app(&app).await;
    let already = |existing: &str| {
        AppError::Conflict(format!("Domain {existing} is already added to app {app}"))
    };
    if let Some(existing) = vhosts(host, &app).await?.iter().find(|d| d.eq_ignore_ascii_case(&name))
    {
        return Err(already(existing));
    }
    let out = host.run(&DokkuCommand::new("domains:add").arg(&app).arg(&name)).await?;
    // `-----> Skipping: <domain> already added to <app>`, exit 0: added meanwhile by someone else.
    if out.stdout.contains("Skipping:") {
        return Err(already(&name));
    }
    Ok(domain(&app, &name))
}

/// `DELETE /domains/{domainId}`: removes one domain; 404 when the app does not have it.
pub async fn delete(host: &Host, _actor: &Actor, id: &str) -> Result<(), AppError> {
    let (app, name) = validate::split_app_id(id, "domain")?;
    // Dokku's looser rule: a domain added outside the API can be deleted through it.
    validate::existing_domain_name(name)?;
    let _lock = host.lock_app(app).await;
    let current = vhosts(host, app).await?;
    let stored = current
        .iter()
        .find(|d| *d == name)
        .or_else(|| current.iter().find(|d| d.eq_ignore_ascii_case(name)))
        .ok_or_else(|| AppError::NotFound(format!("Domain {name} is not added to app {app}")))?;
    let collateral = current.iter().any(|d| d != stored && sed_deletes(stored, d));
    let cmd = if collateral {
        let rest = current.iter().filter(|d| *d != stored);
        DokkuCommand::new("domains:set").arg(app).with_args(rest)
    } else {
        DokkuCommand::new("domains:remove").arg(app).arg(stored)
    };
    host.run(&cmd).await?;
    Ok(())
}

/// Whether Dokku's `sed "/^<pattern>$/d"` removes `line`: in a basic regular expression over
/// the characters a domain can hold, `.` is any character, `x*` repeats `x` (so `.*` is
/// anything), a leading `*` is literal, and everything else stands for itself.
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
        let both = ("a".to_string(), "x.com".to_string());
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
