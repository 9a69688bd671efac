//! Custom case fields (testrail-api.md §2.5, §6): every type valid and invalid, required fields,
//! per-project contexts and options, templates, inactive fields, add_case_field.

mod common;

use common::*;
use serde_json::{json, Value};
use trailstore::ErrorCode;

/// Section 17 is in project 1 (Web Shop); section 42 in project 2 (Mobile App, suite 2).
fn web(extra: Value) -> Value {
    let mut body = json!({"title": "Field check", "custom_component": 1});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

#[test]
fn every_type_accepts_valid_values() {
    let (_d, store) = sample();
    let c = ok(
        &store,
        "add_case/17",
        web(json!({
            "template_id": 2,
            "custom_automation_id": "auto.checkout.saved_card",
            "custom_story_points": 5,
            "custom_preconds": "A **paid** order",
            "custom_spec_url": "https://wiki.example.com/spec?id=4#x",
            "custom_is_flaky": true,
            "custom_automation_type": 2,
            "custom_reviewer": 3,
            "custom_last_verified": "11/22/2026",
            "custom_steps_separated": [
                {"content": "Open the order", "expected": "Order page shows", "additional_info": "", "refs": ""},
                {"shared_step_id": 7}
            ],
        })),
    );
    assert_eq!(c["custom_automation_id"], "auto.checkout.saved_card");
    assert_eq!(c["custom_story_points"], 5);
    assert_eq!(c["custom_spec_url"], "https://wiki.example.com/spec?id=4#x");
    assert_eq!(c["custom_is_flaky"], true);
    assert_eq!(c["custom_automation_type"], 2);
    assert_eq!(c["custom_reviewer"], 3);
    assert_eq!(c["custom_last_verified"], "11/22/2026");
    assert_eq!(c["custom_steps_separated"][1]["shared_step_id"], 7);
    assert_eq!(c["custom_steps_separated"].as_array().unwrap().len(), 2);
    // Multi-select and Milestone in project 2.
    let m = ok(
        &store,
        "add_case/42",
        json!({"title": "Platforms", "custom_platforms": [1, 4], "custom_target_milestone": 5, "custom_component": 3}),
    );
    assert_eq!(m["custom_platforms"], json!([1, 4]));
    assert_eq!(m["custom_target_milestone"], 5);
    // Forms clients send: integers as strings, checkbox as 0/1, ISO dates.
    let c = ok(
        &store,
        "add_case/17",
        web(
            json!({"custom_story_points": "8", "custom_is_flaky": 0, "custom_last_verified": "2026-11-22", "custom_automation_type": "3"}),
        ),
    );
    assert_eq!(c["custom_story_points"], 8);
    assert_eq!(c["custom_is_flaky"], false);
    assert_eq!(c["custom_automation_type"], 3);
    assert_eq!(c["custom_last_verified"], "2026-11-22");
    // Exactly 250 characters of String, with 4-byte characters.
    let s = "🦀".repeat(250);
    let c = ok(
        &store,
        "add_case/17",
        web(json!({"custom_automation_id": s})),
    );
    assert_eq!(c["custom_automation_id"].as_str().unwrap(), s);
}

#[test]
fn every_type_refuses_invalid_values_and_writes_nothing() {
    let (_d, store) = sample();
    let version = store.data_version().unwrap();
    let bad: &[(Value, &str, &str)] = &[
        (json!({"custom_automation_id": "x".repeat(251)}), "custom_automation_id", "Field :custom_automation_id is too long (250 characters at most)."),
        (json!({"custom_automation_id": 12}), "custom_automation_id", "Field :custom_automation_id is not a valid string."),
        (json!({"custom_story_points": "many"}), "custom_story_points", "Field :custom_story_points is not a valid integer."),
        (json!({"custom_story_points": 1.5}), "custom_story_points", "Field :custom_story_points is not a valid integer."),
        (json!({"custom_preconds": ["a"]}), "custom_preconds", "Field :custom_preconds is not a valid string."),
        (json!({"custom_spec_url": "not a url"}), "custom_spec_url", "Field :custom_spec_url is not a valid URL."),
        (json!({"custom_spec_url": "https://"}), "custom_spec_url", "Field :custom_spec_url is not a valid URL."),
        (json!({"custom_is_flaky": "maybe"}), "custom_is_flaky", "Field :custom_is_flaky is not a valid boolean."),
        (json!({"custom_automation_type": 9}), "custom_automation_type", "Field :custom_automation_type contains an item that is not a valid option of this field."),
        (json!({"custom_automation_type": "Selenium"}), "custom_automation_type", "Field :custom_automation_type is not a valid integer."),
        // Item 5 does not exist in project 1's config of custom_component (1-4).
        (json!({"custom_component": 5}), "custom_component", "Field :custom_component contains an item that is not a valid option of this field."),
        (json!({"custom_reviewer": 99}), "custom_reviewer", "Field :custom_reviewer is not a valid user."),
        (json!({"custom_reviewer": "bob"}), "custom_reviewer", "Field :custom_reviewer is not a valid ID."),
        (json!({"custom_last_verified": "22.11.2026"}), "custom_last_verified", "Field :custom_last_verified is not a valid date."),
        (json!({"custom_last_verified": "13/40/2026"}), "custom_last_verified", "Field :custom_last_verified is not a valid date."),
        (json!({"custom_last_verified": 1763769600}), "custom_last_verified", "Field :custom_last_verified is not a valid date."),
        (json!({"template_id": 2, "custom_steps_separated": "do it"}), "custom_steps_separated", "Field :custom_steps_separated is not a valid array."),
        (json!({"template_id": 2, "custom_steps_separated": ["do it"]}), "custom_steps_separated", ""),
        (json!({"template_id": 2, "custom_steps_separated": [{"content": 5}]}), "custom_steps_separated", ""),
    ];
    for (extra, field, message) in bad {
        let e = err(&store, "add_case/17", web(extra.clone()));
        assert_eq!(e.field(), Some(*field), "{extra}");
        if !message.is_empty() {
            assert_eq!(e.to_string(), *message);
        }
        assert!(matches!(
            e.code(),
            ErrorCode::Validation | ErrorCode::NotFound
        ));
        // And the same through update_case.
        let e = err(&store, "update_case/1", extra.clone());
        assert_eq!(e.field(), Some(*field), "update {extra}");
    }
    let bad2: &[(Value, &str, &str)] = &[
        (
            json!({"custom_platforms": 1}),
            "custom_platforms",
            "Field :custom_platforms is not a valid array.",
        ),
        (
            json!({"custom_platforms": [1, 9]}),
            "custom_platforms",
            "Field :custom_platforms contains an item that is not a valid option of this field.",
        ),
        (
            json!({"custom_platforms": [1], "custom_target_milestone": 1}),
            "custom_target_milestone",
            "Field :custom_target_milestone is not a valid milestone.",
        ),
        // Item 4 is valid for custom_component in project 1 but not in project 2's config.
        (
            json!({"custom_platforms": [1], "custom_component": 4}),
            "custom_component",
            "Field :custom_component contains an item that is not a valid option of this field.",
        ),
    ];
    for (extra, field, message) in bad2 {
        let mut body = json!({"title": "P2"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let e = err(&store, "add_case/42", body);
        assert_error(&e, message, Some(field));
    }
    assert_eq!(store.data_version().unwrap(), version, "nothing written");
    assert!(journal(&store).is_empty());
}

#[test]
fn required_fields_follow_the_project_context() {
    let (_d, store) = sample();
    // custom_component is required in project 1, optional in project 2.
    assert_error(
        &err(&store, "add_case/17", json!({"title": "t"})),
        "Field :custom_component is a required field.",
        Some("custom_component"),
    );
    assert_error(
        &err(
            &store,
            "add_case/17",
            json!({"title": "t", "custom_component": null}),
        ),
        "Field :custom_component is a required field.",
        Some("custom_component"),
    );
    // custom_platforms is required in project 2; an empty list counts as missing.
    assert_error(
        &err(&store, "add_case/42", json!({"title": "t"})),
        "Field :custom_platforms is a required field.",
        Some("custom_platforms"),
    );
    assert_error(
        &err(
            &store,
            "add_case/42",
            json!({"title": "t", "custom_platforms": []}),
        ),
        "Field :custom_platforms is a required field.",
        Some("custom_platforms"),
    );
    ok(
        &store,
        "add_case/42",
        json!({"title": "t", "custom_platforms": [2]}),
    );
    // A partial update need not repeat required fields.
    ok(&store, "update_case/1", json!({"title": "Renamed"}));
}

#[test]
fn fields_of_other_projects_templates_or_inactive_are_ignored() {
    let (_d, store) = sample();
    let c = ok(
        &store,
        "add_case/17",
        web(json!({
            "custom_platforms": [1],          // project 2 only
            "custom_target_milestone": 4,     // project 2 only
            "custom_legacy_notes": "old",     // inactive
            "custom_mission": "explore",      // template 3 only; this case uses template 1
            "custom_nonexistent": 1,
        })),
    );
    for k in [
        "custom_platforms",
        "custom_target_milestone",
        "custom_legacy_notes",
        "custom_nonexistent",
    ] {
        assert!(c.get(k).is_none(), "{k} should not be on a project 1 case");
    }
    assert_eq!(c["custom_mission"], Value::Null);
    // With template 3 the exploratory fields apply.
    let e = ok(
        &store,
        "add_case/17",
        web(json!({"template_id": 3, "custom_mission": "explore", "custom_goals": "find bugs"})),
    );
    assert_eq!(e["custom_mission"], "explore");
    assert_eq!(e["custom_goals"], "find bugs");
}

#[test]
fn add_case_field_creates_a_field_cases_can_use() {
    let (_d, store) = sample();
    let f = ok(
        &store,
        "add_case_field",
        json!({
            "type": "Dropdown", "name": "env", "label": "Environment", "description": "Where it runs",
            "include_all": true,
            "configs": [{"context": {"is_global": false, "project_ids": [1]},
                         "options": {"is_required": false, "default_value": "1", "items": "1, Dev\n2, Prod"}}]
        }),
    );
    assert_eq!(f["system_name"], "custom_env");
    assert_eq!(f["type_id"], 6);
    assert_eq!(f["is_active"], 1);
    assert_eq!(f["include_all"], 1);
    assert!(
        f["configs"].is_string(),
        "add_case_field echoes configs as a JSON string"
    );
    let configs: Value = serde_json::from_str(f["configs"].as_str().unwrap()).unwrap();
    assert_eq!(configs[0]["context"]["project_ids"], json!([1]));
    // It is listed and usable at once (also within the same batch).
    let fields = ok(&store, "get_case_fields", Value::Null);
    assert!(fields
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["system_name"] == "custom_env"));
    let c = ok(&store, "add_case/17", web(json!({"custom_env": 2})));
    assert_eq!(c["custom_env"], 2);
    assert_error(
        &err(&store, "add_case/17", web(json!({"custom_env": 3}))),
        "Field :custom_env contains an item that is not a valid option of this field.",
        Some("custom_env"),
    );
    assert!(ok(&store, "get_case/1", Value::Null)
        .get("custom_env")
        .is_some());
    assert!(
        ok(&store, "get_case/250", Value::Null)
            .get("custom_env")
            .is_none(),
        "project 2"
    );
    // Type numbers must be strings, names are required, system names unique.
    assert_error(
        &err(
            &store,
            "add_case_field",
            json!({"type": 5, "name": "x", "label": "X", "configs": [{"context": {"is_global": true}, "options": {}}]}),
        ),
        "Invalid or missing custom field type. Please check the Type field.",
        Some("type"),
    );
    let g = ok(
        &store,
        "add_case_field",
        json!({"type": "5", "name": "gated", "label": "Gated", "configs": [{"context": {"is_global": true, "project_ids": ""}, "options": {"is_required": false}}]}),
    );
    assert_eq!(g["type_id"], 5);
    assert_error(
        &err(
            &store,
            "add_case_field",
            json!({"type": "String", "label": "X", "configs": [{"context": {"is_global": true}, "options": {}}]}),
        ),
        "Field 'name' is a required field.",
        Some("name"),
    );
    assert_error(
        &err(
            &store,
            "add_case_field",
            json!({"type": "String", "name": "y", "configs": [{"context": {"is_global": true}, "options": {}}]}),
        ),
        "Field 'label' is a required field.",
        Some("label"),
    );
    let e = err(
        &store,
        "add_case_field",
        json!({"type": "String", "name": "env", "label": "Again", "configs": [{"context": {"is_global": true}, "options": {}}]}),
    );
    assert_eq!(e.field(), Some("name"));
    let e = err(
        &store,
        "add_case_field",
        json!({"type": "Multiselect", "name": "tags", "label": "Tags", "configs": [{"context": {"is_global": true}, "options": {}}]}),
    );
    assert_eq!(e.field(), Some("configs"));
    // A batch that adds a field and uses it sees its own field.
    let mut batch = store.batch().unwrap();
    batch.call("add_case_field", Some(&json!({"type": "Integer", "name": "risk", "label": "Risk", "include_all": true, "configs": [{"context": {"is_global": true}, "options": {"is_required": true}}]}))).unwrap();
    let e = batch
        .call("add_case/17", Some(&web(json!({}))))
        .unwrap_err();
    assert_eq!(e.to_string(), "Field :custom_risk is a required field.");
    let c = batch
        .call("add_case/17", Some(&web(json!({"custom_risk": 3}))))
        .unwrap()
        .into_value();
    assert_eq!(c["custom_risk"], 3);
    batch.commit().unwrap();
    assert_eq!(
        ok(&store, &format!("get_case/{}", c["id"]), Value::Null)["custom_risk"],
        3
    );
}
