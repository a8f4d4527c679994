//! The web app (issue 6): one shell page for every app route and the hand-written ES
//! modules, CSS and icon it loads, all embedded in the binary so the app works offline and
//! needs nothing from another host. Swagger UI comes from the vendored copy at `/api/docs/`.
//!
//! *Boundary:* the app is a client of the public HTTP API (`/api/*`, `/p/*`) with the
//! session cookie; nothing here reads the store. Every response carries a strict
//! Content-Security-Policy (`'self'` only, no inline scripts).

use std::sync::OnceLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::problem::Problem;

/// What the app's pages may load and connect to: this server only. Swagger UI (Contract
/// tab) draws its icons from `data:` URLs; the Preview tab frames `/p/…`.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'";

/// One embedded file.
struct Asset {
    path: &'static str,
    bytes: &'static [u8],
}

macro_rules! assets {
    ($($path:literal),* $(,)?) => {
        &[$(Asset { path: $path, bytes: include_bytes!(concat!("../ui/", $path)) }),*]
    };
}

/// The app's files, served at `/ui/{path}`.
const ASSETS: &[Asset] = assets![
    "app.css",
    "app.js",
    "api.js",
    "diff.js",
    "dom.js",
    "examples.js",
    "favicon.svg",
    "progress.js",
    "syntax.js",
    "pages/callback.js",
    "pages/dashboard.js",
    "pages/login.js",
    "pages/new.js",
    "pages/project.js",
    "tabs/contract.js",
    "tabs/download.js",
    "tabs/files.js",
    "tabs/preview.js",
    "tabs/settings.js",
    "tabs/tests.js",
    "tabs/versions.js",
];

/// The page every app route returns; the modules render the route.
const SHELL: &[u8] = include_bytes!("../ui/index.html");

/// The app's routes: pages (the shell) and assets. Stateless, so it merges into any router.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(shell))
        .route("/login", get(shell))
        .route("/auth/callback", get(shell))
        .route("/new", get(shell))
        .route("/projects/{id}", get(shell))
        .route("/projects/{id}/{tab}", get(shell))
        .route("/ui/{*path}", get(asset))
}

async fn shell(headers: HeaderMap) -> Response {
    serve(
        &headers,
        SHELL,
        "text/html; charset=utf-8",
        etag(usize::MAX),
    )
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    match ASSETS.iter().position(|a| a.path == path) {
        Some(index) => {
            let asset = &ASSETS[index];
            serve(&headers, asset.bytes, content_type(asset.path), etag(index))
        }
        None => Problem::not_found(format!("the web app has no file {path:?}")).into_response(),
    }
}

/// A file with its validator. Assets have no fingerprint in their names, so browsers
/// revalidate every time (`no-cache`) and get `304` while the binary is the same.
fn serve(headers: &HeaderMap, bytes: &'static [u8], content_type: &str, etag: &str) -> Response {
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], bytes).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

/// The entity tag of asset `index` (`usize::MAX`: the shell), computed once.
fn etag(index: usize) -> &'static str {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| a.bytes)
            .chain([SHELL])
            .map(|bytes| {
                let digest = Sha256::digest(bytes);
                let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
                format!("\"{hex}\"")
            })
            .collect()
    });
    let index = index.min(ASSETS.len());
    tags.get(index).map_or("\"\"", String::as_str)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get(path: &str, headers: &[(&str, &str)]) -> Response {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        router::<()>()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn app_routes_serve_the_shell_with_a_strict_policy() {
        for path in [
            "/",
            "/login",
            "/auth/callback?token=x",
            "/new",
            "/projects/p1/files",
        ] {
            let response = get(path, &[]).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let headers = response.headers();
            assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
            assert_eq!(headers[header::CONTENT_SECURITY_POLICY], CSP);
            assert!(!CSP.contains("unsafe") && !CSP.contains("http"), "{CSP}");
        }
    }

    #[tokio::test]
    async fn assets_have_types_and_validators() {
        let response = get("/ui/app.js", &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        let tag = response.headers()[header::ETAG]
            .to_str()
            .unwrap()
            .to_owned();
        let again = get("/ui/app.js", &[("if-none-match", &tag)]).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(
            get("/ui/nope.js", &[]).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get("/ui/../Cargo.toml", &[]).await.status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn every_module_the_app_imports_is_embedded() {
        // An import of a file missing from ASSETS would fail only in the browser.
        for asset in ASSETS.iter().filter(|a| a.path.ends_with(".js")) {
            let text = std::str::from_utf8(asset.bytes).unwrap();
            let dir = asset.path.rsplit_once('/').map_or("", |(d, _)| d);
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let Some(spec) = line.rsplit(['\'', '"']).nth(1) else {
                    continue;
                };
                let resolved = resolve(dir, spec);
                assert!(
                    ASSETS.iter().any(|a| a.path == resolved),
                    "{} imports {spec} ({resolved}), which is not embedded",
                    asset.path
                );
            }
        }
    }

    #[test]
    fn every_file_of_the_app_is_embedded() {
        fn walk(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, base, out);
                } else {
                    let relative = path.strip_prefix(base).unwrap();
                    out.push(relative.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
        let mut files = Vec::new();
        walk(&base, &base, &mut files);
        for file in files.iter().filter(|f| f.as_str() != "index.html") {
            assert!(
                ASSETS.iter().any(|a| a.path == file),
                "ui/{file} is not in ASSETS, so the binary does not serve it"
            );
        }
    }

    fn resolve(dir: &str, spec: &str) -> String {
        let mut parts: Vec<&str> = if spec.starts_with("/ui/") {
            Vec::new()
        } else {
            dir.split('/').filter(|p| !p.is_empty()).collect()
        };
        for part in spec.trim_start_matches("/ui/").split('/') {
            match part {
                "." => {}
                ".." => {
                    parts.pop();
                }
                other => parts.push(other),
            }
        }
        parts.join("/")
    }
}
