//! Services: instances of Dokku's official datastore plugins, named `datastore:name`
//! (`postgres:lollipop`) or, where unambiguous, by the bare name.

use std::fmt;

use super::{Invalid, quote, text_id};

/// The official datastore plugins' command prefixes (`dokku/dokku-<name>`, installed with
/// `--name <name>`). They share one command set (`<p>:list`, `<p>:info`, `<p>:create`, ...),
/// which is what the services operations rely on.
pub const OFFICIAL_DATASTORES: [&str; 18] = [
    "clickhouse",
    "couchdb",
    "elasticsearch",
    "graphite",
    "mariadb",
    "meilisearch",
    "memcached",
    "mongo",
    "mysql",
    "nats",
    "omnisci",
    "postgres",
    "pushpin",
    "rabbitmq",
    "redis",
    "rethinkdb",
    "solr",
    "typesense",
];

/// One of the official datastore plugins (installed or not).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Datastore(String);
text_id!(Datastore);

impl Datastore {
    pub fn parse(name: &str) -> Result<Datastore, Invalid> {
        if Datastore::is_official(name) {
            Ok(Datastore(name.to_string()))
        } else {
            Err(Invalid(format!(
                "unknown datastore {}: use one of the official datastore plugins ({})",
                quote(name),
                OFFICIAL_DATASTORES.join(", ")
            )))
        }
    }

    pub fn is_official(name: &str) -> bool {
        OFFICIAL_DATASTORES.contains(&name)
    }
}

/// A service's name as the datastore plugins accept it (`is_valid_service_name`:
/// `^[A-Za-z0-9_-]+$`), not starting with `-` (it would read as an option to the plugin's
/// getopts), at most 100.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceName(String);
text_id!(ServiceName);

impl ServiceName {
    pub fn parse(name: &str) -> Result<ServiceName, Invalid> {
        let ok = !name.is_empty()
            && name.len() <= 100
            && !name.starts_with('-')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if ok {
            Ok(ServiceName(name.to_string()))
        } else {
            Err(Invalid(format!(
                "invalid service name {}: use up to 100 letters, digits, underscores and \
                 hyphens, not starting with a hyphen",
                quote(name)
            )))
        }
    }
}

/// A service on a given datastore: `postgres:lollipop`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceRef {
    pub datastore: Datastore,
    pub name: ServiceName,
}

impl fmt::Display for ServiceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.datastore, self.name)
    }
}

impl ServiceRef {
    /// `datastore:name`.
    pub fn parse(id: &str) -> Result<ServiceRef, Invalid> {
        let Some((datastore, name)) = id.split_once(':') else {
            return Err(Invalid(format!(
                "invalid service id {}: expected `datastore:name`, e.g. `postgres:lollipop`",
                quote(id)
            )));
        };
        Ok(ServiceRef { datastore: Datastore::parse(datastore)?, name: ServiceName::parse(name)? })
    }
}

/// How a request names a service: `datastore:name`, or the bare name, which the server resolves
/// against the installed datastores (an ambiguous one is refused, naming the candidates).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceId {
    Qualified(ServiceRef),
    Bare(ServiceName),
}

impl ServiceId {
    pub fn parse(id: &str) -> Result<ServiceId, Invalid> {
        if id.contains(':') {
            ServiceRef::parse(id).map(ServiceId::Qualified)
        } else {
            ServiceName::parse(id).map(ServiceId::Bare)
        }
    }
}

impl fmt::Display for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceId::Qualified(service) => service.fmt(f),
            ServiceId::Bare(name) => name.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_official_list_is_sorted_and_has_no_non_datastores() {
        let mut sorted = OFFICIAL_DATASTORES;
        sorted.sort();
        assert_eq!(sorted, OFFICIAL_DATASTORES);
        for other in ["http-auth", "maintenance", "letsencrypt", "builder-pack", ""] {
            assert!(!Datastore::is_official(other), "{other}");
        }
        assert!(Datastore::is_official("postgres"));
    }

    #[test]
    fn service_ids() {
        let service = ServiceRef::parse("postgres:lollipop").unwrap();
        assert_eq!((service.datastore.as_str(), service.name.as_str()), ("postgres", "lollipop"));
        assert_eq!(service.to_string(), "postgres:lollipop");
        for bad in
            ["lollipop", "foo:x", "postgres:", "postgres:a:b", "postgres:-n", ":x", "postgres:a b"]
        {
            assert!(ServiceRef::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            ServiceId::parse("my_db-1").unwrap(),
            ServiceId::Bare(ServiceName::parse("my_db-1").unwrap())
        );
        assert!(matches!(ServiceId::parse("redis:cache").unwrap(), ServiceId::Qualified(_)));
        for bad in ["", "-x", "a.b", "a/b", &"a".repeat(101)] {
            assert!(ServiceId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
