//! Sections: get_section, get_sections, add_section, update_section, move_section,
//! delete_section.
//!
//! The tree rules themselves (depth, display order) are the domain's, in [`crate::tree`].

use serde_json::{json, Value};

use super::paging::wrap_all;
use super::projects::effect_if;
use super::{Outcome, Request, Response};
use crate::error::{Error, Result};
use crate::journal::{diff, Action, Change, Effect};
use crate::messages as msg;
use crate::model::{Case, Json, Kind, Section};
use crate::tables;
use crate::tree::{renumber, subtree, suite_sections, tree};
use crate::tx::{Tx, Writer};
use crate::validate;

pub(crate) fn load(tx: &Tx<'_>, field: &str, id: u64) -> Result<Section> {
    tx.get::<Section>(id)?
        .ok_or_else(|| msg::unknown(field, Kind::Section))
}

pub(super) fn get_section(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    Ok(load(tx, "section_id", req.ids[0])?.to_json())
}

pub(super) fn get_sections(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let suite = super::suites::resolve(tx, req.ids[0], req.param_or_body("suite_id").as_ref())?;
    let items = suite_sections(tx, suite.id)?
        .iter()
        .map(Section::to_json)
        .collect();
    wrap_all(req, "sections", items)
}

fn parent_in_suite(tx: &Tx<'_>, v: Option<&Value>, suite_id: u64) -> Result<Option<u64>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        // testrail-api's move_section defaults parent_id to 0: the root.
        Some(v) if v.as_u64() == Some(0) || v.as_str() == Some("0") => Ok(None),
        Some(v) => {
            let id = validate::id_value("parent_id", v)?;
            match tx.get::<Section>(id)? {
                Some(p) if p.suite_id == suite_id => Ok(Some(id)),
                _ => Err(msg::unknown("parent_id", Kind::Section)),
            }
        }
    }
}

pub(super) fn add_section(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let suite = super::suites::resolve(&tx, req.ids[0], req.body.get("suite_id"))?;
    let name = validate::name("name", req.body.get("name"))?;
    let description = validate::opt_text("description", req.body.get("description"))?;
    let parent_id = parent_in_suite(&tx, req.body.get("parent_id"), suite.id)?;
    let mut sections = suite_sections(&tx, suite.id)?;
    let id = w.new_id(Kind::Section)?;
    sections.push(Section {
        id,
        suite_id: suite.id,
        project_id: suite.project_id,
        name,
        description,
        parent_id,
        display_order: -1,
        depth: -1,
        extra: Vec::new(),
    });
    let children = tree(&sections);
    renumber(w, sections, &children)?;
    let section = load(&w.tx(), "section_id", id)?;
    let json = section.to_json();
    Ok(Outcome {
        effects: vec![Effect {
            kind: Kind::Section,
            id,
            action: Action::Create,
            changes: diff(None, Some(&json), &["id", "display_order", "depth"]),
        }],
        response: Response::Json(json).into(),
    })
}

pub(super) fn update_section(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let old = load(&w.tx(), "section_id", req.ids[0])?;
    let mut s = old.clone();
    // Only name and description can be updated; parent_id moves go through move_section.
    if req.body.contains_key("name") {
        s.name = validate::name("name", req.body.get("name"))?;
    }
    if req.body.contains_key("description") {
        s.description = validate::opt_text("description", req.body.get("description"))?;
    }
    let changes = diff(Some(&old.to_json()), Some(&s.to_json()), &[]);
    if !changes.is_empty() {
        w.put_section(&s)?;
    }
    Ok(Outcome {
        response: Response::Json(s.to_json()).into(),
        effects: effect_if(Kind::Section, s.id, Action::Update, changes),
    })
}

pub(super) fn move_section(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let section = load(&tx, "section_id", req.ids[0])?;
    let sections = suite_sections(&tx, section.suite_id)?;
    let mut children = tree(&sections);
    let new_parent = parent_in_suite(&tx, req.body.get("parent_id"), section.suite_id)?;
    if let Some(p) = new_parent {
        if subtree(&children, section.id).contains(&p) {
            return Err(Error::validation(
                "parent_id",
                "Field :parent_id cannot be the section itself or one of its subsections.",
            ));
        }
    }
    let after = match req.body.get("after_id") {
        None | Some(Value::Null) => None,
        Some(v) if v.as_u64() == Some(0) => None,
        Some(v) => {
            let id = validate::id_value("after_id", v)?;
            match sections.iter().find(|s| s.id == id) {
                Some(s) if s.parent_id == new_parent && s.id != section.id => Some(id),
                _ => return Err(msg::unknown("after_id", Kind::Section)),
            }
        }
    };
    for kids in children.values_mut() {
        kids.retain(|k| *k != section.id);
    }
    let siblings = children.entry(new_parent).or_default();
    let at = match after {
        None => 0,
        Some(a) => siblings
            .iter()
            .position(|k| *k == a)
            .map_or(siblings.len(), |i| i + 1),
    };
    siblings.insert(at, section.id);
    let mut moved = sections.clone();
    if let Some(s) = moved.iter_mut().find(|s| s.id == section.id) {
        s.parent_id = new_parent;
    }
    if new_parent != section.parent_id {
        let mut s = section.clone();
        s.parent_id = new_parent;
        w.put_section(&s)?;
    }
    renumber(w, moved, &children)?;
    // The cases below the moved section now have other ancestors: re-index them.
    let tx = w.tx();
    for sid in subtree(&children, section.id) {
        for cid in tx.children(tables::SECTION_CASES, sid)? {
            w.touch_case(cid)?;
        }
    }
    let now = load(&w.tx(), "section_id", section.id)?;
    let mut changes = diff(
        Some(&section.to_json()),
        Some(&now.to_json()),
        &["display_order", "depth"],
    );
    changes.push(Change {
        field: "after_id".into(),
        old: None,
        new: after.map(|a| Json::Int(a as i64)),
    });
    Ok(Outcome {
        response: Response::Json(now.to_json()).into(),
        effects: vec![Effect {
            kind: Kind::Section,
            id: section.id,
            action: Action::Move,
            changes,
        }],
    })
}

/// What a delete would remove, for `soft=1`.
#[derive(Default)]
pub(super) struct Counts {
    pub sections: u64,
    pub cases: u64,
}

impl Counts {
    pub fn to_json(&self) -> Value {
        // Shape [UNCONFIRMED]: TestRail documents soft=1 as returning counts without deleting.
        json!({"sections": self.sections, "cases": self.cases, "tests": 0, "results": 0})
    }
}

pub(super) fn count_suite(tx: &Tx<'_>, suite_id: u64, counts: &mut Counts) -> Result<()> {
    for id in tx.children(tables::SUITE_SECTIONS, suite_id)? {
        counts.sections += 1;
        counts.cases += tx.children(tables::SECTION_CASES, id)?.len() as u64;
    }
    Ok(())
}

pub(super) fn delete_section(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let section = load(&tx, "section_id", req.ids[0])?;
    if req.soft() {
        let sections = suite_sections(&tx, section.suite_id)?;
        let mut counts = Counts::default();
        for id in subtree(&tree(&sections), section.id) {
            counts.sections += 1;
            counts.cases += tx.children(tables::SECTION_CASES, id)?.len() as u64;
        }
        return Ok(Outcome {
            response: Response::Json(counts.to_json()).into(),
            effects: Vec::new(),
        });
    }
    let mut effects = Vec::new();
    delete_subtree(w, section.id, &mut effects, true)?;
    // Close the gap in the numbering.
    let rest = suite_sections(&w.tx(), section.suite_id)?;
    let children = tree(&rest);
    renumber(w, rest, &children)?;
    Ok(Outcome {
        response: Response::Empty.into(),
        effects,
    })
}

/// Deletes a section, its subsections and all their cases. The root's effect carries its values
/// when `top`; the rest are recorded by id.
pub(super) fn delete_subtree(
    w: &mut Writer<'_>,
    root: u64,
    effects: &mut Vec<Effect>,
    top: bool,
) -> Result<()> {
    let tx = w.tx();
    let root_section = load(&tx, "section_id", root)?;
    let sections = suite_sections(&tx, root_section.suite_id)?;
    let ids = subtree(&tree(&sections), root);
    for (i, sid) in ids.iter().enumerate() {
        let Some(section) = sections.iter().find(|s| s.id == *sid) else {
            continue;
        };
        effects.push(Effect {
            kind: Kind::Section,
            id: section.id,
            action: Action::Delete,
            changes: if top && i == 0 {
                diff(Some(&section.to_json()), None, &["id"])
            } else {
                Vec::new()
            },
        });
        for cid in tx.children(tables::SECTION_CASES, section.id)? {
            if let Some(case) = tx.get::<Case>(cid)? {
                effects.push(Effect {
                    kind: Kind::Case,
                    id: cid,
                    action: Action::Delete,
                    changes: Vec::new(),
                });
                w.delete_case(&case)?;
                crate::cascade::case_deleted(w, &case)?;
            }
        }
        w.delete_section(section)?;
    }
    Ok(())
}
