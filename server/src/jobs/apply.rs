//! The apply actions (what a job does to make a stored change live), their Dokku commands, how
//! they coalesce, and one attempt of a job against the host.
//!
//! | action | command | after changing |
//! |---|---|---|
//! | `Restart` | `ps:restart <app>` | env vars, resources (a redeploy of the current image) |
//! | `Rebuild` | `ps:rebuild <app>` | buildpacks, builder (a real build; dokku-host.md §3.14) |
//! | `Scale` | `ps:scale <app> <type>=<n>...` | formations (deploys the changed types only) |
//!
//! `ps:rebuild` takes no `--force` (the seed's example has one; it does nothing for a rebuild).
//! Before the command, `ps:report <app> --deployed` tells whether there is anything to restart:
//! an app that never received code has no image, so a restart or rebuild would only fail
//! (`ps:rebuild` exits non-zero with "no commits"); the job then completes at once and says the
//! change applies at the first deploy. A scale still runs there: on an undeployed app `ps:scale`
//! only stores the counts, which is exactly what must happen.

use std::collections::BTreeMap;

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
    /// Set these process counts and deploy the types that changed (`ps:scale`).
    Scale { processes: BTreeMap<String, u32> },
}

impl ApplyAction {
    /// `restart`, `rebuild` or `scale`.
    pub fn kind(&self) -> &'static str {
        match self {
            ApplyAction::Restart => "restart",
            ApplyAction::Rebuild => "rebuild",
            ApplyAction::Scale { .. } => "scale",
        }
    }

    /// The Dokku command that applies it.
    pub fn command(&self, app: &str) -> DokkuCommand {
        match self {
            ApplyAction::Restart => DokkuCommand::new("ps:restart").arg(app),
            ApplyAction::Rebuild => DokkuCommand::new("ps:rebuild").arg(app),
            ApplyAction::Scale { processes } => DokkuCommand::new("ps:scale")
                .arg(app)
                .with_args(processes.iter().map(|(t, n)| format!("{t}={n}"))),
        }
    }

    /// The action of a waiting job once `new` joins it, or `None` when it cannot carry `new`.
    ///
    /// A rebuild carries a restart (it deploys everything a restart would, from a fresh build),
    /// and a waiting restart becomes a rebuild when a rebuild is asked for. Two scales merge, the
    /// newer count winning. A scale carries its counts in the job, so neither a restart nor a
    /// rebuild absorbs one (nor the other way round).
    pub fn absorb(&self, new: &ApplyAction) -> Option<ApplyAction> {
        use ApplyAction::*;
        match (self, new) {
            (Rebuild, Restart | Rebuild) | (Restart, Rebuild) => Some(Rebuild),
            (Restart, Restart) => Some(Restart),
            (Scale { processes: old }, Scale { processes: newer }) => {
                let mut merged = old.clone();
                merged.extend(newer.iter().map(|(t, n)| (t.clone(), *n)));
                Some(Scale { processes: merged })
            }
            _ => None,
        }
    }

    /// Refuses what must never reach a command line: an empty scale, or a process type that is
    /// not a DNS label (one starting with `-` would be read as a flag).
    pub fn check(&self) -> Result<(), String> {
        if let ApplyAction::Scale { processes } = self {
            if processes.is_empty() {
                return Err("a scale job needs at least one process type".into());
            }
            for t in processes.keys() {
                if !crate::host::command::is_dns_label(t) {
                    return Err(format!(
                        "invalid process type {t:?}: use lowercase letters, digits and hyphens"
                    ));
                }
            }
        }
        Ok(())
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
    match host.run(&cmd).await {
        Ok(out) => parse::parse_ps_deployed(&out.stdout).map_err(|e| AttemptResult::Failed {
            reason: format!("cannot read `{cmd}`: {e}"),
            output: None,
        }),
        Err(e) => Err(host_error(e, None)),
    }
}

/// Runs the apply command once and classifies the outcome. The caller holds the app's lock.
pub(crate) async fn run_command(host: &Host, cmd: &DokkuCommand) -> AttemptResult {
    let out = match host.run_raw(cmd).await {
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
    // `ps:rebuild` and `ps:restart` merge stderr into stdout (build capture, dokku-host.md
    // §2.4), so Dokku's ` !     ` messages are looked for in both streams.
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
    match action {
        ApplyAction::Scale { .. } => format!(
            "App {app} has not been deployed yet: the process counts are stored and apply at its \
             first deploy"
        ),
        _ => format!(
            "App {app} has not been deployed yet: nothing to {}; the change applies at its first \
             deploy",
            action.kind()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scale(pairs: &[(&str, u32)]) -> ApplyAction {
        ApplyAction::Scale { processes: pairs.iter().map(|(t, n)| (t.to_string(), *n)).collect() }
    }

    #[test]
    fn commands_are_the_documented_ones() {
        assert_eq!(display_argv(&ApplyAction::Rebuild.command("a")), ["dokku", "ps:rebuild", "a"]);
        assert_eq!(display_argv(&ApplyAction::Restart.command("a")), ["dokku", "ps:restart", "a"]);
        assert_eq!(
            display_argv(&scale(&[("worker", 2), ("web", 1)]).command("a")),
            ["dokku", "ps:scale", "a", "web=1", "worker=2"]
        );
    }

    #[test]
    fn a_rebuild_carries_a_restart_and_scales_merge() {
        use ApplyAction::*;
        assert_eq!(Rebuild.absorb(&Restart), Some(Rebuild));
        assert_eq!(Restart.absorb(&Rebuild), Some(Rebuild));
        assert_eq!(Restart.absorb(&Restart), Some(Restart));
        assert_eq!(Rebuild.absorb(&scale(&[("web", 2)])), None);
        assert_eq!(scale(&[("web", 2)]).absorb(&Restart), None);
        assert_eq!(
            scale(&[("web", 2), ("worker", 1)]).absorb(&scale(&[("web", 3)])),
            Some(scale(&[("web", 3), ("worker", 1)]))
        );
    }

    #[test]
    fn process_types_that_could_be_flags_are_refused() {
        assert!(scale(&[("web", 1)]).check().is_ok());
        assert!(scale(&[("--skip-deploy", 1)]).check().is_err());
        assert!(scale(&[("Web", 1)]).check().is_err());
        assert!(scale(&[]).check().is_err());
        assert!(ApplyAction::Rebuild.check().is_ok());
    }

    #[test]
    fn actions_round_trip_as_json() {
        let a = scale(&[("web", 2)]);
        let text = serde_json::to_string(&a).unwrap();
        assert_eq!(text, r#"{"kind":"scale","processes":{"web":2}}"#);
        assert_eq!(serde_json::from_str::<ApplyAction>(&text).unwrap(), a);
        assert_eq!(serde_json::to_string(&ApplyAction::Rebuild).unwrap(), r#"{"kind":"rebuild"}"#);
    }
}
