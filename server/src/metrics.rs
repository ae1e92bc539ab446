//! `GET /@api/metrics`: counters in the Prometheus text format. Nothing here is secret: counts,
//! versions, whether the Dokku host answers and whether the database took the last health write.

use crate::health::Monitor;
use crate::host::Host;

/// The exposition text.
pub async fn render(host: &Host, health: &Monitor) -> String {
    let reachable = u8::from(host.reachable().await);
    let storage = u8::from(health.storage_check().await.is_ok());
    format!(
        "# HELP dokku_commands_total Dokku commands the server ran for API operations and jobs.\n\
         # TYPE dokku_commands_total counter\n\
         dokku_commands_total {commands}\n\
         # HELP dokku_host_up Whether the Dokku host answered its last check (at most 10 s old).\n\
         # TYPE dokku_host_up gauge\n\
         dokku_host_up {reachable}\n\
         # HELP dokku_pro_api_storage_up Whether the database takes a write (the health check's, at most 1 s old).\n\
         # TYPE dokku_pro_api_storage_up gauge\n\
         dokku_pro_api_storage_up {storage}\n\
         # HELP dokku_pro_api_info The server's and the Dokku host's versions.\n\
         # TYPE dokku_pro_api_info gauge\n\
         dokku_pro_api_info{{version=\"{version}\",dokku_version=\"{dokku}\",dokku_host=\"{kind}\"}} 1\n",
        commands = host.commands_run(),
        version = env!("CARGO_PKG_VERSION"),
        dokku = host.version(),
        kind = host.kind(),
    )
}
