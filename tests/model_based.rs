//! A model-based property test: random sequences of operations (adds, updates, moves, deletes,
//! section trees, batches that roll back, reopens) run against a real store and against an
//! in-memory model; after every step they must agree, and the journal must hold exactly one
//! entry per change.

mod common;

use std::collections::BTreeMap;

use common::*;
use proptest::prelude::*;
use serde_json::{json, Value};
use trailstore::Store;

#[derive(Debug, Clone)]
enum Op {
    AddCase {
        section: u8,
        title: u8,
        priority: u8,
    },
    UpdateCase {
        case: u8,
        title: Option<u8>,
        priority: Option<u8>,
    },
    MoveCase {
        case: u8,
        section: u8,
    },
    DeleteCase {
        case: u8,
    },
    AddSection {
        parent: Option<u8>,
    },
    DeleteSection {
        section: u8,
    },
    /// A batch of two adds then a bad call, rolled back.
    RolledBackBatch {
        section: u8,
    },
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<u8>(), any::<u8>(), 0u8..6).prop_map(|(section, title, priority)| Op::AddCase { section, title, priority }),
        3 => (any::<u8>(), proptest::option::of(any::<u8>()), proptest::option::of(0u8..6)).prop_map(|(case, title, priority)| Op::UpdateCase { case, title, priority }),
        2 => (any::<u8>(), any::<u8>()).prop_map(|(case, section)| Op::MoveCase { case, section }),
        2 => any::<u8>().prop_map(|case| Op::DeleteCase { case }),
        2 => proptest::option::of(any::<u8>()).prop_map(|parent| Op::AddSection { parent }),
        1 => any::<u8>().prop_map(|section| Op::DeleteSection { section }),
        1 => any::<u8>().prop_map(|section| Op::RolledBackBatch { section }),
        1 => Just(Op::Reopen),
    ]
}

#[derive(Debug, Clone, PartialEq)]
struct ModelCase {
    section: u64,
    title: String,
    priority: u64,
}

#[derive(Default)]
struct Model {
    sections: BTreeMap<u64, Option<u64>>,
    cases: BTreeMap<u64, ModelCase>,
    journal: usize,
}

impl Model {
    /// Picks an existing id by selector, or (for selectors past the end) one that does not exist.
    fn pick(ids: Vec<u64>, sel: u8) -> u64 {
        if ids.is_empty() || usize::from(sel) % (ids.len() + 1) == ids.len() {
            return 999_999;
        }
        ids[usize::from(sel) % (ids.len() + 1)]
    }
    fn section(&self, sel: u8) -> u64 {
        Self::pick(self.sections.keys().copied().collect(), sel)
    }
    fn case(&self, sel: u8) -> u64 {
        Self::pick(self.cases.keys().copied().collect(), sel)
    }
    fn subtree(&self, root: u64) -> Vec<u64> {
        let mut out = vec![root];
        let mut i = 0;
        while i < out.len() {
            let p = out[i];
            out.extend(
                self.sections
                    .iter()
                    .filter(|(_, parent)| **parent == Some(p))
                    .map(|(id, _)| *id),
            );
            i += 1;
        }
        out
    }
}

fn base() -> Value {
    json!({
        "projects": [{"id": 1, "name": "P", "suite_mode": 1}],
        "suites": [{"id": 1, "name": "Master", "project_id": 1, "is_master": true}],
        "sections": [{"id": 1, "suite_id": 1, "name": "Root", "display_order": 1, "depth": 0}],
        "case_types": [{"id": 1, "name": "Other", "is_default": true}],
        "priorities": (1..=4).map(|i| json!({"id": i, "name": format!("P{i}"), "is_default": i == 2})).collect::<Vec<_>>(),
        "templates": [{"id": 1, "name": "Text", "is_default": true}],
    })
}

fn check(store: &Store, model: &Model) {
    let cases = all_pages(store, "get_cases/1", "cases");
    let got: BTreeMap<u64, ModelCase> = cases
        .iter()
        .map(|c| {
            (
                c["id"].as_u64().unwrap(),
                ModelCase {
                    section: c["section_id"].as_u64().unwrap(),
                    title: c["title"].as_str().unwrap().to_string(),
                    priority: c["priority_id"].as_u64().unwrap(),
                },
            )
        })
        .collect();
    assert_eq!(got, model.cases);
    let sections: BTreeMap<u64, Option<u64>> = all_pages(store, "get_sections/1", "sections")
        .iter()
        .map(|s| (s["id"].as_u64().unwrap(), s["parent_id"].as_u64()))
        .collect();
    assert_eq!(sections, model.sections);
    assert_eq!(journal(store).len(), model.journal);
    // Per-section listings agree with the suite listing.
    for s in model.sections.keys() {
        let mut in_section = ids(&all_pages(
            store,
            &format!("get_cases/1&section_id={s}"),
            "cases",
        ));
        in_section.sort_unstable();
        let want: Vec<u64> = model
            .cases
            .iter()
            .filter(|(_, c)| c.section == *s)
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(in_section, want, "section {s}");
    }
}

fn run(ops: Vec<Op>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let mut store = Store::open(&path).unwrap();
    store.import_snapshot(&base()).unwrap();
    let mut m = Model::default();
    m.sections.insert(1, None);
    for op in ops {
        match op {
            Op::AddCase {
                section,
                title,
                priority,
            } => {
                let s = m.section(section);
                let r = store.call(
                    &format!("add_case/{s}"),
                    Some(&json!({"title": format!("T{title}"), "priority_id": priority})),
                );
                let valid = m.sections.contains_key(&s) && (1..=4).contains(&priority);
                assert_eq!(r.is_ok(), valid, "{op:?} {r:?}");
                if let Ok(v) = r {
                    let id = v.into_value()["id"].as_u64().unwrap();
                    m.cases.insert(
                        id,
                        ModelCase {
                            section: s,
                            title: format!("T{title}"),
                            priority: u64::from(priority),
                        },
                    );
                    m.journal += 1;
                }
            }
            Op::UpdateCase {
                case,
                title,
                priority,
            } => {
                let c = m.case(case);
                let mut body = json!({});
                if let Some(t) = title {
                    body["title"] = json!(format!("T{t}"));
                }
                if let Some(p) = priority {
                    body["priority_id"] = json!(p);
                }
                let r = store.call(&format!("update_case/{c}"), Some(&body));
                let valid =
                    m.cases.contains_key(&c) && priority.is_none_or(|p| (1..=4).contains(&p));
                assert_eq!(r.is_ok(), valid, "{op:?} {r:?}");
                if r.is_ok() {
                    let mc = m.cases.get_mut(&c).unwrap();
                    let before = mc.clone();
                    if let Some(t) = title {
                        mc.title = format!("T{t}");
                    }
                    if let Some(p) = priority {
                        mc.priority = u64::from(p);
                    }
                    if *mc != before {
                        m.journal += 1;
                    }
                }
            }
            Op::MoveCase { case, section } => {
                let c = m.case(case);
                let s = m.section(section);
                let r = store.call(&format!("update_case/{c}"), Some(&json!({"section_id": s})));
                assert_eq!(
                    r.is_ok(),
                    m.cases.contains_key(&c) && m.sections.contains_key(&s),
                    "{op:?} {r:?}"
                );
                if r.is_ok() {
                    let mc = m.cases.get_mut(&c).unwrap();
                    if mc.section != s {
                        mc.section = s;
                        m.journal += 1;
                    }
                }
            }
            Op::DeleteCase { case } => {
                let c = m.case(case);
                let r = store.call(&format!("delete_case/{c}"), None);
                assert_eq!(r.is_ok(), m.cases.remove(&c).is_some(), "{op:?} {r:?}");
                if r.is_ok() {
                    m.journal += 1;
                }
            }
            Op::AddSection { parent } => {
                let p = parent.map(|p| m.section(p));
                let r = store.call("add_section/1", Some(&json!({"name": "S", "parent_id": p})));
                assert_eq!(
                    r.is_ok(),
                    p.is_none_or(|p| m.sections.contains_key(&p)),
                    "{op:?} {r:?}"
                );
                if let Ok(v) = r {
                    m.sections.insert(v.into_value()["id"].as_u64().unwrap(), p);
                    m.journal += 1;
                }
            }
            Op::DeleteSection { section } => {
                let s = m.section(section);
                let r = store.call(&format!("delete_section/{s}"), None);
                assert_eq!(r.is_ok(), m.sections.contains_key(&s), "{op:?} {r:?}");
                if r.is_ok() {
                    for gone in m.subtree(s) {
                        m.sections.remove(&gone);
                        m.cases.retain(|_, c| c.section != gone);
                    }
                    m.journal += 1;
                }
            }
            Op::RolledBackBatch { section } => {
                let s = m.section(section);
                let mut batch = store.batch().unwrap();
                let _ = batch.call(&format!("add_case/{s}"), Some(&json!({"title": "B1"})));
                let _ = batch.call(&format!("add_case/{s}"), Some(&json!({"title": "B2"})));
                assert!(batch
                    .call("add_case/1", Some(&json!({"title": ""})))
                    .is_err());
                batch.rollback().unwrap();
            }
            Op::Reopen => {
                drop(store);
                store = Store::open(&path).unwrap();
            }
        }
        check(&store, &m);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn store_agrees_with_model(ops in proptest::collection::vec(op(), 1..40)) {
        run(ops);
    }
}
