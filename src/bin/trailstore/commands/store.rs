//! Commands on the store itself: create it, load a snapshot, say what it holds, rebuild its
//! index, check its file.

use serde_json::{json, Value};
use trailstore::{Error, Store};

use super::read_data;
use crate::args::{ImportArgs, InitArgs};
use crate::render;

/// `trailstore init`: records the local user and the id mode, then says where the store is.
pub fn init(store: &Store, a: InitArgs, human: bool) -> Result<(), Error> {
    if let Some(u) = a.user_id {
        store.set_user_id(u)?;
    }
    if a.server_ids {
        store.set_server_ids()?;
    }
    if human {
        out!(
            "Store ready at {} (local changes recorded as user {}).",
            store.path().display(),
            store.user_id()?
        );
    } else {
        render::json(&store.stats()?);
    }
    Ok(())
}

/// `trailstore import`: loads a snapshot file (or standard input) as server base state.
pub fn import(store: &Store, a: ImportArgs, human: bool) -> Result<(), Error> {
    let report = if a.file.as_os_str() == "-" {
        let snapshot: Value =
            serde_json::from_str(&read_data("@-")?).map_err(|e| Error::BadRequest {
                message: format!("The standard input is not valid JSON: {e}"),
            })?;
        store.import_snapshot(&snapshot)?
    } else {
        store.import_snapshot_file(&a.file)?
    };
    if human {
        let parts: Vec<String> = report
            .counts
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        out!("Imported {}.", parts.join(", "));
    } else {
        render::json(&report.to_json());
    }
    Ok(())
}

/// `trailstore status`: the store's counts and versions.
pub fn status(store: &Store, human: bool) -> Result<(), Error> {
    let stats = store.stats()?;
    if human {
        for (k, v) in stats.as_object().into_iter().flatten() {
            out!("{k:<16} {v}");
        }
    } else {
        render::json(&stats);
    }
    Ok(())
}

/// `trailstore reindex`: rebuilds the search index from the data.
pub fn reindex(store: &Store, human: bool) -> Result<(), Error> {
    let action = store.reindex()?;
    if human {
        out!("{action}.");
    } else {
        render::json(&json!({"reindexed": true, "message": action.to_string()}));
    }
    Ok(())
}

/// `trailstore check`: verifies every page of the data file; it needs the only handle.
pub fn check(store: Store, human: bool) -> Result<(), Error> {
    let path = store.path().to_path_buf();
    // True when every page passed; false when redb found damage and repaired it.
    let intact = store.check_integrity()?;
    if human {
        out!(
            "{}: every page checked; {}",
            path.display(),
            if intact {
                "no damage found."
            } else {
                "damage was found and repaired."
            }
        );
    } else {
        render::json(&json!({"ok": intact}));
    }
    Ok(())
}
