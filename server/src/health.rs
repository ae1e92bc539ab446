//! `GET /@api/health`: whether the server can do its job, for probes and operators. Public: it
//! says nothing secret (the versions and whether the Dokku host answers).

use dokku_pro_api::models::{Health, HealthAttributes, HealthAttributesStatus, HealthType};

use crate::host::Host;

/// The health record: `ok`, or `degraded` when the Dokku host does not answer.
pub async fn report(host: &Host) -> Health {
    let status = if host.reachable().await {
        HealthAttributesStatus::Ok
    } else {
        HealthAttributesStatus::Degraded
    };
    Health {
        id: Some("server".into()),
        type_: Some(HealthType::Health),
        attributes: Some(HealthAttributes {
            status: Some(status),
            server_version: Some(env!("CARGO_PKG_VERSION").into()),
            dokku_host: Some(host.kind().into()),
            dokku_version: Some(host.version().to_string()),
        }),
    }
}
