//! How `trailstore` shows TestRail JSON to a person: tables, trees, a case, search highlights.
//! With `--json` none of this runs; the commands print the JSON itself.

use std::collections::HashMap;

use serde_json::Value;
use trailstore::{CaseField, SYSTEM_FIELDS};

use crate::commands::runs::Statuses;

/// Prints a line to standard output; a closed pipe (`trailstore ... | head`) ends the program
/// quietly instead of panicking.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout().lock(), $($t)*).is_err() {
            std::process::exit(0);
        }
    }};
}

/// Prints JSON as TestRail sends it, indented.
pub fn json(v: &Value) {
    out!(
        "{}",
        serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
    );
}

/// Cuts text to `n` characters, marking the cut with an ellipsis.
pub fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// One case: its id and title, its other system fields in TestRail's order, then its custom
/// fields (steps numbered).
pub fn case(c: &Value) {
    let s = |k: &str| match &c[k] {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    out!("C{}  {}", s("id"), s("title"));
    for k in SYSTEM_FIELDS
        .iter()
        .filter(|k| !matches!(**k, "id" | "title"))
    {
        out!("  {k:<22} {}", s(k));
    }
    if let Some(m) = c.as_object() {
        for (k, v) in m.iter().filter(|(k, _)| k.starts_with("custom_")) {
            match v {
                Value::Null => continue,
                Value::Array(steps) if k == "custom_steps_separated" => {
                    out!("  {k}:");
                    for (i, step) in steps.iter().enumerate() {
                        out!("    {}. {}", i + 1, step["content"].as_str().unwrap_or(""));
                        if let Some(e) = step["expected"].as_str().filter(|e| !e.is_empty()) {
                            out!("       → {e}");
                        }
                    }
                }
                Value::String(t) => out!("  {k:<22} {}", t.replace('\n', "\n  ")),
                v => out!("  {k:<22} {v}"),
            }
        }
    }
}

/// A page of `get_cases` as a table, with a last line that says how to see more.
pub fn case_table(page: &Value, next_offset: u64) {
    out!("{:>11}  {:>3}  {:>8}  TITLE", "ID", "PRI", "SECTION");
    for c in page["cases"].as_array().into_iter().flatten() {
        out!(
            "{:>11}  {:>3}  {:>8}  {}",
            format!("C{}", c["id"]),
            c["priority_id"].to_string(),
            c["section_id"].to_string(),
            cut(c["title"].as_str().unwrap_or(""), 70)
        );
    }
    let size = page["size"].as_u64().unwrap_or(0);
    if page["_links"]["next"].is_string() {
        out!("({size} shown; more with --offset {next_offset})");
    } else {
        out!("({size} cases)");
    }
}

/// Sections in tree order, indented by depth, each with its number of cases.
pub fn section_tree(sections: &[Value], cases: &[Value]) {
    let mut counts = HashMap::new();
    for c in cases {
        *counts
            .entry(c["section_id"].as_u64().unwrap_or(0))
            .or_insert(0) += 1;
    }
    for s in sections {
        let depth = s["depth"].as_u64().unwrap_or(0) as usize;
        let id = s["id"].as_u64().unwrap_or(0);
        out!(
            "{}{} [S{}] ({} cases)",
            "  ".repeat(depth),
            s["name"].as_str().unwrap_or(""),
            id,
            counts.get(&id).unwrap_or(&0)
        );
    }
}

/// One line per journal entry: sequence, push state, route and what it changed.
pub fn journal(entries: &[Value], since: u64) {
    if entries.is_empty() {
        out!(
            "The journal has no entries{}.",
            if since > 0 { " after that" } else { "" }
        );
    }
    for e in entries {
        let changes: Vec<String> = e["effects"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|eff| {
                let fields: Vec<&str> = eff["changes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c["field"].as_str())
                    .collect();
                format!(
                    "{} {} {}{}",
                    eff["action"].as_str().unwrap_or(""),
                    eff["entity"].as_str().unwrap_or(""),
                    eff["id"],
                    if fields.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", cut(&fields.join(", "), 60))
                    }
                )
            })
            .collect();
        out!(
            "#{:<5} {:<10} {:<28} {}",
            e["seq"].to_string(),
            e["push"]["state"].as_str().unwrap_or(""),
            cut(e["route"].as_str().unwrap_or(""), 28),
            changes.join("; ")
        );
    }
}

/// A case's history, newest first as TestRail gives it, each change as old → new.
pub fn history(entries: &[Value]) {
    for h in entries {
        out!(
            "#{} type {} at {} by user {}",
            h["id"],
            h["type_id"],
            h["created_on"],
            h["user_id"]
        );
        for c in h["changes"].as_array().into_iter().flatten() {
            out!(
                "    {}: {} → {}",
                c["field"].as_str().unwrap_or(""),
                cut(&c["old_value"].to_string(), 50),
                cut(&c["new_value"].to_string(), 50)
            );
        }
    }
}

/// A page of search results: id, score and title, then each field's highlighted snippet.
pub fn search_results(page: &Value, show_project: bool) {
    let results = page["results"].as_array().cloned().unwrap_or_default();
    let (on, off) = if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("*", "*")
    };
    for r in &results {
        let c = &r["case"];
        let project = if show_project {
            format!("P{}  ", r["project_id"])
        } else {
            String::new()
        };
        out!(
            "{:>11}  {:>6.2}  {project}{}",
            format!("C{}", c["id"]),
            r["score"].as_f64().unwrap_or(0.0),
            cut(c["title"].as_str().unwrap_or(""), 80)
        );
        for (field, html) in r["highlights"].as_object().into_iter().flatten() {
            if field == "title" {
                continue;
            }
            let text = html
                .as_str()
                .unwrap_or("")
                .replace("<b>", on)
                .replace("</b>", off)
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#x27;", "'")
                .replace("&amp;", "&")
                .replace('\n', " ");
            out!("{:>21}{field}: {}", "", text);
        }
    }
    out!(
        "({} of {} matches shown)",
        results.len(),
        page["total"].as_u64().unwrap_or(results.len() as u64)
    );
}

/// The case fields, one a line: system name, type, label, and whether required or inactive.
pub fn fields(list: &[CaseField]) {
    for f in list {
        out!(
            "{:<28} {:<13} {}{}{}",
            f.system_name,
            f.field_type().name(),
            f.label,
            if f.is_required_anywhere() {
                "  (required)"
            } else {
                ""
            },
            if f.is_active { "" } else { "  (inactive)" },
        );
    }
}

/// The open conflicts, one a line: key, local value, base value, server value.
pub fn conflicts(list: &[Value]) {
    if list.is_empty() {
        out!("No conflicts.");
    }
    for c in list {
        out!(
            "{}: {} (was {}; server has {})",
            c["key"].as_str().unwrap_or(""),
            cut(&format!("local {}", c["local"]), 60),
            cut(&c["base"].to_string(), 40),
            cut(&c["server"].to_string(), 60)
        );
    }
}

/// A run's counts as `1 Passed, 2 Untested`: every non-zero `*_count` member in TestRail's order,
/// each named by the label of the status whose system name it carries (`custom_status1_count` is
/// the custom status named `custom_status1`), so custom statuses show as the store names them.
fn run_counts(run: &Value, statuses: &Statuses) -> (u64, String) {
    let mut total = 0;
    let mut parts = Vec::new();
    for (key, n) in run.as_object().into_iter().flatten() {
        let (Some(name), Some(n)) = (key.strip_suffix("_count"), n.as_u64()) else {
            continue;
        };
        total += n;
        if n > 0 {
            let label = statuses
                .all()
                .iter()
                .find(|s| s["name"].as_str() == Some(name))
                .and_then(|s| s["label"].as_str())
                .unwrap_or(name);
            parts.push(format!("{n} {label}"));
        }
    }
    (total, parts.join(", "))
}

fn yes_no(v: &Value) -> &'static str {
    if v.as_bool() == Some(true) {
        "yes"
    } else {
        "no"
    }
}

/// A page of `get_runs` as a table, with a last line that says how to see more.
pub fn run_table(page: &Value, statuses: &Statuses, next_offset: u64) {
    out!(
        "{:>11}  {:>5}  {:<4}  {:<40}  COUNTS",
        "ID",
        "TESTS",
        "DONE",
        "NAME"
    );
    for r in page["runs"].as_array().into_iter().flatten() {
        let (total, counts) = run_counts(r, statuses);
        out!(
            "{:>11}  {:>5}  {:<4}  {:<40}  {}",
            format!("R{}", r["id"]),
            total,
            yes_no(&r["is_completed"]),
            cut(r["name"].as_str().unwrap_or(""), 40),
            counts
        );
    }
    let size = page["size"].as_u64().unwrap_or(0);
    if page["_links"]["next"].is_string() {
        out!("({size} shown; more with --offset {next_offset})");
    } else {
        out!("({size} run{})", if size == 1 { "" } else { "s" });
    }
}

/// A run's header: id and name, where it belongs, whether it is completed, its counts.
pub fn run(r: &Value, statuses: &Statuses) {
    let s = |k: &str| match &r[k] {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    out!("R{}  {}", s("id"), s("name"));
    out!(
        "  project P{}  suite S{}  plan {}  milestone {}  assigned to {}",
        s("project_id"),
        s("suite_id"),
        s("plan_id"),
        s("milestone_id"),
        s("assignedto_id")
    );
    if !r["config"].is_null() {
        out!("  configuration          {}", s("config"));
    }
    out!("  completed              {}", yes_no(&r["is_completed"]));
    let (total, counts) = run_counts(r, statuses);
    out!(
        "  tests                  {total}{}",
        if counts.is_empty() {
            String::new()
        } else {
            format!(": {counts}")
        }
    );
    if !r["description"].is_null() {
        out!(
            "  description            {}",
            s("description").replace('\n', "\n  ")
        );
    }
}

/// A run's tests, one a line: test id, case id, status label, title.
pub fn tests(tests: &[Value], statuses: &Statuses, filtered: bool) {
    if tests.is_empty() {
        out!(
            "(no tests{})",
            if filtered { " with those statuses" } else { "" }
        );
        return;
    }
    out!("{:>11}  {:>11}  {:<12}  TITLE", "TEST", "CASE", "STATUS");
    for t in tests {
        out!(
            "{:>11}  {:>11}  {:<12}  {}",
            format!("T{}", t["id"]),
            format!("C{}", t["case_id"]),
            cut(&statuses.label(&t["status_id"]), 12),
            cut(t["title"].as_str().unwrap_or(""), 70)
        );
    }
    out!(
        "({} test{})",
        tests.len(),
        if tests.len() == 1 { "" } else { "s" }
    );
}

/// One result: its status (by label) and every field it has a value for.
pub fn result(r: &Value, statuses: &Statuses) {
    if !r["status_id"].is_null() {
        out!(
            "  status                 {}",
            statuses.label(&r["status_id"])
        );
    }
    for (k, v) in r.as_object().into_iter().flatten() {
        let shown = matches!(
            k.as_str(),
            "comment" | "elapsed" | "version" | "defects" | "assignedto_id"
        ) || k.starts_with("custom_");
        match v {
            _ if !shown => {}
            Value::Null => {}
            Value::String(t) => out!("  {k:<22} {}", t.replace('\n', "\n  ")),
            v => out!("  {k:<22} {v}"),
        }
    }
}
