//! `ssh-keys:list` (JSON and text) and `ssh-keys:add`.

use serde::Deserialize;

use super::parse_error::ParseError;
use super::report::parse_json_list;
use super::text::{content_lines, is_warning, non_empty};
use crate::ids::is_md5_fingerprint;

/// One authorized key of the `dokku` user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshKeyEntry {
    /// `SHA256:…` or MD5 `aa:bb:…`, depending on how the key was added.
    pub fingerprint: String,
    pub name: String,
    /// The ssh options, e.g. `no-agent-forwarding,no-user-rc,no-X11-forwarding,no-port-forwarding`.
    pub allowed_keys: String,
    /// The public key with its comment; only the JSON form carries it.
    pub public_key: Option<String>,
}

#[derive(Deserialize)]
struct SshKeyJson {
    fingerprint: String,
    name: String,
    #[serde(rename = "SSHCOMMAND_ALLOWED_KEYS", default)]
    allowed_keys: String,
    #[serde(rename = "public-key", default)]
    public_key: Option<String>,
}

const LIST_JSON: &str = "ssh-keys:list --format json";
const LIST_TEXT: &str = "ssh-keys:list";

/// Parses `ssh-keys:list --format json [<name>]`.
///
/// The unfiltered form is assembled with `sed` (spaces after `{`), the name-filtered one goes
/// through `jq -c`; serde reads both. **Nothing is escaped**: a `"` or `\` in a key name or
/// comment makes the output invalid JSON, which is a [`ParseError`] for the whole listing (the
/// shapes cannot be told apart safely). `null` reads as `[]`; empty stdout (an empty
/// `authorized_keys`, which also exits 1) is [`ParseErrorKind::Empty`].
pub fn parse_ssh_keys_json(stdout: &str) -> Result<Vec<SshKeyEntry>, ParseError> {
    let entries: Vec<SshKeyJson> = parse_json_list(LIST_JSON, stdout)?;
    entries
        .into_iter()
        .map(|entry| {
            let fingerprint = non_empty(&entry.fingerprint).ok_or_else(|| {
                ParseError::invalid_value(LIST_JSON, "fingerprint", "a fingerprint")
            })?;
            Ok(SshKeyEntry {
                fingerprint,
                name: entry.name,
                allowed_keys: entry.allowed_keys,
                public_key: entry.public_key.as_deref().and_then(non_empty),
            })
        })
        .collect()
}

/// Parses the text `ssh-keys:list [<name>]`, one key per line:
///
/// ```text
/// SHA256:y/lC… NAME="sha256" SSHCOMMAND_ALLOWED_KEYS="no-agent-forwarding,no-user-rc,…"
/// ```
///
/// The name runs from `NAME="` to the last `" SSHCOMMAND_ALLOWED_KEYS="` (or to the closing
/// quote when that part is absent), so spaces and quotes inside names survive.
pub fn parse_ssh_keys_text(stdout: &str) -> Result<Vec<SshKeyEntry>, ParseError> {
    let mut keys = Vec::new();
    for (line_no, line) in content_lines(stdout) {
        let line = line.trim();
        if is_warning(line) {
            continue;
        }
        let entry = parse_text_line(line).ok_or_else(|| {
            ParseError::invalid_line(LIST_TEXT, line_no, "`<fingerprint> NAME=\"…\" …`")
        })?;
        keys.push(entry);
    }
    Ok(keys)
}

fn parse_text_line(line: &str) -> Option<SshKeyEntry> {
    const ALLOWED: &str = "\" SSHCOMMAND_ALLOWED_KEYS=\"";
    let (fingerprint, rest) = line.split_once(' ')?;
    let rest = rest.trim_start().strip_prefix("NAME=\"")?;
    let (name, allowed_keys) = match rest.rfind(ALLOWED) {
        Some(at) => {
            let allowed = rest[at + ALLOWED.len()..].strip_suffix('"')?;
            (&rest[..at], allowed)
        }
        None => (rest.strip_suffix('"')?, ""),
    };
    if fingerprint.is_empty() {
        return None;
    }
    Some(SshKeyEntry {
        fingerprint: fingerprint.to_string(),
        name: name.to_string(),
        allowed_keys: allowed_keys.to_string(),
        public_key: None,
    })
}

/// Parses the stdout of `ssh-keys:add <name>`: the new key's fingerprint, the last non-blank
/// line (sshcommand echoes it after `ssh-keygen -lf`). It must look like a fingerprint
/// (`SHA256:<base64>` or 16 colon-separated hex pairs).
pub fn parse_ssh_key_add(stdout: &str) -> Result<String, ParseError> {
    let what = "ssh-keys:add";
    let Some((line_no, line)) = content_lines(stdout).last() else {
        return Err(ParseError::empty(what));
    };
    let fingerprint = line.trim();
    if is_fingerprint(fingerprint) {
        Ok(fingerprint.to_string())
    } else {
        Err(ParseError::invalid_line(what, line_no, "an ssh key fingerprint"))
    }
}

/// `SHA256:…` / `SHA384:…` / `SHA512:…` (base64 without padding) or MD5 `aa:bb:…:ff`.
fn is_fingerprint(s: &str) -> bool {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    if let Some((algo, hash)) = s.split_once(':')
        && matches!(algo, "SHA256" | "SHA384" | "SHA512" | "MD5")
        && !hash.is_empty()
        && (hash.chars().all(is_b64) || is_md5_fingerprint(hash))
    {
        return true;
    }
    is_md5_fingerprint(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::parse::parse_error::ParseErrorKind;

    const ALLOWED: &str = "no-agent-forwarding,no-user-rc,no-X11-forwarding,no-port-forwarding";
    const MD5: &str = "2a:f7:39:1c:63:80:c4:9e:a8:92:ec:e6:94:91:fa:c0";
    const SHA: &str = "SHA256:y/lCsvs2fCWjcYc0whZFYQ3UX/OO2qv+n6wE7D9dCeI";

    /// The sshcommand fixture `sshcommand_list_expected_json_output` (keys shortened).
    const FIXTURE_JSON: &str = r#"[{ "fingerprint": "2a:f7:39:1c:63:80:c4:9e:a8:92:ec:e6:94:91:fa:c0", "name": "md5", "SSHCOMMAND_ALLOWED_KEYS": "no-agent-forwarding,no-user-rc,no-X11-forwarding,no-port-forwarding", "public-key": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC9y0nh md5" },{ "fingerprint": "SHA256:y/lCsvs2fCWjcYc0whZFYQ3UX/OO2qv+n6wE7D9dCeI", "name": "sha256", "SSHCOMMAND_ALLOWED_KEYS": "no-agent-forwarding,no-user-rc,no-X11-forwarding,no-port-forwarding", "public-key": "ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEA1F98 sha256" },{ "fingerprint": "9f:7d:fd:8e:48:86:c5:ed:41:82:f7:df:3c:2c:18:9e", "name": "without-quotes", "SSHCOMMAND_ALLOWED_KEYS": "no-agent-forwarding,no-user-rc,no-X11-forwarding,no-port-forwarding", "public-key": "ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEAx6lO" }]
"#;

    #[test]
    fn json_unfiltered_fixture() {
        let keys = parse_ssh_keys_json(FIXTURE_JSON).unwrap();
        assert_eq!(keys.len(), 3);
        assert_eq!(
            keys[0],
            SshKeyEntry {
                fingerprint: MD5.into(),
                name: "md5".into(),
                allowed_keys: ALLOWED.into(),
                public_key: Some("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC9y0nh md5".into()),
            }
        );
        assert_eq!(keys[1].fingerprint, SHA);
        assert_eq!(keys[2].name, "without-quotes");
        assert_eq!(keys[2].public_key.as_deref(), Some("ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEAx6lO"));
    }

    #[test]
    fn json_name_filtered_compact_fixture() {
        let out = format!(
            r#"[{{"fingerprint":"{MD5}","name":"md5","SSHCOMMAND_ALLOWED_KEYS":"{ALLOWED}","public-key":"ssh-rsa AAAA md5"}}]"#
        );
        let keys = parse_ssh_keys_json(&out).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].name, "md5");
        assert_eq!(keys[0].allowed_keys, ALLOWED);
    }

    #[test]
    fn json_optional_fields() {
        let out = format!(r#"[{{"fingerprint":"{SHA}","name":"x"}}]"#);
        let keys = parse_ssh_keys_json(&out).unwrap();
        assert_eq!(keys[0].allowed_keys, "");
        assert_eq!(keys[0].public_key, None);
        assert!(parse_ssh_keys_json("[]").unwrap().is_empty());
        assert!(parse_ssh_keys_json("null").unwrap().is_empty());
    }

    #[test]
    fn json_unescaped_quote_or_backslash_in_a_name_is_an_error() {
        let quote =
            format!(r#"[{{ "fingerprint": "{SHA}", "name": "say "hi"", "public-key": "k" }}]"#);
        let err = parse_ssh_keys_json(&quote).unwrap_err();
        assert!(matches!(err.kind, ParseErrorKind::Json(_)));
        let backslash =
            format!(r#"[{{ "fingerprint": "{SHA}", "name": "a\q", "public-key": "k" }}]"#);
        assert!(parse_ssh_keys_json(&backslash).is_err());
        let tab = format!("[{{ \"fingerprint\": \"{SHA}\", \"name\": \"a\tb\" }}]");
        assert!(parse_ssh_keys_json(&tab).is_err());
    }

    #[test]
    fn json_malformed() {
        let cases = [
            "".to_string(),
            "{}".to_string(),
            r#"[{"name":"x"}]"#.to_string(),
            r#"[{"fingerprint":"","name":"x"}]"#.to_string(),
            format!(r#"[{{"fingerprint":"{SHA}"}}]"#),
            format!("{MD5} NAME=\"md5\""),
        ];
        for bad in &cases {
            assert!(parse_ssh_keys_json(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn text_fixture() {
        let out = format!(
            "{MD5} NAME=\"md5\" SSHCOMMAND_ALLOWED_KEYS=\"{ALLOWED}\"\n\
             {SHA} NAME=\"sha256\" SSHCOMMAND_ALLOWED_KEYS=\"{ALLOWED}\"\n\
             9f:7d:fd:8e:48:86:c5:ed:41:82:f7:df:3c:2c:18:9e NAME=\"without-quotes\" \
             SSHCOMMAND_ALLOWED_KEYS=\"{ALLOWED}\"\n"
        );
        let keys = parse_ssh_keys_text(&out).unwrap();
        assert_eq!(keys.len(), 3);
        assert_eq!(
            keys[1],
            SshKeyEntry {
                fingerprint: SHA.into(),
                name: "sha256".into(),
                allowed_keys: ALLOWED.into(),
                public_key: None,
            }
        );
        assert_eq!(keys[2].name, "without-quotes");
    }

    #[test]
    fn text_odd_names_and_missing_options() {
        let out = format!("{SHA} NAME=\"a \"b\" c\" SSHCOMMAND_ALLOWED_KEYS=\"{ALLOWED}\"\n");
        assert_eq!(parse_ssh_keys_text(&out).unwrap()[0].name, "a \"b\" c");
        let old = format!("{SHA} NAME=\"admin\"\n");
        let keys = parse_ssh_keys_text(&old).unwrap();
        assert_eq!(keys[0].name, "admin");
        assert_eq!(keys[0].allowed_keys, "");
        assert!(parse_ssh_keys_text("").unwrap().is_empty());
    }

    #[test]
    fn text_malformed() {
        for bad in [
            "garbage\n",
            &format!("{SHA} name=\"x\"\n"),
            &format!("{SHA} NAME=\"x\n"),
            &format!("{SHA} NAME=\"x\" SSHCOMMAND_ALLOWED_KEYS=\"a\n"),
            " NAME=\"x\"\n",
        ] {
            assert!(parse_ssh_keys_text(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn add_prints_the_fingerprint() {
        assert_eq!(parse_ssh_key_add(&format!("{SHA}\n")).unwrap(), SHA);
        assert_eq!(parse_ssh_key_add(&format!("{MD5}\n")).unwrap(), MD5);
        assert_eq!(parse_ssh_key_add(&format!("some notice\n{SHA}\n\n")).unwrap(), SHA);
        assert_eq!(
            parse_ssh_key_add("MD5:2a:f7:39:1c:63:80:c4:9e:a8:92:ec:e6:94:91:fa:c0").unwrap(),
            "MD5:2a:f7:39:1c:63:80:c4:9e:a8:92:ec:e6:94:91:fa:c0"
        );
    }

    #[test]
    fn add_malformed() {
        for bad in ["", "\n", "Duplicate ssh key name\n", "SHA256:\n", "SHA256:a b\n", "2a:f7\n"] {
            assert!(parse_ssh_key_add(bad).is_err(), "{bad:?}");
        }
    }
}
