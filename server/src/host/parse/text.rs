//! Text helpers shared by the parsers: ANSI stripping, line iteration, value lists, booleans.

use std::borrow::Cow;

use super::parse_error::ParseError;

/// Removes ANSI escape sequences: CSI (`ESC [ … final`, and the 8-bit
/// `U+009B` form), OSC (`ESC ] … BEL` or `ESC ] … ESC \`) and two-byte `ESC x` escapes.
///
/// The git plugin prefixes lines with `ESC[1G ESC[K` and build output carries colours; neither
/// may reach a JSON body or a log line. An escape cut off by the end of the input is dropped.
pub fn strip_ansi(s: &str) -> Cow<'_, str> {
    if !s.contains(['\u{1b}', '\u{9b}']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.peek().copied() {
                Some('[') => {
                    chars.next();
                    skip_csi(&mut chars);
                }
                Some(']') => {
                    chars.next();
                    skip_osc(&mut chars);
                }
                // Other escapes are two characters long (`ESC 7`, `ESC M`, ...). A lone ESC
                // before a control character (a newline) is dropped and the character kept.
                Some(' '..='~') => {
                    chars.next();
                }
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Skips a CSI body: parameter bytes `0x30..=0x3F`, intermediates `0x20..=0x2F`, one final byte
/// `0x40..=0x7E`. Stops early (keeping the character) at anything else, so a malformed sequence
/// cannot swallow the rest of the line.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(&c) = chars.peek() {
        match c {
            '\u{30}'..='\u{3f}' | '\u{20}'..='\u{2f}' => {
                chars.next();
            }
            '\u{40}'..='\u{7e}' => {
                chars.next();
                return;
            }
            _ => return,
        }
    }
}

/// Skips an OSC body up to and including its terminator (BEL or `ESC \`).
fn skip_osc(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

/// The non-blank lines of an output, numbered from 1, with ANSI escapes and a trailing `\r`
/// (a pty turns `\n` into `\r\n`) removed. Leading and trailing spaces are kept for the caller.
pub(crate) fn content_lines(s: &str) -> impl Iterator<Item = (usize, String)> + '_ {
    s.lines().enumerate().filter_map(|(index, raw)| {
        let line = strip_ansi(raw.trim_end_matches('\r')).into_owned();
        if line.trim().is_empty() { None } else { Some((index + 1, line)) }
    })
}

/// Whether a line is a Dokku header (`=====> …` info2 or `-----> …` info1).
pub(crate) fn is_header(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("=====>") || line.starts_with("----->")
}

/// Whether a line is a ` !     ` warning, which only appears in stdout when the streams were
/// merged (a pty, or Dokku's build capture).
pub(crate) fn is_warning(line: &str) -> bool {
    line.trim_start().starts_with('!')
}

/// One name per line (`--quiet apps:list`, `<p>:app-links`, `config:keys`, ...): headers,
/// warnings and blank lines are skipped, each name is trimmed, and a line with inner whitespace
/// is an error because no name of this kind contains any (such a line means the output has
/// another shape, e.g. a table).
pub(crate) fn parse_name_lines(what: &'static str, s: &str) -> Result<Vec<String>, ParseError> {
    let mut names = Vec::new();
    for (line_no, line) in content_lines(s) {
        if is_header(&line) || is_warning(&line) {
            continue;
        }
        let name = line.trim();
        if name.contains(char::is_whitespace) {
            return Err(ParseError::invalid_line(what, line_no, "a single name"));
        }
        names.push(name.to_string());
    }
    Ok(names)
}

/// Words separated by whitespace: domains, linked apps, http-auth users and allowed IPs
///. Padding and trailing spaces vanish; an empty value gives `[]`.
pub fn parse_word_list(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

/// A comma-separated list (`--buildpacks-list`): items trimmed, empty items dropped, order kept.
pub fn parse_comma_list(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|item| !item.is_empty()).map(str::to_string).collect()
}

/// A datastore list value where a lone `-` means none (`--exposed-ports`, `--links`);
/// otherwise words separated by whitespace.
pub fn parse_dash_list(s: &str) -> Vec<String> {
    if s.trim() == "-" { Vec::new() } else { parse_word_list(s) }
}

/// `Some(trimmed)` unless the value is empty after trimming: Dokku prints an empty value for
/// "not set".
pub(crate) fn non_empty(value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() { None } else { Some(value.to_string()) }
}

/// `true` or `false` (trimmed), the only forms Dokku's boolean properties print.
pub(crate) fn parse_bool_value(
    what: &'static str,
    key: &str,
    value: &str,
) -> Result<bool, ParseError> {
    match value.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ParseError::invalid_value(what, key, "`true` or `false`")),
    }
}

/// The output of a boolean single-flag report: `apps:report --app-locked`,
/// `ps:report --deployed`, `http-auth:report --http-auth-enabled`,
/// `maintenance:report --maintenance-enabled`, `domains:report --domains-app-enabled`.
/// Exactly `true` or `false` plus a newline.
pub fn parse_bool_output(what: &'static str, stdout: &str) -> Result<bool, ParseError> {
    let value = strip_ansi(stdout);
    if value.trim().is_empty() {
        return Err(ParseError::empty(what));
    }
    parse_bool_value(what, "output", &value)
}

#[cfg(test)]
mod tests {
    use super::super::parse_error::ParseErrorKind;
    use super::*;

    #[test]
    fn strips_the_git_plugin_prefix_and_colours() {
        let line = "\u{1b}[1G\u{1b}[K-----> WARNING: Cannot build from 'main'";
        assert_eq!(strip_ansi(line), "-----> WARNING: Cannot build from 'main'");
        assert_eq!(strip_ansi("\u{1b}[1;32mok\u{1b}[0m done"), "ok done");
        assert_eq!(strip_ansi("\u{9b}31mred"), "red");
    }

    #[test]
    fn strips_osc_and_two_byte_escapes_and_truncated_sequences() {
        assert_eq!(strip_ansi("a\u{1b}]0;title\u{7}b"), "ab");
        assert_eq!(strip_ansi("a\u{1b}]8;;http://x\u{1b}\\b"), "ab");
        assert_eq!(strip_ansi("a\u{1b}7b"), "ab");
        assert_eq!(strip_ansi("a\u{1b}["), "a");
        assert_eq!(strip_ansi("a\u{1b}"), "a");
        assert_eq!(strip_ansi("a\u{1b}\nb"), "a\nb");
        // A malformed CSI stops at the first byte that cannot belong to it.
        assert_eq!(strip_ansi("a\u{1b}[12\nb"), "a\nb");
    }

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(strip_ansi("plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn lists() {
        assert_eq!(parse_word_list("root username   "), ["root", "username"]);
        assert!(parse_word_list("   ").is_empty());
        assert_eq!(parse_comma_list("a, b,,c"), ["a", "b", "c"]);
        assert!(parse_comma_list("").is_empty());
        assert!(parse_dash_list("-").is_empty());
        assert!(parse_dash_list(" - ").is_empty());
        assert_eq!(parse_dash_list("5432->54321 "), ["5432->54321"]);
    }

    #[test]
    fn booleans() {
        assert!(parse_bool_output("x", "true\n").unwrap());
        assert!(!parse_bool_output("x", "false").unwrap());
        assert!(parse_bool_output("x", "\r\nfalse\r\n").is_ok());
        let err = parse_bool_output("x", "yes\n").unwrap_err();
        assert!(matches!(err.kind, ParseErrorKind::InvalidValue { .. }));
        let err = parse_bool_output("x", "\n").unwrap_err();
        assert!(matches!(err.kind, ParseErrorKind::Empty));
    }

    #[test]
    fn name_lines_skip_headers_warnings_and_blank_lines() {
        let out = "=====> My Apps\nnode-js-app\n\npython-app\r\n";
        assert_eq!(parse_name_lines("x", out).unwrap(), ["node-js-app", "python-app"]);
        let warned = " !     You haven't deployed any applications yet\n";
        assert!(parse_name_lines("x", warned).unwrap().is_empty());
        let err = parse_name_lines("x", "a\nb c\n").unwrap_err();
        assert!(matches!(err.kind, ParseErrorKind::InvalidLine { line: 2, .. }));
    }
}
