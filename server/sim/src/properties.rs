//! `CommandPropertySet` (`plugins/common/properties.go`): the shared `<plugin>:set <app|--global>
//! <property> [<value>]` command, where an empty value unsets and nothing is validated.

use std::collections::BTreeMap;

use crate::context::Ctx;
use crate::flags::{self, bool_flag};
use crate::output::CmdResult;
use crate::state::State;

/// Picks the property map of an app (`Some(app)`) or the global one (`None`).
pub(crate) type TargetFn =
    for<'s> fn(&'s mut State, Option<&str>) -> Option<&'s mut BTreeMap<String, String>>;

pub(crate) struct PropertySpec {
    pub valid: &'static [&'static str],
    pub global: &'static [&'static str],
    pub read_only: &'static [&'static str],
    pub target: TargetFn,
}

pub(crate) fn set(ctx: &mut Ctx, args: &[String], spec: &PropertySpec) -> CmdResult {
    let parsed = flags::parse(&mut ctx.out, args, &[bool_flag("global")])?;
    let mut positional = parsed.positional.clone();
    if parsed.has("global") {
        positional.insert(0, "--global".to_string());
    }
    let subject = positional.first().cloned();
    let global = subject.as_deref() == Some("--global");
    let app = if global { None } else { Some(ctx.verify_app(subject.as_deref())?) };
    let property = positional.get(1).cloned().unwrap_or_default();
    if global && !spec.global.contains(&property.as_str()) {
        return Err(ctx.out.fail("Property cannot be specified globally"));
    }
    if property.is_empty() {
        return Err(ctx.out.fail("No property specified"));
    }
    if !spec.valid.contains(&property.as_str()) {
        let mut valid = spec.valid.to_vec();
        valid.sort_unstable();
        return Err(ctx.out.fail(&format!(
            "Invalid property specified, valid properties include: {}",
            valid.join(", ")
        )));
    }
    if spec.read_only.contains(&property.as_str()) {
        return Err(ctx.out.fail(&format!("{property} is a read-only property")));
    }
    let value = positional.get(2).cloned().unwrap_or_default();
    if value.is_empty() {
        ctx.out.info2_quiet(&format!("Unsetting {property}"));
    } else {
        ctx.out.info2_quiet(&format!("Setting {property} to {value}"));
    }
    if let Some(map) = (spec.target)(ctx.state, app.as_deref()) {
        if value.is_empty() {
            map.remove(&property);
        } else {
            map.insert(property, value);
        }
    }
    Ok(())
}

/// A stored property, or empty.
pub(crate) fn get(map: &BTreeMap<String, String>, property: &str) -> String {
    map.get(property).cloned().unwrap_or_default()
}

/// A report's `--<plugin>-global-<property>` value: the stored one; when unset, empty since
/// 0.38.0 and the plugin's default before (see `DokkuVersion::global_keys_raw`).
pub(crate) fn global_value(
    ctx: &Ctx,
    global: &BTreeMap<String, String>,
    property: &str,
    default: &str,
) -> String {
    match global.get(property) {
        Some(value) => value.clone(),
        None if !ctx.v.global_keys_raw() => default.to_string(),
        None => String::new(),
    }
}
