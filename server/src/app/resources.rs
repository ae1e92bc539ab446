//! Resources: limits and reservations per process type.
//!
//! * Read: `resource:report <app> --format json`, one call. The report is sparse, so the list
//!   has one `Resource` per value that is set, with id `app:process_type:limit|reserve:name`.
//!   App-wide values have process type `_default_` (Dokku's name), build-container values
//!   `build`. Names outside the seven the API knows (a newer Dokku's) are left out.
//! * Write (`POST /resources`): `resource:limit|reserve --<name> <value> [--process-type <p>]
//!   <app>` (no `--process-type` for `_default_`) stores the value at once without restarting;
//!   then a `restart` job makes it live (`202`): Dokku applies resources only when containers
//!   are created.
//! * Delete (`DELETE /resources/{app:process_type:limit|reserve:name}`, exactly four parts):
//!   `resource:limit|reserve --<name> clear [--process-type <p>] <app>`, which clears that one
//!   value. Never `resource:limit-clear`/`reserve-clear`: without a process type they wipe every
//!   value of the app, reservations included, and with one every value of that type. Dokku
//!   silently accepts clearing a value that is not set; the API answers 404 for it (one read
//!   first). Then a `restart` job.
//! * Values are what Dokku's schedulers take: digits with an optional decimal part and an
//!   optional unit (`512m`, `1.5`, `100`, `1024MB`), at most 32 characters. Dokku itself checks
//!   nothing; `clear` is its word for "remove" and is refused as a value.
//!
//! Every write holds the app's lock.

use dokku_pro_api::models::{
    Resource, ResourceAttributes, ResourceAttributesName, ResourceAttributesResourceType,
};

use super::apply::{change_then_apply, remove_then_apply};
use super::{AppError, IdRule, OpContext, check_data_id};
use crate::host::DokkuCommand;
use crate::host::parse::{ResourceKind, ResourceSetting, parse_resource_report_json};
use crate::ids::{AppName, Invalid, ResourceScope, quote, required};
use crate::jobs::{ApplyAction, Enqueued};

/// The longest value accepted.
pub const MAX_VALUE_LEN: usize = 32;

/// `resource:report <app> --format json`: every set value, sorted (one call).
pub(crate) async fn report(
    opctx: &OpContext,
    app: &AppName,
) -> Result<Vec<ResourceSetting>, AppError> {
    let cmd = DokkuCommand::new("resource:report").with_args([app.as_str(), "--format", "json"]);
    Ok(opctx.host.query(&cmd, parse_resource_report_json).await?)
}

/// The units a value may carry (Docker's, for memory; case-insensitive).
const UNITS: [&str; 9] = ["b", "k", "kb", "m", "mb", "g", "gb", "t", "tb"];

/// The longest whole part accepted: 12 digits (up to 999,999,999,999 of the unit), far above any
/// host and far below what overflows the 64-bit numbers Docker and the schedulers parse into.
const MAX_WHOLE_DIGITS: usize = 12;

/// Digits, an optional decimal part, an optional unit (`b`, `k`, `m`, `g`, `t`, with or without
/// a trailing `b`); at most 12 digits before the point and 32 characters in all.
pub fn value(v: &str) -> Result<(), Invalid> {
    if v == "clear" {
        return Err(Invalid(
            "invalid resource value \"clear\": to clear a value, delete the resource".into(),
        ));
    }
    let number_end = v.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(v.len());
    let (number, unit) = v.split_at(number_end);
    let (whole, fraction) = match number.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (number, None),
    };
    let ok = !whole.is_empty()
        && whole.chars().all(|c| c.is_ascii_digit())
        && whole.trim_start_matches('0').len() <= MAX_WHOLE_DIGITS
        && fraction.is_none_or(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()))
        && (unit.is_empty() || UNITS.contains(&unit.to_ascii_lowercase().as_str()))
        && v.len() <= MAX_VALUE_LEN;
    if ok {
        Ok(())
    } else {
        Err(Invalid(format!(
            "invalid resource value {}: use a number of at most {MAX_WHOLE_DIGITS} digits with \
             an optional decimal part and unit (`512m`, `1.5`, `100`, `1024MB`)",
            quote(v)
        )))
    }
}

fn kind_of(t: ResourceAttributesResourceType) -> ResourceKind {
    match t {
        ResourceAttributesResourceType::Limit => ResourceKind::Limit,
        ResourceAttributesResourceType::Reserve => ResourceKind::Reserve,
    }
}

fn resource(
    app: &AppName,
    process_type: &str,
    kind: ResourceKind,
    name: ResourceAttributesName,
    value: &str,
) -> Resource {
    let resource_type = match kind {
        ResourceKind::Limit => ResourceAttributesResourceType::Limit,
        ResourceKind::Reserve => ResourceAttributesResourceType::Reserve,
    };
    Resource::record(
        format!("{app}:{process_type}:{kind}:{name}"),
        ResourceAttributes {
            app_id: Some(app.to_string()),
            process_type: Some(process_type.to_string()),
            resource_type: Some(resource_type),
            name: Some(name),
            value: Some(value.to_string()),
        },
    )
}

/// `resource:limit|reserve --<name> <value> [--process-type <p>] <app>`.
fn set_command(
    app: &AppName,
    scope: &ResourceScope,
    kind: ResourceKind,
    name: ResourceAttributesName,
    value: &str,
) -> DokkuCommand {
    let mut cmd = DokkuCommand::new(format!("resource:{kind}")).arg(format!("--{name}")).arg(value);
    if let ResourceScope::Type(process_type) = scope {
        cmd = cmd.arg("--process-type").arg(process_type.as_str());
    }
    cmd.arg(app.as_str())
}

/// `getResourcesForApp`: one Dokku call.
pub async fn get_resources_for_app(
    opctx: &OpContext,
    app: &AppName,
) -> Result<Vec<Resource>, AppError> {
    let settings = report(opctx, app).await?;
    Ok(settings
        .iter()
        .filter_map(|s| {
            let name = s.name.as_str().parse::<ResourceAttributesName>().ok()?;
            Some(resource(app, &s.process_type, s.kind, name, &s.value))
        })
        .collect())
}

/// `addResource`: sets one value and queues the restart.
pub async fn add_resource(
    opctx: &OpContext,
    data: Resource,
) -> Result<(Resource, Enqueued), AppError> {
    let attributes = data.attributes.unwrap_or_default();
    let app = AppName::parse(&required(attributes.app_id, "data.attributes.app_id")?)?;
    let scope =
        ResourceScope::parse(&required(attributes.process_type, "data.attributes.process_type")?)?;
    let kind = kind_of(required(attributes.resource_type, "data.attributes.resource_type")?);
    let name = required(attributes.name, "data.attributes.name")?;
    let val = required(attributes.value, "data.attributes.value")?;
    value(&val)?;
    check_data_id(data.id.as_deref(), &format!("{app}:{scope}:{kind}:{name}"), IdRule::Create)?;
    let ((), job) = change_then_apply(opctx, &app, ApplyAction::Restart, async |lock| {
        lock.run(&set_command(&app, &scope, kind, name, &val)).await?;
        Ok(())
    })
    .await?;
    Ok((resource(&app, scope.as_str(), kind, name, &val), job))
}

/// A resource's id: `app:process_type:limit|reserve:name`.
pub type ResourceId = (AppName, ResourceScope, ResourceKind, ResourceAttributesName);

/// Splits a resource id (exactly four parts) and parses each.
pub fn parse_resource_id(id: &str) -> Result<ResourceId, Invalid> {
    let parts: Vec<&str> = id.split(':').collect();
    let [app, scope, kind, name] = parts[..] else {
        return Err(Invalid(format!(
            "invalid resource id {}: expected `app:process_type:limit|reserve:name`",
            quote(id)
        )));
    };
    let app = AppName::parse(app)?;
    let scope = ResourceScope::parse(scope)?;
    let kind = kind.parse::<ResourceAttributesResourceType>().map_err(|_| {
        Invalid(format!("invalid resource type {}: use `limit` or `reserve`", quote(kind)))
    })?;
    let name = name.parse::<ResourceAttributesName>().map_err(|_| {
        Invalid(format!(
            "invalid resource name {}: use cpu, memory, memory-swap, network, network-ingress, \
             network-egress or nvidia-gpu",
            quote(name)
        ))
    })?;
    Ok((app, scope, kind_of(kind), name))
}

/// `deleteResource` (`app:process_type:limit|reserve:name`): clears that one value and queues
/// the restart.
pub async fn delete_resource(opctx: &OpContext, id: &ResourceId) -> Result<Enqueued, AppError> {
    let (app, scope, kind, name) = id;
    let (kind, name) = (*kind, *name);
    remove_then_apply(opctx, app, ApplyAction::Restart, async || {
        let set = report(opctx, app).await?.iter().any(|s| {
            scope.as_str() == s.process_type
                && s.kind == kind
                && s.name.as_str() == name.to_string()
        });
        if !set {
            return Err(AppError::NotFound(format!(
                "no {name} {kind} is set for process type {scope} of {app}"
            )));
        }
        Ok(set_command(app, scope, kind, name, "clear"))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        for ok in ["512m", "1.5", "100", "1024MB", "0", "2g", "0.25", "999999999999k", "1T"] {
            assert!(value(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "clear",
            "m",
            ".5",
            "1.",
            "1.2.3",
            "-1",
            "1 m",
            "1m2",
            "1;reboot",
            "--cpu",
            "½",
            &"9".repeat(33),
            "99999999999999999999999g",
            "1000000000000",
            "5x",
            "1gib",
        ] {
            assert!(value(bad).is_err(), "{bad:?}");
        }
        assert!(value("clear").unwrap_err().0.contains("delete the resource"));
    }

    #[test]
    fn ids_have_exactly_four_parts() {
        let (app, scope, kind, name) =
            parse_resource_id("node-js-app:web:limit:memory-swap").unwrap();
        assert_eq!(
            (app.as_str(), scope.as_str(), kind, name),
            ("node-js-app", "web", ResourceKind::Limit, ResourceAttributesName::MemorySwap)
        );
        assert!(parse_resource_id("a:_default_:reserve:cpu").is_ok());
        for bad in [
            "a:web:limit",
            "a:web:limit:cpu:x",
            "a:web:limits:cpu",
            "a:web:limit:memory_swap",
            "a::limit:cpu",
            "A:web:limit:cpu",
            "",
        ] {
            assert!(parse_resource_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn commands_name_the_process_type_except_for_defaults() {
        let app = AppName::parse("app").unwrap();
        let argv = |p: &str| {
            let scope = ResourceScope::parse(p).unwrap();
            set_command(&app, &scope, ResourceKind::Reserve, ResourceAttributesName::Cpu, "clear")
                .argv()
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(argv("_default_"), ["resource:reserve", "--cpu", "clear", "app"]);
        assert_eq!(
            argv("web"),
            ["resource:reserve", "--cpu", "clear", "--process-type", "web", "app"]
        );
    }
}
