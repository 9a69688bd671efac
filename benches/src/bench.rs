//! trailstore against SQLite + FTS5 on the same synthetic TestRail data.
//!
//! ```text
//! cargo run --release -p trailstore-bench -- [--quick] [--size 10k|100k|1m] [--only W1,W4]
//! cargo run --release -p trailstore-bench -- gen --size 100k --out /tmp/snap   # snapshot files
//! ```
//!
//! Each workload runs on both sides in the same run, alternating which side goes first, and
//! prints medians and the trailstore/SQLite ratio. Imports, cold opens and crashes run in child
//! processes (this same binary, `child ...`), so peak memory and "cold" are per side.
//! Benchmarks only: nothing here asserts a time.

mod codecs;
mod gen;
mod serve;
mod sqlite;
mod stats;
mod util;
mod workloads;

/// The CLI's and the Python module's allocator (see src/bin/trailstore/main.rs), for the Rust code of both sides.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clap::{Parser, Subcommand};
use serde_json::Value;

use gen::Dataset;
use util::{remove, Row};

#[derive(Parser, Debug)]
#[command(about = "trailstore vs SQLite + FTS5 benchmarks")]
pub struct Cli {
    /// 10k cases, one repetition, a small query set: a smoke run that keeps the suite working.
    #[arg(long)]
    pub quick: bool,
    /// Data set size: 10k, 100k or 1m cases.
    #[arg(long, default_value = "100k")]
    pub size: String,
    /// Workloads to run, comma-separated (W1..W12); all when not given.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Repetitions (default: 1 with --quick, else 3 for imports and 5 for the rest).
    #[arg(long)]
    pub reps: Option<usize>,
    /// Where data sets and scratch copies live.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Also write the rows as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// W7 opens this size too (e.g. 1m while --size is 100k).
    #[arg(long)]
    pub open_size: Option<String>,
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Write the data set as snapshot files (`trailstore import` takes each, in order).
    Gen {
        #[arg(long)]
        out: PathBuf,
    },
    /// Where the bytes of a prepared data set go (redb tables, index, SQLite tables).
    Stats {
        /// A trailstore folder or an SQLite file.
        path: PathBuf,
    },
    /// How the store's own case records pack with zstd (its dictionary, levels 3 and 1) and
    /// with lz4 (without and with a dictionary): bytes and time per record.
    Codecs {
        /// A trailstore folder (closed), e.g. target/bench-data/100k-seed42/ts.
        path: PathBuf,
    },
    /// Internal: one side's import, open or crash in a fresh process.
    #[command(hide = true)]
    Child { task: String, args: Vec<String> },
}

pub fn parse_size(s: &str) -> u64 {
    match s.to_ascii_lowercase().as_str() {
        "10k" => 10_000,
        "100k" => 100_000,
        "1m" => 1_000_000,
        other => other
            .trim_end_matches('k')
            .parse::<u64>()
            .map(|n| if other.ends_with('k') { n * 1000 } else { n })
            .unwrap_or_else(|_| panic!("--size: 10k, 100k, 1m or a number, not {other}")),
    }
}

/// Runs this binary as `child TASK ARGS...` and returns the JSON object it printed last.
pub fn child(task: &str, args: &[String]) -> Value {
    let exe = std::env::current_exe().expect("own path");
    let out = Command::new(exe)
        .arg("child")
        .arg(task)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .expect("spawn child");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child {task} failed: {text}");
    text.lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l).ok())
        .unwrap_or_else(|| panic!("child {task} printed no result: {text}"))
}

/// Bumped whenever the generator's output changes, so older prepared data is rebuilt.
const GENERATOR: &str = "generator v3\n";

/// Where one size's prepared data lives.
pub struct Prepared {
    pub root: PathBuf,
    pub ts: PathBuf,
    pub sql: PathBuf,
    /// Every case in suite 1 ([`gen::ONE_SUITE`]) instead of the usual three suites.
    pub one_suite: bool,
}

impl Prepared {
    pub fn at(base: &Path, size: &str, seed: u64) -> Prepared {
        Prepared::layout(base.join(format!("{size}-seed{seed}")), false)
    }

    /// A data set of `cases` cases all in suite 1 (W10's big run).
    pub fn one_suite(base: &Path, cases: u64, seed: u64) -> Prepared {
        Prepared::layout(base.join(format!("{cases}-one-suite-seed{seed}")), true)
    }

    fn layout(root: PathBuf, one_suite: bool) -> Prepared {
        Prepared {
            ts: root.join("ts"),
            sql: root.join("sqlite.db"),
            root,
            one_suite,
        }
    }

    fn marker(&self) -> PathBuf {
        self.root.join("READY")
    }

    pub fn ready(&self) -> bool {
        std::fs::read_to_string(self.marker()).is_ok_and(|m| m == GENERATOR)
            && self.ts.exists()
            && self.sql.exists()
    }

    /// Adopts a finished import as the prepared data.
    pub fn adopt(&self, ts: &Path, sql: &Path) {
        std::fs::create_dir_all(&self.root).expect("data dir");
        remove(&self.ts);
        remove(&self.sql);
        std::fs::rename(ts, &self.ts).expect("move store");
        std::fs::rename(sql, &self.sql).expect("move db");
        std::fs::write(self.marker(), GENERATOR).expect("marker");
    }

    /// Imports both sides (untimed) unless already there.
    pub fn ensure(&self, cases: u64, seed: u64) {
        if self.ready() {
            return;
        }
        eprintln!("preparing {} cases in {} ...", cases, self.root.display());
        std::fs::create_dir_all(&self.root).expect("data dir");
        let ts = self.root.join("ts.tmp");
        let sql = self.root.join("sqlite.tmp.db");
        remove(&ts);
        remove(&sql);
        let layout = if self.one_suite {
            "one-suite"
        } else {
            "suites"
        };
        let a = child(
            "import-ts",
            &[
                path_arg(&ts),
                cases.to_string(),
                seed.to_string(),
                layout.into(),
            ],
        );
        eprintln!("  trailstore import: {a}");
        let b = child(
            "import-sql",
            &[
                path_arg(&sql),
                cases.to_string(),
                seed.to_string(),
                layout.into(),
            ],
        );
        eprintln!("  SQLite import: {b}");
        self.adopt(&ts, &sql);
    }
}

pub fn path_arg(p: &Path) -> String {
    p.display().to_string()
}

fn main() {
    let cli = Cli::parse();
    match &cli.cmd {
        Some(Cmd::Child { task, args }) => {
            let out = workloads::child_main(task, args);
            println!("{out}");
            return;
        }
        Some(Cmd::Gen { out }) => {
            let cases = parse_size(&cli.size);
            let ds = Dataset::new(cli.seed, cases);
            std::fs::create_dir_all(out).expect("out dir");
            for k in 0..ds.chunks() {
                let file = out.join(format!("snapshot-{k:03}.json"));
                let text = serde_json::to_string(&ds.chunk(k)).expect("json");
                std::fs::write(&file, text).expect("write");
                eprintln!("wrote {}", file.display());
            }
            return;
        }
        Some(Cmd::Codecs { path }) => {
            if let Err(e) = codecs::compare(path) {
                eprintln!("codecs: {e}");
                std::process::exit(1);
            }
            return;
        }
        Some(Cmd::Stats { path }) => {
            let r = if path.is_dir() {
                stats::store(path)
            } else {
                stats::sqlite(path)
            };
            if let Err(e) = r {
                eprintln!("stats: {e}");
                std::process::exit(1);
            }
            return;
        }
        None => {}
    }
    let size = if cli.quick && cli.size == "100k" {
        "10k".to_string()
    } else {
        cli.size.clone()
    };
    let base = cli.dir.clone().unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target")
            .join("bench-data")
    });
    std::fs::create_dir_all(&base).expect("bench dir");
    let mut run = workloads::Run::new(&cli, &size, base);
    let rows: Vec<Row> = run.all();
    println!();
    println!(
        "trailstore {} vs SQLite {} (rusqlite bundled), {} cases, seed {}, {} repetition(s){}",
        env!("CARGO_PKG_VERSION"),
        rusqlite::version(),
        run.cases,
        cli.seed,
        run.reps,
        if cli.quick { ", --quick" } else { "" }
    );
    println!();
    print!("{}", util::table(&rows));
    for n in &run.notes {
        println!("- {n}");
    }
    if let Some(path) = &cli.json {
        let v: Vec<Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "w": r.w, "what": r.what, "unit": r.unit, "trailstore": r.ts,
                    "sqlite": r.sql, "note": r.note, "met": r.met(),
                })
            })
            .collect();
        std::fs::write(path, serde_json::to_string_pretty(&v).expect("json")).expect("write json");
    }
}
