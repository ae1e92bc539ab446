//! Formations: the scale of each process type, with its resource limits and reservations.
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

use dokku_pro_api::models::{Formation, FormationAttributes, ResourceSet};

use super::apply::{change_then_apply, remove_then_apply};
use super::{AppError, IdRule, OpContext, check_data_id, resources};
use crate::host::DokkuCommand;
use crate::host::parse::{
    ProcessScale, ResourceKind, ResourceName, ResourceSetting, parse_ps_scale_json,
    parse_ps_scale_quiet,
};
use crate::ids::{AppName, Invalid, ProcessType, required};
use crate::jobs::{ApplyAction, Enqueued};

/// The largest count the API sets (Dokku has no limit; thousands of containers of one type
/// on one host is a typo, not a plan).
pub const MAX_QUANTITY: i64 = 1000;

pub fn quantity(n: i64) -> Result<u32, Invalid> {
    if (0..=MAX_QUANTITY).contains(&n) {
        Ok(n as u32)
    } else {
        Err(Invalid(format!("invalid quantity {n}: use an integer from 0 to {MAX_QUANTITY}")))
    }
}

fn formation(
    app: &AppName,
    process_type: &str,
    quantity: i64,
    sets: Option<(ResourceSet, ResourceSet)>,
) -> Formation {
    let (limits, reserves) = sets.unzip();
    Formation::record(
        format!("{app}:{process_type}"),
        FormationAttributes {
            app_id: Some(app.to_string()),
            process_type: Some(process_type.to_string()),
            quantity: Some(quantity),
            limits,
            reserves,
        },
    )
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
async fn scales(opctx: &OpContext, app: &AppName) -> Result<Vec<ProcessScale>, AppError> {
    let json = opctx.host.version().has_apps_and_scale_json();
    let cmd = if json {
        DokkuCommand::new("ps:scale").with_args([app.as_str(), "--format", "json"])
    } else {
        DokkuCommand::new("ps:scale").arg(app.as_str()).global_flag("--quiet")
    };
    let parse = if json { parse_ps_scale_json } else { parse_ps_scale_quiet };
    Ok(opctx.host.query(&cmd, parse).await?)
}

/// `getFormationsForApp`: two Dokku calls, run concurrently.
pub async fn get_formations_for_app(
    opctx: &OpContext,
    app: &AppName,
) -> Result<Vec<Formation>, AppError> {
    let (scales, settings) = tokio::try_join!(scales(opctx, app), resources::report(opctx, app))?;
    Ok(scales
        .iter()
        .map(|s| {
            let limits = resource_set(&settings, &s.process_type, ResourceKind::Limit);
            let reserves = resource_set(&settings, &s.process_type, ResourceKind::Reserve);
            formation(app, &s.process_type, i64::from(s.quantity), Some((limits, reserves)))
        })
        .collect())
}

/// `ps:scale --skip-deploy <app> <type>=<n>`: stores the count without deploying.
fn store_scale(app: &AppName, process_type: &ProcessType, quantity: u32) -> DokkuCommand {
    DokkuCommand::new("ps:scale")
        .with_args(["--skip-deploy", app.as_str()])
        .arg(format!("{process_type}={quantity}"))
}

/// `addFormation`: sets the scale of one process type and queues the restart.
pub async fn add_formation(
    opctx: &OpContext,
    data: Formation,
) -> Result<(Formation, Enqueued), AppError> {
    let attributes = data.attributes.unwrap_or_default();
    let app = AppName::parse(&required(attributes.app_id, "data.attributes.app_id")?)?;
    let process_type = ProcessType::parse_scalable(&required(
        attributes.process_type,
        "data.attributes.process_type",
    )?)?;
    let n = quantity(required(attributes.quantity, "data.attributes.quantity")?)?;
    check_data_id(data.id.as_deref(), &format!("{app}:{process_type}"), IdRule::Create)?;
    let ((), job) = change_then_apply(opctx, &app, ApplyAction::Restart, async |lock| {
        lock.run(&store_scale(&app, &process_type, n)).await?;
        Ok(())
    })
    .await?;
    Ok((formation(&app, process_type.as_str(), i64::from(n), None), job))
}

/// `deleteFormation` (`app:type`): scales the type to 0 and queues the restart.
pub async fn delete_formation(
    opctx: &OpContext,
    (app, process_type): &(AppName, ProcessType),
) -> Result<Enqueued, AppError> {
    remove_then_apply(opctx, app, ApplyAction::Restart, async || {
        if !scales(opctx, app).await?.iter().any(|s| process_type == s.process_type.as_str()) {
            return Err(AppError::NotFound(format!(
                "process type {process_type} does not exist for {app}"
            )));
        }
        Ok(store_scale(app, process_type, 0))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

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
