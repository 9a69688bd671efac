//! Splitting a journal entry whose results did not all reach the server: an entry of a bulk add
//! records fifty results, and the server may refuse one of them (or the run it goes to may be
//! closed). The results on the server stay in the entry, marked done; the others move to entries
//! of their own, appended to the journal in the state they ended in (rejected, with the server's
//! message, or held), so that each result's fate is recorded and nothing is sent twice.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::error::Result;
use crate::journal::{Effect, JournalEntry, PushState};
use crate::model::{Json, Kind};
use crate::tx::Writer;

/// The entry of an add as `add_results_for_cases` takes it, from a result's effect.
fn result_body(e: &Effect) -> Value {
    let mut m = Map::new();
    for c in &e.changes {
        if matches!(c.field.as_str(), "test_id" | "run_id") {
            continue;
        }
        if let Some(v) = &c.new {
            m.insert(c.field.clone(), v.to_value());
        }
    }
    Value::Object(m)
}

/// Splits `entry` by what happened to its results (`moved`: the results that did not reach the
/// server, with the state each ended in; the rest are `done`). Whether the entry itself is done.
pub(super) fn split_entry(
    w: &mut Writer<'_>,
    mut entry: JournalEntry,
    moved: &HashMap<u64, PushState>,
    done: &PushState,
) -> Result<bool> {
    let is_moved = |e: &Effect| e.kind == Kind::Result && moved.contains_key(&e.id);
    if !entry.effects.iter().any(is_moved) {
        entry.state = done.clone();
        w.update_journal(&entry)?;
        return Ok(true);
    }
    // The moved results, grouped by the state they ended in, in the entry's order.
    let mut groups: Vec<(PushState, Vec<Effect>)> = Vec::new();
    let mut kept = Vec::new();
    for e in std::mem::take(&mut entry.effects) {
        match moved.get(&e.id).filter(|_| e.kind == Kind::Result) {
            Some(state) => match groups.iter_mut().find(|(s, _)| s == state) {
                Some((_, list)) => list.push(e),
                None => groups.push((state.clone(), vec![e])),
            },
            None => kept.push(e),
        }
    }
    let keeps_done = !kept.is_empty();
    let mut groups = groups.into_iter();
    if keeps_done {
        entry.effects = kept;
        entry.state = done.clone();
    } else if let Some((state, effects)) = groups.next() {
        entry.effects = effects;
        entry.state = state;
    }
    w.update_journal(&entry)?;
    for (state, effects) in groups {
        let results: Vec<Value> = effects.iter().map(result_body).collect();
        let mut split = JournalEntry {
            seq: 0,
            op_id: format!("{}-{}", entry.op_id, effects.first().map_or(0, |e| e.id)),
            route: entry.route.clone(),
            body: Json::from(&json!({ "results": results })),
            time: entry.time,
            user_id: entry.user_id,
            effects,
            state,
        };
        w.append_journal(&mut split)?;
    }
    Ok(keeps_done)
}
