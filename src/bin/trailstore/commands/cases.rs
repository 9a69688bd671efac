//! `trailstore cases`: list, show, add, edit and delete cases.

use serde_json::{json, Map};
use trailstore::{Error, Store};

use super::{body_from, query};
use crate::args::{FieldArgs, ListArgs};
use crate::render;

/// `trailstore cases list`: one page of a project's cases, filtered as `get_cases` filters.
pub fn list(store: &Store, a: ListArgs, human: bool) -> Result<(), Error> {
    let params = query(json!({
        "limit": a.limit,
        "offset": a.offset,
        "suite_id": a.suite,
        "section_id": a.section,
        "filter": a.filter,
        "priority_id": a.priority,
        "type_id": a.type_id,
    }));
    let page = store
        .call_with(&format!("get_cases/{}", a.project), &params, None)?
        .into_value();
    if human {
        render::case_table(&page, a.offset + a.limit);
    } else {
        render::json(&page);
    }
    Ok(())
}

/// `trailstore cases show ID`.
pub fn show(store: &Store, id: u64, human: bool) -> Result<(), Error> {
    let c = store.call(&format!("get_case/{id}"), None)?.into_value();
    if human {
        render::case(&c);
    } else {
        render::json(&c);
    }
    Ok(())
}

/// `trailstore cases add`: a case in a section, from `--title` and the given fields.
pub fn add(
    store: &Store,
    section: u64,
    title: String,
    fields: FieldArgs,
    human: bool,
) -> Result<(), Error> {
    let mut base = Map::new();
    base.insert("title".into(), json!(title));
    let body = body_from(&fields, base)?;
    let c = store
        .call(&format!("add_case/{section}"), Some(&body))?
        .into_value();
    if human {
        out!("Added C{}.", c["id"]);
        render::case(&c);
    } else {
        render::json(&c);
    }
    Ok(())
}

/// `trailstore cases edit ID`: changes only the fields given.
pub fn edit(
    store: &Store,
    id: u64,
    title: Option<String>,
    fields: FieldArgs,
    human: bool,
) -> Result<(), Error> {
    let mut base = Map::new();
    if let Some(t) = title {
        base.insert("title".into(), json!(t));
    }
    let body = body_from(&fields, base)?;
    let c = store
        .call(&format!("update_case/{id}"), Some(&body))?
        .into_value();
    if human {
        out!("Updated C{}.", c["id"]);
        render::case(&c);
    } else {
        render::json(&c);
    }
    Ok(())
}

/// `trailstore cases delete ID`.
pub fn delete(store: &Store, id: u64, human: bool) -> Result<(), Error> {
    store.call(&format!("delete_case/{id}"), None)?;
    if human {
        out!("Deleted C{id}.");
    }
    Ok(())
}
