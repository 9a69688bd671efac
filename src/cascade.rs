//! What goes with an entity when it is deleted, beyond its own table: the rules of TestRail's
//! deletes that reach other kinds, in one place.

use crate::error::Result;
use crate::model::{AttachedTo, Case};
use crate::tx::Writer;

/// A case was deleted (by a route, by its section or suite going, or by the server): its tests
/// leave the open runs (see [`crate::runs`]) and its attachments go. Not for a case renamed to
/// its server id, which keeps both.
pub(crate) fn case_deleted(w: &mut Writer<'_>, case: &Case) -> Result<()> {
    crate::runs::case_removed(w, case.id, case.suite_id)?;
    w.delete_attachments_of(AttachedTo::Case, case.id)
}
