//! Measuring and reporting: medians, percentiles, memory high-water marks, sizes, the table.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

/// Milliseconds taken by `f`, and its result.
pub fn timed<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed().as_secs_f64() * 1e3, out)
}

/// This thread's time on a CPU so far, in ms (user and kernel), from the scheduler's own count:
/// beside wall time it tells work done from time spent waiting on the disk. `NaN` where
/// `/proc/thread-self/schedstat` is missing.
pub fn thread_cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e6)
}

/// This thread's user and kernel CPU time so far, in ms, at the kernel's tick (10 ms at the
/// usual 100 Hz: read it over long loops only). `NaN`s where `/proc/thread-self/stat` is missing.
pub fn thread_user_sys_ms() -> (f64, f64) {
    let parsed = std::fs::read_to_string("/proc/thread-self/stat")
        .ok()
        .and_then(|s| {
            // The fields after the command name, which is in parentheses and may hold spaces.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some((
                f.get(11)?.parse::<f64>().ok()?,
                f.get(12)?.parse::<f64>().ok()?,
            ))
        });
    parsed.map_or((f64::NAN, f64::NAN), |(u, s)| (u * 10.0, s * 10.0))
}

pub fn median(v: &[f64]) -> f64 {
    percentile(v, 50.0)
}

/// Nearest-rank percentile (p in 0..=100); NaN for no values.
pub fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    s[rank.clamp(1, s.len()) - 1]
}

/// A field of /proc/self/status in kB (VmRSS, VmHWM).
pub fn status_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time (user + system, seconds) from a `/proc` stat file: `/proc/self/stat` is the whole
/// process, threads that have ended included; `/proc/thread-self/stat` is the calling thread.
/// 0 where `/proc` is missing. The kernel reports both in USER_HZ ticks, 100 a second on Linux.
pub fn cpu_seconds(stat_file: &str) -> f64 {
    let Ok(text) = std::fs::read_to_string(stat_file) else {
        return 0.0;
    };
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    let Some(rest) = text.rfind(')').map(|i| &text[i + 1..]) else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (tick(11) + tick(12)) as f64 / 100.0
}

/// Resets VmHWM to the current RSS (Linux 4.0+), so the next peak is the workload's own.
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Bytes of every file under `path` (apparent size, as `ls` and a copy see it).
pub fn dir_bytes(path: &Path) -> u64 {
    let Ok(meta) = std::fs::metadata(path) else {
        return 0;
    };
    if meta.is_file() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|rd| rd.flatten().map(|e| dir_bytes(&e.path())).sum())
        .unwrap_or(0)
}

/// Bytes the files under `path` occupy on disk (allocated blocks, as `du` counts; redb's file is
/// sparse, so this is less than its apparent size).
pub fn dir_allocated(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return 0;
    };
    if meta.is_file() {
        return meta.blocks() * 512;
    }
    std::fs::read_dir(path)
        .map(|rd| rd.flatten().map(|e| dir_allocated(&e.path())).sum())
        .unwrap_or(0)
}

pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    if from.is_file() {
        std::fs::copy(from, to)?;
        return Ok(());
    }
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let target = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &target)?;
        } else {
            std::fs::copy(e.path(), target)?;
        }
    }
    Ok(())
}

pub fn remove(path: &Path) {
    if path.is_dir() {
        let _ = std::fs::remove_dir_all(path);
    } else {
        let _ = std::fs::remove_file(path);
    }
}

/// How a figure compares: a time or size (lower is better) or a throughput (higher is better).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Better {
    Lower,
    Higher,
}

/// A performance target on the SQLite/trailstore factor ("≥ 3x faster"), or on the ratio, or absolute.
#[derive(Clone, Debug)]
pub enum Target {
    /// trailstore at least this many times better than SQLite.
    Factor(f64),
    /// trailstore/SQLite at most this.
    RatioAtMost(f64),
    /// trailstore's own value at most this.
    AbsoluteAtMost(f64),
}

#[derive(Clone, Debug)]
pub struct Row {
    pub w: String,
    pub what: String,
    pub unit: &'static str,
    pub ts: f64,
    pub sql: Option<f64>,
    pub better: Better,
    pub target: Option<Target>,
    pub note: String,
}

impl Row {
    pub fn new(
        w: &str,
        what: impl Into<String>,
        unit: &'static str,
        ts: f64,
        sql: Option<f64>,
    ) -> Row {
        Row {
            w: w.into(),
            what: what.into(),
            unit,
            ts,
            sql,
            better: Better::Lower,
            target: None,
            note: String::new(),
        }
    }

    pub fn higher(mut self) -> Row {
        self.better = Better::Higher;
        self
    }

    pub fn target(mut self, t: Target) -> Row {
        self.target = Some(t);
        self
    }

    pub fn note(mut self, n: impl Into<String>) -> Row {
        self.note = n.into();
        self
    }

    /// How many times better trailstore is (> 1: better).
    pub fn factor(&self) -> Option<f64> {
        let sql = self.sql?;
        Some(match self.better {
            Better::Lower => sql / self.ts,
            Better::Higher => self.ts / sql,
        })
    }

    pub fn met(&self) -> Option<bool> {
        Some(match self.target.as_ref()? {
            Target::Factor(f) => self.factor()? >= *f,
            Target::RatioAtMost(r) => self.ts / self.sql? <= *r,
            Target::AbsoluteAtMost(a) => self.ts <= *a,
        })
    }

    fn target_text(&self) -> String {
        match &self.target {
            None => String::new(),
            Some(Target::Factor(f)) => format!("≥ {f}x"),
            Some(Target::RatioAtMost(r)) => format!("ratio ≤ {r}"),
            Some(Target::AbsoluteAtMost(a)) => format!("≤ {a} {}", self.unit),
        }
    }
}

pub fn fmt_num(v: f64) -> String {
    if v.is_nan() {
        "–".into()
    } else if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// The results as a Markdown table (what docs/benchmarks.md shows).
pub fn table(rows: &[Row]) -> String {
    let mut s = String::new();
    s.push_str(
        "| W | what | unit | trailstore | SQLite | ts/SQLite | trailstore is | target | met |\n",
    );
    s.push_str("|---|---|---|---:|---:|---:|---|---|---|\n");
    for r in rows {
        let ratio = r
            .sql
            .map(|q| fmt_num(r.ts / q))
            .unwrap_or_else(|| "–".into());
        let verdict = match (r.factor(), r.better) {
            (None, _) => "–".to_string(),
            (Some(f), b) => {
                let (good, bad) = match (b, r.unit) {
                    (_, "MB") | (_, "MiB") => ("smaller", "larger"),
                    (Better::Lower, _) => ("faster", "slower"),
                    (Better::Higher, _) => ("higher", "lower"),
                };
                if f >= 1.0 {
                    format!("{:.1}x {good}", f)
                } else {
                    format!("{:.1}x {bad}", 1.0 / f)
                }
            }
        };
        let met = match r.met() {
            None => "",
            Some(true) => "yes",
            Some(false) => "**no**",
        };
        let what = if r.note.is_empty() {
            r.what.clone()
        } else {
            format!("{} ({})", r.what, r.note)
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.w,
            what,
            r.unit,
            fmt_num(r.ts),
            r.sql.map(fmt_num).unwrap_or_else(|| "–".into()),
            ratio,
            verdict,
            r.target_text(),
            met
        );
    }
    s
}
