//! `builder:report|set` and `scheduler:report|set`: Go property plugins with `selected`,
//! `global-*` and `computed-*` values.

use std::collections::BTreeMap;

use crate::context::Ctx;
use crate::output::CmdResult;
use crate::properties::{self, PropertySpec, get, global_value};
use crate::report::{self, GoReport};
use crate::state::State;

const BUILDER_PROPS: PropertySpec = PropertySpec {
    valid: &["build-dir", "detected", "selected", "skip-cleanup"],
    global: &["build-dir", "selected", "skip-cleanup"],
    read_only: &["detected"],
    target: builder_target,
};

const SCHEDULER_PROPS: PropertySpec = PropertySpec {
    valid: &["selected", "shell"],
    global: &["selected", "shell"],
    read_only: &[],
    target: scheduler_target,
};

// Builder and scheduler are separate plugins with their own property stores; each target picks
// its plugin's map, alike only because both plugins store properties the same way.
fn builder_target<'s>(
    state: &'s mut State,
    app: Option<&str>,
) -> Option<&'s mut BTreeMap<String, String>> {
    match app {
        Some(app) => state.apps.get_mut(app).map(|a| &mut a.builder),
        None => Some(&mut state.global.builder),
    }
}

fn scheduler_target<'s>(
    state: &'s mut State,
    app: Option<&str>,
) -> Option<&'s mut BTreeMap<String, String>> {
    match app {
        Some(app) => state.apps.get_mut(app).map(|a| &mut a.scheduler),
        None => Some(&mut state.global.scheduler),
    }
}

pub(crate) fn builder_set(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    properties::set(ctx, args, &BUILDER_PROPS)
}

pub(crate) fn scheduler_set(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    properties::set(ctx, args, &SCHEDULER_PROPS)
}

pub(crate) fn builder_report(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let spec = GoReport::core(ctx, "builder");
    report::run(ctx, args, &spec, |ctx, subject| {
        let global = &ctx.state.global.builder;
        // Builders have no built-in selection default; only skip-cleanup has one.
        let mut rows = vec![
            ("--builder-global-build-dir", get(global, "build-dir")),
            ("--builder-global-selected", get(global, "selected")),
            ("--builder-global-skip-cleanup", global_value(ctx, global, "skip-cleanup", "false")),
        ];
        let empty = BTreeMap::new();
        let app = if subject == "--global" { &empty } else { &ctx.app(subject).builder };
        let computed = |prop: &str, default: &str| {
            let value = app.get(prop).or_else(|| global.get(prop)).cloned().unwrap_or_default();
            if value.is_empty() { default.to_string() } else { value }
        };
        rows.push(("--builder-computed-build-dir", computed("build-dir", "")));
        rows.push(("--builder-computed-selected", computed("selected", "")));
        rows.push(("--builder-computed-skip-cleanup", computed("skip-cleanup", "false")));
        if subject != "--global" {
            rows.push(("--builder-build-dir", get(app, "build-dir")));
            rows.push(("--builder-detected", get(app, "detected")));
            rows.push(("--builder-selected", get(app, "selected")));
            rows.push(("--builder-skip-cleanup", get(app, "skip-cleanup")));
        }
        report::pairs(&rows)
    })
}

pub(crate) fn scheduler_report(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let spec = GoReport::core(ctx, "scheduler");
    report::run(ctx, args, &spec, |ctx, subject| {
        let global = &ctx.state.global.scheduler;
        let mut rows = vec![
            ("--scheduler-global-selected", global_value(ctx, global, "selected", "docker-local")),
            ("--scheduler-global-shell", global_value(ctx, global, "shell", "")),
        ];
        let computed = selected_scheduler(ctx.state, (subject != "--global").then_some(subject));
        rows.push(("--scheduler-computed-selected", computed));
        let empty = BTreeMap::new();
        let app = if subject == "--global" { &empty } else { &ctx.app(subject).scheduler };
        // No default shell: the computed value is the app's, else the global one, else empty.
        let shell = app.get("shell").filter(|v| !v.is_empty()).or_else(|| global.get("shell"));
        rows.push(("--scheduler-computed-shell", shell.cloned().unwrap_or_default()));
        if subject != "--global" {
            rows.push(("--scheduler-selected", get(app, "selected")));
            rows.push(("--scheduler-shell", get(app, "shell")));
        }
        report::pairs(&rows)
    })
}

/// The app's scheduler, else the global one, else `docker-local`.
pub(crate) fn selected_scheduler(state: &State, app: Option<&str>) -> String {
    let app_value = app
        .and_then(|a| state.apps.get(a))
        .and_then(|a| a.scheduler.get("selected"))
        .filter(|v| !v.is_empty());
    let global = state.global.scheduler.get("selected").filter(|v| !v.is_empty());
    app_value.or(global).cloned().unwrap_or_else(|| "docker-local".to_string())
}

/// The builder a build would use: the selected one, else what detection found, else herokuish.
pub(crate) fn build_with(state: &State, app: &str) -> String {
    let app_props = state.apps.get(app).map(|a| &a.builder);
    let pick = |prop: &str| app_props.and_then(|p| p.get(prop)).filter(|v| !v.is_empty()).cloned();
    pick("selected")
        .or_else(|| state.global.builder.get("selected").filter(|v| !v.is_empty()).cloned())
        .or_else(|| pick("detected"))
        .unwrap_or_else(|| "herokuish".to_string())
}
