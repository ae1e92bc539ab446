//! Resources: limits and reservations per process type (dokku-host.md §3.10).
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
    ResourceType,
};

use super::AppError;
use super::validate::{self, Invalid, quote, required};
use crate::auth::Actor;
use crate::host::command::is_dns_label;
use crate::host::parse::{
    DEFAULT_PROCESS_TYPE, ResourceKind, ResourceSetting, parse_resource_report_json,
};
use crate::host::{DokkuCommand, Host};
use crate::jobs::{ApplyAction, Enqueued, Jobs};

/// The longest value accepted.
pub const MAX_VALUE_LEN: usize = 32;

/// `resource:report <app> --format json`: every set value, sorted (one call).
pub(crate) async fn report(host: &Host, app: &str) -> Result<Vec<ResourceSetting>, AppError> {
    let cmd = DokkuCommand::new("resource:report").with_args([app, "--format", "json"]);
    Ok(host.query(&cmd, parse_resource_report_json).await?)
}

/// A process type resources can be set for: a Procfile type (a DNS label), `build` (the build
/// container, Dokku 0.38.0+), or `_default_` (app-wide).
pub fn process_type(name: &str) -> Result<(), Invalid> {
    if name == DEFAULT_PROCESS_TYPE || is_dns_label(name) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "invalid process type {}: use `_default_` (app-wide) or up to 63 lowercase letters, \
             digits and hyphens, starting and ending with a letter or digit",
            quote(name)
        )))
    }
}

/// Digits, an optional decimal part, an optional unit of letters; at most 32 characters.
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
        && fraction.is_none_or(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()))
        && unit.chars().all(|c| c.is_ascii_alphabetic())
        && v.len() <= MAX_VALUE_LEN;
    if ok {
        Ok(())
    } else {
        Err(Invalid(format!(
            "invalid resource value {}: use a number with an optional decimal part and unit \
             (`512m`, `1.5`, `100`, `1024MB`), at most {MAX_VALUE_LEN} characters",
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
    app: &str,
    process_type: &str,
    kind: ResourceKind,
    name: ResourceAttributesName,
    value: &str,
) -> Resource {
    let resource_type = match kind {
        ResourceKind::Limit => ResourceAttributesResourceType::Limit,
        ResourceKind::Reserve => ResourceAttributesResourceType::Reserve,
    };
    Resource {
        id: Some(format!("{app}:{process_type}:{kind}:{name}")),
        type_: Some(ResourceType::Resources),
        attributes: Some(ResourceAttributes {
            app_id: Some(app.to_string()),
            process_type: Some(process_type.to_string()),
            resource_type: Some(resource_type),
            name: Some(name),
            value: Some(value.to_string()),
        }),
    }
}

/// `resource:limit|reserve --<name> <value> [--process-type <p>] <app>`.
fn set_command(
    app: &str,
    process_type: &str,
    kind: ResourceKind,
    name: ResourceAttributesName,
    value: &str,
) -> DokkuCommand {
    let mut cmd = DokkuCommand::new(format!("resource:{kind}")).arg(format!("--{name}")).arg(value);
    if process_type != DEFAULT_PROCESS_TYPE {
        cmd = cmd.arg("--process-type").arg(process_type);
    }
    cmd.arg(app)
}

/// `GET /apps/{appId}/resources`: one Dokku call.
pub async fn list(host: &Host, _actor: &Actor, app: &str) -> Result<Vec<Resource>, AppError> {
    validate::existing_app_name(app)?;
    let settings = report(host, app).await?;
    Ok(settings
        .iter()
        .filter_map(|s| {
            let name = s.name.as_str().parse::<ResourceAttributesName>().ok()?;
            Some(resource(app, &s.process_type, s.kind, name, &s.value))
        })
        .collect())
}

/// `POST /resources`: sets one value and queues the restart.
pub async fn set(
    host: &Host,
    jobs: &Jobs,
    actor: &Actor,
    request_id: &str,
    data: Option<Resource>,
) -> Result<(Resource, Enqueued), AppError> {
    let data = required(data, "data")?;
    let attributes = data.attributes.unwrap_or_default();
    let app = required(attributes.app_id, "data.attributes.app_id")?;
    let proc = required(attributes.process_type, "data.attributes.process_type")?;
    let kind = kind_of(required(attributes.resource_type, "data.attributes.resource_type")?);
    let name = required(attributes.name, "data.attributes.name")?;
    let val = required(attributes.value, "data.attributes.value")?;
    validate::existing_app_name(&app)?;
    process_type(&proc)?;
    value(&val)?;
    let expected_id = format!("{app}:{proc}:{kind}:{name}");
    if let Some(id) = data.id.as_deref()
        && id != expected_id
    {
        return Err(AppError::Invalid(format!(
            "data.id {} does not match the attributes ({expected_id})",
            quote(id)
        )));
    }
    {
        let _lock = host.lock_app(&app).await;
        host.run(&set_command(&app, &proc, kind, name, &val)).await?;
    }
    let job = jobs.enqueue(&app, ApplyAction::Restart, request_id, actor).await?;
    Ok((resource(&app, &proc, kind, name, &val), job))
}

/// Splits `app:process_type:limit|reserve:name` (exactly four parts) and checks each.
fn split_id(id: &str) -> Result<(&str, &str, ResourceKind, ResourceAttributesName), Invalid> {
    let parts: Vec<&str> = id.split(':').collect();
    let [app, proc, kind, name] = parts[..] else {
        return Err(Invalid(format!(
            "invalid resource id {}: expected `app:process_type:limit|reserve:name`",
            quote(id)
        )));
    };
    validate::existing_app_name(app)?;
    process_type(proc)?;
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
    Ok((app, proc, kind_of(kind), name))
}

/// `DELETE /resources/{app:process_type:limit|reserve:name}`: clears that one value and queues
/// the restart.
pub async fn clear(
    host: &Host,
    jobs: &Jobs,
    actor: &Actor,
    request_id: &str,
    id: &str,
) -> Result<Enqueued, AppError> {
    let (app, proc, kind, name) = split_id(id)?;
    {
        let _lock = host.lock_app(app).await;
        let set = report(host, app).await?.iter().any(|s| {
            s.process_type == proc && s.kind == kind && s.name.as_str() == name.to_string()
        });
        if !set {
            return Err(AppError::NotFound(format!(
                "no {name} {kind} is set for process type {proc} of {app}"
            )));
        }
        host.run(&set_command(app, proc, kind, name, "clear")).await?;
    }
    Ok(jobs.enqueue(app, ApplyAction::Restart, request_id, actor).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        for ok in ["512m", "1.5", "100", "1024MB", "0", "2g", "0.25", &"9".repeat(32)] {
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
        ] {
            assert!(value(bad).is_err(), "{bad:?}");
        }
        assert!(value("clear").unwrap_err().0.contains("delete the resource"));
    }

    #[test]
    fn process_types_include_default_and_build() {
        for ok in ["_default_", "build", "web", "worker-2"] {
            assert!(process_type(ok).is_ok(), "{ok}");
        }
        for bad in ["", "_x_", "Web", "-w", "a.b", "a:b"] {
            assert!(process_type(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ids_have_exactly_four_parts() {
        let (app, proc, kind, name) = split_id("node-js-app:web:limit:memory-swap").unwrap();
        assert_eq!(
            (app, proc, kind, name),
            ("node-js-app", "web", ResourceKind::Limit, ResourceAttributesName::MemorySwap)
        );
        assert!(split_id("a:_default_:reserve:cpu").is_ok());
        for bad in [
            "a:web:limit",
            "a:web:limit:cpu:x",
            "a:web:limits:cpu",
            "a:web:limit:memory_swap",
            "a::limit:cpu",
            "A:web:limit:cpu",
            "",
        ] {
            assert!(split_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn commands_name_the_process_type_except_for_defaults() {
        let argv = |p| {
            set_command("app", p, ResourceKind::Reserve, ResourceAttributesName::Cpu, "clear")
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
