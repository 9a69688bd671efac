//! Failpoints: named places where a test can make the process die, to prove that a crash
//! exactly there loses nothing (docs/reliability.md). Compiled in only with the `testing` feature
//! (the test command's); in every other build [`hit`] is an empty function, so no environment can
//! make a product abort. With the feature, a failpoint is armed by the environment variable
//! `TRAILSTORE_FAILPOINT=<name>`, read once; unarmed, it is one load of a `OnceLock`.
//!
//! | name | where |
//! |---|---|
//! | `after-data-commit` | a write committed to redb, before its cases reach the search index |
//! | `before-index-commit` | the index has the documents, before the tantivy commit |
//! | `during-catch-up` | opening the store, half-way through re-indexing changed cases |
//! | `during-rebuild` | rebuilding the index, half-way |
//! | `during-staged-import` | a bulk import has staged half of its first thousand documents; nothing is committed |
//! | `after-data-commit-read` | ([`fail`]: an error, not an abort) reading back what a durable commit changed |
//! | `staged-import-data-commit` | ([`fail`]) the data commit of a batch whose documents a bulk import staged, while the index writes them |

/// Ends the process abruptly (as a power cut or kill -9 would) if the failpoint is armed.
#[cfg(feature = "testing")]
pub(crate) fn hit(name: &str) {
    if armed() == Some(name) {
        std::process::abort();
    }
}

/// Does nothing: this build has no failpoints (see the module docs).
#[cfg(not(feature = "testing"))]
#[inline(always)]
pub(crate) fn hit(_name: &str) {}

#[cfg(feature = "testing")]
fn armed() -> Option<&'static str> {
    static ARMED: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    ARMED
        .get_or_init(|| {
            std::env::var("TRAILSTORE_FAILPOINT")
                .ok()
                .filter(|v| !v.is_empty())
        })
        .as_deref()
}

/// Fails with an I/O error (as a disk that stops answering would) if the failpoint is armed.
#[cfg(feature = "testing")]
pub(crate) fn fail(name: &str) -> crate::error::Result<()> {
    if armed() == Some(name) {
        return Err(std::io::Error::other(format!("failpoint {name}")).into());
    }
    Ok(())
}

/// Never fails: this build has no failpoints.
#[cfg(not(feature = "testing"))]
#[inline(always)]
pub(crate) fn fail(_name: &str) -> crate::error::Result<()> {
    Ok(())
}
