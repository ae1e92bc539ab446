//! Parsers for every Dokku output the server reads, from text into typed results.
//!
//! # Rules every parser follows
//!
//! - **Input is what the command printed**, stdout or stderr as captured, never pre-trimmed.
//!   Parsers remove ANSI escapes and `\r` themselves ([`strip_ansi`]), tolerate trailing
//!   spaces (bash `printf` padding) and blank lines, and never cut at column offsets:
//!   `Key: value` rows split at the first `:`, tables split on whitespace.
//! - **Prefer the machine form.** Each area offers the `--format json` reader first and the
//!   text fallback for older hosts; the caller picks by
//!   [`DokkuVersion`].
//! - **JSON reports read the unprefixed key, then the legacy `<plugin>-` one**
//!   ([`ReportJson::get`]), so the same parser serves 0.23.1 to 0.38.x.
//! - **Empty means "not set".** Dokku prints an empty value for unset properties; those become
//!   `None` (or `[]` for lists, including the datastores' `-` sentinel).
//! - **Empty-state forms are not errors** where Dokku has them (`[]`, `null`, no lines, `{}` for
//!   a sparse report). Empty output where a JSON document is always printed is
//!   [`ParseErrorKind::Empty`], so a broken command is not mistaken for "nothing there".
//! - **Never panic, never leak.** Any input gives a value or a [`ParseError`] naming the
//!   command and the reason; error texts never quote the output, which carries env values and
//!   DSN passwords ([`ServiceInfo`]'s `Debug` masks its DSN for the same reason).
//! - **Success is the exit code's business.** These functions read output only; deciding
//!   whether a command failed belongs to the executor. [`parse_stderr`] and [`KnownFailure`]
//!   cover the few cases where only the message text tells failures apart.
//!
//! Each command gets its own model and its own parse function, even where two read alike line
//! for line (a struct of optional strings filled from a `parse_report_json` key list, a `const`
//! naming the command): `builder:report` and `scheduler:report` share `selected`,
//! `global-selected` and `computed-selected`, but the keys of each come and go with its own
//! plugin's releases, and each model mirrors exactly one command's output.
//!
//! Each area lives in its own file and is tested there on literal outputs and malformed input;
//! `recorded` runs every parser on what a real Dokku printed (the recordings under
//! `server/sim/tests/recordings/`).

mod apps;
mod builder;
mod buildpacks;
mod config;
mod domains;
mod errors;
mod http_auth;
mod maintenance;
mod parse_error;
mod plugins;
mod ps;
#[cfg(test)]
mod recorded;
mod report;
mod resource;
mod scheduler;
mod services;
mod ssh_keys;
mod text;
mod version;

pub use apps::{AppReport, parse_app_report_json, parse_apps_list_json, parse_apps_list_quiet};
pub use builder::{BuilderReport, parse_builder_report_json};
pub use buildpacks::{
    parse_buildpacks_list_flag, parse_buildpacks_list_quiet, parse_buildpacks_report_json,
};
pub use config::{
    parse_config_export_json, parse_config_export_json_list, parse_config_get, parse_config_keys,
};
pub use domains::{DomainsReport, parse_domains_app_vhosts, parse_domains_report_json};
pub use errors::{DokkuMessages, KnownFailure, parse_stderr};
pub use http_auth::{HttpAuthReport, parse_http_auth_enabled, parse_http_auth_report};
pub use maintenance::{
    MaintenanceReport, parse_maintenance_enabled, parse_maintenance_report_json,
};
pub use parse_error::{ParseError, ParseErrorKind};
pub use plugins::{Plugin, parse_plugin_list_json, parse_plugin_list_text};
pub use ps::{ProcessScale, parse_ps_deployed, parse_ps_scale_json, parse_ps_scale_quiet};
pub use report::{ReportJson, ReportRows, parse_report_json, parse_report_rows};
pub use resource::{
    DEFAULT_PROCESS_TYPE, ResourceKind, ResourceName, ResourceSetting, parse_resource_listing,
    parse_resource_report_json,
};
pub use scheduler::{SchedulerReport, parse_scheduler_report_json};
pub use services::{ServiceInfo, parse_service_info, parse_service_links, parse_service_list};
pub use ssh_keys::{SshKeyEntry, parse_ssh_key_add, parse_ssh_keys_json, parse_ssh_keys_text};
pub use text::{parse_bool_output, parse_comma_list, parse_dash_list, parse_word_list, strip_ansi};
pub use version::{DokkuVersion, parse_version};

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs every parser on one input; only panics matter here, results are discarded.
    fn run_all(input: &str) {
        let _ = strip_ansi(input);
        let _ = parse_bool_output("x", input);
        let _ = parse_word_list(input);
        let _ = parse_comma_list(input);
        let _ = parse_dash_list(input);
        let _ = parse_report_rows("x", input);
        let _ = parse_report_json("x", "app", input);
        let _ = parse_version(input);
        let _ = input.parse::<DokkuVersion>();
        let _ = parse_apps_list_json(input);
        let _ = parse_apps_list_quiet(input);
        let _ = parse_app_report_json(input);
        let _ = parse_builder_report_json(input);
        let _ = parse_scheduler_report_json(input);
        let _ = parse_buildpacks_report_json(input);
        let _ = parse_buildpacks_list_flag(input);
        let _ = parse_buildpacks_list_quiet(input);
        let _ = parse_domains_app_vhosts(input);
        let _ = parse_domains_report_json(input);
        let _ = parse_config_export_json(input);
        let _ = parse_config_export_json_list(input);
        let _ = parse_config_get(input);
        let _ = parse_config_keys(input);
        let _ = parse_ps_scale_json(input);
        let _ = parse_ps_scale_quiet(input);
        let _ = parse_ps_deployed(input);
        let _ = parse_resource_report_json(input);
        let _ = parse_resource_listing(input);
        let _ = parse_http_auth_report(input);
        let _ = parse_http_auth_enabled(input);
        let _ = parse_maintenance_report_json(input);
        let _ = parse_maintenance_enabled(input);
        let _ = parse_plugin_list_json(input);
        let _ = parse_plugin_list_text(input);
        let _ = parse_service_list(input);
        let _ = parse_service_links(input);
        let _ = parse_service_info(input);
        let _ = parse_ssh_keys_json(input);
        let _ = parse_ssh_keys_text(input);
        let _ = parse_ssh_key_add(input);
        let parsed = parse_stderr(input);
        let _ = parsed.summary();
        let _ = parsed.known_failure();
    }

    #[test]
    fn no_parser_panics_on_hostile_input() {
        let fixed = [
            "",
            "\n",
            "\u{1b}",
            "\u{1b}[",
            "\u{9b}",
            "é:ü\n",
            ":\n",
            " !     \n",
            "=====>\n=====>\n",
            "NAME VERSION STATUS EXPOSED PORTS LINKS\n",
            "SHA256:é NAME=\"é\" SSHCOMMAND_ALLOWED_KEYS=\"é",
            "x NAME=\"\" SSHCOMMAND_ALLOWED_KEYS=\"",
            "dokku version 0.38.é",
            "{\"é.limit.é\":\"é\"}",
            "[{\"name\":\"é\",\"enabled\":\"é\"}]",
            "plugn: é\n é é é\n",
        ];
        for input in fixed {
            run_all(input);
        }

        // A deterministic pseudo-random walk over the characters the formats care about.
        let alphabet: Vec<char> =
            "{}[]\":,\\\n\r\t !=-._/aZ09é✓\u{1b}\u{9b}\u{7}NAMEtruefalsenull>".chars().collect();
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..3000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 40) as usize;
            let input: String = (0..len)
                .map(|i| {
                    let mixed = state.rotate_left((i % 64) as u32).wrapping_mul(i as u64 + 1);
                    alphabet[(mixed % alphabet.len() as u64) as usize]
                })
                .collect();
            run_all(&input);
        }
    }
}
