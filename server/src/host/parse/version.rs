//! `dokku version` → [`DokkuVersion`], the key for choosing command forms per host.

use std::fmt;
use std::str::FromStr;

use super::parse_error::ParseError;
use super::text::content_lines;

const WHAT: &str = "dokku version";

/// A Dokku release, ordered by (major, minor, patch).
///
/// A build suffix (`0.38.27-dev`, `v0.38.27-3-gabc1234`, `0.38.27+git`) is dropped: a
/// development build of 0.38.27 has the 0.38.27 command forms, which is all the version decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DokkuVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl DokkuVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> DokkuVersion {
        DokkuVersion { major, minor, patch }
    }

    /// Whether this host is at least `major.minor.patch`, e.g. `at_least(0, 38, 21)` for
    /// `apps:list --format json`.
    pub fn at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        *self >= DokkuVersion::new(major, minor, patch)
    }
}

impl fmt::Display for DokkuVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Parses `0.38.27`, `v0.38.27` or `dokku version 0.38.27`, with an optional suffix that starts
/// with `-`, `+` or whitespace.
impl FromStr for DokkuVersion {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<DokkuVersion, ParseError> {
        parse_version_text(s)
            .ok_or_else(|| ParseError::invalid_value(WHAT, "version", "`MAJOR.MINOR.PATCH`"))
    }
}

/// Parses the stdout of `dokku version`: `dokku version 0.38.27\n` (from
/// `/var/lib/dokku/VERSION`). The first non-blank line is read.
pub fn parse_version(stdout: &str) -> Result<DokkuVersion, ParseError> {
    let Some((line_no, line)) = content_lines(stdout).next() else {
        return Err(ParseError::empty(WHAT));
    };
    parse_version_text(&line)
        .ok_or_else(|| ParseError::invalid_line(WHAT, line_no, "`dokku version MAJOR.MINOR.PATCH`"))
}

fn parse_version_text(s: &str) -> Option<DokkuVersion> {
    let s = s.trim();
    let s = s.strip_prefix("dokku version").map(str::trim_start).unwrap_or(s);
    let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
    let end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, suffix) = s.split_at(end);
    if !(suffix.is_empty()
        || suffix.starts_with(['-', '+'])
        || suffix.starts_with(char::is_whitespace))
    {
        return None;
    }
    let mut parts = number.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some(DokkuVersion { major, minor, patch })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_form() {
        assert_eq!(parse_version("dokku version 0.38.27\n").unwrap(), DokkuVersion::new(0, 38, 27));
    }

    #[test]
    fn tolerated_forms() {
        let v = DokkuVersion::new(0, 38, 27);
        for out in [
            "dokku version v0.38.27",
            "dokku version 0.38.27\r\n",
            "\n  dokku version 0.38.27  \n",
            "dokku version 0.38.27-dev\n",
            "dokku version v0.38.27-12-gabc1234\n",
            "dokku version 0.38.27+git.abc\n",
            "dokku version 0.38.27 (abc1234)\n",
            "0.38.27\n",
            "v0.38.27",
        ] {
            assert_eq!(parse_version(out).unwrap(), v, "{out:?}");
        }
        assert_eq!("0.38.27".parse::<DokkuVersion>().unwrap(), v);
    }

    #[test]
    fn malformed_versions_are_errors() {
        for out in [
            "",
            "\n\n",
            "dokku version master\n",
            "dokku version 0.38\n",
            "dokku version 0.38.27.1\n",
            "dokku version 0..27\n",
            "dokku version 0.38.27abc\n",
            "dokku version 99999999999.0.0\n",
            "command not found\n",
        ] {
            assert!(parse_version(out).is_err(), "{out:?}");
        }
        assert!("x".parse::<DokkuVersion>().is_err());
    }

    #[test]
    fn ordering_and_display() {
        let v = DokkuVersion::new(0, 38, 21);
        assert!(DokkuVersion::new(0, 38, 27) > v);
        assert!(DokkuVersion::new(0, 38, 3) < v);
        assert!(DokkuVersion::new(1, 0, 0) > v);
        assert!(DokkuVersion::new(0, 38, 27).at_least(0, 38, 21));
        assert!(!DokkuVersion::new(0, 37, 99).at_least(0, 38, 0));
        assert_eq!(v.to_string(), "0.38.21");
    }
}
