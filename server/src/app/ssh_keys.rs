//! SSH keys: the public keys allowed to push to Dokku (`ssh-keys:*`).
//!
//! The id of a key is its fingerprint as Dokku lists it: `SHA256:` and 43 base64 characters
//! (which contain `/` and `+`: clients percent-encode `/` in the path, `+` stays literal), or an
//! MD5 `aa:bb:…` one for keys added by old hosts. Fingerprints are never split.
//!
//! `addSSHKey` parses the key before anything reaches Dokku: one line `<type> <base64> [comment]`
//! of a type current OpenSSH accepts, whose decoded blob has the structure of that type; the
//! comment may not contain `"` or `\` (Dokku's JSON listing does not escape them, and one such
//! key would make the listing unreadable for every client). The server computes the `SHA256:`
//! fingerprint itself, as `ssh-keygen -lf` does. `allowed_keys` can only be what Dokku applies to
//! every key ([`DEFAULT_ALLOWED_KEYS`]): `ssh-keys:add` has no way to set others.
//!
//! `ssh-keys:add` and `ssh-keys:remove` must run as root: they go through the host layer's root
//! login (`host.ssh.root_user` or `root_sudo` over SSH, `host.root_command` or the local `dokku`
//! otherwise); without one, or when the host refuses, the host layer answers 503 saying what to
//! configure. Both hold the [`LockKey::SshKeys`] lock: sshcommand rewrites `authorized_keys` in
//! place.
//!
//! # Cost in Dokku invocations
//!
//! | operation | invocations |
//! |---|---|
//! | `getSSHkeys` | 1 (`ssh-keys:list --format json`); 2 if that JSON is unreadable (text form) |
//! | `getSSHKeyByFingerprintId` | the same (the list, filtered here: Dokku has no lookup) |
//! | `addSSHKey` | 2 (the list, for duplicate names; `ssh-keys:add <name>`, key on stdin, as root) |
//! | `deleteSSHKey` | 2 (the list, for the 404; `ssh-keys:remove --fingerprint <fp>` as root) |

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use dokku_pro_api::models::{SshKey, SshKeyAttributes};
use sha2::{Digest, Sha256};

use super::{AppError, OpContext};
use crate::host::parse::{
    KnownFailure, SshKeyEntry, parse_ssh_key_add, parse_ssh_keys_json, parse_ssh_keys_text,
    parse_stderr,
};
use crate::host::{DokkuCommand, HostError, LockKey, Output, check_status, failure_message};
use crate::ids::{Fingerprint, Invalid, SshKeyName, quote};

/// The options sshcommand gives every key it adds (`SSHCOMMAND_ALLOWED_KEYS`' default).
pub const DEFAULT_ALLOWED_KEYS: &str =
    "no-agent-forwarding,no-user-rc,no-X11-forwarding,no-port-forwarding";

/// The authorized_keys restriction options (no arguments) that `allowed_keys` may name.
const KNOWN_OPTIONS: [&str; 11] = [
    "no-agent-forwarding",
    "no-user-rc",
    "no-X11-forwarding",
    "no-port-forwarding",
    "no-pty",
    "restrict",
    "agent-forwarding",
    "port-forwarding",
    "pty",
    "user-rc",
    "X11-forwarding",
];

/// Key types current OpenSSH accepts (DSA keys are disabled since OpenSSH 7.0).
const KEY_TYPES: [&str; 7] = [
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/// The longest key line accepted (a 16384-bit RSA key is about 2.8 KB).
const MAX_KEY_LEN: usize = 8192;

/// A public key that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// `<type> <base64> [comment]`, single spaces.
    pub line: String,
    /// `SHA256:` + unpadded base64 of the SHA-256 of the decoded blob.
    pub fingerprint: String,
}

/// Parses and checks an OpenSSH public key line.
pub fn parse_public_key(text: &str) -> Result<PublicKey, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Invalid(
            "`ssh_key` is empty: send an OpenSSH public key line, `ssh-ed25519 AAAA… comment`"
                .into(),
        ));
    }
    if text.len() > MAX_KEY_LEN {
        return Err(Invalid(format!("the SSH key is longer than {MAX_KEY_LEN} characters")));
    }
    if text.contains(['\n', '\r']) {
        return Err(Invalid("`ssh_key` must be one key on one line".into()));
    }
    let (key_type, rest) = next_word(text);
    let (data, rest) = next_word(rest);
    let comment = rest.trim();
    let Some(key_type) = KEY_TYPES.iter().copied().find(|t| *t == key_type) else {
        if key_type.contains(['=', ',']) || KNOWN_OPTIONS.contains(&key_type) {
            return Err(Invalid(
                "`ssh_key` must start with the key type; options go in `allowed_keys`".into(),
            ));
        }
        return Err(Invalid(format!(
            "unsupported SSH key type {}: use one of {}",
            quote(key_type),
            KEY_TYPES.join(", ")
        )));
    };
    let blob = STANDARD
        .decode(data)
        .map_err(|_| Invalid("the SSH key's data (after its type) is not valid base64".into()))?;
    check_blob(key_type, &blob)?;
    if comment.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
        return Err(Invalid(
            "the SSH key's comment must not contain quotes, backslashes or control characters"
                .into(),
        ));
    }
    let mut line = format!("{key_type} {data}");
    if !comment.is_empty() {
        line.push(' ');
        line.push_str(comment);
    }
    let fingerprint = format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(&blob)));
    Ok(PublicKey { line, fingerprint })
}

/// The first whitespace-separated word, and the rest after it.
fn next_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    (&s[..end], &s[end..])
}

/// Reads one SSH wire-format string (`uint32` length, then the bytes).
fn read_string<'a>(buf: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = u32::from_be_bytes(buf.get(..4)?.try_into().ok()?) as usize;
    let value = buf.get(4..4usize.checked_add(len)?)?;
    *buf = &buf[4 + len..];
    Some(value)
}

/// Checks that the blob is a well-formed key of its declared type (RFC 4253 §6.6, RFC 5656,
/// RFC 8709, OpenSSH PROTOCOL.u2f), with nothing left over.
fn check_blob(key_type: &str, blob: &[u8]) -> Result<(), Invalid> {
    let bad = || Invalid(format!("the SSH key's data is not a valid {key_type} key"));
    let mut buf = blob;
    if read_string(&mut buf) != Some(key_type.as_bytes()) {
        return Err(bad());
    }
    let ecdsa_point = |buf: &mut &[u8], curve: &str, coordinate: usize| -> Option<()> {
        (read_string(buf)? == curve.as_bytes()).then_some(())?;
        let point = read_string(buf)?;
        (point.len() == 1 + 2 * coordinate && point[0] == 4).then_some(())
    };
    let ok = match key_type {
        "ssh-ed25519" => read_string(&mut buf).is_some_and(|k| k.len() == 32),
        "sk-ssh-ed25519@openssh.com" => {
            read_string(&mut buf).is_some_and(|k| k.len() == 32) && read_string(&mut buf).is_some()
        }
        "ssh-rsa" => {
            let e = read_string(&mut buf);
            let n = read_string(&mut buf);
            match (e, n) {
                (Some(e), Some(n)) if !e.is_empty() => {
                    let significant = n.iter().skip_while(|b| **b == 0).count();
                    if significant * 8 < 1024 {
                        return Err(Invalid("RSA keys must have at least 1024 bits".into()));
                    }
                    true
                }
                _ => false,
            }
        }
        "ecdsa-sha2-nistp256" => ecdsa_point(&mut buf, "nistp256", 32).is_some(),
        "ecdsa-sha2-nistp384" => ecdsa_point(&mut buf, "nistp384", 48).is_some(),
        "ecdsa-sha2-nistp521" => ecdsa_point(&mut buf, "nistp521", 66).is_some(),
        "sk-ecdsa-sha2-nistp256@openssh.com" => {
            ecdsa_point(&mut buf, "nistp256", 32).is_some() && read_string(&mut buf).is_some()
        }
        _ => false,
    };
    if ok && buf.is_empty() { Ok(()) } else { Err(bad()) }
}

/// `allowed_keys`: absent, empty, or exactly the options Dokku applies (in any order).
fn allowed_keys(value: Option<&str>) -> Result<(), Invalid> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(()) };
    let mut given: Vec<&str> = value.split(',').map(str::trim).collect();
    if let Some(unknown) = given.iter().find(|o| !KNOWN_OPTIONS.contains(o)) {
        return Err(Invalid(format!(
            "unknown SSH key option {} in `allowed_keys`: options are comma-separated names \
             like `no-pty`",
            quote(unknown)
        )));
    }
    given.sort_unstable();
    given.dedup();
    let mut default: Vec<&str> = DEFAULT_ALLOWED_KEYS.split(',').collect();
    default.sort_unstable();
    if given == default {
        Ok(())
    } else {
        Err(Invalid(format!(
            "Dokku gives every key the options `{DEFAULT_ALLOWED_KEYS}` and cannot set others: \
             omit `allowed_keys` or send exactly those"
        )))
    }
}

fn to_model(entry: SshKeyEntry) -> SshKey {
    let non_empty = |s: String| if s.is_empty() { None } else { Some(s) };
    SshKey::record(
        entry.fingerprint,
        SshKeyAttributes {
            username: non_empty(entry.name),
            ssh_key: entry.public_key,
            allowed_keys: non_empty(entry.allowed_keys),
        },
    )
}

/// Runs a listing; an empty `authorized_keys` (exit 1, `authorized_keys is empty for dokku`) is
/// an empty list, not a failure.
async fn run_list(opctx: &OpContext, cmd: &DokkuCommand) -> Result<Option<Output>, AppError> {
    let out = opctx.host.read(cmd).await?;
    if out.status == 1 && parse_stderr(&out.stderr).known_failure() == Some(KnownFailure::NoSshKeys)
    {
        return Ok(None);
    }
    Ok(Some(check_status(cmd, out)?))
}

/// Every key, from `ssh-keys:list --format json` (`--format` must be the first argument). Dokku
/// assembles that JSON without escaping, so a key added elsewhere with a `"` or `\` in its name
/// breaks it; then the text form is read instead, which lacks the public keys.
async fn entries(opctx: &OpContext) -> Result<Vec<SshKeyEntry>, AppError> {
    let cmd = DokkuCommand::new("ssh-keys:list").arg("--format").arg("json");
    let Some(out) = run_list(opctx, &cmd).await? else { return Ok(Vec::new()) };
    if let Ok(keys) = parse_ssh_keys_json(&out.stdout) {
        return Ok(keys);
    }
    let cmd = DokkuCommand::new("ssh-keys:list");
    let Some(out) = run_list(opctx, &cmd).await? else { return Ok(Vec::new()) };
    parse_ssh_keys_text(&out.stdout).map_err(|e| HostError::unreadable(&cmd, e).into())
}

async fn find(opctx: &OpContext, id: &Fingerprint) -> Result<SshKeyEntry, AppError> {
    entries(opctx)
        .await?
        .into_iter()
        .find(|k| id.matches(&k.fingerprint))
        .ok_or_else(|| AppError::NotFound(format!("SSH key {id} does not exist")))
}

/// `getSSHkeys`.
pub async fn get_ssh_keys(opctx: &OpContext) -> Result<Vec<SshKey>, AppError> {
    Ok(entries(opctx).await?.into_iter().map(to_model).collect())
}

/// `getSSHKeyByFingerprintId`.
pub async fn get_ssh_key_by_fingerprint_id(
    opctx: &OpContext,
    id: &Fingerprint,
) -> Result<SshKey, AppError> {
    Ok(to_model(find(opctx, id).await?))
}

/// `addSSHKey`: `ssh-keys:add <name>` with the key on stdin, as root.
pub async fn add_ssh_key(opctx: &OpContext, data: SshKey) -> Result<SshKey, AppError> {
    let example = "{\"data\":{\"type\":\"sshKeys\",\"attributes\":{\"username\":\"alice\",\
                   \"ssh_key\":\"ssh-ed25519 AAAA… alice@laptop\"}}}";
    let attributes = data.attributes.unwrap_or_default();
    let name = attributes
        .username
        .as_deref()
        .ok_or_else(|| Invalid(format!("`data.attributes.username` is required: {example}")))?;
    let name = SshKeyName::parse(name)?;
    let text = attributes
        .ssh_key
        .as_deref()
        .ok_or_else(|| Invalid(format!("`data.attributes.ssh_key` is required: {example}")))?;
    let key = parse_public_key(text)?;
    allowed_keys(attributes.allowed_keys.as_deref())?;
    if let Some(id) = data.id.as_deref()
        && id != key.fingerprint
    {
        return Err(Invalid(format!(
            "`data.id` {} is not this key's fingerprint ({}): omit it, the server computes it",
            quote(id),
            key.fingerprint
        ))
        .into());
    }

    let lock = opctx.host.lock(LockKey::SshKeys).await;
    // sshcommand finds a duplicate name with a `grep` pattern where `.` is any character: a name
    // that only matches another key's that way would be refused as a duplicate that is not one.
    let listed = entries(opctx).await?;
    if listed.iter().any(|k| name == k.name.as_str()) {
        return Err(AppError::Conflict(format!("an SSH key named {name} already exists")));
    }
    if let Some(other) = listed.iter().find(|k| name.pattern_matches(&k.name)) {
        return Err(AppError::Invalid(format!(
            "Dokku matches SSH key names as patterns (`.` is any character), so {name} would \
             clash with the key named {}: choose a name without `.`",
            other.name
        )));
    }
    let cmd = DokkuCommand::new("ssh-keys:add")
        .arg(name.as_str())
        .stdin(format!("{}\n", key.line))
        .as_root();
    let out = lock.run_raw(&cmd).await?;
    if out.status != 0 {
        match parse_stderr(&out.stderr).known_failure() {
            Some(KnownFailure::DuplicateSshKeyName) => {
                return Err(AppError::Conflict(format!("an SSH key named {name} already exists")));
            }
            Some(KnownFailure::DuplicateSshKey) => {
                return Err(AppError::Conflict(format!(
                    "this SSH key is already added (fingerprint {})",
                    key.fingerprint
                )));
            }
            Some(KnownFailure::InvalidSshKey) => {
                return Err(AppError::Invalid(failure_message(&out)));
            }
            _ => {}
        }
    }
    let out = check_status(&cmd, out)?;
    // Dokku prints the fingerprint `ssh-keygen -lf` computed: the one its listing will show. It
    // equals ours on any current OpenSSH; if the host differs, its own is the usable id.
    let id = parse_ssh_key_add(&out.stdout).unwrap_or_else(|_| key.fingerprint.clone());
    Ok(SshKey::record(
        id,
        SshKeyAttributes {
            username: Some(name.to_string()),
            ssh_key: Some(key.line),
            allowed_keys: Some(DEFAULT_ALLOWED_KEYS.to_string()),
        },
    ))
}

/// `deleteSSHKey`: `ssh-keys:remove --fingerprint <fp>` as root, after checking the key exists
/// (Dokku's remove succeeds silently for an unknown one).
pub async fn delete_ssh_key(opctx: &OpContext, id: &Fingerprint) -> Result<(), AppError> {
    let lock = opctx.host.lock(LockKey::SshKeys).await;
    let entry = find(opctx, id).await?;
    let cmd =
        DokkuCommand::new("ssh-keys:remove").arg("--fingerprint").arg(entry.fingerprint).as_root();
    lock.run(&cmd).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Fingerprints cross-checked with `ssh-keygen -lf` (the same keys as dokku-sim's tests).
    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIERYuvLE9DLBGc1ucsmRVNQy+49e4pzEhlFYJDjBM5XS alice@example";
    const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBNdH3wK10S2in1L8xce5V1Ywqpkt4dnClvQ0nQs+COqDl+LGhkGbt5g54goSeNnMbRr3DqYuUM5agpDbNqvtBA4=";

    fn blob(parts: &[&[u8]]) -> String {
        let mut out = Vec::new();
        for p in parts {
            out.extend_from_slice(&(p.len() as u32).to_be_bytes());
            out.extend_from_slice(p);
        }
        STANDARD.encode(out)
    }

    #[test]
    fn fingerprints_match_openssh() {
        let key = parse_public_key(ED25519).unwrap();
        assert_eq!(key.fingerprint, "SHA256:O5K6KJb19UkMocyY75sLQYCPT4s7FQavTOW0aPox6+8");
        assert_eq!(key.line, ED25519);
        let key = parse_public_key(&format!("  {ECDSA}\n")).unwrap();
        assert_eq!(key.fingerprint, "SHA256:g4TyLG1E6PwlI2NJOpsf0+MC4aeMcvUaxLhinM9dQ/U");
        assert!(Fingerprint::parse(&key.fingerprint).is_ok());
    }

    #[test]
    fn structurally_checked_blobs() {
        let rsa = format!("ssh-rsa {}", blob(&[b"ssh-rsa", &[1, 0, 1], &[0x80; 256]]));
        assert!(parse_public_key(&rsa).is_ok());
        let small = format!("ssh-rsa {}", blob(&[b"ssh-rsa", &[1, 0, 1], &[0x80; 64]]));
        assert!(parse_public_key(&small).unwrap_err().0.contains("1024"));
        let sk = format!(
            "sk-ssh-ed25519@openssh.com {}",
            blob(&[b"sk-ssh-ed25519@openssh.com", &[7; 32], b"ssh:"])
        );
        assert!(parse_public_key(&sk).is_ok());
        let mut point = vec![4u8];
        point.extend([9u8; 132]);
        let p521 =
            format!("ecdsa-sha2-nistp521 {}", blob(&[b"ecdsa-sha2-nistp521", b"nistp521", &point]));
        assert!(parse_public_key(&p521).is_ok());
        for bad in [
            format!("ssh-ed25519 {}", blob(&[b"ssh-ed25519", &[7; 31]])),
            format!("ssh-ed25519 {}", blob(&[b"ssh-ed25519", &[7; 32], b"extra"])),
            format!("ssh-rsa {}", blob(&[b"ssh-ed25519", &[7; 32]])),
            format!("ecdsa-sha2-nistp384 {}", blob(&[b"ecdsa-sha2-nistp384", b"nistp256", &point])),
            "ssh-ed25519 AAAA!!!!".to_string(),
            "ssh-ed25519".to_string(),
            "ssh-dss AAAAB3NzaC1kc3MAAACBAP".to_string(),
            format!("no-pty {ED25519}"),
            format!("{ED25519} say \"hi\""),
            format!("{ED25519} back\\slash"),
            format!("{ED25519}\n{ED25519}"),
            String::new(),
            "x".repeat(MAX_KEY_LEN + 1),
        ] {
            assert!(parse_public_key(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn allowed_key_options() {
        assert!(allowed_keys(None).is_ok());
        assert!(allowed_keys(Some("")).is_ok());
        assert!(allowed_keys(Some(DEFAULT_ALLOWED_KEYS)).is_ok());
        assert!(
            allowed_keys(Some(
                "no-port-forwarding, no-user-rc,no-agent-forwarding,no-X11-forwarding"
            ))
            .is_ok()
        );
        assert!(allowed_keys(Some("no-pty")).unwrap_err().0.contains("cannot set others"));
        assert!(allowed_keys(Some("command=\"x\"")).unwrap_err().0.contains("unknown"));
    }
}
