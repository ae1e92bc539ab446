//! The two proxy questions `dokku-pro-api doctor` asks, in the one form each that it asks them:
//! `proxy:report --global --proxy-computed-type` (the proxy the host uses; Dokku 0.38.0+ has
//! `--global` reports) and `nginx:validate-config` (whether `nginx -t` passes). The simulated host
//! is an nginx host (Dokku's default, and what http-auth and maintenance need) whose nginx
//! configuration is valid: `nginx:validate-config` prints nothing and succeeds, as on a real host;
//! a failing one is an injection.

use crate::context::Ctx;
use crate::output::CmdResult;

pub(crate) fn report(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    match args {
        [global, flag] if global == "--global" && flag == "--proxy-computed-type" => {
            ctx.out.line("nginx");
            Ok(())
        }
        _ => Err(ctx.out.fail(
            "the simulated host models proxy:report only as `proxy:report --global \
             --proxy-computed-type`",
        )),
    }
}

pub(crate) fn validate_config(ctx: &mut Ctx, args: &[String]) -> CmdResult {
    match args {
        [] => Ok(()),
        _ => Err(ctx
            .out
            .fail("the simulated host models nginx:validate-config only without arguments")),
    }
}
