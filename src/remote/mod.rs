//! Talking to a TestRail server: credentials, the HTTP client, and pull.
//!
//! Credentials come from flags, the environment (`TESTRAIL_URL`, `TESTRAIL_USER`,
//! `TESTRAIL_KEY`, the names TestRail's own tools use) or a config file only its owner can read.
//! They live in memory only: they are never written to the store, the journal, logs or error
//! messages (`Remote`'s `Debug` hides the key).

mod client;
mod pull;
mod push;

pub use client::{Client, RetryPolicy, Sent};
pub use pull::{PullOptions, PullProgress, PullReport};
pub use push::{ClosedRun, PushOptions, PushProgress, PushReport};

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::store::Store;

/// The environment variable of the TestRail URL (the name TestRail's own tools read).
pub const ENV_URL: &str = "TESTRAIL_URL";
/// The environment variable of the TestRail user's email.
pub const ENV_USER: &str = "TESTRAIL_USER";
/// The environment variable of the TestRail API key or password.
pub const ENV_KEY: &str = "TESTRAIL_KEY";

/// Secrets shorter than this are not scrubbed from messages: they cannot be told apart from
/// ordinary words.
const SECRET_MIN: usize = 4;

/// Pulls from `remote` into `store` (see [`PullOptions`] and the README's "Pull").
///
/// Refused with [`Error::Busy`] before anything is fetched when this thread has a batch open
/// (the pull's own write would wait for it). Every error is scrubbed of the key and of a
/// password in the URL, so not even a server that echoes what it was sent puts them in a
/// message.
pub fn pull(
    store: &Store,
    remote: &Remote,
    opts: &PullOptions,
    progress: &mut dyn FnMut(PullProgress),
) -> Result<PullReport> {
    store.refuse_in_batch("pull")?;
    guarded(remote, "pull", || pull::run(store, remote, opts, progress))
}

/// Pushes the journal's pending entries to `remote` exactly once (see [`PushOptions`] and the
/// README's "Push"). Refused and scrubbed as [`pull`] is.
pub fn push(
    store: &Store,
    remote: &Remote,
    opts: &PushOptions,
    progress: &mut dyn FnMut(PushProgress),
) -> Result<PushReport> {
    store.refuse_in_batch("push")?;
    guarded(remote, "push", || push::push(store, remote, opts, progress))
}

/// Runs a pull or push with a panic turned into [`Error::Internal`], and every error, that one
/// included, scrubbed of the remote's secrets: no front has to catch or scrub anything itself.
fn guarded<T>(remote: &Remote, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let out = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(Error::internal(format!(
            "a panic was caught during {what}: {}",
            crate::store::panic_text(payload.as_ref())
        ))),
    };
    out.map_err(|e| remote.scrub(e))
}

/// Options of pull and push given as one JSON object (how the C front takes them): each
/// `from_json` refuses an unknown key naming the known ones, and a value of the wrong type with
/// TestRail's `Field :…` wording. `"config"`, the config file of [`Remote::resolve`], is known to
/// both and read with [`config_option`].
impl PullOptions {
    /// `{"projects": id | [ids], "scan": bool, "results": bool, "attachments": bool, "config":
    /// path}`.
    pub fn from_json(options: &Map<String, Value>, function: &str) -> Result<PullOptions> {
        known_options(
            options,
            function,
            &["projects", "scan", "results", "attachments", "config"],
        )?;
        Ok(PullOptions {
            projects: projects_option(options)?,
            scan: bool_option(options, "scan", true)?,
            results: bool_option(options, "results", false)?,
            attachments: bool_option(options, "attachments", false)?,
            ..PullOptions::default()
        })
    }
}

impl PushOptions {
    /// `{"dry_run": bool, "closed_run": "hold" | "new", "config": path}`.
    pub fn from_json(options: &Map<String, Value>, function: &str) -> Result<PushOptions> {
        known_options(options, function, &["dry_run", "closed_run", "config"])?;
        let closed_run = match options.get("closed_run") {
            None | Some(Value::Null) => ClosedRun::Hold,
            Some(Value::String(s)) if s == "hold" => ClosedRun::Hold,
            Some(Value::String(s)) if s == "new" => ClosedRun::New,
            Some(_) => {
                return Err(Error::validation(
                    "closed_run",
                    "Field :closed_run must be hold or new.",
                ))
            }
        };
        Ok(PushOptions {
            dry_run: bool_option(options, "dry_run", false)?,
            closed_run,
            ..PushOptions::default()
        })
    }
}

/// The `"config"` member of pull or push options: the path of a config file.
pub fn config_option(options: &Map<String, Value>) -> Result<Option<PathBuf>> {
    match options.get("config") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(PathBuf::from(s))),
        Some(_) => Err(Error::validation(
            "config",
            "Field :config must be the path of a file.",
        )),
    }
}

fn known_options(options: &Map<String, Value>, function: &str, known: &[&str]) -> Result<()> {
    match options.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(Error::validation(
            unknown.as_str(),
            format!(
                "Field :{unknown} is not an option of {function} (it takes {}).",
                known.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

fn bool_option(options: &Map<String, Value>, key: &str, default: bool) -> Result<bool> {
    match options.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(Error::validation(
            key,
            format!("Field :{key} must be true or false."),
        )),
    }
}

fn projects_option(options: &Map<String, Value>) -> Result<Vec<u64>> {
    let bad = || {
        Error::validation(
            "projects",
            "Field :projects must be a project id or a list of project ids.",
        )
    };
    let id = |v: &Value| v.as_u64().filter(|id| *id >= 1).ok_or_else(bad);
    match options.get("projects") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(id).collect(),
        Some(v) => Ok(vec![id(v)?]),
    }
}

/// The scheme, the user info (if any) and the rest of a URL.
fn split_url(url: &str) -> Option<(&str, Option<&str>, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, _)) => Some((scheme, Some(userinfo), &rest[userinfo.len() + 1..])),
        None => Some((scheme, None, rest)),
    }
}

/// The password of a URL's user info (`https://user:password@host/`), if it has one.
fn url_password(url: &str) -> Option<&str> {
    split_url(url)?.1?.split_once(':').map(|(_, p)| p)
}

/// Replaces every secret in an error's texts by `<hidden>`.
pub fn scrub(e: Error, secrets: &[String]) -> Error {
    let secrets: Vec<&str> = secrets
        .iter()
        .map(String::as_str)
        .filter(|s| s.len() >= SECRET_MIN)
        .collect();
    let clean = |t: String| {
        secrets.iter().fold(t, |t, s| {
            if t.contains(s) {
                t.replace(s, "<hidden>")
            } else {
                t
            }
        })
    };
    match e {
        Error::Validation { field, message } => Error::Validation {
            field: clean(field),
            message: clean(message),
        },
        Error::NotFound { field, message } => Error::NotFound {
            field: clean(field),
            message: clean(message),
        },
        Error::Forbidden { message } => Error::Forbidden {
            message: clean(message),
        },
        Error::UnknownMethod { method } => Error::UnknownMethod {
            method: clean(method),
        },
        Error::BadRequest { message } => Error::BadRequest {
            message: clean(message),
        },
        Error::Busy { message } => Error::Busy {
            message: clean(message),
        },
        Error::Damaged { detail } => Error::Damaged {
            detail: clean(detail),
        },
        Error::Internal { detail } => Error::Internal {
            detail: clean(detail),
        },
        Error::Remote { status, message } => Error::Remote {
            status,
            message: clean(message),
        },
        Error::Io(io) => {
            let text = io.to_string();
            let cleaned = clean(text.clone());
            if cleaned == text {
                Error::Io(io)
            } else {
                Error::Io(std::io::Error::new(io.kind(), cleaned))
            }
        }
        other => other,
    }
}

/// Everything that could be a key: the given key, the environment's, a password in a URL (the
/// given one and the environment's).
fn known_secrets(url: Option<&str>, key: Option<&str>) -> Vec<String> {
    let env_url = std::env::var(ENV_URL).ok();
    let mut out: Vec<String> = key.map(str::to_string).into_iter().collect();
    out.extend(std::env::var(ENV_KEY).ok());
    out.extend(
        url.into_iter()
            .chain(env_url.as_deref())
            .filter_map(url_password)
            .map(str::to_string),
    );
    out
}

/// A TestRail server and the credentials to use it.
#[derive(Clone)]
pub struct Remote {
    /// The instance URL as users write it, e.g. `https://example.testrail.io/`.
    pub url: String,
    /// The user's email.
    pub user: String,
    /// The password or API key.
    pub key: String,
    /// A PEM file of extra root certificates (a private CA), trusted in place of the public roots.
    pub ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("url", &self.url)
            .field("user", &self.user)
            .field("key", &"<hidden>")
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

impl Remote {
    /// The URL without any user info or trailing slash, as it is recorded in the store.
    pub fn display_url(&self) -> String {
        let url = self.url.trim().trim_end_matches('/');
        match split_url(url) {
            Some((scheme, _, rest)) => format!("{scheme}://{rest}"),
            None => url.to_string(),
        }
    }

    /// The same error with this remote's secrets (and the environment's) scrubbed out.
    pub fn scrub(&self, e: Error) -> Error {
        let mut secrets = known_secrets(Some(&self.url), Some(&self.key));
        secrets.extend(url_password(&self.url).map(str::to_string));
        scrub(e, &secrets)
    }

    /// Builds a remote from explicit values, then the environment, then a config file (the
    /// first that gives each value wins). The config file must be readable by its owner only.
    ///
    /// A missing value is refused naming the environment variable and the config file's key;
    /// a front adds how its own callers pass the value. Errors are scrubbed of every secret.
    pub fn resolve(
        url: Option<String>,
        user: Option<String>,
        key: Option<String>,
        config: Option<&Path>,
    ) -> Result<Remote> {
        let secrets = known_secrets(url.as_deref(), key.as_deref());
        Remote::resolve_inner(url, user, key, config).map_err(|e| scrub(e, &secrets))
    }

    fn resolve_inner(
        url: Option<String>,
        user: Option<String>,
        key: Option<String>,
        config: Option<&Path>,
    ) -> Result<Remote> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let file = match config {
            Some(p) => Some(read_config(p)?),
            None => default_config_path()
                .filter(|p| p.exists())
                .map(|p| read_config(&p))
                .transpose()?,
        };
        let from_file = |k: &str| {
            file.as_ref()
                .and_then(|f| f.get(k))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let missing = |what: &str, name: &str, var: &str| Error::BadRequest {
            message: format!(
                "No TestRail {what}: pass one, set {var}, or put \"{name}\" in the config file."
            ),
        };
        let url = url
            .or_else(|| env(ENV_URL))
            .or_else(|| from_file("url"))
            .ok_or_else(|| missing("URL", "url", ENV_URL))?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            // Never echo the URL: it may carry a password in its user info.
            return Err(Error::BadRequest {
                message: "The TestRail URL must start with http:// or https://.".into(),
            });
        }
        Ok(Remote {
            url,
            user: user
                .or_else(|| env(ENV_USER))
                .or_else(|| from_file("user"))
                .ok_or_else(|| missing("user", "user", ENV_USER))?,
            key: key
                .or_else(|| env(ENV_KEY))
                .or_else(|| from_file("key"))
                .ok_or_else(|| missing("API key or password", "key", ENV_KEY))?,
            ca_file: from_file("ca_file").map(PathBuf::from),
        })
    }
}

/// `$XDG_CONFIG_HOME/trailstore/config.json`, else `~/.config/trailstore/config.json`.
pub fn default_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("trailstore").join("config.json"))
}

fn read_config(path: &Path) -> Result<serde_json::Value> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(Error::Forbidden {
                message: format!(
                    "The config file {} can be read by others (mode {:o}); it holds credentials, so trailstore uses it only when it is private: chmod 600 {}",
                    path.display(),
                    mode & 0o777,
                    path.display()
                ),
            });
        }
    }
    let text = std::fs::read_to_string(path)?;
    serde_json::from_str(&text).map_err(|e| Error::BadRequest {
        message: format!("The config file {} is not valid JSON: {e}", path.display()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(key: &str) -> Remote {
        Remote {
            url: "https://lab:url-secret@example.invalid/".into(),
            user: "me@example.com".into(),
            key: key.into(),
            ca_file: None,
        }
    }

    #[test]
    fn pull_options_from_json_take_every_option_pull_has() {
        let options = |v: Value| v.as_object().cloned().unwrap_or_default();
        let o = PullOptions::from_json(
            &options(
                serde_json::json!({"projects": [1, 3], "scan": false, "results": true,
                                        "attachments": true}),
            ),
            "pull",
        )
        .unwrap();
        assert_eq!(o.projects, [1, 3]);
        assert!(!o.scan && o.results && o.attachments);
        let o = PullOptions::from_json(&options(serde_json::json!({})), "pull").unwrap();
        assert!(o.scan && !o.results && !o.attachments);
        let e = PullOptions::from_json(&options(serde_json::json!({"attachments": 1})), "pull")
            .unwrap_err();
        assert_eq!(e.field(), Some("attachments"));
        let e =
            PullOptions::from_json(&options(serde_json::json!({"bogus": 1})), "pull").unwrap_err();
        assert!(
            e.to_string()
                .contains("(it takes projects, scan, results, attachments, config)"),
            "{e}"
        );
    }

    #[test]
    fn a_panic_in_a_sync_is_an_internal_error_scrubbed_of_every_secret() {
        let key = "SENTINEL-KEY-123";
        let err =
            guarded::<()>(&remote(key), "push", || panic!("echo {key} url-secret")).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::Internal);
        assert_eq!(
            err.to_string(),
            "Internal error in trailstore: a panic was caught during push: echo <hidden> <hidden>"
        );
    }

    #[test]
    fn errors_are_scrubbed_but_short_secrets_are_left_alone() {
        let echoed = Error::Remote {
            status: Some(401),
            message: "bad key SENTINEL-KEY-123 for user".into(),
        };
        let e = remote("SENTINEL-KEY-123").scrub(echoed);
        assert_eq!(
            e.to_string(),
            "The TestRail server answered 401: bad key <hidden> for user"
        );
        let short = remote("a").scrub(Error::bad_request("a b"));
        assert_eq!(short.to_string(), "a b");
        assert_eq!(url_password("https://u:p4ss@h/x"), Some("p4ss"));
        assert_eq!(url_password("https://h/x@y"), None);
    }
}
