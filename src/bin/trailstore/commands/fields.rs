//! `trailstore fields`: the custom case fields.

use serde_json::Value;
use trailstore::{CaseField, Error, Store};

use crate::args::FieldsArgs;
use crate::render;

/// `trailstore fields [--project P]`: every case field, or those that apply to project P.
pub fn fields(store: &Store, a: FieldsArgs, human: bool) -> Result<(), Error> {
    let list: Vec<CaseField> = store
        .case_fields()
        .into_iter()
        .filter(|f| a.project.is_none_or(|p| f.applies_to(p)))
        .collect();
    if human {
        render::fields(&list);
    } else {
        render::json(&Value::Array(list.iter().map(CaseField::to_json).collect()));
    }
    Ok(())
}
