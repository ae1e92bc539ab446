//! Shared helpers: a host over a temporary state directory, and output assertions.

use dokku_sim::{SimHost, SimOptions, SimOutcome, SimOutput};
use tempfile::TempDir;

pub struct Sim {
    pub dir: TempDir,
    pub host: SimHost,
}

pub fn sim() -> Sim {
    sim_at("0.38.27")
}

pub fn sim_at(version: &str) -> Sim {
    let dir = tempfile::tempdir().expect("temp dir");
    let host =
        SimHost::open(dir.path(), SimOptions { version: version.to_string() }).expect("open sim");
    Sim { dir, host }
}

impl Sim {
    pub fn run(&self, argv: &[&str]) -> SimOutput {
        self.run_stdin(argv, None)
    }

    pub fn run_stdin(&self, argv: &[&str], stdin: Option<&[u8]>) -> SimOutput {
        match self.host.run(argv, stdin) {
            SimOutcome::Completed(output) => output,
            SimOutcome::TransportDropped => panic!("unexpected transport drop for {argv:?}"),
        }
    }

    /// Runs and asserts exit 0.
    pub fn ok(&self, argv: &[&str]) -> SimOutput {
        let output = self.run(argv);
        assert_eq!(output.status, 0, "{argv:?} failed: {output:?}");
        output
    }

    pub fn stdout(&self, argv: &[&str]) -> String {
        self.ok(argv).stdout
    }

    pub fn app(&self, name: &str) {
        self.ok(&["apps:create", name]);
    }
}

/// Asserts a failure: this status, nothing on stdout, exactly this stderr.
#[track_caller]
pub fn assert_fails(output: &SimOutput, status: i32, stderr: &str) {
    assert_eq!(output.status, status, "status of {output:?}");
    assert_eq!(output.stderr, stderr, "stderr of {output:?}");
}

/// Docs samples are trimmed by hand; compare line by line without trailing whitespace.
#[track_caller]
pub fn assert_same_rows(actual: &str, sample: &str) {
    let trim = |text: &str| text.lines().map(|l| l.trim_end().to_string()).collect::<Vec<_>>();
    assert_eq!(trim(actual), trim(sample));
}

/// A Go report row: 7 spaces, `Key:` right-padded to `width`, the value.
pub fn go_row(key: &str, value: &str, width: usize) -> String {
    format!("       {:<width$}{value}\n", format!("{key}:"))
}

/// A bash report row: `printf "%-<width>s %-25s"` behind 7 spaces.
pub fn bash_row(key: &str, value: &str, width: usize) -> String {
    format!("       {key:<width$} {value:<25}\n")
}

pub const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIERYuvLE9DLBGc1ucsmRVNQy+49e4pzEhlFYJDjBM5XS alice@example";
pub const ED25519_FP: &str = "SHA256:O5K6KJb19UkMocyY75sLQYCPT4s7FQavTOW0aPox6+8";
pub const RSA: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDqoJvV7S4zOMeGFjljjM53wsR4o9EqgYR0x0Ef1fOgONlxMMssmBJytXwZXAZuSRALyTuR1kdDhvZt1VxCNH3jQXHuuCHWhlxCOQ65YAy9PHLxvG5RHegN2P3wPkuVZj8x3KD1bJSY7lE6c43E3HXGwlABaIaBjGnCcMFg69LdFzxxr8ipeep6hlZOKOy8u/RL91H0mE7nbpsAa61LPFwZinIdRZdeEgoFTrj1U4NNvso3v76I7sINP2hkXdsgbTdiLrn/AAAkKioBfkZ72Fn8/wd+Kesn5IabKwCd+vYLP/koRrHhMlFXsslRd2eWwYHBgygWwRiHimAThEo2c0W5 bob";
pub const RSA_FP: &str = "SHA256:eCfbgqyaaFaW9NIucoy+xNO2jN192F3viwgfGmIVWvo";
