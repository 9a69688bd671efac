//! The dispatcher: TestRail API v2 routes in, TestRail JSON out.
//!
//! Every front (Rust, CLI, C, Python, HTTP) calls [`crate::Store::call`], which parses the route
//! exactly as TestRail's `index.php?/api/v2/<route>` does and runs one handler. Reads take a
//! snapshot; writes run inside a write transaction and append their journal entry there.

mod answer;
mod attachments;
mod cases;
mod configs;
mod history;
mod milestones;
mod paging;
mod plans;
mod projects;
mod refdata;
mod results;
mod run_tests;
mod runs;
mod search;
mod sections;
mod suites;

use std::sync::Arc;

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use crate::clock::now;
use crate::error::{Error, Result};
use crate::journal::{Effect, NewEntry, PushState};
use crate::messages as msg;
use crate::model::{CaseField, Kind, StoredJson};
use crate::search::{SearchRequest, SearchResults};
use crate::tx::{Tx, Writer};
use crate::validate;

pub use answer::Answer;
pub use paging::PAGE_MAX;

/// What a call returns: TestRail's JSON, the empty body of a delete, or an attachment's bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    Json(Value),
    Empty,
    /// `get_attachment`: the bytes, open for reading, and their metadata.
    File(crate::upload::AttachmentFile),
}

impl Response {
    /// The JSON value (`null` for an empty body, the metadata of a file).
    pub fn into_value(self) -> Value {
        match self {
            Response::Json(v) => v,
            Response::Empty => Value::Null,
            Response::File(f) => f.to_json(),
        }
    }

    pub fn as_value(&self) -> Option<&Value> {
        match self {
            Response::Json(v) => Some(v),
            Response::Empty | Response::File(_) => None,
        }
    }

    /// The body as JSON text: nothing for an empty body, the metadata of a file (its bytes are
    /// read through [`Response::File`]).
    pub fn to_text(&self) -> String {
        match self {
            Response::Json(v) => v.to_string(),
            Response::Empty => String::new(),
            Response::File(f) => f.to_json().to_string(),
        }
    }
}

/// Parses a request body given as text; empty text is no body.
pub fn parse_body(text: &str) -> Result<Option<Value>> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(Some(v)),
        Ok(_) | Err(_) => Err(msg::bad_json()),
    }
}

macro_rules! methods {
    ($( $variant:ident = $name:literal, $write:literal, [$($idf:literal),*], $min:literal; )*) => {
        /// Every API method trailstore serves.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Method { $( $variant, )* }

        impl Method {
            /// All methods, for `--help` and the HTTP front.
            pub const ALL: &'static [Method] = &[ $( Method::$variant, )* ];

            pub fn from_name(name: &str) -> Option<Method> {
                match name { $( $name => Some(Method::$variant), )* _ => None }
            }

            /// TestRail's name of the method.
            pub fn name(self) -> &'static str {
                match self { $( Method::$variant => $name, )* }
            }

            /// Whether the method changes data (and so is a POST in TestRail).
            pub fn is_write(self) -> bool {
                match self { $( Method::$variant => $write, )* }
            }

            /// The names of the path ids, e.g. `["case_id"]`.
            pub fn id_fields(self) -> &'static [&'static str] {
                match self { $( Method::$variant => &[$($idf),*], )* }
            }

            /// How many path ids must be given.
            pub fn min_ids(self) -> usize {
                match self { $( Method::$variant => $min, )* }
            }
        }
    };
}

impl Method {
    /// The key a paged answer of this method lists its items under (`get_cases` → `cases`);
    /// `None` for a method that answers one entity or a bare array.
    pub fn list_key(self) -> Option<&'static str> {
        use Method::*;
        Some(match self {
            GetProjects => "projects",
            GetSuites => "suites",
            GetSections => "sections",
            GetCases => "cases",
            GetHistoryForCase => "history",
            GetUsers => "users",
            GetMilestones => "milestones",
            GetRuns => "runs",
            GetTests => "tests",
            GetResults | GetResultsForCase | GetResultsForRun => "results",
            GetPlans => "plans",
            GetAttachmentsForCase
            | GetAttachmentsForRun
            | GetAttachmentsForPlan
            | GetAttachmentsForPlanEntry
            | GetAttachmentsForTest => "attachments",
            XGetJournal => "journal",
            XSearchCases => "results",
            XGetConflicts => "conflicts",
            _ => return None,
        })
    }

    /// Whether the method answers a list (paged or bare), so that [`crate::Store::list_all`]
    /// can read all of it.
    pub fn is_list(self) -> bool {
        use Method::*;
        self.list_key().is_some()
            || matches!(
                self,
                GetCaseFields
                    | GetCaseTypes
                    | GetPriorities
                    | GetTemplates
                    | GetStatuses
                    | GetResultFields
                    | GetConfigs
            )
    }

    /// TestRail's refusal of this method sent with the other HTTP verb: writes are POSTs,
    /// reads are GETs. Only HTTP has verbs; the dispatcher gives the same answer to a write
    /// called as a read and the other way round.
    pub fn check_verb(self, post: bool) -> Result<()> {
        match (self.is_write(), post) {
            (true, false) => Err(msg::wrong_http_method(self.name(), "POST")),
            (false, true) => Err(msg::wrong_http_method(self.name(), "GET")),
            _ => Ok(()),
        }
    }
}

methods! {
    GetProject = "get_project", false, ["project_id"], 1;
    GetProjects = "get_projects", false, [], 0;
    AddProject = "add_project", true, [], 0;
    UpdateProject = "update_project", true, ["project_id"], 1;
    DeleteProject = "delete_project", true, ["project_id"], 1;
    GetSuite = "get_suite", false, ["suite_id"], 1;
    GetSuites = "get_suites", false, ["project_id"], 1;
    AddSuite = "add_suite", true, ["project_id"], 1;
    UpdateSuite = "update_suite", true, ["suite_id"], 1;
    DeleteSuite = "delete_suite", true, ["suite_id"], 1;
    GetSection = "get_section", false, ["section_id"], 1;
    GetSections = "get_sections", false, ["project_id"], 1;
    AddSection = "add_section", true, ["project_id"], 1;
    UpdateSection = "update_section", true, ["section_id"], 1;
    MoveSection = "move_section", true, ["section_id"], 1;
    DeleteSection = "delete_section", true, ["section_id"], 1;
    GetCase = "get_case", false, ["case_id"], 1;
    GetCases = "get_cases", false, ["project_id"], 1;
    AddCase = "add_case", true, ["section_id"], 1;
    UpdateCase = "update_case", true, ["case_id"], 1;
    UpdateCases = "update_cases", true, ["suite_id"], 0;
    DeleteCase = "delete_case", true, ["case_id"], 1;
    DeleteCases = "delete_cases", true, ["suite_id"], 0;
    CopyCasesToSection = "copy_cases_to_section", true, ["section_id"], 1;
    MoveCasesToSection = "move_cases_to_section", true, ["section_id"], 1;
    GetHistoryForCase = "get_history_for_case", false, ["case_id"], 1;
    GetCaseFields = "get_case_fields", false, [], 0;
    AddCaseField = "add_case_field", true, [], 0;
    GetCaseTypes = "get_case_types", false, [], 0;
    GetPriorities = "get_priorities", false, [], 0;
    GetTemplates = "get_templates", false, ["project_id"], 1;
    GetUsers = "get_users", false, ["project_id"], 0;
    GetUser = "get_user", false, ["user_id"], 1;
    GetUserByEmail = "get_user_by_email", false, [], 0;
    GetCurrentUser = "get_current_user", false, [], 0;
    GetStatuses = "get_statuses", false, ["project_id"], 0;
    GetResultFields = "get_result_fields", false, [], 0;
    GetMilestones = "get_milestones", false, ["project_id"], 1;
    GetMilestone = "get_milestone", false, ["milestone_id"], 1;
    AddMilestone = "add_milestone", true, ["project_id"], 1;
    UpdateMilestone = "update_milestone", true, ["milestone_id"], 1;
    DeleteMilestone = "delete_milestone", true, ["milestone_id"], 1;
    GetRun = "get_run", false, ["run_id"], 1;
    GetRuns = "get_runs", false, ["project_id"], 1;
    AddRun = "add_run", true, ["project_id"], 1;
    UpdateRun = "update_run", true, ["run_id"], 1;
    CloseRun = "close_run", true, ["run_id"], 1;
    DeleteRun = "delete_run", true, ["run_id"], 1;
    GetTest = "get_test", false, ["test_id"], 1;
    GetTests = "get_tests", false, ["run_id"], 1;
    GetResults = "get_results", false, ["test_id"], 1;
    GetResultsForCase = "get_results_for_case", false, ["run_id", "case_id"], 2;
    GetResultsForRun = "get_results_for_run", false, ["run_id"], 1;
    AddResult = "add_result", true, ["test_id"], 1;
    AddResultForCase = "add_result_for_case", true, ["run_id", "case_id"], 2;
    AddResults = "add_results", true, ["run_id"], 1;
    AddResultsForCases = "add_results_for_cases", true, ["run_id"], 1;
    EditResult = "edit_result", true, ["result_id"], 1;
    GetPlan = "get_plan", false, ["plan_id"], 1;
    GetPlans = "get_plans", false, ["project_id"], 1;
    AddPlan = "add_plan", true, ["project_id"], 1;
    AddPlanEntry = "add_plan_entry", true, ["plan_id"], 1;
    AddRunToPlanEntry = "add_run_to_plan_entry", true, ["plan_id", "entry_id"], 2;
    UpdatePlan = "update_plan", true, ["plan_id"], 1;
    UpdatePlanEntry = "update_plan_entry", true, ["plan_id", "entry_id"], 2;
    UpdateRunInPlanEntry = "update_run_in_plan_entry", true, ["run_id"], 1;
    ClosePlan = "close_plan", true, ["plan_id"], 1;
    DeletePlan = "delete_plan", true, ["plan_id"], 1;
    DeletePlanEntry = "delete_plan_entry", true, ["plan_id", "entry_id"], 2;
    DeleteRunFromPlanEntry = "delete_run_from_plan_entry", true, ["run_id"], 1;
    GetConfigs = "get_configs", false, ["project_id"], 1;
    AddConfigGroup = "add_config_group", true, ["project_id"], 1;
    AddConfig = "add_config", true, ["config_group_id"], 1;
    UpdateConfigGroup = "update_config_group", true, ["config_group_id"], 1;
    UpdateConfig = "update_config", true, ["config_id"], 1;
    DeleteConfigGroup = "delete_config_group", true, ["config_group_id"], 1;
    DeleteConfig = "delete_config", true, ["config_id"], 1;
    AddAttachmentToCase = "add_attachment_to_case", true, ["case_id"], 1;
    AddAttachmentToResult = "add_attachment_to_result", true, ["result_id"], 1;
    AddAttachmentToRun = "add_attachment_to_run", true, ["run_id"], 1;
    AddAttachmentToPlan = "add_attachment_to_plan", true, ["plan_id"], 1;
    AddAttachmentToPlanEntry = "add_attachment_to_plan_entry", true, ["plan_id", "entry_id"], 2;
    GetAttachmentsForCase = "get_attachments_for_case", false, ["case_id"], 1;
    GetAttachmentsForRun = "get_attachments_for_run", false, ["run_id"], 1;
    GetAttachmentsForPlan = "get_attachments_for_plan", false, ["plan_id"], 1;
    GetAttachmentsForPlanEntry = "get_attachments_for_plan_entry", false, ["plan_id", "entry_id"], 2;
    GetAttachmentsForTest = "get_attachments_for_test", false, ["test_id"], 1;
    GetAttachment = "get_attachment", false, ["attachment_id"], 1;
    DeleteAttachment = "delete_attachment", true, ["attachment_id"], 1;
    XGetJournal = "x_get_journal", false, [], 0;
    XSearchCases = "x_search_cases", false, ["project_id"], 0;
    XGetConflicts = "x_get_conflicts", false, [], 0;
    XResolveConflict = "x_resolve_conflict", true, [], 0;
}

/// A parsed API request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    /// The route as given, without any `index.php?/api/v2/` prefix.
    pub route: String,
    /// The numeric path ids, in order.
    pub ids: Vec<u64>,
    /// A GUID in the path: a plan entry's id (`update_plan_entry/{plan_id}/{entry_id}`), or an
    /// attachment's id in the UUID form of TestRail 7.1+ (`get_attachment/{attachment_id}`).
    pub guid: Option<String>,
    /// Query parameters in the order given, percent-decoded.
    pub params: Vec<(String, String)>,
    /// The JSON body (an empty object when none was sent).
    pub body: Map<String, Value>,
}

impl Request {
    /// Parses `get_cases/1&suite_id=2&limit=50` (also with a leading `/api/v2/` or
    /// `index.php?/api/v2/`, as `_links.next` and full URLs carry).
    pub fn parse(route: &str, body: Option<&Value>) -> Result<Request> {
        let mut r = route.trim();
        for prefix in ["index.php?", "/index.php?"] {
            if let Some(rest) = r.strip_prefix(prefix) {
                r = rest;
            }
        }
        for prefix in ["/api/v2/", "api/v2/", "/"] {
            if let Some(rest) = r.strip_prefix(prefix) {
                r = rest;
                break;
            }
        }
        // A `?` after the route is read as `&`: pytest-testrail 3.1 sends
        // `get_tests/5?limit=250&offset=0`.
        let (path, query) = match r.find(['&', '?']) {
            Some(i) => (&r[..i], &r[i + 1..]),
            None => (r, ""),
        };
        let mut parts = path.split('/');
        let name = parts.next().unwrap_or("");
        let method = Method::from_name(name).ok_or_else(|| Error::UnknownMethod {
            method: name.to_string(),
        })?;
        let id_fields = method.id_fields();
        let mut ids = Vec::new();
        let mut guid = None;
        let mut given = 0;
        for (i, part) in parts.enumerate() {
            if part.is_empty() && i == 0 && method.min_ids() == 0 {
                continue;
            }
            let field = id_fields
                .get(i)
                .copied()
                .ok_or_else(|| Error::UnknownMethod {
                    method: path.to_string(),
                })?;
            // A plan entry's id is a GUID; an attachment's may be (TestRail 7.1+).
            let text_id =
                field == "entry_id" || (field == "attachment_id" && part.parse::<u64>().is_err());
            if text_id {
                guid = Some(validate::guid(field, part)?);
            } else {
                ids.push(validate::id_text(field, part)?);
            }
            given += 1;
        }
        if given < method.min_ids() {
            return Err(msg::required(id_fields[given]));
        }
        let mut params = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_decode_str(&s.replace('+', " "))
                    .decode_utf8()
                    .map(|c| c.into_owned())
                    .map_err(|_| Error::bad_request(format!("Invalid characters in GET: [{k}]")))
            };
            params.push((decode(k)?, decode(v)?));
        }
        Request {
            method,
            route: r.to_string(),
            ids,
            guid,
            params,
            body: Map::new(),
        }
        .with_body(body.cloned())
    }

    /// Builds a request from an endpoint (`get_cases/1`, which may carry a query of its own) and
    /// query parameters given as typed values, encoded as TestRail clients send them: `true` and
    /// `false` as `1` and `0`, a list as `3,4`, a number as its digits; `null` leaves the
    /// parameter out, and anything nested is refused. This is the one encoder of every front.
    pub fn with_params(
        endpoint: &str,
        params: &Map<String, Value>,
        body: Option<&Value>,
    ) -> Result<Request> {
        let mut req = Request::parse(endpoint, body)?;
        for (key, value) in params {
            let Some(text) = query_value(key, value)? else {
                continue;
            };
            req.route.push('&');
            req.route.push_str(&paging::encode(key));
            req.route.push('=');
            req.route.push_str(&paging::encode(&text));
            req.params.push((key.clone(), text));
        }
        Ok(req)
    }

    /// Like [`Request::parse`], taking the body by value (see [`Request::with_body`]).
    pub fn parse_owned(route: &str, body: Option<Value>) -> Result<Request> {
        Request::parse(route, None)?.with_body(body)
    }

    /// The same request with another body (text already parsed with [`parse_body`]), taken by
    /// value: a front that owns the parsed body hands it over instead of having it copied, which
    /// for a bulk add of results is a few percent of the call.
    pub fn with_body(mut self, body: Option<Value>) -> Result<Request> {
        self.body = match body {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => return Err(msg::bad_json()),
        };
        Ok(self)
    }

    /// The value of a query parameter (the last one wins, as in PHP).
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn id(&self, i: usize) -> Option<u64> {
        self.ids.get(i).copied()
    }

    /// A parameter read from the query string, else from the body.
    pub fn param_or_body(&self, key: &str) -> Option<Value> {
        match self.param(key) {
            Some(v) => Some(Value::String(v.to_string())),
            None => self.body.get(key).cloned(),
        }
    }

    /// Whether `soft=1` asks for a dry run of a delete.
    pub fn soft(&self) -> bool {
        matches!(self.param("soft"), Some("1") | Some("true"))
    }
}

/// One query parameter's text, or `None` for a `null` (left out).
fn query_value(key: &str, value: &Value) -> Result<Option<String>> {
    fn scalar(key: &str, v: &Value) -> Result<String> {
        match v {
            Value::Bool(b) => Ok(if *b { "1" } else { "0" }.to_string()),
            Value::Number(n) => Ok(n.to_string()),
            Value::String(s) => Ok(s.clone()),
            _ => Err(msg::not_a_parameter(key)),
        }
    }
    Ok(match value {
        Value::Null => None,
        Value::Array(items) => Some(
            items
                .iter()
                .map(|v| scalar(key, v))
                .collect::<Result<Vec<_>>>()?
                .join(","),
        ),
        v => Some(scalar(key, v)?),
    })
}

/// Every item of a list route, read page after page on the one transaction `tx`, so that the
/// list is one consistent state however many pages it takes. Any `limit` and `offset` of the
/// request are replaced: the walk starts at the first item and stops where the route's own
/// `_links.next` says the list ends.
pub(crate) fn list_all(cx: &Ctx<'_>, tx: &Tx<'_>, req: &Request) -> Result<Vec<Value>> {
    if !req.method.is_list() {
        return Err(msg::not_a_list(req.method.name()));
    }
    let mut req = req.clone();
    req.params.retain(|(k, _)| k != "limit" && k != "offset");
    let Some(key) = req.method.list_key() else {
        return match read(cx, tx, &req)?.into_response().into_value() {
            Value::Array(items) => Ok(items),
            _ => Err(Error::internal(format!("{} answered no list", req.route))),
        };
    };
    req.params.push(("limit".into(), PAGE_MAX.to_string()));
    req.params.push(("offset".into(), String::new()));
    let mut items = Vec::new();
    let mut offset = 0;
    loop {
        if let Some(last) = req.params.last_mut() {
            last.1 = offset.to_string();
        }
        offset += PAGE_MAX;
        let Value::Object(mut page) = read(cx, tx, &req)?.into_response().into_value() else {
            return Err(Error::internal(format!("{} answered no page", req.route)));
        };
        match page.remove(key) {
            Some(Value::Array(list)) => items.extend(list),
            _ => {
                return Err(Error::internal(format!(
                    "a page of {} has no {key}",
                    req.route
                )))
            }
        }
        if page["_links"]["next"].is_null() {
            return Ok(items);
        }
    }
}

/// The `get_cases` request for the cases of one section: its project and suite looked up on
/// `tx`, the transaction the cases are then read on.
pub(crate) fn section_cases_request(tx: &Tx<'_>, section_id: u64) -> Result<Request> {
    // The range rule of a path id, as `get_section/{id}` applies it.
    validate::id_text("section_id", &section_id.to_string())?;
    let section = sections::load(tx, "section_id", section_id)?;
    let suite = suites::load(tx, "suite_id", section.suite_id)?;
    Request::parse(
        &format!(
            "get_cases/{}&suite_id={}&section_id={}",
            suite.project_id, suite.id, section.id
        ),
        None,
    )
}

/// What a handler may use besides its transaction and request: the committed case fields and
/// the search index. Handlers get this, not the whole store, so that the dispatcher sits below
/// the store and not beside it.
pub(crate) struct Ctx<'a> {
    /// The case fields as last committed.
    pub fields: Arc<Vec<CaseField>>,
    /// A full-text search as of the last commit.
    pub search: &'a dyn Fn(&SearchRequest) -> Result<SearchResults>,
    /// The attachment bytes of the store.
    pub blobs: &'a crate::blobs::Blobs,
}

/// The case fields to read with: the cached list on a snapshot, the transaction's own inside a
/// write (an earlier call of the same batch may have added one).
pub(crate) fn fields_of(cx: &Ctx<'_>, tx: &Tx<'_>) -> Result<Arc<Vec<CaseField>>> {
    match tx {
        Tx::Read(_) => Ok(cx.fields.clone()),
        Tx::Write(_) => Ok(Arc::new(tx.all::<CaseField>()?)),
    }
}

/// Local ids that push has replaced by server ids stay valid: this rewrites them in the path,
/// the id parameters and the id fields of the body. A request without local ids is untouched.
fn resolve_aliases(tx: &Tx<'_>, req: &Request) -> Result<Option<Request>> {
    let mentions_local = req.ids.iter().any(|id| crate::model::is_local_id(*id))
        || req.params.iter().any(|(_, v)| v.len() >= 10)
        || [
            "section_id",
            "parent_id",
            "after_id",
            "suite_id",
            "project_id",
            "case_ids",
            "milestone_id",
            "config_ids",
        ]
        .iter()
        .any(|k| req.body.contains_key(*k));
    if !mentions_local {
        return Ok(None);
    }
    let map = |kind: Kind, id: u64| -> Result<u64> {
        if crate::model::is_local_id(id) {
            Ok(tx.server_id(kind, id)?.unwrap_or(id))
        } else {
            Ok(id)
        }
    };
    // Copied only at the first id that changes: a bulk add's body is large and rarely has one.
    let mut out: Option<Request> = None;
    for (i, field) in req.method.id_fields().iter().enumerate() {
        if let (Some(id), Some(kind)) = (req.ids.get(i), Kind::of_field(field)) {
            let m = map(kind, *id)?;
            if m != *id {
                out.get_or_insert_with(|| req.clone()).ids[i] = m;
            }
        }
    }
    for (i, (k, v)) in req.params.iter().enumerate() {
        if let (Some(kind), Ok(id)) = (Kind::of_field(k), v.trim().parse::<u64>()) {
            let m = map(kind, id)?;
            if m != id {
                out.get_or_insert_with(|| req.clone()).params[i].1 = m.to_string();
            }
        }
    }
    for (k, v) in req.body.iter() {
        let Some(kind) = Kind::of_field(k) else {
            continue;
        };
        let mut changed = false;
        let new = match v {
            Value::Number(n) => match n.as_u64() {
                Some(id) => {
                    let m = map(kind, id)?;
                    changed = m != id;
                    Value::from(m)
                }
                None => continue,
            },
            Value::Array(items) => {
                let mut mapped = Vec::with_capacity(items.len());
                for item in items {
                    mapped.push(match item.as_u64() {
                        Some(id) => {
                            let m = map(kind, id)?;
                            changed |= m != id;
                            Value::from(m)
                        }
                        None => item.clone(),
                    });
                }
                Value::Array(mapped)
            }
            Value::String(s) if k == "case_ids" || k == "config_ids" => {
                let mut parts = Vec::new();
                for p in s.split(',') {
                    match p.trim().parse::<u64>() {
                        Ok(id) => {
                            let m = map(kind, id)?;
                            changed |= m != id;
                            parts.push(m.to_string());
                        }
                        Err(_) => parts.push(p.to_string()),
                    }
                }
                Value::String(parts.join(","))
            }
            _ => continue,
        };
        if changed {
            out.get_or_insert_with(|| req.clone())
                .body
                .insert(k.clone(), new);
        }
    }
    Ok(out)
}

/// Runs a read method.
pub(crate) fn read(cx: &Ctx<'_>, tx: &Tx<'_>, req: &Request) -> Result<Answer> {
    if let Some(resolved) = resolve_aliases(tx, req)? {
        return read_resolved(cx, tx, &resolved);
    }
    read_resolved(cx, tx, req)
}

fn read_resolved(cx: &Ctx<'_>, tx: &Tx<'_>, req: &Request) -> Result<Answer> {
    use Method::*;
    let v = match req.method {
        GetProject => projects::get_project(tx, req)?,
        GetProjects => projects::get_projects(tx, req)?,
        GetSuite => suites::get_suite(tx, req)?,
        GetSuites => suites::get_suites(tx, req)?,
        GetSection => sections::get_section(tx, req)?,
        GetSections => sections::get_sections(tx, req)?,
        GetCase => return cases::get_case(cx, tx, req),
        GetCases => return cases::get_cases(cx, tx, req),
        GetHistoryForCase => history::get_history_for_case(cx, tx, req)?,
        GetCaseFields => refdata::get_case_fields(cx, tx)?,
        GetCaseTypes => refdata::get_case_types(tx)?,
        GetPriorities => refdata::get_priorities(tx)?,
        GetStatuses => refdata::get_statuses(tx, req)?,
        GetResultFields => refdata::get_result_fields(tx)?,
        GetTemplates => refdata::get_templates(tx, req)?,
        GetUsers => refdata::get_users(tx, req)?,
        GetUser => refdata::get_user(tx, req)?,
        GetUserByEmail => refdata::get_user_by_email(tx, req)?,
        GetCurrentUser => refdata::get_current_user(tx)?,
        GetMilestones => milestones::get_milestones(tx, req)?,
        GetMilestone => milestones::get_milestone(tx, req)?,
        GetRun => runs::get_run(tx, req)?,
        GetRuns => runs::get_runs(tx, req)?,
        GetTest => run_tests::get_test(cx, tx, req)?,
        GetTests => run_tests::get_tests(cx, tx, req)?,
        GetResults => results::get_results(tx, req)?,
        GetResultsForCase => results::get_results_for_case(tx, req)?,
        GetResultsForRun => results::get_results_for_run(tx, req)?,
        GetPlan => plans::get_plan(tx, req)?,
        GetPlans => plans::get_plans(tx, req)?,
        GetConfigs => configs::get_configs(tx, req)?,
        GetAttachmentsForCase
        | GetAttachmentsForRun
        | GetAttachmentsForPlan
        | GetAttachmentsForPlanEntry => attachments::get_attachments_for(tx, req)?,
        GetAttachmentsForTest => attachments::get_attachments_for_test(tx, req)?,
        GetAttachment => return attachments::get_attachment(cx, tx, req),
        XGetJournal => history::get_journal(tx, req)?,
        XSearchCases => return search::search_cases(cx, tx, req),
        XGetConflicts => {
            let items = tx.conflicts()?.iter().map(|c| c.to_json()).collect();
            paging::wrap_all(req, "conflicts", items)?
        }
        m => return Err(msg::wrong_http_method(m.name(), "POST")),
    };
    Ok(Response::Json(v).into())
}

/// What a write handler did: its answer and the per-entity effects for the journal.
pub(crate) struct Outcome {
    pub response: Answer,
    pub effects: Vec<Effect>,
}

/// The context of one write: when, by whom.
pub(crate) struct WriteCtx {
    pub now: i64,
    pub user_id: u64,
}

/// Runs a write method and journals it in the same transaction.
pub(crate) fn write(cx: &Ctx<'_>, w: &mut Writer<'_>, req: &Request) -> Result<Answer> {
    let resolved = resolve_aliases(&w.tx(), req)?;
    let req = resolved.as_ref().unwrap_or(req);
    use Method::*;
    let ctx = write_ctx(w)?;
    let out = match req.method {
        AddProject => projects::add_project(w, &ctx, req)?,
        UpdateProject => projects::update_project(w, req)?,
        DeleteProject => projects::delete_project(w, req)?,
        AddSuite => suites::add_suite(w, &ctx, req)?,
        UpdateSuite => suites::update_suite(w, req)?,
        DeleteSuite => suites::delete_suite(w, req)?,
        AddSection => sections::add_section(w, req)?,
        UpdateSection => sections::update_section(w, req)?,
        MoveSection => sections::move_section(w, req)?,
        DeleteSection => sections::delete_section(w, req)?,
        AddCase => cases::add_case(w, &ctx, req)?,
        UpdateCase => cases::update_case(w, &ctx, req)?,
        UpdateCases => cases::update_cases(w, &ctx, req)?,
        DeleteCase => cases::delete_case(cx, w, req)?,
        DeleteCases => cases::delete_cases(cx, w, req)?,
        CopyCasesToSection => cases::copy_cases_to_section(w, &ctx, req)?,
        MoveCasesToSection => cases::move_cases_to_section(w, &ctx, req)?,
        AddCaseField => refdata::add_case_field(w, req)?,
        AddMilestone => milestones::add_milestone(w, &ctx, req)?,
        UpdateMilestone => milestones::update_milestone(w, &ctx, req)?,
        DeleteMilestone => milestones::delete_milestone(w, req)?,
        AddRun => runs::add_run(w, &ctx, req)?,
        UpdateRun => runs::update_run(w, &ctx, req)?,
        CloseRun => runs::close_run(w, &ctx, req)?,
        DeleteRun => runs::delete_run(w, req)?,
        AddResult => results::add_result(w, &ctx, req)?,
        AddResultForCase => results::add_result_for_case(w, &ctx, req)?,
        AddResults => results::add_results(w, &ctx, req, false)?,
        AddResultsForCases => results::add_results(w, &ctx, req, true)?,
        EditResult => results::edit_result(w, req)?,
        AddPlan => plans::add_plan(w, &ctx, req)?,
        AddPlanEntry => plans::add_plan_entry(w, &ctx, req)?,
        AddRunToPlanEntry => plans::add_run_to_plan_entry(w, &ctx, req)?,
        UpdatePlan => plans::update_plan(w, &ctx, req)?,
        UpdatePlanEntry => plans::update_plan_entry(w, &ctx, req)?,
        UpdateRunInPlanEntry => plans::update_run_in_plan_entry(w, &ctx, req)?,
        ClosePlan => plans::close_plan(w, &ctx, req)?,
        DeletePlan => plans::delete_plan(w, req)?,
        DeletePlanEntry => plans::delete_plan_entry(w, req)?,
        DeleteRunFromPlanEntry => plans::delete_run_from_plan_entry(w, req)?,
        AddConfigGroup => configs::add_config_group(w, req)?,
        AddConfig => configs::add_config(w, req)?,
        UpdateConfigGroup => configs::update_config_group(w, req)?,
        UpdateConfig => configs::update_config(w, req)?,
        DeleteConfigGroup => configs::delete_config_group(w, req)?,
        DeleteConfig => configs::delete_config(w, req)?,
        DeleteAttachment => attachments::delete_attachment(w, req)?,
        AddAttachmentToCase
        | AddAttachmentToResult
        | AddAttachmentToRun
        | AddAttachmentToPlan
        | AddAttachmentToPlanEntry => return Err(msg::attachment_needs_a_file(req.method.name())),
        XResolveConflict => resolve_conflict(cx, w, req)?,
        m => return Err(msg::wrong_http_method(m.name(), "GET")),
    };
    journal(w, &ctx, req, StoredJson::Object(&req.body), out)
}

/// The context of a write made now by the store's user.
fn write_ctx(w: &Writer<'_>) -> Result<WriteCtx> {
    Ok(WriteCtx {
        now: now(),
        user_id: w.tx().meta_u64(crate::tables::meta::USER_ID)?.unwrap_or(1),
    })
}

/// Appends the journal entry of a write that changed something, and answers it.
fn journal(
    w: &mut Writer<'_>,
    ctx: &WriteCtx,
    req: &Request,
    body: StoredJson<'_>,
    out: Outcome,
) -> Result<Answer> {
    if !out.effects.is_empty() {
        w.append_new_entry(NewEntry {
            seq: 0,
            op_id: &crate::journal::new_op_id(),
            route: &req.route,
            body,
            time: ctx.now,
            user_id: ctx.user_id,
            effects: &out.effects,
            state: &PushState::Pending,
        })?;
    }
    Ok(out.response)
}

/// Records an uploaded file for an `add_attachment_to_*` route (see [`crate::Upload`]); the
/// journal keeps the file's name, size and hash as the entry's body.
pub(crate) fn attach(
    cx: &Ctx<'_>,
    w: &mut Writer<'_>,
    req: &Request,
    name: &str,
    staged: &crate::blobs::Staged,
) -> Result<Answer> {
    let resolved = resolve_aliases(&w.tx(), req)?;
    let req = resolved.as_ref().unwrap_or(req);
    let ctx = write_ctx(w)?;
    let out = attachments::add(cx, w, &ctx, req, name, staged)?;
    let body = serde_json::json!({"name": name, "size": staged.size, "sha256": staged.sha256});
    journal(w, &ctx, req, StoredJson::Value(&body), out)
}

/// Checks that an upload route names an owner that exists, before any byte is read.
pub(crate) fn check_attachment_owner(tx: &Tx<'_>, req: &Request) -> Result<()> {
    let resolved = resolve_aliases(tx, req)?;
    attachments::owner(tx, resolved.as_ref().unwrap_or(req)).map(|_| ())
}

/// `x_resolve_conflict` with `{"key": "case/12/title", "resolution": "local" | "server" |
/// "value", "value": ...}`. A new value is applied as an ordinary (journaled) edit, then kept.
fn resolve_conflict(cx: &Ctx<'_>, w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    use crate::conflicts::Resolution;
    let key = match req.body.get("key") {
        Some(Value::String(k)) if !k.is_empty() => k.clone(),
        _ => return Err(msg::required("key")),
    };
    let mut effects = Vec::new();
    let how = match req.body.get("resolution").and_then(Value::as_str) {
        Some("local") => Resolution::Local,
        Some("server") => Resolution::Server,
        Some("value") => {
            let c = w.tx().conflict(&key)?.ok_or_else(|| {
                Error::not_found(
                    "key",
                    format!("Field :key is not a valid conflict ({key})."),
                )
            })?;
            let value = req
                .body
                .get("value")
                .cloned()
                .ok_or_else(|| msg::required("value"))?;
            let route = match c.kind {
                Kind::Case => format!("update_case/{}", c.id),
                Kind::Section => format!("update_section/{}", c.id),
                _ => {
                    return Err(Error::validation(
                        "resolution",
                        "Only case and section conflicts take a new value.",
                    ))
                }
            };
            let mut body = Map::new();
            body.insert(c.field.clone(), value);
            let edit = Request::parse(&route, Some(&Value::Object(body)))?;
            write(cx, w, &edit)?;
            Resolution::Local
        }
        _ => {
            return Err(Error::validation(
                "resolution",
                "Field :resolution must be local, server or value.",
            ))
        }
    };
    let out = crate::conflicts::resolve(w, &key, how)?;
    effects.clear();
    Ok(Outcome {
        response: Response::Json(out).into(),
        effects,
    })
}

/// Reads a list of ids given as a JSON array or as a comma-separated string ("1,2,3"), the two
/// forms clients send `case_ids` in.
pub(crate) fn id_list(field: &str, v: Option<&Value>) -> Result<Vec<u64>> {
    let out = match v {
        None | Some(Value::Null) => return Err(msg::required(field)),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| validate::id_value(field, i))
            .collect::<Result<Vec<_>>>()?,
        Some(Value::String(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| validate::id_text(field, p))
            .collect::<Result<Vec<_>>>()?,
        Some(Value::Number(_)) => vec![validate::id_value(field, v.unwrap_or(&Value::Null))?],
        Some(_) => return Err(msg::invalid_id(field)),
    };
    if out.is_empty() {
        return Err(msg::required(field));
    }
    Ok(out)
}

/// Reads a comma-separated list filter (`priority_id=3,4`).
pub(crate) fn csv_ids(req: &Request, key: &str) -> Result<Option<Vec<u64>>> {
    match req.param(key) {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => s
            .split(',')
            .map(|p| validate::id_text(key, p.trim()))
            .collect::<Result<Vec<_>>>()
            .map(Some),
    }
}

/// Reads a timestamp filter (`created_after=1700000000`).
pub(crate) fn timestamp(req: &Request, key: &str) -> Result<Option<i64>> {
    match req.param(key) {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| msg::not_valid(key, "timestamp")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn typed_parameters_are_encoded_as_testrail_clients_send_them() {
        let req = Request::with_params(
            "get_cases/1",
            &params(json!({
                "suite_id": 2, "priority_id": [3, 4], "is_completed": true, "flag": false,
                "milestone_id": null, "filter": "a&b=c",
            })),
            None,
        )
        .unwrap();
        assert_eq!(req.ids, vec![1]);
        assert_eq!(req.param("suite_id"), Some("2"));
        assert_eq!(req.param("priority_id"), Some("3,4"));
        assert_eq!(req.param("is_completed"), Some("1"));
        assert_eq!(req.param("flag"), Some("0"));
        assert_eq!(req.param("milestone_id"), None);
        assert_eq!(req.param("filter"), Some("a&b=c"));
        // The route (journaled for writes, linked for pages) parses back to the same parameters.
        let again = Request::parse(&req.route, None).unwrap();
        assert_eq!(again.params, req.params);
    }

    #[test]
    fn nested_parameters_are_refused_naming_the_key() {
        for bad in [json!({"a": 1}), json!([[1]]), json!([{"a": 1}])] {
            let err = Request::with_params("get_cases/1", &params(json!({ "opts": bad })), None)
                .unwrap_err();
            assert_eq!(err.field(), Some("opts"));
            assert_eq!(
                err.to_string(),
                "Field :opts must be a number, a string, a boolean, or a list of them."
            );
        }
    }

    #[test]
    fn verbs_are_checked_once_for_every_front() {
        assert!(Method::GetCase.check_verb(false).is_ok());
        assert!(Method::AddCase.check_verb(true).is_ok());
        assert_eq!(
            Method::AddCase.check_verb(false).unwrap_err().to_string(),
            "The method add_case requires HTTP POST."
        );
        assert_eq!(
            Method::GetCase.check_verb(true).unwrap_err().to_string(),
            "The method get_case requires HTTP GET."
        );
    }

    #[test]
    fn every_list_method_says_how_it_lists() {
        for m in Method::ALL {
            if m.list_key().is_some() {
                assert!(m.is_list() && !m.is_write(), "{}", m.name());
            }
        }
        assert_eq!(Method::GetCases.list_key(), Some("cases"));
        assert!(!Method::GetCase.is_list());
    }
}
