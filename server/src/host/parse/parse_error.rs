//! The parsers' one error type: which output was being read, and what did not fit.

/// Output that does not have the shape its parser expects.
///
/// The message names the command whose output was read and the source ([`ParseErrorKind`]) says
/// what was wrong. Neither ever quotes the output: outputs carry secrets (env values, DSNs with
/// passwords), and errors end up in logs and job records.
#[derive(Debug, thiserror::Error)]
#[error("unexpected output from {what}")]
pub struct ParseError {
    /// The command (and format) whose output was parsed, e.g. `apps:report --format json`.
    pub what: &'static str,
    #[source]
    pub kind: ParseErrorKind,
}

/// What was wrong with the output.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Not JSON, or JSON of another shape (serde says which).
    #[error("malformed or unexpected JSON")]
    Json(#[source] serde_json::Error),
    /// Valid JSON, but not the top-level shape the command prints.
    #[error("the JSON is not {expected}")]
    JsonShape { expected: &'static str },
    /// Nothing but whitespace, where the command always prints something.
    #[error("no output")]
    Empty,
    /// A key (JSON) or row (report text) the command always prints is absent.
    #[error("missing key `{key}`")]
    MissingKey { key: String },
    /// The same key twice, which the command never prints (e.g. two reports in one output).
    #[error("duplicate key `{key}`")]
    DuplicateKey { key: String },
    /// A key whose value is not of the expected form.
    #[error("the value of `{key}` is not {expected}")]
    InvalidValue { key: String, expected: &'static str },
    /// A line (1-based) that is not of the expected form.
    #[error("line {line} is not {expected}")]
    InvalidLine { line: usize, expected: &'static str },
    /// More than one `=====> … information` header: a report over several apps or services.
    #[error("more than one report in the output")]
    MultipleReports,
}

impl ParseError {
    pub(crate) fn new(what: &'static str, kind: ParseErrorKind) -> ParseError {
        ParseError { what, kind }
    }

    pub(crate) fn json(what: &'static str, err: serde_json::Error) -> ParseError {
        ParseError::new(what, ParseErrorKind::Json(err))
    }

    pub(crate) fn empty(what: &'static str) -> ParseError {
        ParseError::new(what, ParseErrorKind::Empty)
    }

    pub(crate) fn missing_key(what: &'static str, key: &str) -> ParseError {
        ParseError::new(what, ParseErrorKind::MissingKey { key: key.to_string() })
    }

    pub(crate) fn invalid_value(
        what: &'static str,
        key: &str,
        expected: &'static str,
    ) -> ParseError {
        ParseError::new(what, ParseErrorKind::InvalidValue { key: key.to_string(), expected })
    }

    pub(crate) fn invalid_line(
        what: &'static str,
        line: usize,
        expected: &'static str,
    ) -> ParseError {
        ParseError::new(what, ParseErrorKind::InvalidLine { line, expected })
    }

    pub(crate) fn duplicate_key(what: &'static str, key: &str) -> ParseError {
        ParseError::new(what, ParseErrorKind::DuplicateKey { key: key.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn message_names_the_command_and_the_source_says_why() {
        let err = ParseError::missing_key("apps:report --format json", "locked");
        assert_eq!(err.to_string(), "unexpected output from apps:report --format json");
        let source = err.source().map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("missing key `locked`"));
    }
}
