//! `buildpacks:*`: an ordered, undeduplicated list per app, with Dokku's shorthand rewriting and
//! URL validation (`plugins/buildpacks`).

use crate::context::Ctx;
use crate::flags::{self, bool_flag, value_flag};
use crate::output::CmdResult;
use crate::properties::{get, global_value};
use crate::report::{self, GoReport};

/// The stack herokuish builds on when nothing is configured.
const DEFAULT_STACK: &str = "gliderlabs/herokuish:latest-24";

/// `validBuildpackURL`: `org/name` shorthands become GitHub URLs (`heroku-community` is served
/// from `heroku`), `http|https|git` URLs pass, anything else is refused.
pub(crate) fn valid_buildpack(value: &str) -> Result<String, String> {
    if value.is_empty() {
        return Err("Must specify a buildpack to add".to_string());
    }
    let word = |s: &str| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if let Some((org, name)) = value.split_once('/')
        && word(org)
        && word(name)
    {
        let org = if org == "heroku-community" { "heroku" } else { org };
        return Ok(format!("https://github.com/{org}/heroku-buildpack-{name}.git"));
    }
    if is_buildpack_url(value) {
        return Ok(value.to_string());
    }
    Err(format!("Invalid buildpack specified: {value}"))
}

/// `^(http|https|git)(://|@)([^/:]+)[/:]([^/:]+)/(.+)`
fn is_buildpack_url(value: &str) -> bool {
    let rest = ["https", "http", "git"].iter().find_map(|scheme| {
        let after = value.strip_prefix(scheme)?;
        after.strip_prefix("://").or_else(|| after.strip_prefix('@'))
    });
    let Some(rest) = rest else { return false };
    let Some(sep) = rest.find(['/', ':']) else { return false };
    if sep == 0 {
        return false;
    }
    let path = &rest[sep + 1..];
    let Some((org, repo)) = path.split_once('/') else { return false };
    !org.is_empty() && !org.contains(':') && !repo.is_empty()
}

fn index_arg(ctx: &mut Ctx, parsed: &flags::Parsed) -> Result<usize, crate::output::Stop> {
    match parsed.value("index") {
        None => Ok(0),
        Some(text) => text.parse::<usize>().map_err(|_| {
            ctx.out.flag_error(&format!(
                "invalid argument \"{text}\" for \"--index\" flag: strconv.ParseInt: parsing \"{text}\": invalid syntax"
            ))
        }),
    }
}

pub(crate) fn add(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let parsed = flags::parse(&mut ctx.out, args, &[value_flag("index")])?;
    let index = index_arg(ctx, &parsed)?;
    let name = ctx.verify_app(parsed.arg(0))?;
    let url = valid_buildpack(parsed.arg(1).unwrap_or("")).map_err(|e| ctx.out.fail(&e))?;
    let list = &mut ctx.app_mut(&name).buildpacks;
    // 1-based; 0 or past the end appends (PropertyListAdd). No deduplication.
    if index == 0 || index > list.len() {
        list.push(url);
    } else {
        list.insert(index - 1, url);
    }
    Ok(())
}

pub(crate) fn set(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let parsed = flags::parse(&mut ctx.out, args, &[value_flag("index"), bool_flag("replace")])?;
    let index = index_arg(ctx, &parsed)?;
    let name = ctx.verify_app(parsed.arg(0))?;
    let given: Vec<String> = parsed.positional.iter().skip(1).cloned().collect();
    let replace = parsed.has("replace");
    if replace && parsed.value("index").is_some() {
        return Err(ctx.out.fail("The --index flag cannot be used with --replace"));
    }
    if given.is_empty() {
        return Err(ctx.out.fail("Must specify a buildpack url or reference"));
    }
    if given.len() > 1 && !replace {
        return Err(ctx.out.fail("Setting multiple buildpacks requires the --replace flag"));
    }
    let mut urls = Vec::new();
    for value in &given {
        urls.push(valid_buildpack(value).map_err(|e| ctx.out.fail(&e))?);
    }
    let list = &mut ctx.app_mut(&name).buildpacks;
    if replace {
        *list = urls;
        return Ok(());
    }
    let url = urls.remove(0);
    let position = index.saturating_sub(1);
    if position >= list.len() {
        list.push(url);
    } else {
        list[position] = url;
    }
    Ok(())
}

pub(crate) fn remove(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let parsed = flags::parse(&mut ctx.out, args, &[value_flag("index")])?;
    let index = index_arg(ctx, &parsed)?;
    let name = ctx.verify_app(parsed.arg(0))?;
    let given = parsed.arg(1).unwrap_or("").to_string();
    if index != 0 && !given.is_empty() {
        return Err(ctx.out.fail("Please choose either index or Buildpack, but not both"));
    }
    if index == 0 && given.is_empty() {
        return Err(ctx.out.fail("Must specify a buildpack to remove, either by index or URL"));
    }
    let url = if given.is_empty() {
        String::new()
    } else {
        valid_buildpack(&given).map_err(|e| ctx.out.fail(&e))?
    };
    let list = ctx.app(&name).buildpacks.clone();
    if list.is_empty() {
        return Err(ctx.out.fail(&format!(
            "No buildpacks were found, next release on {name} will detect buildpack normally"
        )));
    }
    let target = if index != 0 {
        match list.get(index - 1) {
            Some(found) => found.clone(),
            None => return Err(ctx.out.fail("Index not found")),
        }
    } else if list.contains(&url) {
        url
    } else {
        return Err(ctx.out.fail("Value not found"));
    };
    ctx.out.info1_quiet(&format!("Removing {target}"));
    ctx.app_mut(&name).buildpacks.retain(|bp| bp != &target);
    Ok(())
}

pub(crate) fn clear(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let parsed = flags::parse(&mut ctx.out, args, &[])?;
    let name = ctx.verify_app(parsed.arg(0))?;
    ctx.app_mut(&name).buildpacks.clear();
    Ok(())
}

pub(crate) fn list(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let parsed = flags::parse(&mut ctx.out, args, &[])?;
    let name = ctx.verify_app(parsed.arg(0))?;
    ctx.out.info1_quiet(&format!("{name} buildpack urls"));
    for url in ctx.app(&name).buildpacks.clone() {
        ctx.out.verbose(&url);
    }
    Ok(())
}

pub(crate) fn report(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    let spec = GoReport::core(ctx, "buildpacks");
    report::run(ctx, args, &spec, |ctx, subject| {
        let global_stack = global_value(ctx, &ctx.state.global.buildpacks, "stack", DEFAULT_STACK);
        if subject == "--global" {
            let computed = get(&ctx.state.global.buildpacks, "stack");
            return report::pairs(&[
                (
                    "--buildpacks-computed-stack",
                    if computed.is_empty() { DEFAULT_STACK.into() } else { computed },
                ),
                ("--buildpacks-global-stack", global_stack),
            ]);
        }
        let app = ctx.app(subject);
        let stack = get(&app.buildpacks_props, "stack");
        let computed = [stack.clone(), get(&ctx.state.global.buildpacks, "stack")]
            .into_iter()
            .find(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_STACK.to_string());
        report::pairs(&[
            ("--buildpacks-computed-stack", computed),
            ("--buildpacks-global-stack", global_stack),
            ("--buildpacks-list", app.buildpacks.join(",")),
            ("--buildpacks-stack", stack),
        ])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The cases of plugins/buildpacks/buildpacks_test.go (TestValidBuildpackURL).
    #[test]
    fn buildpack_forms() {
        assert_eq!(
            valid_buildpack("heroku/nodejs").unwrap(),
            "https://github.com/heroku/heroku-buildpack-nodejs.git"
        );
        assert_eq!(
            valid_buildpack("heroku-community/apt").unwrap(),
            "https://github.com/heroku/heroku-buildpack-apt.git"
        );
        for url in [
            "https://github.com/heroku/heroku-buildpack-nodejs.git",
            "https://github.com/heroku/heroku-buildpack-nodejs",
            "git://github.com/heroku/heroku-buildpack-nodejs.git",
            "git@github.com:heroku/heroku-buildpack-nodejs.git",
            "https://github.com/heroku/heroku-buildpack-ruby.git#v250",
        ] {
            assert_eq!(valid_buildpack(url).unwrap(), url);
        }
        for bad in ["nodejs", "/nodejs", "urn:cnb:registry:heroku/nodejs", "docker://x/y/z"] {
            assert_eq!(
                valid_buildpack(bad).unwrap_err(),
                format!("Invalid buildpack specified: {bad}")
            );
        }
    }
}
