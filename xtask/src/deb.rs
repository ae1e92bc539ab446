//! `cargo xtask deb`: the Debian package `dokku-pro-api_<version>_<arch>.deb`, in `target/deb/`.
//!
//! The package is assembled here and built with `dpkg-deb`, rather than with cargo-deb, because
//! everything it needs is already on a Debian machine (dpkg-dev for `dpkg-shlibdeps`, binutils'
//! `strip`) and nothing has to be compiled or fetched first: cargo-deb would be one more tool
//! to build in every cold CI run, with its own dependency tree outside our lockfile, to do what
//! a page of code does. The files are laid out exactly (the sudoers drop-in must be 0440, the
//! configuration and the sudoers rule are conffiles) and lintian checks the result.
//!
//! What goes in (sources in `server/debian/`):
//!
//! | path | from |
//! |---|---|
//! | `/usr/bin/dokku-pro-api` | the release build, stripped |
//! | `/lib/systemd/system/dokku-pro-api.service` | `dokku-pro-api.service` |
//! | `/etc/dokku-pro-api/config.toml` (conffile) | `config.toml` |
//! | `/etc/sudoers.d/dokku-pro-api` (conffile, 0440) | `sudoers` |
//! | `/usr/share/man/man1/dokku-pro-api.1.gz` | `dokku-pro-api.1` |
//! | `/usr/share/doc/dokku-pro-api/` | `copyright`, `changelog` (gzipped), the README, `server/examples/config.toml` |
//! | maintainer scripts | `preinst`, `postinst`, `prerm`, `postrm` |
//!
//! `Depends` is what `dpkg-shlibdeps` finds for the binary, plus `sudo`. The version is the
//! server crate's, which must match the top entry of `changelog`.
//!
//! `--lint` also runs lintian on the package (failing on warnings and errors), `systemd-analyze
//! verify` on the unit (in a root with the package's files, so `ExecStart` and the manual page
//! resolve) and `visudo -c` on the sudoers rule.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

const PACKAGE: &str = "dokku-pro-api";
const SOURCES: &str = "server/debian";
const UNIT: &str = "dokku-pro-api.service";

/// Builds the package and returns its path.
pub fn run(root: &Path, lint: bool) -> Result<PathBuf> {
    let sources = root.join(SOURCES);
    let version = server_version(root)?;
    let changelog = std::fs::read_to_string(sources.join("changelog"))?;
    let top = changelog.lines().next().unwrap_or_default();
    ensure!(
        top.starts_with(&format!("{PACKAGE} ({version})")),
        "{SOURCES}/changelog starts with `{top}`, but the server's version is {version}: add a \
         changelog entry for it"
    );
    let arch = output(Command::new("dpkg").arg("--print-architecture"))?.trim().to_string();

    eprintln!("building the release binary");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["build", "--release", "--locked", "-p", "dokku-pro-server", "--bin", PACKAGE])
        .status()
        .context("running cargo build")?;
    ensure!(status.success(), "cargo build --release failed");
    let target_dir = target_dir(root)?;
    let binary = target_dir.join("release").join(PACKAGE);

    let out_dir = target_dir.join("deb");
    let stage = out_dir.join(format!("{PACKAGE}_{version}_{arch}"));
    if stage.exists() {
        std::fs::remove_dir_all(&stage)?;
    }
    let doc = format!("usr/share/doc/{PACKAGE}");
    let files: Vec<(PathBuf, String, u32)> = vec![
        (binary.clone(), format!("usr/bin/{PACKAGE}"), 0o755),
        (sources.join(UNIT), format!("lib/systemd/system/{UNIT}"), 0o644),
        (sources.join("config.toml"), format!("etc/{PACKAGE}/config.toml"), 0o644),
        (sources.join("sudoers"), format!("etc/sudoers.d/{PACKAGE}"), 0o440),
        (sources.join("copyright"), format!("{doc}/copyright"), 0o644),
        (root.join("README.md"), format!("{doc}/README.md"), 0o644),
        (root.join("server/examples/config.toml"), format!("{doc}/examples/config.toml"), 0o644),
    ];
    for (from, to, mode) in &files {
        install(from, &stage.join(to), *mode)?;
    }
    let strip = Command::new("strip")
        .args(["--remove-section=.comment", "--remove-section=.note", "--strip-unneeded"])
        .arg(stage.join(format!("usr/bin/{PACKAGE}")))
        .status()
        .context("running strip (binutils)")?;
    ensure!(strip.success(), "strip failed");
    gzip_into(&sources.join("changelog"), &stage.join(format!("{doc}/changelog.gz")))?;
    gzip_into(
        &sources.join("dokku-pro-api.1"),
        &stage.join(format!("usr/share/man/man1/{PACKAGE}.1.gz")),
    )?;

    let debian = stage.join("DEBIAN");
    std::fs::create_dir_all(&debian)?;
    for script in ["preinst", "postinst", "prerm", "postrm"] {
        install(&sources.join(script), &debian.join(script), 0o755)?;
    }
    std::fs::write(
        debian.join("conffiles"),
        format!("/etc/{PACKAGE}/config.toml\n/etc/sudoers.d/{PACKAGE}\n"),
    )?;
    let (md5sums, installed_kib) = md5sums(&stage)?;
    std::fs::write(debian.join("md5sums"), md5sums)?;
    let depends = format!("{}, sudo", shlib_depends(&stage.join(format!("usr/bin/{PACKAGE}")))?);
    std::fs::write(debian.join("control"), control(&version, &arch, &depends, installed_kib))?;
    set_dir_modes(&stage)?;

    let deb = out_dir.join(format!("{PACKAGE}_{version}_{arch}.deb"));
    let status = Command::new("dpkg-deb")
        .args(["--root-owner-group", "-Zxz", "--build"])
        .arg(&stage)
        .arg(&deb)
        .status()
        .context("running dpkg-deb")?;
    ensure!(status.success(), "dpkg-deb --build failed");
    println!("{}", deb.display());

    if lint {
        lint_package(&deb, &stage)?;
    }
    Ok(deb)
}

fn control(version: &str, arch: &str, depends: &str, installed_kib: u64) -> String {
    format!(
        "Package: {PACKAGE}\n\
         Version: {version}\n\
         Architecture: {arch}\n\
         Maintainer: dokku-pro-api developers <dokku-pro-api@example.org>\n\
         Installed-Size: {installed_kib}\n\
         Depends: {depends}\n\
         Recommends: dokku (>= 0.34.0)\n\
         Section: admin\n\
         Priority: optional\n\
         Description: Dokku Pro REST API server for a Dokku host\n \
         dokku-pro-api serves the Dokku Pro REST API (apps, domains, environment\n \
         variables, buildpacks, process scaling, resources, services, HTTP auth,\n \
         maintenance mode, SSH keys, background jobs) and carries out each\n \
         operation with Dokku's own commands.\n \
         .\n \
         This package runs it as a systemd service on the Dokku host itself, as the\n \
         dokku user, listening on 127.0.0.1:5000. A sudoers rule lets it run the two\n \
         Dokku commands that need root (ssh-keys:add and ssh-keys:remove) and\n \
         nothing else.\n"
    )
}

/// The `shlibs:Depends` value `dpkg-shlibdeps` computes for `binary` (it wants a
/// `debian/control` beside it, which a scratch directory provides).
fn shlib_depends(binary: &Path) -> Result<String> {
    let scratch = tempfile::tempdir()?;
    std::fs::create_dir(scratch.path().join("debian"))?;
    std::fs::write(
        scratch.path().join("debian/control"),
        format!("Source: {PACKAGE}\n\nPackage: {PACKAGE}\nArchitecture: any\n"),
    )?;
    let text = output(
        Command::new("dpkg-shlibdeps")
            .current_dir(scratch.path())
            .arg("-O")
            .arg(format!("-e{}", binary.display())),
    )?;
    text.lines()
        .find_map(|l| l.strip_prefix("shlibs:Depends="))
        .map(str::to_string)
        .context("dpkg-shlibdeps printed no shlibs:Depends")
}

fn lint_package(deb: &Path, stage: &Path) -> Result<()> {
    eprintln!("lintian {}", deb.display());
    // Lintian's tags for a package built outside a Debian source tree (there is no .changes or
    // .dsc to check) are all that apply; any warning or error fails.
    let lintian = Command::new("lintian")
        .args(["--fail-on", "error,warning", "--display-info", "--tag-display-limit", "0"])
        .arg(deb)
        .status()
        .context("running lintian (apt-get install lintian)")?;
    ensure!(lintian.success(), "lintian found problems (above)");

    eprintln!("systemd-analyze verify {UNIT}");
    // In a root that holds this machine's system units (the targets the unit hooks into) and
    // the package's files (so ExecStart resolves, and man: finds the manual page).
    let root = tempfile::tempdir()?;
    let units = std::fs::canonicalize("/lib/systemd/system")
        .context("this machine has no /lib/systemd/system (apt-get install systemd)")?;
    std::fs::create_dir_all(root.path().join("lib/systemd/system"))?;
    for (from, to) in [(units.as_path(), "lib/systemd/system"), (stage, "")] {
        let status = Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", from.display()))
            .arg(root.path().join(to))
            .status()?;
        ensure!(status.success(), "copying {} for systemd-analyze failed", from.display());
    }
    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .arg(format!("--root={}", root.path().display()))
        .arg(root.path().join(format!("lib/systemd/system/{UNIT}")))
        .env("MANPATH", root.path().join("usr/share/man"))
        .output()
        .context("running systemd-analyze (apt-get install systemd)")?;
    let complaints = String::from_utf8_lossy(&verify.stderr).to_string()
        + &String::from_utf8_lossy(&verify.stdout);
    eprint!("{complaints}");
    ensure!(
        verify.status.success() && complaints.trim().is_empty(),
        "systemd-analyze verify complained about {UNIT} (above)"
    );

    eprintln!("visudo -c {PACKAGE} sudoers");
    let visudo = Command::new("visudo")
        .arg("-cf")
        .arg(stage.join(format!("etc/sudoers.d/{PACKAGE}")))
        .status()
        .context("running visudo (apt-get install sudo)")?;
    ensure!(visudo.success(), "visudo refused the sudoers rule");
    Ok(())
}

fn server_version(root: &Path) -> Result<String> {
    let metadata = output(
        Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .current_dir(root)
            .args(["metadata", "--format-version", "1", "--no-deps", "--locked"]),
    )?;
    let metadata: serde_json::Value = serde_json::from_str(&metadata)?;
    metadata["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|p| p["name"] == "dokku-pro-server"))
        .and_then(|p| p["version"].as_str())
        .map(str::to_string)
        .context("cargo metadata has no dokku-pro-server package")
}

/// The cargo target directory (`CARGO_TARGET_DIR` or `target/`).
pub fn target_dir(root: &Path) -> Result<PathBuf> {
    Ok(std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from))
}

fn install(from: &Path, to: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(to.parent().expect("a file in a directory"))?;
    std::fs::copy(from, to).with_context(|| format!("copying {}", from.display()))?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

/// `gzip -9n`: maximum compression, no name or timestamp in the header (reproducible, and what
/// lintian expects of changelogs and manual pages).
fn gzip_into(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to.parent().expect("a file in a directory"))?;
    let out = Command::new("gzip").args(["-9n", "-c"]).arg(from).output()?;
    ensure!(out.status.success(), "gzip {} failed", from.display());
    let mut file = std::fs::File::create(to)?;
    file.write_all(&out.stdout)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o644))?;
    Ok(())
}

/// `DEBIAN/md5sums` for every file outside `DEBIAN/` (conffiles included, as dh_md5sums does
/// since dpkg tracks conffile hashes separately), and the installed size in KiB.
fn md5sums(stage: &Path) -> Result<(String, u64)> {
    let mut files = Vec::new();
    walk(stage, &mut files)?;
    files.sort();
    let mut list = String::new();
    let mut kib = 0;
    for file in files {
        let relative = file.strip_prefix(stage)?.to_string_lossy().into_owned();
        if relative.starts_with("DEBIAN/") {
            continue;
        }
        let sum = output(Command::new("md5sum").arg(&file))?;
        let hash = sum.split_whitespace().next().context("md5sum printed nothing")?;
        list.push_str(&format!("{hash}  {relative}\n"));
        kib += std::fs::metadata(&file)?.len().div_ceil(1024);
    }
    Ok((list, kib))
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() { walk(&path, files)? } else { files.push(path) }
    }
    Ok(())
}

fn set_dir_modes(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            set_dir_modes(&path)?;
        }
    }
    Ok(())
}

fn output(command: &mut Command) -> Result<String> {
    let out = command.output().with_context(|| format!("running {command:?}"))?;
    if !out.status.success() {
        bail!("{command:?} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8(out.stdout)?)
}
