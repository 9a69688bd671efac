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

/// The cases of one list, each with the custom fields of its project (looked up once per
/// project, not once per case).
struct CaseList<'a> {
    cases: &'a [CaseRecord],
    fields: &'a [CaseField],
}

impl Serialize for CaseList<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.cases.len()))?;
        let mut shown: Option<(u64, Vec<&CaseField>)> = None;
        for case in self.cases.iter().map(CaseRecord::view) {
            if shown.as_ref().is_none_or(|(p, _)| *p != case.project_id) {
                shown = Some((
                    case.project_id,
                    validate::project_fields(self.fields, case.project_id),
                ));
            }
            let fields = shown.as_ref().map(|(_, f)| f.as_slice()).unwrap_or(&[]);
            seq.serialize_element(&case.shaped(fields))?;
        }
        seq.end()
    }
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
                let mut m = s.serialize_map(Some(head.len() + 1))?;
                for (k, v) in head {
                    m.serialize_entry(k, v)?;
                }
                m.serialize_entry(
                    key,
                    &CaseList {
                        cases,
                        fields: fields.as_slice(),
                    },
                )?;
                m.end()
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
