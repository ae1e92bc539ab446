//! Dokku commands as values: the argv after `dokku`, never a shell string.
//!
//! An argument can be marked secret (env values, passwords); [`DokkuCommand`]'s `Display` shows
//! `<secret>` in its place, so logs and job records never carry it. Data fed on stdin (a JSON env
//! for `config:import`, an SSH public key) is always treated as secret.

use std::fmt;

/// One argument.
#[derive(Clone, PartialEq, Eq)]
pub struct Arg {
    value: String,
    secret: bool,
}

impl Arg {
    pub fn value(&self) -> &str {
        &self.value
    }

    pub fn is_secret(&self) -> bool {
        self.secret
    }
}

impl fmt::Debug for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.secret { f.write_str("<secret>") } else { fmt::Debug::fmt(&self.value, f) }
    }
}

/// Why a command cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// No process can receive a NUL byte in an argument.
    #[error("argument {index} contains a NUL byte")]
    NulByte { index: usize },
}

/// A Dokku command: `dokku <args...>`, with optional stdin data.
#[derive(Clone, PartialEq, Eq)]
pub struct DokkuCommand {
    args: Vec<Arg>,
    stdin: Option<Vec<u8>>,
    /// Runs only through the root login (`ssh-keys:add/remove`: Dokku refuses them unless it runs as root).
    root: bool,
}

impl DokkuCommand {
    /// `dokku <subcommand>`; add arguments with [`arg`](Self::arg) and friends.
    pub fn new(subcommand: impl Into<String>) -> DokkuCommand {
        DokkuCommand {
            args: vec![Arg { value: subcommand.into(), secret: false }],
            stdin: None,
            root: false,
        }
    }

    /// A command from plain arguments (none secret).
    pub fn from_args<I, S>(args: I) -> DokkuCommand
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        DokkuCommand {
            args: args.into_iter().map(|a| Arg { value: a.into(), secret: false }).collect(),
            stdin: None,
            root: false,
        }
    }

    /// Puts a global flag (`--quiet`, `--force`) before the subcommand.
    pub fn global_flag(mut self, flag: &str) -> DokkuCommand {
        self.args.insert(0, Arg { value: flag.to_string(), secret: false });
        self
    }

    pub fn arg(mut self, value: impl Into<String>) -> DokkuCommand {
        self.args.push(Arg { value: value.into(), secret: false });
        self
    }

    /// Several plain arguments.
    pub fn with_args<I, S>(mut self, values: I) -> DokkuCommand
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(values.into_iter().map(|v| Arg { value: v.into(), secret: false }));
        self
    }

    /// An argument that must not appear in logs (a password, `KEY=value`).
    pub fn secret_arg(mut self, value: impl Into<String>) -> DokkuCommand {
        self.args.push(Arg { value: value.into(), secret: true });
        self
    }

    /// Data for the command's stdin (always treated as secret).
    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> DokkuCommand {
        self.stdin = Some(data.into());
        self
    }

    /// Marks the command as root-only.
    pub fn as_root(mut self) -> DokkuCommand {
        self.root = true;
        self
    }

    pub fn args(&self) -> &[Arg] {
        &self.args
    }

    /// The argument values, as a process receives them.
    pub fn argv(&self) -> Vec<&str> {
        self.args.iter().map(|a| a.value.as_str()).collect()
    }

    pub fn stdin_data(&self) -> Option<&[u8]> {
        self.stdin.as_deref()
    }

    pub fn needs_root(&self) -> bool {
        self.root
    }

    /// The subcommand (the first argument that is not a global flag).
    pub fn subcommand(&self) -> &str {
        self.args.iter().map(|a| a.value.as_str()).find(|a| !a.starts_with("--")).unwrap_or("")
    }

    /// Checks what every executor needs: no NUL bytes.
    pub fn validate(&self) -> Result<(), CommandError> {
        match self.args.iter().position(|a| a.value.contains('\0')) {
            Some(index) => Err(CommandError::NulByte { index }),
            None => Ok(()),
        }
    }

    /// The argv for logs and job records: secrets replaced by `<secret>`.
    pub fn masked_argv(&self) -> Vec<String> {
        self.args
            .iter()
            .map(|a| if a.secret { "<secret>".to_string() } else { a.value.clone() })
            .collect()
    }
}

/// Whether `name` is a DNS label (at most 63 lowercase letters, digits and `-`, starting and
/// ending with a letter or digit): what Dokku requires of Procfile process types
/// (procfile-util's strict mode). Such a name can never be read as a flag.
pub fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// `dokku apps:create node-js-app`, shell-quoted where needed, secrets masked.
impl fmt::Display for DokkuCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("dokku")?;
        for arg in &self.args {
            f.write_str(" ")?;
            if arg.secret {
                f.write_str("<secret>")?;
            } else if !arg.value.is_empty()
                && arg.value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:/=@,+%".contains(c))
            {
                f.write_str(&arg.value)?;
            } else {
                write!(f, "'{}'", arg.value.replace('\'', r"'\''"))?;
            }
        }
        if self.stdin.is_some() {
            f.write_str(" <stdin:secret>")?;
        }
        Ok(())
    }
}

impl fmt::Debug for DokkuCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_masks_secrets_and_quotes_the_rest() {
        let cmd = DokkuCommand::new("config:set")
            .global_flag("--quiet")
            .arg("--no-restart")
            .arg("my app")
            .secret_arg("DATABASE_URL=postgres://u:hunter2@db/x");
        assert_eq!(cmd.to_string(), "dokku --quiet config:set --no-restart 'my app' <secret>");
        assert!(!format!("{cmd:?}").contains("hunter2"));
        assert_eq!(
            cmd.masked_argv(),
            ["--quiet", "config:set", "--no-restart", "my app", "<secret>"]
        );
        assert_eq!(cmd.argv()[4], "DATABASE_URL=postgres://u:hunter2@db/x");
        assert_eq!(cmd.subcommand(), "config:set");
    }

    #[test]
    fn stdin_is_never_shown() {
        let cmd = DokkuCommand::new("config:import")
            .arg("app")
            .arg("-")
            .stdin(br#"{"K":"secret"}"#.to_vec());
        assert_eq!(cmd.to_string(), "dokku config:import app - <stdin:secret>");
    }

    #[test]
    fn quotes_inside_values_are_escaped_for_display() {
        let cmd = DokkuCommand::new("x").arg("it's");
        assert_eq!(cmd.to_string(), r"dokku x 'it'\''s'");
    }

    #[test]
    fn nul_bytes_are_refused() {
        assert_eq!(
            DokkuCommand::new("x").arg("a\0b").validate(),
            Err(CommandError::NulByte { index: 1 })
        );
        assert!(DokkuCommand::new("x").arg("ok").validate().is_ok());
    }
}
