//! The bodies of the fuzz targets (`fuzz/`), shared with the corpus replay in the test suite so
//! that both run exactly the same code. Each takes arbitrary bytes and must return without
//! panicking, whatever they are. Not part of the API: compiled only with the `testing` feature.

use std::sync::OnceLock;

use crate::codec;
use crate::journal::JournalEntry;
use crate::model::{Case, CaseField, Section};
use crate::Store;

/// The sample snapshot (tests/data), embedded once for the request target's store and the seeds.
const SAMPLE_SNAPSHOT: &str = include_str!("../tests/data/sample_snapshot.json");

/// The route parser: any text as a route with query parameters.
pub fn route(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::api::Request::parse(text, None);
    }
}

/// Record decoding: any bytes as every stored record type.
pub fn decode(data: &[u8]) {
    let _ = codec::decode::<Case>(data, "case");
    let _ = codec::decode::<Section>(data, "section");
    let _ = codec::decode::<CaseField>(data, "case field");
    let _ = codec::decode::<JournalEntry>(data, "journal");
    let _ = codec::CaseSummary::decode(data);
}

/// A store with the sample snapshot, shared by the request target; calls run inside a batch
/// that is rolled back, so inputs do not accumulate.
fn store() -> &'static Store {
    static STORE: OnceLock<(tempfile_dir::Dir, Store)> = OnceLock::new();
    &STORE
        .get_or_init(|| {
            let dir = tempfile_dir::Dir::new();
            let store = Store::open(dir.path()).expect("fuzz store");
            let sample: serde_json::Value =
                serde_json::from_str(SAMPLE_SNAPSHOT).expect("sample snapshot");
            store.import_snapshot(&sample).expect("sample import");
            (dir, store)
        })
        .1
}

/// A request through the dispatcher and validation: `route\nbody` (body: any text), on a shared
/// store with the sample snapshot.
pub fn request(data: &[u8]) {
    request_with(store(), data)
}

/// [`request`] on a given store.
pub fn request_with(store: &Store, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (route, body) = text.split_once('\n').unwrap_or((text, ""));
    let Ok(body) = crate::api::parse_body(body) else {
        return;
    };
    let Ok(mut batch) = store.batch() else {
        return;
    };
    let _ = batch.call(route, body.as_ref());
    let _ = batch.rollback();
}

/// Encoded sample records, seeds for the decode target.
pub fn decode_seeds() -> Vec<Vec<u8>> {
    let sample: serde_json::Value = serde_json::from_str(SAMPLE_SNAPSHOT).unwrap_or_default();
    let mut out = Vec::new();
    for c in sample["cases"].as_array().into_iter().flatten().take(5) {
        if let Ok(case) = Case::from_json(c) {
            out.extend(codec::encode(&case).ok());
        }
    }
    for f in sample["case_fields"]
        .as_array()
        .into_iter()
        .flatten()
        .take(5)
    {
        if let Ok(field) = CaseField::from_json(f) {
            out.extend(codec::encode(&field).ok());
        }
    }
    out
}

/// A temporary folder that removes itself, without a dependency on tempfile in the library.
mod tempfile_dir {
    use std::path::{Path, PathBuf};

    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new() -> Dir {
            let mut p = std::env::temp_dir();
            p.push(format!(
                "trailstore-fuzz-{}-{}",
                std::process::id(),
                crate::journal::new_op_id()
            ));
            Dir(p)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
