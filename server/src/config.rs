//! Configuration: a TOML file (`--config`), every option overridable by a command-line flag.
//!
//! Precedence: flag > file > default. Unknown keys in the file are an error (a typo must not
//! silently fall back to a default on a production host).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole configuration of `serve`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where clients connect.
    pub bind: SocketAddr,
    /// Where the server keeps its state (database, signing key, simulated host).
    pub data_dir: PathBuf,
    pub log_level: LogLevel,
    /// The largest request body accepted; larger ones get 413.
    pub request_body_max_bytes: usize,
    /// How long a graceful shutdown waits for requests in flight.
    pub shutdown_grace_seconds: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:5000".parse().expect("a valid default address"),
            data_dir: PathBuf::from("dokku-pro-data"),
            log_level: LogLevel::Info,
            request_body_max_bytes: 256 * 1024,
            shutdown_grace_seconds: 10,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// Why a configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config file {path}")]
    Parse {
        path: PathBuf,
        #[source]
        source: Box<toml::de::Error>,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Overrides from the command line (`None` = not given).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub bind: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub log_level: Option<LogLevel>,
    pub request_body_max_bytes: Option<usize>,
    pub shutdown_grace_seconds: Option<u64>,
}

impl Config {
    /// Parses a configuration file's text.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        toml::from_str(text)
            .map_err(|e| ConfigError::Parse { path: path.to_path_buf(), source: Box::new(e) })
    }

    /// Loads the file (if any), applies the overrides and validates the result.
    pub fn load(file: Option<&Path>, overrides: Overrides) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::Read { path: path.to_path_buf(), source: e })?;
                Config::from_toml(&text, path)?
            }
            None => Config::default(),
        };
        let Overrides { bind, data_dir, log_level, request_body_max_bytes, shutdown_grace_seconds } =
            overrides;
        if let Some(v) = bind {
            config.bind = v;
        }
        if let Some(v) = data_dir {
            config.data_dir = v;
        }
        if let Some(v) = log_level {
            config.log_level = v;
        }
        if let Some(v) = request_body_max_bytes {
            config.request_body_max_bytes = v;
        }
        if let Some(v) = shutdown_grace_seconds {
            config.shutdown_grace_seconds = v;
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.request_body_max_bytes < 1024 {
            return Err(ConfigError::Invalid(format!(
                "request_body_max_bytes is {}; it must be at least 1024",
                self.request_body_max_bytes
            )));
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(ConfigError::Invalid("data_dir must not be empty".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_parses_to_the_defaults_it_documents() {
        let text = include_str!("../examples/config.toml");
        let config = Config::from_toml(text, Path::new("examples/config.toml")).unwrap();
        assert_eq!(
            config,
            Config { data_dir: "/var/lib/dokku-pro-api".into(), ..Config::default() }
        );
    }

    #[test]
    fn flags_override_the_file() {
        let dir = std::env::temp_dir().join(format!("dpa-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.toml");
        std::fs::write(&path, "bind = \"0.0.0.0:8000\"\nlog_level = \"debug\"\n").unwrap();
        let config = Config::load(
            Some(&path),
            Overrides { bind: Some("127.0.0.1:9".parse().unwrap()), ..Overrides::default() },
        )
        .unwrap();
        assert_eq!(config.bind, "127.0.0.1:9".parse().unwrap());
        assert_eq!(config.log_level, LogLevel::Debug);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn typos_and_bad_values_are_errors() {
        let p = Path::new("x.toml");
        let err = Config::from_toml("bnd = \"127.0.0.1:1\"", p).unwrap_err();
        assert!(format!("{:?}", err).contains("bnd"), "{err:?}");
        assert!(Config::from_toml("bind = \"nowhere\"", p).is_err());
        let err = Config::load(
            None,
            Overrides { request_body_max_bytes: Some(10), ..Overrides::default() },
        )
        .unwrap_err();
        assert!(err.to_string().contains("request_body_max_bytes"));
    }
}
