//! The server's logger: slog (dropshot's logger type) to stderr, with secrets redacted.
//!
//! dropshot gives every request a child logger carrying `req_id`, `method` and `uri`. The `uri` of
//! `DELETE /@api/tokens/{tokenId}` holds an access token, so every record passes through
//! [`Redact`], which rewrites such values before any drain formats them. Nothing else in the
//! server logs credentials: they travel as `dokku_pro_api::auth::Secret`, whose `Debug` hides them.

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

/// Redacts the token in `.../tokens/<token>` wherever a logged value contains it.
pub fn redact_token_paths(value: &str) -> Option<String> {
    let marker = "/tokens/";
    let start = value.find(marker)? + marker.len();
    let end = value[start..].find(['?', '#', ' ']).map(|i| start + i).unwrap_or(value.len());
    if start == end {
        return None;
    }
    Some(format!("{}<redacted>{}", &value[..start], &value[end..]))
}

struct Redact {
    inner: Logger,
}

impl Drain for Redact {
    type Ok = ();
    type Err = slog::Never;

    fn log(&self, record: &Record<'_>, values: &OwnedKVList) -> Result<(), slog::Never> {
        let mut capture = Capture::default();
        let _ = values.serialize(record, &mut capture);
        if !capture.redacted {
            let _ = Drain::log(&self.inner, record, values);
            return Ok(());
        }
        let list = OwnedKVList::from(OwnedKV(Captured(capture.pairs)));
        let _ = Drain::log(&self.inner, record, &list);
        Ok(())
    }

    fn is_enabled(&self, level: Level) -> bool {
        self.inner.is_enabled(level)
    }
}

#[derive(Default)]
struct Capture {
    pairs: Vec<(String, String)>,
    redacted: bool,
}

impl slog::Serializer for Capture {
    fn emit_arguments(&mut self, key: slog::Key, val: &std::fmt::Arguments<'_>) -> slog::Result {
        let text = val.to_string();
        let text = match redact_token_paths(&text) {
            Some(redacted) => {
                self.redacted = true;
                redacted
            }
            None => text,
        };
        self.pairs.push((key.to_string(), text));
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
        let seen = seen.lock().unwrap().join("\n");
        assert!(!seen.contains("eyJsecret"), "{seen}");
        assert!(seen.contains("uri=/@api/tokens/<redacted>"), "{seen}");
        assert!(seen.contains("method=DELETE"), "{seen}");
    }
}
