//! Flag parsing the way Dokku's Go subcommands do it (`spf13/pflag`): flags may sit anywhere among
//! the positional arguments, `--name=value` and `--name value` both work, `--` ends the flags, and
//! an unknown flag is `unknown flag: --x` with exit status 2.

use std::collections::BTreeMap;

use crate::output::{Out, Stop};

#[derive(Clone, Copy, Debug)]
pub(crate) struct Flag {
    pub long: &'static str,
    pub short: Option<char>,
    pub takes_value: bool,
}

pub(crate) const fn bool_flag(long: &'static str) -> Flag {
    Flag { long, short: None, takes_value: false }
}

pub(crate) const fn value_flag(long: &'static str) -> Flag {
    Flag { long, short: None, takes_value: true }
}

/// The dispatcher's global flags may be repeated after the subcommand (`parse_args` scans every
/// argument for them), so every Go subcommand tolerates them.
const GLOBAL: [Flag; 3] = [bool_flag("quiet"), bool_flag("force"), bool_flag("trace")];

#[derive(Debug, Default)]
pub(crate) struct Parsed {
    values: BTreeMap<&'static str, String>,
    bools: BTreeMap<&'static str, bool>,
    pub positional: Vec<String>,
}

impl Parsed {
    pub(crate) fn value(&self, long: &str) -> Option<&str> {
        self.values.get(long).map(String::as_str)
    }

    pub(crate) fn has(&self, long: &str) -> bool {
        self.bools.get(long).copied().unwrap_or(false) || self.values.contains_key(long)
    }

    pub(crate) fn arg(&self, index: usize) -> Option<&str> {
        self.positional.get(index).map(String::as_str)
    }
}

pub(crate) fn parse(out: &mut Out, args: &[String], spec: &[Flag]) -> Result<Parsed, Stop> {
    let mut parsed = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            parsed.positional.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(body) = arg.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (body, None),
            };
            let Some(flag) = find(spec, |f| f.long == name) else {
                return Err(out.flag_error(&format!("unknown flag: --{name}")));
            };
            if flag.takes_value {
                let value = match inline {
                    Some(value) => value,
                    None if i < args.len() => {
                        i += 1;
                        args[i - 1].clone()
                    }
                    None => {
                        return Err(out.flag_error(&format!("flag needs an argument: --{name}")));
                    }
                };
                parsed.values.insert(flag.long, value);
            } else {
                let on = match inline.as_deref() {
                    None | Some("true") | Some("1") => true,
                    Some("false") | Some("0") => false,
                    Some(other) => {
                        return Err(out.flag_error(&format!(
                            "invalid argument \"{other}\" for \"--{name}\" flag: strconv.ParseBool: parsing \"{other}\": invalid syntax"
                        )));
                    }
                };
                parsed.bools.insert(flag.long, on);
            }
            continue;
        }
        if arg.len() > 1 && arg.starts_with('-') {
            let short = arg[1..].chars().next().unwrap_or('-');
            let Some(flag) = find(spec, |f| f.short == Some(short)) else {
                return Err(out.flag_error(&format!("unknown shorthand flag: '{short}' in {arg}")));
            };
            let rest = &arg[1 + short.len_utf8()..];
            if flag.takes_value {
                let value = if !rest.is_empty() {
                    rest.trim_start_matches('=').to_string()
                } else if i < args.len() {
                    i += 1;
                    args[i - 1].clone()
                } else {
                    return Err(
                        out.flag_error(&format!("flag needs an argument: '{short}' in -{short}"))
                    );
                };
                parsed.values.insert(flag.long, value);
            } else {
                parsed.bools.insert(flag.long, true);
            }
            continue;
        }
        parsed.positional.push(arg.clone());
    }
    Ok(parsed)
}

fn find(spec: &[Flag], pred: impl Fn(&Flag) -> bool) -> Option<Flag> {
    spec.iter().chain(GLOBAL.iter()).find(|f| pred(f)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn interspersed_flags_and_values() {
        let mut out = Out::default();
        let spec = [bool_flag("no-restart"), value_flag("format")];
        let p = parse(&mut out, &args(&["app", "--no-restart", "--format=json", "K=V"]), &spec)
            .unwrap();
        assert!(p.has("no-restart"));
        assert_eq!(p.value("format"), Some("json"));
        assert_eq!(p.positional, ["app", "K=V"]);
    }

    #[test]
    fn unknown_flag_exits_2() {
        let mut out = Out::default();
        let err = parse(&mut out, &args(&["--format", "json"]), &[]).unwrap_err();
        assert_eq!(err, Stop(2));
        assert_eq!(out.stderr, "unknown flag: --format\n");
    }

    #[test]
    fn lone_dash_is_positional() {
        let mut out = Out::default();
        let p = parse(&mut out, &args(&["app", "-"]), &[]).unwrap();
        assert_eq!(p.positional, ["app", "-"]);
    }
}
