//! Running a search: the query and the filters, ranking, paging, and highlighted snippets, with
//! the hits read from the caller's snapshot.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use tantivy::collector::{Count, TopDocs};
use tantivy::columnar::Column;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Searcher, Term};

use super::doc::{choice_key, step_texts, text_values};
use super::index::{tantivy_err, SearchIndex};
use super::{query, SearchHit, SearchRequest, SearchResults, SEARCH_LIMIT_MAX};
use crate::error::{Error, Result};
use crate::model::CaseField;
use crate::tx::Tx;

impl SearchIndex {
    /// Runs a search. `tx` is the snapshot results are read from.
    pub fn search(
        &self,
        tx: &Tx<'_>,
        fields: &[CaseField],
        version: u64,
        req: &SearchRequest,
    ) -> Result<SearchResults> {
        self.ready(tx, fields, version)?;
        let parsed = query::parse(&req.query)?;
        let builder = query::Builder {
            schema: &self.schema,
            index: &self.index,
        };
        let text: Box<dyn Query> = match &parsed {
            Some(node) => builder.build(node)?,
            None => Box::new(AllQuery),
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text.box_clone())];
        for f in self.filters(req, fields)? {
            // Filters select; they must not change the ranking.
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(f, 0.0))));
        }
        let full = BooleanQuery::new(clauses);
        let searcher = self.reader()?.searcher();
        let limit = req.limit.clamp(1, SEARCH_LIMIT_MAX);
        let top = TopDocs::with_limit(limit + 1)
            .and_offset(req.offset)
            .order_by_score();
        let (hits, total) = if req.count {
            let (hits, total) = searcher.search(&full, &(top, Count)).map_err(tantivy_err)?;
            (hits, Some(total as u64))
        } else {
            (searcher.search(&full, &top).map_err(tantivy_err)?, None)
        };
        let has_more = hits.len() > limit;
        let generators = if req.highlight && parsed.is_some() {
            self.snippet_generators(&searcher, &*text)
        } else {
            Vec::new()
        };
        let ranked = case_ids(&searcher, hits, limit)?;
        Ok(SearchResults {
            hits: read_hits(tx, fields, ranked, &generators, limit)?,
            total,
            has_more,
            offset: req.offset,
            limit,
        })
    }

    /// A snippet generator for each highlighted field the query can match.
    fn snippet_generators(
        &self,
        searcher: &Searcher,
        text: &dyn Query,
    ) -> Vec<(&'static str, SnippetGenerator)> {
        let mut generators = Vec::new();
        for (name, field) in [
            ("title", self.schema.title),
            ("text", self.schema.text),
            ("steps", self.schema.steps),
            ("refs", self.schema.refs),
        ] {
            if let Ok(mut g) = SnippetGenerator::create(searcher, text, field) {
                g.set_max_num_chars(160);
                generators.push((name, g));
            }
        }
        generators
    }

    fn filters(&self, req: &SearchRequest, fields: &[CaseField]) -> Result<Vec<Box<dyn Query>>> {
        let s = &self.schema;
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        // One id is a plain term query: a term set builds an automaton on every search.
        let set = |field: Field, ids: &[u64]| -> Box<dyn Query> {
            match ids {
                [one] => Box::new(TermQuery::new(
                    Term::from_field_u64(field, *one),
                    IndexRecordOption::Basic,
                )),
                _ => Box::new(TermSetQuery::new(
                    ids.iter().map(|id| Term::from_field_u64(field, *id)),
                )),
            }
        };
        if let Some(p) = req.project_id {
            out.push(set(s.project_id, &[p]));
        }
        if let Some(v) = req.suite_id {
            out.push(set(s.suite_id, &[v]));
        }
        if let Some(v) = req.section_id {
            out.push(set(s.sections, &[v]));
        }
        for (field, ids) in [
            (s.priority_id, &req.priority_id),
            (s.type_id, &req.type_id),
            (s.template_id, &req.template_id),
            (s.milestone_id, &req.milestone_id),
            (s.created_by, &req.created_by),
            (s.updated_by, &req.updated_by),
        ] {
            if let Some(ids) = ids {
                out.push(set(field, ids));
            }
        }
        for (field, after, before) in [
            (s.created_on, req.created_after, req.created_before),
            (s.updated_on, req.updated_after, req.updated_before),
        ] {
            if after.is_some() || before.is_some() {
                use std::ops::Bound;
                let lo = after.map_or(Bound::Unbounded, |t| {
                    Bound::Excluded(Term::from_field_i64(field, t))
                });
                let hi = before.map_or(Bound::Unbounded, |t| {
                    Bound::Excluded(Term::from_field_i64(field, t))
                });
                out.push(Box::new(RangeQuery::new(lo, hi)));
            }
        }
        for (system_name, items) in &req.choices {
            let field = fields
                .iter()
                .find(|f| &f.system_name == system_name)
                .ok_or_else(|| {
                    Error::validation(
                        system_name.clone(),
                        format!("Field :{system_name} is not a valid case field."),
                    )
                })?;
            let terms: Vec<u64> = items.iter().map(|i| choice_key(field.id, *i)).collect();
            out.push(set(s.choices, &terms));
        }
        Ok(out)
    }
}

/// The case ids of the first `limit` hits, best first, with their scores.
fn case_ids(
    searcher: &Searcher,
    hits: Vec<(f32, DocAddress)>,
    limit: usize,
) -> Result<Vec<(f32, u64)>> {
    // Opening a column reads its block table: once per segment, not once per hit.
    let mut id_columns: HashMap<u32, Column<u64>> = HashMap::new();
    let mut ranked = Vec::with_capacity(limit);
    for (score, addr) in hits.into_iter().take(limit) {
        let ids = match id_columns.entry(addr.segment_ord) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(
                searcher
                    .segment_reader(addr.segment_ord)
                    .fast_fields()
                    .u64("id")
                    .map_err(tantivy_err)?,
            ),
        };
        if let Some(id) = ids.first(addr.doc_id) {
            ranked.push((score, id));
        }
    }
    Ok(ranked)
}

/// The hits' cases as `tx` holds them, with their highlighted snippets.
fn read_hits(
    tx: &Tx<'_>,
    fields: &[CaseField],
    ranked: Vec<(f32, u64)>,
    generators: &[(&'static str, SnippetGenerator)],
    limit: usize,
) -> Result<Vec<SearchHit>> {
    let ids: Vec<u64> = ranked.iter().map(|(_, id)| *id).collect();
    let records = tx.case_records(&ids)?;
    let mut out = Vec::with_capacity(limit);
    for ((score, _), record) in ranked.into_iter().zip(records) {
        // The snapshot may be older or newer than the index by a moment: trust the data.
        let Some(record) = record else {
            continue;
        };
        let case = record.view();
        let mut highlights = BTreeMap::new();
        for (name, g) in generators {
            let joined;
            let source = match *name {
                "title" => case.title,
                "refs" => case.refs.unwrap_or_default(),
                _ => {
                    joined = match *name {
                        "text" => text_values(case, fields).join("\n"),
                        _ => step_texts(case, fields).join("\n"),
                    };
                    joined.as_str()
                }
            };
            let snippet = g.snippet(source);
            if !snippet.highlighted().is_empty() {
                highlights.insert((*name).to_string(), snippet.to_html());
            }
        }
        out.push(SearchHit {
            record,
            score,
            highlights,
        });
    }
    Ok(out)
}
