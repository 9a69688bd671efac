//! The workloads W1..W8, each on trailstore and on SQLite + FTS5, and the child-process tasks;
//! W9..W12 (runs, results and their push) are in [`recording`].

mod recording;

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use trailstore::{SearchRequest, Store};

use crate::gen::{Dataset, Rng, EPOCH, SPAN};
use crate::sqlite::{self, Sql};
use crate::util::{
    copy_dir, cpu_seconds, dir_allocated, dir_bytes, median, percentile, remove, reset_peak,
    status_kb, timed, Row, Target,
};
use crate::{child, parse_size, path_arg, Cli, Prepared};

pub struct Run {
    pub cases: u64,
    pub reps: usize,
    pub quick: bool,
    pub seed: u64,
    pub only: Vec<String>,
    pub base: PathBuf,
    pub size: String,
    pub open_size: Option<String>,
    pub notes: Vec<String>,
    rows: Vec<Row>,
    ds: Option<Dataset>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn open_sql(path: &Path) -> Sql {
    sqlite::open(path).expect("open sqlite")
}

/// `x_search_cases` takes `q` percent-encoded.
fn encode(q: &str) -> String {
    let mut s = String::new();
    for b in q.bytes() {
        if b.is_ascii_alphanumeric() {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// One W4 query, as both sides take it: the syntax (`a b`, `a OR b`, `"a b"`, `ab*`) means the
/// same in trailstore's query language and FTS5's.
#[derive(Clone, Debug)]
struct Query {
    text: String,
    section: Option<u64>,
    priority: Option<Vec<u64>>,
}

impl Query {
    fn request(&self, highlight: bool) -> SearchRequest {
        SearchRequest {
            project_id: Some(1),
            query: self.text.clone(),
            section_id: self.section,
            priority_id: self.priority.clone(),
            limit: 50,
            count: false,
            highlight,
            ..Default::default()
        }
    }
}

fn ts_search(store: &Store, q: &Query, highlight: bool) -> usize {
    let r = store.search(&q.request(highlight)).expect("search");
    // The full case data of every hit is in the result (decoded from redb).
    std::hint::black_box(&r.hits);
    r.hits.len()
}

fn sql_search(db: &Sql, q: &Query) -> usize {
    let rows = db
        .search(1, &q.text, q.section, q.priority.as_deref(), 50)
        .expect("fts");
    std::hint::black_box(&rows);
    rows.len()
}

impl Run {
    pub fn new(cli: &Cli, size: &str, base: PathBuf) -> Run {
        let cases = parse_size(size);
        Run {
            cases,
            reps: cli.reps.unwrap_or(if cli.quick { 1 } else { 5 }),
            quick: cli.quick,
            seed: cli.seed,
            only: cli.only.iter().map(|s| s.to_ascii_uppercase()).collect(),
            base,
            size: size.to_string(),
            open_size: cli.open_size.clone(),
            notes: Vec::new(),
            rows: Vec::new(),
            ds: None,
        }
    }

    fn wants(&self, w: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == w)
    }

    fn ds(&mut self) -> &Dataset {
        let (seed, cases) = (self.seed, self.cases);
        self.ds.get_or_insert_with(|| Dataset::new(seed, cases))
    }

    fn prepared(&self) -> Prepared {
        Prepared::at(&self.base, &self.size, self.seed)
    }

    fn push(&mut self, row: Row) {
        eprintln!(
            "  {} {}: trailstore {} {}, SQLite {}",
            row.w,
            row.what,
            crate::util::fmt_num(row.ts),
            row.unit,
            row.sql
                .map(crate::util::fmt_num)
                .unwrap_or_else(|| "–".into())
        );
        self.rows.push(row);
    }

    /// Copies of the prepared data for a workload that writes.
    fn scratch(&self, name: &str) -> (PathBuf, PathBuf) {
        let p = self.prepared();
        let ts = self.base.join(format!("scratch-{name}-ts"));
        let sql = self.base.join(format!("scratch-{name}.db"));
        remove(&ts);
        remove(&sql);
        copy_dir(&p.ts, &ts).expect("copy store");
        copy_dir(&p.sql, &sql).expect("copy db");
        (ts, sql)
    }

    pub fn all(&mut self) -> Vec<Row> {
        let start = Instant::now();
        if self.wants("W1") {
            self.w1();
        }
        let needs_data = ["W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9", "W11"]
            .iter()
            .any(|w| self.wants(w));
        if needs_data {
            self.prepared().ensure(self.cases, self.seed);
        }
        if self.wants("W2") {
            self.w2();
        }
        if self.wants("W3") {
            self.w3();
        }
        if self.wants("W4") {
            self.w4();
        }
        if self.wants("W5") || self.wants("W6") {
            self.w5_w6();
        }
        if self.wants("W7") {
            self.w7();
        }
        if self.wants("W8") {
            self.w8();
        }
        if self.wants("W9") {
            self.w9();
        }
        if self.wants("W10") {
            self.w10();
        }
        if self.wants("W11") {
            self.w11();
        }
        if self.wants("W12") {
            self.w12();
        }
        eprintln!("total {:.1} s", start.elapsed().as_secs_f64());
        std::mem::take(&mut self.rows)
    }

    /// W1: bulk import with the search index, each repetition in a fresh child per side.
    fn w1(&mut self) {
        eprintln!("W1 bulk import ({} cases)", self.cases);
        let reps = if self.quick { 1 } else { self.reps.min(3) };
        let (mut ts_ms, mut sql_ms) = (Vec::new(), Vec::new());
        let (mut ts_mem, mut sql_mem) = (Vec::new(), Vec::new());
        let (mut ts_disk, mut sql_disk) = (0u64, 0u64);
        let (mut ts_base, mut sql_base) = (0.0, 0.0);
        let (mut ts_runs, mut sql_runs) = (Vec::new(), Vec::new());
        let ts_dir = self.base.join("w1-ts");
        let sql_file = self.base.join("w1-sqlite.db");
        for rep in 0..reps {
            let order: [bool; 2] = if rep % 2 == 0 {
                [true, false]
            } else {
                [false, true]
            };
            for is_ts in order {
                let args =
                    |p: &Path| vec![path_arg(p), self.cases.to_string(), self.seed.to_string()];
                if is_ts {
                    remove(&ts_dir);
                    let r = child("import-ts", &args(&ts_dir));
                    ts_runs.push(r.clone());
                    ts_ms.push(r["ms"].as_f64().unwrap_or(f64::NAN));
                    ts_mem.push(r["peak_mb"].as_f64().unwrap_or(f64::NAN));
                    ts_base = r["base_mb"].as_f64().unwrap_or(0.0);
                    ts_disk = dir_bytes(&ts_dir);
                    eprintln!("  rep {rep} trailstore {:.0} ms, {}", ts_ms[rep], r);
                } else {
                    remove(&sql_file);
                    let r = child("import-sql", &args(&sql_file));
                    sql_runs.push(r.clone());
                    sql_ms.push(r["ms"].as_f64().unwrap_or(f64::NAN));
                    sql_mem.push(r["peak_mb"].as_f64().unwrap_or(f64::NAN));
                    sql_base = r["base_mb"].as_f64().unwrap_or(0.0);
                    sql_disk = dir_bytes(&sql_file)
                        + dir_bytes(&sql_file.with_extension("db-wal"))
                        + dir_bytes(&sql_file.with_extension("db-shm"));
                    eprintln!("  rep {rep} SQLite {:.0} ms, {}", sql_ms[rep], r);
                }
            }
        }
        let per_case = |ms: f64| ms * 1e3 / self.cases as f64;
        let (t, s) = (median(&ts_ms), median(&sql_ms));
        self.push(
            Row::new(
                "W1",
                format!("import {} cases + index", self.cases),
                "s",
                t / 1e3,
                Some(s / 1e3),
            )
            .target(Target::Factor(2.0))
            .note(format!(
                "{:.1} vs {:.1} µs/case; best runs {:.2} vs {:.2} s",
                per_case(t),
                per_case(s),
                percentile(&ts_ms, 0.0) / 1e3,
                percentile(&sql_ms, 0.0) / 1e3
            )),
        );
        // The median of one figure of each repetition's child.
        let phase = |v: &[Value], k: &str| {
            median(
                &v.iter()
                    .map(|r| r[k].as_f64().unwrap_or(f64::NAN))
                    .collect::<Vec<_>>(),
            )
        };
        // Where the import's time goes, in the same run: with every core busy its wall time
        // cannot go under its CPU time over the cores, nor under its main thread's own.
        let (ts_cpu, ts_main) = (phase(&ts_runs, "cpu_s"), phase(&ts_runs, "main_cpu_s"));
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.push(
            Row::new(
                "W1",
                "CPU time of the import, every thread",
                "s",
                ts_cpu,
                Some(phase(&sql_runs, "cpu_s")),
            )
            .note(format!(
                "trailstore: main thread (parse, check, pack, redb) {ts_main:.2} s, the index's \
                 threads {:.2} s; on {cores} cores its wall time cannot go under {:.2} s, and 2x \
                 SQLite's import is {:.2} s",
                ts_cpu - ts_main,
                (ts_cpu / cores as f64).max(ts_main),
                s / 2e3
            )),
        );
        self.push(
            Row::new(
                "W1",
                "peak memory above the parsed data",
                "MB",
                median(&ts_mem) - ts_base,
                Some(median(&sql_mem) - sql_base),
            )
            .target(Target::RatioAtMost(1.5))
            .note(format!(
                "data alone {ts_base:.0} MB; peak RSS {:.0} vs {:.0} MB",
                median(&ts_mem),
                median(&sql_mem)
            )),
        );
        let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
        let ts_parts = format!(
            "redb {:.0} MB + index {:.0} MB",
            mb(dir_allocated(&ts_dir.join(trailstore::DATA_FILE))),
            mb(dir_allocated(&ts_dir.join(trailstore::INDEX_DIR)))
        );
        let sql_alloc = dir_allocated(&sql_file)
            + dir_allocated(&sql_file.with_extension("db-wal"))
            + dir_allocated(&sql_file.with_extension("db-shm"));
        self.push(
            Row::new(
                "W1",
                "size on disk (allocated, du)",
                "MB",
                mb(dir_allocated(&ts_dir)),
                Some(mb(sql_alloc)),
            )
            .target(Target::RatioAtMost(0.5))
            .note(ts_parts),
        );
        self.push(
            Row::new(
                "W1",
                "size of the files (apparent, ls)",
                "MB",
                mb(ts_disk),
                Some(mb(sql_disk)),
            )
            .note(format!(
                "redb file {:.0} MB",
                mb(dir_bytes(&ts_dir.join(trailstore::DATA_FILE)))
            )),
        );
        self.notes.push(format!(
            "W1 phases (median ms): trailstore open {:.0}, import_snapshot {:.0}, close (index commit) {:.0}; \
             SQLite open+schema {:.0}, import transaction {:.0}, close (checkpoint) {:.0}",
            phase(&ts_runs, "open_ms"),
            phase(&ts_runs, "import_ms"),
            phase(&ts_runs, "close_ms"),
            phase(&sql_runs, "open_ms"),
            phase(&sql_runs, "import_ms"),
            phase(&sql_runs, "close_ms"),
        ));
        // The last repetition becomes the data the other workloads read.
        self.prepared().adopt(&ts_dir, &sql_file);
    }

    /// W2: point reads by id.
    fn w2(&mut self) {
        eprintln!("W2 point reads");
        let p = self.prepared();
        let n = if self.quick { 2_000 } else { 20_000 };
        let mut rng = Rng::keyed(self.seed, 2);
        let ids: Vec<u64> = (0..n).map(|_| 1 + rng.below(self.cases)).collect();
        // Before the store opens (redb opens a file once): the cost of reading a record below
        // any decoding, on the same ids.
        let floors: Vec<(f64, f64, f64)> = (0..self.reps.max(1))
            .map(|_| crate::codecs::read_floor(&p.ts, &ids).expect("read floor"))
            .collect();
        let lookup = median(&floors.iter().map(|f| f.0).collect::<Vec<_>>());
        let unpacked = median(&floors.iter().map(|f| f.1).collect::<Vec<_>>());
        let per_call = median(&floors.iter().map(|f| f.2).collect::<Vec<_>>());
        let store = Store::open(&p.ts).expect("open");
        let db = open_sql(&p.sql);
        let routes: Vec<String> = ids.iter().map(|id| format!("get_case/{id}")).collect();
        let ts_run = || {
            let (t, _) = timed(|| {
                for r in &routes {
                    let v = store.call(r, None).expect("get_case").into_value();
                    std::hint::black_box(v);
                }
            });
            t * 1e3 / n as f64
        };
        let sql_run = || {
            let (t, _) = timed(|| {
                for id in &ids {
                    let v = db.get_case(*id).expect("select");
                    std::hint::black_box(v);
                }
            });
            t * 1e3 / n as f64
        };
        let (ts, sql) = alternate(self.reps, ts_run, sql_run);
        self.push(
            Row::new("W2", "get_case by id (Rust, JSON out)", "µs", ts, Some(sql))
                .target(Target::Factor(3.0)),
        );
        // Where the floor is: the part of each side that builds the `serde_json::Value`, on
        // answers and texts fetched beforehand (trailstore's typed answer turned into the Value;
        // SQLite's JSON text parsed into it). Both sides build the same Value, so a get_case
        // can be at most (its whole cost) / (this cost) faster than SQLite's.
        let answers = || -> Vec<trailstore::Answer> {
            routes
                .iter()
                .map(|r| store.answer(r, None).expect("get_case"))
                .collect()
        };
        let texts: Vec<String> = ids
            .iter()
            .map(|id| {
                db.conn
                    .query_row("SELECT data FROM cases WHERE id = ?1", [*id as i64], |r| {
                        r.get(0)
                    })
                    .expect("select")
            })
            .collect();
        let ts_value = || {
            let held = answers();
            let (t, _) = timed(|| {
                for a in held {
                    std::hint::black_box(a.into_response().into_value());
                }
            });
            t * 1e3 / n as f64
        };
        let sql_value = || {
            let (t, _) = timed(|| {
                for s in &texts {
                    let v: Value = serde_json::from_str(s).expect("json");
                    std::hint::black_box(v);
                }
            });
            t * 1e3 / n as f64
        };
        let (ts_v, sql_v) = alternate(self.reps, ts_value, sql_value);
        self.push(Row::new(
            "W2",
            "of which building the JSON value (no storage: typed answer → Value; JSON text → Value)",
            "µs",
            ts_v,
            Some(sql_v),
        ));
        // The typed answer a Rust program can take instead of the Value (`Store::answer`).
        let typed = || {
            let (t, _) = timed(|| {
                for r in &routes {
                    std::hint::black_box(store.answer(r, None).expect("get_case"));
                }
            });
            t * 1e3 / n as f64
        };
        let typed = median(&(0..self.reps.max(1)).map(|_| typed()).collect::<Vec<_>>());
        self.push(Row::new(
            "W2",
            "get_case by id, typed answer (Rust, `Store::answer`, no JSON value)",
            "µs",
            typed,
            None,
        ));
        self.push(Row::new(
            "W2",
            "storage floor: the record looked up (redb alone, one read transaction for all ids: a lower bound)",
            "µs",
            lookup,
            None,
        ));
        self.push(Row::new(
            "W2",
            "storage floor: looked up and its zstd frame unpacked (no decoding)",
            "µs",
            unpacked,
            None,
        ));
        self.push(Row::new(
            "W2",
            "storage floor per call: a read transaction and the table opened for each id, looked up and unpacked",
            "µs",
            per_call,
            None,
        ));
        self.notes.push(format!(
            "W2 budget: 3x faster than SQLite is {:.2} µs a get_case; building the JSON value \
             alone takes {:.2} µs and reading the packed record alone {:.2} µs ({:.2} µs together)",
            sql / 3.0,
            ts_v,
            unpacked,
            ts_v + unpacked
        ));
        self.notes.push(
            "W2: `Store::call` answers a JSON value as SQLite's side does; `Store::answer` is \
             the typed get. Python (dict) and C variants are benches/python and benches/c: \
             same ids, same SQLite side through Python's sqlite3."
                .into(),
        );
    }

    /// W3: filtered listings.
    fn w3(&mut self) {
        eprintln!("W3 filtered listings");
        let p = self.prepared();
        let store = Store::open(&p.ts).expect("open");
        let db = open_sql(&p.sql);
        let mut rng = Rng::keyed(self.seed, 3);
        let secs: Vec<u64> = self.ds().suite_sections[1].clone();
        let n = if self.quick { 20 } else { 200 };
        let picks: Vec<u64> = (0..n)
            .map(|_| secs[rng.below(secs.len() as u64) as usize])
            .collect();
        // (a) one section, priority 3 or 4 (all pages; a section holds ~100 cases).
        let ts_a = || {
            timed(|| {
                for s in &picks {
                    let v = store
                        .call(&format!("get_cases/1&section_id={s}&priority_id=3,4"), None)
                        .expect("get_cases")
                        .into_value();
                    std::hint::black_box(v);
                }
            })
            .0 / n as f64
        };
        let sql_a = || {
            timed(|| {
                for s in &picks {
                    let v = db
                        .rows(
                            "SELECT data FROM cases WHERE section_id = ?1 AND priority_id IN (3, 4) \
                             ORDER BY display_order, id LIMIT 250",
                            &[&(*s as i64)],
                        )
                        .expect("select");
                    std::hint::black_box(v);
                }
            })
            .0 / n as f64
        };
        let (ts, sql) = alternate(self.reps, ts_a, sql_a);
        self.push(
            Row::new("W3", "section + priority listing", "ms", ts, Some(sql))
                .target(Target::Factor(1.0)),
        );
        // (b) suite + updated_after, every page of 250: the newest ~1000 cases of suite 2.
        let threshold: i64 = db
            .conn
            .query_row(
                "SELECT updated_on FROM cases WHERE suite_id = 2 ORDER BY updated_on DESC LIMIT 1 OFFSET 999",
                [],
                |r| r.get(0),
            )
            .unwrap_or(EPOCH + SPAN / 2);
        let ts_b = || {
            timed(|| {
                count_pages(
                    &store,
                    &format!("get_cases/2&suite_id=2&updated_after={threshold}"),
                    "cases",
                )
            })
        };
        let sql_b = || {
            timed(|| {
                let mut offset = 0i64;
                let mut got = 0;
                loop {
                    let v = db
                        .rows(
                            "SELECT data FROM cases WHERE suite_id = 2 AND updated_on > ?1 \
                             ORDER BY id LIMIT 250 OFFSET ?2",
                            &[&threshold, &offset],
                        )
                        .expect("select");
                    got += v.len();
                    if v.len() < 250 {
                        break;
                    }
                    offset += 250;
                }
                got
            })
        };
        let (a, b) = (ts_b().1, sql_b().1);
        if a != b {
            self.notes.push(format!(
                "W3: suite + updated_after returned {a} cases on trailstore, {b} on SQLite"
            ));
        }
        let (ts, sql) = alternate(self.reps, || ts_b().0, || sql_b().0);
        self.push(
            Row::new(
                "W3",
                format!("suite + updated_after, all pages ({a} cases)"),
                "ms",
                ts,
                Some(sql),
            )
            .target(Target::Factor(1.0)),
        );
    }

    fn w4_queries(&mut self) -> Vec<(&'static str, Vec<Query>)> {
        let per = if self.quick { 2 } else { 8 };
        let seed = self.seed;
        let ds = self.ds();
        let words = &ds.vocab.words;
        let mut rng = Rng::keyed(seed, 4);
        let mut pick =
            |lo: usize, hi: usize| words[lo + rng.below((hi - lo) as u64) as usize].clone();
        let one = |w: String| Query {
            text: w,
            section: None,
            priority: None,
        };
        let common: Vec<Query> = (0..per).map(|i| one(words[i % 10].clone())).collect();
        let mid: Vec<Query> = (0..per).map(|_| one(pick(200, 600))).collect();
        let rare: Vec<Query> = (0..per).map(|_| one(pick(2500, 5000))).collect();
        let and2: Vec<Query> = (0..per)
            .map(|_| one(format!("{} {}", pick(20, 100), pick(20, 100))))
            .collect();
        let or2: Vec<Query> = (0..per)
            .map(|_| one(format!("{} OR {}", pick(200, 600), pick(200, 600))))
            .collect();
        let prefix: Vec<Query> = (0..per)
            .map(|_| loop {
                let w = pick(50, 400);
                if w.len() >= 5 {
                    break one(format!("{}*", &w[..4]));
                }
            })
            .collect();
        let mut phrase = Vec::new();
        for i in 0..per as u64 {
            let c = ds.case(1 + (i * 7919) % ds.cases);
            let title = c["title"].as_str().unwrap_or("").to_ascii_lowercase();
            let w: Vec<&str> = title.split(' ').collect();
            if w.len() >= 3 {
                phrase.push(one(format!("\"{} {}\"", w[1], w[2])));
            }
        }
        let tops: Vec<u64> = ds
            .sections
            .iter()
            .filter(|s| s.suite_id == 1 && s.parent_id.is_none())
            .map(|s| s.id)
            .collect();
        let with = |qs: &[Query], sub: bool, prio: bool, rng: &mut Rng| -> Vec<Query> {
            qs.iter()
                .map(|q| Query {
                    text: q.text.clone(),
                    section: sub.then(|| tops[rng.below(tops.len() as u64) as usize]),
                    priority: prio.then(|| vec![4]),
                })
                .collect()
        };
        let mut rng2 = Rng::keyed(seed, 44);
        vec![
            ("one word, common", common.clone()),
            ("one word, mid", mid.clone()),
            ("one word, rare", rare.clone()),
            ("two words AND", and2),
            ("two words OR", or2),
            ("phrase", phrase),
            ("prefix (4 letters*)", prefix),
            (
                "common + section subtree",
                with(&common, true, false, &mut rng2),
            ),
            ("common + priority", with(&common, false, true, &mut rng2)),
            (
                "rare + section subtree",
                with(&rare, true, false, &mut rng2),
            ),
            ("mid + priority", with(&mid, false, true, &mut rng2)),
        ]
    }

    /// W4: top-50 full-text search, BM25 both sides, the full case data of each hit.
    fn w4(&mut self) {
        eprintln!("W4 full-text top-50");
        let cats = self.w4_queries();
        let p = self.prepared();
        let store = Store::open(&p.ts).expect("open");
        let db = open_sql(&p.sql);
        let mut mismatches = Vec::new();
        let mut common_q = Vec::new();
        let mut rare_q = Vec::new();
        for (cat, qs) in &cats {
            let mut ts_q = Vec::new();
            let mut sql_q = Vec::new();
            let mut hits = (0, 0);
            for q in qs {
                // Warm both sides once, and check they agree on how many hits there are.
                let (a, b) = (ts_search(&store, q, false), sql_search(&db, q));
                hits.0 += a;
                hits.1 += b;
                if a != b {
                    mismatches.push(format!("{:?}: {a} vs {b}", q.text));
                }
                let (t, s) = alternate(
                    self.reps,
                    || timed(|| ts_search(&store, q, false)).0,
                    || timed(|| sql_search(&db, q)).0,
                );
                ts_q.push(t);
                sql_q.push(s);
            }
            let target = match *cat {
                "one word, common" => {
                    common_q = qs.clone();
                    Some(Target::Factor(20.0))
                }
                "one word, rare" => {
                    rare_q = qs.clone();
                    Some(Target::Factor(3.0))
                }
                _ => None,
            };
            let mut row = Row::new("W4", *cat, "ms", median(&ts_q), Some(median(&sql_q))).note(
                format!("{:.0} hits/query", hits.0 as f64 / qs.len().max(1) as f64),
            );
            if let Some(t) = target {
                row = row.target(t);
            }
            self.push(row);
        }
        // With highlighted snippets (SQLite's contentless FTS table has none to compare).
        for (name, qs) in [
            ("common, with highlights", &common_q),
            ("rare, with highlights", &rare_q),
        ] {
            let mut v = Vec::new();
            for q in qs.iter() {
                ts_search(&store, q, true);
                let mut r = Vec::new();
                for _ in 0..self.reps {
                    r.push(timed(|| ts_search(&store, q, true)).0);
                }
                v.push(median(&r));
            }
            self.push(Row::new("W4", name, "ms", median(&v), None).note("trailstore only"));
        }
        // Through the dispatcher (x_search_cases, TestRail JSON out), against the same SQLite.
        let mut v = Vec::new();
        let mut s = Vec::new();
        for q in &common_q {
            let route = format!(
                "x_search_cases/1&q={}&highlight=0&limit=50",
                encode(&q.text)
            );
            let (t, sq) = alternate(
                self.reps,
                || {
                    timed(|| {
                        std::hint::black_box(store.call(&route, None).expect("x_search_cases"));
                    })
                    .0
                },
                || timed(|| sql_search(&db, q)).0,
            );
            v.push(t);
            s.push(sq);
        }
        self.push(Row::new(
            "W4",
            "common via x_search_cases (JSON out)",
            "ms",
            median(&v),
            Some(median(&s)),
        ));
        if !mismatches.is_empty() {
            self.notes.push(format!(
                "W4: hit counts differ on {} queries (tokenizer or query-language differences): {}",
                mismatches.len(),
                mismatches.join("; ")
            ));
        }
    }

    /// W5: single durable update_case writes with their journal entry, and how soon a search
    /// sees one; W6: reading the journal since a sequence number.
    fn w5_w6(&mut self) {
        eprintln!("W5 durable single writes / W6 journal");
        let (ts_dir, sql_file) = self.scratch("w5");
        let store = Store::open(&ts_dir).expect("open");
        let mut db = open_sql(&sql_file);
        let n = if self.quick { 40 } else { 400 };
        let mut rng = Rng::keyed(self.seed, 5);
        let cases = self.cases;
        let ids: Vec<u64> = (0..n).map(|_| 1 + rng.below(cases)).collect();
        let patches: Vec<Value> = (0..n)
            .map(|i| {
                let title = self.ds().vocab.sentence(&mut rng, 50);
                json!({"title": format!("{title} zupd{i}q"), "priority_id": 1 + (i % 4)})
            })
            .collect();
        let (mut ts_lat, mut sql_lat) = (Vec::new(), Vec::new());
        let blocks = self.reps.max(1);
        let per = n / blocks;
        let now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        };
        for b in 0..blocks {
            let range = b * per..((b + 1) * per).min(n);
            let run_ts = |lat: &mut Vec<f64>| {
                for i in range.clone() {
                    let (t, r) =
                        timed(|| store.call(&format!("update_case/{}", ids[i]), Some(&patches[i])));
                    r.expect("update_case");
                    lat.push(t);
                }
            };
            let mut run_sql = |lat: &mut Vec<f64>| {
                for i in range.clone() {
                    let (t, r) = timed(|| db.update_case(ids[i], &patches[i], now()));
                    r.expect("update");
                    lat.push(t);
                }
            };
            if b % 2 == 0 {
                run_ts(&mut ts_lat);
                run_sql(&mut sql_lat);
            } else {
                run_sql(&mut sql_lat);
                run_ts(&mut ts_lat);
            }
        }
        self.push(Row::new(
            "W5",
            "update_case durable, p50",
            "ms",
            median(&ts_lat),
            Some(median(&sql_lat)),
        ));
        self.push(
            Row::new(
                "W5",
                "update_case durable, p99",
                "ms",
                percentile(&ts_lat, 99.0),
                Some(percentile(&sql_lat, 99.0)),
            )
            .target(Target::RatioAtMost(1.5)),
        );
        // Write, then search for the word it added: the search is the time until it is seen.
        let m = if self.quick { 5 } else { 40 };
        let (mut ts_vis, mut sql_vis) = (Vec::new(), Vec::new());
        let mut missed = 0;
        for i in 0..m {
            let id = 1 + rng.below(cases);
            let word = format!("zvis{i}q");
            let patch = json!({"title": format!("Visible after write {word}")});
            let q = Query {
                text: word,
                section: None,
                priority: None,
            };
            let proj1 = self.ds().suite_of(id).1 == 1;
            let ts_side = |missed: &mut usize| {
                store
                    .call(&format!("update_case/{id}"), Some(&patch))
                    .expect("update");
                let (t, _) = timed(|| {
                    let mut r = q.request(false);
                    r.project_id = Some(if proj1 { 1 } else { 2 });
                    if store.search(&r).expect("search").hits.is_empty() {
                        *missed += 1;
                    }
                });
                t
            };
            let sql_side = |db: &mut Sql| {
                db.update_case(id, &patch, now()).expect("update");
                timed(|| {
                    db.search(if proj1 { 1 } else { 2 }, &q.text, None, None, 50)
                        .expect("fts")
                })
                .0
            };
            ts_vis.push(ts_side(&mut missed));
            sql_vis.push(sql_side(&mut db));
        }
        if missed > 0 {
            self.notes.push(format!(
                "W5: {missed} searches right after a write did not see it"
            ));
        }
        self.push(
            Row::new(
                "W5",
                "write → visible to search (the first search)",
                "ms",
                median(&ts_vis),
                Some(median(&sql_vis)),
            )
            .note("includes trailstore's on-demand index commit"),
        );
        // Grow the journal with batches (500 updates a transaction), timed as a by-product.
        let total = if self.quick { 1_000 } else { 10_000 };
        let batch = 500;
        let (mut ts_b, mut sql_b) = (Vec::new(), Vec::new());
        let patch = json!({"custom_preconds": "Batch-edited precondition text."});
        let mut k = 0;
        while k < total {
            let chunk: Vec<u64> = (0..batch).map(|_| 1 + rng.below(cases)).collect();
            let p2 = json!({"custom_preconds": format!("Batch-edited precondition {k}.")});
            let p = if k % 1000 == 0 { &patch } else { &p2 };
            let t = timed(|| {
                let mut b = store.batch().expect("batch");
                for id in &chunk {
                    b.call(&format!("update_case/{id}"), Some(p))
                        .expect("update");
                }
                b.commit().expect("commit");
            })
            .0;
            ts_b.push(t / batch as f64);
            let t = timed(|| db.update_many(&chunk, p, now()).expect("batch")).0;
            sql_b.push(t / batch as f64);
            k += batch;
        }
        self.push(Row::new(
            "W5",
            "update_case in batches of 500, per update",
            "ms",
            median(&ts_b),
            Some(median(&sql_b)),
        ));
        // W6: the last 1000 entries, page by page (250 a page), as JSON.
        let seq: u64 = store.stats().expect("stats")["journal_seq"]
            .as_u64()
            .unwrap_or(0);
        let since = seq.saturating_sub(1000);
        let sql_seq: u64 = db
            .conn
            .query_row("SELECT max(seq) FROM journal", [], |r| r.get::<_, i64>(0))
            .unwrap_or(0) as u64;
        let sql_since = sql_seq.saturating_sub(1000);
        let ts_read =
            || timed(|| count_pages(&store, &format!("x_get_journal&since={since}"), "journal"));
        let sql_read = || {
            timed(|| {
                let mut offset = 0;
                let mut got = 0;
                loop {
                    let v = db.journal_page(sql_since, 250, offset).expect("journal");
                    got += v.len();
                    if v.len() < 250 {
                        break;
                    }
                    offset += 250;
                }
                got
            })
        };
        let got = ts_read().1;
        let (ts, sql) = alternate(self.reps, || ts_read().0, || sql_read().0);
        self.push(Row::new(
            "W6",
            format!("journal since N, {got} entries in pages of 250"),
            "ms",
            ts,
            Some(sql),
        ));
        drop(store);
        drop(db);
        remove(&ts_dir);
        remove(&sql_file);
    }

    /// W7: opening a store cold (in a fresh process), and after a writer was killed (-9).
    fn w7(&mut self) {
        eprintln!("W7 open");
        let mut sizes = vec![self.size.clone()];
        if let Some(s) = &self.open_size {
            if *s != self.size {
                sizes.push(s.clone());
            }
        }
        for size in sizes {
            let cases = parse_size(&size);
            let p = Prepared::at(&self.base, &size, self.seed);
            p.ensure(cases, self.seed);
            let reps = self.reps.clamp(1, 5);
            // Not in --quick: dropping the page cache slows everything else on the machine.
            let may_drop = !self.quick;
            let dropped = may_drop && drop_caches();
            // [cold open, cold open + first read, warm open] per side.
            let mut ts_v: [Vec<f64>; 3] = Default::default();
            let mut sql_v: [Vec<f64>; 3] = Default::default();
            for rep in 0..reps {
                let order = if rep % 2 == 0 {
                    [true, false]
                } else {
                    [false, true]
                };
                for is_ts in order {
                    let (task, path, v) = if is_ts {
                        ("open-ts", &p.ts, &mut ts_v)
                    } else {
                        ("open-sql", &p.sql, &mut sql_v)
                    };
                    if may_drop {
                        drop_caches();
                    }
                    let r = child(task, &[path_arg(path)]);
                    v[0].push(r["open_ms"].as_f64().unwrap_or(f64::NAN));
                    v[1].push(r["first_ms"].as_f64().unwrap_or(f64::NAN));
                    let r = child(task, &[path_arg(path)]);
                    v[2].push(r["open_ms"].as_f64().unwrap_or(f64::NAN));
                }
            }
            let cold = if dropped {
                "page cache dropped"
            } else {
                "page cache NOT dropped (--quick, or not permitted)"
            };
            let mut row = Row::new(
                "W7",
                format!("open {size} store, cold"),
                "ms",
                median(&ts_v[0]),
                Some(median(&sql_v[0])),
            )
            .note(cold);
            if cases >= 1_000_000 {
                row = row.target(Target::AbsoluteAtMost(100.0));
            }
            self.push(row);
            self.push(Row::new(
                "W7",
                format!("open {size}, cold, + first get_case"),
                "ms",
                median(&ts_v[1]),
                Some(median(&sql_v[1])),
            ));
            let mut row = Row::new(
                "W7",
                format!("open {size} store, warm"),
                "ms",
                median(&ts_v[2]),
                Some(median(&sql_v[2])),
            )
            .note("files in the page cache");
            if cases >= 1_000_000 {
                row = row.target(Target::AbsoluteAtMost(100.0));
            }
            self.push(row);
            // Reopen after kill -9 of a process that wrote (index left behind by those writes).
            let writes = if self.quick { 20 } else { 200 };
            let (mut ts_c, mut sql_c) = (Vec::new(), Vec::new());
            let mut report = String::new();
            let mut redb_repair = f64::NAN;
            for rep in 0..reps.min(3) {
                let ts = self.base.join("w7-ts");
                let sql = self.base.join("w7.db");
                remove(&ts);
                remove(&sql);
                remove(&sql.with_extension("db-wal"));
                remove(&sql.with_extension("db-shm"));
                copy_dir(&p.ts, &ts).expect("copy");
                copy_dir(&p.sql, &sql).expect("copy");
                let args = |path: &Path| {
                    vec![
                        path_arg(path),
                        writes.to_string(),
                        cases.to_string(),
                        rep.to_string(),
                    ]
                };
                crash("crash-ts", &args(&ts));
                crash("crash-sql", &args(&sql));
                if rep == 0 {
                    // How much of the reopen is redb's own repair of a file not closed cleanly.
                    let only = self.base.join("w7-redb-only");
                    remove(&only);
                    copy_dir(&ts, &only).expect("copy");
                    let r = child("redb-open", &[path_arg(&only)]);
                    redb_repair = r["open_ms"].as_f64().unwrap_or(f64::NAN);
                    remove(&only);
                }
                let order = if rep % 2 == 0 {
                    [true, false]
                } else {
                    [false, true]
                };
                for is_ts in order {
                    if is_ts {
                        let r = child("open-ts", &[path_arg(&ts)]);
                        ts_c.push(r["first_ms"].as_f64().unwrap_or(f64::NAN));
                        report = r["report"].as_str().unwrap_or("").to_string();
                    } else {
                        let r = child("open-sql", &[path_arg(&sql)]);
                        sql_c.push(r["first_ms"].as_f64().unwrap_or(f64::NAN));
                    }
                }
                remove(&ts);
                remove(&sql);
                remove(&sql.with_extension("db-wal"));
                remove(&sql.with_extension("db-shm"));
            }
            self.push(
                Row::new(
                    "W7",
                    format!("reopen {size} after kill -9 ({writes} writes) + first get_case"),
                    "ms",
                    median(&ts_c),
                    Some(median(&sql_c)),
                )
                .note(format!("{report}; redb alone reopens that file in {redb_repair:.0} ms; page cache warm")),
            );
        }
    }

    /// W8: one writer and several readers at once, for a fixed time per side.
    fn w8(&mut self) {
        eprintln!("W8 one writer + readers");
        let readers = 3;
        let secs = if self.quick { 0.5 } else { 4.0 };
        let (ts_dir, sql_file) = self.scratch("w8");
        let cases = self.cases;
        let seed = self.seed;
        let mid_words: Vec<String> = self.ds().vocab.words[200..600].to_vec();
        for (mode, label) in [(false, "get_case"), (true, "search (mid word)")] {
            let reps = if self.quick { 1 } else { 2 };
            let mut ts_w = Vec::new();
            let mut ts_r = Vec::new();
            let mut sql_w = Vec::new();
            let mut sql_r = Vec::new();
            for rep in 0..reps {
                let order = if rep % 2 == 0 {
                    [true, false]
                } else {
                    [false, true]
                };
                for is_ts in order {
                    let (w, r) = if is_ts {
                        w8_ts(&ts_dir, cases, seed, readers, secs, mode, &mid_words)
                    } else {
                        w8_sql(&sql_file, cases, seed, readers, secs, mode, &mid_words)
                    };
                    if is_ts {
                        ts_w.push(w);
                        ts_r.push(r);
                    } else {
                        sql_w.push(w);
                        sql_r.push(r);
                    }
                }
            }
            self.push(
                Row::new(
                    "W8",
                    format!("writer, while {readers} threads {label}"),
                    "ops/s",
                    median(&ts_w),
                    Some(median(&sql_w)),
                )
                .higher(),
            );
            self.push(
                Row::new(
                    "W8",
                    format!("{readers} readers {label}, total"),
                    "ops/s",
                    median(&ts_r),
                    Some(median(&sql_r)),
                )
                .higher(),
            );
        }
        remove(&ts_dir);
        remove(&sql_file);
    }
}

/// Runs `ts` and `sql` `reps` times each, alternating which goes first; medians.
fn alternate(reps: usize, mut ts: impl FnMut() -> f64, mut sql: impl FnMut() -> f64) -> (f64, f64) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for rep in 0..reps.max(1) {
        if rep % 2 == 0 {
            a.push(ts());
            b.push(sql());
        } else {
            b.push(sql());
            a.push(ts());
        }
    }
    (median(&a), median(&b))
}

/// Drops the page cache if this process may (root outside a container); whether it did.
fn drop_caches() -> bool {
    let _ = Command::new("sync").status();
    std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

/// Starts a child that writes, waits for it to say so, then SIGKILLs it.
fn crash(task: &str, args: &[String]) {
    let exe = std::env::current_exe().expect("own path");
    let mut c = Command::new(exe)
        .arg("child")
        .arg(task)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let out = c.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line).expect("read");
    assert!(line.starts_with("ready"), "{task} said {line:?}");
    c.kill().expect("kill -9"); // SIGKILL on Unix
    let _ = c.wait();
}

fn w8_ts(
    dir: &Path,
    cases: u64,
    seed: u64,
    readers: usize,
    secs: f64,
    search: bool,
    words: &[String],
) -> (f64, f64) {
    let store = Store::open(dir).expect("open");
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for t in 0..readers {
        let (store, stop, reads) = (store.clone(), stop.clone(), reads.clone());
        let words = words.to_vec();
        handles.push(std::thread::spawn(move || {
            let mut rng = Rng::keyed(seed, 800 + t as u64);
            while !stop.load(Ordering::Relaxed) {
                if search {
                    let q = SearchRequest {
                        project_id: Some(1),
                        query: words[rng.below(words.len() as u64) as usize].clone(),
                        limit: 50,
                        ..Default::default()
                    };
                    std::hint::black_box(store.search(&q).expect("search"));
                } else {
                    let id = 1 + rng.below(cases);
                    std::hint::black_box(store.call(&format!("get_case/{id}"), None).expect("get"));
                }
                reads.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let mut rng = Rng::keyed(seed, 899);
    let start = Instant::now();
    let mut writes = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        let id = 1 + rng.below(cases);
        store
            .call(&format!("update_case/{id}"), Some(&json!({"priority_id": 1 + writes % 4, "title": format!("Concurrent edit {writes}")})))
            .expect("update");
        writes += 1;
    }
    let el = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().expect("reader");
    }
    (
        writes as f64 / el,
        reads.load(Ordering::Relaxed) as f64 / el,
    )
}

fn w8_sql(
    file: &Path,
    cases: u64,
    seed: u64,
    readers: usize,
    secs: f64,
    search: bool,
    words: &[String],
) -> (f64, f64) {
    let mut db = open_sql(file);
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for t in 0..readers {
        let (stop, reads) = (stop.clone(), reads.clone());
        let file = file.to_path_buf();
        let words = words.to_vec();
        handles.push(std::thread::spawn(move || {
            let db = open_sql(&file);
            let mut rng = Rng::keyed(seed, 800 + t as u64);
            while !stop.load(Ordering::Relaxed) {
                if search {
                    let w = &words[rng.below(words.len() as u64) as usize];
                    std::hint::black_box(db.search(1, w, None, None, 50).expect("fts"));
                } else {
                    std::hint::black_box(db.get_case(1 + rng.below(cases)).expect("get"));
                }
                reads.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let mut rng = Rng::keyed(seed, 899);
    let start = Instant::now();
    let mut writes = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        let id = 1 + rng.below(cases);
        let patch =
            json!({"priority_id": 1 + writes % 4, "title": format!("Concurrent edit {writes}")});
        db.update_case(id, &patch, EPOCH + SPAN).expect("update");
        writes += 1;
    }
    let el = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().expect("reader");
    }
    (
        writes as f64 / el,
        reads.load(Ordering::Relaxed) as f64 / el,
    )
}

/// The items under `key` of every page of a paged trailstore route (pages of 250, stepping the
/// offset as a TestRail client does, until `_links.next` is null).
fn count_pages(store: &Store, route: &str, key: &str) -> usize {
    let mut offset = 0;
    let mut got = 0;
    loop {
        let v = store
            .call(&format!("{route}&limit=250&offset={offset}"), None)
            .unwrap_or_else(|e| panic!("{route}: {e}"))
            .into_value();
        got += v[key].as_array().map_or(0, Vec::len);
        if v["_links"]["next"].is_null() {
            return got;
        }
        offset += 250;
    }
}

/// The tasks a child process runs; each prints one JSON object.
pub fn child_main(task: &str, args: &[String]) -> Value {
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let num = |i: usize| arg(i).parse::<u64>().unwrap_or(0);
    match task {
        "import-ts" | "import-sql" => {
            let path = PathBuf::from(arg(0));
            let ds = if arg(3) == "one-suite" {
                Dataset::with_suites(num(2), num(1), crate::gen::ONE_SUITE)
            } else {
                Dataset::new(num(2), num(1))
            };
            let mut snap = ds.chunk(0);
            reset_peak();
            let base = status_kb("VmRSS");
            let (mut open_ms, mut import_ms, mut close_ms) = (0.0, 0.0, 0.0);
            // The CPU the import took, on every thread: from open to close, less the main
            // thread's generating of later chunks (the generator uses no other thread).
            let (cpu_start, main_start) = (
                cpu_seconds("/proc/self/stat"),
                cpu_seconds("/proc/thread-self/stat"),
            );
            let mut generating = 0.0;
            let mut next_chunk = |k: u64| {
                let before = cpu_seconds("/proc/thread-self/stat");
                let chunk = ds.chunk(k);
                generating += cpu_seconds("/proc/thread-self/stat") - before;
                chunk
            };
            if task == "import-ts" {
                let (t, store) = timed(|| Store::open(&path).expect("open"));
                open_ms += t;
                for k in 0..ds.chunks() {
                    if k > 0 {
                        snap = next_chunk(k);
                    }
                    import_ms += timed(|| store.import_snapshot(&snap).expect("import")).0;
                }
                close_ms += timed(|| drop(store)).0;
            } else {
                let (t, mut db) = timed(|| {
                    let db = open_sql(&path);
                    db.create_schema().expect("schema");
                    db
                });
                open_ms += t;
                for k in 0..ds.chunks() {
                    if k > 0 {
                        snap = next_chunk(k);
                    }
                    import_ms += timed(|| db.import(&snap).expect("import")).0;
                }
                close_ms += timed(|| drop(db)).0;
            }
            let cpu = cpu_seconds("/proc/self/stat") - cpu_start - generating;
            let main_cpu = cpu_seconds("/proc/thread-self/stat") - main_start - generating;
            let total = open_ms + import_ms + close_ms;
            drop(snap);
            json!({
                "ms": total,
                "cpu_s": cpu,
                "main_cpu_s": main_cpu,
                "open_ms": open_ms,
                "import_ms": import_ms,
                "close_ms": close_ms,
                "peak_mb": status_kb("VmHWM") as f64 / 1024.0,
                "base_mb": base as f64 / 1024.0,
            })
        }
        "open-ts" => {
            let path = PathBuf::from(arg(0));
            let start = Instant::now();
            let store = Store::open(&path).expect("open");
            let open_ms = ms(start.elapsed());
            std::hint::black_box(store.call("get_case/1", None).expect("get_case"));
            let first_ms = ms(start.elapsed());
            let report = store.index_report().to_string();
            let t = Instant::now();
            drop(store);
            json!({"open_ms": open_ms, "first_ms": first_ms, "report": report, "close_ms": ms(t.elapsed())})
        }
        "open-sql" => {
            let path = PathBuf::from(arg(0));
            let start = Instant::now();
            let db = open_sql(&path);
            let open_ms = ms(start.elapsed());
            std::hint::black_box(db.get_case(1).expect("get_case"));
            let first_ms = ms(start.elapsed());
            json!({"open_ms": open_ms, "first_ms": first_ms})
        }
        "crash-ts" | "crash-sql" => {
            let path = PathBuf::from(arg(0));
            let (writes, cases) = (num(1), num(2));
            let mut rng = Rng::keyed(77, num(3));
            if task == "crash-ts" {
                let store = Store::open(&path).expect("open");
                for i in 0..writes {
                    let id = 1 + rng.below(cases);
                    store
                        .call(
                            &format!("update_case/{id}"),
                            Some(&json!({"title": format!("Edited before the crash {i}")})),
                        )
                        .expect("update");
                }
                println!("ready");
                let _ = std::io::stdout().flush();
                std::thread::sleep(Duration::from_secs(600));
                std::mem::forget(store);
            } else {
                let mut db = open_sql(&path);
                for i in 0..writes {
                    let id = 1 + rng.below(cases);
                    db.update_case(
                        id,
                        &json!({"title": format!("Edited before the crash {i}")}),
                        EPOCH + SPAN,
                    )
                    .expect("update");
                }
                println!("ready");
                let _ = std::io::stdout().flush();
                std::thread::sleep(Duration::from_secs(600));
                std::mem::forget(db);
            }
            json!({})
        }
        // The vocabulary word of a rank (0 = most frequent), to pick queries by hand.
        "word" => json!(Dataset::new(num(1), 10).vocab.words[num(0) as usize]),
        // For profilers: any route in a loop (W2, W3, W6 alone).
        "call-loop" => {
            let store = Store::open(arg(0)).expect("open");
            let n = num(2);
            let (t, _) = timed(|| {
                for _ in 0..n {
                    std::hint::black_box(store.call(&arg(1), None).expect("call"));
                }
            });
            json!({"ms_per_call": t / n as f64})
        }
        // For profilers: W9's sides alone (DIR or DB, CASES SEED RESULTS), W10's trailstore
        // side alone (DIR [pages]).
        "record-loop" => recording::record_loop(&arg(0), num(1), num(2), num(3) as usize),
        "record-loop-sql" => recording::record_loop_sql(&arg(0), num(1), num(2), num(3) as usize),
        "include-all-loop" => recording::include_all_loop(&arg(0), arg(1) == "pages"),
        // redb alone opening a store's file (after a crash: its repair), without trailstore.
        "redb-open" => {
            let file = PathBuf::from(arg(0)).join(trailstore::DATA_FILE);
            let (t, db) = timed(|| redb::Database::create(&file).expect("redb open"));
            drop(db);
            json!({"open_ms": t})
        }
        // For profilers (perf, strace, callgrind): the hot loops of W4 and W5 alone.
        "search-loop" => {
            let store = Store::open(arg(0)).expect("open");
            let q = Query {
                text: arg(1),
                section: None,
                priority: None,
            };
            let n = num(2);
            let highlight = arg(3) == "highlight";
            let (t, hits) = timed(|| {
                (0..n)
                    .map(|_| ts_search(&store, &q, highlight))
                    .sum::<usize>()
            });
            json!({"ms_per_search": t / n as f64, "hits": hits / n.max(1) as usize})
        }
        "visible-loop" => {
            let store = Store::open(arg(0)).expect("open");
            let n = num(1);
            let (mut w, mut s) = (Vec::new(), Vec::new());
            for i in 0..n {
                let patch = json!({"title": format!("Visible after write zvis{i}q {}", std::process::id())});
                w.push(
                    timed(|| {
                        store
                            .call(&format!("update_case/{}", 1 + i), Some(&patch))
                            .expect("update")
                    })
                    .0,
                );
                let q = Query {
                    text: format!("zvis{i}q"),
                    section: None,
                    priority: None,
                };
                s.push(timed(|| ts_search(&store, &q, false)).0);
            }
            json!({"write_p50": median(&w), "search_p50": median(&s), "segments": store.index_segments()})
        }
        other => panic!("unknown child task {other}"),
    }
}
