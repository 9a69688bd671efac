//! Index documents: what of a case is indexed, and how.

use std::collections::HashMap;

use tantivy::{doc, TantivyDocument};

use super::schema::CaseSchema;
use crate::error::Result;
use crate::model::{CaseField, CaseOf, FieldType, JsonOf, Section, Step};
use crate::tx::Tx;

/// The `choices` term of a Dropdown, Multi-select or Checkbox value.
pub(super) fn choice_key(field_id: u64, item: i64) -> u64 {
    (field_id << 32) | (item as u64 & 0xffff_ffff)
}

/// The String, Text and URL custom values of a case.
pub(super) fn text_values<'c, S: AsRef<str>>(
    case: &'c CaseOf<S>,
    fields: &[CaseField],
) -> Vec<&'c str> {
    fields
        .iter()
        .filter(|f| {
            matches!(
                f.field_type(),
                FieldType::String | FieldType::Text | FieldType::Url
            )
        })
        .filter_map(|f| case.custom(&f.system_name).and_then(JsonOf::as_str))
        .collect()
}

/// The non-empty texts ([`Step::texts`]) of every step of every Steps field.
pub(super) fn step_texts<'c, S: AsRef<str>>(
    case: &'c CaseOf<S>,
    fields: &[CaseField],
) -> Vec<&'c str> {
    let mut out = Vec::new();
    for f in fields.iter().filter(|f| f.field_type() == FieldType::Steps) {
        let Some(JsonOf::List(steps)) = case.custom(&f.system_name) else {
            continue;
        };
        for step in steps {
            out.extend(Step::texts(step).into_iter().filter(|t| !t.is_empty()));
        }
    }
    out
}

/// Builds index documents, caching section ancestry and the option labels of each field in
/// each project (parsed from the field's text once, not once a case).
pub(super) struct DocBuilder<'a> {
    schema: &'a CaseSchema,
    fields: &'a [CaseField],
    parents: HashMap<u64, Option<u64>>,
    labels: HashMap<(u64, u64), Vec<(i64, String)>>,
}

impl<'a> DocBuilder<'a> {
    pub(super) fn new(schema: &'a CaseSchema, fields: &'a [CaseField]) -> DocBuilder<'a> {
        DocBuilder {
            schema,
            fields,
            parents: HashMap::new(),
            labels: HashMap::new(),
        }
    }

    pub(super) fn preload_sections(&mut self, tx: &Tx<'_>) -> Result<()> {
        for s in tx.all::<Section>()? {
            self.parents.insert(s.id, s.parent_id);
        }
        Ok(())
    }

    fn parent(&mut self, tx: &Tx<'_>, id: u64) -> Result<Option<u64>> {
        if let Some(p) = self.parents.get(&id) {
            return Ok(*p);
        }
        let p = tx.get::<Section>(id)?.and_then(|s| s.parent_id);
        self.parents.insert(id, p);
        Ok(p)
    }

    pub(super) fn build<S: AsRef<str>>(
        &mut self,
        tx: &Tx<'_>,
        case: &CaseOf<S>,
    ) -> Result<TantivyDocument> {
        let s = self.schema;
        let mut d = doc!(
            s.id => case.id,
            s.project_id => case.project_id,
            s.suite_id => case.suite_id,
            s.priority_id => case.priority_id,
            s.type_id => case.type_id,
            s.template_id => case.template_id,
            s.milestone_id => case.milestone_id.unwrap_or(0),
            s.created_by => case.created_by,
            s.updated_by => case.updated_by,
            s.created_on => case.created_on,
            s.updated_on => case.updated_on,
            s.title => case.title.as_ref(),
        );
        // The section and its ancestors (bounded, in case of a cycle in damaged data).
        let mut section = Some(case.section_id);
        let mut hops = 0;
        while let Some(id) = section {
            d.add_u64(s.sections, id);
            hops += 1;
            if hops > 256 {
                break;
            }
            section = self.parent(tx, id)?;
        }
        if let Some(r) = &case.refs {
            d.add_text(s.refs, r.as_ref());
        }
        for t in text_values(case, self.fields) {
            d.add_text(s.text, t);
        }
        for t in step_texts(case, self.fields) {
            d.add_text(s.steps, t);
        }
        for f in self.fields {
            let Some(v) = case.custom(&f.system_name) else {
                continue;
            };
            let items: Vec<i64> = match (f.field_type(), v) {
                (FieldType::Dropdown, JsonOf::Int(i)) => vec![*i],
                (FieldType::MultiSelect, JsonOf::List(l)) => {
                    l.iter().filter_map(JsonOf::as_i64).collect()
                }
                (FieldType::Checkbox, JsonOf::Bool(b)) => vec![i64::from(*b)],
                _ => continue,
            };
            let labels = self
                .labels
                .entry((f.id, case.project_id))
                .or_insert_with(|| {
                    let config = f.config_for(case.project_id).flatten();
                    config.map(|c| c.items()).unwrap_or_default()
                });
            for item in items {
                d.add_u64(s.choices, choice_key(f.id, item));
                if let Some((_, label)) = labels.iter().find(|(i, _)| *i == item) {
                    d.add_text(s.options, label);
                }
            }
        }
        Ok(d)
    }
}
