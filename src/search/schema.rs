//! The search schema: every field handle, built once.

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED,
};

/// Bumped whenever the schema or what goes into a document changes; an index of another
/// version is rebuilt on open.
pub const SCHEMA_VERSION: u64 = 2;

/// Field handles of the case index.
#[derive(Clone)]
pub struct CaseSchema {
    pub schema: Schema,
    pub id: Field,
    pub project_id: Field,
    pub suite_id: Field,
    /// The case's section and every ancestor: a whole subtree is one term.
    pub sections: Field,
    pub priority_id: Field,
    pub type_id: Field,
    pub template_id: Field,
    /// 0 when the case has none.
    pub milestone_id: Field,
    pub created_by: Field,
    pub updated_by: Field,
    pub created_on: Field,
    pub updated_on: Field,
    /// Dropdown, Multi-select and Checkbox values as `field_id << 32 | item_id`.
    pub choices: Field,
    pub title: Field,
    pub refs: Field,
    /// String, Text and URL custom field values.
    pub text: Field,
    /// Content, expected result and additional info of every step.
    pub steps: Field,
    /// The labels of Dropdown and Multi-select values.
    pub options: Field,
}

/// The text fields a query searches when it names none, with their score boosts.
pub const DEFAULT_FIELDS: &[(&str, f32)] = &[
    ("title", 2.0),
    ("refs", 1.5),
    ("text", 1.0),
    ("steps", 1.0),
    ("options", 1.0),
];

impl CaseSchema {
    /// What each field costs and why it is there (per-field sizes of the 100k benchmark index
    /// in docs/benchmarks.md, `trailstore-bench stats`):
    ///
    /// - `id`: indexed (an update deletes the case's document by its id term) and fast (a hit's
    ///   id is read from the column, one per segment); not stored: nothing reads stored
    ///   documents.
    /// - id filters (project, suite, sections, priority, type, template, milestone, creator,
    ///   updater, choices): indexed only, one term per value, no frequencies or positions.
    ///   Filters are term queries; nothing reads their columns, so they have none.
    /// - dates (`created_on`, `updated_on`): a fast column only. Their filters are ranges,
    ///   which tantivy runs over the column; indexed, each date would be a term of its own
    ///   (as many terms as cases) that only a slower range over the dictionary would use.
    /// - text (title, refs, text, steps, options): frequencies for BM25 and positions for
    ///   phrases. A phrase is also what a query of a hyphenated word becomes (`SHOP-123` is the
    ///   phrase `shop 123`), which reaches refs and option labels as well: positions stay on
    ///   every text field.
    pub fn new() -> CaseSchema {
        let mut b = Schema::builder();
        let filter = || NumericOptions::default().set_indexed();
        let date = || NumericOptions::default().set_fast();
        let text = || {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(super::tokenizer::NAME)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
        };
        let id = b.add_u64_field("id", INDEXED | FAST);
        let project_id = b.add_u64_field("project_id", filter());
        let suite_id = b.add_u64_field("suite_id", filter());
        let sections = b.add_u64_field("sections", INDEXED);
        let priority_id = b.add_u64_field("priority_id", filter());
        let type_id = b.add_u64_field("type_id", filter());
        let template_id = b.add_u64_field("template_id", filter());
        let milestone_id = b.add_u64_field("milestone_id", filter());
        let created_by = b.add_u64_field("created_by", filter());
        let updated_by = b.add_u64_field("updated_by", filter());
        let created_on = b.add_i64_field("created_on", date());
        let updated_on = b.add_i64_field("updated_on", date());
        let choices = b.add_u64_field("choices", INDEXED);
        let title = b.add_text_field("title", text());
        let refs = b.add_text_field("refs", text());
        let text_f = b.add_text_field("text", text());
        let steps = b.add_text_field("steps", text());
        let options = b.add_text_field("options", text());
        CaseSchema {
            schema: b.build(),
            id,
            project_id,
            suite_id,
            sections,
            priority_id,
            type_id,
            template_id,
            milestone_id,
            created_by,
            updated_by,
            created_on,
            updated_on,
            choices,
            title,
            refs,
            text: text_f,
            steps,
            options,
        }
    }

    /// A text field by the name a query may use (`title:`, `steps:`; `expected:` and
    /// `preconds:` are aliases).
    pub fn text_field(&self, name: &str) -> Option<Field> {
        match name {
            "title" => Some(self.title),
            "refs" => Some(self.refs),
            "text" | "preconds" | "custom" => Some(self.text),
            "steps" | "expected" => Some(self.steps),
            "options" | "choice" => Some(self.options),
            _ => None,
        }
    }
}
