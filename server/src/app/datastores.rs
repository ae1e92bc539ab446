//! Datastores: the official datastore plugins installed on the host.
//!
//! A datastore is listed when a plugin of that name is installed and enabled, and the name is
//! one of Dokku's official datastore plugins ([`crate::ids::OFFICIAL_DATASTORES`]): those share one command
//! set (`<p>:list`, `<p>:info`, `<p>:create`, ...), which is what the services operations rely
//! on. The installed name must be the command prefix (plugins installed with `--name <prefix>`,
//! as their READMEs say); a plugin installed under another name is not recognised.
//!
//! Cost: `getDatastores` is one Dokku invocation, `plugin:list --format json` (Dokku ≥ 0.38.22),
//! or the text `plugin:list` on older hosts.

use dokku_pro_api::models::{Datastore as DatastoreModel, DatastoreAttributes};

use super::{AppError, OpContext, plugins};
use crate::ids::Datastore;

/// `getDatastores`: the installed official datastore plugins, sorted by name.
pub async fn get_datastores(opctx: &OpContext) -> Result<Vec<DatastoreModel>, AppError> {
    Ok(installed(opctx)
        .await?
        .into_iter()
        .map(|name| {
            DatastoreModel::record(
                name.to_string(),
                DatastoreAttributes { id: Some(name.to_string()) },
            )
        })
        .collect())
}

/// The installed, enabled official datastore plugins, sorted (one invocation).
pub async fn installed(opctx: &OpContext) -> Result<Vec<Datastore>, AppError> {
    let mut names: Vec<Datastore> = plugins::enabled(opctx)
        .await?
        .into_iter()
        .filter_map(|p| Datastore::parse(&p.name).ok())
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}
