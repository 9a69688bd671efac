//! A real `trailstore serve` for the sync tests (pull, push, bundles): started on a free port
//! (or a given one), with Basic auth and an optional fault plan, and killed on drop.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use trailstore::Remote;

/// A running `trailstore serve`.
pub struct Serve {
    pub child: Child,
    pub port: u16,
    /// What the server printed first (its address).
    pub first_line: String,
}

/// How to start one.
pub struct ServeOptions<'a> {
    pub store: &'a Path,
    /// `127.0.0.1:0` picks a free port.
    pub bind: String,
    pub user: &'a str,
    pub key: &'a str,
    /// A fault plan, written to `faults_file` and armed (`--faults` + `TRAILSTORE_ENABLE_FAULTS`).
    pub faults: Option<(&'a Value, &'a Path)>,
    /// Keep stderr readable (the secrets check reads it) instead of discarding it.
    pub capture_stderr: bool,
}

impl Serve {
    pub fn start(o: ServeOptions<'_>) -> Serve {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailstore"));
        cmd.arg("--store")
            .arg(o.store)
            .args(["serve", "--bind", &o.bind, "--user", o.user])
            .env("TRAILSTORE_SERVE_KEY", o.key);
        if let Some((plan, file)) = o.faults {
            std::fs::write(file, plan.to_string()).unwrap();
            cmd.arg("--faults")
                .arg(file)
                .env("TRAILSTORE_ENABLE_FAULTS", "yes");
        }
        let stderr = if o.capture_stderr {
            Stdio::piped()
        } else {
            Stdio::null()
        };
        let mut child = cmd.stdout(Stdio::piped()).stderr(stderr).spawn().unwrap();
        let mut first_line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut first_line)
            .unwrap();
        let port = first_line
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no address in {first_line:?}"));
        Serve {
            child,
            port,
            first_line,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// The server as a pull or push target.
    pub fn remote(&self, user: &str, key: &str) -> Remote {
        Remote {
            url: self.url(),
            user: user.into(),
            key: key.into(),
            ca_file: None,
        }
    }

    /// Kills the server and waits for it.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.stop();
    }
}
