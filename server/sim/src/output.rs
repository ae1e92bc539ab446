//! What one invocation prints: Dokku's log-line helpers (`-----> `, `=====> `, 7-space verbose,
//! ` !     ` failures) over separate stdout and stderr buffers, honouring `--quiet`.
//!
//! Mirrors `plugins/common/log.go` and the bash `dokku_log_*` functions: the
//! `*_quiet` variants vanish under `--quiet`, failures and warnings never do. Each helper and its
//! `_quiet` twin are spelled out one by one, as Dokku has them, so a call site names the exact
//! Dokku function it stands for.

use serde::Serialize;

/// Seven characters: a space, `!`, five spaces.
pub(crate) const FAIL_PREFIX: &str = " !     ";

/// A command stopped early with this exit status; its message is already in the buffers.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Stop(pub i32);

pub(crate) type CmdResult = Result<(), Stop>;

#[derive(Debug, Default)]
pub(crate) struct Out {
    pub stdout: String,
    pub stderr: String,
    pub quiet: bool,
    /// `ps:rebuild` / `ps:restart` run under Dokku's build capture, which tees both streams into
    /// the build log: everything, errors included, arrives on stdout.
    pub capture: bool,
}

impl Out {
    pub(crate) fn new(quiet: bool) -> Out {
        Out { quiet, ..Out::default() }
    }

    pub(crate) fn print(&mut self, text: &str) {
        self.stdout.push_str(text);
    }

    pub(crate) fn line(&mut self, text: &str) {
        self.stdout.push_str(text);
        self.stdout.push('\n');
    }

    pub(crate) fn line_quiet(&mut self, text: &str) {
        if !self.quiet {
            self.line(text);
        }
    }

    pub(crate) fn info1(&mut self, text: &str) {
        self.line(&format!("-----> {text}"));
    }

    pub(crate) fn info1_quiet(&mut self, text: &str) {
        if !self.quiet {
            self.info1(text);
        }
    }

    pub(crate) fn info2(&mut self, text: &str) {
        self.line(&format!("=====> {text}"));
    }

    pub(crate) fn info2_quiet(&mut self, text: &str) {
        if !self.quiet {
            self.info2(text);
        }
    }

    pub(crate) fn verbose(&mut self, text: &str) {
        self.line(&format!("       {text}"));
    }

    pub(crate) fn verbose_quiet(&mut self, text: &str) {
        if !self.quiet {
            self.verbose(text);
        }
    }

    /// A raw stderr line (sshcommand and Go's `LogStderr` print without the ` !     ` prefix).
    pub(crate) fn err_line(&mut self, text: &str) {
        let target = if self.capture { &mut self.stdout } else { &mut self.stderr };
        target.push_str(text);
        target.push('\n');
    }

    /// ` !     <text>` on stderr; a warning unless followed by a non-zero exit.
    pub(crate) fn warn(&mut self, text: &str) {
        self.err_line(&format!("{FAIL_PREFIX}{text}"));
    }

    /// `dokku_log_warn_quiet`: a warning that `--quiet` silences.
    pub(crate) fn warn_quiet(&mut self, text: &str) {
        if !self.quiet {
            self.warn(text);
        }
    }

    pub(crate) fn fail(&mut self, text: &str) -> Stop {
        self.fail_code(text, 1)
    }

    pub(crate) fn fail_code(&mut self, text: &str, status: i32) -> Stop {
        self.warn(text);
        Stop(status)
    }

    /// What `spf13/pflag` (ExitOnError) does with a bad flag: one line on stderr, exit 2. The
    /// usage text pflag prints after it is left out.
    pub(crate) fn flag_error(&mut self, text: &str) -> Stop {
        self.err_line(text);
        Stop(2)
    }
}

/// JSON as Go's `encoding/json` marshals it: compact, map keys sorted (callers pass sorted maps),
/// and `<`, `>`, `&`, U+2028, U+2029 escaped, as Go does by default.
pub(crate) fn go_json<T: Serialize + ?Sized>(value: &T) -> String {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_string());
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => escaped.push_str("\\u003c"),
            '>' => escaped.push_str("\\u003e"),
            '&' => escaped.push_str("\\u0026"),
            '\u{2028}' => escaped.push_str("\\u2028"),
            '\u{2029}' => escaped.push_str("\\u2029"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// A bash report row, `printf "%-<width>s %-25s"`: the value is padded too, so rows end in
/// trailing spaces.
pub(crate) fn bash_row(key: &str, value: &str, width: usize) -> String {
    format!("{key:<width$} {value:<25}")
}

/// The key text of a bash report row: the flag without `--`, dashes to spaces, first letter
/// upper-cased (bash `${key^}`), plus the colon.
pub(crate) fn bash_key(flag: &str) -> String {
    let words = flag.trim_start_matches("--").replace('-', " ");
    format!("{}:", uc_first(&words))
}

pub(crate) fn uc_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// Single-quotes a value for a POSIX shell, as `config:export` does.
pub(crate) fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\"'\"'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_json_escapes_like_go() {
        let map: std::collections::BTreeMap<&str, &str> = [("b", "x&y<z>"), ("a", "1")].into();
        assert_eq!(go_json(&map), r#"{"a":"1","b":"x\u0026y\u003cz\u003e"}"#);
    }

    #[test]
    fn quiet_drops_only_quiet_lines() {
        let mut out = Out::new(true);
        out.info1_quiet("hidden");
        out.info2_quiet("hidden");
        out.verbose_quiet("hidden");
        out.info1("shown");
        out.warn("warned");
        assert_eq!(out.stdout, "-----> shown\n");
        assert_eq!(out.stderr, " !     warned\n");
    }

    #[test]
    fn bash_rows_keep_trailing_padding() {
        assert_eq!(
            bash_row(&bash_key("--http-auth-enabled"), "true", 30),
            format!("Http auth enabled:{} true{}", " ".repeat(12), " ".repeat(21))
        );
    }
}
