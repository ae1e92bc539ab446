//! The SSH executor: runs Dokku commands as `ssh dokku@host -- <args>` over one persistent
//! connection.
//!
//! # Why system OpenSSH with a control master
//!
//! We drive the `ssh` program in OpenSSH's multiplexing mode rather than linking a Rust SSH
//! library. OpenSSH is the client Dokku documents and its users already run. It reads the keys,
//! agents, certificates, hashed `known_hosts` and `~/.ssh/config` (ProxyJump, ...) that operators
//! already have, and it is the most scrutinised SSH implementation there is. A Rust library would
//! bring its own crypto stack, key formats and host-key handling for the server to get right.
//! Multiplexing removes the cost that usually argues against spawning `ssh`: one master process
//! (ours, a child of the server) does the handshake once, and each command opens a channel on it
//! through a Unix socket. No command pays for a handshake. If the master dies (the network
//! dropped), the next command starts a new one.
//!
//! # Quoting: what Dokku does with our arguments
//!
//! sshd hands Dokku the whole command as one string (`SSH_ORIGINAL_COMMAND`), and Dokku splits it
//! again with `xargs -n 1`. So every argument is wrapped in single quotes
//! (a `'` inside becomes `'"'"'`), which xargs takes literally: spaces, `"`, `\`, `$()`,
//! backticks, `;`, `|` and `*` all arrive unchanged. Some values cannot survive that re-parse at
//! all, whatever the quoting, and are refused with [`HostError::Unsendable`] rather than sent
//! altered:
//!
//! * a newline (xargs reports an unmatched quote); env values with newlines go through
//!   `config:import` on stdin instead, which is how the app layer sends env values anyway;
//! * a word that is only echo options (`-n`, `-e`, `-E`, `-neE`, ...) or exactly `--help` /
//!   `--version`: xargs runs `echo` on each word, and echo eats these;
//! * an empty last argument (GNU xargs drops an empty word at the end of its input);
//! * more than [`MAX_COMMAND_BYTES`] in all (xargs' command-line limit).
//!
//! Root-only commands (`ssh-keys:add`, `ssh-keys:remove`) cannot run as the `dokku` user; they
//! go through a second login (`root@host dokku ...`, a separate executor), where the remote
//! login shell parses the string with POSIX shell rules, so they are quoted for a shell instead.
//! A login that is a sudoer rather than root ([`Quoting::PosixShellSudo`]) runs them as
//! `sudo -n dokku ...`: `-n` so that a sudo wanting a password fails at once (there is no
//! terminal to ask on) instead of hanging until the command timeout.
//!
//! # Host keys
//!
//! The host key is always verified (`StrictHostKeyChecking=yes`): against a `known_hosts` file,
//! or against a pinned `SHA256:` fingerprint, in which case the key is fetched with
//! `ssh-keyscan`, checked against the pin, and written to a private `known_hosts` in the data
//! directory. An unknown key is refused unless `accept_new_host_key` is set (trust on first
//! use, recorded in that private file and verified from then on).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

use super::command::DokkuCommand;
use super::error::HostError;
use super::exec::{Executor, Output, text};

/// xargs' default limit is about 128 KiB for the whole command line; stay well below it.
pub const MAX_COMMAND_BYTES: usize = 100 * 1024;

/// How one login to the Dokku host is made.
#[derive(Clone, Debug)]
pub struct SshTarget {
    pub host: String,
    pub port: u16,
    /// `dokku` for normal commands, `root` (or a sudoer) for root-only ones.
    pub user: String,
    pub identity_file: Option<PathBuf>,
    /// The `known_hosts` file to verify the host key against.
    pub known_hosts: PathBuf,
    /// Trust a host key seen for the first time (recording it in `known_hosts`) instead of
    /// refusing it. Off unless configured.
    pub accept_new_host_key: bool,
    /// How the remote side parses the command string.
    pub quoting: Quoting,
}

/// The two parsing regimes on the remote side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quoting {
    /// `dokku@host`: Dokku's `xargs -n 1` re-parse; the command is just the arguments.
    DokkuXargs,
    /// `root@host`: a POSIX login shell; the command is `dokku` plus the arguments.
    PosixShell,
    /// A sudoer's login: a POSIX login shell; the command is `sudo -n dokku` plus the arguments.
    PosixShellSudo,
}

/// Options shared by every login.
#[derive(Clone, Debug)]
pub struct SshOptions {
    /// The `ssh` program.
    pub program: PathBuf,
    /// Where the control socket lives (a private directory of the server).
    pub control_dir: PathBuf,
    pub connect_timeout: Duration,
    pub command_timeout: Duration,
}

/// Runs commands over one multiplexed OpenSSH connection.
pub struct SshExecutor {
    target: SshTarget,
    options: SshOptions,
    master: Mutex<Option<Child>>,
    control_path: PathBuf,
}

impl SshExecutor {
    pub fn new(target: SshTarget, options: SshOptions) -> SshExecutor {
        // Unix socket paths are limited to ~108 bytes; keep the name short and unique per login
        // (user, host, port, key and quoting regime: two logins must never share a master).
        let login = format!(
            "{}@{}:{} {:?} {:?}",
            target.user, target.host, target.port, target.identity_file, target.quoting
        );
        let control_path =
            options.control_dir.join(format!("{}-{:x}.sock", target.user, short_hash(&login)));
        SshExecutor { target, options, master: Mutex::new(None), control_path }
    }

    /// The options every `ssh` invocation carries.
    fn common_args(&self) -> Vec<String> {
        let mut args = vec![
            "-p".to_string(),
            self.target.port.to_string(),
            "-o".into(),
            "BatchMode=yes".into(),
            "-o".into(),
            if self.target.accept_new_host_key {
                "StrictHostKeyChecking=accept-new".into()
            } else {
                "StrictHostKeyChecking=yes".into()
            },
            "-o".into(),
            format!("UserKnownHostsFile={}", self.target.known_hosts.display()),
            "-o".into(),
            "GlobalKnownHostsFile=/dev/null".into(),
            "-o".into(),
            format!("ConnectTimeout={}", self.options.connect_timeout.as_secs().max(1)),
            "-o".into(),
            "ServerAliveInterval=15".into(),
            "-o".into(),
            "ServerAliveCountMax=3".into(),
            // Locale variables would make remote tools (sort, git) behave differently.
            "-o".into(),
            "SendEnv=-*".into(),
            "-S".into(),
            self.control_path.display().to_string(),
        ];
        if let Some(identity) = &self.target.identity_file {
            args.extend(["-o".into(), "IdentitiesOnly=yes".into(), "-i".into()]);
            args.push(identity.display().to_string());
        }
        args
    }

    fn destination(&self) -> String {
        format!("{}@{}", self.target.user, self.target.host)
    }

    /// Starts the master connection if it is not running. Errors name what failed (host key,
    /// authentication, network) from ssh's own message.
    async fn ensure_master(&self) -> Result<(), HostError> {
        let mut master = self.master.lock().await;
        if let Some(child) = master.as_mut() {
            match child.try_wait() {
                Ok(None) if self.control_path.exists() => return Ok(()),
                _ => {
                    let _ = child.start_kill();
                    *master = None;
                }
            }
        }
        let _ = std::fs::remove_file(&self.control_path);
        let mut command = Command::new(&self.options.program);
        command
            .args(["-M", "-N", "-T", "-o", "ControlMaster=yes", "-o", "ControlPersist=no"])
            .args(self.common_args())
            .arg(self.destination())
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|source| HostError::Spawn {
            command: format!("{} (ssh master)", self.options.program.display()),
            source,
        })?;
        // The master is ready when its socket exists; it failed when it exits first.
        let deadline = tokio::time::Instant::now() + self.options.connect_timeout;
        loop {
            if self.control_path.exists() {
                *master = Some(child);
                return Ok(());
            }
            if let Ok(Some(_)) = child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    use tokio::io::AsyncReadExt;
                    let _ = pipe.read_to_string(&mut stderr).await;
                }
                return Err(HostError::Transport { detail: ssh_failure_detail(&stderr) });
            }
            if tokio::time::Instant::now() >= deadline {
                let _ = child.start_kill();
                return Err(HostError::Transport {
                    detail: format!(
                        "no SSH connection to {} within {} s",
                        self.target.host,
                        self.options.connect_timeout.as_secs()
                    ),
                });
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The remote command string for `cmd` under this login's quoting regime.
    pub fn remote_command(&self, cmd: &DokkuCommand) -> Result<String, HostError> {
        match self.target.quoting {
            Quoting::DokkuXargs => encode_for_dokku(&cmd.argv()),
            Quoting::PosixShell => Ok(encode_for_shell(&cmd.argv())),
            Quoting::PosixShellSudo => Ok(format!("sudo -n {}", encode_for_shell(&cmd.argv()))),
        }
    }
}

impl SshExecutor {
    /// Runs the remote command string `remote` on the master connection; `label` names it in
    /// errors (secrets masked).
    async fn run_remote(
        &self,
        remote: String,
        stdin_data: Option<&[u8]>,
        label: String,
    ) -> Result<Output, HostError> {
        self.ensure_master().await?;
        let mut command = Command::new(&self.options.program);
        command.args(["-T", "-o", "ControlMaster=no"]).args(self.common_args());
        if stdin_data.is_none() {
            command.arg("-n");
        }
        command
            .arg(self.destination())
            .arg("--")
            .arg(remote)
            .env("LC_ALL", "C")
            .stdin(if stdin_data.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .map_err(|source| HostError::Spawn { command: label.clone(), source })?;
        if let (Some(data), Some(mut stdin)) = (stdin_data, child.stdin.take()) {
            let _ = stdin.write_all(data).await;
            drop(stdin);
        }
        let out = match tokio::time::timeout(self.options.command_timeout, child.wait_with_output())
            .await
        {
            Ok(Ok(out)) => out,
            Ok(Err(source)) => return Err(HostError::Spawn { command: label, source }),
            Err(_) => {
                return Err(HostError::Timeout {
                    command: label,
                    after: self.options.command_timeout,
                });
            }
        };
        let status = out.status.code().unwrap_or(255);
        let stderr = text(out.stderr);
        // 255 is ssh's own failure; Dokku never exits with it.
        if status == 255 {
            // A dead master is restarted by the next command.
            return Err(HostError::Transport { detail: ssh_failure_detail(&stderr) });
        }
        Ok(Output { status, stdout: text(out.stdout), stderr })
    }
}

#[async_trait]
impl Executor for SshExecutor {
    async fn run(&self, cmd: &DokkuCommand) -> Result<Output, HostError> {
        cmd.validate().map_err(|e| HostError::Unsendable { reason: e.to_string() })?;
        let remote = self.remote_command(cmd)?;
        self.run_remote(remote, cmd.stdin_data(), cmd.to_string()).await
    }

    async fn run_shell(&self, script: &str) -> Option<Result<Output, HostError>> {
        if self.target.quoting == Quoting::DokkuXargs {
            return None;
        }
        Some(self.run_remote(script.to_string(), None, script.to_string()).await)
    }

    fn kind(&self) -> &'static str {
        "ssh"
    }

    async fn close(&self) {
        if let Some(mut child) = self.master.lock().await.take() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
        let _ = std::fs::remove_file(&self.control_path);
    }
}

/// ssh's diagnostic, without the noise of "Warning: Permanently added ..." lines.
fn ssh_failure_detail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Warning: Permanently added"))
        .collect();
    if lines.is_empty() { "the SSH connection failed".to_string() } else { lines.join("; ") }
}

fn short_hash(s: &str) -> u64 {
    // FNV-1a: stable across runs, which DefaultHasher is not guaranteed to be.
    s.bytes().fold(0xcbf29ce484222325, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

/// Whether coreutils `echo` (which xargs runs on each word) would take `word` as its options
/// and not print it: `-` followed only by `n`, `e` and `E`, or exactly `--help` / `--version`.
fn eaten_by_echo(word: &str) -> bool {
    let echo_flags = word.len() > 1
        && word.starts_with('-')
        && word[1..].chars().all(|c| matches!(c, 'n' | 'e' | 'E'));
    echo_flags || word == "--help" || word == "--version"
}

/// A word inside `arg` (after whitespace) that starts with `--`. sshcommand's forced command
/// expands `$SSH_ORIGINAL_COMMAND` unquoted, so the shell splits the whole command line on
/// whitespace, and `dokku` runs its global-flag parser over every resulting word before its own
/// `xargs` re-parse: `--trace` turns on shell tracing of everything (secrets included), `--app x`
/// sets the app of plugin commands, and any `--word` joins the flags plugins read. The first word
/// of an argument is safe: the quote the encoding puts before it is part of the word.
fn flag_word(arg: &str) -> Option<&str> {
    arg.split([' ', '\t']).skip(1).find(|word| word.starts_with("--"))
}

/// Encodes arguments for `ssh dokku@host -- <string>`, so that Dokku's `xargs -n 1` re-parse
/// yields exactly `args`, or refuses what cannot arrive unaltered (see the module docs).
pub fn encode_for_dokku(args: &[&str]) -> Result<String, HostError> {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if arg.contains('\n') {
            return Err(HostError::Unsendable {
                reason: format!(
                    "argument {} contains a newline, which Dokku cannot receive over SSH",
                    i + 1
                ),
            });
        }
        if arg.contains('\0') {
            return Err(HostError::Unsendable {
                reason: format!("argument {} contains a NUL byte", i + 1),
            });
        }
        if eaten_by_echo(arg) {
            return Err(HostError::Unsendable {
                reason: format!(
                    "the value `{arg}` cannot be sent to Dokku over SSH (its command re-parse would \
                     drop it)"
                ),
            });
        }
        if let Some(word) = flag_word(arg) {
            return Err(HostError::Unsendable {
                reason: format!(
                    "argument {} holds the word `{word}`: over SSH, Dokku reads every word that \
                     starts with `--` as one of its own flags (`--trace`, `--app`, ...), so a value \
                     sent over SSH may not have a word starting with `--` after a space",
                    i + 1
                ),
            });
        }
        if i > 0 {
            out.push(' ');
        }
        out.push('\'');
        out.push_str(&arg.replace('\'', r#"'"'"'"#));
        out.push('\'');
    }
    // GNU xargs drops an empty quoted word at the very end of its input (`'a' ''` yields one
    // word); found by the property test below.
    if args.len() > 1 && args.last().is_some_and(|a| a.is_empty()) {
        return Err(HostError::Unsendable {
            reason: "an empty last argument cannot be sent to Dokku over SSH".into(),
        });
    }
    if out.len() > MAX_COMMAND_BYTES {
        return Err(HostError::Unsendable {
            reason: format!("the command is longer than {MAX_COMMAND_BYTES} bytes"),
        });
    }
    Ok(out)
}

/// Encodes `dokku <args>` for a POSIX shell (the root login).
pub fn encode_for_shell(args: &[&str]) -> String {
    let mut out = String::from("dokku");
    for arg in args {
        out.push_str(" '");
        out.push_str(&arg.replace('\'', r"'\''"));
        out.push('\'');
    }
    out
}

/// Makes sure a `known_hosts` file for `host` exists that holds a key matching `fingerprint`
/// (`SHA256:...`), fetching the host's keys with `ssh-keyscan`. Used for pinned fingerprints.
pub async fn pin_host_key(
    keyscan: &Path,
    keygen: &Path,
    host: &str,
    port: u16,
    fingerprint: &str,
    known_hosts: &Path,
) -> Result<(), HostError> {
    let scan = Command::new(keyscan)
        .args(["-p", &port.to_string(), "-T", "10", host])
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|source| HostError::Spawn { command: "ssh-keyscan".into(), source })?;
    let lines = text(scan.stdout);
    for line in lines.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let mut child = Command::new(keygen)
            .args(["-l", "-E", "sha256", "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| HostError::Spawn { command: "ssh-keygen".into(), source })?;
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(line.as_bytes()).await;
        }
        let out = child
            .wait_with_output()
            .await
            .map_err(|source| HostError::Spawn { command: "ssh-keygen".into(), source })?;
        let listed = text(out.stdout);
        if listed.split_whitespace().nth(1) == Some(fingerprint) {
            if let Some(dir) = known_hosts.parent() {
                std::fs::create_dir_all(dir).map_err(|source| HostError::Spawn {
                    command: format!("creating {}", dir.display()),
                    source,
                })?;
            }
            std::fs::write(known_hosts, format!("{line}\n")).map_err(|source| {
                HostError::Spawn { command: format!("writing {}", known_hosts.display()), source }
            })?;
            return Ok(());
        }
    }
    Err(HostError::Transport {
        detail: format!(
            "{host}:{port} offered no host key with the pinned fingerprint {fingerprint}"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::Strategy;

    #[test]
    fn quotes_every_argument_for_xargs() {
        assert_eq!(
            encode_for_dokku(&["config:set", "app", "K=a b"]).unwrap(),
            "'config:set' 'app' 'K=a b'"
        );
        assert_eq!(encode_for_dokku(&["it's"]).unwrap(), r#"'it'"'"'s'"#);
        assert_eq!(encode_for_dokku(&[""]).unwrap(), "''");
    }

    #[test]
    fn refuses_what_xargs_and_echo_would_change() {
        for bad in ["a\nb", "-n", "-e", "-E", "-nE", "-een", "--help", "--version", ""] {
            assert!(
                matches!(encode_for_dokku(&["x", bad]), Err(HostError::Unsendable { .. })),
                "{bad:?}"
            );
        }
        // Dashes that echo does not treat as its own options pass.
        for ok in ["-", "--", "-x", "-nx", "--force", "--no-restart", "-ne5"] {
            assert!(encode_for_dokku(&["x", ok]).is_ok(), "{ok:?}");
        }
        let long = "a".repeat(MAX_COMMAND_BYTES);
        assert!(encode_for_dokku(&[&long]).is_err());
    }

    /// The words Dokku's global-flag parser sees over SSH: sshcommand's forced command expands
    /// `$SSH_ORIGINAL_COMMAND` unquoted, so the real shell splits it (globbing off, to not depend
    /// on the directory), and every word starting with `--` is a flag to `dokku`.
    fn global_flag_words(remote: &str) -> Vec<String> {
        let out = std::process::Command::new("bash")
            .args(["-c", r#"set -f; for w in $1; do case "$w" in --*) echo "$w";; esac; done"#])
            .args(["split", remote])
            .output()
            .expect("bash is installed");
        String::from_utf8(out.stdout).unwrap().lines().map(String::from).collect()
    }

    #[test]
    fn words_that_dokku_would_take_for_its_own_flags_are_refused() {
        // Over SSH, `x --trace --app other y` would turn on DOKKU_TRACE (which traces the
        // plugin's mkpasswd call, password included) and set DOKKU_APP_NAME.
        let password = "x --trace --app other y";
        let remote = ["http-auth:add-user", "app", "bob", password].map(String::from);
        let unguarded = remote.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(" ");
        assert_eq!(global_flag_words(&unguarded), ["--trace", "--app"]);
        for bad in [password, "a\t--force", "a --no-restart", "a --"] {
            let err = encode_for_dokku(&["x", bad]).unwrap_err();
            assert!(err.to_string().contains("starts with `--`"), "{bad:?}: {err}");
        }
        // A whole argument that starts with `--` is quoted, which protects it; so is `a--b`.
        for ok in ["--force", "a--b c-- d", "-- x"] {
            let remote = encode_for_dokku(&["x", ok]).unwrap();
            assert!(global_flag_words(&remote).is_empty(), "{ok:?}");
        }
    }

    #[test]
    fn shell_quoting_for_the_root_login() {
        assert_eq!(
            encode_for_shell(&["ssh-keys:add", "a b", "it's"]),
            r"dokku 'ssh-keys:add' 'a b' 'it'\''s'"
        );
        let options = SshOptions {
            program: "ssh".into(),
            control_dir: "/tmp".into(),
            connect_timeout: Duration::from_secs(1),
            command_timeout: Duration::from_secs(1),
        };
        let sudoer = SshExecutor::new(
            SshTarget {
                host: "h".into(),
                port: 22,
                user: "admin".into(),
                identity_file: None,
                known_hosts: "/dev/null".into(),
                accept_new_host_key: false,
                quoting: Quoting::PosixShellSudo,
            },
            options,
        );
        let cmd = DokkuCommand::new("ssh-keys:remove").with_args(["--fingerprint", "SHA256:x'y"]);
        assert_eq!(
            sudoer.remote_command(&cmd).unwrap(),
            r"sudo -n dokku 'ssh-keys:remove' '--fingerprint' 'SHA256:x'\''y'"
        );
    }

    #[test]
    fn failure_details_drop_the_known_hosts_noise() {
        let stderr = "Warning: Permanently added '[127.0.0.1]:2222' (ED25519) to the list of known hosts.\r\nHost key verification failed.\r\n";
        assert_eq!(ssh_failure_detail(stderr), "Host key verification failed.");
        assert_eq!(ssh_failure_detail(""), "the SSH connection failed");
    }

    /// Decodes a command string the way Dokku does over SSH: `printf '%s' "$cmd" | xargs -n 1`,
    /// with the real GNU xargs and echo, one word per output line.
    fn dokku_reparse(remote: &str) -> Vec<String> {
        let out = std::process::Command::new("bash")
            .args(["-c", r#"printf '%s' "$1" | xargs -n 1"#, "reparse", remote])
            .env("LC_ALL", "C")
            .output()
            .expect("bash and xargs are installed");
        assert!(out.status.success(), "xargs failed: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).expect("UTF-8 in, UTF-8 out");
        text.strip_suffix('\n').unwrap_or(&text).split('\n').map(String::from).collect()
    }

    #[test]
    fn the_hostile_classics_arrive_unaltered() {
        let args = [
            "config:set",
            "app",
            "K=a b",
            r#"Q="double" 'single' \back\slash"#,
            "$(reboot)",
            "`id`",
            "; rm -rf / ;",
            "a && b || c | d > e < f",
            "*",
            "--force",
            "-x",
            "",
            "tab\there",
            "ünïcödé ✓ 🚀",
            "it's",
        ];
        let remote = encode_for_dokku(&args).unwrap();
        assert_eq!(dokku_reparse(&remote), args);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any argument list either arrives byte-identical after Dokku's re-parse, or is refused
        /// with a reason. Never altered, never interpreted.
        #[test]
        fn arguments_arrive_byte_identical_or_are_refused(
            args in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::string::string_regex("[ -~]{0,24}").unwrap(),
                    proptest::string::string_regex("(-[neEx]{1,3}|--help|--version|--[a-z]{1,6})").unwrap(),
                    proptest::string::string_regex("[a-z]{0,3}[ \t]--[a-z]{0,6}[ a-z]{0,4}").unwrap(),
                    proptest::string::string_regex("[\\'\"$`;|&<>*?(){} \t\r\n\u{1}\u{7f}é🚀-]{0,12}").unwrap(),
                    proptest::prelude::any::<String>().prop_map(|s| s.replace('\0', "")),
                ],
                1..6,
            )
        ) {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            match encode_for_dokku(&refs) {
                Ok(remote) => {
                    proptest::prop_assert!(global_flag_words(&remote).is_empty(), "{}", remote);
                    proptest::prop_assert_eq!(dokku_reparse(&remote), args);
                }
                Err(HostError::Unsendable { reason }) => {
                    proptest::prop_assert!(
                        args.iter().any(|a| a.contains('\n')
                            || eaten_by_echo(a)
                            || flag_word(a).is_some())
                            || (args.len() > 1 && args.last().is_some_and(String::is_empty)),
                        "refused without cause: {}", reason
                    );
                }
                Err(other) => proptest::prop_assert!(false, "unexpected error {}", other),
            }
        }
    }
}
