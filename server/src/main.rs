//! The `dokku-pro-api` command: `serve` runs the API server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use dokku_pro_server::config::{Config, LogLevel, Overrides};

#[derive(Parser)]
#[command(name = "dokku-pro-api", version, about = "A server for the Dokku Pro REST API")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API server.
    Serve(ServeArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// TOML configuration file (flags override it).
    #[arg(long, env = "DOKKU_PRO_API_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:5000].
    #[arg(long)]
    bind: Option<SocketAddr>,
    /// Directory for the server's state [default: ./dokku-pro-data].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Log level [default: info].
    #[arg(long, value_enum)]
    log_level: Option<LogLevel>,
    /// Largest accepted request body in bytes [default: 262144].
    #[arg(long)]
    request_body_max_bytes: Option<usize>,
    /// Seconds a graceful shutdown waits for requests in flight [default: 10].
    #[arg(long)]
    shutdown_grace_seconds: Option<u64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    let result = match cli.command {
        Command::Serve(args) => runtime.block_on(serve(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dokku-pro-api: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let overrides = Overrides {
        bind: args.bind,
        data_dir: args.data_dir,
        log_level: args.log_level,
        request_body_max_bytes: args.request_body_max_bytes,
        shutdown_grace_seconds: args.shutdown_grace_seconds,
    };
    let config = Config::load(args.config.as_deref(), overrides)?;
    let log = dokku_pro_server::logging::logger(config.log_level);
    let server = dokku_pro_server::start(&config, log).await?;
    eprintln!(
        "dokku-pro-api listening on http://{}{}  (OpenAPI document: /@api/openapi.json)",
        server.local_addr(),
        dokku_pro_api::BASE_PATH
    );
    wait_for_signal().await?;
    server.shutdown().await
}

async fn wait_for_signal() -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = terminate.recv() => {}
        result = tokio::signal::ctrl_c() => result?,
    }
    Ok(())
}
