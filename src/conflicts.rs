//! Conflicts: the same field changed locally and on the server to different values.
//!
//! A conflict keeps all three values (the base both sides started from, the local one and the
//! server's) and never resolves itself: the local value stays in the store until a person picks
//! one (`keep local`, `keep server`, or a new value). Pull records conflicts while merging; push
//! records them before it would overwrite the server. The record itself, [`Conflict`], is a
//! model type; this module holds the rules.

use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::journal::PushState;
use crate::model::{Case, Json, Kind, Section};
pub use crate::model::{Conflict, DELETED};
use crate::tx::Writer;

/// Whether two values are the same once what TestRail rewrites on save is set aside: line
/// endings, surrounding whitespace, and a `<p>…</p>` wrapping of text.
pub fn same(a: Option<&Json>, b: Option<&Json>) -> bool {
    fn norm(v: Option<&Json>) -> Option<Json> {
        match v {
            None | Some(Json::Null) => None,
            Some(Json::Str(s)) => {
                let t = s.replace("\r\n", "\n");
                let t = t.trim();
                let t = t
                    .strip_prefix("<p>")
                    .and_then(|x| x.strip_suffix("</p>"))
                    .unwrap_or(t)
                    .trim();
                if t.is_empty() {
                    None
                } else {
                    Some(Json::Str(t.to_string()))
                }
            }
            Some(Json::List(items)) if items.is_empty() => None,
            Some(Json::List(items)) => Some(Json::List(
                items
                    .iter()
                    .map(|i| norm(Some(i)).unwrap_or(Json::Null))
                    .collect(),
            )),
            Some(Json::Map(entries)) => Some(Json::Map(
                entries
                    .iter()
                    .filter_map(|(k, v)| norm(Some(v)).map(|v| (k.clone(), v)))
                    .collect(),
            )),
            Some(other) => Some(other.clone()),
        }
    }
    norm(a) == norm(b)
}

/// How a person settles a conflict.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    /// Keep the local value: the server's value becomes the base, so push sends ours.
    Local,
    /// Take the server's value: the local change of that field is dropped.
    Server,
}

/// Settles a conflict (see [`Resolution`]); a new value is an ordinary local edit followed by
/// `Local`. For a `deleted` conflict, `Server` accepts the deletion (the local copy and its
/// pending changes go) and `Local` is refused.
pub(crate) fn resolve(w: &mut Writer<'_>, key: &str, how: Resolution) -> Result<Value> {
    let tx = w.tx();
    let c = tx.conflict(key)?.ok_or_else(|| {
        Error::not_found(
            "key",
            format!("Field :key is not a valid conflict ({key})."),
        )
    })?;
    let alias = tx.local_alias(c.kind, c.id)?;
    let is_ours = |kind: Kind, id: u64| kind == c.kind && (id == c.id || Some(id) == alias);
    let mut entries = Vec::new();
    tx.for_each_journal_entry(0, |e| {
        if !matches!(e.state, PushState::Done { .. } | PushState::Rejected { .. })
            && e.effects.iter().any(|f| is_ours(f.kind, f.id))
        {
            entries.push(e);
        }
        Ok(true)
    })?;
    if c.field == DELETED {
        if how == Resolution::Local {
            return Err(Error::validation(
                "resolution",
                "The server deleted this entity: keep the server's deletion, or add it again as a new case.",
            ));
        }
        match c.kind {
            Kind::Case => {
                if let Some(case) = tx.get::<Case>(c.id)? {
                    w.delete_case(&case)?;
                    crate::cascade::case_deleted(w, &case)?;
                }
            }
            Kind::Section => {
                if let Some(s) = tx.get::<Section>(c.id)? {
                    w.delete_section(&s)?;
                }
            }
            _ => {}
        }
        for mut e in entries {
            e.effects.retain(|f| !is_ours(f.kind, f.id));
            if e.effects.is_empty() {
                e.state = PushState::Done {
                    server_id: None,
                    server_updated_on: None,
                };
            }
            w.update_journal(&e)?;
        }
    } else {
        if how == Resolution::Server {
            set_field(w, c.kind, c.id, &c.field, c.server.clone())?;
        }
        for mut e in entries {
            for f in e.effects.iter_mut().filter(|f| is_ours(f.kind, f.id)) {
                match how {
                    Resolution::Local => {
                        for ch in f.changes.iter_mut().filter(|ch| ch.field == c.field) {
                            ch.old = c.server.clone();
                        }
                    }
                    Resolution::Server => f.changes.retain(|ch| ch.field != c.field),
                }
            }
            e.effects
                .retain(|f| !f.changes.is_empty() || f.action != crate::journal::Action::Update);
            if e.effects.is_empty() {
                e.state = PushState::Done {
                    server_id: None,
                    server_updated_on: None,
                };
            }
            w.update_journal(&e)?;
        }
    }
    w.remove_conflict(key)?;
    // Entries no longer held by any conflict of their entity go back to pending.
    let remaining: Vec<Conflict> = w.tx().conflicts()?;
    let mut reopened = 0;
    let mut entries = Vec::new();
    w.tx().for_each_journal_entry(0, |e| {
        if matches!(e.state, PushState::Conflict { .. }) {
            entries.push(e);
        }
        Ok(true)
    })?;
    for mut e in entries {
        let held = e.effects.iter().any(|f| {
            remaining
                .iter()
                .any(|r| r.kind == f.kind && (r.id == f.id || Some(r.id) == alias && f.id == c.id))
        });
        if !held {
            e.state = PushState::Pending;
            w.update_journal(&e)?;
            reopened += 1;
        }
    }
    Ok(json!({"resolved": key, "entries_reopened": reopened}))
}

/// Sets one field of a stored case or section to a value, as the server has it.
fn set_field(
    w: &mut Writer<'_>,
    kind: Kind,
    id: u64,
    field: &str,
    value: Option<Json>,
) -> Result<()> {
    let v = value.map_or(Value::Null, |j| j.to_value());
    match kind {
        Kind::Case => {
            if let Some(old) = w.tx().get::<Case>(id)? {
                let mut j = old.to_json(&[]);
                j[field] = v;
                let mut c = Case::from_json(&j)?;
                c.project_id = old.project_id;
                w.put_case(&c, Some(&old))?;
            }
        }
        Kind::Section => {
            if let Some(old) = w.tx().get::<Section>(id)? {
                let mut j = old.to_json();
                j[field] = v;
                let mut s = Section::from_json(&j)?;
                s.project_id = old.project_id;
                w.put_section(&s)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalised_comparison() {
        let s = |t: &str| Some(Json::Str(t.into()));
        assert!(same(
            s("<p>Open the order</p>").as_ref(),
            s("Open the order\n").as_ref()
        ));
        assert!(same(s("a\r\nb").as_ref(), s("a\nb").as_ref()));
        assert!(same(s("").as_ref(), None));
        assert!(same(Some(&Json::List(vec![])), Some(&Json::Null)));
        assert!(!same(s("a").as_ref(), s("b").as_ref()));
        assert!(!same(Some(&Json::Int(1)), Some(&Json::Int(2))));
        let step = |c: &str, extra: bool| {
            let mut e = vec![("content".to_string(), Json::Str(c.into()))];
            if extra {
                e.push(("refs".into(), Json::Str(String::new())));
            }
            Some(Json::List(vec![Json::Map(e)]))
        };
        assert!(same(
            step("<p>x</p>", true).as_ref(),
            step("x", false).as_ref()
        ));
    }
}
