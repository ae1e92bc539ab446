//! The output of `dokku-pro-api audit`: a table, or JSON lines with the attributes
//! `GET /@api/audit` answers.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::{Event, clean, format_time};

/// One event as JSON: `id` and the attributes of the API's `AuditEvent` (absent ones left out).
pub fn to_json(e: &Event) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(e.id.to_string()));
    out.insert("time".into(), json!(format_time(e.at_ms)));
    out.insert("duration_ms".into(), json!(e.duration_ms));
    let mut optional = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            out.insert(key.into(), json!(value));
        }
    };
    optional("user", e.user.clone());
    optional("token_id", e.token_id.clone());
    optional("operation", Some(e.operation.clone()));
    optional("method", Some(e.method.clone()));
    optional("app", e.app.clone());
    optional("resource", e.resource.clone());
    optional("request_id", Some(e.request_id.clone()));
    optional("job_id", e.job_id.map(|j| j.to_string()));
    optional("client", e.client.clone());
    out.insert("status".into(), json!(e.status));
    Value::Object(out)
}

/// One JSON object per line, newest first.
pub fn write_json_lines(out: &mut impl Write, events: &[Event]) -> io::Result<()> {
    for e in events {
        writeln!(out, "{}", to_json(e))?;
    }
    Ok(())
}

const HEADERS: [&str; 10] =
    ["TIME", "USER", "OPERATION", "STATUS", "APP", "RESOURCE", "JOB", "TOKEN", "CLIENT", "REQUEST"];

/// A table with a header line, columns aligned, `-` for what an event lacks; nothing but the
/// header when there are no events.
pub fn write_table(out: &mut impl Write, events: &[Event]) -> io::Result<()> {
    let text = |v: &Option<String>| v.as_deref().map_or_else(|| "-".to_string(), clean);
    let rows: Vec<[String; 10]> = events
        .iter()
        .map(|e| {
            [
                format_time(e.at_ms),
                text(&e.user),
                clean(&e.operation),
                e.status.to_string(),
                text(&e.app),
                text(&e.resource),
                e.job_id.map_or_else(|| "-".to_string(), |j| j.to_string()),
                text(&e.token_id),
                text(&e.client),
                clean(&e.request_id),
            ]
        })
        .collect();
    let mut widths = HEADERS.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let padded: Vec<String> =
            cells.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        padded.join("  ").trim_end().to_string()
    };
    writeln!(out, "{}", line(&HEADERS))?;
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&cells))?;
    }
    Ok(())
}
