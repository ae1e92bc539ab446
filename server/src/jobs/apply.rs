//! The apply actions (what a job does to make a stored change live), their Dokku commands, how
//! they coalesce, and one attempt of a job against the host.
//!
//! | action | command | after changing |
//! |---|---|---|
//! | `Restart` | `ps:restart <app>` | env vars, resources, formations (a redeploy of the current image) |
//! | `Rebuild` | `ps:rebuild <app>` | buildpacks (a real build from the stored source) |
//!
//! `ps:rebuild` takes no `--force` (the seed's example has one; it does nothing for a rebuild).
//! Before the command, `ps:report <app> --deployed` tells whether there is anything to restart:
//! an app that never received code has no image, so a restart or rebuild would only fail
//! (`ps:rebuild` exits non-zero with "no commits"); the job then completes at once and says the
//! change applies at the first deploy.

use serde::{Deserialize, Serialize};

use crate::host::parse::{self, KnownFailure};
use crate::host::{DokkuCommand, Host, HostError, Output};

/// What a job does to make a change live.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApplyAction {
    /// Redeploy the current image (`ps:restart`).
    Restart,
    /// Build again from the stored source, then deploy (`ps:rebuild`).
    Rebuild,
}

impl ApplyAction {
    /// `restart` or `rebuild`.
    pub fn kind(&self) -> &'static str {
        match self {
            ApplyAction::Restart => "restart",
            ApplyAction::Rebuild => "rebuild",
        }
    }

    /// The Dokku command that applies it.
    pub fn command(&self, app: &str) -> DokkuCommand {
        match self {
            ApplyAction::Restart => DokkuCommand::new("ps:restart").arg(app),
            ApplyAction::Rebuild => DokkuCommand::new("ps:rebuild").arg(app),
        }
    }

    /// The action of a waiting job once `new` joins it: a rebuild carries a restart (it deploys
    /// everything a restart would, from a fresh build), and a waiting restart becomes a rebuild
    /// when a rebuild is asked for.
    pub fn absorb(&self, new: &ApplyAction) -> ApplyAction {
        use ApplyAction::*;
        match (self, new) {
            (Restart, Restart) => Restart,
            _ => Rebuild,
        }
    }
}

/// A command as job records show it: `dokku` and the argv, secrets masked.
pub fn display_argv(cmd: &DokkuCommand) -> Vec<String> {
    std::iter::once("dokku".to_string()).chain(cmd.masked_argv()).collect()
}

/// How one attempt went.
#[derive(Debug)]
pub(crate) enum AttemptResult {
    /// The command succeeded (or there was nothing to do); the message says which.
    Done { message: String, skipped: bool, output: Option<Output> },
    /// Worth another try: Dokku held the app's deploy lock, or the connection dropped.
    Retryable { reason: String, output: Option<Output> },
    /// Trying again would not help.
    Failed { reason: String, output: Option<Output> },
}

impl AttemptResult {
    pub(crate) fn output(&self) -> Option<&Output> {
        match self {
            AttemptResult::Done { output, .. }
            | AttemptResult::Retryable { output, .. }
            | AttemptResult::Failed { output, .. } => output.as_ref(),
        }
    }
}

/// Whether the app has been deployed (`ps:report <app> --deployed`).
pub(crate) async fn deployed(host: &Host, app: &str) -> Result<bool, AttemptResult> {
    let cmd = DokkuCommand::new("ps:report").arg(app).arg("--deployed");
    host.query(&cmd, parse::parse_ps_deployed).await.map_err(|e| host_error(e, None))
}

/// Runs the apply command once and classifies the outcome.
pub(crate) async fn run_command(host: &Host, cmd: &DokkuCommand) -> AttemptResult {
    let out = match host.run_deploy(cmd).await {
        Ok(out) => out,
        Err(e) => return host_error(e, None),
    };
    if out.success() {
        return AttemptResult::Done {
            message: format!("Completed: `{cmd}` succeeded"),
            skipped: false,
            output: Some(out),
        };
    }
    // `ps:rebuild` and `ps:restart` merge stderr into stdout (Dokku captures build output that
    // way), so Dokku's ` !     ` messages are looked for in both streams.
    let mut messages = parse::parse_stderr(&out.stderr);
    messages.messages.extend(parse::parse_stderr(&out.stdout).messages);
    let detail = if messages.messages.is_empty() {
        crate::host::failure_message(&out)
    } else {
        messages.messages.join("; ")
    };
    let reason = format!("`{cmd}` exited with status {}: {detail}", out.status);
    if matches!(messages.known_failure(), Some(KnownFailure::DeployLocked { .. })) {
        AttemptResult::Retryable { reason, output: Some(out) }
    } else {
        AttemptResult::Failed { reason, output: Some(out) }
    }
}

fn host_error(e: HostError, output: Option<Output>) -> AttemptResult {
    match e {
        // The command may not have run at all; the apply commands are idempotent, so trying
        // again is safe.
        HostError::Transport { .. } => AttemptResult::Retryable { reason: e.to_string(), output },
        HostError::Refused { .. } | HostError::AppNotFound { .. } => {
            AttemptResult::Failed { reason: e.to_string(), output }
        }
        other => AttemptResult::Failed { reason: crate::error::chain(&other), output },
    }
}

/// The status message of a job on an app that was never deployed.
pub(crate) fn not_deployed_message(app: &str, action: &ApplyAction) -> String {
    format!(
        "App {app} has not been deployed yet: nothing to {}; the change applies at its first \
         deploy",
        action.kind()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_the_documented_ones() {
        assert_eq!(display_argv(&ApplyAction::Rebuild.command("a")), ["dokku", "ps:rebuild", "a"]);
        assert_eq!(display_argv(&ApplyAction::Restart.command("a")), ["dokku", "ps:restart", "a"]);
    }

    #[test]
    fn a_rebuild_carries_a_restart() {
        use ApplyAction::*;
        assert_eq!(Rebuild.absorb(&Restart), Rebuild);
        assert_eq!(Restart.absorb(&Rebuild), Rebuild);
        assert_eq!(Restart.absorb(&Restart), Restart);
        assert_eq!(Rebuild.absorb(&Rebuild), Rebuild);
    }

    #[test]
    fn actions_round_trip_as_json() {
        let text = serde_json::to_string(&ApplyAction::Rebuild).unwrap();
        assert_eq!(text, r#"{"kind":"rebuild"}"#);
        assert_eq!(serde_json::from_str::<ApplyAction>(&text).unwrap(), ApplyAction::Rebuild);
        // A job queued by an older version with an action this one no longer has is unreadable,
        // not misread.
        assert!(serde_json::from_str::<ApplyAction>(r#"{"kind":"scale","processes":{}}"#).is_err());
    }
}
