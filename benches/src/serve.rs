//! A real `trailstore serve` for W11 and W12: the release CLI next to this binary, started on a free
//! port with Basic auth, killed on drop (the tests' helper is tests/common/serve.rs; this is the
//! bench's own, smaller one).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use base64::Engine as _;

pub const USER: &str = "bench@example.com";
pub const KEY: &str = "bench-key";

pub struct Serve {
    child: Child,
    pub port: u16,
    /// `http://127.0.0.1:PORT/`, what a `Remote` takes.
    pub base: String,
    pub url: String,
    pub auth: String,
}

/// `target/release/trailstore`, built by `cargo build --release --bin trailstore` (the bench
/// crate cannot depend on a binary of another package, so it looks beside itself).
pub fn cli_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    let bin = exe.with_file_name("trailstore");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build --release --bin trailstore`",
        bin.display()
    );
    bin
}

impl Serve {
    /// Starts serving `store` and waits until it listens (its first line names the address).
    pub fn start(store: &Path) -> Serve {
        Serve::start_with_faults(store, None, 0)
    }

    /// The same with a fault plan (a file), armed as the server requires, on `port` (0: any free
    /// one; a store pushes only to the URL it pulled from).
    pub fn start_with_faults(store: &Path, faults: Option<&Path>, port: u16) -> Serve {
        let mut cmd = Command::new(cli_binary());
        cmd.arg("--store")
            .arg(store)
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--user",
                USER,
            ])
            .env("TRAILSTORE_SERVE_KEY", KEY);
        if let Some(plan) = faults {
            cmd.arg("--faults")
                .arg(plan)
                .env("TRAILSTORE_ENABLE_FAULTS", "yes");
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn trailstore serve");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().expect("stdout"))
            .read_line(&mut line)
            .expect("read the address");
        let port: u16 = line
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("trailstore serve printed no address: {line:?}"));
        Serve {
            child,
            port,
            base: format!("http://127.0.0.1:{port}/"),
            url: format!("http://127.0.0.1:{port}/index.php?/api/v2/"),
            auth: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{KEY}"))
            ),
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
