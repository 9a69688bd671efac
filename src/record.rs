//! Recording results with typed values: [`Store::add_results_for_cases`], the fast path of the
//! fronts that have results as values rather than JSON text (the C library's
//! `trailstore_results_add_for_cases`). It builds the same request `add_results_for_cases/{run}`
//! takes and runs it through the dispatcher, so every rule, the journal entry and the answer are
//! the route's; only the JSON text on either side is saved.

use serde_json::{Map, Value};

use crate::api::Request;
use crate::error::{Error, Result};
use crate::store::{Batch, Store};

/// One result for a case of a run (the fields of an `add_results_for_cases` entry).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseResult {
    pub case_id: u64,
    pub status_id: Option<u64>,
    pub comment: Option<String>,
    pub elapsed: Option<String>,
    pub version: Option<String>,
    pub defects: Option<String>,
    pub assignedto_id: Option<u64>,
    /// Custom result fields (`custom_*`) and anything else the entry carries, as JSON values.
    pub fields: Map<String, Value>,
}

impl CaseResult {
    /// The entry as `add_results_for_cases` takes it.
    pub fn to_json(&self) -> Value {
        let mut m = self.fields.clone();
        m.insert("case_id".into(), self.case_id.into());
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.into(), v);
            }
        };
        put("status_id", self.status_id.map(Value::from));
        put("comment", self.comment.clone().map(Value::from));
        put("elapsed", self.elapsed.clone().map(Value::from));
        put("version", self.version.clone().map(Value::from));
        put("defects", self.defects.clone().map(Value::from));
        put("assignedto_id", self.assignedto_id.map(Value::from));
        Value::Object(m)
    }
}

fn request(run_id: u64, results: &[CaseResult]) -> Result<Request> {
    let body = serde_json::json!({
        "results": results.iter().map(CaseResult::to_json).collect::<Vec<_>>(),
    });
    Request::parse(&format!("add_results_for_cases/{run_id}"), Some(&body))
}

/// The ids of the results an `add_results_for_cases` answer lists, in order.
fn ids(answer: crate::Answer) -> Result<Vec<u64>> {
    match answer.into_response().into_value() {
        Value::Array(items) => items
            .iter()
            .map(|r| {
                r.get("id")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| Error::internal("a new result has no id"))
            })
            .collect(),
        _ => Err(Error::internal("add_results_for_cases answered no list")),
    }
}

impl Store {
    /// Adds results to cases of run `run_id` in one durable transaction, exactly as the route
    /// `add_results_for_cases/{run_id}` does (all or nothing, TestRail's messages), and returns
    /// the new results' ids in the order given.
    pub fn add_results_for_cases(&self, run_id: u64, results: &[CaseResult]) -> Result<Vec<u64>> {
        ids(self.answer_request(&request(run_id, results)?)?)
    }
}

impl Batch {
    /// [`Store::add_results_for_cases`] inside the batch.
    pub fn add_results_for_cases(
        &mut self,
        run_id: u64,
        results: &[CaseResult],
    ) -> Result<Vec<u64>> {
        ids(self.answer_request(&request(run_id, results)?)?)
    }
}
