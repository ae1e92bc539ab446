//! Services: instances of the official datastore plugins.
//!
//! # Ids
//!
//! `Service.id` is the bare service name (`lollipop`); the datastore is in
//! `attributes.service_type`. `/services/{serviceName}` and the link bodies take the bare name (as
//! `GET /services` lists it) or `datastore:name` (`postgres:lollipop`, split at the first `:`).
//! Two datastores may each have a service of the same name: a bare name that matches more than
//! one is refused (400) with the qualified ids to use instead. `addService` always takes
//! `datastore:name` (there is nothing to look up). Service names
//! follow the plugins' rule `^[A-Za-z0-9_-]+$`, and may not start with `-` (they would read as
//! an option). A datastore must be an official one ([`crate::ids::OFFICIAL_DATASTORES`]); one
//! that is not installed on the host is a 400 naming it.
//!
//! # `fields` and `include`
//!
//! Absent, or a list containing `*`: every attribute. Otherwise only the attributes named
//! (`?fields=dsn,status` or `?fields=dsn&fields=status`); an empty value (`?fields=`) asks for
//! none. Unknown values are refused (400) by the query parser. Attributes whose value is empty
//! are always omitted, and `service_type` is always present. Asking for no attribute at all
//! skips the `<p>:info` calls.
//!
//! # Restarts
//!
//! Linking and unlinking change the app's environment, so the app is restarted to apply it (as
//! Dokku does by default). When one request links several services, every command but the last
//! passes `--no-restart` (the long form: over SSH a lone `-n` is eaten by Dokku's `xargs`
//! re-parse), so the app restarts once. A multi-service request first checks every pair with
//! `<p>:linked`, so the usual refusals (unknown service, already linked, not linked) come before
//! anything changes; a failure after that (a dropped connection) leaves the earlier ones done.
//! The restart runs inside the request, within the host's command timeout.
//!
//! # Cost in Dokku invocations
//!
//! P = installed official datastores, N = services on the host, L = services linked to the app,
//! K = services in a link/unlink body. `<p>:list`, `<p>:app-links` and `<p>:info` calls run up to
//! [`CONCURRENCY`] at a time; each `<p>:info <svc>` reads all rows of one service at once.
//!
//! | operation | invocations |
//! |---|---|
//! | `getServices` | 1 (`plugin:list`) + P (`--quiet <p>:list`) + N (`<p>:info`); 1 + P with `fields=` |
//! | `getServiceById` `datastore:name` | 1 (`<p>:info`) |
//! | `getServiceById` bare name | 1 + P (`<p>:info` on each datastore) |
//! | `getServicesForApp` | 1 + P (`<p>:app-links`) + L; 1 + P with `include=`; 2 when P = 0 |
//! | `addService` | 2 (`<p>:create`, `<p>:info`) |
//! | `deleteService` | 1 (`--force <p>:destroy`); bare name: 1 + P (`<p>:exists`) + 1 |
//! | `linkServiceToApp` / `unlinkServiceFromApp` | K; K > 1: 2K (`<p>:linked` first) |

use std::collections::BTreeSet;
use std::fmt;

use dokku_pro_api::models::{Service, ServiceAttributes, ServiceCreate, ServiceLink};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::Value;

use super::{AppError, OpContext, datastores};
use crate::host::parse::{
    KnownFailure, ServiceInfo, parse_service_info, parse_service_links, parse_service_list,
    parse_stderr,
};
use crate::host::{DokkuCommand, HostError, LockKey, Output, check_status, failure_message};
use crate::ids::{AppName, Datastore, Invalid, ServiceId, ServiceName, ServiceRef, quote};

/// How many datastore commands one request runs at once (over SSH they share one connection).
pub const CONCURRENCY: usize = 4;

/// The most services one link/unlink request may name.
const MAX_LINKS: usize = 50;

/// One attribute of `Service` that `fields`/`include` can name (`service_type` is always sent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    ConfigDir,
    ConfigOptions,
    ContainerId,
    DataDir,
    Dsn,
    ExposedPorts,
    Image,
    InternalIp,
    Links,
    ServiceDir,
    Status,
}

impl Field {
    pub const ALL: [Field; 11] = [
        Field::ConfigDir,
        Field::ConfigOptions,
        Field::ContainerId,
        Field::DataDir,
        Field::Dsn,
        Field::ExposedPorts,
        Field::Image,
        Field::InternalIp,
        Field::Links,
        Field::ServiceDir,
        Field::Status,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::ConfigDir => "config_dir",
            Field::ConfigOptions => "config_options",
            Field::ContainerId => "container_id",
            Field::DataDir => "data_dir",
            Field::Dsn => "dsn",
            Field::ExposedPorts => "exposed_ports",
            Field::Image => "image",
            Field::InternalIp => "internal_ip",
            Field::Links => "links",
            Field::ServiceDir => "service_dir",
            Field::Status => "status",
        }
    }
}

/// The attributes a request asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fields(BTreeSet<Field>);

impl Fields {
    pub fn all() -> Fields {
        Fields(Field::ALL.into_iter().collect())
    }

    /// From the `fields`/`include` query values (the generated enums, by their wire names):
    /// absent or containing `*` means all; otherwise the ones named, possibly none.
    pub fn from_query<T: fmt::Display>(items: Option<&[T]>) -> Result<Fields, Invalid> {
        let Some(items) = items else { return Ok(Fields::all()) };
        let mut set = BTreeSet::new();
        for item in items {
            let name = item.to_string();
            if name == "*" {
                return Ok(Fields::all());
            }
            let field = Field::ALL.into_iter().find(|f| f.name() == name).ok_or_else(|| {
                Invalid(format!("unknown field {}: use `*` or any of {}", quote(&name), names()))
            })?;
            set.insert(field);
        }
        Ok(Fields(set))
    }

    pub fn wants(&self, field: Field) -> bool {
        self.0.contains(&field)
    }

    /// Whether any attribute needs `<p>:info` (all but `service_type` do).
    pub fn needs_info(&self) -> bool {
        !self.0.is_empty()
    }
}

fn names() -> String {
    Field::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
}

/// `<datastore>:<subcommand> <service>`.
fn command(service: &ServiceRef, subcommand: &str) -> DokkuCommand {
    DokkuCommand::new(format!("{}:{subcommand}", service.datastore)).arg(service.name.as_str())
}

fn not_installed(datastore: &Datastore) -> AppError {
    AppError::Invalid(format!(
        "the datastore {datastore} is not installed on the Dokku host (install the dokku-{datastore} \
         plugin with `--name {datastore}`)"
    ))
}

fn not_found(id: &impl fmt::Display) -> AppError {
    AppError::NotFound(format!("Service {id} does not exist"))
}

fn ambiguous(name: &ServiceName, candidates: &[ServiceRef]) -> AppError {
    let ids: Vec<String> = candidates.iter().map(ToString::to_string).collect();
    AppError::Invalid(format!(
        "the service name {} is ambiguous: use one of {}",
        quote(name.as_str()),
        ids.join(", ")
    ))
}

/// What a datastore command's failure means when its text tells: the plugin is not installed
/// (400), the service exists already (409), or does not exist (`Err` with Dokku's message, for
/// the caller to decide). Anything else is mapped by its exit status.
fn classify(
    cmd: &DokkuCommand,
    datastore: &Datastore,
    out: Output,
) -> Result<Result<Output, String>, AppError> {
    if out.status == 1 {
        match parse_stderr(&out.stderr).known_failure() {
            Some(KnownFailure::ServiceDoesNotExist { .. }) => {
                return Ok(Err(failure_message(&out)));
            }
            Some(KnownFailure::UnknownCommand) => return Err(not_installed(datastore)),
            Some(KnownFailure::ServiceAlreadyExists { .. }) => {
                return Err(AppError::Conflict(failure_message(&out)));
            }
            _ => {}
        }
    }
    Ok(Ok(check_status(cmd, out)?))
}

/// Runs a read-only datastore command; see [`classify`].
async fn read(
    opctx: &OpContext,
    cmd: &DokkuCommand,
    datastore: &Datastore,
) -> Result<Result<Output, String>, AppError> {
    let out = opctx.host.read(cmd).await?;
    classify(cmd, datastore, out)
}

/// `<p>:info <svc>`: all rows in one call; `None` when the service does not exist.
async fn info(opctx: &OpContext, service: &ServiceRef) -> Result<Option<ServiceInfo>, AppError> {
    let cmd = command(service, "info");
    match read(opctx, &cmd, &service.datastore).await? {
        Ok(out) => parse_service_info(&out.stdout)
            .map(Some)
            .map_err(|e| HostError::unreadable(&cmd, e).into()),
        Err(_) => Ok(None),
    }
}

/// `--quiet <p>:list`: the datastore's services.
async fn services_of(
    opctx: &OpContext,
    datastore: &Datastore,
) -> Result<Vec<ServiceRef>, AppError> {
    let cmd = DokkuCommand::new(format!("{datastore}:list")).global_flag("--quiet");
    let names = match read(opctx, &cmd, datastore).await? {
        Ok(out) => parse_service_list(&out.stdout).map_err(|e| HostError::unreadable(&cmd, e))?,
        Err(_) => Vec::new(),
    };
    Ok(refs(datastore, names))
}

/// `<p>:app-links <app>`: the datastore's services linked to the app (exit 20: no such app).
async fn app_links(
    opctx: &OpContext,
    datastore: &Datastore,
    app: &AppName,
) -> Result<Vec<ServiceRef>, AppError> {
    let cmd = DokkuCommand::new(format!("{datastore}:app-links")).arg(app.as_str());
    let names = match read(opctx, &cmd, datastore).await? {
        Ok(out) => parse_service_links(&out.stdout).map_err(|e| HostError::unreadable(&cmd, e))?,
        Err(_) => Vec::new(),
    };
    Ok(refs(datastore, names))
}

/// Listed names as services of `datastore` (a name the plugin lists is always one it accepts;
/// one that is not is left out rather than making the whole listing fail).
fn refs(datastore: &Datastore, names: Vec<String>) -> Vec<ServiceRef> {
    names
        .into_iter()
        .filter_map(|n| ServiceName::parse(&n).ok())
        .map(|name| ServiceRef { datastore: datastore.clone(), name })
        .collect()
}

/// Runs `f` on every item, up to [`CONCURRENCY`] at a time, keeping the order (the items are
/// owned so the futures borrow nothing but what `f` captures).
async fn bounded<T, R, F, Fut>(items: Vec<T>, f: F) -> Result<Vec<R>, AppError>
where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = Result<R, AppError>>,
{
    stream::iter(items).map(f).buffered(CONCURRENCY).try_collect().await
}

/// The API model of one service, with the attributes `fields` asks for.
fn to_model(service: &ServiceRef, info: Option<&ServiceInfo>, fields: &Fields) -> Service {
    let mut a = ServiceAttributes {
        service_type: Some(service.datastore.to_string()),
        ..Default::default()
    };
    if let Some(info) = info {
        let pick = |field: Field, value: &Option<String>| {
            if fields.wants(field) { value.clone() } else { None }
        };
        a.config_dir = pick(Field::ConfigDir, &info.config_dir);
        a.config_options = pick(Field::ConfigOptions, &info.config_options);
        a.container_id = pick(Field::ContainerId, &info.container_id);
        a.data_dir = pick(Field::DataDir, &info.data_dir);
        a.dsn = pick(Field::Dsn, &info.dsn);
        a.image = pick(Field::Image, &info.image);
        a.internal_ip = pick(Field::InternalIp, &info.internal_ip);
        a.service_dir = pick(Field::ServiceDir, &info.service_root);
        a.status = pick(Field::Status, &info.status);
        if fields.wants(Field::ExposedPorts) {
            a.exposed_ports = info.exposed_ports.clone();
        }
        if fields.wants(Field::Links) {
            a.links = info.links.clone();
        }
    }
    Service::record(service.name.to_string(), a)
}

/// The models of these services, reading `<p>:info` only if the fields need it. A service that
/// disappeared between listing and reading is left out.
async fn describe(
    opctx: &OpContext,
    services: Vec<ServiceRef>,
    fields: &Fields,
) -> Result<Vec<Service>, AppError> {
    if !fields.needs_info() {
        return Ok(services.iter().map(|s| to_model(s, None, fields)).collect());
    }
    let infos: Vec<Option<ServiceInfo>> =
        bounded(services.clone(), |s| async move { info(opctx, &s).await }).await?;
    Ok(services
        .iter()
        .zip(infos)
        .filter_map(|(s, info)| info.map(|info| to_model(s, Some(&info), fields)))
        .collect())
}

/// `getServices`: every service of every installed official datastore.
pub async fn get_services<T: fmt::Display>(
    opctx: &OpContext,
    fields: Option<&[T]>,
) -> Result<Vec<Service>, AppError> {
    let fields = Fields::from_query(fields)?;
    let datastores = datastores::installed(opctx).await?;
    let lists: Vec<Vec<ServiceRef>> =
        bounded(datastores, |d| async move { services_of(opctx, &d).await }).await?;
    describe(opctx, lists.into_iter().flatten().collect(), &fields).await
}

/// The services a bare name may mean: that name on every installed datastore.
async fn candidates(opctx: &OpContext, name: &ServiceName) -> Result<Vec<ServiceRef>, AppError> {
    Ok(datastores::installed(opctx)
        .await?
        .into_iter()
        .map(|datastore| ServiceRef { datastore, name: name.clone() })
        .collect())
}

/// `getServiceById`.
pub async fn get_service_by_id<T: fmt::Display>(
    opctx: &OpContext,
    id: &ServiceId,
    fields: Option<&[T]>,
) -> Result<Service, AppError> {
    let fields = Fields::from_query(fields)?;
    let (service, info) = match id {
        ServiceId::Qualified(service) => match info(opctx, service).await? {
            Some(info) => (service.clone(), info),
            None => return Err(not_found(id)),
        },
        ServiceId::Bare(name) => {
            // `<p>:info` on every datastore: the one that has it answers, and we already hold
            // its rows (one call per datastore, not an existence check plus a read).
            let candidates = candidates(opctx, name).await?;
            let infos: Vec<Option<ServiceInfo>> =
                bounded(candidates.clone(), |s| async move { info(opctx, &s).await }).await?;
            let mut found: Vec<(ServiceRef, ServiceInfo)> = candidates
                .into_iter()
                .zip(infos)
                .filter_map(|(s, info)| info.map(|info| (s, info)))
                .collect();
            match found.len() {
                0 => return Err(not_found(id)),
                1 => found.remove(0),
                _ => {
                    let refs: Vec<ServiceRef> = found.into_iter().map(|(s, _)| s).collect();
                    return Err(ambiguous(name, &refs));
                }
            }
        }
    };
    Ok(to_model(&service, Some(&info), &fields))
}

/// `getServicesForApp`: the services linked to an app.
pub async fn get_services_for_app<T: fmt::Display>(
    opctx: &OpContext,
    app: &AppName,
    include: Option<&[T]>,
) -> Result<Vec<Service>, AppError> {
    let fields = Fields::from_query(include)?;
    let datastores = datastores::installed(opctx).await?;
    if datastores.is_empty() {
        // No `<p>:app-links` to tell whether the app exists: ask Dokku (exit 20 is a 404).
        let cmd = DokkuCommand::new("apps:exists").arg(app.as_str());
        check_status(&cmd, opctx.host.read(&cmd).await?)?;
        return Ok(Vec::new());
    }
    let lists: Vec<Vec<ServiceRef>> =
        bounded(datastores, |d| async move { app_links(opctx, &d, app).await }).await?;
    describe(opctx, lists.into_iter().flatten().collect(), &fields).await
}

/// The `<p>:create` options `ServiceCreate.attributes` may carry. The seed leaves the object open;
/// this server accepts `image` (`name[:tag]`, e.g. `postgres:16`) and refuses anything else, so
/// that no attribute is silently ignored.
fn create_options(attributes: &serde_json::Map<String, Value>) -> Result<Vec<String>, Invalid> {
    let mut options = Vec::new();
    for (key, value) in attributes {
        match (key.as_str(), value) {
            ("image", Value::Null) => {}
            ("image", Value::String(image)) => {
                let (name, tag) = split_image(image)?;
                options.extend(["--image".to_string(), name.to_string()]);
                if let Some(tag) = tag {
                    options.extend(["--image-version".to_string(), tag.to_string()]);
                }
            }
            ("image", _) => {
                return Err(Invalid(
                    "`attributes.image` must be a string like `postgres:16`".into(),
                ));
            }
            (other, _) => {
                return Err(Invalid(format!(
                    "unsupported service attribute {}: only `image` can be set at creation",
                    quote(other)
                )));
            }
        }
    }
    Ok(options)
}

/// `registry:5000/team/postgres:16` -> (`registry:5000/team/postgres`, `16`): the tag follows the
/// last `:` after the last `/`.
fn split_image(image: &str) -> Result<(&str, Option<&str>), Invalid> {
    let bad = || {
        Invalid(format!(
            "invalid image {}: expected `name[:tag]` with letters, digits and `._/-` \
             (a digest `@sha256:…` is not supported)",
            quote(image)
        ))
    };
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match image[slash..].rfind(':') {
        Some(colon) => (&image[..slash + colon], Some(&image[slash + colon + 1..])),
        None => (image, None),
    };
    let name_ok = name.len() <= 255 && image_name_ok(name);
    let tag_ok = tag.is_none_or(|t| {
        !t.is_empty()
            && t.len() <= 128
            && t.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && t.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    });
    if name_ok && tag_ok { Ok((name, tag)) } else { Err(bad()) }
}

/// Docker's reference grammar for a repository name: an optional registry (`host[:port]`, told
/// apart by a `.` or `:` or being `localhost`) and `/`-separated path components of lowercase
/// letters and digits joined by `.`, `_`, `__` or dashes. So no component is empty, `.` or `..`
/// (`postgres:16/../../etc/passwd` is no image), and nothing reads as a flag.
fn image_name_ok(name: &str) -> bool {
    let mut components: Vec<&str> = name.split('/').collect();
    if components.len() > 1 && (components[0].contains(['.', ':']) || components[0] == "localhost")
    {
        let registry = components.remove(0);
        let (host, port) = match registry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (registry, None),
        };
        let host_ok = host.split('.').all(|label| {
            !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
        let port_ok = port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()));
        if !host_ok || !port_ok {
            return false;
        }
    }
    components.iter().all(|component| {
        let alnum = |s: &str| {
            !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        };
        // Runs of lowercase letters and digits, separated by `.`, `_`, `__` or dashes.
        let mut rest = *component;
        loop {
            let end = rest
                .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
                .unwrap_or(rest.len());
            if !alnum(&rest[..end]) {
                return false;
            }
            rest = &rest[end..];
            if rest.is_empty() {
                return true;
            }
            let sep_end = rest
                .find(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                .unwrap_or(rest.len());
            let sep = &rest[..sep_end];
            if !matches!(sep, "." | "_" | "__") && !sep.chars().all(|c| c == '-') {
                return false;
            }
            rest = &rest[sep_end..];
        }
    })
}

/// `addService`: `<p>:create <svc> [--image X --image-version Y]`, then the new service.
pub async fn add_service(opctx: &OpContext, data: ServiceCreate) -> Result<Service, AppError> {
    let id = data.id.as_deref().ok_or_else(|| {
        Invalid(
            "`data.id` is required: the new service as `datastore:name`, e.g. `postgres:lollipop`"
                .into(),
        )
    })?;
    let service = ServiceRef::parse(id)?;
    let options = create_options(&data.attributes)?;
    let lock = opctx.host.lock(LockKey::Service(service.clone())).await;
    let cmd = command(&service, "create").with_args(options);
    // Creation never reports a missing service; if it did, it refused the request.
    let out = lock.run_raw(&cmd).await?;
    classify(&cmd, &service.datastore, out)?.map_err(AppError::Invalid)?;
    let info = info(opctx, &service).await?.ok_or_else(|| not_found(&service))?;
    Ok(to_model(&service, Some(&info), &Fields::all()))
}

/// `deleteService`: `--force <p>:destroy <svc>`. Dokku refuses a linked service (400 with its
/// message).
pub async fn delete_service(opctx: &OpContext, id: &ServiceId) -> Result<(), AppError> {
    let service = resolve(opctx, id).await?.ok_or_else(|| not_found(id))?;
    let lock = opctx.host.lock(LockKey::Service(service.clone())).await;
    let cmd = command(&service, "destroy").global_flag("--force");
    let out = lock.run_raw(&cmd).await?;
    classify(&cmd, &service.datastore, out)?.map_err(|_| not_found(id))?;
    Ok(())
}

/// The service an id names: a qualified id as it is, a bare name looked up with `<p>:exists` on
/// every installed datastore (`None` when none has it; 400 naming the candidates when several
/// do).
async fn resolve(opctx: &OpContext, id: &ServiceId) -> Result<Option<ServiceRef>, AppError> {
    let name = match id {
        ServiceId::Qualified(service) => return Ok(Some(service.clone())),
        ServiceId::Bare(name) => name,
    };
    let candidates = candidates(opctx, name).await?;
    let exists: Vec<bool> = bounded(candidates.clone(), |s| async move {
        Ok(read(opctx, &command(&s, "exists"), &s.datastore).await?.is_ok())
    })
    .await?;
    let mut found: Vec<ServiceRef> =
        candidates.into_iter().zip(exists).filter_map(|(s, exists)| exists.then_some(s)).collect();
    match found.len() {
        0 => Ok(None),
        1 => Ok(Some(found.remove(0))),
        _ => Err(ambiguous(name, &found)),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    Link,
    Unlink,
}

impl Change {
    fn subcommand(self) -> &'static str {
        match self {
            Change::Link => "link",
            Change::Unlink => "unlink",
        }
    }
}

/// The services a link/unlink body names, checked: at least one, each `datastore:name` or a
/// bare name that one installed datastore has (as `GET /services` lists them), none twice.
async fn link_targets(
    opctx: &OpContext,
    items: Vec<ServiceLink>,
    change: Change,
) -> Result<Vec<ServiceRef>, AppError> {
    if items.is_empty() {
        return Err(Invalid(format!(
            "the body must list the services to {}: \
             {{\"data\":[{{\"type\":\"services\",\"id\":\"postgres:lollipop\"}}]}}",
            change.subcommand()
        ))
        .into());
    }
    if items.len() > MAX_LINKS {
        return Err(Invalid(format!("at most {MAX_LINKS} services per request")).into());
    }
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        let id = item.id.as_deref().ok_or_else(|| {
            Invalid(
                "each service in `data` needs an `id` (a service name or `datastore:name`)".into(),
            )
        })?;
        ids.push(ServiceId::parse(id)?);
    }
    let mut targets: Vec<ServiceRef> = Vec::with_capacity(ids.len());
    for id in ids {
        let service = resolve(opctx, &id)
            .await?
            .ok_or_else(|| AppError::Invalid(format!("Service {id} does not exist")))?;
        if targets.contains(&service) {
            return Err(Invalid(format!("{service} is listed twice")).into());
        }
        targets.push(service);
    }
    Ok(targets)
}

/// `<p>:linked <svc> <app>`: whether the service is linked to the app (exit 20: no such app;
/// an unknown service is Dokku's refusal, 400).
async fn is_linked(
    opctx: &OpContext,
    service: &ServiceRef,
    app: &AppName,
) -> Result<bool, AppError> {
    let cmd = command(service, "linked").arg(app.as_str());
    let out = opctx.host.read(&cmd).await?;
    // ` !     Service <svc> is not linked to <app>` (exit 1) is the "no" answer.
    if out.status == 1
        && parse_stderr(&out.stderr).messages.iter().any(|m| m.contains(" is not linked to "))
    {
        return Ok(false);
    }
    classify(&cmd, &service.datastore, out)?.map_err(AppError::Invalid)?;
    Ok(true)
}

/// Links or unlinks, holding the app's lock (its environment changes) and each service's (its
/// link list changes).
async fn change_links(
    opctx: &OpContext,
    app: &AppName,
    items: Vec<ServiceLink>,
    change: Change,
) -> Result<(), AppError> {
    let targets = link_targets(opctx, items, change).await?;
    let keys = std::iter::once(LockKey::App(app.clone()))
        .chain(targets.iter().cloned().map(LockKey::Service))
        .collect();
    let lock = opctx.host.lock_all(keys).await;
    if targets.len() > 1 {
        for service in &targets {
            let linked = is_linked(opctx, service, app).await?;
            match (change, linked) {
                (Change::Link, true) => {
                    return Err(AppError::Invalid(format!("{service} is already linked to {app}")));
                }
                (Change::Unlink, false) => {
                    return Err(AppError::Invalid(format!("{service} is not linked to {app}")));
                }
                _ => {}
            }
        }
    }
    let last = targets.len() - 1;
    for (i, service) in targets.iter().enumerate() {
        let mut cmd = command(service, change.subcommand()).arg(app.as_str());
        if i < last {
            cmd = cmd.arg("--no-restart");
        }
        let out = lock.run_raw(&cmd).await?;
        classify(&cmd, &service.datastore, out)?.map_err(AppError::Invalid)?;
    }
    Ok(())
}

/// `linkServiceToApp`: `<p>:link <svc> <app>` for each service (the app restarts once).
pub async fn link_service_to_app(
    opctx: &OpContext,
    app: &AppName,
    services: Vec<ServiceLink>,
) -> Result<(), AppError> {
    change_links(opctx, app, services, Change::Link).await
}

/// `unlinkServiceFromApp`: `<p>:unlink <svc> <app>` for each service (the app restarts once).
pub async fn unlink_service_from_app(
    opctx: &OpContext,
    app: &AppName,
    services: Vec<ServiceLink>,
) -> Result<(), AppError> {
    change_links(opctx, app, services, Change::Unlink).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_absent_star_list_and_empty() {
        assert_eq!(Fields::from_query::<&str>(None).unwrap(), Fields::all());
        assert_eq!(Fields::from_query(Some(&["dsn", "*"][..])).unwrap(), Fields::all());
        let some = Fields::from_query(Some(&["dsn", "status", "dsn"][..])).unwrap();
        assert!(some.wants(Field::Dsn) && some.wants(Field::Status) && !some.wants(Field::Links));
        let none = Fields::from_query::<&str>(Some(&[])).unwrap();
        assert!(!none.needs_info());
        assert!(Fields::from_query(Some(&["service_type"][..])).is_err());
    }

    #[test]
    fn images_split_at_the_tag() {
        assert_eq!(split_image("postgres:16").unwrap(), ("postgres", Some("16")));
        assert_eq!(split_image("postgres").unwrap(), ("postgres", None));
        assert_eq!(
            split_image("registry:5000/team/pg:16.2-alpine").unwrap(),
            ("registry:5000/team/pg", Some("16.2-alpine"))
        );
        assert_eq!(split_image("registry:5000/team/pg").unwrap(), ("registry:5000/team/pg", None));
        for bad in ["", ":16", "pg:", "pg@sha256:abc", "-pg", "pg:-x", "pg 16", "pg:1 6"] {
            assert!(split_image(bad).is_err(), "{bad}");
        }
        // Docker's grammar: no path-like components, lowercase repositories.
        for bad in [
            "postgres:16/../../etc/passwd",
            "../../etc/passwd",
            "pg/./x",
            "pg//x",
            "pg/",
            "Postgres",
            "pg-",
            "pg..x",
            "registry:5000:16/pg",
            "registry:x/pg",
            "-registry.io/pg",
        ] {
            assert!(split_image(bad).is_err(), "{bad}");
        }
        for ok in ["library/postgres:16", "ghcr.io/a_b/c--d:1", "localhost/pg", "team/a.b__c"] {
            assert!(split_image(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn create_attributes() {
        let map = |v: Value| v.as_object().unwrap().clone();
        assert!(create_options(&map(serde_json::json!({}))).unwrap().is_empty());
        assert_eq!(
            create_options(&map(serde_json::json!({"image": "postgres:16"}))).unwrap(),
            ["--image", "postgres", "--image-version", "16"]
        );
        assert!(create_options(&map(serde_json::json!({"image": 5}))).is_err());
        assert!(create_options(&map(serde_json::json!({"password": "x"}))).is_err());
    }

    #[test]
    fn models_omit_what_was_not_asked_and_what_is_empty() {
        let service = ServiceRef::parse("redis:cache").unwrap();
        let info = ServiceInfo {
            dsn: Some("redis://:pw@dokku-redis-cache:6379".into()),
            status: Some("running".into()),
            links: vec!["app".into()],
            ..Default::default()
        };
        let fields = Fields::from_query(Some(&["dsn", "links", "image"][..])).unwrap();
        let model = serde_json::to_value(to_model(&service, Some(&info), &fields)).unwrap();
        assert_eq!(
            model,
            serde_json::json!({"id": "cache", "type": "services", "attributes": {
                "service_type": "redis", "dsn": "redis://:pw@dokku-redis-cache:6379",
                "links": ["app"]}})
        );
    }
}
