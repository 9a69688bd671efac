//! A blocking TestRail API v2 client with TestRail's retry rules.
//!
//! - 429: waits `Retry-After` (seconds or an HTTP date; 3 s when absent; at most
//!   [`RetryPolicy::max_retry_after`]) and sends the same request again. A 429 never fails a
//!   request, but the total time spent waiting is bounded.
//! - 409 (Cloud maintenance), 5xx and a connection that breaks before a full answer: backs off
//!   exponentially and retries, up to [`RetryPolicy::max_attempts`] times. (For writes the
//!   caller decides first whether a resend is safe; see push.)
//! - 401 and 403 stop at once; other 4xx are returned with the server's `error` message.
//!
//! TLS is rustls with the public web roots, verified; a private CA is trusted only when a PEM
//! file is configured. Credentials never appear in an error.

use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

use super::Remote;
use crate::error::{Error, Result};

/// How hard the client retries.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts for 409/5xx/broken connections before giving up.
    pub max_attempts: u32,
    /// First backoff; doubles each attempt.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Longest single Retry-After honoured.
    pub max_retry_after: Duration,
    /// Longest total time spent waiting out 429s for one request.
    pub max_rate_limit_wait: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
    /// How long after a request was marked in flight push waits before looking for it on the
    /// server, when an earlier process died with it in flight (see `push`).
    pub settle: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
            max_rate_limit_wait: Duration::from_secs(30 * 60),
            timeout: Duration::from_secs(120),
            settle: Duration::from_secs(2),
        }
    }
}

/// What one HTTP exchange gave.
enum Outcome {
    Ok(Value),
    /// 200 with an empty body (deletes).
    Empty,
    RateLimited(Duration),
    Retry(String),
    Fatal(Error),
}

/// What one send of a request gave (see [`Client::send_once`]).
#[derive(Debug)]
pub enum Sent {
    /// Applied; the body (None when empty).
    Ok(Option<Value>),
    /// It may or may not have been applied: the connection broke, or a 409/5xx.
    Ambiguous(String),
    /// The server refused it (4xx): not applied.
    Refused { status: u16, message: String },
}

/// A TestRail API client bound to one server and user.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    auth: String,
    policy: RetryPolicy,
    /// Requests sent (including retries), for reports and tests.
    pub requests: std::cell::Cell<u64>,
}

fn parse_retry_after(v: Option<&str>, max: Duration) -> Duration {
    let d = match v.map(str::trim) {
        Some(s) => match s.parse::<f64>() {
            Ok(secs) if secs.is_finite() && secs >= 0.0 => Duration::from_secs_f64(secs),
            _ => httpdate::parse_http_date(s)
                .ok()
                .and_then(|t| t.duration_since(std::time::SystemTime::now()).ok())
                .unwrap_or(Duration::from_secs(3)),
        },
        None => Duration::from_secs(3),
    };
    d.min(max)
}

/// The server's `error` message from a body, or a short excerpt of the body.
fn error_message(body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(v) => match v.get("error").and_then(Value::as_str) {
            Some(m) => m.to_string(),
            None => excerpt(body),
        },
        Err(_) => excerpt(body),
    }
}

fn excerpt(s: &str) -> String {
    let s = s.trim();
    if s.is_empty() {
        return "(empty body)".into();
    }
    s.chars().take(200).collect()
}

impl Client {
    pub fn new(remote: &Remote, policy: RetryPolicy) -> Result<Client> {
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(ca) = &remote.ca_file {
            let pem = std::fs::read(ca)?;
            let certs = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect::<Vec<_>>();
            if certs.is_empty() {
                return Err(Error::BadRequest {
                    message: format!("{} holds no PEM certificate.", ca.display()),
                });
            }
            tls = tls.root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(certs)));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(policy.timeout))
            .max_redirects(0)
            .tls_config(tls.build())
            .user_agent(concat!("trailstore/", env!("CARGO_PKG_VERSION")))
            .build();
        let credentials = format!("{}:{}", remote.user, remote.key);
        Ok(Client {
            agent: ureq::Agent::new_with_config(config),
            // Built from the display URL: user info in the URL never reaches a request or error.
            base: format!("{}/index.php?/api/v2/", remote.display_url()),
            auth: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            ),
            policy,
            requests: std::cell::Cell::new(0),
        })
    }

    fn exchange(&self, route: &str, body: Option<&Value>) -> Outcome {
        self.requests.set(self.requests.get() + 1);
        let url = format!("{}{}", self.base, route.trim_start_matches('/'));
        let result = match body {
            None => self
                .agent
                .get(&url)
                .header("Authorization", &self.auth)
                .header("Content-Type", "application/json")
                .call(),
            Some(b) => self
                .agent
                .post(&url)
                .header("Authorization", &self.auth)
                .header("Content-Type", "application/json")
                .send(b.to_string()),
        };
        let mut resp = match result {
            Ok(r) => r,
            // ureq's errors name the URL at most, never the Authorization header.
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("Retry-After")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = match resp
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_string()
        {
            Ok(t) => t,
            Err(e) => return Outcome::Retry(format!("the answer broke off: {e}")),
        };
        match status {
            200..=299 => {
                // Some old servers put this in front of the JSON.
                let t = text
                    .strip_prefix("USER AUTHENTICATION SUCCESSFUL!\n")
                    .unwrap_or(&text);
                if t.trim().is_empty() {
                    return Outcome::Empty;
                }
                match serde_json::from_str(t) {
                    Ok(v) => Outcome::Ok(v),
                    Err(e) => Outcome::Retry(format!("the answer is not JSON ({e})")),
                }
            }
            429 => Outcome::RateLimited(parse_retry_after(
                retry_after.as_deref(),
                self.policy.max_retry_after,
            )),
            409 | 500..=599 => Outcome::Retry(format!("{status}: {}", error_message(&text))),
            _ => Outcome::Fatal(Error::Remote {
                status: Some(status),
                message: error_message(&text),
            }),
        }
    }

    /// Sends a request with the retry rules above. `None` for an empty 200 body.
    pub fn request(&self, route: &str, body: Option<&Value>) -> Result<Option<Value>> {
        let mut attempt = 0u32;
        let mut waited = Duration::ZERO;
        let mut backoff = self.policy.backoff;
        loop {
            match self.exchange(route, body) {
                Outcome::Ok(v) => return Ok(Some(v)),
                Outcome::Empty => return Ok(None),
                Outcome::Fatal(e) => return Err(e),
                Outcome::RateLimited(wait) => {
                    if waited + wait > self.policy.max_rate_limit_wait {
                        return Err(Error::Remote {
                            status: Some(429),
                            message: format!(
                                "still rate limited after waiting {} s",
                                waited.as_secs()
                            ),
                        });
                    }
                    waited += wait;
                    std::thread::sleep(wait);
                }
                Outcome::Retry(why) => {
                    attempt += 1;
                    if attempt >= self.policy.max_attempts {
                        let status = why.split(':').next().and_then(|s| s.parse().ok());
                        return Err(Error::Remote {
                            status,
                            message: format!("{why} (gave up after {attempt} attempts)"),
                        });
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(self.policy.max_backoff);
                }
            }
        }
    }

    /// Sends a request once (waiting out 429s, which are never a failure) and says what
    /// happened, leaving retries to the caller: push must decide whether a resend is safe.
    pub fn send_once(&self, route: &str, body: Option<&Value>) -> Sent {
        let mut waited = Duration::ZERO;
        loop {
            match self.exchange(route, body) {
                Outcome::Ok(v) => return Sent::Ok(Some(v)),
                Outcome::Empty => return Sent::Ok(None),
                Outcome::RateLimited(wait) => {
                    if waited + wait > self.policy.max_rate_limit_wait {
                        return Sent::Ambiguous("still rate limited".into());
                    }
                    waited += wait;
                    std::thread::sleep(wait);
                }
                Outcome::Retry(why) => return Sent::Ambiguous(why),
                Outcome::Fatal(Error::Remote {
                    status: Some(status),
                    message,
                }) => return Sent::Refused { status, message },
                Outcome::Fatal(e) => return Sent::Ambiguous(e.to_string()),
            }
        }
    }

    /// Downloads the raw bytes a GET answers (`get_attachment/{id}`) into a new
    /// [`crate::blobs::Incoming`] from `begin`, streamed, with the retry rules of
    /// [`Client::request`]: each retry starts a new one (the last attempt's is dropped).
    pub(crate) fn download(
        &self,
        route: &str,
        begin: &dyn Fn() -> Result<crate::blobs::Incoming>,
    ) -> Result<crate::blobs::Incoming> {
        let mut attempt = 0u32;
        let mut backoff = self.policy.backoff;
        let url = format!("{}{}", self.base, route.trim_start_matches('/'));
        loop {
            self.requests.set(self.requests.get() + 1);
            let why = match self
                .agent
                .get(&url)
                .header("Authorization", &self.auth)
                .call()
            {
                Err(e) => e.to_string(),
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    match status {
                        200..=299 => {
                            let mut incoming = begin()?;
                            let reader = resp
                                .body_mut()
                                .with_config()
                                .limit(crate::blobs::ATTACHMENT_MAX + 1)
                                .reader();
                            match incoming.copy_from(reader) {
                                Ok(()) => return Ok(incoming),
                                Err(e @ Error::TooLarge { .. }) => return Err(e),
                                Err(e) => format!("the download broke off: {e}"),
                            }
                        }
                        429 => {
                            let wait = parse_retry_after(
                                resp.headers()
                                    .get("Retry-After")
                                    .and_then(|v| v.to_str().ok()),
                                self.policy.max_retry_after,
                            );
                            std::thread::sleep(wait);
                            continue;
                        }
                        409 | 500..=599 => format!("{status}"),
                        _ => {
                            let text = resp.body_mut().read_to_string().unwrap_or_default();
                            return Err(Error::Remote {
                                status: Some(status),
                                message: error_message(&text),
                            });
                        }
                    }
                }
            };
            attempt += 1;
            if attempt >= self.policy.max_attempts {
                return Err(Error::Remote {
                    status: None,
                    message: format!("{route}: {why} (gave up after {attempt} attempts)"),
                });
            }
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(self.policy.max_backoff);
        }
    }

    /// Uploads a file as `multipart/form-data` in the field `attachment`, as TestRail takes
    /// attachments, once (429s waited out): the bytes are streamed from `open`, called for the
    /// attempt. Says what happened, as [`Client::send_once`] does.
    pub(crate) fn upload_once(
        &self,
        route: &str,
        file_name: &str,
        size: u64,
        open: &dyn Fn() -> Result<Box<dyn std::io::Read + Send>>,
    ) -> Sent {
        let boundary = format!("trailstore-{}", crate::journal::new_op_id());
        let name = file_name.replace(['"', '\r', '\n'], "_");
        let head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        );
        let tail = format!("\r\n--{boundary}--\r\n");
        let url = format!("{}{}", self.base, route.trim_start_matches('/'));
        let mut waited = Duration::ZERO;
        loop {
            self.requests.set(self.requests.get() + 1);
            let file = match open() {
                Ok(f) => f,
                Err(e) => return Sent::Ambiguous(e.to_string()),
            };
            let body = std::io::Read::chain(
                std::io::Read::chain(std::io::Cursor::new(head.clone().into_bytes()), file),
                std::io::Cursor::new(tail.clone().into_bytes()),
            );
            let length = head.len() as u64 + size + tail.len() as u64;
            let result = self
                .agent
                .post(&url)
                .header("Authorization", &self.auth)
                .header(
                    "Content-Type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .header("Content-Length", length.to_string())
                .send(ureq::SendBody::from_owned_reader(body));
            let mut resp = match result {
                Ok(r) => r,
                Err(e) => return Sent::Ambiguous(e.to_string()),
            };
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get("Retry-After")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let text = resp.body_mut().read_to_string().unwrap_or_default();
            match status {
                200..=299 => {
                    return Sent::Ok(serde_json::from_str(text.trim()).ok());
                }
                429 => {
                    let wait =
                        parse_retry_after(retry_after.as_deref(), self.policy.max_retry_after);
                    if waited + wait > self.policy.max_rate_limit_wait {
                        return Sent::Ambiguous("still rate limited".into());
                    }
                    waited += wait;
                    std::thread::sleep(wait);
                }
                409 | 500..=599 => {
                    return Sent::Ambiguous(format!("{status}: {}", error_message(&text)))
                }
                _ => {
                    return Sent::Refused {
                        status,
                        message: error_message(&text),
                    }
                }
            }
        }
    }

    /// The retry policy in force.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// A GET that must answer JSON.
    pub fn get(&self, route: &str) -> Result<Value> {
        self.request(route, None)?.ok_or_else(|| Error::Remote {
            status: Some(200),
            message: format!("{route} answered an empty body"),
        })
    }

    /// Every item of a list endpoint: follows `_links.next` of paged answers, and takes a bare
    /// array (TestRail before 6.7) as complete. `on_page` is told each page's size.
    pub fn get_all(
        &self,
        route: &str,
        key: &str,
        mut on_page: impl FnMut(usize),
    ) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut next = Some(route.to_string());
        let mut pages = 0;
        while let Some(r) = next.take() {
            pages += 1;
            if pages > 1_000_000 {
                return Err(Error::Remote {
                    status: None,
                    message: format!("{route}: the server's paging never ends"),
                });
            }
            match self.get(&r)? {
                Value::Array(items) => {
                    on_page(items.len());
                    out.extend(items);
                }
                Value::Object(mut m) => {
                    let items = match m.remove(key) {
                        Some(Value::Array(items)) => items,
                        _ => {
                            return Err(Error::Remote {
                                status: Some(200),
                                message: format!("{r} answered without a \"{key}\" list"),
                            })
                        }
                    };
                    on_page(items.len());
                    out.extend(items);
                    next = m
                        .get("_links")
                        .and_then(|l| l.get("next"))
                        .and_then(Value::as_str)
                        .map(|n| {
                            // trcli's fix for servers that put limit=0 into next links.
                            n.trim_start_matches("/api/v2/")
                                .replace("limit=0", "limit=250")
                        });
                }
                _ => {
                    return Err(Error::Remote {
                        status: Some(200),
                        message: format!("{r} answered neither a list nor a page"),
                    })
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let max = Duration::from_secs(300);
        assert_eq!(parse_retry_after(Some("2"), max), Duration::from_secs(2));
        assert_eq!(
            parse_retry_after(Some("0.5"), max),
            Duration::from_millis(500)
        );
        assert_eq!(parse_retry_after(None, max), Duration::from_secs(3));
        assert_eq!(parse_retry_after(Some("9999"), max), max);
        let later = std::time::SystemTime::now() + Duration::from_secs(20);
        let d = parse_retry_after(Some(&httpdate::fmt_http_date(later)), max);
        assert!(
            d <= Duration::from_secs(20) && d >= Duration::from_secs(18),
            "{d:?}"
        );
        assert_eq!(parse_retry_after(Some("soon"), max), Duration::from_secs(3));
    }

    #[test]
    fn remote_urls_hide_credentials() {
        let r = Remote {
            url: "https://bob:secret@example.testrail.io/".into(),
            user: "bob".into(),
            key: "sentinel-key".into(),
            ca_file: None,
        };
        assert_eq!(r.display_url(), "https://example.testrail.io");
        assert!(!format!("{r:?}").contains("sentinel-key"));
    }
}
