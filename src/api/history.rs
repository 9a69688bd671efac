//! get_history_for_case (served from the journal) and x_get_journal.
//!
//! History entries: `type_id` 1 for the creation of the case, 6 for an update, 7 for a move
//! (TestRail documents only 6 = update; the others are [UNCONFIRMED] and kept here). Newest first.
//! Change `type_id`s follow the field's type (1 string, 2 int, 3 bool, 4 date, 5 timespan, 6 text,
//! 7 URL, 8 steps).

use serde_json::{json, Map, Value};

use super::paging::{wrap, Page};
use super::Ctx;
use super::Request;
use crate::error::Result;
use crate::journal::{Action, Change};
use crate::model::{CaseField, FieldType, Json, Kind};
use crate::tables;
use crate::tx::Tx;

fn entry_type(action: Action) -> i64 {
    match action {
        Action::Create => 1,
        Action::Update => 6,
        Action::Move => 7,
        Action::Delete => 8,
    }
}

fn change_json(fields: &[CaseField], c: &Change) -> Value {
    let old = c.old.as_ref().map_or(Value::Null, Json::to_value);
    let new = c.new.as_ref().map_or(Value::Null, Json::to_value);
    let mut m = Map::new();
    if let Some(f) = fields.iter().find(|f| f.system_name == c.field) {
        let t = f.field_type();
        m.insert("type_id".into(), t.history_change_type().into());
        m.insert("field".into(), c.field.clone().into());
        m.insert("label".into(), f.label.clone().into());
        if let Some(cfg) = f.configs.first() {
            m.insert(
                "options".into(),
                Value::Object(
                    cfg.options
                        .iter()
                        .map(|(k, v)| (k.clone(), v.to_value()))
                        .collect(),
                ),
            );
        }
        if t == FieldType::Text {
            m.insert("old_text".into(), old.clone());
            m.insert("new_text".into(), new.clone());
        }
    } else {
        let type_id = match c.field.as_str() {
            "estimate" => 5,
            "refs" | "title" => 1,
            _ => 2,
        };
        m.insert("type_id".into(), type_id.into());
        m.insert("field".into(), c.field.clone().into());
    }
    m.insert("old_value".into(), old);
    m.insert("new_value".into(), new);
    Value::Object(m)
}

pub(super) fn get_history_for_case(cx: &Ctx<'_>, tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let case_id = req.ids[0];
    let mut seqs = tx.children(tables::CASE_HISTORY, case_id)?;
    // A case created here and pushed keeps its history under the local id it had.
    let alias = tx.local_alias(Kind::Case, case_id)?;
    if let Some(local) = alias {
        seqs.extend(tx.children(tables::CASE_HISTORY, local)?);
        seqs.sort_unstable();
    }
    if seqs.is_empty() && !tx.exists::<crate::model::Case>(case_id)? {
        return Err(crate::messages::unknown("case_id", Kind::Case));
    }
    seqs.reverse();
    let fields = super::fields_of(cx, tx)?;
    let page = Page::from_request(req)?;
    let mut items = Vec::new();
    for (i, seq) in seqs.iter().enumerate() {
        if !page.wants(i as u64) {
            continue;
        }
        let Some(entry) = tx.journal_entry(*seq)? else {
            continue;
        };
        for e in entry
            .effects
            .iter()
            .filter(|e| e.kind == Kind::Case && (e.id == case_id || Some(e.id) == alias))
        {
            let changes: Vec<Value> = e.changes.iter().map(|c| change_json(&fields, c)).collect();
            items.push(json!({
                "id": entry.seq,
                "type_id": entry_type(e.action),
                "created_on": entry.time,
                "user_id": entry.user_id,
                "changes": changes,
            }));
        }
    }
    let has_more = seqs.len() as u64 > page.offset.saturating_add(page.limit);
    Ok(wrap(req, page, "history", items, has_more))
}

/// `x_get_journal&since=SEQ&state=pending`: journal entries after a sequence number, oldest
/// first, paged under `journal`. Not a TestRail method.
pub(super) fn get_journal(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let since = match req.param("since") {
        None | Some("") => 0,
        Some(s) => s
            .trim()
            .parse::<u64>()
            .map_err(|_| crate::messages::not_natural("since"))?,
    };
    let state = req.param("state").filter(|s| !s.is_empty());
    let page = Page::from_request(req)?;
    let mut items = Vec::new();
    let mut index = 0u64;
    let mut has_more = false;
    // Reads only up to the end of the page, so paging through a long journal stays linear.
    tx.for_each_journal_entry(since, |e| {
        if state.is_some_and(|s| e.state.name() != s) {
            return Ok(true);
        }
        if page.past(index) {
            has_more = true;
            return Ok(false);
        }
        if page.wants(index) {
            items.push(e.to_json());
        }
        index += 1;
        Ok(true)
    })?;
    Ok(wrap(req, page, "journal", items, has_more))
}
