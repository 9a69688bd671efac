//! A model-based property test: random sequences of operations (adds, updates, moves, deletes,
//! section trees, batches that roll back, reopens, and runs with their results) run against a
//! real store and against an in-memory model; after every step they must agree (cases, sections,
//! each run's tests with their statuses and titles, and its counts), and the journal must hold
//! exactly one entry per change.

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
    AddRun {
        include_all: bool,
        cases: Vec<u8>,
    },
    /// `add_results_for_cases`: statuses 3 (refused) and 7 (unknown) make the whole call fail.
    AddResults {
        run: u8,
        entries: Vec<(u8, u8)>,
    },
    /// `update_run` with `include_all: false` and `case_ids`: the tests become those cases.
    SelectCases {
        run: u8,
        cases: Vec<u8>,
    },
    CloseRun {
        run: u8,
    },
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
        2 => (any::<bool>(), proptest::collection::vec(any::<u8>(), 0..5)).prop_map(|(include_all, cases)| Op::AddRun { include_all, cases }),
        4 => (any::<u8>(), proptest::collection::vec((any::<u8>(), prop_oneof![Just(1u8), Just(2), Just(3), Just(4), Just(5), Just(7)]), 1..5)).prop_map(|(run, entries)| Op::AddResults { run, entries }),
        1 => (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..4)).prop_map(|(run, cases)| Op::SelectCases { run, cases }),
        1 => any::<u8>().prop_map(|run| Op::CloseRun { run }),
    ]
}

/// A run as the model sees it: each test's case with its status, and for a closed run the
/// title each test showed when it closed.
#[derive(Debug, Clone, Default)]
struct ModelRun {
    include_all: bool,
    closed: bool,
    tests: BTreeMap<u64, u64>,
    frozen: BTreeMap<u64, String>,
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
    runs: BTreeMap<u64, ModelRun>,
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
    fn run(&self, sel: u8) -> u64 {
        Self::pick(self.runs.keys().copied().collect(), sel)
    }
    /// A case was added to the suite: open runs of all cases gain an untested test.
    fn case_added(&mut self, id: u64) {
        for r in self.runs.values_mut() {
            if r.include_all && !r.closed {
                r.tests.insert(id, 3);
            }
        }
    }
    /// A case was deleted: it leaves every open run.
    fn case_deleted(&mut self, id: u64) {
        for r in self.runs.values_mut() {
            if !r.closed {
                r.tests.remove(&id);
            }
        }
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
        "statuses": (1..=5).map(|i| json!({"id": i, "name": format!("s{i}"), "label": format!("S{i}"), "is_system": true, "is_untested": i == 3})).collect::<Vec<_>>(),
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
    // Each run's tests, statuses, titles and counts.
    let names = ["passed", "blocked", "untested", "retest", "failed"];
    for (id, r) in &model.runs {
        let tests = all_pages(store, &format!("get_tests/{id}"), "tests");
        let got: BTreeMap<u64, u64> = tests
            .iter()
            .map(|t| {
                (
                    t["case_id"].as_u64().unwrap(),
                    t["status_id"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, r.tests, "run {id}");
        for t in &tests {
            let case = t["case_id"].as_u64().unwrap();
            let want = match r.frozen.get(&case) {
                Some(title) => title.clone(),
                None => model.cases[&case].title.clone(),
            };
            assert_eq!(t["title"], want.as_str(), "run {id} case {case}");
        }
        let run = store
            .call(&format!("get_run/{id}"), None)
            .unwrap()
            .into_value();
        assert_eq!(run["is_completed"], r.closed);
        for (i, name) in names.iter().enumerate() {
            let n = r.tests.values().filter(|s| **s == i as u64 + 1).count();
            assert_eq!(run[format!("{name}_count")], n, "run {id} {name}");
        }
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
                    m.case_added(id);
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
                    m.case_deleted(c);
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
                        let ids: Vec<u64> = m
                            .cases
                            .iter()
                            .filter(|(_, c)| c.section == gone)
                            .map(|(id, _)| *id)
                            .collect();
                        for id in ids {
                            m.cases.remove(&id);
                            m.case_deleted(id);
                        }
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
            Op::AddRun {
                include_all,
                ref cases,
            } => {
                let picked: Vec<u64> = cases.iter().map(|c| m.case(*c)).collect();
                let r = store.call(
                    "add_run/1",
                    Some(&json!({"name": "R", "include_all": include_all, "case_ids": picked})),
                );
                let valid = include_all || picked.iter().all(|c| m.cases.contains_key(c));
                assert_eq!(r.is_ok(), valid, "{op:?} {r:?}");
                if let Ok(v) = r {
                    let id = v.into_value()["id"].as_u64().unwrap();
                    let selected: Vec<u64> = if include_all {
                        m.cases.keys().copied().collect()
                    } else {
                        picked
                    };
                    m.runs.insert(
                        id,
                        ModelRun {
                            include_all,
                            tests: selected.into_iter().map(|c| (c, 3)).collect(),
                            ..ModelRun::default()
                        },
                    );
                    m.journal += 1;
                }
            }
            Op::AddResults { run, ref entries } => {
                let id = m.run(run);
                let picked: Vec<(u64, u8)> =
                    entries.iter().map(|(c, s)| (m.case(*c), *s)).collect();
                let body: Vec<Value> = picked
                    .iter()
                    .map(|(c, s)| json!({"case_id": c, "status_id": s}))
                    .collect();
                let r = store.call(
                    &format!("add_results_for_cases/{id}"),
                    Some(&json!({ "results": body })),
                );
                let valid = m.runs.get(&id).is_some_and(|r| {
                    !r.closed
                        && picked
                            .iter()
                            .all(|(c, s)| r.tests.contains_key(c) && ![3, 7].contains(s))
                });
                assert_eq!(r.is_ok(), valid, "{op:?} {r:?}");
                if let Ok(v) = r {
                    assert_eq!(v.into_value().as_array().unwrap().len(), picked.len());
                    let mr = m.runs.get_mut(&id).unwrap();
                    for (c, s) in picked {
                        mr.tests.insert(c, u64::from(s));
                    }
                    m.journal += 1;
                }
            }
            Op::SelectCases { run, ref cases } => {
                let id = m.run(run);
                let picked: Vec<u64> = cases.iter().map(|c| m.case(*c)).collect();
                let r = store.call(
                    &format!("update_run/{id}"),
                    Some(&json!({"include_all": false, "case_ids": picked})),
                );
                let valid = m.runs.get(&id).is_some_and(|r| !r.closed)
                    && picked.iter().all(|c| m.cases.contains_key(c));
                assert_eq!(r.is_ok(), valid, "{op:?} {r:?}");
                if r.is_ok() {
                    let mr = m.runs.get_mut(&id).unwrap();
                    let before = (mr.include_all, mr.tests.clone());
                    mr.include_all = false;
                    mr.tests.retain(|c, _| picked.contains(c));
                    for c in picked {
                        mr.tests.entry(c).or_insert(3);
                    }
                    if before != (mr.include_all, mr.tests.clone()) {
                        m.journal += 1;
                    }
                }
            }
            Op::CloseRun { run } => {
                let id = m.run(run);
                let r = store.call(&format!("close_run/{id}"), Some(&json!({"run_id": id})));
                let valid = m.runs.get(&id).is_some_and(|r| !r.closed);
                assert_eq!(r.is_ok(), valid, "{op:?} {r:?}");
                if r.is_ok() {
                    let titles: BTreeMap<u64, String> = m
                        .cases
                        .iter()
                        .map(|(id, c)| (*id, c.title.clone()))
                        .collect();
                    let mr = m.runs.get_mut(&id).unwrap();
                    mr.closed = true;
                    mr.frozen = mr.tests.keys().map(|c| (*c, titles[c].clone())).collect();
                    m.journal += 1;
                }
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
