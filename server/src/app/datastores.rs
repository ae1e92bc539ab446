//! Datastores: the official datastore plugins installed on the host (dokku-host.md §3.4, §4.1).
//!
//! A datastore is listed when a plugin of that name is installed and enabled, and the name is
//! one of Dokku's official datastore plugins ([`OFFICIAL`]): those share one command set
//! (`<p>:list`, `<p>:info`, `<p>:create`, ...), which is what the services operations rely on.
//! The installed name must be the command prefix (plugins installed with `--name <prefix>`, as
//! their READMEs say); a plugin installed under another name is not recognised.
//!
//! Cost: `getDatastores` is one Dokku invocation, `plugin:list --format json` (Dokku ≥ 0.38.22),
//! or the text `plugin:list` on older hosts.

use dokku_pro_api::models::{Datastore, DatastoreAttributes, DatastoreType};

use super::AppError;
use crate::auth::Actor;
use crate::host::parse::{ParseError, parse_plugin_list_json, parse_plugin_list_text};
use crate::host::{DokkuCommand, Host, HostError};

/// The official datastore plugins' command prefixes (dokku-host.md §4.1; `dokku/dokku-<name>`).
pub const OFFICIAL: [&str; 18] = [
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

/// Whether `name` is an official datastore plugin (installed or not).
pub fn is_official(name: &str) -> bool {
    OFFICIAL.contains(&name)
}

/// `getDatastores`: the installed official datastore plugins, sorted by name.
pub async fn list(host: &Host, _actor: &Actor) -> Result<Vec<Datastore>, AppError> {
    Ok(installed(host)
        .await?
        .into_iter()
        .map(|name| Datastore {
            id: Some(name.clone()),
            type_: Some(DatastoreType::Datastores),
            attributes: Some(DatastoreAttributes { id: Some(name) }),
        })
        .collect())
}

/// The names of the installed, enabled official datastore plugins, sorted (one invocation).
pub async fn installed(host: &Host) -> Result<Vec<String>, AppError> {
    let json = host.version().has_plugin_list_json();
    let cmd = if json {
        DokkuCommand::new("plugin:list").arg("--format").arg("json")
    } else {
        DokkuCommand::new("plugin:list")
    };
    let parse = if json { parse_plugin_list_json } else { parse_plugin_list_text };
    let plugins = host.query(&cmd, parse).await?;
    let mut names: Vec<String> =
        plugins.into_iter().filter(|p| p.enabled && is_official(&p.name)).map(|p| p.name).collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// A parse failure as the host error it is (Dokku printed something we cannot read).
pub(crate) fn unreadable(cmd: &DokkuCommand, e: ParseError) -> AppError {
    AppError::Host(HostError::unreadable(cmd, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_official_list_is_sorted_and_has_no_non_datastores() {
        let mut sorted = OFFICIAL;
        sorted.sort();
        assert_eq!(sorted, OFFICIAL);
        for other in ["http-auth", "maintenance", "letsencrypt", "builder-pack", ""] {
            assert!(!is_official(other), "{other}");
        }
        assert!(is_official("postgres"));
    }
}
