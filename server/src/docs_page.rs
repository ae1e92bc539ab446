//! The interactive API reference at `GET /@api/docs`: Swagger UI rendering the served document
//! (`GET /@api/openapi.json`), so that an operator can read and try the API from a browser.
//!
//! Swagger UI is vendored, pinned, in `server/assets/docs/swagger-ui/` (the README there says how
//! to update it) and every file of the page is compiled into the binary: the page works offline
//! and behind a firewall, and what a browser runs is what was reviewed. Its
//! Content-Security-Policy ([`CONTENT_SECURITY_POLICY`]) lets it load nothing but these files and
//! talk to nothing but this server.
//!
//! Caching: scripts, style sheets and the icon are linked under names that carry a fingerprint of
//! their content (`swagger-ui-bundle.<fingerprint>.js`), so a browser keeps them for good; the page
//! itself is revalidated on every visit, so the page of a new binary names its new files. The
//! licence texts keep their names (the page links them), and are kept for a day.

use std::collections::HashMap;
use std::sync::LazyLock;

use bytes::Bytes;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::responses::HttpResponseOkFile;
use http::header::{self, HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};

/// What the page may load and where it may connect: scripts, style sheets and images from this
/// server only (images also as `data:` URLs, which Swagger UI's style sheet uses for its icons),
/// requests to this server only (the document, and the operations tried from the page). No inline
/// script or style, no plugin, no `<base>`, no form posted anywhere, and no framing by another
/// site.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// Browsers keep fingerprinted files for a year without asking again.
const CACHE_FINGERPRINTED: &str = "public, max-age=31536000, immutable";
/// The page names the current fingerprints, so it is revalidated on every visit.
const CACHE_PAGE: &str = "no-cache";
/// Licence texts keep their names across versions.
const CACHE_NAMED: &str = "public, max-age=86400";

macro_rules! asset {
    ($path:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/docs/", $path))
    };
}

/// One file the page loads or links.
struct File {
    /// The name `index.html` refers to it by (`{{name}}`), and its URL name when not fingerprinted.
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    /// Served under a name with a fingerprint of its content, and cached for good.
    fingerprinted: bool,
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// Every file the page loads or links, one a line.
const FILES: &[File] = &[
    loaded("swagger-ui-bundle.js", JS, asset!("swagger-ui/swagger-ui-bundle.js")),
    loaded("swagger-ui.css", CSS, asset!("swagger-ui/swagger-ui.css")),
    loaded("favicon-32x32.png", "image/png", asset!("swagger-ui/favicon-32x32.png")),
    loaded("docs.js", JS, asset!("docs.js")),
    loaded("docs.css", CSS, asset!("docs.css")),
    linked("LICENSE", asset!("swagger-ui/LICENSE")),
    linked("NOTICE", asset!("swagger-ui/NOTICE")),
    linked(
        "swagger-ui-bundle.js.LICENSE.txt",
        asset!("swagger-ui/swagger-ui-bundle.js.LICENSE.txt"),
    ),
];

/// A file the page loads: fingerprinted.
const fn loaded(name: &'static str, content_type: &'static str, bytes: &'static [u8]) -> File {
    File { name, content_type, bytes, fingerprinted: true }
}

/// A licence text the page links: plain text under its own name.
const fn linked(name: &'static str, bytes: &'static [u8]) -> File {
    File { name, content_type: TEXT, bytes, fingerprinted: false }
}

const PAGE_TEMPLATE: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/docs/index.html"));
/// The vendored package's manifest, for the version the page names.
const SWAGGER_UI_PACKAGE: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/docs/swagger-ui/package.json"));

/// The page and its files by URL name, rendered once (fingerprinting hashes about 2 MB).
struct Site {
    page: Bytes,
    files: HashMap<String, &'static File>,
}

static SITE: LazyLock<Site> = LazyLock::new(Site::render);

impl Site {
    fn render() -> Site {
        let mut page = PAGE_TEMPLATE.replace("{{swagger-ui-version}}", &swagger_ui_version());
        let mut files = HashMap::new();
        for file in FILES {
            let url_name = url_name(file);
            page = page.replace(&format!("{{{{{}}}}}", file.name), &url_name);
            files.insert(url_name, file);
        }
        assert!(!page.contains("{{"), "index.html names a file that FILES does not have");
        Site { page: Bytes::from(page), files }
    }
}

/// The version of the vendored Swagger UI, from its `package.json`.
fn swagger_ui_version() -> String {
    let manifest: serde_json::Value =
        serde_json::from_str(SWAGGER_UI_PACKAGE).expect("the vendored package.json is JSON");
    manifest["version"].as_str().expect("the vendored package.json has a version").to_string()
}

/// `swagger-ui-bundle.js` -> `swagger-ui-bundle.<first 16 hex digits of its SHA-256>.js`.
fn url_name(file: &File) -> String {
    if !file.fingerprinted {
        return file.name.to_string();
    }
    let digest = Sha256::digest(file.bytes);
    let fingerprint: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    match file.name.rsplit_once('.') {
        Some((stem, extension)) => format!("{stem}.{fingerprint}.{extension}"),
        None => format!("{}.{fingerprint}", file.name),
    }
}

/// `GET /@api/docs`.
pub fn page() -> HttpResponseOkFile {
    let mut headers = common_headers("text/html; charset=utf-8", CACHE_PAGE);
    headers
        .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    HttpResponseOkFile { headers, body: SITE.page.clone().into() }
}

/// `GET /@api/docs/{asset}`: a file the page links, by the name it links it by.
pub fn file(url_name: &str) -> Result<HttpResponseOkFile, ApiError> {
    let file = SITE.files.get(url_name).ok_or_else(|| {
        ApiError::new(404, format!("The reference page has no file {url_name:?}"))
    })?;
    let cache = if file.fingerprinted { CACHE_FINGERPRINTED } else { CACHE_NAMED };
    Ok(HttpResponseOkFile {
        headers: common_headers(file.content_type, cache),
        body: Bytes::from_static(file.bytes).into(),
    })
}

fn common_headers(content_type: &'static str, cache: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    // Browsers must take the content type as given (a licence text is never run as a script).
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The URL names `index.html` links to, after `docs/`.
    fn linked_names(page: &str) -> Vec<String> {
        page.split("\"docs/")
            .skip(1)
            .map(|rest| rest.split('"').next().expect("a quoted attribute").to_string())
            .collect()
    }

    #[test]
    fn the_page_links_every_file_under_the_name_it_is_served_by() {
        let page = std::str::from_utf8(&SITE.page).unwrap();
        let linked = linked_names(page);
        assert_eq!(linked.len(), FILES.len(), "{linked:?}");
        for name in &linked {
            assert!(file(name).is_ok(), "the page links {name}, which is not served");
        }
        assert!(page.contains(&format!("Swagger UI {}", swagger_ui_version())));
        assert!(!page.contains("{{"));
    }

    #[test]
    fn scripts_and_styles_are_fingerprinted_and_cached_for_good() {
        let bundle = url_name(&FILES[0]);
        assert!(bundle.starts_with("swagger-ui-bundle.") && bundle.ends_with(".js"), "{bundle}");
        assert_eq!(bundle.len(), "swagger-ui-bundle..js".len() + 16);
        let response = file(&bundle).unwrap();
        assert_eq!(response.headers[header::CONTENT_TYPE], JS);
        assert_eq!(response.headers[header::CACHE_CONTROL], CACHE_FINGERPRINTED);
        assert_eq!(response.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        // The unfingerprinted name is not served: a cached-for-good file always has one content.
        assert_eq!(file("swagger-ui-bundle.js").err().unwrap().status().as_u16(), 404);
        let licence = file("LICENSE").unwrap();
        assert_eq!(licence.headers[header::CONTENT_TYPE], TEXT);
        assert_eq!(licence.headers[header::CACHE_CONTROL], CACHE_NAMED);
    }

    #[test]
    fn the_page_is_revalidated_and_locked_down() {
        let response = page();
        assert_eq!(response.headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(response.headers[header::CACHE_CONTROL], CACHE_PAGE);
        let policy = response.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(policy.starts_with("default-src 'none';"), "{policy}");
        assert!(!policy.contains("unsafe"), "{policy}");
    }

    #[test]
    fn unknown_files_are_404() {
        for name in ["", "..", "../Cargo.toml", "index.html", "swagger-ui.css.map"] {
            let error = file(name).err().unwrap();
            assert_eq!(error.status().as_u16(), 404, "{name}");
        }
    }
}
