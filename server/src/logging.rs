//! The server's logger: slog (dropshot's logger type) to stderr, every value sanitized.
//!
//! dropshot gives every request a child logger carrying `req_id`, `method` and `uri`. A `uri` can
//! hold a token (`DELETE /@api/tokens/{tokenId}`, `?token=`, any path a client sends), and a
//! logged value can hold anything a client sent (a user name with a newline or an ANSI escape).
//! So every record passes through [`Redact`], which rewrites every value and the message with
//! [`sanitize`] before any drain formats them. Credentials themselves travel as
//! `dokku_pro_api::auth::Secret`, whose `Debug` hides them.

use slog::{Drain, KV, Level, Logger, OwnedKV, OwnedKVList, Record};

use crate::config::LogLevel;

/// Builds the root logger.
pub fn logger(level: LogLevel) -> Logger {
    let level = match level {
        LogLevel::Error => dropshot::ConfigLoggingLevel::Error,
        LogLevel::Warn => dropshot::ConfigLoggingLevel::Warn,
        LogLevel::Info => dropshot::ConfigLoggingLevel::Info,
        LogLevel::Debug => dropshot::ConfigLoggingLevel::Debug,
        LogLevel::Trace => dropshot::ConfigLoggingLevel::Trace,
    };
    let inner = dropshot::ConfigLogging::StderrTerminal { level }
        .to_logger("dokku-pro-api")
        .expect("a terminal logger can always be built");
    Logger::root(Redact { inner }.fuse(), slog::o!())
}

/// A logger that appends JSON lines to a file (through the same redaction), for tests that read
/// what the server logged.
pub fn file_logger(path: &std::path::Path, level: LogLevel) -> Logger {
    let level = match level {
        LogLevel::Error => dropshot::ConfigLoggingLevel::Error,
        LogLevel::Warn => dropshot::ConfigLoggingLevel::Warn,
        LogLevel::Info => dropshot::ConfigLoggingLevel::Info,
        LogLevel::Debug => dropshot::ConfigLoggingLevel::Debug,
        LogLevel::Trace => dropshot::ConfigLoggingLevel::Trace,
    };
    let inner = dropshot::ConfigLogging::File {
        level,
        path: path.display().to_string().into(),
        if_exists: dropshot::ConfigLoggingIfExists::Append,
    }
    .to_logger("dokku-pro-api")
    .expect("the log file can be created");
    Logger::root(Redact { inner }.fuse(), slog::o!())
}

/// A logger that drops everything, for tests and tools.
pub fn discard() -> Logger {
    Logger::root(slog::Discard, slog::o!())
}

/// What a logged value becomes: credentials redacted, control characters escaped.
///
/// * A token in a path after `tokens` (`/@api/tokens/<token>`, also when the client
///   percent-encoded any of it: `/@api/%74okens/...`) is redacted whatever it looks like.
/// * Anything shaped like one of our credentials, wherever it stands (a query string, a 404's path,
///   a header echoed in an error): a JWT (`eyJ` and three base64url parts) and a refresh token
///   (`dpr_` and its base64url tail), raw or percent-encoded.
/// * Control characters (a newline or an ANSI escape in a user name, say) are escaped as `\n`,
///   `\u{1b}`, ..., so that no value can forge a log line or rewrite a terminal.
pub fn sanitize(value: &str) -> String {
    let decoded = percent_decode(value);
    let mut text = match redact_token_paths(&decoded) {
        Some(redacted) => redacted,
        None if decoded != value && has_credential(&decoded) => redact_credentials(&decoded),
        None => value.to_string(),
    };
    if has_credential(&text) {
        text = redact_credentials(&text);
    }
    if text.chars().any(char::is_control) {
        text = text
            .chars()
            .map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() })
            .collect();
    }
    text
}

/// Redacts the token in `.../tokens/<token>` wherever a value contains it.
pub fn redact_token_paths(value: &str) -> Option<String> {
    let marker = "/tokens/";
    let start = value.find(marker)? + marker.len();
    let end = value[start..].find(['?', '#', ' ']).map(|i| start + i).unwrap_or(value.len());
    if start == end {
        return None;
    }
    Some(format!("{}<redacted>{}", &value[..start], &value[end..]))
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// Whether a value holds something shaped like a JWT or a refresh token.
pub(crate) fn has_credential(value: &str) -> bool {
    value.contains("eyJ") || value.contains("dpr_")
}

/// Replaces every JWT- or refresh-token-shaped run with `<redacted>`.
pub(crate) fn redact_credentials(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = [rest.find("eyJ"), rest.find("dpr_")].into_iter().flatten().min() {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let len = from.find(|c: char| !is_token_char(c)).unwrap_or(from.len());
        let candidate = &from[..len];
        let jwt = candidate.starts_with("eyJ") && candidate.split('.').count() >= 2;
        let refresh = candidate.starts_with("dpr_") && candidate.len() > 8;
        if jwt || refresh {
            out.push_str("<redacted>");
            rest = &from[len..];
        } else {
            // Not a credential: keep its first character and look again after it.
            let first = from.chars().next().map_or(0, char::len_utf8);
            out.push_str(&from[..first]);
            rest = &from[first..];
        }
    }
    out.push_str(rest);
    out
}

/// `%XX` sequences decoded (invalid ones and non-UTF-8 results left as they were).
fn percent_decode(value: &str) -> String {
    if !value.contains('%') {
        return value.to_string();
    }
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| value.to_string())
}

/// The drain in front of every other: every value of every record (the logger's and the
/// record's own) and the message pass through [`sanitize`] before anything formats them.
struct Redact {
    inner: Logger,
}

impl Drain for Redact {
    type Ok = ();
    type Err = slog::Never;

    fn log(&self, record: &Record<'_>, values: &OwnedKVList) -> Result<(), slog::Never> {
        let mut context = Capture::default();
        let _ = values.serialize(record, &mut context);
        let mut own = Capture::default();
        let _ = record.kv().serialize(record, &mut own);
        let message = sanitize(&record.msg().to_string());
        let list = OwnedKVList::from(OwnedKV(Captured(context.pairs)));
        let own = Captured(own.pairs);
        let statics = slog::RecordStatic {
            location: record.location(),
            tag: record.tag(),
            level: record.level(),
        };
        let _ = Drain::log(
            &self.inner,
            &Record::new(&statics, &format_args!("{message}"), slog::BorrowedKV(&own)),
            &list,
        );
        Ok(())
    }

    fn is_enabled(&self, level: Level) -> bool {
        self.inner.is_enabled(level)
    }
}

#[derive(Default)]
struct Capture {
    pairs: Vec<(String, String)>,
}

impl slog::Serializer for Capture {
    fn emit_arguments(&mut self, key: slog::Key, val: &std::fmt::Arguments<'_>) -> slog::Result {
        self.pairs.push((key.to_string(), sanitize(&val.to_string())));
        Ok(())
    }
}

/// Key-value pairs captured as text (in the order the list gave them).
struct Captured(Vec<(String, String)>);

impl KV for Captured {
    fn serialize(&self, _: &Record<'_>, serializer: &mut dyn slog::Serializer) -> slog::Result {
        // Emitted in the order they were captured, so the line reads like an unredacted one.
        for (key, value) in &self.0 {
            serializer.emit_str(slog::Key::from(key.clone()), value)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn credentials_are_redacted_wherever_they_stand_and_controls_escaped() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl";
        for (raw, shown) in [
            (format!("/@api/%74okens/{jwt}"), "/@api/tokens/<redacted>".to_string()),
            (format!("/@api/apps?token={jwt}&x=1"), "/@api/apps?token=<redacted>&x=1".to_string()),
            (format!("/@api/nope/{jwt}"), "/@api/nope/<redacted>".to_string()),
            (
                "/@api/x/%65yJhbGciOiJIUzI1NiJ9.e30.sig".to_string(),
                "/@api/x/<redacted>".to_string(),
            ),
            (
                "refresh dpr_abcdefghijklmnop done".to_string(),
                "refresh <redacted> done".to_string(),
            ),
            ("eyJ alone, dpr_ alone".to_string(), "eyJ alone, dpr_ alone".to_string()),
            ("bob\n2026 INFO forged".to_string(), "bob\\n2026 INFO forged".to_string()),
            ("\u{1b}[31mred".to_string(), "\\u{1b}[31mred".to_string()),
            ("/@api/apps/ünï%20x".to_string(), "/@api/apps/ünï%20x".to_string()),
        ] {
            assert_eq!(sanitize(&raw), shown, "{raw:?}");
        }
    }

    #[test]
    fn token_paths_are_redacted() {
        assert_eq!(
            redact_token_paths("/@api/tokens/eyJ.abc.def").as_deref(),
            Some("/@api/tokens/<redacted>")
        );
        assert_eq!(
            redact_token_paths("/@api/tokens/eyJ.abc?x=1").as_deref(),
            Some("/@api/tokens/<redacted>?x=1")
        );
        assert_eq!(redact_token_paths("/@api/tokens"), None);
        assert_eq!(redact_token_paths("/@api/apps/x"), None);
    }

    /// A drain that keeps every formatted key-value pair.
    struct Keep(Arc<Mutex<Vec<String>>>);

    impl Drain for Keep {
        type Ok = ();
        type Err = slog::Never;
        fn log(&self, record: &Record<'_>, values: &OwnedKVList) -> Result<(), slog::Never> {
            let mut capture = Capture::default();
            let _ = values.serialize(record, &mut capture);
            let _ = record.kv().serialize(record, &mut capture);
            let mut out = self.0.lock().unwrap();
            out.push(record.msg().to_string());
            out.extend(capture.pairs.into_iter().map(|(k, v)| format!("{k}={v}")));
            Ok(())
        }
    }

    #[test]
    fn the_uri_of_a_logout_never_reaches_the_drain() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let inner = Logger::root(Keep(seen.clone()).fuse(), slog::o!());
        let log = Logger::root(Redact { inner }.fuse(), slog::o!());
        let request =
            log.new(slog::o!("uri" => "/@api/tokens/eyJsecret.payload.sig", "method" => "DELETE"));
        slog::info!(request, "request completed"; "response_code" => 204);
        slog::warn!(request, "login failed for {}", "x\ny"; "user" => "bob\u{1b}[2J");
        let seen = seen.lock().unwrap().join("\n");
        assert!(seen.contains("login failed for x\\ny"), "{seen}");
        assert!(seen.contains("user=bob\\u{1b}[2J"), "{seen}");
        assert!(!seen.contains("eyJsecret"), "{seen}");
        assert!(seen.contains("uri=/@api/tokens/<redacted>"), "{seen}");
        assert!(seen.contains("method=DELETE"), "{seen}");
    }
}
