//! The standalone `dokku-sim` command: a drop-in `dokku` over a state directory shared by many
//! processes (see the crate docs for the environment it reads).

use std::ffi::OsString;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use crate::{SimHost, SimOptions, SimOutcome, SimOutput, dispatch};

/// The environment of one `dokku-sim` process.
#[derive(Clone, Debug, Default)]
pub struct CliEnv {
    /// `DOKKU_SIM_STATE_DIR` (required).
    pub state_dir: Option<PathBuf>,
    /// `DOKKU_SIM_VERSION` (default 0.38.27).
    pub version: Option<String>,
    /// `DOKKU_SIM_INJECT`: a JSON array of injections.
    pub inject: Option<String>,
    /// `DOKKU_SIM_LATENCY_MS`: how long every invocation takes at least (a slow host).
    pub latency_ms: Option<u64>,
}

impl CliEnv {
    pub fn from_process_env() -> CliEnv {
        let var = |name: &str| std::env::var_os(name).map(os_to_string).filter(|v| !v.is_empty());
        CliEnv {
            state_dir: var("DOKKU_SIM_STATE_DIR").map(PathBuf::from),
            version: var("DOKKU_SIM_VERSION"),
            inject: var("DOKKU_SIM_INJECT"),
            latency_ms: var("DOKKU_SIM_LATENCY_MS").and_then(|v| v.parse().ok()),
        }
    }
}

fn os_to_string(value: OsString) -> String {
    value.to_string_lossy().into_owned()
}

/// One `dokku-sim <args...>` invocation without touching the process: `read_stdin` is called
/// only when the command consumes stdin.
pub fn cli_invoke(
    env: &CliEnv,
    args: &[String],
    read_stdin: impl FnOnce() -> Option<Vec<u8>>,
) -> SimOutput {
    let fail = |message: String| SimOutput { status: 1, stdout: String::new(), stderr: message };
    let Some(dir) = env.state_dir.as_ref() else {
        return fail(
            "dokku-sim: DOKKU_SIM_STATE_DIR is not set; point it at a writable directory that \
             holds the simulated host's state\n"
                .to_string(),
        );
    };
    let options = match &env.version {
        Some(version) => SimOptions { version: version.clone() },
        None => SimOptions::default(),
    };
    let host = match SimHost::open_mode(dir, options, true, env.inject.clone()) {
        Ok(host) => host,
        Err(e) => return fail(format!("dokku-sim: {e}\n")),
    };
    let stdin = if dispatch::wants_stdin(&dispatch::parse(args)) { read_stdin() } else { None };
    if let Some(ms) = env.latency_ms {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    match host.run(&argv, stdin.as_deref()) {
        SimOutcome::Completed(output) => output,
        SimOutcome::TransportDropped => SimOutput {
            status: 255,
            stdout: String::new(),
            stderr: "ssh: connect to host dokku-sim port 22: Connection refused\n".to_string(),
        },
    }
}

/// The `dokku-sim` command line: runs `std::env::args()` as one invocation and returns the exit
/// status (see the crate docs for the environment variables it reads).
pub fn cli_main() -> i32 {
    let args: Vec<String> = std::env::args_os().skip(1).map(os_to_string).collect();
    let env = CliEnv::from_process_env();
    let output = cli_invoke(&env, &args, || {
        // A terminal is not a pipe: Dokku refuses to read a key from one, and so does the sim.
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            return None;
        }
        let mut bytes = Vec::new();
        stdin.lock().read_to_end(&mut bytes).ok().map(|_| bytes)
    });
    // A closed pipe on either stream must not turn into a panic.
    let _ = std::io::stdout().write_all(output.stdout.as_bytes());
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().write_all(output.stderr.as_bytes());
    output.status
}
