//! Who may reach an app or the host: http-auth users, passwords and allowed addresses, and SSH
//! key names and fingerprints.

use std::net::IpAddr;

use super::{Invalid, quote, secret_text, text_id};

/// An http-auth user name. The plugin writes `user:hash` lines and finds them again with `sed`
/// patterns, so: letters, digits, `.`, `_` and `-`, not starting with `-`, at most 64.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpAuthUsername(String);
text_id!(HttpAuthUsername);

impl HttpAuthUsername {
    pub fn parse(name: &str) -> Result<HttpAuthUsername, Invalid> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && !name.starts_with('-')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if ok {
            Ok(HttpAuthUsername(name.to_string()))
        } else {
            Err(Invalid(format!(
                "invalid user name {}: use up to 64 letters, digits, `.`, `_` or `-`, not \
                 starting with `-`",
                quote(name)
            )))
        }
    }

    /// Whether the plugin's `sed "/^<name>:/d"` (each `.` matching any character) would also
    /// delete `other`'s line.
    pub fn pattern_matches(&self, other: &str) -> bool {
        other != self.0
            && other.chars().count() == self.0.chars().count()
            && other.chars().zip(self.0.chars()).all(|(o, n)| n == '.' || o == n)
    }
}

/// An http-auth password: 1 to 256 bytes, no line break or NUL (it would split the `htpasswd`
/// line and cannot cross SSH), not starting with `-` (the plugin passes it to `mkpasswd` as an
/// argument, where it would read as an option), no word after a space starting with `--` (over
/// SSH Dokku would read it as one of its global flags; refused on every host kind, so a password
/// that works on one server works on all). A secret.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpAuthPassword(String);
secret_text!(HttpAuthPassword);

impl HttpAuthPassword {
    pub fn parse(password: &str) -> Result<HttpAuthPassword, Invalid> {
        if password.is_empty() || password.len() > 256 {
            return Err(Invalid("the password must have 1 to 256 bytes".into()));
        }
        if password.contains(['\n', '\r', '\0']) {
            return Err(Invalid("the password must not contain line breaks or NUL bytes".into()));
        }
        if password.starts_with('-') {
            return Err(Invalid(
                "the password must not start with `-` (the plugin would read it as an option)"
                    .into(),
            ));
        }
        if password.split([' ', '\t']).skip(1).any(|word| word.starts_with("--")) {
            return Err(Invalid(
                "the password must not have a word starting with `--` after a space (over SSH, \
                 Dokku would read it as one of its own flags)"
                    .into(),
            ));
        }
        Ok(HttpAuthPassword(password.to_string()))
    }
}

/// An address allowed past http-auth: an IPv4 or IPv6 address, or a CIDR block of either (what
/// nginx `allow` takes). Kept as given: the id is `app:<as given>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedIp(String);
text_id!(AllowedIp);

impl AllowedIp {
    pub fn parse(value: &str) -> Result<AllowedIp, Invalid> {
        let bad = || {
            Invalid(format!(
                "invalid IP address {}: use an IPv4 or IPv6 address or CIDR block",
                quote(value)
            ))
        };
        let (addr, prefix) = match value.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (value, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        if let Some(prefix) = prefix {
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let ok = !prefix.is_empty()
                && prefix.chars().all(|c| c.is_ascii_digit())
                && prefix.len() <= 3
                && prefix.parse::<u32>().is_ok_and(|p| p <= max);
            if !ok {
                return Err(bad());
            }
        }
        Ok(AllowedIp(value.to_string()))
    }
}

/// The name an SSH key is added under (`ssh-keys:add <name>`). sshcommand embeds it in the key's
/// forced command and finds it again with `grep` patterns, so only `[A-Za-z0-9_.@-]`, not
/// starting with `-`, at most 64.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshKeyName(String);
text_id!(SshKeyName);

impl SshKeyName {
    pub fn parse(name: &str) -> Result<SshKeyName, Invalid> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && !name.starts_with('-')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.@-".contains(c));
        if ok {
            Ok(SshKeyName(name.to_string()))
        } else {
            Err(Invalid(format!(
                "invalid username {}: use up to 64 letters, digits, `_`, `.`, `@` and `-`, not \
                 starting with `-`",
                quote(name)
            )))
        }
    }

    /// Whether sshcommand's duplicate check, `grep "NAME=\"<name>\""` (each `.` matching any
    /// character), would take `other` for this name.
    pub fn pattern_matches(&self, other: &str) -> bool {
        other != self.0
            && other.len() == self.0.len()
            && other.chars().zip(self.0.chars()).all(|(o, n)| n == '.' || o == n)
    }
}

/// An SSH key's fingerprint as an id: `SHA256:` and 43 base64 characters (which hold `/` and `+`:
/// clients percent-encode `/` in a path, `+` stays literal), or an MD5 one (`aa:bb:…`, optionally
/// `MD5:`-prefixed) for keys added by old hosts. Never split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint(String);
text_id!(Fingerprint);

impl Fingerprint {
    pub fn parse(id: &str) -> Result<Fingerprint, Invalid> {
        let sha = id.strip_prefix("SHA256:").is_some_and(|b64| {
            b64.len() == 43
                && b64.chars().all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/')
        });
        if sha || is_md5_fingerprint(id.strip_prefix("MD5:").unwrap_or(id)) {
            return Ok(Fingerprint(id.to_string()));
        }
        let hint = if id.contains(' ') {
            " (a `+` must stay literal or be sent as %2B; it was read as a space)"
        } else {
            ""
        };
        Err(Invalid(format!(
            "invalid SSH key fingerprint {}: expected `SHA256:` and 43 base64 characters, or an \
             MD5 fingerprint `aa:bb:…`{hint}",
            quote(id)
        )))
    }

    /// Whether a listed fingerprint is this one (MD5 ones may come with or without `MD5:`, in
    /// either case of hex digits).
    pub fn matches(&self, listed: &str) -> bool {
        if listed == self.0 {
            return true;
        }
        let bare = |s: &str| s.strip_prefix("MD5:").unwrap_or(s).to_ascii_lowercase();
        is_md5_fingerprint(&bare(listed)) && bare(listed) == bare(&self.0)
    }
}

/// An MD5 fingerprint without its `MD5:` prefix: 16 colon-separated pairs of hex digits, in
/// either case. The one definition, for the ids clients send and the fingerprints Dokku prints.
pub(crate) fn is_md5_fingerprint(s: &str) -> bool {
    let pairs: Vec<&str> = s.split(':').collect();
    pairs.len() == 16
        && pairs.iter().all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ips_and_cidrs() {
        for ok in ["127.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "::1", "2001:db8::/32", "fe80::1/128"] {
            assert!(AllowedIp::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1.2.3",
            "1.2.3.4/33",
            "::1/129",
            "1.2.3.4/",
            "1.2.3.4/+8",
            "all",
            "unix:",
            "1.2.3.4 ",
            "a;b",
        ] {
            assert!(AllowedIp::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn http_auth_users_and_passwords() {
        assert!(HttpAuthUsername::parse("deploy.bot_1").is_ok());
        for bad in ["", "-x", "a b", "a:b", "a/b", "ü"] {
            assert!(HttpAuthUsername::parse(bad).is_err(), "{bad}");
        }
        assert!(HttpAuthPassword::parse("p@ss w'o\"rd $(x)").is_ok());
        assert!(HttpAuthPassword::parse("a--b c-d").is_ok());
        for bad in ["", "a\nb", "-n", "x\0", "x --trace --app other y", "1; DROP TABLE jobs; --"] {
            assert!(HttpAuthPassword::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dots_in_user_names_are_sed_wildcards() {
        let user = |n: &str| HttpAuthUsername::parse(n).unwrap();
        assert!(!user("a.b").pattern_matches("a.b"));
        assert!(!user("a.b").pattern_matches("abc"));
        assert!(user("a.b").pattern_matches("axb"));
        assert!(user("..").pattern_matches("ab"));
        assert!(!user("a-b").pattern_matches("axb"));
        assert!(user("a.b").pattern_matches("aéb"));
    }

    #[test]
    fn ssh_key_names() {
        for ok in ["alice", "alice@laptop", "a.b_c-d", "0"] {
            assert!(SshKeyName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-n", "a b", "a\"b", "a/b", &"a".repeat(65)] {
            assert!(SshKeyName::parse(bad).is_err(), "{bad}");
        }
        let name = SshKeyName::parse("a.b").unwrap();
        assert!(name.pattern_matches("axb"));
        assert!(!name.pattern_matches("a.b"));
        assert!(!name.pattern_matches("ab"));
    }

    #[test]
    fn fingerprints() {
        assert!(Fingerprint::parse("SHA256:y/lCsvs2fCWjcYc0whZFYQ3UX/OO2qv+n6wE7D9dCeI").is_ok());
        assert!(Fingerprint::parse("2a:f7:39:1c:63:80:c4:9e:a8:92:ec:e6:94:91:fa:c0").is_ok());
        assert!(Fingerprint::parse("MD5:2a:f7:39:1c:63:80:c4:9e:a8:92:ec:e6:94:91:fa:c0").is_ok());
        let spaced =
            Fingerprint::parse("SHA256:y/lCsvs2fCWjcYc0whZFYQ3UX/OO2qv n6wE7D9dCeI").unwrap_err();
        assert!(spaced.0.contains("%2B"));
        for bad in ["", "SHA256:", "SHA256:abc", "probe:id", "2a:f7"] {
            assert!(Fingerprint::parse(bad).is_err(), "{bad}");
        }
        let md5 =
            Fingerprint::parse("MD5:2A:F7:39:1C:63:80:C4:9E:A8:92:EC:E6:94:91:FA:C0").unwrap();
        assert!(md5.matches("2a:f7:39:1c:63:80:c4:9e:a8:92:ec:e6:94:91:fa:c0"));
        let sha = Fingerprint::parse("SHA256:y/lCsvs2fCWjcYc0whZFYQ3UX/OO2qv+n6wE7D9dCeI").unwrap();
        assert!(!sha.matches("SHA256:b"));
    }
}
