//! The one place HTTP statuses are chosen: every layer's error becomes an [`ApiError`] here
//! (`docs/status-codes.md` gives the reasons).

use dokku_pro_api::error::ApiError;

use crate::app::AppError;
use crate::auth::AuthError;
use crate::host::HostError;
use crate::jobs::JobError;

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        match e {
            AuthError::Missing
            | AuthError::Malformed(_)
            | AuthError::BasicNotAccepted
            | AuthError::InvalidToken
            | AuthError::Expired
            | AuthError::Revoked
            | AuthError::UsedUp
            | AuthError::BadCredentials
            | AuthError::RefreshReplayed
            | AuthError::RefreshExpired
            | AuthError::RefreshUserMismatch => ApiError::new(401, e.to_string()),
            AuthError::RateLimited { retry_after, .. } => {
                ApiError::new(429, e.to_string()).with_retry_after(retry_after.as_secs().max(1))
            }
            AuthError::RefreshNotFound => ApiError::new(404, e.to_string()),
            AuthError::BadRequest(message) => ApiError::new(400, message),
            AuthError::Storage(ref source) => ApiError::internal(format!("{e}: {}", chain(source))),
            AuthError::Internal(message) => ApiError::internal(message),
            // `AuthError` is non_exhaustive for other crates only; a new variant must be
            // mapped deliberately.
        }
    }
}

/// What Dokku says when the host itself fails (its disk is full or read-only, its storage
/// broken): the request was fine, the host could not carry it out.
const HOST_SIDE_FAILURES: [&str; 4] = [
    "No space left on device",
    "Read-only file system",
    "Disk quota exceeded",
    "Input/output error",
];

impl From<HostError> for ApiError {
    fn from(e: HostError) -> ApiError {
        match &e {
            HostError::AppNotFound { message } => ApiError::new(404, message.clone()),
            HostError::Refused { message, .. }
                if HOST_SIDE_FAILURES.iter().any(|f| message.contains(f)) =>
            {
                ApiError::new(503, format!("the Dokku host cannot carry out the change: {message}"))
                    .with_retry_after(30)
            }
            HostError::Refused { message, .. } => ApiError::new(400, message.clone()),
            HostError::Unsendable { reason } => ApiError::new(400, reason.clone()),
            HostError::Transport { .. } | HostError::Spawn { .. } => {
                ApiError::new(503, format!("the Dokku host is unavailable: {e}"))
                    .with_retry_after(5)
            }
            HostError::Unsupported { .. } | HostError::NoRootLogin { .. } => {
                ApiError::new(503, e.to_string())
            }
            HostError::Timeout { .. } => ApiError::new(504, e.to_string()),
            HostError::BadFlag { .. }
            | HostError::Failed { .. }
            | HostError::Parse { .. }
            | HostError::Misuse { .. } => ApiError::internal(chain(&e)),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        match e {
            AppError::Invalid(message) => ApiError::new(400, message),
            AppError::NotFound(message) => ApiError::new(404, message),
            AppError::Conflict(message) => ApiError::new(409, message),
            AppError::Forbidden(message) => ApiError::new(403, message),
            AppError::Host(host) => ApiError::from(host),
            AppError::Jobs(e) => ApiError::from(e),
            AppError::Storage(ref source) => ApiError::internal(format!("{e}: {}", chain(source))),
        }
    }
}

impl From<crate::ids::Invalid> for ApiError {
    fn from(e: crate::ids::Invalid) -> ApiError {
        AppError::from(e).into()
    }
}

impl From<JobError> for ApiError {
    fn from(e: JobError) -> ApiError {
        match e {
            JobError::Invalid(message) => ApiError::new(400, message),
            JobError::Storage(_) => ApiError::internal(chain(&e)),
        }
    }
}

/// An error and its causes, for the log.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_errors_are_401_except_the_documented_ones() {
        assert_eq!(ApiError::from(AuthError::Expired).status().as_u16(), 401);
        assert_eq!(ApiError::from(AuthError::RefreshNotFound).status().as_u16(), 404);
        let limited = ApiError::from(AuthError::RateLimited {
            retry_after: std::time::Duration::from_secs(42),
            why: crate::auth::RateLimit::Failures,
        });
        assert_eq!(limited.status().as_u16(), 429);
        assert_eq!(limited.envelope().errors[0].meta.as_ref().unwrap().retry_after, 42);
    }

    #[test]
    fn host_errors_map_to_their_statuses() {
        let status = |e: HostError| ApiError::from(e).status().as_u16();
        assert_eq!(status(HostError::AppNotFound { message: "App x does not exist".into() }), 404);
        assert_eq!(
            status(HostError::Refused { command: "c".into(), status: 1, message: "m".into() }),
            400
        );
        assert_eq!(status(HostError::Transport { detail: "d".into() }), 503);
        assert_eq!(
            status(HostError::Timeout {
                command: "c".into(),
                after: std::time::Duration::from_secs(1)
            }),
            504
        );
        assert_eq!(status(HostError::BadFlag { command: "c".into(), message: "m".into() }), 500);
        let full = "write /home/dokku/app/ENV: No space left on device";
        let refused = HostError::Refused { command: "c".into(), status: 1, message: full.into() };
        assert_eq!(status(refused), 503, "the host's failure is not the client's");
        let readonly = HostError::Refused {
            command: "c".into(),
            status: 1,
            message: "mkdir /home/dokku/app: Read-only file system".into(),
        };
        assert_eq!(status(readonly), 503);
    }
}
