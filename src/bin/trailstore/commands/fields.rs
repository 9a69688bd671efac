//! `trailstore fields`: the custom case fields.

use serde_json::Value;
use trailstore::{Error, Store};

use crate::args::FieldsArgs;
use crate::render;

/// `trailstore fields [--project P]`: every case field, or those that apply to project P.
pub fn fields(store: &Store, a: FieldsArgs, human: bool) -> Result<(), Error> {
    let fields = store.call("get_case_fields", None)?.into_value();
    let list: Vec<&Value> = fields
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| {
            a.project.is_none_or(|p| {
                f["configs"].as_array().is_some_and(|cs| {
                    cs.is_empty()
                        || cs.iter().any(|c| {
                            c["context"]["is_global"] == true
                                || c["context"]["project_ids"]
                                    .as_array()
                                    .is_some_and(|ids| ids.iter().any(|i| i == p))
                        })
                })
            })
        })
        .collect();
    if human {
        render::fields(&list);
    } else {
        render::json(&Value::Array(list.into_iter().cloned().collect()));
    }
    Ok(())
}
