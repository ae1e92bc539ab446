//! `ssh-keys:*`: the `authorized_keys` entries sshcommand manages, listed
//! as text or its hand-assembled (unescaped) JSON, with real OpenSSH SHA256 fingerprints.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use sha2::{Digest, Sha256};

use crate::context::Ctx;
use crate::output::{CmdResult, Stop};
use crate::state::SshKey;

const ALLOWED_KEYS: &str = "no-agent-forwarding,no-user-rc,no-X11-forwarding,no-port-forwarding";

const KEY_TYPES: [&str; 8] = [
    "ssh-ed25519",
    "ssh-rsa",
    "ssh-dss",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/// `<type> <base64 blob> [comment]` -> the OpenSSH fingerprint, `SHA256:` + unpadded base64 of
/// the SHA-256 of the decoded blob. The blob must start with its own type name, as real keys do.
pub(crate) fn fingerprint(line: &str) -> Option<String> {
    let mut parts = line.split_whitespace();
    let key_type = parts.next()?;
    let blob = STANDARD.decode(parts.next()?).ok()?;
    if !KEY_TYPES.contains(&key_type) {
        return None;
    }
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    if blob.get(4..4 + len)? != key_type.as_bytes() {
        return None;
    }
    Some(format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(&blob))))
}

pub(crate) fn list(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    // `--format` is only understood as the first argument.
    let (format, rest) = match args.first().map(String::as_str) {
        Some("--format") => (args.get(1).cloned().unwrap_or_default(), &args[args.len().min(2)..]),
        _ => ("text".to_string(), args),
    };
    if format != "text" && format != "json" {
        return Err(ctx.out.fail(&format!("Invalid format specified: {format}")));
    }
    if ctx.state.ssh_keys.is_empty() {
        ctx.out.err_line("authorized_keys is empty for dokku");
        return Err(Stop(1));
    }
    let filter = rest.first().cloned();
    let keys: Vec<SshKey> = ctx
        .state
        .ssh_keys
        .iter()
        .filter(|k| filter.as_ref().is_none_or(|name| &k.name == name))
        .cloned()
        .collect();
    if keys.is_empty() {
        // The name is filtered with grep, which exits 1 on no match.
        return Err(Stop(1));
    }
    if format == "text" {
        for key in keys {
            ctx.out.line(&format!(
                "{} NAME=\"{}\" SSHCOMMAND_ALLOWED_KEYS=\"{ALLOWED_KEYS}\"",
                key.fingerprint, key.name
            ));
        }
        return Ok(());
    }
    // Assembled with sed, nothing escaped; a name filter pipes it through `jq -c`.
    let entries: Vec<String> = keys
        .iter()
        .map(|k| {
            if filter.is_some() {
                format!(
                    "{{\"fingerprint\":\"{}\",\"name\":\"{}\",\"SSHCOMMAND_ALLOWED_KEYS\":\"{ALLOWED_KEYS}\",\"public-key\":\"{}\"}}",
                    k.fingerprint, k.name, k.public_key
                )
            } else {
                format!(
                    "{{ \"fingerprint\": \"{}\", \"name\": \"{}\", \"SSHCOMMAND_ALLOWED_KEYS\": \"{ALLOWED_KEYS}\", \"public-key\": \"{}\" }}",
                    k.fingerprint, k.name, k.public_key
                )
            }
        })
        .collect();
    ctx.out.line(&format!("[{}]", entries.join(",")));
    Ok(())
}

pub(crate) fn add(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let name = args.first().cloned().unwrap_or_default();
    if name.is_empty() {
        return Err(ctx
            .out
            .fail("A name is required to add a key, ie: dokku ssh-keys:add <name> <key-file>"));
    }
    // The key file path is read on the server; otherwise the key must come through a pipe.
    let text = match args.get(1) {
        Some(path) => match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(_) => return Err(ctx.out.fail("No key specified via file or pipe")),
        },
        None => match ctx.stdin {
            Some(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            None => return Err(ctx.out.fail("No key specified via file or pipe")),
        },
    };
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let Some(line) = lines.first() else {
        return Err(ctx.out.fail("Empty key was specified"));
    };
    if lines.len() > 1 {
        return Err(ctx.out.fail(
            "Too many keys provided, set one per invocation of dokku ssh-keys:add <NAME> <KEY_FILE>",
        ));
    }
    let Some(fp) = fingerprint(line) else {
        return Err(ctx.out.fail("Key specified in is not a valid ssh public key"));
    };
    // sshcommand looks for `NAME="<name>"` with grep, where each `.` of the name matches any
    // character: `a.b` finds an existing `axb`.
    let same_name = |existing: &str| {
        existing.len() == name.len()
            && existing.bytes().zip(name.bytes()).all(|(e, n)| n == b'.' || e == n)
    };
    let duplicate = if ctx.state.ssh_keys.iter().any(|k| same_name(&k.name)) {
        Some("Duplicate ssh key name")
    } else if ctx.state.ssh_keys.iter().any(|k| k.fingerprint == fp) {
        Some("Duplicate ssh public key specified")
    } else {
        None
    };
    if let Some(message) = duplicate {
        // sshcommand's own message is raw; the plugin adds its prefixed line.
        ctx.out.err_line(message);
        return Err(ctx.out.fail("sshcommand returned an error: 1"));
    }
    ctx.state.ssh_keys.push(SshKey { name, fingerprint: fp.clone(), public_key: line.to_string() });
    ctx.out.line(&fp);
    Ok(())
}

pub(crate) fn remove(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    // Removing a name or fingerprint that is not there succeeds silently.
    if args.first().map(String::as_str) == Some("--fingerprint") {
        let Some(fp) = args.get(1).filter(|f| !f.is_empty()).cloned() else {
            return Err(ctx.out.fail(
                "A fingerprint is required to remove a key, ie: dokku ssh-keys:remove --fingerprint FINGERPRINT",
            ));
        };
        ctx.state.ssh_keys.retain(|k| k.fingerprint != fp);
        return Ok(());
    }
    let Some(name) = args.first().filter(|n| !n.is_empty()).cloned() else {
        return Err(ctx
            .out
            .fail("A name is required to remove a key, ie: dokku ssh-keys:remove <name>"));
    };
    ctx.state.ssh_keys.retain(|k| k.name != name);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Fingerprints cross-checked with `ssh-keygen -lf` on the same keys.
    #[test]
    fn fingerprints_match_openssh() {
        assert_eq!(
            fingerprint("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIERYuvLE9DLBGc1ucsmRVNQy+49e4pzEhlFYJDjBM5XS alice@example").unwrap(),
            "SHA256:O5K6KJb19UkMocyY75sLQYCPT4s7FQavTOW0aPox6+8"
        );
        assert_eq!(
            fingerprint("ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBNdH3wK10S2in1L8xce5V1Ywqpkt4dnClvQ0nQs+COqDl+LGhkGbt5g54goSeNnMbRr3DqYuUM5agpDbNqvtBA4=").unwrap(),
            "SHA256:g4TyLG1E6PwlI2NJOpsf0+MC4aeMcvUaxLhinM9dQ/U"
        );
    }

    #[test]
    fn rejects_non_keys() {
        assert_eq!(fingerprint("ssh-ed25519 notbase64!"), None);
        assert_eq!(
            fingerprint(
                "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIERYuvLE9DLBGc1ucsmRVNQy+49e4pzEhlFYJDjBM5XS"
            ),
            None
        );
        assert_eq!(fingerprint("hello world"), None);
        assert_eq!(fingerprint(""), None);
    }
}
