//! What a freshly installed TestRail has before anyone configures it: the reference data `init`
//! writes, so that a store made without a snapshot takes a case with `priority_id` 2 and
//! template 2, validates `assignedto_id`, and pushes to a fresh server.
//!
//! Written once, as data, with where each fact comes from. The facts are from TestRail's API
//! documentation and from public client code (the project's reference notes on the TestRail API,
//! sections on case fields, case types, priorities, templates, users and statuses). Where the
//! sources do not settle a value, the choice is marked "chosen" and says why.
//!
//! These rows are server base state, never local changes: nothing here is journaled or pushed.
//! The first snapshot import or pull that brings the server's lists replaces them (see
//! `snapshot::replace_defaults`).

use serde_json::{json, Value};

/// Priorities: `(id, name, short_name, is_default)`; `priority` is the sort order, equal to the
/// id. Chosen: TestRail 5 and later ship Low, Medium, High, Critical with Medium the default
/// (the API documentation's own example shows an older, customised list).
const PRIORITIES: &[(u64, &str, &str, bool)] = &[
    (1, "Low", "Low", false),
    (2, "Medium", "Medium", true),
    (3, "High", "High", false),
    (4, "Critical", "Critical", false),
];

/// Case types: `(id, name, is_default)`. The reference lists these twelve as the out-of-the-box
/// list of current versions (not confirmed on a fresh install); Other is the documentation's
/// default.
const CASE_TYPES: &[(u64, &str, bool)] = &[
    (1, "Acceptance", false),
    (2, "Accessibility", false),
    (3, "Automated", false),
    (4, "Compatibility", false),
    (5, "Destructive", false),
    (6, "Functional", false),
    (7, "Other", true),
    (8, "Performance", false),
    (9, "Regression", false),
    (10, "Security", false),
    (11, "Smoke & Sanity", false),
    (12, "Usability", false),
];

/// Templates: `(id, name, i18n_custom_id, is_default)`, ids and i18n names as the documentation's
/// example gives them; Test Case (Text) is the default. Every new project gets them all.
const TEMPLATES: &[(u64, &str, &str, bool)] = &[
    (1, "Test Case (Text)", "templates_test_case_text", true),
    (2, "Test Case (Steps)", "templates_test_case_steps", false),
    (
        3,
        "Exploratory Session",
        "templates_exploratory_session",
        false,
    ),
];

/// The system case fields each template uses: `(id, name, label, type_id, template ids)`.
/// Names, labels, types and templates are TestRail's; the ids are chosen (a fresh install numbers
/// them in this order as far as the sources show, but nothing confirms it). Every one has the
/// global context.
const CASE_FIELDS: &[(u64, &str, &str, i64, &[u64])] = &[
    (1, "preconds", "Preconditions", 3, &[1, 2]),
    (2, "steps", "Steps", 3, &[1]),
    (3, "expected", "Expected Result", 3, &[1]),
    (4, "steps_separated", "Steps", 10, &[2]),
    (5, "mission", "Mission", 3, &[3]),
    (6, "goals", "Goals", 3, &[3]),
];

type StatusRow = (u64, &'static str, &'static str, i64, i64, i64, bool, bool);

/// The system statuses: `(id, name, label, color_dark, color_medium, color_bright, is_untested,
/// is_final)`. Ids and names are documented; passed and failed are final in trcli's test data,
/// and the others are chosen as not final (a retest or a blocked test is not done). Colours are
/// RGB integers: green, grey, light grey, amber and red, chosen to match TestRail's palette (the
/// exact values of a fresh install are not confirmed).
const STATUSES: &[StatusRow] = &[
    (
        1, "passed", "Passed", 6667107, 9820525, 12709313, false, true,
    ),
    (
        2, "blocked", "Blocked", 9474192, 13684944, 14737632, false, false,
    ),
    (
        3, "untested", "Untested", 11579568, 15395562, 15790320, true, false,
    ),
    (
        4, "retest", "Retest", 13026868, 15593088, 16448182, false, false,
    ),
    (
        5, "failed", "Failed", 14250867, 15829135, 16631751, false, true,
    ),
];

/// The store's own user, recorded as the author of local changes; `init` lets a user choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalUser {
    pub id: u64,
    pub name: String,
    pub email: String,
}

impl Default for LocalUser {
    /// Chosen: id 1, as the first user of a fresh TestRail (its administrator) has.
    fn default() -> Self {
        LocalUser {
            id: 1,
            name: "trailstore".into(),
            email: "trailstore@localhost".into(),
        }
    }
}

fn global_config(id: u64, options: Value) -> Value {
    json!([{
        "id": format!("default-{id}"),
        "context": {"is_global": true, "project_ids": null},
        "options": options,
    }])
}

/// A fresh TestRail's reference data, in the snapshot format, for `user`.
pub(crate) fn fresh_install(user: &LocalUser) -> Value {
    let priorities: Vec<Value> = PRIORITIES
        .iter()
        .map(|(id, name, short, default)| {
            json!({"id": id, "name": name, "short_name": short, "is_default": default,
                   "priority": id})
        })
        .collect();
    let case_types: Vec<Value> = CASE_TYPES
        .iter()
        .map(|(id, name, default)| json!({"id": id, "name": name, "is_default": default}))
        .collect();
    let templates: Vec<Value> = TEMPLATES
        .iter()
        .map(|(id, name, i18n, default)| {
            json!({"id": id, "name": name, "is_default": default, "i18n_custom_id": i18n})
        })
        .collect();
    let case_fields: Vec<Value> = CASE_FIELDS
        .iter()
        .enumerate()
        .map(|(i, (id, name, label, type_id, templates))| {
            let options = if *type_id == 10 {
                json!({"is_required": false, "format": "markdown", "has_expected": true,
                       "rows": "5"})
            } else {
                json!({"is_required": false, "default_value": "", "format": "markdown",
                       "rows": "7"})
            };
            json!({
                "id": id, "name": name, "system_name": format!("custom_{name}"),
                "label": label, "description": null, "type_id": type_id,
                "display_order": i + 1, "configs": global_config(*id, options),
                "include_all": false, "template_ids": templates, "is_active": true,
            })
        })
        .collect();
    let statuses: Vec<Value> = STATUSES
        .iter()
        .map(|(id, name, label, dark, medium, bright, untested, fin)| {
            json!({"id": id, "name": name, "label": label, "color_dark": dark,
                   "color_medium": medium, "color_bright": bright, "is_system": true,
                   "is_untested": untested, "is_final": fin})
        })
        .collect();
    // Step Results (type 11) on the Steps template: what the Steps template records per step.
    let result_fields = json!([{
        "id": 1, "name": "step_results", "system_name": "custom_step_results",
        "label": "Steps", "description": null, "type_id": 11, "display_order": 1,
        "configs": global_config(1, json!({"is_required": false, "format": "markdown",
                                           "has_expected": true, "has_actual": true})),
        "include_all": false, "template_ids": [2], "is_active": true,
    }]);
    json!({
        "users": [{"id": user.id, "name": user.name, "email": user.email, "is_active": true,
                   "role_id": 1, "role": "Lead"}],
        "priorities": priorities,
        "case_types": case_types,
        "templates": templates,
        "case_fields": case_fields,
        "statuses": statuses,
        "result_fields": result_fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_default_of_each_kind_and_every_template_has_its_fields() {
        for (key, n) in [("priorities", 1), ("case_types", 1), ("templates", 1)] {
            let install = fresh_install(&LocalUser::default());
            let defaults = install[key]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| v["is_default"] == true)
                .count();
            assert_eq!(defaults, n, "{key}");
        }
        for (template, _, _, _) in TEMPLATES {
            assert!(CASE_FIELDS.iter().any(|f| f.4.contains(template)));
        }
        let statuses: Vec<_> = STATUSES.iter().map(|s| (s.0, s.1)).collect();
        assert_eq!(
            statuses,
            [
                (1, "passed"),
                (2, "blocked"),
                (3, "untested"),
                (4, "retest"),
                (5, "failed")
            ]
        );
        assert_eq!(STATUSES.iter().filter(|s| s.6).count(), 1);
    }
}
