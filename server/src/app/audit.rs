//! The audit log: the extension `GET /audit` (newest first, filtered, paginated by an opaque
//! cursor). What is recorded, and how, is `crate::audit`. Reads cost no Dokku call.

use dokku_pro_api::models::{
    AuditEvent, AuditEventAttributes, GetAuditEventsResponse, GetAuditEventsResponseLinks,
};
use dokku_pro_api::params::GetAuditEventsQuery;

use super::{AppError, OpContext};
use crate::audit::{self, Event, Filter};
use crate::ids::quote;

/// Events per page unless `limit` says otherwise, and the most it may say.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;
/// The longest `app` or `user` filter (what the log keeps of a field).
const MAX_FILTER_CHARS: usize = 256;

/// `getAuditEvents`: newest first, and the path of the next page when there is one. Every
/// request that ended before this one is in it (the queue is flushed first).
pub async fn get_audit_events(
    opctx: &OpContext,
    query: GetAuditEventsQuery,
) -> Result<GetAuditEventsResponse, AppError> {
    let text = |name: &str, value: Option<String>| match value {
        Some(v) if v.is_empty() || v.chars().count() > MAX_FILTER_CHARS => {
            Err(AppError::Invalid(format!(
                "invalid {name}: use a non-empty value of at most {MAX_FILTER_CHARS} characters"
            )))
        }
        other => Ok(other),
    };
    let time = |name: &str, value: &Option<String>| {
        value
            .as_deref()
            .map(|v| {
                audit::parse_time(v).map_err(|e| AppError::Invalid(format!("invalid {name}: {e}")))
            })
            .transpose()
    };
    let limit = super::page_limit(query.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let before_id = match &query.cursor {
        None => None,
        Some(cursor) => Some(audit::parse_cursor(cursor).ok_or_else(|| {
            AppError::Invalid(format!(
                "invalid cursor {}: use the one in `links.next` of the previous page",
                quote(cursor)
            ))
        })?),
    };
    let filter = Filter {
        since_ms: time("since", &query.since)?,
        until_ms: time("until", &query.until)?,
        app: text("app", query.app)?,
        user: text("user", query.user)?,
        before_id,
        limit: limit + 1,
    };
    opctx.audit.flush().await;
    let found = opctx.audit.list(filter.clone()).await?;
    let (found, next) = super::page(found, limit, |last| next_page(&filter, limit, last.id));
    Ok(GetAuditEventsResponse {
        data: found.iter().map(audit_event).collect(),
        links: next.map(|next| GetAuditEventsResponseLinks { next: Some(next) }),
    })
}

/// The path of the page after the event `last`, with the same filters.
fn next_page(filter: &Filter, limit: u32, last: i64) -> String {
    let mut pairs: Vec<(&str, String)> =
        vec![("cursor", audit::cursor_after(last)), ("limit", limit.to_string())];
    if let Some(app) = &filter.app {
        pairs.push(("app", app.clone()));
    }
    if let Some(user) = &filter.user {
        pairs.push(("user", user.clone()));
    }
    if let Some(since) = filter.since_ms {
        pairs.push(("since", audit::format_time(since)));
    }
    if let Some(until) = filter.until_ms {
        pairs.push(("until", audit::format_time(until)));
    }
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{}/audit?{query}", dokku_pro_api::BASE_PATH)
}

/// The API's `AuditEvent` for a stored event.
pub fn audit_event(e: &Event) -> AuditEvent {
    AuditEvent::record(
        e.id.to_string(),
        AuditEventAttributes {
            time: chrono::DateTime::from_timestamp_millis(e.at_ms),
            duration_ms: Some(e.duration_ms),
            user: e.user.clone(),
            token_id: e.token_id.clone(),
            operation: Some(e.operation.clone()),
            method: Some(e.method.clone()),
            app: e.app.clone(),
            resource: e.resource.clone(),
            request_id: Some(e.request_id.clone()),
            status: Some(i64::from(e.status)),
            job_id: e.job_id.map(|j| j.to_string()),
            client: e.client.clone(),
        },
    )
}
