//! `config:*`: the per-app and global environment, its export formats, and
//! the restart (release-and-deploy) that set/unset/clear/import trigger on a deployed app.

use std::collections::BTreeMap;

use base64::Engine;

use crate::context::{Ctx, MSG_NO_APP};
use crate::flags::{self, Parsed, bool_flag, value_flag};
use crate::output::{CmdResult, Stop, go_json, shell_quote};
use crate::ps;

/// `^[a-zA-Z_][a-zA-Z0-9_]*$`
pub(crate) fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Which env a command works on: an app's, or `--global`.
enum Target {
    App(String),
    Global,
}

/// The first positional argument names the app unless `--global` is given (as a flag, or as
/// that argument).
fn target(ctx: &mut Ctx, parsed: &mut Parsed) -> Result<Target, Stop> {
    if parsed.has("global") {
        return Ok(Target::Global);
    }
    if parsed.arg(0) == Some("--global") {
        parsed.positional.remove(0);
        return Ok(Target::Global);
    }
    if parsed.positional.is_empty() {
        return Err(ctx.out.fail(MSG_NO_APP));
    }
    let name = parsed.positional.remove(0);
    Ok(Target::App(ctx.verify_app(Some(&name))?))
}

fn env<'c>(ctx: &'c Ctx, target: &Target) -> &'c BTreeMap<String, String> {
    match target {
        Target::App(name) => &ctx.app(name).env,
        Target::Global => &ctx.state.global.env,
    }
}

fn env_mut<'c>(ctx: &'c mut Ctx, target: &Target) -> &'c mut BTreeMap<String, String> {
    match target {
        Target::App(name) => &mut ctx.app_mut(name).env,
        Target::Global => &mut ctx.state.global.env,
    }
}

/// `--global` is accepted by every config subcommand, as the first argument or a flag.
fn with_global(spec: &[flags::Flag]) -> Vec<flags::Flag> {
    let mut all = spec.to_vec();
    all.push(bool_flag("global"));
    all
}

pub(crate) fn export(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let spec = with_global(&[value_flag("format"), bool_flag("merged")]);
    let mut parsed = flags::parse(&mut ctx.out, args, &spec)?;
    let target = target(ctx, &mut parsed)?;
    let format = parsed.value("format").unwrap_or("exports").to_string();
    let mut vars = env(ctx, &target).clone();
    if parsed.has("merged")
        && let Target::App(_) = target
    {
        for (k, v) in &ctx.state.global.env {
            vars.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let text = match format.as_str() {
        "json" => go_json(&vars),
        "json-list" => {
            // A nil slice is marshalled when the env is empty: `null`, not `[]`.
            if vars.is_empty() {
                "null".to_string()
            } else {
                let list: Vec<BTreeMap<&str, &str>> = vars
                    .iter()
                    .map(|(k, v)| BTreeMap::from([("name", k.as_str()), ("value", v.as_str())]))
                    .collect();
                go_json(&list)
            }
        }
        "exports" => vars
            .iter()
            .map(|(k, v)| format!("export {k}={}", shell_quote(v)))
            .collect::<Vec<_>>()
            .join("\n"),
        "envfile" => vars
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", envfile_escape(v)))
            .collect::<Vec<_>>()
            .join("\n"),
        "shell" => vars.iter().map(|(k, v)| format!("{k}={} ", shell_quote(v))).collect(),
        "docker-args" => {
            vars.iter().map(|(k, v)| format!("--env={k}={} ", shell_quote(v))).collect()
        }
        "docker-args-keys" => vars.keys().map(|k| format!("--env={k} ")).collect(),
        "pack-keys" => vars.keys().map(|k| format!("--env {k} ")).collect(),
        "pretty" => pretty_rows(&vars).join("\n"),
        other => return Err(ctx.out.fail(&format!("Unknown export format: {other}"))),
    };
    ctx.out.line(&text);
    Ok(())
}

fn envfile_escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// `KEY:` padded to the longest key, two spaces, the value (columnize, as `config:show` prints).
fn pretty_rows<'a>(
    vars: impl IntoIterator<Item = (&'a String, &'a String)> + Clone,
) -> Vec<String> {
    let width = vars.clone().into_iter().map(|(k, _)| k.len() + 1).max().unwrap_or(0);
    vars.into_iter().map(|(k, v)| format!("{:<width$}  {v}", format!("{k}:"))).collect()
}

pub(crate) fn get(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let spec = with_global(&[bool_flag("quoted"), bool_flag("merged")]);
    let mut parsed = flags::parse(&mut ctx.out, args, &spec)?;
    let target = target(ctx, &mut parsed)?;
    let Some(key) = parsed.positional.first().cloned() else {
        return Err(ctx.out.fail("Expected: key"));
    };
    if parsed.positional.len() > 1 {
        let extra = parsed.positional[1..].join(" ");
        return Err(ctx.out.fail(&format!("Unexpected argument(s): [{extra}]")));
    }
    // Unset: no output and exit 1, so a caller can tell "empty" from "absent".
    let Some(value) = env(ctx, &target).get(&key).cloned() else {
        return Err(Stop(1));
    };
    let shown = if parsed.has("quoted") { shell_quote(&value) } else { value };
    ctx.out.line(&shown);
    Ok(())
}

pub(crate) fn keys(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let mut parsed = flags::parse(&mut ctx.out, args, &with_global(&[bool_flag("merged")]))?;
    let target = target(ctx, &mut parsed)?;
    let keys: Vec<String> = env(ctx, &target).keys().cloned().collect();
    for key in keys {
        ctx.out.line(&key);
    }
    Ok(())
}

pub(crate) fn show(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let spec = with_global(&[bool_flag("merged"), bool_flag("shell"), bool_flag("export")]);
    let mut parsed = flags::parse(&mut ctx.out, args, &spec)?;
    let target = target(ctx, &mut parsed)?;
    let title = match &target {
        Target::App(name) => format!("{name} env vars"),
        Target::Global => "global env vars".to_string(),
    };
    let rows = pretty_rows(env(ctx, &target));
    ctx.out.info2_quiet(&title);
    for row in rows {
        ctx.out.line(&row);
    }
    Ok(())
}

pub(crate) fn set(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let spec = with_global(&[bool_flag("encoded"), bool_flag("no-restart")]);
    let mut parsed = flags::parse(&mut ctx.out, args, &spec)?;
    let target = target(ctx, &mut parsed)?;
    if parsed.positional.is_empty() {
        return Err(ctx.out.fail("At least one env pair must be given"));
    }
    let mut pairs = Vec::new();
    for pair in &parsed.positional {
        // Split at the first `=`, so values may contain `=`.
        let Some((key, value)) = pair.split_once('=') else {
            return Err(ctx.out.fail(&format!("Invalid env pair: {pair}")));
        };
        if !is_valid_key(key) {
            return Err(ctx.out.fail(&format!("Invalid key name: '{key}'")));
        }
        let value = if parsed.has("encoded") {
            decode_base64(value).map_err(|offset| {
                ctx.out.fail(&format!("illegal base64 data at input byte {offset} for key '{key}'"))
            })?
        } else {
            value.to_string()
        };
        pairs.push((key.to_string(), value));
    }
    apply_set(ctx, &target, pairs, !parsed.has("no-restart"), false);
    Ok(())
}

/// Go's `base64.StdEncoding.DecodeString` (CR and LF skipped), as bytes taken for a string; on
/// error, the offset Go's `CorruptInputError` reports.
fn decode_base64(text: &str) -> Result<String, usize> {
    let cleaned: Vec<(usize, char)> =
        text.char_indices().filter(|(_, c)| *c != '\n' && *c != '\r').collect();
    let alphabet = |c: char| c.is_ascii_alphanumeric() || c == '+' || c == '/';
    for (i, (offset, c)) in cleaned.iter().enumerate() {
        if *c == '=' {
            // Padding may only close the final quantum.
            let tail = &cleaned[i..];
            let quantum_end = cleaned.len().is_multiple_of(4) && i + tail.len() == cleaned.len();
            if !quantum_end || tail.iter().any(|(_, t)| *t != '=') || tail.len() > 2 {
                return Err(*offset);
            }
            break;
        }
        if !alphabet(*c) {
            return Err(*offset);
        }
    }
    if !cleaned.len().is_multiple_of(4) {
        let start = cleaned.len() - cleaned.len() % 4;
        return Err(cleaned.get(start).map(|(o, _)| *o).unwrap_or(text.len()));
    }
    let compact: String = cleaned.iter().map(|(_, c)| *c).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .map_err(|_| 0)
}

/// Writes the pairs and, on a deployed app and unless told not to, restarts it.
fn apply_set(
    ctx: &mut Ctx,
    target: &Target,
    pairs: Vec<(String, String)>,
    restart: bool,
    import_style: bool,
) {
    if import_style {
        for (key, value) in &pairs {
            ctx.out.info1_quiet(&format!("Setting config var {key}={value}"));
        }
    } else {
        ctx.out.info1_quiet("Setting config vars");
        let shown: BTreeMap<String, String> = pairs.iter().cloned().collect();
        for row in pretty_rows(&shown) {
            ctx.out.verbose_quiet(&row);
        }
    }
    let vars = env_mut(ctx, target);
    for (key, value) in pairs {
        vars.insert(key, value);
    }
    if let Target::App(name) = target
        && restart
        && ctx.restarts(name)
    {
        ps::restart_app(ctx, name);
    }
}

pub(crate) fn unset(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let mut parsed = flags::parse(&mut ctx.out, args, &with_global(&[bool_flag("no-restart")]))?;
    let target = target(ctx, &mut parsed)?;
    if parsed.positional.is_empty() {
        return Err(ctx.out.fail("At least one key must be given"));
    }
    let mut changed = false;
    for key in parsed.positional.clone() {
        if env(ctx, &target).contains_key(&key) {
            ctx.out.info1_quiet(&format!("Unsetting {key}"));
            env_mut(ctx, &target).remove(&key);
            changed = true;
        } else {
            ctx.out.info1_quiet(&format!("Skipping {key}, it is not set in the environment"));
        }
    }
    if let Target::App(name) = &target
        && changed
        && !parsed.has("no-restart")
        && ctx.restarts(name)
    {
        ps::restart_app(ctx, name);
    }
    Ok(())
}

pub(crate) fn clear(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let mut parsed = flags::parse(&mut ctx.out, args, &with_global(&[bool_flag("no-restart")]))?;
    let target = target(ctx, &mut parsed)?;
    ctx.out.info1_quiet("Clearing config vars");
    env_mut(ctx, &target).clear();
    if let Target::App(name) = &target
        && !parsed.has("no-restart")
        && ctx.restarts(name)
    {
        ps::restart_app(ctx, name);
    }
    Ok(())
}

/// `config:import [--no-restart] [--replace] [--format envfile|json] <app> (FILE|-)` (0.37.0+).
pub(crate) fn import(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let spec = with_global(&[bool_flag("no-restart"), bool_flag("replace"), value_flag("format")]);
    let mut parsed = flags::parse(&mut ctx.out, args, &spec)?;
    let target = target(ctx, &mut parsed)?;
    let format = parsed.value("format").unwrap_or("envfile").to_string();
    if format != "envfile" && format != "json" {
        return Err(ctx.out.fail(&format!("Unknown import format: {format}")));
    }
    let Some(source) = parsed.positional.first().cloned() else {
        return Err(ctx.out.fail("Please specify a file to import from, or - to read stdin"));
    };
    let text = if source == "-" {
        match ctx.stdin {
            Some(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            None => return Err(ctx.out.fail("No data provided on stdin")),
        }
    } else {
        // The path is read on the (simulated) host, which is this machine.
        std::fs::read_to_string(&source)
            .map_err(|e| ctx.out.fail(&format!("Unable to read {source}: {e}")))?
    };
    let pairs = if format == "json" { parse_json(&text) } else { parse_envfile(&text) }
        .map_err(|e| ctx.out.fail(&e))?;
    if pairs.is_empty() {
        return Err(ctx.out.fail("No config vars to set"));
    }
    for (key, _) in &pairs {
        if !is_valid_key(key) {
            return Err(ctx.out.fail(&format!("Invalid key name: '{key}'")));
        }
    }
    if parsed.has("replace") {
        env_mut(ctx, &target).clear();
    }
    apply_set(ctx, &target, pairs, !parsed.has("no-restart"), true);
    Ok(())
}

fn parse_json(text: &str) -> Result<Vec<(String, String)>, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let Some(object) = value.as_object() else {
        return Err(format!(
            "json: cannot unmarshal {} into Go value of type map[string]string",
            json_kind(&value)
        ));
    };
    let mut pairs = Vec::new();
    for (key, value) in object {
        match value.as_str() {
            Some(text) => pairs.push((key.clone(), text.to_string())),
            None => {
                return Err(format!(
                    "json: cannot unmarshal {} into Go value of type string",
                    json_kind(value)
                ));
            }
        }
    }
    pairs.sort();
    Ok(pairs)
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// `KEY=value` lines; `export ` prefixes, `#` comments, blank lines and one level of quotes are
/// understood.
fn parse_envfile(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("Invalid env pair: {line}"));
        };
        let value = value.trim();
        let value = if value.len() >= 2
            && ((value.starts_with('"') && value.ends_with('"'))
                || (value.starts_with('\'') && value.ends_with('\'')))
        {
            let inner = &value[1..value.len() - 1];
            if value.starts_with('"') {
                inner.replace("\\n", "\n").replace("\\\"", "\"").replace("\\\\", "\\")
            } else {
                inner.to_string()
            }
        } else {
            value.to_string()
        };
        pairs.push((key.trim().to_string(), value));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_like_go() {
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), "hello");
        assert_eq!(decode_base64("aGVs\nbG8=").unwrap(), "hello");
        assert_eq!(decode_base64("aGVsbG8").unwrap_err(), 4);
        assert_eq!(decode_base64("aGV!bG8=").unwrap_err(), 3);
    }

    #[test]
    fn envfile_forms() {
        let pairs = parse_envfile("# c\nexport A=1\nB=\"x y\"\nC='z'\n").unwrap();
        assert_eq!(
            pairs,
            [("A".into(), "1".into()), ("B".into(), "x y".into()), ("C".into(), "z".into())]
        );
    }
}
