//! Full-text search: every indexed field is findable, filters and subtree search run
//! inside the query, updates and deletes disappear, every kind of write is visible to the next
//! search, and an index left behind by a crash (or deleted, damaged, of an older schema) is
//! caught up or rebuilt on open with results equal to a full rebuild and no duplicates.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use serde_json::{json, Value};
use trailstore::{IndexAction, SearchRequest, Store};

/// Ids of every match of a search route (all pages), with the reported total.
fn found(store: &Store, project: u64, params: &str) -> BTreeSet<u64> {
    let route = format!("x_search_cases/{project}&limit=250&count=1{params}");
    let (hits, total) = search_hits(store, &route);
    let mut out = BTreeSet::new();
    for id in hits {
        assert!(out.insert(id), "duplicate hit");
    }
    if let Some(t) = total {
        assert_eq!(t as usize, out.len(), "total equals the hits of {params}");
    }
    out
}

fn q(text: &str) -> String {
    format!(
        "&q={}",
        text.replace(' ', "%20")
            .replace('"', "%22")
            .replace('*', "%2A")
    )
}

fn set(ids: &[u64]) -> BTreeSet<u64> {
    ids.iter().copied().collect()
}

#[test]
fn every_indexed_field_is_findable() {
    let (_d, store) = sample();
    // Distinctive values written into one case, one per indexed field.
    let c = ok(
        &store,
        "add_case/17",
        json!({
            "title": "Quokkatitle appears in the title",
            "refs": "ZEBRAREF-1, OTHER-2",
            "template_id": 2,
            "custom_component": 2,
            "custom_preconds": "Pangolinpre is a precondition",
            "custom_automation_id": "axolotlstring.id",
            "custom_spec_url": "https://wiki.example.com/narwhalurl",
            "custom_automation_type": 3,
            "custom_steps_separated": [
                {"content": "Capybaracontent step", "expected": "Okapiexpected result", "additional_info": "Tapirinfo extra"}
            ],
        }),
    );
    let id = c["id"].as_u64().unwrap();
    for (query, field) in [
        ("quokkatitle", "title"),
        ("zebraref", "refs"),
        ("pangolinpre", "text"),
        ("axolotlstring", "text"),
        ("narwhalurl", "text"),
        ("capybaracontent", "steps"),
        ("okapiexpected", "steps"),
        ("tapirinfo", "steps"),
        ("playwright", "options"), // the label of custom_automation_type item 3
    ] {
        assert!(
            found(&store, 1, &q(query)).contains(&id),
            "{query} via default fields"
        );
        assert!(
            found(&store, 1, &q(&format!("{field}:{query}"))).contains(&id),
            "{field}:{query}"
        );
    }
    // A Text field of project 2 and a Multi-select label.
    let m = ok(
        &store,
        "add_case/42",
        json!({"title": "Mobile one", "custom_platforms": [4], "custom_preconds": "Wombattext"}),
    );
    let mid = m["id"].as_u64().unwrap();
    assert_eq!(found(&store, 2, &q("wombattext")), set(&[mid]));
    assert!(found(&store, 2, &q("\"android 15\"")).contains(&mid));
    // Nothing leaks across projects.
    assert!(found(&store, 2, &q("quokkatitle")).is_empty());
}

#[test]
fn query_language() {
    let (_d, store) = sample();
    let a = ok(&store, "add_case/17", web_case("alpha bravo charlie"))["id"]
        .as_u64()
        .unwrap();
    let b = ok(&store, "add_case/17", web_case("alpha delta"))["id"]
        .as_u64()
        .unwrap();
    let c = ok(&store, "add_case/17", web_case("bravo alpha echo"))["id"]
        .as_u64()
        .unwrap();
    assert_eq!(
        found(&store, 1, &q("alpha bravo")),
        set(&[a, c]),
        "AND by default"
    );
    assert_eq!(found(&store, 1, &q("alpha AND bravo")), set(&[a, c]));
    assert_eq!(found(&store, 1, &q("\"alpha bravo\"")), set(&[a]), "phrase");
    assert_eq!(found(&store, 1, &q("delta OR echo")), set(&[b, c]));
    assert_eq!(found(&store, 1, &q("alpha NOT bravo")), set(&[b]));
    assert_eq!(found(&store, 1, &q("alpha -bravo")), set(&[b]));
    assert_eq!(
        found(&store, 1, &q("(delta OR charlie) alpha")),
        set(&[a, b])
    );
    assert_eq!(found(&store, 1, &q("title:ech*")), set(&[c]), "prefix");
    assert_eq!(
        found(&store, 1, &q("\"alpha bra\"*")),
        set(&[a]),
        "phrase prefix"
    );
    assert_eq!(
        found(&store, 1, &q("ALPHA Delta")),
        set(&[b]),
        "case-insensitive"
    );
    let e = err(&store, "x_search_cases/1&q=(alpha", Value::Null);
    assert_error(
        &e,
        "Field :q is not a valid search query: a parenthesis is not closed.",
        Some("q"),
    );
    let e = err(&store, "x_search_cases/1&q=color:red", Value::Null);
    assert_eq!(e.field(), Some("q"));
    let e = err(&store, "x_search_cases/99&q=a", Value::Null);
    assert_error(
        &e,
        "Field :project_id is not a valid or accessible project.",
        Some("project_id"),
    );
}

#[test]
fn ranking_highlights_and_paging() {
    let (_d, store) = sample();
    let page = ok(
        &store,
        "x_search_cases/1&q=payment%20card&limit=5&count=1",
        Value::Null,
    );
    assert_eq!(page["size"], 5);
    assert_eq!(page["limit"], 5);
    assert!(page["total"].as_u64().unwrap() > 5);
    assert_eq!(
        page["_links"]["next"],
        "/api/v2/x_search_cases/1&q=payment%20card&count=1&limit=5&offset=5"
    );
    let scores: Vec<f64> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
    let first = &page["results"][0];
    let hl = first["highlights"].as_object().unwrap();
    assert!(
        hl.values().any(|h| h.as_str().unwrap().contains("<b>")),
        "{hl:?}"
    );
    // The case comes in get_case's shape.
    let id = first["case"]["id"].as_u64().unwrap();
    assert_eq!(
        first["case"],
        ok(&store, &format!("get_case/{id}"), Value::Null)
    );
    // The Rust search answers the same hits, each case read in place from its record.
    let direct = store
        .search(&SearchRequest {
            project_id: Some(1),
            query: "payment card".into(),
            limit: 5,
            count: true,
            highlight: true,
            ..SearchRequest::default()
        })
        .unwrap();
    assert_eq!(direct.hits.len(), 5);
    // A copy of the results reads its own copy of each record.
    let copy = direct.clone();
    for (a, b) in copy.hits.iter().zip(&direct.hits) {
        assert_eq!(a.case(), b.case());
    }
    for (hit, shown) in direct.hits.iter().zip(page["results"].as_array().unwrap()) {
        let case = hit.case();
        assert_eq!(case.id, shown["case"]["id"].as_u64().unwrap());
        assert_eq!(case.title, shown["case"]["title"].as_str().unwrap());
        assert_eq!(case.project_id, shown["project_id"].as_u64().unwrap());
        assert_eq!(f64::from(hit.score), shown["score"].as_f64().unwrap());
        assert_eq!(
            hit.highlights.len(),
            shown["highlights"].as_object().unwrap().len()
        );
    }
    // Pages do not overlap and cover everything.
    let all = found(&store, 1, &q("payment card"));
    let mut paged = BTreeSet::new();
    for offset in (0..all.len()).step_by(5) {
        let p = ok(
            &store,
            &format!("x_search_cases/1&q=payment%20card&limit=5&offset={offset}"),
            Value::Null,
        );
        for r in p["results"].as_array().unwrap() {
            assert!(paged.insert(r["case"]["id"].as_u64().unwrap()));
        }
    }
    assert_eq!(paged, all);
    assert_error(
        &err(&store, "x_search_cases/1&q=a&limit=251", Value::Null),
        "Field :limit is too large (maximum 250).",
        Some("limit"),
    );
}

/// Search with filters and an empty query must equal get_cases with the same filters.
#[test]
fn filters_and_subtrees_match_get_cases() {
    let (_d, store) = sample();
    let listing = |route: &str| -> BTreeSet<u64> {
        ids(&all_pages(&store, route, "cases"))
            .into_iter()
            .collect()
    };
    for (search, list) in [
        ("", "get_cases/1"),
        ("&priority_id=3,4", "get_cases/1&priority_id=3,4"),
        ("&type_id=6", "get_cases/1&type_id=6"),
        ("&template_id=2", "get_cases/1&template_id=2"),
        ("&milestone_id=1,3", "get_cases/1&milestone_id=1,3"),
        ("&created_by=2", "get_cases/1&created_by=2"),
        ("&updated_by=1,3", "get_cases/1&updated_by=1,3"),
        (
            "&created_after=1750000000",
            "get_cases/1&created_after=1750000000",
        ),
        (
            "&updated_before=1760000000&updated_after=1740000000",
            "get_cases/1&updated_before=1760000000&updated_after=1740000000",
        ),
        ("&section_id=17", "get_cases/1&section_id=17"),
    ] {
        assert_eq!(found(&store, 1, search), listing(list), "{search}");
    }
    assert_eq!(
        found(&store, 2, "&suite_id=3"),
        listing("get_cases/2&suite_id=3")
    );
    // A section's subtree: Login (11) holds Password reset (26) and Two-factor (27).
    let subtree: BTreeSet<u64> = [11, 26, 27]
        .iter()
        .flat_map(|s| listing(&format!("get_cases/1&section_id={s}")))
        .collect();
    assert_eq!(found(&store, 1, "&section_id=11"), subtree);
    // Custom dropdown values, inside the index.
    let component_2: BTreeSet<u64> = all_pages(&store, "get_cases/1", "cases")
        .iter()
        .filter(|c| c["custom_component"] == 2)
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert!(!component_2.is_empty());
    assert_eq!(found(&store, 1, "&custom_component=2"), component_2);
    // Text and filters together.
    let both: BTreeSet<u64> = found(&store, 1, &q("payment"))
        .intersection(&listing("get_cases/1&priority_id=3,4"))
        .copied()
        .collect();
    assert_eq!(
        found(&store, 1, &format!("{}&priority_id=3,4", q("payment"))),
        both
    );
    assert_error(
        &err(&store, "x_search_cases/1&section_id=42", Value::Null),
        "Field :section_id is not a valid section.",
        Some("section_id"),
    );
}

#[test]
fn every_kind_of_write_is_visible_to_the_next_search() {
    let (_d, store) = sample();
    // add
    let c = ok(&store, "add_case/17", web_case("Hedgehog checkout"))["id"]
        .as_u64()
        .unwrap();
    assert_eq!(found(&store, 1, &q("hedgehog")), set(&[c]));
    // update: the old words go, the new ones come
    ok(
        &store,
        &format!("update_case/{c}"),
        json!({"title": "Porcupine checkout"}),
    );
    assert!(found(&store, 1, &q("hedgehog")).is_empty());
    assert_eq!(found(&store, 1, &q("porcupine")), set(&[c]));
    // update of a filter field
    ok(
        &store,
        &format!("update_case/{c}"),
        json!({"priority_id": 4}),
    );
    assert!(found(&store, 1, &format!("{}&priority_id=4", q("porcupine"))).contains(&c));
    // move to another section (and out of a subtree)
    ok(
        &store,
        &format!("update_case/{c}"),
        json!({"section_id": 26}),
    );
    assert_eq!(
        found(&store, 1, &format!("{}&section_id=11", q("porcupine"))),
        set(&[c])
    );
    // moving the section moves the subtree
    ok(&store, "move_section/26", json!({"parent_id": 2}));
    assert!(found(&store, 1, &format!("{}&section_id=11", q("porcupine"))).is_empty());
    assert_eq!(
        found(&store, 1, &format!("{}&section_id=2", q("porcupine"))),
        set(&[c])
    );
    // bulk update, copy, move_cases_to_section
    ok(
        &store,
        "update_cases/1",
        json!({"case_ids": [c], "refs": "LYNX-9"}),
    );
    assert_eq!(found(&store, 1, &q("lynx")), set(&[c]));
    let copy = ok(&store, "copy_cases_to_section/19", json!({"case_ids": [c]}))[0]["id"]
        .as_u64()
        .unwrap();
    assert_eq!(found(&store, 1, &q("porcupine")), set(&[c, copy]));
    ok(
        &store,
        "move_cases_to_section/19",
        json!({"suite_id": 1, "case_ids": [c]}),
    );
    assert_eq!(
        found(&store, 1, &format!("{}&section_id=19", q("porcupine"))),
        set(&[c, copy])
    );
    // delete case, delete cases, delete section
    ok(&store, &format!("delete_case/{copy}"), Value::Null);
    assert_eq!(found(&store, 1, &q("porcupine")), set(&[c]));
    ok(&store, "delete_cases/1", json!({"case_ids": [c]}));
    assert!(found(&store, 1, &q("porcupine")).is_empty());
    let before = found(&store, 1, "").len();
    let in_5 = found(&store, 1, "&section_id=5");
    assert!(!in_5.is_empty());
    ok(&store, "delete_section/5", Value::Null);
    assert_error(
        &err(&store, "x_search_cases/1&section_id=5", Value::Null),
        "Field :section_id is not a valid section.",
        Some("section_id"),
    );
    assert_eq!(found(&store, 1, "").len(), before - in_5.len());
    assert!(found(&store, 1, "").is_disjoint(&in_5));
    // a batch, visible once committed
    let mut batch = store.batch().unwrap();
    batch
        .call("add_case/17", Some(&web_case("Meerkat one")))
        .unwrap();
    batch
        .call("add_case/17", Some(&web_case("Meerkat two")))
        .unwrap();
    batch.commit().unwrap();
    assert_eq!(found(&store, 1, &q("meerkat")).len(), 2);
    // a rolled-back batch leaves no trace
    let mut batch = store.batch().unwrap();
    batch
        .call("add_case/17", Some(&web_case("Ocelot")))
        .unwrap();
    batch.rollback().unwrap();
    assert!(found(&store, 1, &q("ocelot")).is_empty());
    // a snapshot import (server base state)
    let mut snap = json!({"cases": [snapshot()["cases"][0].clone()]});
    snap["cases"][0]["title"] = json!("Wolverine imported title");
    store.import_snapshot(&snap).unwrap();
    assert_eq!(found(&store, 1, &q("wolverine")), set(&[1]));
    // delete a whole project
    ok(&store, "delete_project/2", Value::Null);
    assert_error(
        &err(&store, "x_search_cases/2&q=sync", Value::Null),
        "Field :project_id is not a valid or accessible project.",
        Some("project_id"),
    );
}

/// Searches whose results must agree between a caught-up and a rebuilt index.
fn fingerprint(store: &Store) -> Vec<BTreeSet<u64>> {
    let mut out: Vec<BTreeSet<u64>> = [
        "",
        &q("payment"),
        &q("sync OR offline"),
        &q("marmot"),
        "&priority_id=4",
        "&section_id=2",
    ]
    .iter()
    .map(|p| found(store, 1, p))
    .collect();
    for p in ["", &q("sync OR offline"), "&priority_id=4"] {
        out.push(found(store, 2, &format!("&suite_id=3{p}")));
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn an_index_left_behind_by_a_crash_is_caught_up_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let index = path.join(trailstore::INDEX_DIR);
    let saved = dir.path().join("index-at-crash");
    {
        let store = Store::open(&path).unwrap();
        store.import_snapshot(snapshot()).unwrap();
        ok(&store, "add_case/17", web_case("Marmot before the crash"));
        found(&store, 1, &q("marmot")); // commits the index
                                        // The index as a crash right after this point would leave it.
        copy_dir(&index, &saved);
        // Data commits the index never saw: adds, edits, moves, deletes.
        ok(&store, "add_case/17", web_case("Marmot after the crash"));
        ok(&store, "update_case/2", json!({"title": "Marmot renamed"}));
        ok(&store, "delete_case/3", Value::Null);
        ok(&store, "move_section/26", json!({"parent_id": 2}));
        ok(&store, "delete_section/27", Value::Null);
    }
    std::fs::remove_dir_all(&index).unwrap();
    copy_dir(&saved, &index);
    let store = Store::open(&path).unwrap();
    match store.index_report() {
        IndexAction::CaughtUp { cases } => assert!(*cases >= 3, "{cases}"),
        other => panic!("expected a catch-up, got {other:?}"),
    }
    assert_eq!(found(&store, 1, &q("marmot")).len(), 3);
    let caught_up = fingerprint(&store);
    store.reindex().unwrap();
    assert_eq!(fingerprint(&store), caught_up, "caught up = rebuilt");
    // No duplicates: every case once.
    assert_eq!(
        found(&store, 1, "").len(),
        all_pages(&store, "get_cases/1", "cases").len()
    );
    drop(store);
    // A clean close leaves nothing to catch up.
    let store = Store::open(&path).unwrap();
    assert_eq!(*store.index_report(), IndexAction::UpToDate);
    assert_eq!(fingerprint(&store), caught_up);
}

#[test]
fn a_missing_damaged_or_old_index_is_rebuilt_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let index = path.join(trailstore::INDEX_DIR);
    let want = {
        let store = Store::open(&path).unwrap();
        store.import_snapshot(snapshot()).unwrap();
        ok(&store, "add_case/17", web_case("Marmot kept"));
        fingerprint(&store)
    };
    let reopen = |expect: &str| {
        let store = Store::open(&path).unwrap();
        match store.index_report() {
            IndexAction::Rebuilt { reason, cases } => {
                assert!(reason.contains(expect), "{reason}");
                assert_eq!(*cases, 328);
            }
            other => panic!("expected a rebuild ({expect}), got {other:?}"),
        }
        assert_eq!(fingerprint(&store), want);
    };
    // Deleted.
    std::fs::remove_dir_all(&index).unwrap();
    reopen("no index");
    // Emptied.
    for e in std::fs::read_dir(&index).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    reopen("holds no index");
    // Damaged metadata.
    std::fs::write(index.join("meta.json"), b"{ not json").unwrap();
    reopen("damaged");
    // An older schema version in the commit payload.
    let meta = std::fs::read_to_string(index.join("meta.json")).unwrap();
    let mut m: Value = serde_json::from_str(&meta).unwrap();
    let old = json!({"schema": 0, "data_version": 1}).to_string();
    m["payload"] = json!(old);
    std::fs::write(index.join("meta.json"), m.to_string()).unwrap();
    reopen("older schema");
    // A file where the folder should be.
    std::fs::remove_dir_all(&index).unwrap();
    std::fs::write(&index, b"junk").unwrap();
    match Store::open(&path) {
        Ok(store) => assert!(matches!(store.index_report(), IndexAction::Rebuilt { .. })),
        Err(e) => assert_eq!(e.code(), trailstore::ErrorCode::Io, "{e}"),
    }
}

#[test]
fn bulk_import_keeps_few_segments() {
    let (_d, store) = sample();
    found(&store, 1, "");
    assert!(
        store.index_segments() <= 4,
        "{} segments",
        store.index_segments()
    );
    for i in 0..30 {
        ok(&store, "add_case/17", web_case(&format!("Segment {i}")));
        found(&store, 1, &q(&format!("segment {i}"))); // one commit per search
    }
    store.reindex().unwrap();
    assert!(
        store.index_segments() <= 4,
        "{} segments after reindex",
        store.index_segments()
    );
}

/// Matches of a query in both projects.
fn count(store: &Store, text: &str) -> usize {
    found(store, 1, &q(text)).len() + found(store, 2, &q(text)).len()
}

/// Cases are parsed and checked one at a time as they are written, so a bad case may come to
/// light after thousands of good ones were written and staged: the import must still leave
/// nothing behind, in the data or the index, and say what is wrong.
#[test]
fn a_bad_case_found_halfway_through_a_staged_import_leaves_nothing() {
    let copies = 4;
    let (_dir, store) = empty();
    for (fresh, last) in [
        (true, "no section"),
        (true, "wrong suite"),
        (false, "no section"),
    ] {
        if !fresh {
            store
                .import_snapshot(&big_snapshot(copies, "Quokka"))
                .unwrap();
        }
        let listing = |store: &Store| match fresh {
            true => all_pages(store, "get_projects", "projects"),
            false => all_pages(store, "get_cases/1", "cases"),
        };
        let before = listing(&store);
        let entries = journal(&store).len();
        let mut snap = big_snapshot(copies, "Bilby");
        let cases = snap["cases"].as_array_mut().unwrap();
        let n = cases.len();
        // The highest id is written last.
        let bad = cases
            .iter_mut()
            .max_by_key(|c| c["id"].as_u64().unwrap())
            .unwrap();
        let id = bad["id"].as_u64().unwrap();
        let message = match last {
            "no section" => {
                bad["section_id"] = json!(999_999);
                format!("The snapshot's case {id} has section_id 999999, which is neither in the snapshot nor in the store.")
            }
            _ => {
                let suite = bad["suite_id"].as_u64().unwrap();
                let section = bad["section_id"].as_u64().unwrap();
                bad["suite_id"] = json!(suite + 1);
                format!(
                    "The snapshot's case {id} has suite_id {} but its section {section} is in suite {suite}.",
                    suite + 1
                )
            }
        };
        assert!(n >= 1_000, "enough cases to stage");
        let e = store.import_snapshot(&snap).unwrap_err();
        assert_eq!(e.code(), trailstore::ErrorCode::Validation, "{e}");
        assert_eq!(e.to_string(), message, "{last}, fresh: {fresh}");
        assert_eq!(listing(&store), before);
        assert_eq!(journal(&store).len(), entries);
        if !fresh {
            // (A store without projects cannot be searched; the last import below checks the
            // fresh rounds left nothing in the index either.)
            assert_eq!(
                count(&store, "bilby"),
                0,
                "nothing staged stays in the index"
            );
            assert_eq!(count(&store, "quokka"), n - n / (copies as usize + 1));
        }
    }
    // The store takes a good import afterwards, and no failed import left a document behind.
    store
        .import_snapshot(&big_snapshot(copies, "Numbat"))
        .unwrap();
    assert_eq!(count(&store, "bilby"), 0);
    assert_eq!(count(&store, "quokka"), 0);
    assert!(count(&store, "numbat") > 0);
    assert_eq!(
        found(&store, 1, "").len(),
        all_pages(&store, "get_cases/1", "cases").len()
    );
}

#[test]
fn bulk_imports_stage_their_documents_and_stay_consistent() {
    let copies = 4;
    assert!(snapshot()["cases"].as_array().unwrap().len() * (copies + 1) >= 1_000);
    let per_copy = snapshot()["cases"].as_array().unwrap().len();
    let (dir, store) = empty();
    // A fresh import: every case once, found by its words.
    let report = store
        .import_snapshot(&big_snapshot(copies as u64, "Quokka"))
        .unwrap();
    assert_eq!(report.cases_new, per_copy * (copies + 1));
    assert_eq!(count(&store, "quokka"), per_copy * copies);
    assert_eq!(
        found(&store, 1, "").len(),
        all_pages(&store, "get_cases/1", "cases").len(),
        "no duplicates"
    );
    let before = fingerprint(&store);

    // A re-import that renames the copies: the old words disappear, nothing is doubled. One
    // copy has a pending local edit of another field, which the import merges with the server's
    // new title: the staged document is the merged record.
    ok(&store, "update_case/10002", json!({"refs": "ECHIDNA-7"}));
    store
        .import_snapshot(&big_snapshot(copies as u64, "Numbat"))
        .unwrap();
    assert_eq!(count(&store, "quokka"), 0);
    assert_eq!(count(&store, "numbat"), per_copy * copies);
    let merged = ok(&store, "get_case/10002", Value::Null);
    assert_eq!(merged["refs"], "ECHIDNA-7");
    assert!(merged["title"].as_str().unwrap().starts_with("Numbat"));
    assert_eq!(count(&store, "refs:echidna"), 1);
    assert_eq!(
        found(&store, 1, &q("refs:echidna numbat")),
        set(&[10002]),
        "the merged case is found by both its local and its server value"
    );
    assert_eq!(
        found(&store, 1, "").len(),
        all_pages(&store, "get_cases/1", "cases").len()
    );

    // A write applied but not yet committed to the index, then a staged import that rolls back:
    // the write stays searchable, the import leaves no trace.
    ok(
        &store,
        "add_case/17",
        web_case("Wombat before the rollback"),
    );
    {
        let mut batch = store.batch().unwrap();
        batch
            .import_snapshot(&big_snapshot(copies as u64, "Bilby"))
            .unwrap();
        // Another thread searching meanwhile sees the last committed state, not the staged one.
        std::thread::scope(|s| {
            s.spawn(|| {
                assert_eq!(count(&store, "bilby"), 0);
                assert_eq!(count(&store, "wombat"), 1);
                // A rebuild would commit the staged documents: it is refused until the batch ends.
                let e = store.reindex().unwrap_err();
                assert_eq!(e.code(), trailstore::ErrorCode::Busy, "{e}");
            });
        });
        batch.rollback().unwrap();
    }
    assert_eq!(count(&store, "bilby"), 0);
    assert_eq!(count(&store, "wombat"), 1);
    assert_eq!(count(&store, "numbat"), per_copy * copies);

    // A staged import followed, in the same batch, by an edit of a staged case: the edit wins.
    {
        let mut batch = store.batch().unwrap();
        batch
            .import_snapshot(&big_snapshot(copies as u64, "Dingo"))
            .unwrap();
        batch
            .call(
                "update_case/10001",
                Some(&json!({"title": "Platypus edited in the batch"})),
            )
            .unwrap();
        batch.commit().unwrap();
    }
    assert_eq!(count(&store, "platypus"), 1);
    assert_eq!(count(&store, "dingo"), per_copy * copies - 1);
    assert_eq!(
        found(&store, 1, "").len(),
        all_pages(&store, "get_cases/1", "cases").len()
    );

    // What the staged imports left equals a rebuild, and survives a reopen as is.
    let staged = fingerprint(&store);
    assert_ne!(staged, before);
    store.reindex().unwrap();
    assert_eq!(fingerprint(&store), staged, "staged = rebuilt");
    drop(store);
    let store = Store::open(dir.path().join("store")).unwrap();
    assert_eq!(*store.index_report(), IndexAction::UpToDate);
    assert_eq!(fingerprint(&store), staged);
}

#[test]
fn a_search_without_a_project_covers_every_project_and_names_each_hits_project() {
    let (_dir, store) = sample();
    let projects = ok(&store, "get_projects", Value::Null)["projects"].clone();
    let mut want = Vec::new();
    for p in projects.as_array().unwrap() {
        let pid = p["id"].as_u64().unwrap();
        let suites = ok(&store, &format!("get_suites/{pid}"), Value::Null);
        let suite = suites["suites"][0]["id"].as_u64().unwrap();
        let section = ok(
            &store,
            &format!("add_section/{pid}"),
            json!({"suite_id": suite, "name": "Everywhere"}),
        )["id"]
            .as_u64()
            .unwrap();
        let case = ok(
            &store,
            &format!("add_case/{section}"),
            json!({"title": "Zyzzyva appears in every project", "custom_component": 1, "custom_platforms": [1]}),
        );
        want.push((pid, case["id"].as_u64().unwrap()));
    }
    assert_eq!(want.len(), 2, "the sample has two projects");
    let page = ok(&store, "x_search_cases&q=zyzzyva", Value::Null);
    let mut got: Vec<(u64, u64)> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["project_id"].as_u64().unwrap(),
                h["case"]["id"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want);
    // One project's search still sees only its own.
    let one = ok(
        &store,
        &format!("x_search_cases/{}&q=zyzzyva", want[0].0),
        Value::Null,
    );
    assert_eq!(one["size"], 1);
    assert_eq!(one["results"][0]["project_id"], want[0].0);
}
