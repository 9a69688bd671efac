//! [`Answer`]: what a read returns before it takes a form.
//!
//! TestRail's JSON is built in one place (each entity's `serde::Serialize` view, such as
//! [`crate::model::CaseJson`]); each front serializes an answer straight into its own form: JSON
//! text for HTTP and C (`serde_json::to_writer`), Python objects for the Python module (its own
//! `serde::Serializer`), a `serde_json::Value` for Rust callers ([`Answer::into_response`]).
//! Cases stay typed records until then, so a front that does not want a `serde_json::Value`
//! never builds one: that intermediate tree was half the cost of a `get_case` from Python.

use std::sync::Arc;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::Response;
use crate::model::{CaseField, TestResult};
use crate::search::SearchHit;
use crate::tx::CaseRecord;
use crate::validate;

/// A call's answer in typed form: serialize it (it implements `serde::Serialize`, giving exactly
/// TestRail's JSON), or turn it into a [`Response`].
#[derive(Debug, Clone)]
pub struct Answer(Inner);

#[derive(Debug, Clone)]
enum Inner {
    Empty,
    Json(Value),
    /// An attachment's bytes (`get_attachment`): serialized as its metadata, streamed by HTTP.
    File(crate::upload::AttachmentFile),
    Case {
        case: CaseRecord,
        fields: Arc<Vec<CaseField>>,
    },
    /// A page of cases: the page's own keys (offset, limit, size, _links), then the cases under
    /// `key`.
    Cases {
        head: Map<String, Value>,
        key: &'static str,
        cases: Vec<CaseRecord>,
        fields: Arc<Vec<CaseField>>,
    },
    /// A page of search hits (`x_search_cases`): the page's own keys, then the hits under
    /// `results`, each with its score, highlights and case, then `total` if it was counted.
    Hits {
        head: Map<String, Value>,
        hits: Vec<SearchHit>,
        total: Option<u64>,
        fields: Arc<Vec<CaseField>>,
    },
    /// New results (a bulk add's bare array, or the one result of a single add), with the
    /// custom result fields their project shows.
    Results {
        results: Vec<TestResult>,
        shown: Vec<String>,
        one: bool,
    },
}

impl Answer {
    pub(crate) fn case(case: CaseRecord, fields: Arc<Vec<CaseField>>) -> Answer {
        Answer(Inner::Case { case, fields })
    }

    /// A page whose items are cases; `head` is the page object without its list.
    pub(crate) fn cases(
        head: Map<String, Value>,
        key: &'static str,
        cases: Vec<CaseRecord>,
        fields: Arc<Vec<CaseField>>,
    ) -> Answer {
        Answer(Inner::Cases {
            head,
            key,
            cases,
            fields,
        })
    }

    /// A page of search hits; `head` is the page object without its list.
    pub(crate) fn hits(
        head: Map<String, Value>,
        hits: Vec<SearchHit>,
        total: Option<u64>,
        fields: Arc<Vec<CaseField>>,
    ) -> Answer {
        Answer(Inner::Hits {
            head,
            hits,
            total,
            fields,
        })
    }

    /// The bare array of a bulk add's results, in request order.
    pub(crate) fn results(results: Vec<TestResult>, shown: Vec<String>) -> Answer {
        Answer(Inner::Results {
            results,
            shown,
            one: false,
        })
    }

    /// The result of a single add (`null` if there is none, which a write never answers).
    pub(crate) fn result(results: Vec<TestResult>, shown: Vec<String>) -> Answer {
        Answer(Inner::Results {
            results,
            shown,
            one: true,
        })
    }

    pub(crate) fn file(f: crate::upload::AttachmentFile) -> Answer {
        Answer(Inner::File(f))
    }

    /// The attachment file of a `get_attachment`, if this answer is one.
    pub fn as_file(&self) -> Option<&crate::upload::AttachmentFile> {
        match &self.0 {
            Inner::File(f) => Some(f),
            _ => None,
        }
    }

    /// The attachment file of a `get_attachment`, if this answer is one.
    pub fn into_file(self) -> Option<crate::upload::AttachmentFile> {
        match self.0 {
            Inner::File(f) => Some(f),
            _ => None,
        }
    }

    /// Whether the answer is the empty body of a delete.
    pub fn is_empty(&self) -> bool {
        matches!(self.0, Inner::Empty)
    }

    /// The answer as a [`Response`] (a `serde_json::Value`, or empty).
    pub fn into_response(self) -> Response {
        match self.0 {
            Inner::Empty => Response::Empty,
            Inner::Json(v) => Response::Json(v),
            Inner::File(f) => Response::File(f),
            other => Response::Json(serde_json::to_value(Answer(other)).unwrap_or(Value::Null)),
        }
    }

    /// The body as TestRail sends it: JSON text, or nothing for an empty body.
    pub fn to_text(&self) -> String {
        if self.is_empty() {
            return String::new();
        }
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl From<Response> for Answer {
    fn from(r: Response) -> Answer {
        match r {
            Response::Json(v) => Answer(Inner::Json(v)),
            Response::Empty => Answer(Inner::Empty),
            Response::File(f) => Answer(Inner::File(f)),
        }
    }
}

impl From<Answer> for Response {
    fn from(a: Answer) -> Response {
        a.into_response()
    }
}

/// The custom fields shown for each case of a list, looked up once per project rather than
/// once per case (a list's cases are mostly of one project).
struct Shown<'a> {
    fields: &'a [CaseField],
    last: Option<(u64, Vec<&'a CaseField>)>,
}

impl<'a> Shown<'a> {
    fn new(fields: &'a [CaseField]) -> Shown<'a> {
        Shown { fields, last: None }
    }

    fn of(&mut self, project_id: u64) -> &[&'a CaseField] {
        if self.last.as_ref().is_none_or(|(p, _)| *p != project_id) {
            let shown = validate::project_fields(self.fields, project_id);
            self.last = Some((project_id, shown));
        }
        self.last.as_ref().map(|(_, f)| f.as_slice()).unwrap_or(&[])
    }
}

/// The cases of one list, each with the custom fields of its project.
struct CaseList<'a> {
    cases: &'a [CaseRecord],
    fields: &'a [CaseField],
}

impl Serialize for CaseList<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.cases.len()))?;
        let mut shown = Shown::new(self.fields);
        for case in self.cases.iter().map(CaseRecord::view) {
            seq.serialize_element(&case.shaped(shown.of(case.project_id)))?;
        }
        seq.end()
    }
}

/// The hits of a search, each `{project_id, score, highlights, case}`.
struct HitList<'a> {
    hits: &'a [SearchHit],
    fields: &'a [CaseField],
}

impl Serialize for HitList<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.hits.len()))?;
        let mut shown = Shown::new(self.fields);
        for hit in self.hits {
            struct One<'a>(&'a SearchHit, &'a [&'a CaseField]);
            impl Serialize for One<'_> {
                fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    let (hit, case) = (self.0, self.0.case());
                    let mut m = s.serialize_map(Some(4))?;
                    m.serialize_entry("project_id", &case.project_id)?;
                    // As a double, the number a JSON value of the score holds.
                    m.serialize_entry("score", &f64::from(hit.score))?;
                    m.serialize_entry("highlights", &hit.highlights)?;
                    m.serialize_entry("case", &case.shaped(self.1))?;
                    m.end()
                }
            }
            seq.serialize_element(&One(hit, shown.of(hit.case().project_id)))?;
        }
        seq.end()
    }
}

/// A page object: the keys of its head, its list under `key`, then `total` if it was counted.
fn page<S: Serializer, L: Serialize>(
    s: S,
    head: &Map<String, Value>,
    key: &str,
    list: &L,
    total: Option<u64>,
) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(head.len() + 1 + usize::from(total.is_some())))?;
    for (k, v) in head {
        m.serialize_entry(k, v)?;
    }
    m.serialize_entry(key, list)?;
    if let Some(total) = total {
        m.serialize_entry("total", &total)?;
    }
    m.end()
}

impl Serialize for Answer {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Inner::Empty => s.serialize_unit(),
            Inner::Json(v) => v.serialize(s),
            Inner::File(f) => f.to_json().serialize(s),
            Inner::Case { case, fields } => {
                let case = case.view();
                let shown = validate::project_fields(fields, case.project_id);
                case.shaped(&shown).serialize(s)
            }
            Inner::Cases {
                head,
                key,
                cases,
                fields,
            } => {
                let list = CaseList {
                    cases,
                    fields: fields.as_slice(),
                };
                page(s, head, key, &list, None)
            }
            Inner::Hits {
                head,
                hits,
                total,
                fields,
            } => {
                let list = HitList {
                    hits,
                    fields: fields.as_slice(),
                };
                page(s, head, "results", &list, *total)
            }
            Inner::Results {
                results,
                shown,
                one: true,
            } => results.first().map(|r| r.shaped(shown)).serialize(s),
            Inner::Results { results, shown, .. } => {
                let mut seq = s.serialize_seq(Some(results.len()))?;
                for r in results {
                    seq.serialize_element(&r.shaped(shown))?;
                }
                seq.end()
            }
        }
    }
}
