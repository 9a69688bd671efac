//! `trailstore serve`: TestRail's API v2 over HTTP, through the same dispatcher.
//!
//! - URLs as TestRail has them: `/index.php?/api/v2/get_cases/1&suite_id=2`; the route is read
//!   from the raw query string (any path ending in `/index.php` works, e.g. `/testrail/index.php`).
//! - GET for reads, POST for writes; POST bodies need `Content-Type: application/json` and get
//!   TestRail's 400 when it is missing or different.
//! - HTTP Basic (email + password or API key) when the server is started with a user and key;
//!   failures get TestRail's 401 body.
//! - Errors are `{"error": "..."}` with TestRail's status codes; deletes answer an empty 200.
//! - Uploads (`add_attachment_to_*`) are `multipart/form-data` with the file in the field
//!   `attachment`, streamed into the store as they arrive (a 256 MB file is never held in
//!   memory), and refused with 413 past 256 MB; `get_attachment` answers the bytes, streamed,
//!   with a content type from the file's extension.
//! - Requests are served concurrently: store calls run on a blocking pool.
//! - An optional fault plan (see [`faults`]) for testing sync against a misbehaving server.

pub mod faults;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::serve::ListenerExt;
use base64::Engine as _;
use trailstore::{AttachmentFile, Error, Request, Result, Store, ATTACHMENT_MAX};

pub use faults::FaultPlan;

/// TestRail's answer to bad credentials (401).
pub const AUTH_FAILED: &str =
    "Authentication failed: invalid or missing user/password or session cookie.";

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub bind: SocketAddr,
    /// The user and key clients must send; no authentication when absent.
    pub user: Option<String>,
    pub key: Option<String>,
    pub faults: Option<FaultPlan>,
}

struct App {
    store: Store,
    user: Option<String>,
    key: Option<String>,
    faults: Option<faults::Faults>,
}

fn json_response(status: u16, body: String) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(body))
        .unwrap_or_default()
}

fn error_response(status: u16, message: &str) -> Response {
    json_response(status, serde_json::json!({ "error": message }).to_string())
}

/// Constant-time comparison, so a key cannot be guessed from response times.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn authorized(app: &App, headers: &HeaderMap) -> bool {
    let (Some(user), Some(key)) = (&app.user, &app.key) else {
        return true;
    };
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Ok(text) = String::from_utf8(decoded) else {
        return false;
    };
    let Some((u, k)) = text.split_once(':') else {
        return false;
    };
    u.eq_ignore_ascii_case(user) && same_secret(k.as_bytes(), key.as_bytes())
}

/// The largest JSON body taken (a bulk add of thousands of results fits with room).
const JSON_BODY_MAX: usize = 64 * 1024 * 1024;

/// Room for a multipart body's boundaries and headers around a file of the largest size.
const MULTIPART_SLACK: u64 = 64 * 1024;

fn is_upload(m: trailstore::Method) -> bool {
    m.name().starts_with("add_attachment_to_")
}

async fn handle(State(app): State<Arc<App>>, req: axum::extract::Request) -> Response {
    let (parts, body) = req.into_parts();
    let (method, uri, headers) = (
        parts.method.clone(),
        parts.uri.clone(),
        parts.headers.clone(),
    );
    if !uri.path().ends_with("/index.php") {
        return error_response(404, "Not found: the API is at /index.php?/api/v2/<method>.");
    }
    let query = uri.query().unwrap_or("");
    let Some(route) = query.strip_prefix("/api/v2/") else {
        return error_response(404, "Not found: the API is at /index.php?/api/v2/<method>.");
    };
    if !authorized(&app, &headers) {
        return error_response(401, AUTH_FAILED);
    }
    if let Some(f) = &app.faults {
        if f.stats_route(route) {
            return json_response(200, f.stats().to_string());
        }
    }
    let request = match Request::parse(route, None) {
        Ok(r) => r,
        Err(e) => return error_response(e.http_status(), &e.to_string()),
    };
    let write = request.method.is_write();
    // TestRail knows only GET and POST, so any other verb is the wrong one for every method.
    let post = match method {
        Method::GET => false,
        Method::POST => true,
        _ => !write,
    };
    if let Err(e) = request.method.check_verb(post) {
        return error_response(e.http_status(), &e.to_string());
    }
    let upload = is_upload(request.method);
    if method == Method::POST && !upload {
        if let Some(refusal) = refuse_content_type(&headers) {
            return refusal;
        }
    }
    let fault = app
        .faults
        .as_ref()
        .map(|f| f.decide(request.method.name(), write, &headers))
        .unwrap_or_default();
    if let Some(d) = fault.delay {
        tokio::time::sleep(d).await;
    }
    if let Some(r) = fault.respond_before() {
        return r;
    }
    if upload {
        let req = axum::extract::Request::from_parts(parts, body);
        let result = receive_upload(&app.store, route, &headers, req).await;
        if fault.drop_after {
            return faults::dropped_response();
        }
        return match result {
            Ok(v) => json_response(200, v.to_string()),
            Err(e) => error_response(e.http_status(), &e.to_string()),
        };
    }
    let body = match axum::body::to_bytes(body, JSON_BODY_MAX).await {
        Ok(b) => b,
        Err(_) => return error_response(413, "The request body is too large."),
    };
    let text = match String::from_utf8(body.to_vec()) {
        Ok(t) => t,
        Err(_) => return error_response(400, "The request body is not valid UTF-8."),
    };
    let store = app.store.clone();
    // The body is parsed inside the task so that a bad body meets a `drop_after` fault as any
    // other failed call does.
    let result = tokio::task::spawn_blocking(move || {
        let body = trailstore::parse_body(&text)?;
        store.answer_request(&request.with_body(body)?)
    })
    .await;
    let result = match result {
        Ok(r) => r,
        Err(_) => Err(Error::Internal {
            detail: "the request handler panicked".into(),
        }),
    };
    if fault.drop_after {
        return faults::dropped_response();
    }
    match result {
        Ok(answer) if answer.as_file().is_some() => match answer.into_file() {
            Some(f) => file_response(f),
            None => error_response(500, "get_attachment answered no file"),
        },
        Ok(answer) if !answer.is_empty() => json_response(200, answer.to_text()),
        Ok(_) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .body(Body::empty())
            .unwrap_or_default(),
        Err(e) => error_response(e.http_status(), &e.to_string()),
    }
}

/// Runs a blocking store operation off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|_| {
        Err(Error::Internal {
            detail: "the request handler panicked".into(),
        })
    })
}

/// Streams the `attachment` field of a multipart upload into the store, chunk by chunk.
async fn receive_upload(
    store: &Store,
    route: &str,
    headers: &HeaderMap,
    req: axum::extract::Request,
) -> Result<serde_json::Value> {
    let too_large = || trailstore::Error::TooLarge {
        message: format!(
            "The attachment is larger than {} MB, the largest file TestRail accepts.",
            ATTACHMENT_MAX / (1024 * 1024)
        ),
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > ATTACHMENT_MAX + MULTIPART_SLACK) {
        return Err(too_large());
    }
    let bad = |m: &str| Error::BadRequest {
        message: m.to_string(),
    };
    let mut multipart = Multipart::from_request(req, &()).await.map_err(|_| {
        bad("An upload must be multipart/form-data, with the file in the field attachment.")
    })?;
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| bad(&format!("The multipart body could not be read: {e}")))?;
        let Some(mut field) = field else {
            return Err(Error::Validation {
                field: "attachment".into(),
                message: "Field :attachment is a required field.".into(),
            });
        };
        if field.name() != Some("attachment") {
            continue;
        }
        let name = field.file_name().unwrap_or_default().to_string();
        let (s, r) = (store.clone(), route.to_string());
        let mut up = blocking(move || s.upload(&r, &name)).await?;
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| bad(&format!("The upload was cut short: {e}")))?
        {
            up = blocking(move || up.write(&chunk).map(|()| up)).await?;
        }
        return blocking(move || up.finish()).await;
    }
}

/// The bytes of an attachment, streamed from the store.
fn file_response(f: AttachmentFile) -> Response {
    let disposition = format!(
        "attachment; filename*=UTF-8''{}",
        percent_encoding::utf8_percent_encode(f.name(), percent_encoding::NON_ALPHANUMERIC)
    );
    let (size, content_type) = (f.size(), f.content_type());
    let stream = futures_util::stream::unfold((f, 0u64), |(f, pos)| async move {
        if pos >= f.size() {
            return None;
        }
        let read = tokio::task::spawn_blocking(move || {
            let mut buf = vec![0u8; 256 * 1024];
            let n = f.read_at(&mut buf, pos)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((buf, f))
        })
        .await;
        match read {
            Ok(Ok((buf, f))) if !buf.is_empty() => {
                let n = buf.len() as u64;
                Some((Ok::<_, std::io::Error>(Bytes::from(buf)), (f, pos + n)))
            }
            _ => None,
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, size)
        .header(header::CONTENT_DISPOSITION, disposition)
        .body(Body::from_stream(stream))
        .unwrap_or_default()
}

/// TestRail's 400 for a POST whose body is not declared as JSON.
fn refuse_content_type(headers: &HeaderMap) -> Option<Response> {
    let message = match headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        None => "Content-Type header missing (use Content-Type: application/json)",
        Some(ct)
            if !ct
                .trim()
                .to_ascii_lowercase()
                .starts_with("application/json") =>
        {
            "Content-Type header invalid (use Content-Type: application/json)"
        }
        Some(_) => return None,
    };
    Some(error_response(400, message))
}

/// Serves `store` until Ctrl-C or SIGTERM. `ready` is told the bound address (useful with
/// port 0) once the server accepts connections.
pub fn run(store: Store, config: ServeConfig, ready: impl FnOnce(SocketAddr)) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        // A reply written in two pieces (head, then body) otherwise waits for the client's
        // delayed ACK, about 40 ms per request under Nagle's algorithm.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let app = Arc::new(App {
            store,
            user: config.user,
            key: config.key,
            faults: config.faults.map(faults::Faults::new),
        });
        // Bodies are bounded here, not by axum's 2 MB default: JSON by JSON_BODY_MAX, uploads
        // by the 256 MB of an attachment, counted as they stream.
        let router = axum::Router::new()
            .fallback(handle)
            .layer(axum::extract::DefaultBodyLimit::disable())
            .with_state(app);
        ready(addr);
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(Error::Io)
    })
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
