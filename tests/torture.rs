//! The torture suite (docs/reliability.md): kill -9 during a stream of writes, crashes at every
//! seam between the data and the search index, damaged data and index files, boundary values,
//! and many threads on one handle.
//!
//! It arms the CLI's failpoints, so it is built only with the `testing` feature:
//! `cargo test --features testing --test torture`. Short by default; `TRAILSTORE_TORTURE=long`
//! runs the long versions (more kills, more damage).

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};
use trailstore::{ErrorCode, IndexAction, Store};

fn long() -> bool {
    std::env::var("TRAILSTORE_TORTURE").as_deref() == Ok("long")
}

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trailstore"))
}

/// A small xorshift generator, so every run is reproducible from its seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The writer process of the kill -9 test, which starts it with `--ignored --exact` and kills
/// it: commits a stream of mixed writes to the store named by TRAILSTORE_TORTURE_CHILD, printing
/// `BEGIN <op>` before and `ACK <op>` after each commit. Ignored, so that it is never counted as
/// a test of its own; run by hand, it refuses.
#[test]
#[ignore = "the writer process of kill_9_during_a_stream_of_writes_loses_nothing, started by it"]
fn torture_writer_child() {
    let path = std::env::var("TRAILSTORE_TORTURE_CHILD").expect(
        "TRAILSTORE_TORTURE_CHILD: started only by kill_9_during_a_stream_of_writes_loses_nothing",
    );
    let seed: u64 = std::env::var("TRAILSTORE_TORTURE_SEED")
        .unwrap()
        .parse()
        .unwrap();
    let store = Store::open(&path).unwrap();
    let mut rng = Rng(seed | 1);
    let out = std::io::stdout();
    match std::env::var("TRAILSTORE_TORTURE_MODE").as_deref() {
        Ok("results") => return results_writer(&store, seed, &mut rng),
        Ok("uploads") => return upload_writer(&store, seed),
        _ => {}
    }
    let mut cases: Vec<u64> = ids(&all_pages(&store, "get_cases/1&section_id=17", "cases"));
    let sections = [17u64, 18, 19, 21];
    for n in 0.. {
        let tag = format!("s{seed}n{n}");
        let op = match rng.below(10) {
            0..=3 => {
                json!({"op": "add", "section": sections[rng.below(4) as usize], "title": format!("Kill {tag}")})
            }
            4..=5 if !cases.is_empty() => {
                json!({"op": "update", "id": cases[rng.below(cases.len() as u64) as usize], "title": format!("Upd {tag}")})
            }
            6 if !cases.is_empty() => {
                json!({"op": "move", "id": cases[rng.below(cases.len() as u64) as usize], "section": sections[rng.below(4) as usize]})
            }
            7 if cases.len() > 5 => {
                json!({"op": "delete", "id": cases[rng.below(cases.len() as u64) as usize]})
            }
            _ => {
                json!({"op": "batch", "titles": [format!("B1 {tag}"), format!("B2 {tag}"), format!("B3 {tag}")], "section": 18})
            }
        };
        writeln!(out.lock(), "BEGIN {op}").unwrap();
        let mut ack = op.clone();
        match op["op"].as_str().unwrap() {
            "add" => {
                let c = ok(
                    &store,
                    &format!("add_case/{}", op["section"]),
                    json!({"title": op["title"], "custom_component": 1}),
                );
                cases.push(c["id"].as_u64().unwrap());
                ack["id"] = c["id"].clone();
            }
            "update" => {
                ok(
                    &store,
                    &format!("update_case/{}", op["id"]),
                    json!({"title": op["title"]}),
                );
            }
            "move" => {
                ok(
                    &store,
                    &format!("update_case/{}", op["id"]),
                    json!({"section_id": op["section"]}),
                );
            }
            "delete" => {
                ok(&store, &format!("delete_case/{}", op["id"]), Value::Null);
                cases.retain(|c| Some(*c) != op["id"].as_u64());
            }
            _ => {
                let mut batch = store.batch().unwrap();
                let mut made = Vec::new();
                for t in op["titles"].as_array().unwrap() {
                    made.push(
                        batch
                            .call(
                                "add_case/18",
                                Some(&json!({"title": t, "custom_component": 1})),
                            )
                            .unwrap()
                            .into_value()["id"]
                            .clone(),
                    );
                }
                batch.commit().unwrap();
                cases.extend(made.iter().map(|v| v.as_u64().unwrap()));
                ack["ids"] = Value::Array(made);
            }
        }
        writeln!(out.lock(), "ACK {ack}").unwrap();
        out.lock().flush().unwrap();
    }
}

/// Case id → (title, section) as the store holds them.
fn cases_of(store: &Store) -> BTreeMap<u64, (String, u64)> {
    all_pages(store, "get_cases/1", "cases")
        .iter()
        .map(|c| {
            (
                c["id"].as_u64().unwrap(),
                (
                    c["title"].as_str().unwrap().to_string(),
                    c["section_id"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

fn apply(model: &mut BTreeMap<u64, (String, u64)>, op: &Value) {
    match op["op"].as_str().unwrap() {
        "add" => {
            if let Some(id) = op["id"].as_u64() {
                model.insert(
                    id,
                    (
                        op["title"].as_str().unwrap().into(),
                        op["section"].as_u64().unwrap(),
                    ),
                );
            }
        }
        "update" => {
            if let Some(c) = model.get_mut(&op["id"].as_u64().unwrap()) {
                c.0 = op["title"].as_str().unwrap().into();
            }
        }
        "move" => {
            if let Some(c) = model.get_mut(&op["id"].as_u64().unwrap()) {
                c.1 = op["section"].as_u64().unwrap();
            }
        }
        "delete" => {
            model.remove(&op["id"].as_u64().unwrap());
        }
        _ => {
            for (id, t) in op["ids"]
                .as_array()
                .into_iter()
                .flatten()
                .zip(op["titles"].as_array().unwrap())
            {
                model.insert(id.as_u64().unwrap(), (t.as_str().unwrap().into(), 18));
            }
        }
    }
}

/// The run the result torture writes to: the sample's open run of every Web Shop case.
const RESULT_RUN: u64 = 2;
/// Results in one bulk write, as trcli sends them.
const RESULT_BATCH: usize = 50;

/// The results half of the writer child: `add_results_for_cases` of 50 results at a time, each
/// result's comment tagged with its batch, printing `BEGIN <tag>` and `ACK <tag>`.
fn results_writer(store: &Store, seed: u64, rng: &mut Rng) {
    let cases: Vec<u64> = all_pages(store, &format!("get_tests/{RESULT_RUN}"), "tests")
        .iter()
        .map(|t| t["case_id"].as_u64().unwrap())
        .collect();
    let out = std::io::stdout();
    for n in 0.. {
        let tag = format!("s{seed}n{n}");
        let results: Vec<Value> = (0..RESULT_BATCH)
            .map(|i| {
                let status = [1, 2, 4, 5, 6][rng.below(5) as usize];
                json!({
                    "case_id": cases[rng.below(cases.len() as u64) as usize],
                    "status_id": status,
                    "comment": format!("{tag}/{i}"),
                    "elapsed": "2s",
                })
            })
            .collect();
        writeln!(out.lock(), "BEGIN {tag}").unwrap();
        out.lock().flush().unwrap();
        ok(
            store,
            &format!("add_results_for_cases/{RESULT_RUN}"),
            json!({ "results": results }),
        );
        writeln!(out.lock(), "ACK {tag}").unwrap();
        out.lock().flush().unwrap();
    }
}

/// The bytes of upload `n` of a writer: a size and content that follow from the tag alone, so
/// that the parent can check them. Some uploads repeat earlier bytes, so that shared files are
/// tortured too.
fn upload_bytes(tag: &str) -> Vec<u8> {
    let h = tag.bytes().fold(1469598103934665603u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(1099511628211)
    });
    let mut rng = Rng(h | 1);
    if rng.below(4) == 0 {
        return b"the same bytes, uploaded again and again".to_vec();
    }
    let len = rng.below(3 * 1024 * 1024) as usize;
    (0..len).map(|i| (i as u8).wrapping_add(h as u8)).collect()
}

/// The uploads half of the writer child: attachments of up to 3 MB on case 1, streamed in
/// pieces, printing `BEGIN <tag>` and `ACK <tag> <id>`.
fn upload_writer(store: &Store, seed: u64) {
    let out = std::io::stdout();
    for n in 0.. {
        let tag = format!("s{seed}n{n}");
        let bytes = upload_bytes(&tag);
        writeln!(out.lock(), "BEGIN {tag}").unwrap();
        out.lock().flush().unwrap();
        let mut up = store
            .upload("add_attachment_to_case/1", &format!("{tag}.bin"))
            .unwrap();
        for chunk in bytes.chunks(64 * 1024) {
            up.write(chunk).unwrap();
        }
        let id = up.finish().unwrap()["attachment_id"].as_u64().unwrap();
        writeln!(out.lock(), "ACK {tag} {id}").unwrap();
        out.lock().flush().unwrap();
    }
}

/// After a kill: every acknowledged write present, nothing half-applied, the journal matching
/// the data, search finding exactly the stored cases.
fn verify_after_kill(
    store: &Store,
    model: &BTreeMap<u64, (String, u64)>,
    in_flight: Option<&Value>,
    journal_before: usize,
    acks: usize,
) {
    let actual = cases_of(store);
    // The state is the acknowledged model, or the model plus the one write in flight.
    if actual != *model {
        let op = in_flight.unwrap_or_else(|| panic!("state differs with no write in flight"));
        let mut with = model.clone();
        match op["op"].as_str().unwrap() {
            "add" | "batch" => {
                // Ids are unknown for an unacknowledged create: match by title.
                let titles: Vec<String> = match op["op"].as_str().unwrap() {
                    "add" => vec![op["title"].as_str().unwrap().into()],
                    _ => op["titles"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|t| t.as_str().unwrap().into())
                        .collect(),
                };
                let extra: Vec<(&u64, &(String, u64))> = actual
                    .iter()
                    .filter(|(id, _)| !model.contains_key(id))
                    .collect();
                assert_eq!(
                    extra.len(),
                    titles.len(),
                    "a create applied in part: {extra:?} for {op}"
                );
                for (id, v) in extra {
                    assert!(titles.contains(&v.0), "unexpected case {id} {v:?}");
                    with.insert(*id, v.clone());
                }
            }
            _ => apply(&mut with, op),
        }
        assert_eq!(
            actual, with,
            "the data is neither before nor after the write in flight {op}"
        );
    }
    // One journal entry per committed call (a batch of three adds makes three).
    let j = journal(store);
    let expected = journal_before + acks;
    let in_flight_entries = in_flight.map_or(0, |op| if op["op"] == "batch" { 3 } else { 1 });
    assert!(
        j.len() == expected
            || (in_flight.is_some()
                && j.len() <= expected + in_flight_entries
                && j.len() > expected),
        "journal {} vs {expected} acknowledged",
        j.len()
    );
    // The journal matches the data: the last recorded title of every case is its title.
    let mut last_title: BTreeMap<u64, String> = BTreeMap::new();
    for e in &j {
        for eff in e["effects"].as_array().unwrap() {
            if let Some(c) = eff["changes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["field"] == "title")
            {
                if let Some(t) = c["new"].as_str() {
                    last_title.insert(eff["id"].as_u64().unwrap(), t.into());
                }
            }
        }
    }
    for (id, (title, _)) in &actual {
        if let Some(t) = last_title.get(id) {
            assert_eq!(t, title, "journal and data disagree on case {id}");
        }
    }
    // Search finds exactly the stored cases, each once.
    let (mut found, total) = search_hits(store, "x_search_cases/1&limit=250&count=1&highlight=0");
    let total = total.unwrap() as usize;
    found.sort_unstable();
    let stored: Vec<u64> = actual.keys().copied().collect();
    // A hit whose case is gone is dropped from the results but still counted in the total.
    assert!(
        total == stored.len() && found == stored,
        "search and data disagree: total {total}, {} hits, {} stored; hits not stored: {:?}; \
         stored not hit: {:?}; duplicate hits: {:?}; write in flight: {in_flight:?}; index: {:?}",
        found.len(),
        stored.len(),
        found
            .iter()
            .filter(|id| !actual.contains_key(id))
            .collect::<Vec<_>>(),
        stored
            .iter()
            .filter(|id| found.binary_search(id).is_err())
            .collect::<Vec<_>>(),
        found
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect::<Vec<_>>(),
        store.index_report(),
    );
}

/// Rounds of the kill -9 test: 100, 2,000 with `TRAILSTORE_TORTURE=long` (a soak: the rare
/// failure it once showed needs thousands of rounds to show again, if it does), or
/// `TRAILSTORE_TORTURE_ROUNDS`, numbered from `TRAILSTORE_TORTURE_FIRST_ROUND` (0). A round's
/// number seeds its writes and its kill point, so soaks in several runs, each on a fresh store
/// (whose rounds stay fast), cover new rounds instead of repeating the first ones.
fn kill_rounds() -> std::ops::Range<usize> {
    let var = |name: &str| std::env::var(name).ok().and_then(|r| r.parse().ok());
    let first = var("TRAILSTORE_TORTURE_FIRST_ROUND").unwrap_or(0);
    let rounds = var("TRAILSTORE_TORTURE_ROUNDS").unwrap_or(if long() { 2_000 } else { 100 });
    first..first + rounds
}

/// Keeps a copy of a store that failed a check, with what led to it, in
/// `target/torture-failures/NAME` (the temporary folder goes with the test), and says where.
fn keep_failure(path: &Path, name: &str, notes: &str) -> String {
    let to = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/torture-failures")
        .join(name);
    let _ = std::fs::remove_dir_all(&to);
    copy_tree(path, &to);
    std::fs::write(to.join("NOTES.txt"), notes).unwrap();
    format!("the store is kept in {}", to.display())
}

#[test]
fn kill_9_during_a_stream_of_writes_loses_nothing() {
    let rounds = kill_rounds();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    {
        let s = Store::open(&path).unwrap();
        s.import_snapshot(snapshot()).unwrap();
    }
    let mut model = cases_of(&Store::open(&path).unwrap());
    let mut journal_len = 0;
    let mut total_acks = 0;
    for round in rounds.clone() {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "torture_writer_child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("TRAILSTORE_TORTURE_CHILD", &path)
            .env("TRAILSTORE_TORTURE_SEED", (round + 1).to_string())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.path().join("child-stderr.txt")).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Kill after a pseudo-random number of acknowledged writes (or time).
        let mut rng = Rng(round as u64 * 7919 + 17);
        let target = 1 + rng.below(12) as usize;
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut acks = Vec::new();
        let mut begun: Option<Value> = None;
        while acks.len() < target && Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(line) => {
                    if let Some(op) = line.strip_prefix("BEGIN ") {
                        begun = Some(serde_json::from_str(op).unwrap());
                    } else if let Some(op) = line.strip_prefix("ACK ") {
                        acks.push(serde_json::from_str::<Value>(op).unwrap());
                        begun = None;
                    }
                }
                Err(_) => continue,
            }
        }
        // A little more time, so the kill falls at varied points inside the next write.
        std::thread::sleep(Duration::from_micros(rng.below(3000)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // Lines that arrived before the kill.
        while let Ok(line) = rx.try_recv() {
            if let Some(op) = line.strip_prefix("BEGIN ") {
                begun = Some(serde_json::from_str(op).unwrap());
            } else if let Some(op) = line.strip_prefix("ACK ") {
                acks.push(serde_json::from_str::<Value>(op).unwrap());
                begun = None;
            }
        }
        assert!(
            !acks.is_empty(),
            "round {round}: the writer acknowledged nothing"
        );
        // Journal entries the acknowledged writes made: a batch of three adds makes three, a
        // move to the section a case is already in makes none.
        let mut entries = 0;
        for a in &acks {
            entries += match a["op"].as_str().unwrap() {
                "batch" => 3,
                "move" => usize::from(
                    model
                        .get(&a["id"].as_u64().unwrap())
                        .is_some_and(|c| Some(c.1) != a["section"].as_u64()),
                ),
                _ => 1,
            };
            apply(&mut model, a);
        }
        total_acks += acks.len();
        // Kept before the open below changes anything (it catches the index up).
        let before_open = dir.path().join("before-open");
        let _ = std::fs::remove_dir_all(&before_open);
        copy_tree(&path, &before_open);
        let store = Store::open(&path).unwrap();
        let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            verify_after_kill(&store, &model, begun.as_ref(), journal_len, entries)
        }));
        if let Err(panic) = checked {
            drop(store);
            let notes = format!(
                "round {round} of {rounds:?}, seed {}\nacknowledged: {acks:?}\nin flight: {begun:?}\n\
                 child stderr:\n{}\n",
                round + 1,
                std::fs::read_to_string(dir.path().join("child-stderr.txt")).unwrap_or_default()
            );
            let kept = keep_failure(&before_open, &format!("kill9-round-{round}"), &notes);
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("round {round}: {message}\n{notes}{kept} (as it was before the reopen)");
        }
        // What the store holds now (with the write in flight, if it landed) is the next base.
        model = cases_of(&store);
        journal_len = journal(&store).len();
    }
    assert!(
        total_acks >= rounds.len(),
        "{total_acks} acknowledged writes in rounds {rounds:?}"
    );
    eprintln!("kill -9: rounds {rounds:?}, {total_acks} acknowledged writes, all verified");
}

/// The comments of a run's results, grouped by the batch tag in them, and the statuses the
/// tests hold, checked against their results and the run's counts.
fn result_batches(store: &Store) -> BTreeMap<String, usize> {
    let results = all_pages(
        store,
        &format!("get_results_for_run/{RESULT_RUN}"),
        "results",
    );
    let mut batches = BTreeMap::new();
    // Newest first: the first status-bearing result seen for a test is its status.
    let mut latest: BTreeMap<u64, u64> = BTreeMap::new();
    for r in &results {
        if let Some(tag) = r["comment"].as_str().and_then(|c| c.split_once('/')) {
            *batches.entry(tag.0.to_string()).or_default() += 1;
        }
        if let Some(s) = r["status_id"].as_u64() {
            latest.entry(r["test_id"].as_u64().unwrap()).or_insert(s);
        }
    }
    let tests = all_pages(store, &format!("get_tests/{RESULT_RUN}"), "tests");
    let mut counts: BTreeMap<u64, u64> = BTreeMap::new();
    for t in &tests {
        let id = t["id"].as_u64().unwrap();
        let status = t["status_id"].as_u64().unwrap();
        assert_eq!(
            status,
            latest.get(&id).copied().unwrap_or(3),
            "test {id}'s status is not its latest result's"
        );
        *counts.entry(status).or_default() += 1;
    }
    let run = ok(store, &format!("get_run/{RESULT_RUN}"), Value::Null);
    for (status, key) in [
        (1, "passed_count"),
        (2, "blocked_count"),
        (3, "untested_count"),
        (4, "retest_count"),
        (5, "failed_count"),
        (6, "custom_status1_count"),
    ] {
        assert_eq!(
            run[key],
            counts.get(&status).copied().unwrap_or(0),
            "{key} disagrees with the tests"
        );
    }
    batches
}

#[test]
fn kill_9_during_bulk_result_writes_is_all_or_nothing() {
    let rounds = if long() { 300 } else { 20 };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    {
        let s = Store::open(&path).unwrap();
        s.import_snapshot(snapshot()).unwrap();
    }
    let mut batches = result_batches(&Store::open(&path).unwrap());
    let mut journal_len = journal(&Store::open(&path).unwrap()).len();
    for round in 0..rounds {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "torture_writer_child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("TRAILSTORE_TORTURE_CHILD", &path)
            .env("TRAILSTORE_TORTURE_SEED", (round + 1).to_string())
            .env("TRAILSTORE_TORTURE_MODE", "results")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut rng = Rng(round as u64 * 104_729 + 13);
        let target = 1 + rng.below(4) as usize;
        let mut acked = Vec::new();
        let mut begun = None;
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        while acked.len() < target && Instant::now() < deadline {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(tag) = line.strip_prefix("BEGIN ") {
                begun = Some(tag.to_string());
            } else if let Some(tag) = line.strip_prefix("ACK ") {
                acked.push(tag.to_string());
                begun = None;
            }
        }
        // Into the next write: its transaction is being built or committed.
        std::thread::sleep(Duration::from_micros(rng.below(4000)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        for line in lines.map_while(Result::ok) {
            if let Some(tag) = line.strip_prefix("BEGIN ") {
                begun = Some(tag.to_string());
            } else if let Some(tag) = line.strip_prefix("ACK ") {
                acked.push(tag.to_string());
                begun = None;
            }
        }
        assert!(!acked.is_empty(), "round {round}: nothing acknowledged");
        let store = Store::open(&path).unwrap();
        let now = result_batches(&store);
        for tag in &acked {
            assert_eq!(
                now.get(tag),
                Some(&RESULT_BATCH),
                "round {round}: acknowledged batch {tag} is not whole"
            );
        }
        let mut extra = 0;
        for (tag, n) in &now {
            if batches.contains_key(tag) || acked.contains(tag) {
                continue;
            }
            // Only the batch in flight may have landed, and then whole.
            assert_eq!(
                Some(tag),
                begun.as_ref(),
                "round {round}: unknown batch {tag}"
            );
            assert_eq!(
                *n, RESULT_BATCH,
                "round {round}: batch {tag} landed in part"
            );
            extra += 1;
        }
        let j = journal(&store).len();
        assert_eq!(
            j,
            journal_len + acked.len() + extra,
            "round {round}: one journal entry per landed batch"
        );
        batches = now;
        journal_len = j;
    }
}

/// Every file in a store's attachment folder (bytes and temporary files).
fn attachment_files(path: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let root = path.join(trailstore::ATTACHMENTS_DIR);
    for dir in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            out.push(f.file_name().to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}

#[test]
fn kill_9_during_uploads_leaves_no_orphan_and_loses_no_acknowledged_file() {
    let rounds = if long() { 200 } else { 15 };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    {
        let s = Store::open(&path).unwrap();
        s.import_snapshot(snapshot()).unwrap();
    }
    // Tag → attachment id, for every upload that landed.
    let mut landed: BTreeMap<String, u64> = BTreeMap::new();
    for round in 0..rounds {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "torture_writer_child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("TRAILSTORE_TORTURE_CHILD", &path)
            .env("TRAILSTORE_TORTURE_SEED", (round + 1).to_string())
            .env("TRAILSTORE_TORTURE_MODE", "uploads")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut rng = Rng(round as u64 * 7_919 + 101);
        let target = 1 + rng.below(4) as usize;
        let mut acked: Vec<(String, u64)> = Vec::new();
        let mut begun = None;
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        while acked.len() < target && Instant::now() < deadline {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(tag) = line.strip_prefix("BEGIN ") {
                begun = Some(tag.to_string());
            } else if let Some(rest) = line.strip_prefix("ACK ") {
                let (tag, id) = rest.split_once(' ').unwrap();
                acked.push((tag.to_string(), id.parse().unwrap()));
                begun = None;
            }
        }
        // Into the next upload: streaming, syncing, placing or committing.
        std::thread::sleep(Duration::from_micros(rng.below(20_000)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        for line in lines.map_while(Result::ok) {
            if let Some(tag) = line.strip_prefix("BEGIN ") {
                begun = Some(tag.to_string());
            } else if let Some(rest) = line.strip_prefix("ACK ") {
                let (tag, id) = rest.split_once(' ').unwrap();
                acked.push((tag.to_string(), id.parse().unwrap()));
                begun = None;
            }
        }
        assert!(!acked.is_empty(), "round {round}: nothing acknowledged");
        let store = Store::open(&path).unwrap();
        landed.extend(acked.iter().cloned());
        let listed = all_pages(&store, "get_attachments_for_case/1", "attachments");
        // The upload in flight may have landed, whole.
        if let Some(tag) = &begun {
            if let Some(a) = listed
                .iter()
                .find(|a| a["name"] == format!("{tag}.bin").as_str())
            {
                landed.insert(tag.clone(), a["id"].as_u64().unwrap());
            }
        }
        assert_eq!(
            listed.len(),
            landed.len(),
            "round {round}: {listed:?} against {landed:?}"
        );
        // Every landed file has exactly its bytes.
        let mut hashes = std::collections::BTreeSet::new();
        for (tag, id) in &landed {
            let file = store.attachment(&id.to_string()).unwrap();
            let want = upload_bytes(tag);
            assert_eq!(file.to_vec().unwrap(), want, "round {round}: {tag}");
            use sha2::Digest;
            hashes.insert(
                sha2::Sha256::digest(&want)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>(),
            );
        }
        // Nothing else is left in the folder: no temporary file, no orphan.
        let files: std::collections::BTreeSet<String> =
            attachment_files(&path).into_iter().collect();
        assert_eq!(
            files, hashes,
            "round {round}: the folder holds exactly the named bytes"
        );
        assert_eq!(
            journal(&store)
                .iter()
                .filter(|e| e["route"] == "add_attachment_to_case/1")
                .count(),
            landed.len(),
            "round {round}: one journal entry per landed upload"
        );
    }
}

/// Runs one CLI call with a failpoint armed; it must die at it.
fn crash_at(path: &Path, failpoint: &str, args: &[&str]) {
    let out = cli()
        .arg("--store")
        .arg(path)
        .args(args)
        .env("TRAILSTORE_FAILPOINT", failpoint)
        .output()
        .unwrap();
    assert!(
        !out.status.success() && out.status.code().is_none(),
        "{failpoint}: expected an abort (a CLI built without the `testing` feature has no \
         failpoints), got {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Search results that must match between a recovered index and a rebuilt one (every page).
fn fingerprint(store: &Store) -> Vec<Vec<u64>> {
    let mut out = Vec::new();
    for q in [
        "",
        "&q=crash",
        "&q=payment",
        "&priority_id=4",
        "&section_id=2",
    ] {
        let (mut ids, total) =
            search_hits(store, &format!("x_search_cases/1&limit=250&count=1{q}"));
        ids.sort_unstable();
        let found = ids.len();
        ids.dedup();
        assert_eq!(found, ids.len(), "no duplicates for {q}");
        assert_eq!(total.unwrap() as usize, ids.len(), "total of {q}");
        out.push(ids);
    }
    out
}

fn assert_equals_rebuild(path: &Path) {
    let store = Store::open(path).unwrap();
    let recovered = fingerprint(&store);
    store.reindex().unwrap();
    assert_eq!(
        fingerprint(&store),
        recovered,
        "recovered index equals a rebuild"
    );
    let stored = all_pages(&store, "get_cases/1", "cases").len();
    assert_eq!(recovered[0].len(), stored, "every stored case once");
}

#[test]
fn crashes_at_every_seam_recover_to_the_same_results_as_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    Store::open(&path)
        .unwrap()
        .import_snapshot(snapshot())
        .unwrap();
    let add = |title: &str| {
        vec![
            "call".to_string(),
            "add_case/17".into(),
            "--data".into(),
            json!({"title": title, "custom_component": 1}).to_string(),
        ]
    };
    // 1. After the data committed, before the index saw it.
    let a = add("Crash after data commit");
    crash_at(
        &path,
        "after-data-commit",
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    {
        let store = Store::open(&path).unwrap();
        assert!(
            matches!(store.index_report(), IndexAction::CaughtUp { .. }),
            "{:?}",
            store.index_report()
        );
        assert_eq!(
            ok(
                &store,
                "x_search_cases/1&q=%22after%20data%20commit%22",
                Value::Null
            )["size"],
            1
        );
    }
    assert_equals_rebuild(&path);
    // 2. With the documents in the index writer, before the index commit (closing the store
    //    commits it, so the process dies on its way out).
    let a = add("Crash before index commit");
    crash_at(
        &path,
        "before-index-commit",
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    {
        let store = Store::open(&path).unwrap();
        assert_eq!(
            ok(
                &store,
                "x_search_cases/1&q=%22before%20index%20commit%22",
                Value::Null
            )["size"],
            1
        );
    }
    assert_equals_rebuild(&path);
    // 3. Half-way through catching up on open.
    {
        let store = Store::open(&path).unwrap();
        // Leave the index behind: copy it, write, put the old copy back.
        let index = path.join(trailstore::INDEX_DIR);
        let saved = dir.path().join("saved-index");
        copy_dir(&index, &saved);
        for i in 0..20 {
            ok(
                &store,
                "add_case/17",
                web_case(&format!("Crash during catch-up {i}")),
            );
        }
        drop(store);
        std::fs::remove_dir_all(&index).unwrap();
        copy_dir(&saved, &index);
    }
    crash_at(&path, "during-catch-up", &["status"]);
    assert_equals_rebuild(&path);
    // 4. Half-way through a rebuild.
    std::fs::remove_dir_all(path.join(trailstore::INDEX_DIR)).unwrap();
    crash_at(&path, "during-rebuild", &["status"]);
    {
        let store = Store::open(&path).unwrap();
        assert!(
            !matches!(store.index_report(), IndexAction::UpToDate),
            "{:?}",
            store.index_report()
        );
    }
    assert_equals_rebuild(&path);
    // 5. Bulk imports, whose documents are staged while the data is written: killed half-way
    //    (nothing committed: none of it may appear), after the data commit, and before the
    //    index commit.
    let hits = |word: &str| {
        let store = Store::open(&path).unwrap();
        let page = ok(
            &store,
            &format!("x_search_cases/1&q={word}&count=1"),
            Value::Null,
        );
        page["total"].as_u64().unwrap()
    };
    let bulk = |word: &str| {
        let file = dir.path().join(format!("{word}.json"));
        std::fs::write(&file, big_snapshot(4, word).to_string()).unwrap();
        file.to_str().unwrap().to_string()
    };
    let quoll = bulk("Quoll");
    crash_at(&path, "during-staged-import", &["import", &quoll]);
    assert_eq!(
        *Store::open(&path).unwrap().index_report(),
        IndexAction::UpToDate
    );
    assert_eq!(
        hits("quoll"),
        0,
        "a killed import leaves no document behind"
    );
    assert_equals_rebuild(&path);
    crash_at(&path, "after-data-commit", &["import", &quoll]);
    assert!(hits("quoll") > 100);
    assert_equals_rebuild(&path);
    let quokka = bulk("Quokka");
    crash_at(&path, "before-index-commit", &["import", &quokka]);
    assert_eq!(hits("quoll"), 0);
    assert!(hits("quokka") > 100);
    assert_equals_rebuild(&path);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Copies a folder and everything under it.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Runs the CLI against a damaged store: it must end by itself, with a normal exit code.
fn survives(path: &Path, what: &str) -> bool {
    let mut ok_reads = false;
    for args in [
        vec!["status"],
        vec!["call", "get_cases/1&limit=5"],
        vec!["search", "--project", "1", "payment"],
        vec!["call", "get_case/1"],
    ] {
        let mut child = cli()
            .arg("--store")
            .arg(path)
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{what}: {args:?} hung");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let code = status
            .code()
            .unwrap_or_else(|| panic!("{what}: {args:?} died of a signal ({status:?})"));
        assert!(
            (0..=2).contains(&code),
            "{what}: {args:?} exited {code} (101 is a panic)"
        );
        ok_reads |= code == 0 && args[0] == "call";
    }
    ok_reads
}

#[test]
fn damaged_files_give_typed_errors_or_a_rebuild_never_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let pristine = dir.path().join("pristine");
    Store::open(&pristine)
        .unwrap()
        .import_snapshot(snapshot())
        .unwrap();
    let data = std::fs::read(pristine.join(trailstore::DATA_FILE)).unwrap();
    let mut rng = Rng(0x5eed);
    let n = if long() { 60 } else { 12 };
    let mut variants: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..n {
        let mut d = data.clone();
        let flips = 1 + rng.below(8);
        for _ in 0..flips {
            let at = rng.below(d.len() as u64) as usize;
            d[at] ^= 1 << rng.below(8);
        }
        variants.push((format!("bit flips #{i}"), d));
    }
    for cut in [0usize, 512, 4096, data.len() / 3, data.len() - 4096] {
        variants.push((format!("truncated to {cut}"), data[..cut].to_vec()));
    }
    for page in 0..4 {
        let mut d = data.clone();
        let at = (rng.below((d.len() / 4096) as u64) as usize) * 4096;
        let page_no = at / 4096;
        d[at..at + 4096].fill(0);
        variants.push((format!("zeroed page {page_no} ({page})"), d));
    }
    let mut readable = 0;
    for (what, bytes) in &variants {
        let p = dir.path().join("damaged");
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(p.join(trailstore::INDEX_DIR)).unwrap();
        std::fs::write(p.join(trailstore::DATA_FILE), bytes).unwrap();
        for e in std::fs::read_dir(pristine.join(trailstore::INDEX_DIR))
            .unwrap()
            .flatten()
        {
            std::fs::copy(e.path(), p.join(trailstore::INDEX_DIR).join(e.file_name())).unwrap();
        }
        if survives(&p, what) {
            readable += 1;
        }
        // The library, in this process: an error with a type, never a panic out of open.
        match Store::open(&p) {
            Ok(_) => {}
            Err(e) => assert!(
                matches!(
                    e.code(),
                    ErrorCode::Damaged
                        | ErrorCode::Io
                        | ErrorCode::Internal
                        | ErrorCode::Unsupported
                ),
                "{what}: {e}"
            ),
        }
    }
    eprintln!(
        "{readable} of {} damaged data files still answered reads",
        variants.len()
    );
    // Damaged indexes: deleted, truncated files, foreign files: always a rebuild.
    let cases = 327;
    type Hurt = Box<dyn Fn(&Path)>;
    let damage: Vec<(&str, Hurt)> = vec![
        (
            "index deleted",
            Box::new(|i: &Path| std::fs::remove_dir_all(i).unwrap()),
        ),
        (
            "index files truncated",
            Box::new(|i: &Path| {
                for e in std::fs::read_dir(i).unwrap().flatten() {
                    let f = std::fs::OpenOptions::new()
                        .write(true)
                        .open(e.path())
                        .unwrap();
                    f.set_len(f.metadata().unwrap().len() / 2).unwrap();
                }
            }),
        ),
        (
            "foreign index",
            Box::new(|i: &Path| {
                std::fs::remove_dir_all(i).unwrap();
                std::fs::create_dir_all(i).unwrap();
                std::fs::write(i.join("meta.json"), b"{\"segments\": \"nope\"}").unwrap();
                std::fs::write(i.join("junk.bin"), vec![7u8; 10_000]).unwrap();
            }),
        ),
    ];
    for (what, hurt) in damage {
        let p = dir.path().join("index-damage");
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(p.join(trailstore::INDEX_DIR)).unwrap();
        std::fs::copy(
            pristine.join(trailstore::DATA_FILE),
            p.join(trailstore::DATA_FILE),
        )
        .unwrap();
        for e in std::fs::read_dir(pristine.join(trailstore::INDEX_DIR))
            .unwrap()
            .flatten()
        {
            std::fs::copy(e.path(), p.join(trailstore::INDEX_DIR).join(e.file_name())).unwrap();
        }
        hurt(&p.join(trailstore::INDEX_DIR));
        assert!(survives(&p, what));
        let store = Store::open(&p).unwrap();
        let total = ok(&store, "x_search_cases/1&limit=1&count=1", Value::Null)["total"]
            .as_u64()
            .unwrap()
            + ok(&store, "x_search_cases/2&limit=1&count=1", Value::Null)["total"]
                .as_u64()
                .unwrap();
        assert_eq!(
            total, cases,
            "{what}: the index was rebuilt with every case"
        );
    }
}

#[test]
fn boundary_values_round_trip_or_are_refused_with_a_documented_error() {
    let (_d, store) = sample();
    let big = "x".repeat(10 * 1024 * 1024);
    let emoji = "🦀🧪🔥 — ✅ 日本語".to_string();
    let nul = "before\u{0}after".to_string();
    let c = ok(
        &store,
        "add_case/17",
        json!({
            "title": emoji, "custom_component": 1, "custom_preconds": big, "custom_steps": nul,
            "custom_automation_id": "", "refs": "",
        }),
    );
    let id = c["id"].as_u64().unwrap();
    let back = ok(&store, &format!("get_case/{id}"), Value::Null);
    assert_eq!(back["title"], emoji);
    assert_eq!(
        back["custom_preconds"].as_str().unwrap().len(),
        big.len(),
        "10 MB of text round-trips"
    );
    assert_eq!(back["custom_steps"], nul, "NUL inside a string round-trips");
    assert_eq!(back["custom_automation_id"], "", "empty strings stay empty");
    assert_eq!(back["refs"], "");
    // A section tree 64 deep.
    let mut parent = Value::Null;
    for depth in 0..64 {
        let s = ok(
            &store,
            "add_section/1",
            json!({"name": format!("Depth {depth}"), "parent_id": parent}),
        );
        assert_eq!(s["depth"], depth);
        parent = s["id"].clone();
    }
    let deep = ok(
        &store,
        &format!("add_case/{}", parent),
        web_case("At the bottom"),
    );
    let hits = ok(
        &store,
        &format!(
            "x_search_cases/1&q=bottom&section_id={}",
            ok(&store, "get_sections/1", Value::Null)["sections"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["name"] == "Depth 0")
                .unwrap()["id"]
        ),
        Value::Null,
    );
    assert_eq!(
        hits["results"][0]["case"]["id"], deep["id"],
        "a 64-deep subtree is searchable from its root"
    );
    // Ids at the edges: 2^31-1 is inside the local range (refused on import), negatives and
    // larger values are not ids.
    for bad in [
        "get_case/-1",
        "get_case/2147483648",
        "get_case/0",
        "get_case/99999999999999999999",
    ] {
        assert_error(
            &err(&store, bad, Value::Null),
            "Field :case_id is not a valid ID.",
            Some("case_id"),
        );
    }
    assert_error(
        &err(&store, "get_case/2147483647", Value::Null),
        "Field :case_id is not a valid test case.",
        Some("case_id"),
    );
    let mut snap = json!({"cases": [snapshot()["cases"][0].clone()]});
    snap["cases"][0]["id"] = json!(2147483647u64);
    let e = store.import_snapshot(&snap).unwrap_err();
    assert_eq!(e.field(), Some("id"));
    assert!(e.to_string().contains("local id range"), "{e}");
    // Timestamps 0 and 2^32 in filters and in imported data.
    let mut snap =
        json!({"cases": [snapshot()["cases"][1].clone(), snapshot()["cases"][2].clone()]});
    snap["cases"][0]["created_on"] = json!(0);
    snap["cases"][0]["updated_on"] = json!(0);
    snap["cases"][1]["created_on"] = json!(4294967296u64);
    snap["cases"][1]["updated_on"] = json!(4294967296u64);
    store.import_snapshot(&snap).unwrap();
    assert_eq!(ok(&store, "get_case/2", Value::Null)["created_on"], 0);
    assert_eq!(
        ok(&store, "get_case/3", Value::Null)["created_on"],
        4294967296u64
    );
    assert_eq!(
        ids(&all_pages(&store, "get_cases/1&created_before=1", "cases")),
        vec![2]
    );
    assert_eq!(
        ids(&all_pages(
            &store,
            "get_cases/1&created_after=4294967295",
            "cases"
        )),
        vec![3]
    );
    assert_eq!(
        ok(
            &store,
            "x_search_cases/1&created_after=4294967295&count=1",
            Value::Null
        )["total"],
        1
    );
    // Strings over a limit are refused with TestRail's message (documented in validate.rs).
    assert_error(
        &err(
            &store,
            "add_case/17",
            json!({"title": "🦀".repeat(251), "custom_component": 1}),
        ),
        "Field :title is too long (250 characters at most).",
        Some("title"),
    );
}

#[test]
fn many_threads_on_one_handle_read_write_and_search_without_deadlock() {
    let (_d, store) = sample();
    let threads = 8;
    let per = if long() { 300 } else { 60 };
    std::thread::scope(|s| {
        for t in 0..threads {
            let store = store.clone();
            s.spawn(move || {
                let mut rng = Rng(t as u64 * 31 + 7);
                for i in 0..per {
                    match rng.below(5) {
                        0 => {
                            let token = format!("rywtoken{t}x{i}");
                            ok(
                                &store,
                                "add_case/17",
                                web_case(&format!("Thread {t} case {i} {token}")),
                            );
                            // Read-your-writes, while other threads write and search.
                            let found = ok(
                                &store,
                                &format!("x_search_cases/1&q={token}&count=1"),
                                Value::Null,
                            );
                            assert_eq!(found["total"], 1, "thread {t} missed its own {token}");
                        }
                        1 => {
                            let id = 1 + rng.below(150);
                            let _ = store.call(
                                &format!("update_case/{id}"),
                                Some(&json!({"refs": format!("T{t}-{i}")})),
                            );
                        }
                        2 => {
                            ok(
                                &store,
                                &format!("x_search_cases/1&q=thread%20{t}&limit=5"),
                                Value::Null,
                            );
                        }
                        3 => {
                            let mut b = store.batch().unwrap();
                            b.call(
                                "add_case/18",
                                Some(&web_case(&format!("Thread {t} batch {i}"))),
                            )
                            .unwrap();
                            b.commit().unwrap();
                        }
                        _ => {
                            ok(
                                &store,
                                &format!("get_case/{}", 1 + rng.below(190)),
                                Value::Null,
                            );
                        }
                    }
                }
            });
        }
    });
    // Consistent at the end: data, journal and search agree.
    let stored = all_pages(&store, "get_cases/1", "cases");
    let made = stored
        .iter()
        .filter(|c| c["title"].as_str().unwrap().starts_with("Thread "))
        .count();
    let adds = journal(&store)
        .iter()
        .filter(|e| e["route"].as_str().unwrap().starts_with("add_case"))
        .count();
    assert_eq!(made, adds);
    assert_eq!(
        ok(&store, "x_search_cases/1&limit=1&count=1", Value::Null)["total"]
            .as_u64()
            .unwrap() as usize,
        stored.len()
    );
    for t in 0..threads {
        let expected = stored
            .iter()
            .filter(|c| {
                c["title"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("Thread {t} "))
            })
            .count();
        let found = ok(
            &store,
            &format!("x_search_cases/1&q=%22thread%20{t}%22&limit=1&count=1"),
            Value::Null,
        )["total"]
            .as_u64()
            .unwrap() as usize;
        assert_eq!(found, expected, "thread {t}");
    }
}
