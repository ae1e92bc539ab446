//! `cargo xtask`: the project's developer tasks.
//!
//! * `codegen [--check]`: write the generated contract to `api/generated/dokku_api.rs` (the
//!   reviewable copy of what `build.rs` compiles); `--check` fails when it is stale.
//! * `openapi generate`: write the served document to `spec/generated/dokku-pro.json`.
//! * `openapi check`: fail when that file is stale, or when the served document differs from the
//!   seed in a way `spec/contract-diff.txt` does not list (or the list names a difference that is
//!   gone).
//! * `bench`: load-test the release server on the simulated host (see `bench.rs`).
//! * `deb [--lint]`: build the Debian package (see `deb.rs`).
//! * `test`: the test command: installs what the tests need (or says what to install), runs
//!   every Rust test and Schemathesis (see `test.rs`).

mod bench;
mod deb;
mod test;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "dokku-pro-api developer tasks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate api/generated/dokku_api.rs from spec/ (what build.rs compiles).
    Codegen {
        /// Fail instead of writing when the checked-in copy is stale.
        #[arg(long)]
        check: bool,
    },
    /// Load-test the release server on the simulated host and print the table.
    Bench {
        /// Keep-alive connections of the load generator (closed loop, no pipelining).
        #[arg(long, default_value_t = 16)]
        connections: usize,
        /// Seconds each operation is driven.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Simulated per-command latencies to run at, in milliseconds.
        #[arg(long, value_delimiter = ',', default_values_t = [0u64, 50])]
        latencies_ms: Vec<u64>,
        /// Also measure the reads over SSH against the real Dokku of this `ssh_config` (its
        /// `real-dokku` host; the test environment writes /srv/dokku-build/ssh/ssh_config).
        #[arg(long, value_name = "SSH_CONFIG", num_args = 0..=1,
              default_missing_value = "/srv/dokku-build/ssh/ssh_config")]
        real_dokku: Option<PathBuf>,
        /// Also write the table to this Markdown file (e.g. BENCHMARKS.md).
        #[arg(long)]
        write: Option<PathBuf>,
    },
    /// Install what the tests need (or say what to), then run every Rust test and Schemathesis.
    Test {
        /// Never install anything: report what is missing and stop.
        #[arg(long)]
        no_install: bool,
        /// Only the Rust tests.
        #[arg(long)]
        no_schemathesis: bool,
        /// Arguments for `cargo test`, after `--` (filters, `--nocapture`, ...).
        #[arg(last = true)]
        cargo_args: Vec<String>,
    },
    /// Build the Debian package target/deb/dokku-pro-api_<version>_<arch>.deb.
    Deb {
        /// Also run lintian on it, systemd-analyze verify on its unit and visudo on its sudoers.
        #[arg(long)]
        lint: bool,
    },
    /// The served OpenAPI document.
    Openapi {
        #[command(subcommand)]
        action: OpenapiAction,
    },
}

#[derive(Subcommand)]
enum OpenapiAction {
    /// Write spec/generated/dokku-pro.json.
    Generate,
    /// Check spec/generated/dokku-pro.json is current and the contract against the seed.
    Check,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let root = workspace_root();
    match cli.command {
        Command::Codegen { check } => codegen(&root, check),
        Command::Openapi { action: OpenapiAction::Generate } => {
            let path = root.join(SERVED_DOCUMENT);
            std::fs::create_dir_all(path.parent().expect("has a parent"))?;
            std::fs::write(&path, served_document_text()?)?;
            println!("wrote {}", path.display());
            Ok(())
        }
        Command::Openapi { action: OpenapiAction::Check } => openapi_check(&root),
        Command::Test { no_install, no_schemathesis, cargo_args } => test::run(
            &root,
            &test::TestOptions { no_install, schemathesis: !no_schemathesis, cargo_args },
        ),
        Command::Deb { lint } => deb::run(&root, lint).map(|_| ()),
        Command::Bench { connections, seconds, latencies_ms, real_dokku, write } => bench::run(
            &root,
            &bench::BenchOptions {
                connections,
                seconds_per_operation: seconds,
                latencies_ms,
                real_dokku,
                write_markdown: write,
            },
        ),
    }
}

const GENERATED_CODE: &str = "api/generated/dokku_api.rs";
const SERVED_DOCUMENT: &str = "spec/generated/dokku-pro.json";

fn codegen(root: &Path, check: bool) -> Result<()> {
    let sources = dokku_codegen::Sources::load(&root.join("spec"))?;
    let code = dokku_codegen::generate(&sources, &dokku_codegen::Options::default())?;
    let path = root.join(GENERATED_CODE);
    if check {
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != code {
            bail!("{GENERATED_CODE} is stale: run `cargo xtask codegen` and commit the result");
        }
        println!("{GENERATED_CODE} is current");
    } else {
        std::fs::create_dir_all(path.parent().expect("has a parent"))?;
        std::fs::write(&path, code)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn served_document_text() -> Result<String> {
    let mut text = serde_json::to_string_pretty(&dokku_pro_api::openapi::document())?;
    text.push('\n');
    Ok(text)
}

fn openapi_check(root: &Path) -> Result<()> {
    let path = root.join(SERVED_DOCUMENT);
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current != served_document_text()? {
        bail!(
            "{SERVED_DOCUMENT} is stale: run `cargo xtask openapi generate` and commit the result"
        );
    }
    let seed_path = root.join("spec/dokku-pro.openapi.yaml");
    let seed: serde_json::Value = serde_yaml::from_str(&std::fs::read_to_string(&seed_path)?)
        .with_context(|| format!("parsing {}", seed_path.display()))?;
    let served = dokku_pro_api::openapi::document();
    let differences = dokku_codegen::contract::compare(&seed, &served);
    let allow_path = root.join("spec/contract-diff.txt");
    let allowlist =
        dokku_codegen::contract::Allowlist::parse(&std::fs::read_to_string(&allow_path)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", allow_path.display()))?;
    let report = allowlist.check(&differences);
    for d in &report.unlisted {
        eprintln!("unlisted difference: {d}");
    }
    for e in &report.stale {
        eprintln!("stale entry (line {}): {}", e.line, e.pattern);
    }
    if !report.is_clean() {
        bail!(
            "the served document and the seed differ in ways spec/contract-diff.txt does not explain \
             ({} unlisted, {} stale)",
            report.unlisted.len(),
            report.stale.len()
        );
    }
    println!(
        "contract: {} differences from the seed, all listed in spec/contract-diff.txt ({} entries)",
        report.covered,
        allowlist.entries.len()
    );
    Ok(())
}
