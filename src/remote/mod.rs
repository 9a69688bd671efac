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
pub use pull::{pull, PullOptions, PullProgress, PullReport};
pub use push::{push, PushOptions, PushProgress, PushReport};

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

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
        match url.split_once("://") {
            Some((scheme, rest)) => {
                let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
                format!("{scheme}://{host}")
            }
            None => url.to_string(),
        }
    }

    /// Builds a remote from explicit values, then the environment, then a config file (the
    /// first that gives each value wins). The config file must be readable by its owner only.
    pub fn resolve(
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
        let missing = |what: &str, flag: &str, var: &str| Error::BadRequest {
            message: format!(
                "No TestRail {what}: give {flag}, set {var}, or put \"{}\" in the config file.",
                flag.trim_start_matches("--")
            ),
        };
        let url = url
            .or_else(|| env("TESTRAIL_URL"))
            .or_else(|| from_file("url"))
            .ok_or_else(|| missing("URL", "--url", "TESTRAIL_URL"))?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            // Never echo the URL: it may carry a password in its user info.
            return Err(Error::BadRequest {
                message: "The TestRail URL must start with http:// or https://.".into(),
            });
        }
        Ok(Remote {
            url,
            user: user
                .or_else(|| env("TESTRAIL_USER"))
                .or_else(|| from_file("user"))
                .ok_or_else(|| missing("user", "--user", "TESTRAIL_USER"))?,
            key: key
                .or_else(|| env("TESTRAIL_KEY"))
                .or_else(|| from_file("key"))
                .ok_or_else(|| missing("API key or password", "--key", "TESTRAIL_KEY"))?,
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
