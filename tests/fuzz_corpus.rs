//! Replays the fuzz corpus (fuzz/corpus) through the fuzz targets' bodies, plus deterministic
//! mutations of every seed (each truncation, single-byte flips, splices), on the stable
//! toolchain: the same code libFuzzer runs (fuzz/run.sh), so a crash found there stays fixed.

use std::path::Path;

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds for {target}");
    out
}

/// Every prefix, a flip of each byte (bounded), and every seed spliced onto the next.
fn mutations(seeds: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (i, s) in seeds.iter().enumerate() {
        out.push(s.clone());
        for cut in 0..s.len() {
            out.push(s[..cut].to_vec());
        }
        for at in (0..s.len()).step_by(1 + s.len() / 64) {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut m = s.clone();
                m[at] ^= flip;
                out.push(m);
            }
        }
        let next = &seeds[(i + 1) % seeds.len()];
        let mut spliced = s[..s.len() / 2].to_vec();
        spliced.extend_from_slice(&next[next.len() / 2..]);
        out.push(spliced);
    }
    out
}

#[test]
fn route_parser_takes_any_input() {
    for input in mutations(&seeds("route")) {
        trailstore::fuzzing::route(&input);
    }
}

#[test]
fn record_decoding_takes_any_input() {
    let mut all = seeds("decode");
    all.extend(trailstore::fuzzing::decode_seeds());
    for input in mutations(&all) {
        trailstore::fuzzing::decode(&input);
    }
}

#[test]
fn requests_through_validation_take_any_input() {
    let dir = tempfile::tempdir().unwrap();
    let store = trailstore::Store::open(dir.path().join("s")).unwrap();
    let sample: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sample_snapshot.json"),
        )
        .unwrap(),
    )
    .unwrap();
    store.import_snapshot(&sample).unwrap();
    let version = store.data_version().unwrap();
    for input in mutations(&seeds("request")) {
        trailstore::fuzzing::request_with(&store, &input);
    }
    assert_eq!(
        store.data_version().unwrap(),
        version,
        "every call was rolled back"
    );
}
