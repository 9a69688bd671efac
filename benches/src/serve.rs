//! A real `trailstore serve` for W11: the release CLI next to this binary, started on a free
//! port with Basic auth, killed on drop (the tests' helper is tests/common/serve.rs; this is the
//! bench's own, smaller one).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use base64::Engine as _;

pub const USER: &str = "bench@example.com";
const KEY: &str = "bench-key";

pub struct Serve {
    child: Child,
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
        let mut child = Command::new(cli_binary())
            .arg("--store")
            .arg(store)
            .args(["serve", "--bind", "127.0.0.1:0", "--user", USER])
            .env("TRAILSTORE_SERVE_KEY", KEY)
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
