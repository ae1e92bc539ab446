//! The audit log: one event per request to an operation that changes something (`docs/audit.md`
//! is the operator's view).
//!
//! # What is recorded
//!
//! Every request with the method POST, PUT, PATCH or DELETE to an operation, whatever its
//! outcome (a refused token, Dokku's refusal, an internal error): when it arrived and how long it
//! took, the user and the id (`jti`) of the token it carried, the `operationId` and method, the
//! app and the object it named, the request id, the status it was answered with, the job it
//! queued, and the client's address. `context::op` records every authenticated operation, so no
//! handler can forget; `login` and `logout` record themselves (their credentials are not a bearer
//! token). Their error responses carry `dokku_pro_api::error::Audited`; a 4xx without it is a
//! request refused before any handler ran (its body unparsable, of the wrong shape, too large,
//! late), which the front door hands to `ApiContext::record_refused`. A handler that panics is
//! recorded with status 500 (`context::Pending`'s `Drop`).
//!
//! Never recorded: request bodies, passwords, env values, tokens. The object an operation names
//! comes from its path parameters and from a fixed list of naming attributes of its body
//! ([`body_target`]), never a value; the path of `logout`, which is the token itself, is never
//! read (its `jti` is recorded instead); user information in a URL (`https://user:pw@host/...`)
//! and anything shaped like a token are replaced by `<redacted>` ([`clean`]). Reads (GET) are
//! not recorded.
//!
//! # How it is written
//!
//! A request hands its event to [`AuditLog::record`], which queues it (waiting only while the
//! queue is full) for one writer task; the writer stores what has queued up in one transaction.
//! So a mutation never waits for the database on behalf of its audit event, reads never touch
//! it, and a burst of mutations costs one commit per batch rather than one per request. An event
//! the database refuses is not lost silently: it is logged at error level with its fields, and
//! the request's answer is unchanged. [`AuditLog::flush`] waits until everything queued before it
//! is stored (the audit listing calls it first, so a client reads its own requests).
//!
//! A crash loses the events still queued (milliseconds' worth); the request log keeps them.

pub mod cli;
pub mod store;

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::Value;
use slog::{Logger, error};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

pub use store::{Event, Filter};

use crate::storage::{Storage, StorageError};

/// Events waiting for the writer; past this, requests wait for room.
const QUEUE: usize = 1024;
/// The most events one transaction stores.
const BATCH: usize = 256;
/// The longest text kept in a field; longer text is cut, ending in `…`.
const MAX_FIELD_CHARS: usize = 256;

/// Whether requests with this method are recorded: those that ask to change something.
pub fn is_audited(method: &http::Method) -> bool {
    matches!(
        *method,
        http::Method::POST | http::Method::PUT | http::Method::PATCH | http::Method::DELETE
    )
}

enum Message {
    Event(Box<Event>),
    Flush(oneshot::Sender<()>),
}

/// The queue in front of the `audit_events` table, and its writer.
pub struct AuditLog {
    storage: Storage,
    sender: mpsc::Sender<Message>,
    writer: Mutex<Option<JoinHandle<()>>>,
    log: Logger,
}

impl AuditLog {
    /// Starts the writer.
    pub fn start(storage: Storage, log: Logger) -> Arc<AuditLog> {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let writer = tokio::spawn(write(storage.clone(), receiver, log.clone()));
        Arc::new(AuditLog { storage, sender, writer: Mutex::new(Some(writer)), log })
    }

    /// The stored events `filter` selects, newest first (call [`AuditLog::flush`] first to
    /// include those still queued).
    pub async fn list(&self, filter: Filter) -> Result<Vec<Event>, StorageError> {
        self.storage.call(move |c| store::list(c, &filter)).await
    }

    /// Queues `event` for the writer; waits only while the queue is full.
    pub async fn record(&self, event: Event) {
        if let Err(mpsc::error::SendError(Message::Event(event))) =
            self.sender.send(Message::Event(Box::new(event))).await
        {
            lost(&self.log, &event, "the audit log is closed");
        }
    }

    /// Queues `event` without waiting (from a `Drop`); logs it at error level if the queue is
    /// full.
    pub fn record_now(&self, event: Event) {
        match self.sender.try_send(Message::Event(Box::new(event))) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(Message::Event(event))) => {
                lost(&self.log, &event, "the audit queue is full")
            }
            Err(mpsc::error::TrySendError::Closed(Message::Event(event))) => {
                lost(&self.log, &event, "the audit log is closed")
            }
            Err(_) => {}
        }
    }

    /// Returns once every event queued before the call is stored (or logged as lost).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.sender.send(Message::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// Stores what is queued, then stops the writer. Events recorded later are logged as lost.
    pub async fn shutdown(&self) {
        self.flush().await;
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(writer) = writer {
            writer.abort();
            let _ = writer.await;
        }
    }
}

/// The writer: takes what has queued up (at most [`BATCH`] events), stores it in one
/// transaction, then answers the flushes that were queued behind it.
async fn write(storage: Storage, mut receiver: mpsc::Receiver<Message>, log: Logger) {
    let mut messages = Vec::with_capacity(BATCH);
    while receiver.recv_many(&mut messages, BATCH).await > 0 {
        let mut events = Vec::with_capacity(messages.len());
        let mut flushes = Vec::new();
        for message in messages.drain(..) {
            match message {
                Message::Event(event) => events.push(*event),
                Message::Flush(done) => flushes.push(done),
            }
        }
        if !events.is_empty() {
            let count = events.len();
            let stored = storage
                .call(move |c| {
                    let written = store::insert(c, &events);
                    Ok::<_, StorageError>((events, written))
                })
                .await;
            match stored {
                Ok((_, Ok(()))) => {}
                Ok((events, Err(e))) => {
                    let why = crate::error::chain(&e);
                    for event in &events {
                        lost(&log, event, &why);
                    }
                }
                Err(e) => error!(log, "audit events not recorded: the database task failed";
                    "count" => count, "error" => crate::error::chain(&e)),
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// An event the database did not take goes to the log instead, whole.
fn lost(log: &Logger, e: &Event, why: &str) {
    error!(log, "audit event not recorded";
        "error" => why,
        "at_ms" => e.at_ms,
        "user" => e.user.as_deref().unwrap_or(""),
        "token_id" => e.token_id.as_deref().unwrap_or(""),
        "operation" => &e.operation,
        "method" => &e.method,
        "app" => e.app.as_deref().unwrap_or(""),
        "resource" => e.resource.as_deref().unwrap_or(""),
        "request_id" => &e.request_id,
        "status" => e.status,
        "job_id" => e.job_id.unwrap_or(0),
        "client" => e.client.as_deref().unwrap_or(""),
    );
}

/// Path parameters whose value is `app:<something>`: the app, then the object.
const APP_SCOPED_PARAMETERS: &[&str] = &[
    "buildpackId",
    "domainId",
    "envId",
    "formationId",
    "httpAuthIPId",
    "httpAuthUserId",
    "resourceId",
];

/// The app and object that an operation's path parameters name. `tokenId` (the token itself,
/// in `logout`'s path) is never read.
pub fn path_target<'a>(
    parameters: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> (Option<String>, Option<String>) {
    let (mut app, mut resource) = (None, None);
    for (name, value) in parameters {
        match name {
            "tokenId" => {}
            "appId" => app = Some(clean(value)),
            name if APP_SCOPED_PARAMETERS.contains(&name) => {
                if let Some((prefix, _)) = value.split_once(':') {
                    app = Some(clean(prefix));
                }
                resource = Some(clean(value));
            }
            _ => resource = Some(clean(value)),
        }
    }
    (app, resource)
}

/// For each operation that creates something named by its body, the attributes that name it
/// (after the app, for an app's objects): the object's id as its own path would carry it. Only
/// these attributes are ever read; values, passwords and keys' contents never are.
const NAMING_ATTRIBUTES: &[(&str, &[&str])] = &[
    ("addBuildpack", &["buildpack"]),
    ("addDomain", &["domain"]),
    ("addEnv", &["key"]),
    ("addFormation", &["process_type"]),
    ("addHTTPAuthIP", &["ip_address"]),
    ("addHTTPAuthUser", &["username"]),
    ("addResource", &["process_type", "resource_type", "name"]),
    ("addSSHKey", &["username"]),
];

/// The app and object a request body's `data` names, for `operation`: the app from
/// `attributes.app_id` (or `id` for the app operations), the object from `id` or the operation's
/// [`NAMING_ATTRIBUTES`].
pub fn body_target(operation: &str, data: &Value) -> (Option<String>, Option<String>) {
    let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let attributes = &data["attributes"];
    let app = match operation {
        "addApp" | "updateApp" => text(&data["id"]),
        _ => text(&attributes["app_id"]),
    };
    let resource = match NAMING_ATTRIBUTES.iter().find(|(op, _)| *op == operation) {
        Some((_, names)) => {
            let parts: Option<Vec<String>> = names.iter().map(|n| text(&attributes[*n])).collect();
            parts.map(|parts| match &app {
                Some(app) => format!("{app}:{}", parts.join(":")),
                None => parts.join(":"),
            })
        }
        None if matches!(operation, "addApp" | "updateApp") => None,
        None => text(&data["id"]),
    };
    (app.map(|a| clean(&a)), resource.map(|r| clean(&r)))
}

/// Text as the audit log keeps it: user information in a URL (`scheme://user:password@host`)
/// and anything shaped like one of our tokens (as the log redacts them) replaced by
/// `<redacted>`, control characters replaced, at most [`MAX_FIELD_CHARS`] characters.
pub fn clean(text: &str) -> String {
    let mut text = if crate::logging::has_credential(text) {
        crate::logging::redact_credentials(text)
    } else {
        text.to_string()
    };
    let mut from = 0;
    while let Some(found) = text[from..].find("://") {
        let start = from + found + 3;
        let authority_end =
            text[start..].find(['/', '?', '#']).map_or(text.len(), |end| start + end);
        match text[start..authority_end].rfind('@') {
            Some(at) => {
                text.replace_range(start..start + at, "<redacted>");
                from = start + "<redacted>".len() + 1;
            }
            None => from = authority_end,
        }
    }
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .take(MAX_FIELD_CHARS)
        .collect();
    if text.chars().count() > MAX_FIELD_CHARS {
        out.pop();
        out.push('…');
    }
    out
}

/// Unix milliseconds as RFC 3339 in UTC with milliseconds (`2025-01-31T12:00:00.123Z`).
pub fn format_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

/// A time filter: RFC 3339 (`2025-01-31T12:00:00Z`, any offset, fractions allowed) or Unix
/// seconds. Returns Unix milliseconds.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let ms = match text.parse::<i64>() {
        Ok(seconds) => seconds.checked_mul(1000),
        Err(_) => match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(t) => Some(t.timestamp_millis()),
            Err(_) => {
                return Err(format!(
                    "{} is not a time: use RFC 3339 (2025-01-31T12:00:00Z) or Unix seconds",
                    crate::ids::quote(&clean(text))
                ));
            }
        },
    };
    ms.filter(|ms| chrono::DateTime::from_timestamp_millis(*ms).is_some())
        .ok_or_else(|| format!("{} is out of range", crate::ids::quote(&clean(text))))
}

/// The opaque cursor of the page after the event `id`.
pub fn cursor_after(id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("before:{id}"))
}

/// The event id a cursor continues below, if it is one of ours.
pub fn parse_cursor(cursor: &str) -> Option<i64> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("before:")?.parse::<i64>().ok().filter(|id| *id > 0)
}

#[cfg(test)]
mod tests;
