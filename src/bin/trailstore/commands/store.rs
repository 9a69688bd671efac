//! Commands on the store itself: create it, load a snapshot, say what it holds, rebuild its
//! index, check its file.

use serde_json::{json, Value};
use trailstore::{Error, LocalUser, ReferenceData, Store};

use super::read_data;
use crate::args::{ImportArgs, InitArgs};
use crate::render;

/// `trailstore init`: writes a fresh TestRail's reference data (unless `--empty`, or the store
/// has reference data already), records the local user and the id mode, then says where the
/// store is.
pub fn init(store: &Store, a: InitArgs, human: bool) -> Result<(), Error> {
    let installed = if a.empty {
        false
    } else {
        store.install_defaults(&LocalUser {
            id: a.user_id.unwrap_or(1),
            name: a.user_name,
            email: a.user_email,
        })?
    };
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
        match store.reference_data()? {
            _ if installed => out!(
                "It has a fresh TestRail's priorities, case types, templates, case fields and statuses; a pull or an import replaces them with your server's."
            ),
            ReferenceData::None => out!(
                "It has no reference data: import a snapshot or pull before adding cases."
            ),
            _ => {}
        }
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
    let note = reference_note(&store)?;
    let reference = store.reference_data()?.name();
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
        if let Some(n) = note {
            out!("{n}");
        }
    } else {
        render::json(&json!({"ok": intact, "reference_data": reference}));
    }
    Ok(())
}

/// What `check` adds about reference data: a store without any cannot take valid cases.
fn reference_note(store: &Store) -> Result<Option<&'static str>, Error> {
    Ok(match store.reference_data()? {
        ReferenceData::None => Some(
            "The store has no reference data (priorities, case types, templates, case fields, statuses, users): new cases get no template, type or priority, and a server refuses them. Run `trailstore init` on it, import a snapshot, or pull.",
        ),
        _ => None,
    })
}
