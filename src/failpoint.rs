//! Failpoints: named places where a test can make the process die, to prove that a crash
//! exactly there loses nothing (docs/reliability.md). Armed only by the environment variable
//! `TRAILSTORE_FAILPOINT=<name>`, read once; unarmed, a failpoint is one relaxed atomic load.
//!
//! | name | where |
//! |---|---|
//! | `after-data-commit` | a write committed to redb, before its cases reach the search index |
//! | `before-index-commit` | the index has the documents, before the tantivy commit |
//! | `during-catch-up` | opening the store, half-way through re-indexing changed cases |
//! | `during-rebuild` | rebuilding the index, half-way |
//! | `during-staged-import` | a bulk import has staged half of its first thousand documents; nothing is committed |

use std::sync::OnceLock;

fn armed() -> Option<&'static str> {
    static ARMED: OnceLock<Option<String>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            std::env::var("TRAILSTORE_FAILPOINT")
                .ok()
                .filter(|v| !v.is_empty())
        })
        .as_deref()
}

/// Ends the process abruptly (as a power cut or kill -9 would) if the failpoint is armed.
pub(crate) fn hit(name: &str) {
    if armed() == Some(name) {
        std::process::abort();
    }
}

/// Fails with an I/O error (as a disk that stops answering would) if the failpoint is armed.
pub(crate) fn fail(name: &str) -> crate::error::Result<()> {
    if armed() == Some(name) {
        return Err(std::io::Error::other(format!("failpoint {name}")).into());
    }
    Ok(())
}
