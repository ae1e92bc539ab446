//! The generic Go `:report` command (`ParseReportArgs` + `ReportSingleApp` in
//! `plugins/common`): argument rules, the padded stdout rows, the JSON key shapes per version, and
//! single info-flag lookups.

use std::collections::BTreeMap;

use crate::context::Ctx;
use crate::output::{CmdResult, Out, Stop, go_json, uc_first};

/// How one Go plugin renders its report.
pub(crate) struct GoReport {
    /// `app`, `builder`, `buildpacks`, `ps`, `resource`, `scheduler`, `domains`.
    pub report_type: &'static str,
    /// JSON keys lose the `--<type>-` prefix (otherwise only `--`).
    pub json_trim: bool,
    /// With `json_trim`: also emit the `--`-stripped legacy key.
    pub json_legacy: bool,
    /// Stdout row keys lose the `--<type>-` prefix (resource before 0.38.8).
    pub row_trim: bool,
    pub uppercase: bool,
}

impl GoReport {
    /// The shape the apps/builder/buildpacks/ps/scheduler reports have on this version: only the
    /// prefixed keys before 0.38.8, both shapes from then on.
    pub(crate) fn core(ctx: &Ctx, report_type: &'static str) -> GoReport {
        let twins = ctx.v.report_legacy_twins();
        GoReport {
            report_type,
            json_trim: twins,
            json_legacy: twins,
            row_trim: false,
            uppercase: true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Stdout,
    Json,
}

#[derive(Debug)]
pub(crate) struct ReportArgs {
    /// An app name, `--global`, or none (every app).
    pub subject: Option<String>,
    pub format: Format,
    pub info_flag: Option<String>,
    /// More than one info flag: Go discards the parse error and prints nothing.
    pub too_many_flags: bool,
}

/// `ParseReportArgs` scans the arguments by hand rather than through pflag (so not
/// `flags::parse`): an unknown `--<key>` is an info flag, not an error, and `--format` takes the
/// next word as is.
pub(crate) fn parse_args(out: &mut Out, args: &[String]) -> Result<ReportArgs, Stop> {
    let mut subject = None;
    let mut format = None;
    let mut info_flags = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--format" {
            let Some(value) = args.get(i) else {
                return Err(out.flag_error("flag needs an argument: --format"));
            };
            i += 1;
            format = Some(value.clone());
            continue;
        }
        if matches!(arg.as_str(), "--quiet" | "--force" | "--trace") {
            continue;
        }
        if arg == "--global" {
            subject = Some(arg.clone());
        } else if arg.starts_with("--") {
            info_flags.push(arg.clone());
        } else if subject.is_none() {
            subject = Some(arg.clone());
        }
    }
    let format = match format.as_deref() {
        None | Some("stdout") => Format::Stdout,
        Some("json") => Format::Json,
        Some(other) => {
            return Err(out.fail(&format!(
                "Invalid --format value specified: {other}, valid values: stdout, json"
            )));
        }
    };
    let too_many_flags = info_flags.len() > 1;
    let info_flag = if info_flags.len() == 1 { info_flags.pop() } else { None };
    if info_flag.is_some() && format != Format::Stdout {
        return Err(out.fail("--format flag cannot be specified when specifying an info flag"));
    }
    Ok(ReportArgs { subject, format, info_flag, too_many_flags })
}

/// Runs a Go report: for one app, `--global`, or every app when none is given. `collect` returns
/// the `--flag` -> value pairs for an app name (or `--global`).
pub(crate) fn run(
    ctx: &mut Ctx,
    args: &[String],
    report: &GoReport,
    collect: impl Fn(&Ctx, &str) -> Vec<(String, String)>,
) -> CmdResult {
    let parsed = parse_args(&mut ctx.out, args)?;
    if parsed.too_many_flags {
        return Ok(());
    }
    let subjects = match parsed.subject.as_deref() {
        Some("--global") => vec!["--global".to_string()],
        Some(app) => vec![ctx.verify_app(Some(app))?],
        None => {
            let apps: Vec<String> = ctx.state.apps.keys().cloned().collect();
            if apps.is_empty() {
                ctx.out.warn("You haven't deployed any applications yet");
                return Ok(());
            }
            apps
        }
    };
    for subject in subjects {
        let flags = collect(ctx, &subject);
        render(&mut ctx.out, report, &subject, &flags, &parsed)?;
    }
    Ok(())
}

pub(crate) fn render(
    out: &mut Out,
    report: &GoReport,
    subject: &str,
    flags: &[(String, String)],
    args: &ReportArgs,
) -> CmdResult {
    let type_prefix = format!("--{}-", report.report_type);
    if args.format == Format::Json {
        let mut data = BTreeMap::new();
        for (flag, value) in flags {
            let plain = flag.strip_prefix("--").unwrap_or(flag);
            if report.json_trim {
                let trimmed = flag.strip_prefix(type_prefix.as_str()).unwrap_or(plain);
                data.insert(trimmed.to_string(), value.clone());
                if report.json_legacy {
                    data.insert(plain.to_string(), value.clone());
                }
            } else {
                data.insert(plain.to_string(), value.clone());
            }
        }
        out.line(&go_json(&data));
        return Ok(());
    }

    let mut sorted: Vec<&(String, String)> = flags.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(info_flag) = &args.info_flag {
        return match sorted.iter().find(|(flag, _)| flag == info_flag) {
            Some((_, value)) => {
                out.line(value);
                Ok(())
            }
            None => {
                let names: Vec<&str> = sorted.iter().map(|(flag, _)| flag.as_str()).collect();
                Err(out.fail(&format!("Invalid flag passed, valid flags: {}", names.join(", "))))
            }
        };
    }

    let width = sorted.iter().map(|(flag, _)| flag.len()).max().unwrap_or(0).max(31);
    out.info2_quiet(&format!("{subject} {} information", report.report_type));
    for (flag, value) in sorted {
        let stripped = if report.row_trim {
            flag.strip_prefix(type_prefix.as_str()).unwrap_or(flag)
        } else {
            flag.strip_prefix("--").unwrap_or(flag)
        };
        let mut key = stripped.replace(['-', '.'], " ");
        if report.uppercase {
            key = uc_first(&key);
        }
        out.verbose(&format!("{:<width$}{value}", format!("{key}:")));
    }
    Ok(())
}

/// `(flag, value)` pairs from `&str`s.
pub(crate) fn pairs(list: &[(&str, String)]) -> Vec<(String, String)> {
    list.iter().map(|(flag, value)| (flag.to_string(), value.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(trim: bool, legacy: bool) -> GoReport {
        GoReport {
            report_type: "ps",
            json_trim: trim,
            json_legacy: legacy,
            row_trim: false,
            uppercase: true,
        }
    }

    fn json_args() -> ReportArgs {
        ReportArgs { subject: None, format: Format::Json, info_flag: None, too_many_flags: false }
    }

    // The three key shapes of plugins/common/report_test.go (TestReportSingleAppJSONKeys).
    #[test]
    fn json_key_shapes() {
        let flags = pairs(&[
            ("--ps-stop-timeout-seconds", "30".into()),
            ("--ps-restart-policy", "always".into()),
            ("--deployed", "true".into()),
        ]);
        let mut out = Out::default();
        render(&mut out, &report(false, false), "a", &flags, &json_args()).unwrap();
        assert_eq!(
            out.stdout,
            "{\"deployed\":\"true\",\"ps-restart-policy\":\"always\",\"ps-stop-timeout-seconds\":\"30\"}\n"
        );
        let mut out = Out::default();
        render(&mut out, &report(true, false), "a", &flags, &json_args()).unwrap();
        assert_eq!(
            out.stdout,
            "{\"deployed\":\"true\",\"restart-policy\":\"always\",\"stop-timeout-seconds\":\"30\"}\n"
        );
        let mut out = Out::default();
        render(&mut out, &report(true, true), "a", &flags, &json_args()).unwrap();
        assert_eq!(
            out.stdout,
            "{\"deployed\":\"true\",\"ps-restart-policy\":\"always\",\"ps-stop-timeout-seconds\":\"30\",\"restart-policy\":\"always\",\"stop-timeout-seconds\":\"30\"}\n"
        );
    }

    #[test]
    fn rows_pad_to_31_or_the_longest_flag() {
        let flags = pairs(&[("--deployed", "false".into()), ("--processes", "0".into())]);
        let mut out = Out::default();
        let args = ReportArgs { format: Format::Stdout, ..json_args() };
        render(&mut out, &report(true, true), "a", &flags, &args).unwrap();
        assert_eq!(
            out.stdout,
            format!(
                "=====> a ps information\n       Deployed:{}false\n       Processes:{}0\n",
                " ".repeat(22),
                " ".repeat(21)
            )
        );
    }
}
