//! The server-wide state every handler shares ([`ApiContext`]), the per-operation context the
//! app layer works with ([`OpContext`]), and [`op`], the one combinator every authenticated
//! operation goes through. With `http_entrypoints`, `envelope` and `front`, the only modules that
//! see dropshot.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use dokku_pro_api::auth::{BearerAuth, Credentials};
use dokku_pro_api::error::ApiError;
use dropshot::RequestContext;
use serde_json::{Map, Value};
use slog::Logger;

use crate::audit::{self, AuditLog, Event};
use crate::auth::{Actor, Authenticator, LoginRequest};
use crate::front::RefusedRequest;
use crate::host::Host;
use crate::jobs::{JobId, Jobs};

/// Shared by all requests (dropshot's `Context`).
pub struct ApiContext {
    pub log: Logger,
    pub auth: Arc<Authenticator>,
    pub host: Arc<Host>,
    /// The background job queue (the `202` operations enqueue here).
    pub jobs: Arc<Jobs>,
    /// The health checks (`GET /health`).
    pub health: Arc<crate::health::Monitor>,
    /// Where every request that changes something is recorded.
    pub audit: Arc<AuditLog>,
    /// The served OpenAPI document, rendered once at start.
    pub openapi: Arc<Map<String, Value>>,
    /// Each operation's success status and path parameters, from the served document (for the
    /// audit log).
    operations: HashMap<String, OperationFacts>,
    /// Peers whose `X-Forwarded-For` names the client (`[http] trusted_proxies`).
    trusted_proxies: Vec<IpAddr>,
}

/// What the audit log needs to know of an operation.
struct OperationFacts {
    /// Its method, in upper case.
    method: String,
    /// Its one `2xx` response code.
    success: u16,
    /// Its path's segments below the base path.
    segments: Vec<Segment>,
}

enum Segment {
    Literal(String),
    /// `{name}`.
    Parameter(String),
}

/// The values of the parameters of `template` in the path segments `values`.
fn parameters(template: &[Segment], values: &[String]) -> Vec<(String, String)> {
    template
        .iter()
        .zip(values)
        .filter_map(|(segment, value)| match segment {
            Segment::Parameter(name) => Some((name.clone(), value.clone())),
            Segment::Literal(_) => None,
        })
        .collect()
}

impl ApiContext {
    pub fn new(
        log: Logger,
        auth: Arc<Authenticator>,
        host: Arc<Host>,
        jobs: Arc<Jobs>,
        health: Arc<crate::health::Monitor>,
        audit: Arc<AuditLog>,
        openapi: Arc<Map<String, Value>>,
    ) -> ApiContext {
        let operations = operation_facts(&openapi);
        ApiContext {
            log,
            auth,
            host,
            jobs,
            health,
            audit,
            openapi,
            operations,
            trusted_proxies: Vec::new(),
        }
    }

    /// Takes the client's address from `X-Forwarded-For` on requests from these peers.
    pub fn with_trusted_proxies(mut self, proxies: Vec<IpAddr>) -> ApiContext {
        self.trusted_proxies = proxies;
        self
    }

    /// The path parameters of a request to `operation` on `path` (the request's, with the base
    /// path), decoded as the router decodes them.
    fn path_parameters(&self, operation: &str, path: &str) -> Vec<(String, String)> {
        let Some(facts) = self.operations.get(operation) else { return Vec::new() };
        let Some(decoded) = crate::body_shape::route_segments(path) else { return Vec::new() };
        // The request's segments start with the base path's (`@api`).
        let skip = decoded.len().saturating_sub(facts.segments.len());
        parameters(&facts.segments, &decoded[skip..])
    }

    /// The operation `method` on the decoded path `segments` (base path first) routes to, and
    /// its path parameters; literal segments win over parameters, as in the router.
    fn route(
        &self,
        method: &http::Method,
        segments: &[String],
    ) -> Option<(&str, Vec<(String, String)>)> {
        let base = dokku_pro_api::BASE_PATH.trim_start_matches('/');
        let (first, rest) = segments.split_first()?;
        if first != base {
            return None;
        }
        self.operations
            .iter()
            .filter(|(_, f)| {
                f.method == method.as_str()
                    && f.segments.len() == rest.len()
                    && f.segments.iter().zip(rest).all(|(s, w)| match s {
                        Segment::Literal(l) => l == w,
                        Segment::Parameter(_) => !w.is_empty(),
                    })
            })
            .min_by_key(|(_, f)| {
                f.segments.iter().filter(|s| matches!(s, Segment::Parameter(_))).count()
            })
            .map(|(id, f)| (id.as_str(), parameters(&f.segments, rest)))
    }

    /// Records a request to an operation that changes something, refused before its handler ran
    /// (see [`RefusedRequest`]): who sent it as far as its credentials tell (a token's user and
    /// id when this server signed it, expired or not; a password login's user name), never the
    /// credentials. A path that is no operation's is not recorded.
    pub async fn record_refused(&self, refused: RefusedRequest) {
        let Some((operation, parameters)) = self.route(&refused.method, &refused.segments) else {
            return;
        };
        let (app, resource) =
            audit::path_target(parameters.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let credentials = Credentials::parse(refused.authorization.as_ref().map(|v| v.as_bytes()));
        let (user, token_id) = match &credentials {
            Credentials::Bearer(token) => self.auth.identify(token.expose()).unzip(),
            Credentials::Basic { username, .. } => (Some(audit::clean(username)), None),
            _ => (None, None),
        };
        let at_ms = refused
            .started
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let event = Event {
            at_ms,
            duration_ms: i64::try_from(refused.elapsed.as_millis()).unwrap_or(i64::MAX),
            user,
            token_id,
            operation: operation.to_string(),
            method: refused.method.to_string(),
            app,
            resource,
            request_id: refused.request_id,
            status: refused.status,
            job_id: None,
            client: Some(refused.peer.ip().to_string()),
            id: 0,
        };
        self.audit.record(event).await;
    }
}

/// Every operation's success code and path template, from `openapi`.
fn operation_facts(openapi: &Map<String, Value>) -> HashMap<String, OperationFacts> {
    let mut out = HashMap::new();
    let paths = openapi.get("paths").and_then(Value::as_object);
    for (path, item) in paths.into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let Some(id) = op["operationId"].as_str() else { continue };
            let success = op["responses"]
                .as_object()
                .into_iter()
                .flat_map(|r| r.keys())
                .filter_map(|code| code.parse::<u16>().ok())
                .find(|code| (200..300).contains(code))
                .unwrap_or(200);
            let segments = path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => Segment::Parameter(name.to_string()),
                    None => Segment::Literal(s.to_string()),
                })
                .collect();
            let method = method.to_ascii_uppercase();
            out.insert(id.to_string(), OperationFacts { method, success, segments });
        }
    }
    out
}

/// One authenticated operation: who asked, in which request, and what it may use. Every app
/// layer function takes one, so no operation can run without an authenticated actor.
pub struct OpContext {
    pub actor: Actor,
    /// dropshot's request id (`X-Request-Id`), carried into job records.
    pub request_id: String,
    /// The operation's `operationId`.
    pub operation: String,
    /// The request's logger, with the operation and the user.
    pub log: Logger,
    pub host: Arc<Host>,
    pub jobs: Arc<Jobs>,
    /// The audit log (its listing; recording is [`op`]'s).
    pub audit: Arc<AuditLog>,
    /// What the operation tells its audit event beyond what [`op`] knows.
    notes: Mutex<Notes>,
}

/// What an operation learns while it runs that its audit event records: the app and object its
/// body names, the job it queued.
#[derive(Default)]
struct Notes {
    app: Option<String>,
    resource: Option<String>,
    job: Option<JobId>,
}

impl OpContext {
    fn notes(&self) -> std::sync::MutexGuard<'_, Notes> {
        self.notes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The request body's `data` (as JSON), for the app and object it names
    /// ([`audit::body_target`]: naming attributes only, never a value).
    pub fn note_body(&self, data: &impl serde::Serialize) {
        let Ok(data) = serde_json::to_value(data) else { return };
        let (app, resource) = audit::body_target(&self.operation, &data);
        let mut notes = self.notes();
        notes.app = notes.app.take().or(app);
        notes.resource = notes.resource.take().or(resource);
    }

    /// The object the request names, when its path does not.
    pub fn note_resource(&self, resource: &str) {
        let mut notes = self.notes();
        if notes.resource.is_none() && !resource.is_empty() {
            notes.resource = Some(audit::clean(resource));
        }
    }

    /// The job the request queued or joined.
    pub fn note_job(&self, id: JobId) {
        self.notes().job = Some(id);
    }
}

/// The audit event of one request to an operation that changes something, filled in as the
/// request goes and recorded when it ends ([`Pending::end`]). Dropped before that (the handler
/// panicked), it is recorded with status 500.
pub struct Pending {
    audit: Arc<AuditLog>,
    event: Option<Event>,
    started: Instant,
}

/// How a request ended, for its audit event.
#[derive(Default)]
pub struct Outcome {
    pub status: u16,
    pub user: Option<String>,
    pub token_id: Option<String>,
    /// Set only when the path did not name them.
    pub app: Option<String>,
    pub resource: Option<String>,
    pub job: Option<JobId>,
}

impl Pending {
    /// Starts the audit event of `rqctx`, or `None` for a request that changes nothing (GET).
    pub fn begin(rqctx: &RequestContext<Arc<ApiContext>>) -> Option<Pending> {
        if !audit::is_audited(rqctx.request.method()) {
            return None;
        }
        let operation = &rqctx.endpoint.operation_id;
        let parameters = rqctx.context().path_parameters(operation, rqctx.request.uri().path());
        let (app, resource) =
            audit::path_target(parameters.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let event = Event {
            at_ms: crate::jobs::now_ms(),
            operation: rqctx.endpoint.operation_id.clone(),
            method: rqctx.request.method().to_string(),
            app,
            resource,
            request_id: rqctx.request_id.clone(),
            client: Some(client_ip(rqctx).to_string()),
            ..Event::default()
        };
        Some(Pending {
            audit: rqctx.context().audit.clone(),
            event: Some(event),
            started: Instant::now(),
        })
    }

    /// Records the event with how the request ended.
    pub async fn end(mut self, outcome: Outcome) {
        let Some(mut event) = self.event.take() else { return };
        event.duration_ms = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        event.status = outcome.status;
        event.user = outcome.user.map(|u| audit::clean(&u));
        event.token_id = outcome.token_id;
        event.app = event.app.or(outcome.app);
        event.resource = event.resource.or(outcome.resource);
        event.job_id = outcome.job.map(|j| j.0);
        self.audit.record(event).await;
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(mut event) = self.event.take() {
            event.duration_ms =
                i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
            event.status = 500;
            self.audit.record_now(event);
        }
    }
}

/// Runs one authenticated operation: checks the bearer credentials, builds the [`OpContext`],
/// and runs `f` with it. Every operation but `login`, `logout` and the public reads goes through
/// here, so authentication cannot be forgotten and the app layer never sees dropshot. A request
/// that changes something is recorded in the audit log here too, whatever its outcome.
pub async fn op<T, E: Into<ApiError>>(
    rqctx: &RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    f: impl AsyncFnOnce(&OpContext) -> Result<T, E>,
) -> Result<T, ApiError> {
    let ctx = rqctx.context();
    let pending = Pending::begin(rqctx);
    let actor = match ctx.auth.authenticate(&auth.0).await {
        Ok(actor) => actor,
        Err(e) => {
            let e = ApiError::from(e);
            return Err(match pending {
                Some(pending) => {
                    pending
                        .end(Outcome { status: e.status().as_u16(), ..Outcome::default() })
                        .await;
                    e.audited()
                }
                None => e,
            });
        }
    };
    let operation = rqctx.endpoint.operation_id.clone();
    let log = rqctx.log.new(slog::o!(
        "operation" => operation.clone(),
        "user" => actor.user.clone(),
    ));
    let opctx = OpContext {
        actor,
        request_id: rqctx.request_id.clone(),
        operation,
        log,
        host: ctx.host.clone(),
        jobs: ctx.jobs.clone(),
        audit: ctx.audit.clone(),
        notes: Mutex::new(Notes::default()),
    };
    let mut result = f(&opctx).await.map_err(Into::into);
    if let Some(pending) = pending {
        let status = match &result {
            Ok(_) => ctx.operations.get(&opctx.operation).map_or(200, |o| o.success),
            Err(e) => e.status().as_u16(),
        };
        let notes = std::mem::take(&mut *opctx.notes());
        pending
            .end(Outcome {
                status,
                user: Some(opctx.actor.user.clone()),
                token_id: Some(opctx.actor.token_id.clone()),
                app: notes.app,
                resource: notes.resource,
                job: notes.job,
            })
            .await;
        result = result.map_err(ApiError::audited);
    }
    result
}

/// `login` (POST /tokens), audited: the user is the name tried (Basic) or the bearer token's
/// user, the resource the id of the token issued.
pub async fn login(
    rq: &RequestContext<Arc<ApiContext>>,
    credentials: &Credentials,
    body: Option<dokku_pro_api::models::LoginBody>,
) -> Result<dokku_pro_api::models::Token, ApiError> {
    let pending = Pending::begin(rq);
    let auth = &rq.context().auth;
    // Who asks: the user name tried (Basic), or the bearer token's user and id when this
    // server signed it.
    let (mut user, token_id) = match credentials {
        Credentials::Basic { username, .. } => (Some(username.clone()), None),
        Credentials::Bearer(token) => match auth.identify(token.expose()) {
            Some((user, jti)) => (Some(user), Some(jti)),
            None => (None, None),
        },
        _ => (None, None),
    };
    let result = async {
        let request = LoginRequest::from_body(body)?;
        let client = client_ip(rq);
        Ok::<_, ApiError>(auth.login(client, credentials, request).await?)
    }
    .await;
    let (status, issued) = match &result {
        Ok(token) => (201, token.id.as_deref().and_then(|t| auth.identify(t))),
        Err(e) => (e.status().as_u16(), None),
    };
    let resource = issued.map(|(issued_to, jti)| {
        user = Some(issued_to);
        jti
    });
    let audited = pending.is_some();
    if let Some(pending) = pending {
        pending.end(Outcome { status, user, token_id, resource, ..Outcome::default() }).await;
    }
    result.map_err(|e| if audited { e.audited() } else { e })
}

/// `logout` (DELETE /tokens/{token}), audited with the token's user and id, never the token.
pub async fn logout(rq: &RequestContext<Arc<ApiContext>>, token: String) -> Result<(), ApiError> {
    let pending = Pending::begin(rq);
    let auth = &rq.context().auth;
    let mut result = auth.logout(&token).await.map_err(ApiError::from);
    if let Some(pending) = pending {
        // The path is the token itself: only its user and id are recorded.
        let (user, token_id) = auth.identify(&token).unzip();
        let status = result.as_ref().map_or_else(|e| e.status().as_u16(), |()| 204);
        let resource = token_id.clone();
        pending.end(Outcome { status, user, token_id, resource, ..Outcome::default() }).await;
        result = result.map_err(ApiError::audited);
    }
    result
}

/// The client's address: the peer of the connection the request came on, unless that peer is a
/// trusted proxy (see [`forwarded_client`]).
pub fn client_ip(rqctx: &RequestContext<Arc<ApiContext>>) -> IpAddr {
    let peer = rqctx.request.remote_addr().ip();
    let forwarded = rqctx.request.headers().get_all("x-forwarded-for");
    forwarded_client(
        peer,
        &rqctx.context().trusted_proxies,
        forwarded.iter().filter_map(|v| v.to_str().ok()),
    )
}

/// Who sent a request that reached us from `peer` with these `X-Forwarded-For` values. Each
/// proxy appends the address it got the request from, so only the entries a trusted proxy added
/// can be believed: walking from the right, the first address that is not a trusted proxy is the
/// client; anything left of it is the client's own word. A peer that is not trusted, or an entry
/// that is not an address, ends the walk at the last address that could be believed.
pub fn forwarded_client<'a>(
    peer: IpAddr,
    trusted: &[IpAddr],
    values: impl Iterator<Item = &'a str>,
) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = values.flat_map(|v| v.split(',')).map(str::trim).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip.to_canonical();
                if !trusted.contains(&client) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;
    use std::net::IpAddr;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_client_is_the_last_forwarded_address_that_is_not_a_trusted_proxy() {
        let proxy = ip("127.0.0.1");
        let trusted = [proxy, ip("10.0.0.2")];
        let client =
            |peer, values: &[&str]| forwarded_client(peer, &trusted, values.iter().copied());
        // No header, or an untrusted peer: the peer.
        assert_eq!(client(proxy, &[]), proxy);
        assert_eq!(client(ip("192.0.2.1"), &["203.0.113.5"]), ip("192.0.2.1"));
        // One hop; two proxies; entries before the client's are its own word.
        assert_eq!(client(proxy, &["203.0.113.5"]), ip("203.0.113.5"));
        assert_eq!(client(proxy, &["203.0.113.5, 10.0.0.2"]), ip("203.0.113.5"));
        assert_eq!(client(proxy, &["1.2.3.4, 203.0.113.5"]), ip("203.0.113.5"));
        // Several header lines read as one list, in order.
        assert_eq!(client(proxy, &["1.2.3.4", "203.0.113.5"]), ip("203.0.113.5"));
        // Garbage ends the walk at the last address that could be believed.
        assert_eq!(client(proxy, &["not an address"]), proxy);
        assert_eq!(client(proxy, &["203.0.113.5, unknown, 10.0.0.2"]), ip("10.0.0.2"));
        // An IPv4-mapped peer is the IPv4 address it maps.
        assert_eq!(client(ip("::ffff:127.0.0.1"), &["203.0.113.5"]), ip("203.0.113.5"));
        assert_eq!(client(proxy, &["2001:db8::1"]), ip("2001:db8::1"));
    }
}
