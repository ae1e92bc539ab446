//! The plugins installed on the host: one `plugin:list` call, read by the builder and scheduler
//! families ([`super::selectable`]) and the datastores ([`super::datastores`]).

use crate::app::{AppError, OpContext};
use crate::host::DokkuCommand;
use crate::host::parse::{Plugin, parse_plugin_list_json, parse_plugin_list_text};

/// The installed and enabled plugins: `plugin:list --format json` (Dokku 0.38.22+), or the text
/// listing on older hosts.
pub async fn enabled(opctx: &OpContext) -> Result<Vec<Plugin>, AppError> {
    let json = opctx.host.version().has_plugin_list_json();
    let cmd = if json {
        DokkuCommand::new("plugin:list").arg("--format").arg("json")
    } else {
        DokkuCommand::new("plugin:list")
    };
    let parse = if json { parse_plugin_list_json } else { parse_plugin_list_text };
    let plugins = opctx.host.query(&cmd, parse).await?;
    Ok(plugins.into_iter().filter(|p| p.enabled).collect())
}
