//! The section tree of a suite, a domain rule shared by the routes, bundle import and pull.
//!
//! The tree is kept in `parent_id`, `depth` and `display_order`, where display_order is the
//! 1-based position in a depth-first pre-order walk of the whole suite (TestRail's list example;
//! whether TestRail keeps it contiguous is not confirmed). Every change to the tree renumbers the
//! suite.

use std::collections::BTreeMap;

use crate::error::Result;
use crate::messages as msg;
use crate::model::{Kind, Section};
use crate::tables;
use crate::tx::{Tx, Writer};

/// Every section of a suite in display order.
pub(crate) fn suite_sections(tx: &Tx<'_>, suite_id: u64) -> Result<Vec<Section>> {
    let mut out = Vec::new();
    for id in tx.children(tables::SUITE_SECTIONS, suite_id)? {
        out.push(
            tx.get::<Section>(id)?
                .ok_or_else(|| msg::unknown("section_id", Kind::Section))?,
        );
    }
    out.sort_by_key(|s| (s.display_order, s.id));
    Ok(out)
}

/// Children of each parent (None = root), in display order.
pub(crate) fn tree(sections: &[Section]) -> BTreeMap<Option<u64>, Vec<u64>> {
    let ids: std::collections::HashSet<u64> = sections.iter().map(|s| s.id).collect();
    let mut children: BTreeMap<Option<u64>, Vec<u64>> = BTreeMap::new();
    for s in sections {
        // A parent that is not in the suite makes the section a root rather than lost.
        let parent = s.parent_id.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(s.id);
    }
    children
}

/// The ids of a section and all its descendants, pre-order.
pub(crate) fn subtree(children: &BTreeMap<Option<u64>, Vec<u64>>, root: u64) -> Vec<u64> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        out.push(id);
        if let Some(kids) = children.get(&Some(id)) {
            stack.extend(kids.iter().rev());
        }
    }
    out
}

/// Rewrites display_order and depth of a suite's sections from a tree, writing only those that
/// changed.
pub(crate) fn renumber(
    w: &mut Writer<'_>,
    sections: Vec<Section>,
    children: &BTreeMap<Option<u64>, Vec<u64>>,
) -> Result<()> {
    let mut by_id: BTreeMap<u64, Section> = sections.into_iter().map(|s| (s.id, s)).collect();
    let mut order = 0i64;
    let mut stack: Vec<(u64, i64)> = children
        .get(&None)
        .map(|r| r.iter().rev().map(|id| (*id, 0)).collect())
        .unwrap_or_default();
    while let Some((id, depth)) = stack.pop() {
        order += 1;
        if let Some(s) = by_id.get_mut(&id) {
            if s.display_order != order || s.depth != depth {
                s.display_order = order;
                s.depth = depth;
                w.put_section(s)?;
            }
        }
        if let Some(kids) = children.get(&Some(id)) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    Ok(())
}

/// Renumbers a suite's tree after its sections changed by other means (a bundle import).
pub(crate) fn renumber_suite(w: &mut Writer<'_>, suite_id: u64) -> Result<()> {
    let sections = suite_sections(&w.tx(), suite_id)?;
    let children = tree(&sections);
    renumber(w, sections, &children)
}
