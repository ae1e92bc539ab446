//! Formations: the scale of each process type, with its resource limits and reservations
//! (dokku-host.md §3.7, §3.10).
//!
//! * Read: two Dokku calls, run concurrently: `ps:scale <app> --format json` (0.38.21+; older
//!   hosts `--quiet ps:scale <app>`) and `resource:report <app> --format json`. Every process type
//!   `ps:scale` lists is a formation (after a deploy that is every Procfile type, `0` where no
//!   scale was set). Its `limits` and `reserves` show the values set **for that type only**: an
//!   app-wide value (Dokku's `_default_` type), which containers of a type without its own value
//!   inherit, is not copied into each type's set; it is listed by `GET /apps/{appId}/resources`
//!   as process type `_default_`, like the `build` type's limits. An empty set is `{}`.
//! * Write (`POST /formations`, `DELETE /formations/{app:type}` = scale to 0): the count is stored
//!   at once with `ps:scale --skip-deploy <app> <type>=<n>` (so Dokku's refusals, such as scaling
//!   up a type that is not in a deployed app's Procfile, come back as a `400`), then a `restart`
//!   job deploys every process type with its stored count (`202`). A later `ps:scale` without
//!   `--skip-deploy` would see no change once the value is stored, so the job restarts instead.
//!   The `202` body carries the formation as set (`limits`/`reserves` are not read back).
//! * A process type is a DNS label (what Dokku's Procfile parser accepts) and not `build`
//!   (reserved by the resource plugin for build containers); a count is an integer from 0 to
//!   1000. Deleting a type the app does not list is a `404`.
//!
//! Every write holds the app's lock.

use dokku_pro_api::models::{Formation, FormationAttributes, FormationType, ResourceSet};

use super::AppError;
use super::resources;
use super::validate::{self, Invalid, quote, required};
use crate::auth::Actor;
use crate::host::command::is_dns_label;
use crate::host::parse::{
    ProcessScale, ResourceKind, ResourceName, ResourceSetting, parse_ps_scale_json,
    parse_ps_scale_quiet,
};
use crate::host::{DokkuCommand, Host};
use crate::jobs::{ApplyAction, Enqueued, Jobs};

/// The largest count the API sets (Dokku has no limit; thousands of containers of one type
/// on one host is a typo, not a plan).
pub const MAX_QUANTITY: i64 = 1000;

/// A Procfile process type: a DNS label (at most 63 lowercase letters, digits and `-`, starting
/// and ending with a letter or digit; procfile-util's strict mode), and not `build`.
pub fn process_type(name: &str) -> Result<(), Invalid> {
    if name == "build" {
        return Err(Invalid(
            "invalid process type \"build\": the name is reserved for build containers".into(),
        ));
    }
    if is_dns_label(name) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "invalid process type {}: use up to 63 lowercase letters, digits and hyphens, \
             starting and ending with a letter or digit",
            quote(name)
        )))
    }
}

pub fn quantity(n: i64) -> Result<(), Invalid> {
    if (0..=MAX_QUANTITY).contains(&n) {
        Ok(())
    } else {
        Err(Invalid(format!("invalid quantity {n}: use an integer from 0 to {MAX_QUANTITY}")))
    }
}

fn formation(
    app: &str,
    process_type: &str,
    quantity: i64,
    sets: Option<(ResourceSet, ResourceSet)>,
) -> Formation {
    let (limits, reserves) = sets.unzip();
    Formation {
        id: Some(format!("{app}:{process_type}")),
        type_: Some(FormationType::Formations),
        attributes: Some(FormationAttributes {
            app_id: Some(app.to_string()),
            process_type: Some(process_type.to_string()),
            quantity: Some(quantity),
            limits,
            reserves,
        }),
    }
}

/// The values of one process type and kind as a `ResourceSet` (underscores where Dokku has
/// hyphens). Names outside the seven the API knows are left out.
fn resource_set(
    settings: &[ResourceSetting],
    process_type: &str,
    kind: ResourceKind,
) -> ResourceSet {
    let mut set = ResourceSet::default();
    for s in settings.iter().filter(|s| s.process_type == process_type && s.kind == kind) {
        let slot = match s.name {
            ResourceName::Cpu => &mut set.cpu,
            ResourceName::Memory => &mut set.memory,
            ResourceName::MemorySwap => &mut set.memory_swap,
            ResourceName::Network => &mut set.network,
            ResourceName::NetworkIngress => &mut set.network_ingress,
            ResourceName::NetworkEgress => &mut set.network_egress,
            ResourceName::NvidiaGpu => &mut set.nvidia_gpu,
            ResourceName::Other(_) => continue,
        };
        *slot = Some(s.value.clone());
    }
    set
}

/// The stored scale: `ps:scale <app> --format json`, or the quiet text on hosts before 0.38.21.
async fn scales(host: &Host, app: &str) -> Result<Vec<ProcessScale>, AppError> {
    let json = host.version().has_apps_and_scale_json();
    let cmd = if json {
        DokkuCommand::new("ps:scale").with_args([app, "--format", "json"])
    } else {
        DokkuCommand::new("ps:scale").arg(app).global_flag("--quiet")
    };
    let parse = if json { parse_ps_scale_json } else { parse_ps_scale_quiet };
    Ok(host.query(&cmd, parse).await?)
}

/// `GET /apps/{appId}/formations`: two Dokku calls.
pub async fn list(host: &Host, _actor: &Actor, app: &str) -> Result<Vec<Formation>, AppError> {
    validate::existing_app_name(app)?;
    let (scales, settings) = tokio::try_join!(scales(host, app), resources::report(host, app))?;
    Ok(scales
        .iter()
        .map(|s| {
            let limits = resource_set(&settings, &s.process_type, ResourceKind::Limit);
            let reserves = resource_set(&settings, &s.process_type, ResourceKind::Reserve);
            formation(app, &s.process_type, i64::from(s.quantity), Some((limits, reserves)))
        })
        .collect())
}

/// Stores the count without deploying (the caller holds the app's lock).
async fn store_scale(
    host: &Host,
    app: &str,
    process_type: &str,
    quantity: i64,
) -> Result<(), AppError> {
    let cmd = DokkuCommand::new("ps:scale")
        .with_args(["--skip-deploy", app])
        .arg(format!("{process_type}={quantity}"));
    host.run(&cmd).await?;
    Ok(())
}

/// `POST /formations`: sets the scale of one process type and queues the restart.
pub async fn set(
    host: &Host,
    jobs: &Jobs,
    actor: &Actor,
    request_id: &str,
    data: Option<Formation>,
) -> Result<(Formation, Enqueued), AppError> {
    let data = required(data, "data")?;
    let attributes = data.attributes.unwrap_or_default();
    let app = required(attributes.app_id, "data.attributes.app_id")?;
    let proc = required(attributes.process_type, "data.attributes.process_type")?;
    let n = required(attributes.quantity, "data.attributes.quantity")?;
    validate::existing_app_name(&app)?;
    process_type(&proc)?;
    quantity(n)?;
    if let Some(id) = data.id.as_deref()
        && id != format!("{app}:{proc}")
    {
        return Err(AppError::Invalid(format!(
            "data.id {} does not match app_id and process_type ({app}:{proc})",
            quote(id)
        )));
    }
    {
        let _lock = host.lock_app(&app).await;
        store_scale(host, &app, &proc, n).await?;
    }
    let job = jobs.enqueue(&app, ApplyAction::Restart, request_id, actor).await?;
    Ok((formation(&app, &proc, n, None), job))
}

/// `DELETE /formations/{app:type}`: scales the type to 0 and queues the restart.
pub async fn scale_to_zero(
    host: &Host,
    jobs: &Jobs,
    actor: &Actor,
    request_id: &str,
    id: &str,
) -> Result<Enqueued, AppError> {
    let (app, proc) = validate::split_app_id(id, "formation")?;
    process_type(proc)?;
    {
        let _lock = host.lock_app(app).await;
        if !scales(host, app).await?.iter().any(|s| s.process_type == proc) {
            return Err(AppError::NotFound(format!(
                "process type {proc} does not exist for {app}"
            )));
        }
        store_scale(host, app, proc, 0).await?;
    }
    Ok(jobs.enqueue(app, ApplyAction::Restart, request_id, actor).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_types_are_dns_labels_but_not_build() {
        for ok in ["web", "worker", "a", "release", "cron-1", &"a".repeat(63)] {
            assert!(process_type(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "build",
            "Web",
            "-web",
            "web-",
            "we_b",
            "we b",
            "_default_",
            "a:b",
            &"a".repeat(64),
        ] {
            assert!(process_type(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn quantities() {
        for ok in [0, 1, MAX_QUANTITY] {
            assert!(quantity(ok).is_ok(), "{ok}");
        }
        for bad in [-1, MAX_QUANTITY + 1, i64::MAX, i64::MIN] {
            assert!(quantity(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resource_sets_take_one_type_and_kind_with_underscored_names() {
        let s = |p: &str, kind, name: &str, v: &str| ResourceSetting {
            process_type: p.into(),
            kind,
            name: ResourceName::from_dokku(name),
            value: v.into(),
        };
        let settings = [
            s("_default_", ResourceKind::Limit, "memory", "1g"),
            s("web", ResourceKind::Limit, "memory-swap", "2g"),
            s("web", ResourceKind::Limit, "nvidia-gpu", "1"),
            s("web", ResourceKind::Limit, "pids", "100"),
            s("web", ResourceKind::Reserve, "cpu", "0.5"),
        ];
        let limits = resource_set(&settings, "web", ResourceKind::Limit);
        assert_eq!(
            limits,
            ResourceSet {
                memory_swap: Some("2g".into()),
                nvidia_gpu: Some("1".into()),
                ..Default::default()
            }
        );
        let reserves = resource_set(&settings, "web", ResourceKind::Reserve);
        assert_eq!(reserves, ResourceSet { cpu: Some("0.5".into()), ..Default::default() });
        assert_eq!(resource_set(&settings, "worker", ResourceKind::Limit), ResourceSet::default());
    }
}
