//! `resource:*`: limits and reservations stored as
//! `<proctype>.<limit|reserve>.<resource>` properties, the sparse report, the full listing, and
//! the clear commands (including the trap that clearing without `--process-type` wipes all).

use crate::context::{Ctx, MSG_NO_APP};
use crate::flags::{self, value_flag};
use crate::output::CmdResult;
use crate::report::{self, GoReport};

/// In the order `resource:limit <app>` lists them.
const RESOURCES: [&str; 7] =
    ["cpu", "memory", "memory-swap", "network", "network-ingress", "network-egress", "nvidia-gpu"];

const DEFAULT_TYPE: &str = "_default_";

pub(crate) fn report(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let twins = ctx.v.report_legacy_twins();
    // The resource plugin always trimmed its JSON prefix; 0.38.8 added the legacy twins and put
    // the plugin word back into the stdout rows.
    let spec = GoReport {
        report_type: "resource",
        json_trim: true,
        json_legacy: twins,
        row_trim: !twins,
        uppercase: false,
    };
    report::run(ctx, args, &spec, |ctx, subject| {
        if subject == "--global" {
            return Vec::new();
        }
        ctx.app(subject)
            .resources
            .iter()
            .map(|(key, value)| (format!("--resource-{key}"), value.clone()))
            .collect()
    })
}

fn noun(kind: &str) -> &'static str {
    if kind == "reserve" { "reservation" } else { "limits" }
}

fn spec() -> Vec<flags::Flag> {
    let mut spec = vec![value_flag("process-type")];
    spec.extend(RESOURCES.iter().map(|r| value_flag(r)));
    spec
}

pub(crate) fn limit(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    set(ctx, args, "limit")
}

pub(crate) fn reserve(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    set(ctx, args, "reserve")
}

fn set(ctx: &mut Ctx, args: &[String], kind: &str) -> CmdResult {
    let parsed = flags::parse(&mut ctx.out, args, &spec())?;
    if parsed.positional.is_empty() {
        return Err(ctx.out.fail(MSG_NO_APP));
    }
    let name = ctx.verify_app(parsed.arg(0))?;
    let process_type = match parsed.value("process-type") {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => DEFAULT_TYPE.to_string(),
    };
    let given: Vec<(&str, String)> = RESOURCES
        .iter()
        .filter_map(|r| parsed.value(r).filter(|v| !v.is_empty()).map(|v| (*r, v.to_string())))
        .collect();
    let suffix =
        if process_type == DEFAULT_TYPE { String::new() } else { format!(" ({process_type})") };
    if given.is_empty() {
        // No resource flag: list all seven values of this process type, set or not.
        let bracket =
            if process_type == DEFAULT_TYPE { " [defaults]".to_string() } else { suffix.clone() };
        ctx.out.info2_quiet(&format!("resource {} {name} information{bracket}", noun(kind)));
        let app = ctx.app(&name);
        let rows: Vec<String> = RESOURCES
            .iter()
            .map(|r| {
                let key = format!("{process_type}.{kind}.{r}");
                format!("{r}: {}", app.resources.get(&key).cloned().unwrap_or_default())
            })
            .collect();
        for row in rows {
            ctx.out.verbose(&row);
        }
        return Ok(());
    }
    ctx.out.info2_quiet(&format!("Setting resource {} for {name}{suffix}", noun(kind)));
    for (resource, value) in given {
        let key = format!("{process_type}.{kind}.{resource}");
        let resources = &mut ctx.app_mut(&name).resources;
        // `clear` removes this one value; values are stored unvalidated.
        if value == "clear" {
            resources.remove(&key);
            ctx.out.verbose(&format!("{resource}: cleared"));
        } else {
            resources.insert(key, value.clone());
            ctx.out.verbose(&format!("{resource}: {value}"));
        }
    }
    Ok(())
}

pub(crate) fn limit_clear(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    clear(ctx, args, "limit")
}

pub(crate) fn reserve_clear(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    clear(ctx, args, "reserve")
}

fn clear(ctx: &mut Ctx, args: &[String], kind: &str) -> CmdResult {
    let parsed = flags::parse(&mut ctx.out, args, &[value_flag("process-type")])?;
    if parsed.positional.is_empty() {
        return Err(ctx.out.fail(MSG_NO_APP));
    }
    let name = ctx.verify_app(parsed.arg(0))?;
    let process_type = parsed.value("process-type").unwrap_or("").to_string();
    let mut message = format!("clearing {name} {}", noun(kind));
    if !process_type.is_empty() && process_type != DEFAULT_TYPE {
        message.push_str(&format!(" ({process_type})"));
    }
    ctx.out.info2_quiet(&message);
    let resources = &mut ctx.app_mut(&name).resources;
    if process_type.is_empty() {
        // The trap: without --process-type every resource property goes, reservations included.
        resources.clear();
    } else {
        for resource in RESOURCES {
            resources.remove(&format!("{process_type}.{kind}.{resource}"));
        }
    }
    Ok(())
}
