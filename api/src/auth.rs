//! Credential extractors: what the `Authorization` header carries, parsed but not verified.
//!
//! The generated trait takes [`BearerAuth`] on every operation whose security is `bearer_auth`
//! and [`BasicOrBearerAuth`] on `login` (`basic_auth` or `bearer_auth`). Extraction never fails:
//! deciding whether credentials are acceptable (and answering 401) needs the user and token
//! stores, which live in the server. Secrets are wrapped in [`Secret`], whose `Debug` never shows
//! them, so a stray `{:?}` cannot log a password or token.

use std::fmt;

use async_trait::async_trait;
use base64::Engine as _;
use dropshot::{
    ApiEndpointBodyContentType, ExtensionMode, ExtractorMetadata, HttpError, RequestContext,
    ServerContext, SharedExtractor,
};

/// A string that must not be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that verifies it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// What a request presented.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// No `Authorization` header.
    Missing,
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// `Authorization: Basic base64(user:password)`.
    Basic { username: String, password: Secret },
    /// A header that is present but unusable; the reason is safe to show (it never contains the
    /// credential).
    Malformed(&'static str),
}

impl Credentials {
    /// Parses one `Authorization` header value. Scheme names are case-insensitive (RFC 9110).
    pub fn parse(header: Option<&[u8]>) -> Credentials {
        let Some(raw) = header else { return Credentials::Missing };
        let Ok(value) = std::str::from_utf8(raw) else {
            return Credentials::Malformed("the Authorization header is not valid UTF-8");
        };
        let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            if rest.is_empty() || rest.contains(char::is_whitespace) {
                return Credentials::Malformed("the bearer token is empty or contains whitespace");
            }
            Credentials::Bearer(Secret::new(rest))
        } else if scheme.eq_ignore_ascii_case("basic") {
            let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(rest) else {
                return Credentials::Malformed("the basic credentials are not valid base64");
            };
            let Ok(decoded) = String::from_utf8(decoded) else {
                return Credentials::Malformed("the basic credentials are not valid UTF-8");
            };
            let Some((username, password)) = decoded.split_once(':') else {
                return Credentials::Malformed("the basic credentials have no `:`");
            };
            Credentials::Basic { username: username.to_string(), password: Secret::new(password) }
        } else {
            Credentials::Malformed("unsupported authorization scheme (use Bearer or Basic)")
        }
    }

    fn from_request<C: ServerContext>(rqctx: &RequestContext<C>) -> Credentials {
        let mut headers = rqctx.request.headers().get_all(http::header::AUTHORIZATION).iter();
        let first = headers.next();
        // Two credentials are ambiguous (a proxy and a client may each have added one): refuse
        // rather than pick one.
        if headers.next().is_some() {
            return Credentials::Malformed("send exactly one Authorization header");
        }
        Credentials::parse(first.map(|h| h.as_bytes()))
    }
}

/// The credentials of an operation secured by `bearer_auth`.
#[derive(Clone, Debug)]
pub struct BearerAuth(pub Credentials);

/// The credentials of `login`, secured by `basic_auth` or `bearer_auth`.
#[derive(Clone, Debug)]
pub struct BasicOrBearerAuth(pub Credentials);

fn no_parameters() -> ExtractorMetadata {
    // Security is not a parameter; the served document gets it from the seed in post-processing.
    ExtractorMetadata { extension_mode: ExtensionMode::None, parameters: vec![] }
}

// The two types exist so that the generated trait says which credentials an operation accepts;
// both are read from the request the same way, by `Credentials::from_request`.
#[async_trait]
impl SharedExtractor for BearerAuth {
    async fn from_request<C: ServerContext>(rqctx: &RequestContext<C>) -> Result<Self, HttpError> {
        Ok(BearerAuth(Credentials::from_request(rqctx)))
    }

    fn metadata(_: ApiEndpointBodyContentType) -> ExtractorMetadata {
        no_parameters()
    }
}

#[async_trait]
impl SharedExtractor for BasicOrBearerAuth {
    async fn from_request<C: ServerContext>(rqctx: &RequestContext<C>) -> Result<Self, HttpError> {
        Ok(BasicOrBearerAuth(Credentials::from_request(rqctx)))
    }

    fn metadata(_: ApiEndpointBodyContentType) -> ExtractorMetadata {
        no_parameters()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_schemes() {
        assert_eq!(Credentials::parse(None), Credentials::Missing);
        assert_eq!(
            Credentials::parse(Some(b"Bearer abc.def")),
            Credentials::Bearer(Secret::new("abc.def"))
        );
        assert_eq!(
            Credentials::parse(Some(b"bearer  abc ")),
            Credentials::Bearer(Secret::new("abc"))
        );
        // "alice:hunter2:x" -> the password may contain colons.
        let basic =
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("alice:hun:ter2"));
        assert_eq!(
            Credentials::parse(Some(basic.as_bytes())),
            Credentials::Basic { username: "alice".into(), password: Secret::new("hun:ter2") }
        );
    }

    #[test]
    fn malformed_headers_are_named_without_the_secret() {
        for raw in [&b"Bearer"[..], b"Bearer a b", b"Basic !!!", b"Digest x", b"\xff"] {
            match Credentials::parse(Some(raw)) {
                Credentials::Malformed(why) => assert!(!why.contains('!')),
                other => panic!("{raw:?} parsed as {other:?}"),
            }
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let c = Credentials::Basic { username: "alice".into(), password: Secret::new("hunter2") };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
