//! Dokku's stderr: the ` !     ` messages, and the few failures only their text identifies.
//!
//! Success is decided by the exit code alone (20 = app missing, 1 = failure, 2 = bad flag),
//! because warnings print the same prefix with exit 0. The messages are
//! what a client is shown; [`KnownFailure`] is for the cases where the API must answer
//! differently and the exit code cannot tell (every match below names its source text).

use super::text::content_lines;

/// The stderr of one command, split by kind of line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DokkuMessages {
    /// Lines that carried the ` !     ` prefix (bash `dokku_log_warn`/`dokku_log_fail`, Go
    /// `LogFail`/`LogWarn`), prefix and surrounding spaces removed, in order.
    pub messages: Vec<String>,
    /// Every other non-blank line, trimmed: raw tool output such as sshcommand's
    /// `Duplicate ssh key name` or pflag's `unknown flag: --format` plus its usage text.
    pub other: Vec<String>,
}

impl DokkuMessages {
    /// The text to show a client: the prefixed messages joined with `"; "`, else the first
    /// other line, else `None`.
    pub fn summary(&self) -> Option<String> {
        if !self.messages.is_empty() {
            Some(self.messages.join("; "))
        } else {
            self.other.first().cloned()
        }
    }

    /// The failure these lines identify, if it is one the API handles specially.
    pub fn known_failure(&self) -> Option<KnownFailure> {
        self.messages
            .iter()
            .find_map(|m| classify_message(m))
            .or_else(|| self.other.iter().find_map(|line| classify_other(line)))
    }
}

/// Splits stderr into ` !     ` messages and other lines. ANSI escapes and `\r` are removed,
/// blank lines ignored. The prefix is matched loosely (`!` after optional spaces, then at least
/// one space or the end of the line) so that a pty or trimmed capture still reads.
///
/// A command that reports a trigger's failure again prints it a second time behind another
/// prefix (`ps:rebuild` during another deploy: ` !      !     <app> currently has a deploy lock
/// in place. Exiting...` and the line after it again): nested prefixes are removed and a
/// message seen before is kept once.
pub fn parse_stderr(stderr: &str) -> DokkuMessages {
    let mut out = DokkuMessages::default();
    for (_, line) in content_lines(stderr) {
        let trimmed = line.trim();
        match strip_prefixes(trimmed) {
            Some(message) => {
                if !message.is_empty() && !out.messages.iter().any(|m| m == message) {
                    out.messages.push(message.to_string());
                }
            }
            None => out.other.push(trimmed.to_string()),
        }
    }
    out
}

/// The message behind one or more ` !     ` prefixes, or `None` for a line without one.
fn strip_prefixes(line: &str) -> Option<&str> {
    let mut message = strip_prefix(line)?;
    while let Some(inner) = strip_prefix(message) {
        message = inner;
    }
    Some(message)
}

/// `!` and then whitespace or nothing: the rest, trimmed.
fn strip_prefix(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('!')?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then(|| rest.trim())
}

/// Failures the API answers specially, recognised by their literal text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KnownFailure {
    /// ` !     App <app> does not exist` (exit 20).
    AppDoesNotExist { app: String },
    /// ` !     Name is already taken` (`apps:create`).
    AppNameTaken,
    /// ` !     <app> currently has a deploy lock in place. Exiting...`: retryable.
    DeployLocked { app: String },
    /// ` !     This command must be run as root`: the root transport is needed.
    NotRoot,
    /// ` !     You haven't deployed any applications yet`: plugin reports fail with this when
    /// the host has no apps at all.
    NoApps,
    /// `` !     `x` is not a dokku command. `` (a plugin is not installed).
    UnknownCommand,
    /// ` !     Invalid flag passed, valid flags: …` (a `:report` flag this version lacks).
    InvalidReportFlag,
    /// `unknown flag: --x` from a Go subcommand's pflag (exit 2): a flag this version lacks.
    UnknownFlag,
    /// ` !     <Service> service <svc> does not exist`.
    ServiceDoesNotExist { service: String },
    /// ` !     <Service> service <svc> already exists`.
    ServiceAlreadyExists { service: String },
    /// ` !     Already linked as <ALIAS>_URL`.
    ServiceAlreadyLinked,
    /// ` !     Not linked to app <app>`.
    ServiceNotLinked,
    /// ` !     Cannot delete linked service`.
    ServiceLinked,
    /// ` !     Authentication is disabled` (http-auth add/remove-user).
    HttpAuthDisabled,
    /// ` !     Unable to remove deploy lock` (`apps:unlock` on an unlocked app).
    NotLocked,
    /// sshcommand's `Duplicate ssh key name` / `Duplicate SSH Key name`.
    DuplicateSshKeyName,
    /// sshcommand's `Duplicate ssh public key specified`.
    DuplicateSshKey,
    /// `Invalid ssh public key` (sshcommand) or ` !     Key specified in is not a valid ssh
    /// public key` (the plugin).
    InvalidSshKey,
    /// `authorized_keys is empty for dokku` (`ssh-keys:list`, exit 1).
    NoSshKeys,
}

fn classify_message(message: &str) -> Option<KnownFailure> {
    if let Some(app) = message.strip_prefix("App ").and_then(|m| m.strip_suffix(" does not exist"))
        && !app.contains(' ')
    {
        return Some(KnownFailure::AppDoesNotExist { app: app.to_string() });
    }
    if let Some(app) = message.strip_suffix(" currently has a deploy lock in place. Exiting...") {
        return Some(KnownFailure::DeployLocked { app: app.to_string() });
    }
    // `<Service> service <svc> does not exist|already exists`, e.g. `Postgres service x …`.
    if let Some((_, rest)) = message.split_once(" service ") {
        if let Some(service) = rest.strip_suffix(" does not exist") {
            return Some(KnownFailure::ServiceDoesNotExist { service: service.to_string() });
        }
        if let Some(service) = rest.strip_suffix(" already exists") {
            return Some(KnownFailure::ServiceAlreadyExists { service: service.to_string() });
        }
    }
    let known = match message {
        "Name is already taken" => KnownFailure::AppNameTaken,
        "This command must be run as root" => KnownFailure::NotRoot,
        "You haven't deployed any applications yet" => KnownFailure::NoApps,
        "Cannot delete linked service" => KnownFailure::ServiceLinked,
        "Authentication is disabled" => KnownFailure::HttpAuthDisabled,
        "Unable to remove deploy lock" => KnownFailure::NotLocked,
        "Key specified in is not a valid ssh public key" => KnownFailure::InvalidSshKey,
        m if m.ends_with("is not a dokku command.") => KnownFailure::UnknownCommand,
        m if m.starts_with("Invalid flag passed") => KnownFailure::InvalidReportFlag,
        m if m.starts_with("Already linked as ") => KnownFailure::ServiceAlreadyLinked,
        m if m.starts_with("Not linked to app ") => KnownFailure::ServiceNotLinked,
        m => return classify_other(m),
    };
    Some(known)
}

/// Unprefixed lines: sshcommand and pflag print without ` !     `.
fn classify_other(line: &str) -> Option<KnownFailure> {
    let lower = line.to_ascii_lowercase();
    if lower.starts_with("unknown flag: ") {
        Some(KnownFailure::UnknownFlag)
    } else if lower == "duplicate ssh key name" {
        Some(KnownFailure::DuplicateSshKeyName)
    } else if lower == "duplicate ssh public key specified" {
        Some(KnownFailure::DuplicateSshKey)
    } else if lower == "invalid ssh public key" {
        Some(KnownFailure::InvalidSshKey)
    } else if lower.starts_with("authorized_keys is empty") {
        Some(KnownFailure::NoSshKeys)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_lines_become_messages() {
        let stderr = " !     A deploy may be in progress.\n\n !     Removing the app lock will not \
                      stop in progress deploys.\n";
        let parsed = parse_stderr(stderr);
        assert_eq!(
            parsed.messages,
            [
                "A deploy may be in progress.",
                "Removing the app lock will not stop in progress deploys."
            ]
        );
        assert!(parsed.other.is_empty());
        assert_eq!(
            parsed.summary().as_deref(),
            Some(
                "A deploy may be in progress.; Removing the app lock will not stop in progress deploys."
            )
        );
    }

    #[test]
    fn other_lines_are_kept_apart() {
        let stderr = "Duplicate ssh key name\n !     sshcommand returned an error: 1\n";
        let parsed = parse_stderr(stderr);
        assert_eq!(parsed.messages, ["sshcommand returned an error: 1"]);
        assert_eq!(parsed.other, ["Duplicate ssh key name"]);
        assert_eq!(parsed.known_failure(), Some(KnownFailure::DuplicateSshKeyName));
    }

    #[test]
    fn ansi_crlf_blank_and_bare_prefix_lines() {
        let stderr = "\u{1b}[1G !     \u{1b}[31mboom\u{1b}[0m  \r\n !\n   \n";
        let parsed = parse_stderr(stderr);
        assert_eq!(parsed.messages, ["boom"]);
        assert!(parsed.other.is_empty());
        assert_eq!(parse_stderr("").summary(), None);
        assert_eq!(parse_stderr("plain\n").summary().as_deref(), Some("plain"));
        // `!x` is not the prefix.
        assert_eq!(parse_stderr("!x\n").other, ["!x"]);
    }

    #[test]
    fn known_failures() {
        let cases = [
            (
                " !     App node-js-app does not exist",
                KnownFailure::AppDoesNotExist { app: "node-js-app".into() },
            ),
            (" !     Name is already taken", KnownFailure::AppNameTaken),
            (
                " !     node-js-app currently has a deploy lock in place. Exiting...\n !     Run \
                 'apps:unlock' to release the existing deploy lock",
                KnownFailure::DeployLocked { app: "node-js-app".into() },
            ),
            (" !     This command must be run as root", KnownFailure::NotRoot),
            (" !     You haven't deployed any applications yet", KnownFailure::NoApps),
            (
                " !     `foo` is not a dokku command.\n !     See `dokku help` for a list of \
                 available commands.",
                KnownFailure::UnknownCommand,
            ),
            (" !     Invalid flag passed, valid flags: --a, --b", KnownFailure::InvalidReportFlag),
            ("unknown flag: --format\nUsage of apps:list:", KnownFailure::UnknownFlag),
            (
                " !     Postgres service lollipop does not exist",
                KnownFailure::ServiceDoesNotExist { service: "lollipop".into() },
            ),
            (
                " !     Redis service cache already exists",
                KnownFailure::ServiceAlreadyExists { service: "cache".into() },
            ),
            (" !     Already linked as DATABASE_URL", KnownFailure::ServiceAlreadyLinked),
            (" !     Not linked to app node-js-app", KnownFailure::ServiceNotLinked),
            (" !     Cannot delete linked service", KnownFailure::ServiceLinked),
            (" !     Authentication is disabled", KnownFailure::HttpAuthDisabled),
            (" !     Unable to remove deploy lock", KnownFailure::NotLocked),
            ("Duplicate SSH Key name", KnownFailure::DuplicateSshKeyName),
            (
                "Duplicate ssh public key specified\n !     sshcommand returned an error: 1",
                KnownFailure::DuplicateSshKey,
            ),
            ("Invalid ssh public key", KnownFailure::InvalidSshKey),
            (" !     Key specified in is not a valid ssh public key", KnownFailure::InvalidSshKey),
            ("authorized_keys is empty for dokku", KnownFailure::NoSshKeys),
        ];
        for (stderr, expected) in cases {
            assert_eq!(parse_stderr(stderr).known_failure(), Some(expected), "{stderr:?}");
        }
    }

    #[test]
    fn unknown_failures() {
        for stderr in [
            "",
            " !     Invalid key name: 'x-y'",
            " !     App name must begin with lowercase alphanumeric character",
            " !     Deploy lock does not exist",
        ] {
            assert_eq!(parse_stderr(stderr).known_failure(), None, "{stderr:?}");
        }
    }
}
