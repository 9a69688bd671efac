//! `trailstore bundle`: carry work across an air gap in one file.

use std::path::Path;

use serde_json::json;
use trailstore::{Error, Store};

use crate::render;

/// `trailstore bundle export FILE [--snapshot]`: the pending journal, or the server data.
pub fn export(store: &Store, file: &Path, snapshot: bool, human: bool) -> Result<(), Error> {
    let n = if snapshot {
        store.export_snapshot_bundle(file)?
    } else {
        store.export_changes_bundle(file)?
    };
    if human {
        out!(
            "Wrote {} with {n} {}.",
            file.display(),
            if snapshot { "cases" } else { "journal entries" }
        );
    } else {
        render::json(&json!({"file": file.display().to_string(), "count": n}));
    }
    Ok(())
}

/// `trailstore bundle import FILE`: verified first; a bundle imported before changes nothing.
pub fn import(store: &Store, file: &Path, human: bool) -> Result<(), Error> {
    let r = store.import_bundle(file)?;
    if !human {
        render::json(&r.to_json());
    } else if r.imported {
        out!(
            "Imported the {} bundle {} ({} entries).",
            r.kind,
            r.bundle_id,
            r.entries
        );
    } else {
        out!(
            "The bundle {} was imported before; nothing changed.",
            r.bundle_id
        );
    }
    Ok(())
}
