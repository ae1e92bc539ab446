//! Failure injection: armed injections live in the state, so their `times` count down across the
//! processes of the standalone binary as well as within one `SimHost`.
//!
//! The serialized form is also the `DOKKU_SIM_INJECT` format (see the crate docs).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::state::State;
use crate::{Effect, Injection};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct InjectionSpec {
    pub subcommand: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    #[serde(default = "one")]
    pub times: u32,
    pub effect: EffectSpec,
}

fn one() -> u32 {
    1
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EffectSpec {
    DeployLock,
    Exit {
        status: i32,
        #[serde(default)]
        stderr: String,
    },
    TransportDrop,
    Delay {
        ms: u64,
    },
}

impl From<Injection> for InjectionSpec {
    fn from(i: Injection) -> InjectionSpec {
        let effect = match i.effect {
            Effect::DeployLock => EffectSpec::DeployLock,
            Effect::Exit { status, stderr } => EffectSpec::Exit { status, stderr },
            Effect::TransportDrop => EffectSpec::TransportDrop,
            Effect::Delay(d) => {
                EffectSpec::Delay { ms: u64::try_from(d.as_millis()).unwrap_or(u64::MAX) }
            }
        };
        InjectionSpec { subcommand: i.subcommand, app: i.app, times: i.times, effect }
    }
}

impl EffectSpec {
    pub(crate) fn to_effect(&self) -> Effect {
        match self {
            EffectSpec::DeployLock => Effect::DeployLock,
            EffectSpec::Exit { status, stderr } => {
                Effect::Exit { status: *status, stderr: stderr.clone() }
            }
            EffectSpec::TransportDrop => Effect::TransportDrop,
            EffectSpec::Delay { ms } => Effect::Delay(Duration::from_millis(*ms)),
        }
    }
}

/// The commands that take Dokku's deploy lock: builds (`git_receive_app`). Restarts, scaling and
/// config changes never do, so a deploy-lock failure cannot happen there.
pub(crate) const BUILDS: [&str; 2] = ["ps:rebuild", "sim:deploy"];

/// Why an injection can never happen on a real host, if it cannot.
pub(crate) fn impossible(spec: &InjectionSpec) -> Option<String> {
    let builds_only = spec.subcommand == "*" || BUILDS.contains(&spec.subcommand.as_str());
    (spec.effect == EffectSpec::DeployLock && !builds_only).then(|| {
        format!(
            "a deploy lock cannot be injected into {}: only builds ({}) take Dokku's deploy lock",
            spec.subcommand,
            BUILDS.join(", ")
        )
    })
}

pub(crate) fn parse_list(text: &str) -> Result<Vec<InjectionSpec>, String> {
    let list: Vec<InjectionSpec> = serde_json::from_str(text)
        .map_err(|e| format!("DOKKU_SIM_INJECT is not a valid injection list: {e}"))?;
    match list.iter().find_map(impossible) {
        Some(reason) => Err(format!("DOKKU_SIM_INJECT: {reason}")),
        None => Ok(list),
    }
}

/// Re-arms the injections when `DOKKU_SIM_INJECT` changed since they were last armed; an
/// unchanged text leaves the counted-down list alone.
pub(crate) fn sync_env(state: &mut State, env_text: Option<&str>) -> Result<(), String> {
    let Some(text) = env_text else { return Ok(()) };
    if state.inject_source.as_deref() == Some(text) {
        return Ok(());
    }
    state.injections = parse_list(text)?;
    state.inject_source = Some(text.to_string());
    Ok(())
}

/// The first armed injection matching this invocation, counted down (and dropped when spent).
pub(crate) fn take(state: &mut State, subcommand: &str, app: Option<&str>) -> Option<Effect> {
    let index = state.injections.iter().position(|i| {
        i.times > 0
            && (i.subcommand == "*" || i.subcommand == subcommand)
            && (i.effect != EffectSpec::DeployLock || BUILDS.contains(&subcommand))
            && i.app.as_deref().is_none_or(|want| Some(want) == app)
    })?;
    let injection = &mut state.injections[index];
    let effect = injection.effect.to_effect();
    injection.times -= 1;
    if injection.times == 0 {
        state.injections.remove(index);
    }
    Some(effect)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_format_round_trips() {
        let text = r#"[
            {"subcommand":"ps:rebuild","app":"web1","times":2,"effect":"deploy_lock"},
            {"subcommand":"*","effect":{"exit":{"status":3,"stderr":"boom\n"}}},
            {"subcommand":"apps:list","effect":"transport_drop"},
            {"subcommand":"ps:scale","effect":{"delay":{"ms":150}}}
        ]"#;
        let list = parse_list(text).unwrap();
        assert_eq!(list.len(), 4);
        assert_eq!(list[1].times, 1);
        assert_eq!(list[3].effect.to_effect(), Effect::Delay(Duration::from_millis(150)));
    }

    #[test]
    fn deploy_locks_only_in_builds() {
        let err = parse_list(r#"[{"subcommand":"ps:restart","effect":"deploy_lock"}]"#);
        assert!(err.unwrap_err().contains("only builds (ps:rebuild, sim:deploy)"));
        let mut state = State::default();
        sync_env(&mut state, Some(r#"[{"subcommand":"*","times":2,"effect":"deploy_lock"}]"#))
            .unwrap();
        // A wildcard deploy lock waits for a build.
        assert_eq!(take(&mut state, "ps:restart", Some("a")), None);
        assert_eq!(take(&mut state, "config:set", Some("a")), None);
        assert_eq!(take(&mut state, "ps:rebuild", Some("a")), Some(Effect::DeployLock));
    }

    #[test]
    fn counts_down_and_matches_app() {
        let mut state = State::default();
        sync_env(
            &mut state,
            Some(r#"[{"subcommand":"ps:rebuild","app":"a","times":2,"effect":"deploy_lock"}]"#),
        )
        .unwrap();
        assert_eq!(take(&mut state, "ps:rebuild", Some("b")), None);
        assert_eq!(take(&mut state, "ps:rebuild", Some("a")), Some(Effect::DeployLock));
        // The same env text does not re-arm.
        sync_env(
            &mut state,
            Some(r#"[{"subcommand":"ps:rebuild","app":"a","times":2,"effect":"deploy_lock"}]"#),
        )
        .unwrap();
        assert_eq!(take(&mut state, "ps:rebuild", Some("a")), Some(Effect::DeployLock));
        assert_eq!(take(&mut state, "ps:rebuild", Some("a")), None);
    }
}
