//! TestRail 6.7+ paging (testrail-api.md §4): `{offset, limit, size, _links, <key>}`, limit at
//! most 250, `_links.next` repeating the filters, every non-final page full, at exactly 0, 250
//! and 251 results, for every paged route.

mod common;

use common::*;
use serde_json::{json, Value};
use trailstore::Store;

/// A new suite in project 2 with one section holding `n` cases (priority 3), plus one case of
/// priority 1 so that filters matter. Returns (suite_id, section_id).
fn suite_with(store: &Store, n: usize) -> (u64, u64) {
    let suite = ok(store, "add_suite/2", json!({"name": format!("Paging {n}")}));
    let sid = suite["id"].as_u64().unwrap();
    let sec = ok(
        store,
        "add_section/2",
        json!({"name": "S", "suite_id": sid}),
    );
    let sec_id = sec["id"].as_u64().unwrap();
    let mut batch = store.batch().unwrap();
    for i in 0..n {
        batch
            .call(&format!("add_case/{sec_id}"), Some(&json!({"title": format!("Case {i}"), "priority_id": 3, "custom_platforms": [1]})))
            .unwrap();
    }
    batch
        .call(
            &format!("add_case/{sec_id}"),
            Some(&json!({"title": "Other", "priority_id": 1, "custom_platforms": [1]})),
        )
        .unwrap();
    batch.commit().unwrap();
    (sid, sec_id)
}

/// What testrail-api's get_cases_bulk does: offset += 250 until a page is short.
fn bulk(store: &Store, route: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = ok(
            store,
            &format!("{route}&limit=250&offset={offset}"),
            Value::Null,
        );
        let items = page["cases"].as_array().unwrap().clone();
        let n = items.len();
        out.extend(items);
        if n < 250 {
            return out;
        }
        offset += 250;
    }
}

#[test]
fn zero_250_and_251_results() {
    let (_d, store) = sample();
    for n in [0usize, 250, 251] {
        let (suite, section) = suite_with(&store, n);
        for listing in [
            format!("get_cases/2&suite_id={suite}&priority_id=3"),
            format!("get_cases/2&suite_id={suite}&section_id={section}&priority_id=3"),
        ] {
            let first = ok(&store, &listing, Value::Null);
            assert_eq!(first["offset"], 0);
            assert_eq!(first["limit"], 250);
            assert_eq!(first["size"], n.min(250), "{listing}");
            assert_eq!(first["_links"]["prev"], Value::Null);
            if n <= 250 {
                assert_eq!(
                    first["_links"]["next"],
                    Value::Null,
                    "{listing}: last page has no next"
                );
            } else {
                let next = first["_links"]["next"].as_str().unwrap();
                assert_eq!(
                    next,
                    format!("/api/v2/{listing}&limit=250&offset=250"),
                    "next repeats the filters"
                );
                let second = ok(&store, next, Value::Null);
                assert_eq!(second["size"], 1);
                assert_eq!(second["offset"], 250);
                assert_eq!(second["_links"]["next"], Value::Null);
                assert_eq!(
                    second["_links"]["prev"],
                    format!("/api/v2/{listing}&limit=250&offset=0")
                );
            }
            let all = all_pages(&store, &listing, "cases");
            assert_eq!(all.len(), n);
            assert!(all.iter().all(|c| c["priority_id"] == 3));
            assert_eq!(bulk(&store, &listing).len(), n, "testrail-api's bulk loop");
        }
    }
}

#[test]
fn custom_limits_fill_every_page_but_the_last() {
    let (_d, store) = sample();
    let total = all_pages(&store, "get_cases/1", "cases").len();
    for limit in [1usize, 7, 100, 250] {
        let mut sizes = Vec::new();
        let mut seen = Vec::new();
        let mut next = Some(format!("get_cases/1&limit={limit}"));
        while let Some(r) = next {
            let page = ok(&store, &r, Value::Null);
            assert_eq!(page["limit"], limit);
            sizes.push(page["size"].as_u64().unwrap() as usize);
            seen.extend(ids(page["cases"].as_array().unwrap()));
            next = page["_links"]["next"].as_str().map(str::to_string);
        }
        assert_eq!(seen.len(), total);
        let mut dedup = seen.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), total, "no duplicates across pages");
        let (last, full) = sizes.split_last().unwrap();
        assert!(full.iter().all(|s| *s == limit), "limit {limit}: {sizes:?}");
        assert!(*last >= 1 && *last <= limit);
    }
    // Past the end: an empty page, not an error.
    let p = ok(&store, "get_cases/1&offset=100000", Value::Null);
    assert_eq!(p["size"], 0);
    assert_eq!(p["_links"]["next"], Value::Null);
}

#[test]
fn limit_and_offset_are_checked_as_testrail_does() {
    let (_d, store) = sample();
    assert_error(
        &err(&store, "get_cases/1&limit=251", Value::Null),
        "Field :limit is too large (maximum 250).",
        Some("limit"),
    );
    assert_error(
        &err(&store, "get_cases/1&limit=0", Value::Null),
        "Field :limit is too small (minimum 1).",
        Some("limit"),
    );
    assert_error(
        &err(&store, "get_cases/1&limit=ten", Value::Null),
        "Field :limit is not a valid natural number.",
        Some("limit"),
    );
    assert_error(
        &err(&store, "get_cases/1&offset=-1", Value::Null),
        "Field :offset is not a valid natural number.",
        Some("offset"),
    );
    assert_error(
        &err(&store, "get_sections/1&limit=300", Value::Null),
        "Field :limit is too large (maximum 250).",
        Some("limit"),
    );
}

#[test]
fn other_paged_routes() {
    let (_d, store) = sample();
    // Sections: 78 in the sample, 44 in project 1's suite.
    let s = ok(&store, "get_sections/1&limit=10", Value::Null);
    assert_eq!(s["size"], 10);
    assert_eq!(
        s["_links"]["next"],
        "/api/v2/get_sections/1&limit=10&offset=10"
    );
    let all = all_pages(&store, "get_sections/1&limit=10", "sections");
    assert_eq!(
        all.len(),
        ok(&store, "get_sections/1", Value::Null)["size"]
            .as_u64()
            .unwrap() as usize
    );
    // Projects.
    let p = ok(&store, "get_projects&limit=1", Value::Null);
    assert_eq!(p["size"], 1);
    assert_eq!(p["_links"]["next"], "/api/v2/get_projects&limit=1&offset=1");
    assert_eq!(
        all_pages(&store, "get_projects&limit=1", "projects").len(),
        2
    );
    // Milestones.
    let m = ok(&store, "get_milestones/1&limit=2", Value::Null);
    assert_eq!(m["size"], 2);
    assert_eq!(
        all_pages(&store, "get_milestones/1&limit=2", "milestones").len(),
        3
    );
    // Suites (paged as TestRail 9.3.1+ does).
    assert_eq!(
        ok(&store, "get_suites/2", Value::Null)["suites"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // History: 3 updates of one case, newest first.
    for p in [1, 3, 4] {
        ok(&store, "update_case/1", json!({"priority_id": p}));
    }
    let h = ok(&store, "get_history_for_case/1&limit=2", Value::Null);
    assert_eq!(h["size"], 2);
    assert!(h["_links"]["next"].is_string());
    let all = all_pages(&store, "get_history_for_case/1&limit=2", "history");
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["changes"][0]["new_value"], 4, "newest first");
    // The journal: 3 entries, one a page, oldest first, and after a sequence number.
    let j = ok(&store, "x_get_journal&limit=1", Value::Null);
    assert_eq!(j["size"], 1);
    assert_eq!(
        j["_links"]["next"],
        "/api/v2/x_get_journal&limit=1&offset=1"
    );
    let seqs: Vec<u64> = all_pages(&store, "x_get_journal&limit=1", "journal")
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    let after: Vec<u64> = all_pages(&store, "x_get_journal&since=1&limit=1", "journal")
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(after, vec![2, 3]);
    assert_eq!(ok(&store, "x_get_journal&since=3", Value::Null)["size"], 0);
}
