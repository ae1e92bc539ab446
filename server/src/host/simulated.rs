//! The simulated-host executor: runs commands on the in-process [`dokku_sim::SimHost`].
//!
//! The simulated host does file I/O (its state is persisted), so each command runs on tokio's
//! blocking pool; configured latency is an async sleep, so a slow simulated host never ties up
//! a runtime thread.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use dokku_sim::{SimHost, SimOutcome};

use super::command::DokkuCommand;
use super::error::HostError;
use super::exec::{Executor, Output};

pub struct SimExecutor {
    sim: Arc<SimHost>,
    latency: Duration,
}

impl SimExecutor {
    pub fn new(sim: Arc<SimHost>, latency: Duration) -> SimExecutor {
        SimExecutor { sim, latency }
    }

    pub fn sim(&self) -> &Arc<SimHost> {
        &self.sim
    }
}

#[async_trait]
impl Executor for SimExecutor {
    async fn run(&self, cmd: &DokkuCommand) -> Result<Output, HostError> {
        cmd.validate().map_err(|e| HostError::Unsendable { reason: e.to_string() })?;
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let sim = self.sim.clone();
        let argv: Vec<String> = cmd.argv().into_iter().map(String::from).collect();
        let stdin = cmd.stdin_data().map(<[u8]>::to_vec);
        let outcome = tokio::task::spawn_blocking(move || {
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            sim.run(&argv, stdin.as_deref())
        })
        .await
        .map_err(|e| HostError::Transport { detail: format!("the simulated host failed: {e}") })?;
        match outcome {
            SimOutcome::Completed(out) => {
                Ok(Output { status: out.status, stdout: out.stdout, stderr: out.stderr })
            }
            SimOutcome::TransportDropped => Err(HostError::Transport {
                detail: "the connection to the simulated host dropped (injected)".into(),
            }),
        }
    }

    fn kind(&self) -> &'static str {
        "sim"
    }
}
