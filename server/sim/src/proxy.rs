//! `proxy:report --global --proxy-computed-type`: the proxy the host uses. The simulated host is
//! an nginx host (Dokku's default, and what http-auth and maintenance need), and models only
//! this form, the one `dokku-pro-api doctor` asks (Dokku 0.38.0+ has `--global` reports).

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
