//! The simulated host's state: apps, properties, services, keys and armed injections, persisted as
//! one JSON document in the state directory.
//!
//! Maps are `BTreeMap`s on purpose: Dokku lists apps, env keys, scale entries and properties in
//! byte order, so iteration order here is the output order there.
//!
//! Every struct carries the same derives and `#[serde(default)]`, so a state file written before a
//! field existed still loads (see `FORMAT`).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::inject::InjectionSpec;

pub(crate) const STATE_FILE: &str = "state.json";
pub(crate) const LOCK_FILE: &str = "lock";
pub(crate) const LOG_FILE: &str = "invocations.jsonl";

/// Bumped when the layout changes incompatibly; unknown fields are ignored and missing ones take
/// their defaults, so additive changes need no bump.
const FORMAT: u32 = 1;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct State {
    pub format: u32,
    /// Source of every generated id, so ids are stable across runs of the same script.
    pub seq: u64,
    pub apps: BTreeMap<String, App>,
    pub global: Global,
    /// datastore plugin name -> service name -> service.
    pub services: BTreeMap<String, BTreeMap<String, Service>>,
    /// In `authorized_keys` order.
    pub ssh_keys: Vec<SshKey>,
    pub injections: Vec<InjectionSpec>,
    /// The `DOKKU_SIM_INJECT` text the injections were armed from; a different text re-arms them.
    pub inject_source: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Global {
    pub env: BTreeMap<String, String>,
    pub apps: BTreeMap<String, String>,
    pub builder: BTreeMap<String, String>,
    pub buildpacks: BTreeMap<String, String>,
    pub ps: BTreeMap<String, String>,
    pub scheduler: BTreeMap<String, String>,
    /// Global vhosts; none by default, so new apps start with vhosts disabled.
    pub vhosts: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct App {
    pub created_at: u64,
    pub locked: bool,
    /// Set by `mark_deployed` (what a git push does); never by a command.
    pub deployed: bool,
    /// Bumped by every (re)deploy, so container ids change like real ones.
    pub deploy_seq: u64,
    pub git_sha: String,
    /// Process types of the deployed Procfile, sorted.
    pub procfile: Vec<String>,
    /// The `scale` property: what `ps:scale` and deploys keep.
    pub scale: BTreeMap<String, i64>,
    /// The `scale.old` property: types scaled to 0 that the Procfile does not have. Dokku moves
    /// them here and still lists them until the next scale without them.
    pub scale_old: BTreeMap<String, i64>,
    /// `ps:stop` ran and nothing started the app again.
    pub stopped: bool,
    pub env: BTreeMap<String, String>,
    pub builder: BTreeMap<String, String>,
    pub buildpacks: Vec<String>,
    pub buildpacks_props: BTreeMap<String, String>,
    pub ps: BTreeMap<String, String>,
    pub scheduler: BTreeMap<String, String>,
    /// The app's `VHOST` file. Whether vhosts are on is its `NO_VHOST` env var, as in Dokku
    /// (see [`App::vhosts_enabled`]).
    pub vhosts: Vec<String>,
    /// `<proctype>.<limit|reserve>.<resource>` -> value, as Dokku names its properties.
    pub resources: BTreeMap<String, String>,
    pub http_auth: HttpAuth,
    pub maintenance: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct HttpAuth {
    /// The plugin's notion of enabled: the nginx include exists.
    pub enabled: bool,
    /// The nginx include as last rendered (`None` when it does not exist). The plugin renders it
    /// only on `enable`, `add-allowed-ip` and `remove-allowed-ip`, from the users and addresses
    /// of that moment, so it can lag behind them.
    pub include: Option<String>,
    pub allowed_ips: Vec<String>,
    /// `htpasswd` order.
    pub users: Vec<HttpAuthUser>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct HttpAuthUser {
    pub name: String,
    /// Salted SHA-256 of the password; the password itself is never stored.
    pub hash: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Service {
    pub password: String,
    pub root_password: String,
    pub image: String,
    pub image_version: String,
    pub config_options: String,
    pub custom_env: String,
    pub memory: String,
    pub shm_size: String,
    pub initial_network: String,
    pub post_create_network: String,
    pub post_start_network: String,
    pub container_id: String,
    pub internal_ip: String,
    /// Linked app -> the alias its URL variable was written under (`DATABASE` -> `DATABASE_URL`).
    pub links: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct SshKey {
    pub name: String,
    pub fingerprint: String,
    /// The key line as given, comment included.
    pub public_key: String,
}

impl App {
    /// `is_app_vhost_enabled`: on unless the app's env has `NO_VHOST=1`.
    pub(crate) fn vhosts_enabled(&self) -> bool {
        self.env.get("NO_VHOST").map(String::as_str) != Some("1")
    }

    /// What `ps:scale` lists (`getFormations`): `scale`, plus the `scale.old` types it lacks.
    pub(crate) fn formations(&self) -> BTreeMap<String, i64> {
        let mut all = self.scale.clone();
        for (t, n) in &self.scale_old {
            all.entry(t.clone()).or_insert(*n);
        }
        all
    }
}

impl State {
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}

pub(crate) fn state_path(dir: &Path) -> PathBuf {
    dir.join(STATE_FILE)
}

/// Loads the state, or a fresh one when the directory has none yet.
pub(crate) fn load(dir: &Path) -> io::Result<State> {
    let path = state_path(dir);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(State { format: FORMAT, ..State::default() });
        }
        Err(e) => return Err(e),
    };
    let state: State = serde_json::from_str(&text).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("dokku-sim state {} is not valid: {e}", path.display()),
        )
    })?;
    if state.format > FORMAT {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "dokku-sim state {} has format {}, newer than this build understands ({FORMAT})",
                path.display(),
                state.format
            ),
        ));
    }
    Ok(state)
}

pub(crate) fn serialize(state: &State) -> io::Result<String> {
    let mut state_text = serde_json::to_string_pretty(state).map_err(io::Error::other)?;
    state_text.push('\n');
    Ok(state_text)
}

/// Writes the state atomically: a reader (or a crash) sees the old file or the new one, never a
/// torn mix, because the new text is synced under a temporary name and then renamed over.
pub(crate) fn save_text(dir: &Path, text: &str) -> io::Result<()> {
    let tmp = dir.join(format!(".{STATE_FILE}.tmp-{}-{}", std::process::id(), unique_suffix()));
    let write = || -> io::Result<()> {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&tmp, state_path(dir))
    };
    let result = write();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Distinguishes temp files of threads in one process (the pid alone does not).
fn unique_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_tolerates_unknown_fields() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = load(dir.path()).unwrap();
        state.apps.insert("a".into(), App { created_at: 7, ..App::default() });
        save_text(dir.path(), &serialize(&state).unwrap()).unwrap();
        let back = load(dir.path()).unwrap();
        assert_eq!(back.apps["a"].created_at, 7);

        fs::write(state_path(dir.path()), r#"{"format":1,"future_field":3,"apps":{}}"#).unwrap();
        assert!(load(dir.path()).unwrap().apps.is_empty());
    }

    #[test]
    fn corrupt_state_is_an_error_not_a_reset() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(state_path(dir.path()), "{not json").unwrap();
        assert_eq!(load(dir.path()).unwrap_err().kind(), io::ErrorKind::InvalidData);
    }
}
