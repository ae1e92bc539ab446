//! The eight `202` operations (add and delete of buildpacks, envs, formations and resources)
//! share one shape: change the app's stored settings at once, without a restart, so a bad input
//! or Dokku's refusal comes back as an error straight away; then queue the job that makes the
//! change live, and answer `202` with the job in `Content-Location`. [`change_then_apply`] is that
//! shape ([`remove_then_apply`] its form for the DELETEs); each operation only says what to change.
//!
//! Order matters for crash safety: the job's intent is on disk before the change reaches Dokku
//! ([`crate::jobs::Jobs::intend`]), so a process killed between the change and the queueing of
//! its job leaves an intent that the next start turns into the job. A change that Dokku refused,
//! or that never left the server, is abandoned; one whose fate is unknown (the connection
//! dropped, the command timed out) is applied anyway, since an extra restart is harmless and a
//! change that never goes live is not.

use crate::app::{AppError, OpContext};
use crate::host::{DokkuCommand, HostError, LockKey, Locked};
use crate::ids::AppName;
use crate::jobs::{ApplyAction, Enqueued};

/// Holds `app`'s lock, records the intent of `action`, runs `change`, then queues the job (or
/// joins a waiting one that carries it). Returns what `change` returned and where the job is;
/// the request's audit event records the job, also when the change failed but may have landed.
pub async fn change_then_apply<T>(
    opctx: &OpContext,
    app: &AppName,
    action: ApplyAction,
    change: impl AsyncFnOnce(&Locked<'_>) -> Result<T, AppError>,
) -> Result<(T, Enqueued), AppError> {
    let lock = opctx.host.lock(LockKey::App(app.clone())).await;
    let intent = opctx.jobs.intend(app, action, &opctx.request_id, &opctx.actor).await?;
    match change(&lock).await {
        Ok(value) => {
            drop(lock);
            let enqueued = opctx.jobs.commit(intent).await?;
            opctx.note_job(enqueued.id);
            Ok((value, enqueued))
        }
        Err(e) => {
            drop(lock);
            if may_have_landed(&e) {
                let enqueued = opctx.jobs.commit(intent).await?;
                opctx.note_job(enqueued.id);
            } else {
                opctx.jobs.abandon(intent).await?;
            }
            Err(e)
        }
    }
}

/// The four `202` DELETEs: under the app's lock, `removal` checks that the object exists (an
/// error, usually 404, if not) and names the command that removes it; the answer is the job.
pub async fn remove_then_apply(
    opctx: &OpContext,
    app: &AppName,
    action: ApplyAction,
    removal: impl AsyncFnOnce() -> Result<DokkuCommand, AppError>,
) -> Result<Enqueued, AppError> {
    let ((), job) = change_then_apply(opctx, app, action, async |lock| {
        lock.run(&removal().await?).await?;
        Ok(())
    })
    .await?;
    Ok(job)
}

/// Whether a failed change may nevertheless have reached Dokku's stored state.
fn may_have_landed(e: &AppError) -> bool {
    match e {
        AppError::Host(host) => matches!(
            host,
            HostError::Transport { .. }
                | HostError::Timeout { .. }
                | HostError::Failed { .. }
                | HostError::Parse { .. }
        ),
        _ => false,
    }
}
