//! `trailstore runs` and `trailstore results`: test runs and their results, through the same
//! routes a TestRail client calls (get_runs, get_run, get_tests, add_run, close_run,
//! add_result_for_case, add_result).

use serde_json::{json, Map, Value};
use trailstore::{Error, Store};

use super::{body_from, list_all, query};
use crate::args::{ResultsAddArgs, RunsAddArgs, RunsListArgs, RunsShowArgs};
use crate::render;

/// The store's statuses as `get_statuses` lists them: the only source of status names and labels
/// (custom statuses included), so that nothing here hard-codes TestRail's five.
pub struct Statuses(Vec<Value>);

impl Statuses {
    pub fn load(store: &Store) -> Result<Statuses, Error> {
        match store.call("get_statuses", None)?.into_value() {
            Value::Array(list) => Ok(Statuses(list)),
            _ => Err(Error::Internal {
                detail: "get_statuses answered no list".into(),
            }),
        }
    }

    /// Every status, in the order `get_statuses` gives them.
    pub fn all(&self) -> &[Value] {
        &self.0
    }

    /// The label of status `id` (`Passed`), or the id itself for a status the store does not know.
    pub fn label(&self, id: &Value) -> String {
        self.0
            .iter()
            .find(|s| s["id"] == *id)
            .and_then(|s| s["label"].as_str())
            .map_or_else(|| format!("status {id}"), str::to_string)
    }

    /// A status given on the command line: an id as it is (the route checks it), else the status
    /// whose system name or label it is, in any case.
    pub fn resolve(&self, given: &str) -> Result<u64, Error> {
        let given = given.trim();
        if let Ok(id) = given.parse::<u64>() {
            return Ok(id);
        }
        let wanted = given.to_lowercase();
        let named =
            |s: &&Value, key: &str| s[key].as_str().is_some_and(|n| n.to_lowercase() == wanted);
        self.0
            .iter()
            .find(|s| named(s, "name"))
            .or_else(|| self.0.iter().find(|s| named(s, "label")))
            .and_then(|s| s["id"].as_u64())
            .ok_or_else(|| Error::Validation {
                field: "status_id".into(),
                message: format!(
                    "Unknown status \"{given}\": give a status id or one of {} (trailstore call get_statuses lists them).",
                    self.names()
                ),
            })
    }

    /// A comma-separated list of statuses (`failed,4`) as ids, in the order given.
    pub fn resolve_list(&self, given: &str) -> Result<Vec<u64>, Error> {
        given
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| self.resolve(s))
            .collect()
    }

    /// The names a status may be given by: the system name, and the label where it differs.
    fn names(&self) -> String {
        let names: Vec<String> = self
            .0
            .iter()
            .filter_map(|s| {
                let name = s["name"].as_str()?;
                Some(match s["label"].as_str() {
                    Some(l) if !l.eq_ignore_ascii_case(name) => format!("{name} (\"{l}\")"),
                    _ => name.to_string(),
                })
            })
            .collect();
        names.join(", ")
    }
}

/// A list of ids given as `1,2,3` (spaces allowed), for `--cases`.
fn id_list(flag: &str, text: &str) -> Result<Vec<u64>, Error> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_start_matches(['C', 'c'])
                .parse::<u64>()
                .map_err(|_| Error::BadRequest {
                    message: format!(
                        "{flag} takes ids separated by commas (12,13,20), got \"{s}\"."
                    ),
                })
        })
        .collect()
}

/// `trailstore runs list`: one page of a project's runs, filtered as `get_runs` filters.
pub fn list(store: &Store, a: RunsListArgs, human: bool) -> Result<(), Error> {
    let completed = match (a.open, a.completed) {
        (true, _) => Some(false),
        (_, true) => Some(true),
        _ => None,
    };
    let params = query(json!({
        "limit": a.limit,
        "offset": a.offset,
        "suite_id": a.suite,
        "is_completed": completed,
        "include_plan_runs": a.plan_runs.then_some(true),
    }));
    let page = store
        .call_with(&format!("get_runs/{}", a.project), &params, None)?
        .into_value();
    if human {
        render::run_table(&page, &Statuses::load(store)?, a.offset + a.limit);
    } else {
        render::json(&page);
    }
    Ok(())
}

/// `trailstore runs show ID`: the run, then its tests (every page), those of `--status` only.
pub fn show(store: &Store, a: RunsShowArgs, human: bool) -> Result<(), Error> {
    let statuses = Statuses::load(store)?;
    let run = store
        .call(&format!("get_run/{}", a.run_id), None)?
        .into_value();
    let status_ids = a
        .status
        .as_deref()
        .map(|s| statuses.resolve_list(s))
        .transpose()?;
    let tests = list_all(
        store,
        &format!("get_tests/{}", a.run_id),
        json!({ "status_id": status_ids }),
    )?;
    if human {
        render::run(&run, &statuses);
        render::tests(&tests, &statuses, status_ids.is_some());
    } else {
        render::json(&json!({ "run": run, "tests": tests }));
    }
    Ok(())
}

/// A user given as an id, or as an email looked up with `get_user_by_email`.
fn user_id(store: &Store, given: &str) -> Result<u64, Error> {
    if let Ok(id) = given.trim().parse::<u64>() {
        return Ok(id);
    }
    let user = store
        .call_with(
            "get_user_by_email",
            &query(json!({ "email": given.trim() })),
            None,
        )?
        .into_value();
    user["id"].as_u64().ok_or_else(|| Error::Internal {
        detail: "get_user_by_email answered a user without an id".into(),
    })
}

/// `trailstore runs add`: a run of every case of the suite, or of `--cases`.
pub fn add(store: &Store, a: RunsAddArgs, human: bool) -> Result<(), Error> {
    let mut body = Map::new();
    body.insert("name".into(), json!(a.name));
    if let Some(s) = a.suite {
        body.insert("suite_id".into(), json!(s));
    }
    match a.cases.as_deref() {
        Some(c) => {
            body.insert("include_all".into(), json!(false));
            body.insert("case_ids".into(), json!(id_list("--cases", c)?));
        }
        None => {
            body.insert("include_all".into(), json!(true));
        }
    }
    if let Some(m) = a.milestone {
        body.insert("milestone_id".into(), json!(m));
    }
    if let Some(d) = a.description {
        body.insert("description".into(), json!(d));
    }
    if let Some(u) = a.assign.as_deref() {
        body.insert("assignedto_id".into(), json!(user_id(store, u)?));
    }
    let run = store
        .call(
            &format!("add_run/{}", a.project),
            Some(&Value::Object(body)),
        )?
        .into_value();
    if human {
        out!("Added run R{}.", run["id"]);
        render::run(&run, &Statuses::load(store)?);
    } else {
        render::json(&run);
    }
    Ok(())
}

/// `trailstore runs close ID`.
pub fn close(store: &Store, run_id: u64, human: bool) -> Result<(), Error> {
    let run = store
        .call(&format!("close_run/{run_id}"), None)?
        .into_value();
    if human {
        out!("Closed run R{run_id}.");
        render::run(&run, &Statuses::load(store)?);
    } else {
        render::json(&run);
    }
    Ok(())
}

/// `trailstore results add`: one result, for a case of the run (`add_result_for_case`) or for
/// one of its tests (`add_result`).
pub fn add_result(store: &Store, a: ResultsAddArgs, human: bool) -> Result<(), Error> {
    let statuses = Statuses::load(store)?;
    let mut base = Map::new();
    if let Some(s) = a.status.as_deref() {
        base.insert("status_id".into(), json!(statuses.resolve(s)?));
    }
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            base.insert(k.into(), json!(v));
        }
    };
    put("comment", a.comment);
    put(
        "elapsed",
        (!a.elapsed.is_empty()).then(|| a.elapsed.join(" ")),
    );
    put("version", a.version);
    put("defects", a.defects);
    let body = body_from(&a.fields, base)?;
    let route = match (a.case, a.test) {
        (Some(case), _) => format!("add_result_for_case/{}/{case}", a.run),
        (None, None) => {
            return Err(Error::BadRequest {
                message: "Give the case (--case) or the test (--test) that gets the result.".into(),
            })
        }
        (None, Some(test)) => {
            // add_result names only the test: check that it is one of --run, as the flag says.
            let t = store.call(&format!("get_test/{test}"), None)?.into_value();
            if t["run_id"].as_u64() != Some(a.run) {
                return Err(Error::NotFound {
                    field: "test_id".into(),
                    message: format!(
                        "Test T{test} is not part of run R{} (it belongs to run R{}).",
                        a.run, t["run_id"]
                    ),
                });
            }
            format!("add_result/{test}")
        }
    };
    let result = store.call(&route, Some(&body))?.into_value();
    if human {
        let test = store
            .call(&format!("get_test/{}", result["test_id"]), None)?
            .into_value();
        out!(
            "Added result {} to T{} (C{} {}).",
            result["id"],
            result["test_id"],
            test["case_id"],
            render::cut(test["title"].as_str().unwrap_or(""), 60)
        );
        render::result(&result, &statuses);
        out!(
            "  test status now        {}",
            statuses.label(&test["status_id"])
        );
    } else {
        render::json(&result);
    }
    Ok(())
}
