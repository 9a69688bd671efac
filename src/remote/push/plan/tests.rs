//! The planning rules on hand-made journal entries, shaped as the routes write them (changes
//! built with `journal::diff`, as the handlers do). tests/push.rs runs the same rules against a
//! server.

use serde_json::{json, Value};

use super::{plan, Call, Changes, Op};
use crate::api::Method;
use crate::journal::{diff, Action, Effect, JournalEntry, PushState};
use crate::model::{Json, Kind, LOCAL_ID_MIN};

/// The first local id; `L + n` are the next ones.
const L: u64 = LOCAL_ID_MIN;

fn entry(seq: u64, route: &str, body: Value, effects: Vec<Effect>) -> JournalEntry {
    JournalEntry {
        seq,
        op_id: format!("op-{seq}"),
        route: route.into(),
        body: Json::from(&body),
        time: 0,
        user_id: 1,
        effects,
        state: PushState::Pending,
    }
}

fn effect(kind: Kind, id: u64, action: Action, old: Option<Value>, new: Option<Value>) -> Effect {
    Effect {
        kind,
        id,
        action,
        changes: diff(old.as_ref(), new.as_ref(), &["id"]),
    }
}

fn add_section(seq: u64, id: u64, project: u64, suite: u64) -> JournalEntry {
    let record = json!({"name": "Offline work", "suite_id": suite, "parent_id": null});
    entry(
        seq,
        &format!("add_section/{project}"),
        json!({"name": "Offline work"}),
        vec![effect(
            Kind::Section,
            id,
            Action::Create,
            None,
            Some(record),
        )],
    )
}

fn add_case(seq: u64, id: u64, section: u64, title: &str) -> JournalEntry {
    let record = json!({"title": title, "section_id": section, "suite_id": 1, "priority_id": 2});
    entry(
        seq,
        &format!("add_case/{section}"),
        json!({"title": title}),
        vec![effect(Kind::Case, id, Action::Create, None, Some(record))],
    )
}

fn edit_case(seq: u64, id: u64, old: Value, new: Value) -> JournalEntry {
    entry(
        seq,
        &format!("update_case/{id}"),
        new.clone(),
        vec![effect(Kind::Case, id, Action::Update, Some(old), Some(new))],
    )
}

fn delete_case(seq: u64, id: u64, suite: u64) -> JournalEntry {
    let record = json!({"title": "Gone", "section_id": 5, "suite_id": suite});
    entry(
        seq,
        &format!("delete_case/{id}"),
        Value::Null,
        vec![effect(Kind::Case, id, Action::Delete, Some(record), None)],
    )
}

fn move_cases(seq: u64, section: u64, suite: u64, ids: &[u64]) -> JournalEntry {
    let effects = ids
        .iter()
        .map(|id| {
            effect(
                Kind::Case,
                *id,
                Action::Move,
                Some(json!({"section_id": 5})),
                Some(json!({"section_id": section})),
            )
        })
        .collect();
    entry(
        seq,
        &format!("move_cases_to_section/{section}"),
        json!({"suite_id": suite, "case_ids": ids}),
        effects,
    )
}

fn plan_of(entries: &[JournalEntry]) -> Vec<Op> {
    plan(entries).expect("a plan")
}

fn seqs(ops: &[Op]) -> Vec<Vec<u64>> {
    ops.iter().map(|o| o.seqs.clone()).collect()
}

fn change(old: Option<Json>, new: Option<Json>) -> (Option<Json>, Option<Json>) {
    (old, new)
}

#[test]
fn edits_of_a_new_case_fold_into_its_add() {
    let ops = plan_of(&[
        add_section(1, L, 1, 1),
        add_case(2, L + 1, L, "Draft"),
        edit_case(
            3,
            L + 1,
            json!({"title": "Draft"}),
            json!({"title": "Final"}),
        ),
        edit_case(
            4,
            L + 1,
            json!({"priority_id": 2}),
            json!({"priority_id": 4}),
        ),
    ]);
    assert_eq!(seqs(&ops), [vec![1], vec![2, 3, 4]]);
    let Call::Create {
        kind,
        local,
        method,
        path,
        body,
        master_suite,
    } = &ops[1].call
    else {
        panic!("a create: {:?}", ops[1].call);
    };
    assert_eq!(
        (*kind, *local, *method),
        (Kind::Case, L + 1, Method::AddCase)
    );
    assert_eq!(
        path,
        &[(Kind::Section, L)],
        "the case goes in the new section"
    );
    assert_eq!(
        Value::Object(body.clone()),
        json!({"title": "Final", "priority_id": 4}),
        "the path ids are not in the body"
    );
    assert_eq!(*master_suite, None);
}

#[test]
fn edits_of_a_case_fold_into_one_update_that_keeps_the_first_base() {
    let ops = plan_of(&[
        edit_case(1, 30, json!({"title": "A"}), json!({"title": "First"})),
        edit_case(2, 30, json!({"title": "First"}), json!({"title": "Second"})),
        edit_case(3, 30, json!({"priority_id": 2}), json!({"priority_id": 4})),
    ]);
    assert_eq!(seqs(&ops), [vec![1, 2, 3]]);
    let mut want = Changes::new();
    want.insert(
        "title".into(),
        change(
            Some(Json::Str("A".into())),
            Some(Json::Str("Second".into())),
        ),
    );
    want.insert(
        "priority_id".into(),
        change(Some(Json::Int(2)), Some(Json::Int(4))),
    );
    assert_eq!(
        ops[0].call,
        Call::Update {
            kind: Kind::Case,
            id: 30,
            changes: want
        }
    );
}

#[test]
fn an_add_then_a_delete_sends_nothing_and_settles_both_entries() {
    let ops = plan_of(&[
        add_case(1, L, 5, "Never sent"),
        edit_case(
            2,
            L,
            json!({"title": "Never sent"}),
            json!({"title": "Still not"}),
        ),
        delete_case(3, L, 1),
    ]);
    assert_eq!(seqs(&ops), [vec![1, 2, 3]]);
    assert_eq!(ops[0].call, Call::Nothing);
}

#[test]
fn an_edit_then_a_delete_sends_only_the_delete() {
    let ops = plan_of(&[
        edit_case(1, 30, json!({"title": "A"}), json!({"title": "B"})),
        delete_case(2, 30, 1),
    ]);
    assert_eq!(seqs(&ops), [vec![1, 2]]);
    assert_eq!(
        ops[0].call,
        Call::Delete {
            kind: Kind::Case,
            id: 30,
            suite: Some(1)
        }
    );
}

#[test]
fn a_move_between_two_edits_keeps_them_apart_and_in_order() {
    let ops = plan_of(&[
        edit_case(1, 30, json!({"title": "A"}), json!({"title": "B"})),
        move_cases(2, 7, 1, &[30, 31]),
        edit_case(3, 30, json!({"title": "B"}), json!({"title": "C"})),
    ]);
    assert_eq!(seqs(&ops), [vec![1], vec![2], vec![3]]);
    assert!(matches!(ops[0].call, Call::Update { id: 30, .. }));
    assert_eq!(
        ops[1].call,
        Call::MoveCases {
            section: 7,
            suite: 1,
            ids: vec![30, 31]
        }
    );
    assert!(matches!(ops[2].call, Call::Update { id: 30, .. }));
}

#[test]
fn a_move_into_a_section_created_after_the_add_is_not_folded_into_it() {
    // The add runs before the section exists on the server, so it cannot go there.
    let ops = plan_of(&[
        add_case(1, L, 5, "Draft"),
        add_section(2, L + 1, 1, 1),
        edit_case(3, L, json!({"section_id": 5}), json!({"section_id": L + 1})),
    ]);
    assert_eq!(seqs(&ops), [vec![1], vec![2], vec![3]]);
    assert!(matches!(&ops[0].call, Call::Create { path, .. } if path == &[(Kind::Section, 5)]));
    assert!(matches!(ops[2].call, Call::Update { id, .. } if id == L));
}

#[test]
fn a_move_into_a_section_created_before_the_add_becomes_the_adds_path() {
    let ops = plan_of(&[
        add_section(1, L, 1, 1),
        add_case(2, L + 1, 5, "Draft"),
        edit_case(3, L + 1, json!({"section_id": 5}), json!({"section_id": L})),
    ]);
    assert_eq!(seqs(&ops), [vec![1], vec![2, 3]]);
    let Call::Create { path, body, .. } = &ops[1].call else {
        panic!("a create: {:?}", ops[1].call);
    };
    assert_eq!(path, &[(Kind::Section, L)]);
    assert!(!body.contains_key("section_id"));
}

#[test]
fn consecutive_case_deletes_in_one_suite_go_as_one_delete_cases() {
    let ops = plan_of(&[
        delete_case(1, 60, 1),
        delete_case(2, 61, 1),
        delete_case(3, 62, 1),
    ]);
    assert_eq!(seqs(&ops), [vec![1, 2, 3]]);
    assert_eq!(
        ops[0].call,
        Call::DeleteCases {
            suite: Some(1),
            ids: vec![60, 61, 62]
        }
    );
}

#[test]
fn case_deletes_in_another_suite_or_with_a_change_between_stay_apart() {
    let ops = plan_of(&[
        delete_case(1, 60, 1),
        delete_case(2, 70, 2),
        delete_case(3, 61, 1),
        edit_case(4, 80, json!({"title": "A"}), json!({"title": "B"})),
        delete_case(5, 62, 1),
    ]);
    assert_eq!(
        seqs(&ops),
        [vec![1], vec![2], vec![3], vec![4], vec![5]],
        "{ops:#?}"
    );
    let deleted: Vec<(u64, Option<u64>)> = ops
        .iter()
        .filter_map(|o| match o.call {
            Call::Delete { id, suite, .. } => Some((id, suite)),
            _ => None,
        })
        .collect();
    assert_eq!(
        deleted,
        [(60, Some(1)), (70, Some(2)), (61, Some(1)), (62, Some(1))]
    );
}

fn bulk_edit(route: &str) -> JournalEntry {
    entry(
        1,
        route,
        json!({"case_ids": [30, 31], "priority_id": 4}),
        vec![
            effect(
                Kind::Case,
                30,
                Action::Update,
                Some(json!({"priority_id": 2})),
                Some(json!({"priority_id": 4})),
            ),
            effect(
                Kind::Case,
                31,
                Action::Update,
                Some(json!({"priority_id": 3})),
                Some(json!({"priority_id": 4})),
            ),
        ],
    )
}

#[test]
fn update_cases_of_a_suite_is_one_bulk_update() {
    let ops = plan_of(&[bulk_edit("update_cases/1")]);
    assert_eq!(ops.len(), 1);
    let Call::UpdateCases { suite, cases } = &ops[0].call else {
        panic!("a bulk update: {:?}", ops[0].call);
    };
    assert_eq!(*suite, 1);
    let ids: Vec<u64> = cases.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [30, 31]);
    assert_eq!(
        cases[1].1["priority_id"],
        change(Some(Json::Int(3)), Some(Json::Int(4))),
        "each case keeps its own base"
    );
    assert_eq!(ops[0].touches, [(Kind::Case, 30), (Kind::Case, 31)]);
}

#[test]
fn update_cases_without_a_suite_is_one_update_per_case() {
    let ops = plan_of(&[bulk_edit("update_cases")]);
    assert_eq!(seqs(&ops), [vec![1], vec![1]]);
    assert!(matches!(
        ops[0].call,
        Call::Update {
            kind: Kind::Case,
            id: 30,
            ..
        }
    ));
    assert!(matches!(
        ops[1].call,
        Call::Update {
            kind: Kind::Case,
            id: 31,
            ..
        }
    ));
}

#[test]
fn a_section_move_names_its_parent_even_when_only_its_place_changes() {
    let moved = |seq: u64, old_parent: u64, new_parent: u64, after: Option<u64>| {
        let mut e = effect(
            Kind::Section,
            12,
            Action::Move,
            Some(json!({"parent_id": old_parent})),
            Some(json!({"parent_id": new_parent})),
        );
        e.changes.push(crate::journal::Change {
            field: "after_id".into(),
            old: None,
            new: after.map(|a| Json::Int(a as i64)),
        });
        entry(
            seq,
            "move_section/12",
            json!({"parent_id": new_parent, "after_id": after}),
            vec![e],
        )
    };
    let ops = plan_of(&[moved(1, 8, 9, None), moved(2, 9, 9, Some(14))]);
    assert_eq!(
        seqs(&ops),
        [vec![1], vec![2]],
        "section moves are not folded"
    );
    assert_eq!(
        ops[0].call,
        Call::MoveSection {
            id: 12,
            parent: Some(9),
            after: None
        }
    );
    assert_eq!(
        ops[1].call,
        Call::MoveSection {
            id: 12,
            parent: Some(9),
            after: Some(14)
        },
        "an unchanged parent is read from the request"
    );
}

#[test]
fn operations_follow_the_journal_order() {
    let ops = plan_of(&[
        add_section(1, L, 1, 1),
        add_case(2, L + 1, L, "In the new section"),
        edit_case(3, 30, json!({"title": "A"}), json!({"title": "B"})),
        move_cases(4, L, 1, &[30]),
        delete_case(5, 40, 1),
    ]);
    assert_eq!(seqs(&ops), [vec![1], vec![2], vec![3], vec![4], vec![5]]);
    assert!(matches!(
        ops[0].call,
        Call::Create {
            kind: Kind::Section,
            ..
        }
    ));
    assert!(matches!(
        ops[1].call,
        Call::Create {
            kind: Kind::Case,
            ..
        }
    ));
    assert!(matches!(ops[2].call, Call::Update { id: 30, .. }));
    assert!(matches!(ops[3].call, Call::MoveCases { section, .. } if section == L));
    assert!(matches!(ops[4].call, Call::Delete { id: 40, .. }));
}

#[test]
fn a_new_project_is_one_create_that_names_its_master_suite() {
    let e = entry(
        1,
        "add_project",
        json!({"name": "Kiosk"}),
        vec![
            effect(
                Kind::Project,
                L,
                Action::Create,
                None,
                Some(json!({"name": "Kiosk", "suite_mode": 1, "is_completed": false})),
            ),
            effect(
                Kind::Suite,
                L + 1,
                Action::Create,
                None,
                Some(json!({"name": "Master", "project_id": L, "is_master": true})),
            ),
        ],
    );
    let ops = plan_of(&[e]);
    assert_eq!(ops.len(), 1, "the server makes the master suite itself");
    let Call::Create {
        kind,
        local,
        path,
        body,
        master_suite,
        ..
    } = &ops[0].call
    else {
        panic!("a create: {:?}", ops[0].call);
    };
    assert_eq!((*kind, *local), (Kind::Project, L));
    assert!(path.is_empty());
    assert_eq!(
        Value::Object(body.clone()),
        json!({"name": "Kiosk", "suite_mode": 1})
    );
    assert_eq!(*master_suite, Some(L + 1));
}

#[test]
fn an_entry_left_in_flight_marks_what_it_folds_into() {
    let mut second = edit_case(2, 30, json!({"title": "B"}), json!({"title": "C"}));
    second.state = PushState::InFlight { since: 1 };
    let ops = plan_of(&[
        edit_case(1, 30, json!({"title": "A"}), json!({"title": "B"})),
        second,
    ]);
    assert_eq!(seqs(&ops), [vec![1, 2]]);
    assert!(
        ops[0].in_flight,
        "the next push must probe, not resend blindly"
    );
}

#[test]
fn a_read_route_in_the_journal_is_an_error() {
    let err = plan(&[entry(1, "get_case/1", Value::Null, Vec::new())]).unwrap_err();
    assert!(err.to_string().contains("cannot replay"), "{err}");
}
