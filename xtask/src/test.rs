//! `cargo xtask test`: the project's one test command. It makes sure the machine has what the
//! tests use, then runs every Rust test (`cargo test --workspace`) and Schemathesis against the
//! server (`tests/schemathesis/run.sh`), and closes with one line counting both.
//!
//! The tests use real components rather than fakes (an OpenSSH server, `ssh-keygen`, GNU
//! `xargs`, headless Chromium, Python for Schemathesis), so a missing tool must never show up
//! as a failing test. Missing Debian packages are installed with apt-get when this runs as root
//! on Debian; otherwise it stops before building anything and prints the exact `apt-get
//! install` line. Schemathesis (pinned in `tests/schemathesis/requirements.txt`) goes into a
//! virtualenv under the target directory, reused while the requirements file is unchanged.
//!
//! Tests that need the real Dokku of the test environment skip loudly without it (see the
//! tests crate's `real_dokku` module); the closing line counts those skips, so a run without
//! real Dokku cannot pass for a run with it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail, ensure};

/// A tool the tests use and the Debian package that provides it.
struct Requirement {
    /// What is checked: a program on `PATH` or an absolute path.
    check: Check,
    package: &'static str,
    used_by: &'static str,
}

enum Check {
    Program(&'static str),
    Path(&'static str),
    /// Python 3 with `venv` and `ensurepip` (Debian splits them into python3-venv).
    PythonVenv,
}

const REQUIREMENTS: &[Requirement] = &[
    Requirement {
        check: Check::Path("/usr/sbin/sshd"),
        package: "openssh-server",
        used_by: "the SSH executor tests (a real sshd on 127.0.0.1)",
    },
    Requirement {
        check: Check::Program("ssh"),
        package: "openssh-client",
        used_by: "the SSH executor",
    },
    Requirement {
        check: Check::Program("ssh-keygen"),
        package: "openssh-client",
        used_by: "the SSH executor tests (keys, fingerprints)",
    },
    Requirement {
        check: Check::Program("ssh-keyscan"),
        package: "openssh-client",
        used_by: "host key pinning",
    },
    Requirement {
        check: Check::Program("xargs"),
        package: "findutils",
        used_by: "the SSH quoting tests (Dokku's xargs re-parse)",
    },
    Requirement {
        check: Check::Program("pkill"),
        package: "procps",
        used_by: "the SSH reconnection test",
    },
    Requirement {
        check: Check::Program("objdump"),
        package: "binutils",
        used_by: "the container image test (the libraries the binary needs)",
    },
    Requirement {
        check: Check::Program("curl"),
        package: "curl",
        used_by: "tests/schemathesis/run.sh",
    },
    Requirement { check: Check::Program("python3"), package: "python3", used_by: "Schemathesis" },
    Requirement {
        check: Check::PythonVenv,
        package: "python3-venv",
        used_by: "Schemathesis's virtualenv",
    },
    Requirement {
        check: Check::Path("/usr/bin/chromium"),
        package: "chromium",
        used_by: "the API reference page test (headless Chromium)",
    },
    Requirement {
        check: Check::Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
        package: "fonts-liberation",
        used_by: "text in Chromium's screenshots",
    },
    Requirement { check: Check::Program("wrk"), package: "wrk", used_by: "cargo xtask bench" },
    Requirement {
        check: Check::Program("mkfs.ext4"),
        package: "e2fsprogs",
        used_by: "the read-only data directory test (a loop-mounted ext4)",
    },
    Requirement {
        check: Check::Program("nsenter"),
        package: "util-linux",
        used_by: "the read-only data directory test (unshare, nsenter, findmnt)",
    },
];

impl Check {
    fn present(&self) -> bool {
        match self {
            Check::Program(name) => on_path(name),
            Check::Path(path) => Path::new(path).exists(),
            Check::PythonVenv => Command::new("python3")
                .args(["-c", "import ensurepip, venv"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success()),
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Check::Program(name) | Check::Path(name) => name,
            Check::PythonVenv => "python3 -m venv",
        }
    }
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(dir.join(name))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

pub struct TestOptions {
    /// Never install anything: report what is missing and stop.
    pub no_install: bool,
    pub schemathesis: bool,
    /// Extra arguments for `cargo test` (test name filters, `--nocapture`, ...).
    pub cargo_args: Vec<String>,
}

pub fn run(root: &Path, options: &TestOptions) -> Result<()> {
    ensure_tools(options.no_install)?;
    let venv = crate::deb::target_dir(root)?.join("schemathesis-venv");
    if options.schemathesis {
        ensure_venv(root, &venv)?;
    }

    step("cargo test --workspace");
    let rust = cargo_test(root, &options.cargo_args)?;
    // A loud skip passes in libtest's count; here it is counted as what it is.
    let mut summary = format!(
        "tests: {} passed, {} failed, {} ignored, {} skipped",
        rust.passed - rust.skipped as u64,
        rust.failed,
        rust.ignored,
        rust.skipped
    );
    if !rust.success {
        println!("\n{summary}");
        bail!("cargo test failed");
    }

    if options.schemathesis {
        step("Schemathesis against the server (tests/schemathesis/run.sh)");
        let started = std::time::Instant::now();
        let (ok, output) = tee(Command::new(root.join("tests/schemathesis/run.sh"))
            .current_dir(root)
            .env("SCHEMATHESIS_VENV", &venv))?;
        let cases = output
            .lines()
            // run.sh prints one `schemathesis test cases (<label> document): <counts>` per run.
            .filter_map(|l| l.strip_prefix("schemathesis test cases ("))
            .filter_map(|l| l.split_once("): "))
            .map(|(label, counts)| format!("{label}: {}", counts.trim()))
            .collect::<Vec<_>>()
            .join(" + ");
        println!("schemathesis step: {} s", started.elapsed().as_secs());
        summary.push_str(&format!(
            "; schemathesis: {}{}",
            if cases.is_empty() { "no cases reported" } else { &cases },
            if ok { "" } else { ", FAILED" }
        ));
        if !ok {
            println!("\n{summary}");
            bail!("Schemathesis failed");
        }
    }
    println!("\n{summary}");
    Ok(())
}

fn step(title: &str) {
    println!("\n=== {title}");
}

/// Installs the missing Debian packages (as root), or stops saying exactly what to install.
fn ensure_tools(no_install: bool) -> Result<()> {
    let missing = missing_from(REQUIREMENTS);
    if !missing.is_empty() {
        if no_install || !is_root() || !on_path("apt-get") {
            bail!("{}", cannot_install(&missing));
        }
        let packages = packages(&missing);
        step(&format!("installing {}", packages.join(" ")));
        eprintln!("{}", listing(&missing));
        apt_get(&["update", "-qq"])?;
        let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
        install.extend(&packages);
        apt_get(&install)?;
        let still = missing_from(REQUIREMENTS);
        ensure!(still.is_empty(), "still missing after apt-get install:\n{}", listing(&still));
    }
    // sshd, started as root, insists on its privilege separation directory, which only a
    // booted system (tmpfiles.d) or the service creates.
    if is_root() && !Path::new("/run/sshd").exists() {
        std::fs::create_dir_all("/run/sshd").context("creating /run/sshd")?;
    }
    Ok(())
}

fn missing_from(requirements: &[Requirement]) -> Vec<&Requirement> {
    requirements.iter().filter(|r| !r.check.present()).collect()
}

/// The Debian packages that provide `missing`, each once, sorted.
fn packages<'a>(missing: &[&'a Requirement]) -> Vec<&'a str> {
    let mut packages: Vec<&str> = missing.iter().map(|r| r.package).collect();
    packages.sort();
    packages.dedup();
    packages
}

/// One line per missing tool: what it is, its package, what needs it.
fn listing(missing: &[&Requirement]) -> String {
    missing
        .iter()
        .map(|r| format!("  {} ({}): {}", r.check.describe(), r.package, r.used_by))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The error when tools are missing and this run may not install them.
fn cannot_install(missing: &[&Requirement]) -> String {
    format!(
        "the tests need tools this machine does not have:\n{}\n\
         Install them (Debian) and run again:\n  \
         sudo apt-get install -y --no-install-recommends {}",
        listing(missing),
        packages(missing).join(" ")
    )
}

fn apt_get(args: &[&str]) -> Result<()> {
    let status = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdout(Stdio::null())
        .status()
        .context("running apt-get")?;
    ensure!(status.success(), "apt-get {} failed", args.join(" "));
    Ok(())
}

/// A virtualenv with the pinned Schemathesis, rebuilt only when the requirements change.
fn ensure_venv(root: &Path, venv: &Path) -> Result<()> {
    let requirements = root.join("tests/schemathesis/requirements.txt");
    let stamp = venv.join("requirements.installed");
    let python = venv.join("bin/python");
    let usable = Command::new(&python).arg("-c").arg("").status().is_ok_and(|s| s.success());
    if !usable {
        step("Schemathesis virtualenv");
        if venv.exists() {
            std::fs::remove_dir_all(venv)?;
        }
        let status = Command::new("python3").arg("-m").arg("venv").arg(venv).status()?;
        ensure!(status.success(), "python3 -m venv {} failed", venv.display());
    }
    let wanted = std::fs::read(&requirements)?;
    if std::fs::read(&stamp).ok().as_deref() != Some(&wanted[..]) {
        step("pip install -r tests/schemathesis/requirements.txt");
        let status = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements)
            .status()?;
        ensure!(status.success(), "pip install of Schemathesis failed");
        std::fs::write(&stamp, wanted)?;
    }
    Ok(())
}

struct RustTotals {
    success: bool,
    passed: u64,
    failed: u64,
    ignored: u64,
    skipped: usize,
}

fn cargo_test(root: &Path, extra: &[String]) -> Result<RustTotals> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(root).args(["test", "--workspace", "--locked"]).args(extra);
    let (success, output) = tee(&mut command)?;
    let (mut passed, mut failed, mut ignored) = (0, 0, 0);
    for line in output.lines() {
        // test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; ...
        let Some(rest) = line.strip_prefix("test result: ") else { continue };
        for part in rest.split(';') {
            let words: Vec<&str> = part.split_whitespace().collect();
            if let [.., n, what] = words[..] {
                let n: u64 = n.parse().unwrap_or(0);
                match what {
                    "passed" => passed += n,
                    "failed" => failed += n,
                    "ignored" => ignored += n,
                    _ => {}
                }
            }
        }
    }
    // The markers a loud skip prints, once per skipped test: `SKIPPED (real Dokku): ...` from the
    // tests crate's `real_dokku::skip`, `SKIPPED: ...` from the server's own integration tests.
    let mut skipped: Vec<&str> = output.lines().filter(|l| l.starts_with("SKIPPED")).collect();
    skipped.sort();
    skipped.dedup();
    Ok(RustTotals { success, passed, failed, ignored, skipped: skipped.len() })
}

/// Runs `command`, copying its stdout and stderr through as they come, and returns whether it
/// succeeded and everything it printed.
fn tee(command: &mut Command) -> Result<(bool, String)> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {command:?}"))?;
    let copy = |pipe: Box<dyn Read + Send>, to_stderr: bool| {
        std::thread::spawn(move || {
            let mut seen = String::new();
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if to_stderr {
                    let _ = writeln!(std::io::stderr(), "{line}");
                } else {
                    let _ = writeln!(std::io::stdout(), "{line}");
                }
                seen.push_str(&line);
                seen.push('\n');
            }
            seen
        })
    };
    let out = copy(Box::new(child.stdout.take().expect("piped")), false);
    let err = copy(Box::new(child.stderr.take().expect("piped")), true);
    let status = child.wait()?;
    let mut text = out.join().expect("the copy thread does not panic");
    text.push_str(&err.join().expect("the copy thread does not panic"));
    Ok((status.success(), text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tools_are_named_with_the_apt_get_line_that_installs_them() {
        let requirements = [
            Requirement {
                check: Check::Path("/nonexistent/sshd"),
                package: "openssh-server",
                used_by: "a real sshd",
            },
            Requirement { check: Check::Path("/"), package: "base-files", used_by: "present" },
            Requirement {
                check: Check::Program("no-such-program-dokku-pro-api"),
                package: "curl",
                used_by: "run.sh",
            },
            Requirement {
                check: Check::Program("no-such-program-dokku-pro-api-2"),
                package: "curl",
                used_by: "run.sh too",
            },
        ];
        let missing = missing_from(&requirements);
        assert_eq!(
            cannot_install(&missing),
            "the tests need tools this machine does not have:\n  \
             /nonexistent/sshd (openssh-server): a real sshd\n  \
             no-such-program-dokku-pro-api (curl): run.sh\n  \
             no-such-program-dokku-pro-api-2 (curl): run.sh too\n\
             Install them (Debian) and run again:\n  \
             sudo apt-get install -y --no-install-recommends curl openssh-server"
        );
    }
}
