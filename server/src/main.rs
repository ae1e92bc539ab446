//! The `dokku-pro-api` command: `serve` runs the API server, `doctor` checks its setup, `user`
//! manages who may log in.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use dokku_pro_server::config::Config;

#[derive(Parser)]
#[command(name = "dokku-pro-api", version, about = "A server for the Dokku Pro REST API")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API server.
    Serve(Box<ServeArgs>),
    /// Check the configured setup, read-only, and say how to fix each problem.
    ///
    /// The data directory, the database, the connection to Dokku, its version, plugins, root
    /// login, proxy and the clocks, with the configuration `serve` would use. Exits 1 when a
    /// check fails (a blocker).
    Doctor(Box<DoctorArgs>),
    /// Manage the users who may log in.
    User(UserArgs),
    /// Show the audit log: every request that asked to change something, newest first.
    Audit(AuditArgs),
}

#[derive(Args)]
struct AuditArgs {
    /// TOML configuration file (for its data_dir).
    #[arg(long, env = "DOKKU_PRO_API_CONFIG")]
    config: Option<PathBuf>,
    /// Directory of the server's state [default: ./dokku-pro-data].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Only the events that concern this app.
    #[arg(long)]
    app: Option<String>,
    /// Only the events of this user (for a failed login, the user name it tried).
    #[arg(long)]
    user: Option<String>,
    /// Only events at or after this time (RFC 3339, e.g. 2025-01-31T12:00:00Z, or Unix seconds).
    #[arg(long)]
    since: Option<String>,
    /// Only events before this time (RFC 3339 or Unix seconds).
    #[arg(long)]
    until: Option<String>,
    /// The most events to show (the newest).
    #[arg(long, default_value_t = 100)]
    limit: u32,
    /// One JSON object per line (the attributes of `GET /@api/audit`, and `id`), instead of a
    /// table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct UserArgs {
    /// TOML configuration file (for its data_dir).
    #[arg(long, env = "DOKKU_PRO_API_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Directory of the server's state [default: ./dokku-pro-data].
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    action: UserAction,
}

#[derive(Subcommand)]
enum UserAction {
    /// Add a user. The password is read from stdin when it is not a terminal, else prompted.
    Add { name: String },
    /// Set a user's password (and revoke the user's tokens).
    Passwd { name: String },
    /// Remove a user (and revoke the user's tokens).
    Remove { name: String },
    /// List the users.
    List,
}

/// `serve`'s own flag; the settings' flags are added by [`Config::command`].
#[derive(Args)]
struct ServeArgs {
    /// TOML configuration file (flags override it).
    #[arg(long, env = "DOKKU_PRO_API_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Args)]
struct DoctorArgs {
    /// The same configuration as `serve` (file, flags, --sim).
    #[command(flatten)]
    serve: ServeArgs,
    /// Print the checks as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let command = Cli::command()
        .mut_subcommand("serve", Config::command)
        .mut_subcommand("doctor", Config::command);
    let matches = command.get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    let result = match cli.command {
        Command::Serve(args) => {
            let flags = matches.subcommand_matches("serve").expect("the serve command's flags");
            runtime.block_on(serve(*args, flags)).map(|()| ExitCode::SUCCESS)
        }
        Command::Doctor(args) => {
            let flags = matches.subcommand_matches("doctor").expect("the doctor command's flags");
            runtime.block_on(doctor(*args, flags))
        }
        Command::User(args) => user_command(args).map(|()| ExitCode::SUCCESS),
        Command::Audit(args) => audit_command(args).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("dokku-pro-api: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The configuration `serve` (and `doctor`) runs with: the file, then the flags given.
fn load_config(args: &ServeArgs, flags: &clap::ArgMatches) -> anyhow::Result<Config> {
    Ok(Config::load(args.config.as_deref(), Some(flags))?)
}

async fn serve(args: ServeArgs, flags: &clap::ArgMatches) -> anyhow::Result<()> {
    let config = load_config(&args, flags)?;
    dokku_pro_server::fatal_signals::install(&config.data_dir);
    // Listen for signals before anything announces the server: a supervisor may send SIGTERM as
    // soon as it sees the address.
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let log = dokku_pro_server::logging::logger(config.log_level);
    let server = dokku_pro_server::start(&config, log).await?;
    let url = format!("http://{}{}", server.local_addr(), dokku_pro_api::BASE_PATH);
    eprintln!("dokku-pro-api listening on {url}  (OpenAPI document: {url}/openapi.json)");
    // The password itself stays out of stderr, which a service manager keeps in its journal.
    if server.initial_admin_password.is_some() {
        eprintln!(
            "\nFirst start: created the user `admin`; its password is in {} (mode 0600).",
            config.data_dir.join("initial-admin-password").display()
        );
    }
    eprintln!(
        "\nLog in:   curl -s -u admin:PASSWORD -X POST {url}/tokens\n\
         Then:     curl -s -H \"Authorization: Bearer $TOKEN\" {url}/apps   (TOKEN = the `id` of the answer)\n"
    );
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    server.shutdown().await
}

async fn doctor(args: DoctorArgs, flags: &clap::ArgMatches) -> anyhow::Result<ExitCode> {
    use dokku_pro_server::doctor;
    let source = match &args.serve.config {
        Some(path) => path.display().to_string(),
        None => "no configuration file: the defaults and flags".to_string(),
    };
    let report = match load_config(&args.serve, flags) {
        Ok(config) => {
            dokku_pro_server::fatal_signals::install(&config.data_dir);
            doctor::diagnose(&config, &source).await
        }
        Err(e) => doctor::config_failure(&source, &format!("{e:#}")),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table(doctor::terminal_width()));
    }
    Ok(if report.blockers() > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn user_command(args: UserArgs) -> anyhow::Result<()> {
    use dokku_pro_server::auth::users;
    let mut config = Config::load(args.config.as_deref(), None)?;
    if let Some(data_dir) = args.data_dir {
        config.data_dir = data_dir;
    }
    dokku_pro_server::fatal_signals::install(&config.data_dir);
    dokku_pro_server::create_data_dir(&config.data_dir)?;
    let storage = dokku_pro_server::storage::Storage::open(&config.data_dir)?;
    match args.action {
        UserAction::Add { name } => {
            users::validate_name(&name)?;
            let password = read_password(&format!("Password for {name}: "))?;
            storage.call_blocking(|c| users::add(c, &name, &password))?;
            eprintln!("added user {name}");
        }
        UserAction::Passwd { name } => {
            let password = read_password(&format!("New password for {name}: "))?;
            storage.call_blocking(|c| users::set_password(c, &name, &password))?;
            eprintln!("changed the password of {name}; their tokens are revoked");
        }
        UserAction::Remove { name } => {
            storage.call_blocking(|c| users::remove(c, &name))?;
            eprintln!("removed user {name}; their tokens are revoked");
        }
        UserAction::List => {
            for name in storage.call_blocking(|c| users::list(c))? {
                println!("{name}");
            }
        }
    }
    Ok(())
}

fn audit_command(args: AuditArgs) -> anyhow::Result<()> {
    use dokku_pro_server::audit::{self, Filter};
    let mut config = Config::load(args.config.as_deref(), None)?;
    if let Some(data_dir) = args.data_dir {
        config.data_dir = data_dir;
    }
    let db = config.data_dir.join("dokku-pro-api.db");
    anyhow::ensure!(db.exists(), "no database at {} (is --data-dir right?)", db.display());
    let time = |name: &str, value: Option<&str>| {
        value
            .map(|v| audit::parse_time(v).map_err(|e| anyhow::anyhow!("--{name}: {e}")))
            .transpose()
    };
    anyhow::ensure!(args.limit > 0, "--limit must be at least 1");
    let filter = Filter {
        app: args.app,
        user: args.user,
        since_ms: time("since", args.since.as_deref())?,
        until_ms: time("until", args.until.as_deref())?,
        before_id: None,
        limit: args.limit,
    };
    let storage = dokku_pro_server::storage::Storage::open(&config.data_dir)?;
    let events = storage.call_blocking(|c| audit::store::list(c, &filter))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        audit::cli::write_json_lines(&mut out, &events)?;
    } else {
        audit::cli::write_table(&mut out, &events)?;
    }
    Ok(())
}

/// From stdin when it is not a terminal (scripts: `echo pw | dokku-pro-api user add bob`),
/// else prompted twice without echo.
fn read_password(prompt: &str) -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_string());
    }
    let first = rpassword::prompt_password(prompt)?;
    let second = rpassword::prompt_password("Again: ")?;
    anyhow::ensure!(first == second, "the passwords differ");
    Ok(first)
}
