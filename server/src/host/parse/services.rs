//! Datastore plugin outputs (`<p>:list`, `<p>:info`, `<p>:app-links`, `<p>:links`), shared by
//! every official plugin because they come from one bash template.

use std::fmt;

use super::parse_error::{ParseError, ParseErrorKind};
use super::report::parse_report_rows;
use super::text::{content_lines, is_header, is_warning, parse_dash_list, parse_name_lines};

/// The column header of `<p>:list` up to postgres 1.9.x (a `column -t` table).
const OLD_TABLE_HEADER: [&str; 6] = ["NAME", "VERSION", "STATUS", "EXPOSED", "PORTS", "LINKS"];

/// Parses `--quiet <p>:list`: one service name per line (`echo`, so not indented). With no
/// services stdout is empty (` !     There are no Postgres services` goes to stderr, exit 0).
/// The `=====> Postgres services` header of the non-quiet form is skipped.
///
/// Very old plugins (postgres ≤ 1.9.x) print a table headed `NAME VERSION STATUS EXPOSED PORTS
/// LINKS`; when that header is the first line, the first column of each row is the name.
pub fn parse_service_list(stdout: &str) -> Result<Vec<String>, ParseError> {
    let what = "<datastore>:list";
    let mut lines =
        content_lines(stdout).filter(|(_, line)| !is_header(line) && !is_warning(line)).peekable();
    let is_old_table = lines
        .peek()
        .is_some_and(|(_, line)| line.split_whitespace().eq(OLD_TABLE_HEADER.iter().copied()));
    if !is_old_table {
        return parse_name_lines(what, stdout);
    }
    lines.next();
    let mut names = Vec::new();
    for (line_no, line) in lines {
        let Some(name) = line.split_whitespace().next() else {
            return Err(ParseError::invalid_line(what, line_no, "a table row"));
        };
        names.push(name.to_string());
    }
    Ok(names)
}

/// Parses `<p>:app-links <app>` (services linked to an app) or `<p>:links <svc>` (apps linked
/// to a service): one name per line, `[]` when empty.
pub fn parse_service_links(stdout: &str) -> Result<Vec<String>, ParseError> {
    parse_name_lines("<datastore>:app-links", stdout)
}

/// One datastore service, from the rows of `<p>:info <svc>`. Empty values are `None`, and the
/// `-` sentinel of the list rows is `[]`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ServiceInfo {
    /// `<root>/<svc>/<PLUGIN_CONFIG_SUFFIX>`: `…/data` for postgres, `…/config` for others.
    pub config_dir: Option<String>,
    pub config_options: Option<String>,
    pub data_dir: Option<String>,
    /// What linked apps receive. **Contains the password**, so `Debug` masks it.
    pub dsn: Option<String>,
    /// `container->host` pairs, e.g. `5432->54321`.
    pub exposed_ports: Vec<String>,
    /// The full 64-hex docker container id (the `Id` row).
    pub container_id: Option<String>,
    /// Empty on non-default networks.
    pub internal_ip: Option<String>,
    pub initial_network: Option<String>,
    /// Linked app names.
    pub links: Vec<String>,
    pub post_create_network: Option<String>,
    pub post_start_network: Option<String>,
    pub service_root: Option<String>,
    /// docker `.State.Status` (`running`, `exited`, `paused`, `restarting`, `created`, ...) or
    /// `missing` when the container is gone.
    pub status: Option<String>,
    /// The container image (the `Version` row), e.g. `postgres:18.4`; empty when the container
    /// is missing.
    pub image: Option<String>,
}

impl fmt::Debug for ServiceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceInfo")
            .field("config_dir", &self.config_dir)
            .field("config_options", &self.config_options)
            .field("data_dir", &self.data_dir)
            .field("dsn", &self.dsn.as_ref().map(|_| "<secret>"))
            .field("exposed_ports", &self.exposed_ports)
            .field("container_id", &self.container_id)
            .field("internal_ip", &self.internal_ip)
            .field("initial_network", &self.initial_network)
            .field("links", &self.links)
            .field("post_create_network", &self.post_create_network)
            .field("post_start_network", &self.post_start_network)
            .field("service_root", &self.service_root)
            .field("status", &self.status)
            .field("image", &self.image)
            .finish()
    }
}

/// Parses the full `<p>:info <svc>` stdout:
///
/// ```text
/// =====> lollipop postgres service information
///        Config dir:          /var/lib/dokku/services/postgres/lollipop/data
///        Dsn:                 postgres://postgres:<pw>@dokku-postgres-lollipop:5432/lollipop
///        Exposed ports:       -
///        …
/// ```
///
/// Rows are `printf "%-20s %-25s"` (trailing spaces) and split at the first `:` (DSNs and
/// images contain more). Rows a plugin version does not print are `None`/`[]`; unknown rows are
/// ignored; output with no rows at all is an error.
pub fn parse_service_info(stdout: &str) -> Result<ServiceInfo, ParseError> {
    let what = "<datastore>:info";
    let rows = parse_report_rows(what, stdout)?;
    if rows.is_empty() {
        return Err(ParseError::new(what, ParseErrorKind::Empty));
    }
    let list = |key: &str| rows.get(key).map(parse_dash_list).unwrap_or_default();
    Ok(ServiceInfo {
        config_dir: rows.get_non_empty("Config dir"),
        config_options: rows.get_non_empty("Config options"),
        data_dir: rows.get_non_empty("Data dir"),
        dsn: rows.get_non_empty("Dsn"),
        exposed_ports: list("Exposed ports"),
        container_id: rows.get_non_empty("Id"),
        internal_ip: rows.get_non_empty("Internal ip"),
        initial_network: rows.get_non_empty("Initial network"),
        links: list("Links"),
        post_create_network: rows.get_non_empty("Post create network"),
        post_start_network: rows.get_non_empty("Post start network"),
        service_root: rows.get_non_empty("Service root"),
        status: rows.get_non_empty("Status"),
        image: rows.get_non_empty("Version"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "ffd194a4a2427cb07731ad24888966ec2cf9130d44e60104a6d5481ce649dde3";

    /// The plugin's `service_info` rows, rendered through its
    /// `printf "%-20s %-25s"` so values carry their trailing padding.
    fn info_output(rows: &[(&str, &str)]) -> String {
        let mut out = String::from("=====> lollipop postgres service information\n");
        for (key, value) in rows {
            out.push_str(&format!("       {:<20} {:<25}\n", format!("{key}:"), value));
        }
        out
    }

    fn full_rows() -> Vec<(&'static str, &'static str)> {
        vec![
            ("Config dir", "/var/lib/dokku/services/postgres/lollipop/data"),
            ("Config options", ""),
            ("Data dir", "/var/lib/dokku/services/postgres/lollipop/data"),
            ("Dsn", "postgres://postgres:s3cret@dokku-postgres-lollipop:5432/lollipop"),
            ("Exposed ports", "-"),
            ("Id", ID),
            ("Internal ip", "172.17.0.5"),
            ("Initial network", ""),
            ("Links", "-"),
            ("Post create network", ""),
            ("Post start network", ""),
            ("Service root", "/var/lib/dokku/services/postgres/lollipop"),
            ("Status", "running"),
            ("Version", "postgres:18.4"),
        ]
    }

    #[test]
    fn info_full_rows() {
        let info = parse_service_info(&info_output(&full_rows())).unwrap();
        assert_eq!(
            info,
            ServiceInfo {
                config_dir: Some("/var/lib/dokku/services/postgres/lollipop/data".into()),
                config_options: None,
                data_dir: Some("/var/lib/dokku/services/postgres/lollipop/data".into()),
                dsn: Some(
                    "postgres://postgres:s3cret@dokku-postgres-lollipop:5432/lollipop".into()
                ),
                exposed_ports: vec![],
                container_id: Some(ID.into()),
                internal_ip: Some("172.17.0.5".into()),
                initial_network: None,
                links: vec![],
                post_create_network: None,
                post_start_network: None,
                service_root: Some("/var/lib/dokku/services/postgres/lollipop".into()),
                status: Some("running".into()),
                image: Some("postgres:18.4".into()),
            }
        );
    }

    #[test]
    fn info_lists_with_trailing_spaces() {
        let mut rows = full_rows();
        rows[4] = ("Exposed ports", "5432->54321 ");
        rows[8] = ("Links", "app-a app-b ");
        let info = parse_service_info(&info_output(&rows)).unwrap();
        assert_eq!(info.exposed_ports, ["5432->54321"]);
        assert_eq!(info.links, ["app-a", "app-b"]);
    }

    #[test]
    fn info_missing_container_and_old_plugin_rows() {
        let rows = [
            ("Config dir", "/var/lib/dokku/services/memcached/m/config"),
            ("Data dir", "/var/lib/dokku/services/memcached/m/data"),
            ("Dsn", "memcached://dokku-memcached-m:11211"),
            ("Exposed ports", "-"),
            ("Id", ""),
            ("Internal ip", ""),
            ("Links", "-"),
            ("Service root", "/var/lib/dokku/services/memcached/m"),
            ("Status", "missing"),
            ("Version", ""),
        ];
        let info = parse_service_info(&info_output(&rows)).unwrap();
        assert_eq!(info.container_id, None);
        assert_eq!(info.internal_ip, None);
        assert_eq!(info.image, None);
        assert_eq!(info.status.as_deref(), Some("missing"));
        assert_eq!(info.config_options, None);
        assert_eq!(info.post_start_network, None);
    }

    #[test]
    fn info_debug_masks_the_dsn() {
        let info = parse_service_info(&info_output(&full_rows())).unwrap();
        let debug = format!("{info:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("<secret>"));
    }

    #[test]
    fn info_malformed() {
        assert!(parse_service_info("").is_err());
        assert!(parse_service_info("=====> lollipop postgres service information\n").is_err());
        assert!(parse_service_info("=====> x\n       garbage\n").is_err());
        let twice = format!("{0}{0}", info_output(&full_rows()));
        assert!(parse_service_info(&twice).is_err());
    }

    #[test]
    fn list_quiet_and_plain() {
        assert_eq!(parse_service_list("l\n").unwrap(), ["l"]);
        assert_eq!(
            parse_service_list("=====> Postgres services\nlollipop\nmy_db\n").unwrap(),
            ["lollipop", "my_db"]
        );
        assert!(parse_service_list("").unwrap().is_empty());
        assert!(parse_service_list(" !     There are no Postgres services\n").unwrap().is_empty());
        assert!(parse_service_list("a b\n").is_err());
    }

    #[test]
    fn list_old_table() {
        let out = "=====> Postgres services
NAME      VERSION          STATUS   EXPOSED PORTS  LINKS
lollipop  postgres:9.6.1   running  -              -
other     postgres:9.6.1   stopped  5432->32768    app-a
";
        assert_eq!(parse_service_list(out).unwrap(), ["lollipop", "other"]);
        let header_only = "NAME VERSION STATUS EXPOSED PORTS LINKS\n";
        assert!(parse_service_list(header_only).unwrap().is_empty());
    }

    #[test]
    fn links() {
        assert_eq!(parse_service_links("lollipop\nother\n").unwrap(), ["lollipop", "other"]);
        assert!(parse_service_links("").unwrap().is_empty());
        assert!(parse_service_links("two words\n").is_err());
    }
}
