//! Recording a test report into the store: what `trcli parse_junit` (1.15.3) does against a
//! TestRail server, done as dispatcher calls on the store, in one batch.
//!
//! A [`Recording`] is a report already read (the CLI's `trailstore junit` reads JUnit XML into
//! one; the pytest plugin builds one from a session). [`Store::record`] resolves the project and
//! suite, matches each test to a case (by automation id or by the case ids in the report),
//! creates the cases and sections that are missing, adds the run (or updates one, or adds a plan
//! entry), adds the results in trcli's shape, uploads their attachments and closes the run when
//! asked: every write through the same routes trcli calls, so the journal holds the calls trcli
//! would have made and `push` replays them. Either all of it is written or none of it.
//!
//! Every rule of that mapping is here, once, with the trcli file and function it follows.

mod json;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde_json::{json, Map, Value};

use crate::api::Request;
use crate::error::{Error, Result};
use crate::store::{Batch, Store};

/// trcli's names of the automation id case field, old and new
/// (trcli/constants.py `OLD_SYSTEM_NAME_AUTOMATION_ID`, `UPDATED_SYSTEM_NAME_AUTOMATION_ID`).
pub const AUTOMATION_ID_FIELDS: [&str; 2] = ["custom_automation_id", "custom_case_automation_id"];

/// How many results one `add_results_for_cases` call carries: trcli's default `--batch-size`.
const RESULTS_PER_CALL: usize = 50;

/// The longest case title trcli makes (data_classes/data_parsers.py
/// `TestRailCaseFieldsOptimizer.MAX_TESTCASE_TITLE_LENGTH`).
const MAX_TITLE: usize = 250;

/// The project to record into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectRef {
    Id(u64),
    /// By exact name (trcli's `--project`); two projects of that name are refused.
    Name(String),
    /// A command-line value: the project of that exact name, else the project with that id.
    IdOrName(String),
}

/// The suite to record into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuiteRef {
    Id(u64),
    /// By exact name; in a multi-suite project a missing suite is created, as trcli does.
    Name(String),
}

/// Where the results go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A new run, named by [`RunInfo::name`].
    NewRun,
    /// An existing run: it gains the report's cases (trcli's `--run-id`).
    Run(u64),
    /// A new entry of this plan, with one run (trcli's `--plan-id`).
    Plan(u64),
}

/// The run's name, description, milestone and references. For an existing run, only what is
/// given changes (references are added to the run's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunInfo {
    pub name: Option<String>,
    pub description: Option<String>,
    pub milestone_id: Option<u64>,
    pub refs: Option<String>,
}

/// How a test finds its case (trcli's `--case-matcher`, api/case_matcher.py).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CaseMatcher {
    /// By automation id (`classname.name`), creating the cases not found.
    #[default]
    Auto,
    /// By the case id in the test's name (`C123 …`, `[C1, C2] …`).
    Name,
    /// By the `test_id` property (`C123`, `C1, C2`).
    Property,
}

/// The status each outcome records (trcli/readers/junit_xml.py `_case_result_statuses`,
/// overridable there by the config key `case_result_statuses`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusMap {
    pub passed: u64,
    pub skipped: u64,
    pub failure: u64,
    pub error: u64,
}

impl Default for StatusMap {
    fn default() -> StatusMap {
        StatusMap {
            passed: 1,
            skipped: 4,
            failure: 5,
            error: 5,
        }
    }
}

/// How a test ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Outcome {
    #[default]
    Passed,
    Skipped,
    Failure,
    Error,
}

/// What the report says about a test that did not pass: the first `<failure>`, `<error>` or
/// `<skipped>` element's `type`, `message` and text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Detail {
    pub kind: Option<String>,
    pub message: Option<String>,
    pub text: Option<String>,
}

impl Detail {
    pub fn new(kind: Option<String>, message: Option<String>, text: Option<String>) -> Detail {
        Detail {
            kind,
            message,
            text,
        }
    }
}

/// One step's result (`custom_step_results` of the result).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepResult {
    pub content: String,
    pub status_id: u64,
}

impl StepResult {
    /// A `testrail_result_step` value, `passed|failed|skipped|untested: text`
    /// (trcli/readers/junit_xml.py `_parse_case_properties`, `STEP_STATUSES`).
    pub fn parse(value: &str) -> Result<StepResult> {
        let (status, content) = value.split_once(':').ok_or_else(|| {
            Error::bad_request(format!(
                "A result step is written STATUS:TEXT (passed, failed, skipped or untested), got \"{value}\"."
            ))
        })?;
        let status_id = match status.trim().to_lowercase().as_str() {
            "passed" => 1,
            "untested" => 3,
            "skipped" => 4,
            "failed" => 5,
            other => {
                return Err(Error::bad_request(format!(
                "A result step's status is passed, failed, skipped or untested, got \"{other}\"."
            )))
            }
        };
        Ok(StepResult {
            content: content.trim().to_string(),
            status_id,
        })
    }
}

/// One test of the report.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct RecordedTest {
    /// The test's name (JUnit `name`): the new case's title, and where the name matcher looks
    /// for case ids.
    pub name: String,
    /// JUnit `classname`: with the name, the automation id `classname.name`.
    pub classname: Option<String>,
    /// An automation id of the test's own (JUnit's `custom_automation_id` attribute) instead of
    /// `classname.name`.
    pub automation_id: Option<String>,
    /// The `test_id` property (`C123`, `C1, C2`), read by the property matcher.
    pub test_id: Option<String>,
    /// Case ids given outright (a pytest marker): they win over every matcher.
    pub case_ids: Vec<u64>,
    /// The section a new case goes to (the JUnit testsuite's name).
    pub section: Option<String>,
    /// Fields of a new case (`testrail_case_field`), over the recording's.
    pub case_fields: Map<String, Value>,
    /// Fields of the result (`testrail_result_field`: `version`, `defects`, `custom_*`), over
    /// the recording's.
    pub result_fields: Map<String, Value>,
    pub outcome: Outcome,
    pub detail: Option<Detail>,
    /// Seconds (JUnit `time`).
    pub elapsed: Option<f64>,
    /// Comments put before the outcome's (`testrail_result_comment`), in order.
    pub comments: Vec<String>,
    pub steps: Vec<StepResult>,
    /// Files for the result (`testrail_attachment`), read when recorded.
    pub attachments: Vec<PathBuf>,
}

impl RecordedTest {
    pub fn new(name: impl Into<String>) -> RecordedTest {
        RecordedTest {
            name: name.into(),
            ..RecordedTest::default()
        }
    }
}

/// A test report to record (see the module docs).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Recording {
    pub project: ProjectRef,
    /// None: the one suite of a single-suite project.
    pub suite: Option<SuiteRef>,
    pub target: Target,
    pub run: RunInfo,
    pub close_run: bool,
    pub matcher: CaseMatcher,
    /// The section of new cases whose test names none.
    pub default_section: Option<String>,
    /// Fields of every new case (trcli's `--case-fields`).
    pub case_fields: Map<String, Value>,
    /// Fields of every result (trcli's `--result-fields`).
    pub result_fields: Map<String, Value>,
    pub statuses: StatusMap,
    /// Elapsed times to the millisecond (trcli's `--allow-ms`) instead of whole seconds.
    pub allow_ms: bool,
    /// The report's testsuite properties: a new run's description lists them, `name: value`.
    pub properties: Vec<(String, String)>,
    pub tests: Vec<RecordedTest>,
}

impl Recording {
    /// A field given as `name:value`, as trcli reads `--case-fields`, `--result-fields` and the
    /// `testrail_case_field` / `testrail_result_field` properties.
    pub fn parse_field(text: &str) -> Result<(String, Value)> {
        parse_field(text)
    }

    pub fn new(project: ProjectRef, target: Target) -> Recording {
        Recording {
            project,
            suite: None,
            target,
            run: RunInfo::default(),
            close_run: false,
            matcher: CaseMatcher::Auto,
            default_section: None,
            case_fields: Map::new(),
            result_fields: Map::new(),
            statuses: StatusMap::default(),
            allow_ms: false,
            properties: Vec::new(),
            tests: Vec::new(),
        }
    }
}

/// What recording a report did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordReport {
    pub project_id: u64,
    pub project: String,
    pub suite_id: u64,
    pub suite: String,
    pub suite_created: bool,
    pub run_id: u64,
    /// The plan of the run, if it is in one.
    pub plan_id: Option<u64>,
    pub run_created: bool,
    pub run_closed: bool,
    /// Existing cases the report's tests matched.
    pub cases_matched: usize,
    pub cases_created: usize,
    pub sections_created: usize,
    /// The new results' ids, in the report's order (a test with two case ids has two).
    pub result_ids: Vec<u64>,
    pub attachments_added: usize,
    /// Files that could not be attached (`path: why`); trcli warns and goes on, and so does this.
    pub attachments_failed: Vec<String>,
}

impl RecordReport {
    pub fn results_added(&self) -> usize {
        self.result_ids.len()
    }

    pub fn to_json(&self) -> Value {
        json!({
            "project_id": self.project_id,
            "project": self.project,
            "suite_id": self.suite_id,
            "suite": self.suite,
            "suite_created": self.suite_created,
            "run_id": self.run_id,
            "plan_id": self.plan_id,
            "run_created": self.run_created,
            "run_closed": self.run_closed,
            "cases_matched": self.cases_matched,
            "cases_created": self.cases_created,
            "sections_created": self.sections_created,
            "results_added": self.results_added(),
            "result_ids": self.result_ids,
            "attachments_added": self.attachments_added,
            "attachments_failed": self.attachments_failed,
        })
    }
}

impl std::fmt::Display for RecordReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} results in run R{}{} of project \"{}\" (suite \"{}\"{}): {} cases matched, {} created, {} sections created, {} attachments",
            self.results_added(),
            self.run_id,
            match (self.run_created, self.plan_id) {
                (true, Some(p)) => format!(" (new, in plan R{p})"),
                (true, None) => " (new)".to_string(),
                (false, _) => String::new(),
            },
            self.project,
            self.suite,
            if self.suite_created { ", new" } else { "" },
            self.cases_matched,
            self.cases_created,
            self.sections_created,
            self.attachments_added,
        )?;
        if self.run_closed {
            f.write_str("; the run is closed")?;
        }
        Ok(())
    }
}

/// Where recording a report has got to, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordProgress {
    /// What is being done now.
    Stage(&'static str),
    /// How many writes there will be (cases to create, results, attachments), once known.
    Planned(u64),
    /// That many more of them are done.
    Done(u64),
}

impl Store {
    /// Records a test report in one transaction: all of it, or nothing (see the module docs).
    pub fn record(&self, recording: &Recording) -> Result<RecordReport> {
        self.record_with(recording, &mut |_| {})
    }

    /// [`Store::record`], telling `progress` how far it got.
    pub fn record_with(
        &self,
        recording: &Recording,
        progress: &mut dyn FnMut(RecordProgress),
    ) -> Result<RecordReport> {
        let mut batch = self.batch()?;
        let report = batch.record_with(recording, progress)?;
        batch.commit()?;
        Ok(report)
    }
}

impl Batch {
    /// [`Store::record`] inside the batch (committed with it).
    pub fn record(&mut self, recording: &Recording) -> Result<RecordReport> {
        self.record_with(recording, &mut |_| {})
    }

    /// [`Store::record_with`] inside the batch.
    pub fn record_with(
        &mut self,
        recording: &Recording,
        progress: &mut dyn FnMut(RecordProgress),
    ) -> Result<RecordReport> {
        Recorder {
            b: self,
            r: recording,
            progress,
        }
        .run()
    }
}

/// One result to add: a test, or one of the case ids it fans out to.
struct Entry {
    test: usize,
    case_id: Option<u64>,
    title: String,
    automation_id: String,
}

struct Recorder<'a> {
    b: &'a mut Batch,
    r: &'a Recording,
    progress: &'a mut dyn FnMut(RecordProgress),
}

impl Recorder<'_> {
    fn read(&mut self, route: &str) -> Result<Value> {
        Ok(self.b.call(route, None)?.into_value())
    }

    /// Every item of a list route, every page (trcli's `__get_all_entities`).
    fn list(&mut self, route: &str) -> Result<Vec<Value>> {
        self.b.list_all(&Request::parse(route, None)?)
    }

    fn write(&mut self, route: &str, body: Value) -> Result<Value> {
        Ok(self.b.call(route, Some(&body))?.into_value())
    }

    fn run(mut self) -> Result<RecordReport> {
        let r = self.r;
        let mut report = RecordReport::default();
        (self.progress)(RecordProgress::Stage("resolving the project and suite"));
        let project = self.project()?;
        let pid = id_of(&project)?;
        report.project_id = pid;
        report.project = project["name"].as_str().unwrap_or_default().to_string();
        let (suite_id, suite_name, created) = self.suite(&project)?;
        report.suite_id = suite_id;
        report.suite = suite_name;
        report.suite_created = created;

        let mut entries = self.entries()?;

        // The suite's cases: the auto matcher's candidates, and the check of the report's ids.
        (self.progress)(RecordProgress::Stage("matching cases"));
        let cases = self.list(&format!("get_cases/{pid}&suite_id={suite_id}"))?;
        let known: HashSet<u64> = cases.iter().filter_map(|c| c["id"].as_u64()).collect();
        check_case_ids(&entries, &known)?;
        if r.matcher == CaseMatcher::Auto {
            match_by_automation_id(&mut entries, &cases);
        }
        let mut matched: HashSet<u64> = HashSet::new();
        for e in &entries {
            if let Some(id) = e.case_id {
                matched.insert(id);
            }
        }
        report.cases_matched = matched.len();

        let creates = masters(&entries);
        let results = entries.len() as u64;
        let files: u64 = entries
            .iter()
            .map(|e| r.tests[e.test].attachments.len() as u64)
            .sum();
        (self.progress)(RecordProgress::Planned(
            creates.len() as u64 + results + files,
        ));
        if !creates.is_empty() {
            let field = if r.matcher == CaseMatcher::Auto {
                Some(self.automation_field(pid)?)
            } else {
                None
            };
            (self.progress)(RecordProgress::Stage("adding sections and cases"));
            let sections = self.sections(pid, suite_id, &entries, &creates, &mut report)?;
            self.create_cases(&mut entries, &creates, &sections, field.as_deref())?;
            report.cases_created = creates.len();
        }

        (self.progress)(RecordProgress::Stage("adding the run"));
        let (run_id, plan_id) = self.target(pid, suite_id, &entries, &mut report)?;
        report.run_id = run_id;
        report.plan_id = plan_id;

        (self.progress)(RecordProgress::Stage("adding results"));
        let bodies: Vec<Value> = entries.iter().map(|e| self.result_body(e)).collect();
        let mut ids = Vec::with_capacity(bodies.len());
        for chunk in bodies.chunks(RESULTS_PER_CALL) {
            let answer = self.write(
                &format!("add_results_for_cases/{run_id}"),
                json!({"results": chunk}),
            )?;
            let added = answer
                .as_array()
                .ok_or_else(|| Error::internal("add_results_for_cases answered no list"))?;
            for a in added {
                ids.push(id_of(a)?);
            }
            (self.progress)(RecordProgress::Done(chunk.len() as u64));
        }

        // trcli uploads every result's files once all results are in
        // (api/result_handler.py `add_results`, then `upload_attachments`).
        (self.progress)(RecordProgress::Stage("attaching files"));
        for (e, result_id) in entries.iter().zip(&ids) {
            for path in &r.tests[e.test].attachments {
                let route = format!("add_attachment_to_result/{result_id}");
                match self.b.add_attachment_file(&route, path) {
                    Ok(_) => report.attachments_added += 1,
                    // A file that cannot be read or is too large is reported, as trcli warns
                    // and goes on; anything else stops the recording.
                    Err(
                        err @ (Error::Io(_) | Error::TooLarge { .. } | Error::BadRequest { .. }),
                    ) if self.b.is_open() => {
                        report
                            .attachments_failed
                            .push(format!("{}: {err}", path.display()));
                    }
                    Err(err) => return Err(err),
                }
                (self.progress)(RecordProgress::Done(1));
            }
        }
        report.result_ids = ids;

        if r.close_run {
            // trcli sends the run id in the body too (api/run_handler.py `close_run`).
            self.write(&format!("close_run/{run_id}"), json!({"run_id": run_id}))?;
            report.run_closed = true;
        }
        Ok(report)
    }

    /// The project by id or exact name (api/api_request_handler.py `get_project_data`).
    fn project(&mut self) -> Result<Value> {
        let by_name = |projects: &[Value], name: &str| -> Vec<Value> {
            projects
                .iter()
                .filter(|p| p["name"].as_str() == Some(name))
                .cloned()
                .collect()
        };
        let name = match &self.r.project {
            ProjectRef::Id(id) => return self.read(&format!("get_project/{id}")),
            ProjectRef::Name(n) | ProjectRef::IdOrName(n) => n,
        };
        let projects = self.list("get_projects")?;
        let mut found = by_name(&projects, name);
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => match (&self.r.project, name.trim().parse::<u64>()) {
                (ProjectRef::IdOrName(_), Ok(id)) => self.read(&format!("get_project/{id}")),
                _ => Err(Error::not_found(
                    "project",
                    format!("There is no project named \"{name}\"."),
                )),
            },
            // trcli's words (trcli/constants.py `more_than_one_project`).
            _ => Err(Error::bad_request(format!(
                "Given project name matches more than one result: {}. Give the project's id instead.",
                found
                    .iter()
                    .map(|p| p["id"].to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// The suite, by the project's suite mode (api/project_based_client.py `get_suite_id`):
    /// single-suite projects use their suite whatever the name; a multi-suite project finds the
    /// suite by name and creates it when there is none; a baseline project finds it by name or
    /// uses its only suite. Answers its id, name, and whether it was created.
    fn suite(&mut self, project: &Value) -> Result<(u64, String, bool)> {
        let pid = id_of(project)?;
        let mode = project["suite_mode"].as_u64().unwrap_or(1);
        let suites = self.list(&format!("get_suites/{pid}"))?;
        let name_of = |s: &Value| s["name"].as_str().unwrap_or_default().to_string();
        let only = |suites: &[Value]| -> Result<(u64, String, bool)> {
            match suites {
                [s] => Ok((id_of(s)?, name_of(s), false)),
                [] => Err(Error::not_found(
                    "suite_id",
                    format!("The project {pid} does not have any suites."),
                )),
                _ => Err(Error::validation(
                    "suite_id",
                    format!(
                        "One or more baselines created under '{}' (single suite with baseline project). Give the suite's id.",
                        name_of(project)
                    ),
                )),
            }
        };
        match &self.r.suite {
            Some(SuiteRef::Id(id)) => match suites.iter().find(|s| s["id"].as_u64() == Some(*id)) {
                Some(s) => Ok((*id, name_of(s), false)),
                None => Err(Error::not_found(
                    "suite_id",
                    format!("Suite with ID '{id}' does not exist in TestRail."),
                )),
            },
            _ if mode == 1 => match suites.first() {
                Some(s) => Ok((id_of(s)?, name_of(s), false)),
                None => only(&suites),
            },
            Some(SuiteRef::Name(name)) => {
                if let Some(s) = suites.iter().find(|s| s["name"].as_str() == Some(name)) {
                    return Ok((id_of(s)?, name.clone(), false));
                }
                if mode == 3 {
                    let s = self.write(&format!("add_suite/{pid}"), json!({"name": name}))?;
                    return Ok((id_of(&s)?, name.clone(), true));
                }
                only(&suites)
            }
            None if mode == 3 => Err(Error::validation(
                "suite_id",
                "The project has several suites: give the suite's id or name.",
            )),
            None => only(&suites),
        }
    }

    /// The report's tests as results to add: one per test, or one per case id of a test that
    /// names several (trcli/readers/junit_xml.py `_parse_test_cases`).
    fn entries(&self) -> Result<Vec<Entry>> {
        let r = self.r;
        let mut out = Vec::with_capacity(r.tests.len());
        for (i, t) in r.tests.iter().enumerate() {
            let (ids, name) = if !t.case_ids.is_empty() {
                (t.case_ids.clone(), t.name.clone())
            } else {
                match r.matcher {
                    CaseMatcher::Auto => (Vec::new(), t.name.clone()),
                    CaseMatcher::Name => parse_name_with_id(&t.name),
                    CaseMatcher::Property => (
                        t.test_id.as_deref().map(parse_test_id).unwrap_or_default(),
                        t.name.clone(),
                    ),
                }
            };
            let title = last_words(&name, MAX_TITLE);
            if title.is_empty() {
                // trcli refuses the whole report (data_classes/dataclass_testrail.py
                // `TestRailCase.__post_init__`).
                return Err(Error::validation(
                    "title",
                    format!(
                        "Unable to parse field title in TestRailCase tag. Title is empty (test {} of the report, \"{}\").",
                        i + 1,
                        t.name
                    ),
                ));
            }
            let automation_id = automation_id(t);
            if ids.is_empty() {
                out.push(Entry {
                    test: i,
                    case_id: None,
                    title,
                    automation_id,
                });
            } else {
                for id in ids {
                    out.push(Entry {
                        test: i,
                        case_id: Some(id),
                        title: title.clone(),
                        automation_id: automation_id.clone(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// The automation id field cases are created with, checked as trcli checks it before it
    /// creates any (api/api_request_handler.py `check_automation_id_field`): it must exist, be
    /// active, and apply to the project.
    fn automation_field(&mut self, pid: u64) -> Result<String> {
        let fields = self.list("get_case_fields")?;
        let field = fields.iter().find(|f| {
            f["system_name"]
                .as_str()
                .is_some_and(|n| AUTOMATION_ID_FIELDS.contains(&n))
        });
        let Some(field) = field else {
            return Err(Error::validation(
                "custom_automation_id",
                "The report has tests that match no case, and the automation id field the auto case matcher creates them with does not exist: add a String case field with the system name `automation_id` (add_case_field, as a TestRail administrator would), or match by name or property.",
            ));
        };
        let name = field["system_name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if field["is_active"] == Value::Bool(false) {
            return Err(Error::validation(
                name.clone(),
                format!("The case field {name} is not active; the auto case matcher needs it to create cases."),
            ));
        }
        let configs = field["configs"].as_array().cloned().unwrap_or_default();
        let applies = configs.is_empty()
            || configs.iter().any(|c| {
                let ctx = &c["context"];
                ctx["is_global"] == Value::Bool(true)
                    || ctx["project_ids"]
                        .as_array()
                        .is_some_and(|ids| ids.iter().any(|p| p.as_u64() == Some(pid)))
            });
        if !applies {
            return Err(Error::validation(
                name.clone(),
                format!("The case field {name} does not apply to project {pid}; the auto case matcher needs it to create cases."),
            ));
        }
        Ok(name)
    }

    /// The section of each new case, found by name or created (api/section_handler.py
    /// `check_missing_section_ids`, `add_sections`). Only sections that get a new case are
    /// created: trcli creates every missing one and then deletes those left empty
    /// (api/results_uploader.py `upload_results`), which leaves the same server.
    fn sections(
        &mut self,
        pid: u64,
        suite_id: u64,
        entries: &[Entry],
        creates: &[usize],
        report: &mut RecordReport,
    ) -> Result<HashMap<String, u64>> {
        let existing = self.list(&format!("get_sections/{pid}&suite_id={suite_id}"))?;
        // A later section of the same name wins, as trcli's dictionary by name does.
        let mut by_name: HashMap<String, u64> = HashMap::new();
        for s in &existing {
            if let (Some(n), Some(id)) = (s["name"].as_str(), s["id"].as_u64()) {
                by_name.insert(n.to_string(), id);
            }
        }
        for &i in creates {
            let t = &self.r.tests[entries[i].test];
            let name = self.section_of(t, entries[i].test)?;
            if by_name.contains_key(&name) {
                continue;
            }
            let s = self.write(
                &format!("add_section/{pid}"),
                json!({"name": name, "suite_id": suite_id}),
            )?;
            by_name.insert(name, id_of(&s)?);
            report.sections_created += 1;
        }
        Ok(by_name)
    }

    fn section_of(&self, t: &RecordedTest, i: usize) -> Result<String> {
        t.section
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| self.r.default_section.clone().filter(|s| !s.is_empty()))
            .ok_or_else(|| {
                Error::validation(
                    "section",
                    format!(
                        "Test {} of the report (\"{}\") is in no named section, and no default section is given.",
                        i + 1,
                        t.name
                    ),
                )
            })
    }

    /// Adds the missing cases, each once, and gives every entry of the same automation id its
    /// id (api/case_handler.py `_add_case_and_update_data`, data_providers/api_data_provider.py
    /// `add_cases`).
    fn create_cases(
        &mut self,
        entries: &mut [Entry],
        creates: &[usize],
        sections: &HashMap<String, u64>,
        field: Option<&str>,
    ) -> Result<()> {
        let r = self.r;
        let mut by_automation: HashMap<String, u64> = HashMap::new();
        for &i in creates {
            let t = &r.tests[entries[i].test];
            let section = self.section_of(t, entries[i].test)?;
            let section_id = *sections
                .get(&section)
                .ok_or_else(|| Error::internal("a new case's section was not resolved"))?;
            let body = case_body(r, t, &entries[i], field);
            let case = self.write(&format!("add_case/{section_id}"), Value::Object(body))?;
            let id = id_of(&case)?;
            entries[i].case_id = Some(id);
            if !entries[i].automation_id.is_empty() {
                by_automation.insert(entries[i].automation_id.clone(), id);
            }
            (self.progress)(RecordProgress::Done(1));
        }
        for e in entries.iter_mut().filter(|e| e.case_id.is_none()) {
            e.case_id = by_automation.get(&e.automation_id).copied();
        }
        if entries.iter().any(|e| e.case_id.is_none()) {
            return Err(Error::internal("a test was left without a case"));
        }
        Ok(())
    }

    /// The run the results go to: a new one, a new plan entry, or an existing run updated to
    /// hold the report's cases too (api/run_handler.py `add_run`, `update_run`).
    fn target(
        &mut self,
        pid: u64,
        suite_id: u64,
        entries: &[Entry],
        report: &mut RecordReport,
    ) -> Result<(u64, Option<u64>)> {
        let r = self.r;
        // Every case id, in report order and not de-duplicated, as trcli sends them
        // (data_providers/api_data_provider.py `add_run`).
        let case_ids: Vec<u64> = entries.iter().filter_map(|e| e.case_id).collect();
        let mut body = Map::new();
        body.insert("suite_id".into(), suite_id.into());
        match r.target {
            Target::NewRun | Target::Plan(_) => {
                body.insert("description".into(), self.new_run_description().into());
                body.insert("include_all".into(), false.into());
                if case_ids.is_empty() {
                    return Err(Error::validation(
                        "case_ids",
                        "Cannot create test run: No test cases were matched.",
                    ));
                }
                body.insert("case_ids".into(), json!(case_ids));
                if let Some(refs) = &r.run.refs {
                    body.insert("refs".into(), refs.clone().into());
                }
                if let Some(name) = &r.run.name {
                    body.insert("name".into(), name.clone().into());
                }
                if let Some(m) = r.run.milestone_id {
                    body.insert("milestone_id".into(), m.into());
                }
                report.run_created = true;
                if let Target::Plan(plan) = r.target {
                    let entry =
                        self.write(&format!("add_plan_entry/{plan}"), Value::Object(body))?;
                    let run = entry["runs"].get(0).ok_or_else(|| {
                        Error::internal("add_plan_entry answered an entry without runs")
                    })?;
                    Ok((id_of(run)?, Some(plan)))
                } else {
                    let run = self.write(&format!("add_run/{pid}"), Value::Object(body))?;
                    Ok((id_of(&run)?, None))
                }
            }
            Target::Run(run_id) => {
                let run = self.read(&format!("get_run/{run_id}"))?;
                let description = match &r.run.description {
                    Some(d) if !d.is_empty() => d.clone().into(),
                    _ => run["description"].clone(),
                };
                body.insert("description".into(), description);
                let include_all = run["include_all"].as_bool().unwrap_or(false);
                body.insert("include_all".into(), include_all.into());
                if !include_all {
                    // update_run replaces the selection, so the run's own cases are kept by
                    // sending them too (trcli's union, here in id order).
                    let tests = self.list(&format!("get_tests/{run_id}"))?;
                    let mut all: Vec<u64> =
                        tests.iter().filter_map(|t| t["case_id"].as_u64()).collect();
                    all.extend(&case_ids);
                    all.sort_unstable();
                    all.dedup();
                    body.insert("case_ids".into(), json!(all));
                }
                body.insert(
                    "refs".into(),
                    match &r.run.refs {
                        Some(new) => merge_refs(run["refs"].as_str().unwrap_or(""), new).into(),
                        None => run["refs"].clone(),
                    },
                );
                if let Some(name) = &r.run.name {
                    body.insert("name".into(), name.clone().into());
                }
                if let Some(m) = r.run.milestone_id {
                    body.insert("milestone_id".into(), m.into());
                }
                let plan_id = run["plan_id"].as_u64();
                let configs = run["config_ids"].as_array().is_some_and(|c| !c.is_empty());
                let route = match plan_id {
                    None => format!("update_run/{run_id}"),
                    Some(_) if configs => format!("update_run_in_plan_entry/{run_id}"),
                    Some(plan) => {
                        let p = self.read(&format!("get_plan/{plan}"))?;
                        let entry = p["entries"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .flat_map(|e| e["runs"].as_array().into_iter().flatten())
                            .find(|run| run["id"].as_u64() == Some(run_id))
                            .and_then(|run| run["entry_id"].as_str().map(str::to_string))
                            .ok_or_else(|| {
                                Error::not_found(
                                    "run_id",
                                    format!("Could not find plan entry for run {run_id}"),
                                )
                            })?;
                        format!("update_plan_entry/{plan}/{entry}")
                    }
                };
                self.write(&route, Value::Object(body))?;
                Ok((run_id, plan_id))
            }
        }
    }

    /// A new run's description: the given one and a blank line, then one `name: value` line per
    /// testsuite property, the first of each name (data_providers/api_data_provider.py
    /// `add_run`, readers/junit_xml.py `_extract_section_properties`).
    fn new_run_description(&self) -> String {
        let mut lines = Vec::new();
        if let Some(d) = self.r.run.description.as_deref().filter(|d| !d.is_empty()) {
            lines.push(format!("{d}\n"));
        }
        let mut seen = HashSet::new();
        for (name, value) in &self.r.properties {
            if seen.insert(name.as_str()) {
                lines.push(format!("{name}: {value}"));
            }
        }
        lines.join("\n")
    }

    /// One entry of `add_results_for_cases`, as trcli sends it
    /// (data_classes/dataclass_testrail.py `TestRailResult.to_dict`): the empty lists are sent
    /// too, and the result fields (the recording's under the test's) go over everything.
    fn result_body(&self, e: &Entry) -> Value {
        let r = self.r;
        let t = &r.tests[e.test];
        let mut m = Map::new();
        m.insert("case_id".into(), e.case_id.unwrap_or(0).into());
        m.insert("status_id".into(), status_id(&r.statuses, t.outcome).into());
        m.insert("comment".into(), comment(t).into());
        if let Some(elapsed) = t.elapsed.and_then(|s| elapsed(s, r.allow_ms)) {
            m.insert("elapsed".into(), elapsed.into());
        }
        m.insert(
            "attachments".into(),
            t.attachments
                .iter()
                .map(|p| Value::from(p.display().to_string()))
                .collect(),
        );
        m.insert(
            "custom_step_results".into(),
            t.steps
                .iter()
                .map(|s| json!({"content": s.content, "status_id": s.status_id}))
                .collect(),
        );
        m.insert("custom_testrail_bdd_scenario_results".into(), json!([]));
        for (k, v) in merged(&r.result_fields, &t.result_fields) {
            m.insert(k, v);
        }
        Value::Object(m)
    }
}

/// An entity's id from TestRail's JSON.
fn id_of(v: &Value) -> Result<u64> {
    v["id"]
        .as_u64()
        .ok_or_else(|| Error::internal(format!("an answer without an id: {v}")))
}

/// `base` with `over` on top (trcli's `add_global_case_fields` and `add_global_result_fields`:
/// the test's own value wins).
fn merged(base: &Map<String, Value>, over: &Map<String, Value>) -> Map<String, Value> {
    let mut m = base.clone();
    for (k, v) in over {
        m.insert(k.clone(), v.clone());
    }
    m
}

/// A test's automation id: a `custom_automation_id` case field, else its own, else
/// `classname.name` (readers/junit_xml.py `_parse_test_cases`, where a missing classname reads
/// `None`), stripped (`TestRailCase.__post_init__`).
fn automation_id(t: &RecordedTest) -> String {
    let from_field = t
        .case_fields
        .get(AUTOMATION_ID_FIELDS[0])
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    match (from_field, &t.automation_id) {
        (Some(s), _) => s.trim().to_string(),
        (None, Some(s)) => s.trim().to_string(),
        (None, None) => format!("{}.{}", t.classname.as_deref().unwrap_or("None"), t.name),
    }
}

/// Refuses case ids the suite does not have (api/case_matcher.py `IdBasedMatcher`).
fn check_case_ids(entries: &[Entry], known: &HashSet<u64>) -> Result<()> {
    let mut missing: Vec<u64> = entries
        .iter()
        .filter_map(|e| e.case_id)
        .filter(|id| !known.contains(id))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::not_found(
        "case_id",
        format!(
            "Nonexistent case IDs found in the report file: {}. Case IDs not in TestRail project or suite were detected in the report file.",
            missing.iter().map(|i| format!("C{i}")).collect::<Vec<_>>().join(", ")
        ),
    ))
}

/// Gives each entry without a case the case of its automation id, compared as trcli compares
/// them: either field's value, HTML-unescaped, without a `<p>…</p>` around it
/// (api/case_matcher.py `AutomationIdMatcher`).
fn match_by_automation_id(entries: &mut [Entry], cases: &[Value]) {
    let mut by_id: HashMap<String, u64> = HashMap::new();
    for c in cases {
        let value = AUTOMATION_ID_FIELDS
            .iter()
            .filter_map(|f| c[*f].as_str())
            .find(|s| !s.is_empty());
        if let (Some(v), Some(id)) = (value, c["id"].as_u64()) {
            by_id.insert(strip_paragraph(&html_unescape(v)), id);
        }
    }
    for e in entries.iter_mut().filter(|e| e.case_id.is_none()) {
        e.case_id = by_id.get(&e.automation_id).copied();
    }
}

/// The entries that create a case: those without one, the first of each automation id
/// (data_providers/api_data_provider.py `add_cases`; an empty automation id is never shared).
fn masters(entries: &[Entry]) -> Vec<usize> {
    let mut seen = HashSet::new();
    entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.case_id.is_none())
        .filter(|(_, e)| e.automation_id.is_empty() || seen.insert(e.automation_id.as_str()))
        .map(|(i, _)| i)
        .collect()
}

/// A new case's body as trcli's `add_case` sends it (data_classes/dataclass_testrail.py
/// `TestRailCase.to_dict`, api/case_handler.py `_add_case_and_update_data`): the title, the
/// automation id (under the store's field name; left out by the name and property matchers),
/// the case fields (the recording's under the test's), and `is_legacy`.
fn case_body(
    r: &Recording,
    t: &RecordedTest,
    e: &Entry,
    field: Option<&str>,
) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("title".into(), e.title.clone().into());
    body.insert(
        AUTOMATION_ID_FIELDS[0].into(),
        e.automation_id.clone().into(),
    );
    let mut own = t.case_fields.clone();
    own.remove(AUTOMATION_ID_FIELDS[0]);
    for (k, v) in merged(&r.case_fields, &own) {
        body.insert(k, v);
    }
    if field == Some(AUTOMATION_ID_FIELDS[1]) {
        if let Some(v) = body.remove(AUTOMATION_ID_FIELDS[0]) {
            body.insert(AUTOMATION_ID_FIELDS[1].into(), v);
        }
    }
    if r.matcher != CaseMatcher::Auto {
        body.remove(AUTOMATION_ID_FIELDS[0]);
    }
    body.insert("is_legacy".into(), true.into());
    body
}

fn status_id(map: &StatusMap, outcome: Outcome) -> u64 {
    match outcome {
        Outcome::Passed => map.passed,
        Outcome::Skipped => map.skipped,
        Outcome::Failure => map.failure,
        Outcome::Error => map.error,
    }
}

/// A result's comment (readers/junit_xml.py `_get_comment_for_case_result`): empty for a test
/// that passed, else the non-empty of `Type: …`, `Message: …` and `Text: …` on their own lines;
/// each `testrail_result_comment` goes before it, followed by a blank line
/// (`TestRailResult.prepend_comment`).
fn comment(t: &RecordedTest) -> String {
    let mut out = String::new();
    if t.outcome != Outcome::Passed {
        if let Some(d) = &t.detail {
            let parts: Vec<String> = [
                d.kind
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .map(|s| format!("Type: {s}")),
                d.message
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .map(|s| format!("Message: {s}")),
                d.text
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .map(|s| format!("Text: {s}")),
            ]
            .into_iter()
            .flatten()
            .collect();
            out = parts.join("\n").trim().to_string();
        }
    }
    for c in t.comments.iter().rev() {
        out = format!("{c}\n\n{out}");
    }
    out
}

/// An elapsed time as trcli writes it (`TestRailResult.proper_format_for_elapsed`): whole
/// seconds rounded half to even (`round(t)s`) above one second, `1s` up to one, nothing for
/// zero; with `allow_ms`, `round(t, 3)s` written as Python writes a float, nothing below 1 ms.
fn elapsed(seconds: f64, allow_ms: bool) -> Option<String> {
    if !seconds.is_finite() {
        return None;
    }
    if allow_ms {
        if seconds < 0.001 {
            return None;
        }
        // Rust rounds the exact binary value to 3 decimals, ties to even, as Python's round does.
        let rounded: f64 = format!("{seconds:.3}").parse().ok()?;
        return Some(format!("{}s", python_float(rounded)));
    }
    if seconds > 1.0 {
        Some(format!("{:.0}s", seconds.round_ties_even()))
    } else if seconds > 0.0 {
        Some("1s".into())
    } else {
        None
    }
}

/// A float as Python's `str` writes it: the shortest text that reads back, `.0` on whole
/// numbers, and an exponent with a sign from 1e16 up.
fn python_float(x: f64) -> String {
    let s = format!("{x:?}");
    match s.split_once('e') {
        Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
        _ => s,
    }
}

/// References joined as trcli adds them to a run's (api/api_utils.py `merge_references`,
/// strategy `add`): the run's, then the new ones it lacks.
fn merge_refs(existing: &str, new: &str) -> String {
    if existing.is_empty() {
        return new.to_string();
    }
    let split = |s: &str| -> Vec<String> {
        s.split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut all = split(existing);
    for r in split(new) {
        if !all.contains(&r) {
            all.push(r);
        }
    }
    all.join(",")
}

/// A field given as `name:value` (trcli's `--case-fields`, `--result-fields` and the
/// `testrail_case_field` / `testrail_result_field` properties; data_classes/data_parsers.py
/// `FieldsParser.resolve_fields`): the value is text, except a `[…]` list, read as a Python
/// literal (JSON, or Python's quotes and words), and trcli's AI dropdown fields, read as numbers.
fn parse_field(text: &str) -> Result<(String, Value)> {
    let (name, value) = text.split_once(':').ok_or_else(|| {
        Error::bad_request(format!(
            "A field is written name:value (priority_id:3, custom_env:qa), got \"{text}\"."
        ))
    })?;
    let parsed = if value.starts_with('[') {
        python_literal(value).unwrap_or_else(|| Value::from(value))
    } else if matches!(name, "custom_ai_type" | "custom_ai_model") {
        value
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(value))
    } else {
        Value::from(value)
    };
    Ok((name.to_string(), parsed))
}

/// A Python literal of lists, numbers, strings, `True`, `False` and `None`, as JSON (what
/// `ast.literal_eval` gives for the lists trcli reads); None when it is not one.
fn python_literal(text: &str) -> Option<Value> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return Some(v);
    }
    let mut p = Literal {
        s: text.as_bytes(),
        i: 0,
    };
    let v = p.value()?;
    p.space();
    (p.i == p.s.len()).then_some(v)
}

struct Literal<'a> {
    s: &'a [u8],
    i: usize,
}

impl Literal<'_> {
    fn space(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Option<Value> {
        self.space();
        match *self.s.get(self.i)? {
            b'[' | b'(' => {
                let close = if self.s[self.i] == b'[' { b']' } else { b')' };
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.space();
                    if self.s.get(self.i) == Some(&close) {
                        self.i += 1;
                        return Some(Value::Array(items));
                    }
                    items.push(self.value()?);
                    self.space();
                    match *self.s.get(self.i)? {
                        b',' => self.i += 1,
                        c if c == close => {}
                        _ => return None,
                    }
                }
            }
            q @ (b'\'' | b'"') => {
                self.i += 1;
                let mut out = Vec::new();
                loop {
                    let c = *self.s.get(self.i)?;
                    self.i += 1;
                    match c {
                        b'\\' => {
                            let e = *self.s.get(self.i)?;
                            self.i += 1;
                            out.push(match e {
                                b'n' => b'\n',
                                b't' => b'\t',
                                other => other,
                            });
                        }
                        c if c == q => break,
                        c => out.push(c),
                    }
                }
                String::from_utf8(out).ok().map(Value::from)
            }
            _ => {
                let start = self.i;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|c| !matches!(c, b',' | b']' | b')') && !c.is_ascii_whitespace())
                {
                    self.i += 1;
                }
                let word = std::str::from_utf8(&self.s[start..self.i]).ok()?;
                match word {
                    "True" => Some(true.into()),
                    "False" => Some(false.into()),
                    "None" => Some(Value::Null),
                    w => serde_json::from_str::<serde_json::Number>(w)
                        .ok()
                        .map(Value::Number),
                }
            }
        }
    }
}

/// Whether `s` is one or more ASCII digits (Python's `isdigit` / `isnumeric` on the ids trcli
/// reads).
fn digits(s: &str) -> Option<u64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// `C123`, `c123` or `123` as an id: lower-cased, the first `c` removed, stripped
/// (readers/junit_xml.py `_parse_multiple_case_ids`).
fn id_in(part: &str) -> Option<u64> {
    digits(part.to_lowercase().replacen('c', "", 1).trim())
}

/// Comma-separated ids, each once, in order (data_classes/data_parsers.py
/// `_parse_multiple_case_ids_from_string`).
fn ids_in_list(s: &str) -> Vec<u64> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if let Some(id) = id_in(part) {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

/// The case ids of a `test_id` property: `C123`, or `C1, C2` (readers/junit_xml.py
/// `_parse_multiple_case_ids`).
fn parse_test_id(value: &str) -> Vec<u64> {
    let value = value.trim();
    if value.contains(',') {
        ids_in_list(value)
    } else {
        id_in(value).into_iter().collect()
    }
}

/// A name part without a trailing `(…)` (JUnit 5's `test_C12()`), as trcli's
/// `re.sub(r"\(.*\)$", "", part)` leaves it.
fn without_call(part: &str) -> &str {
    if !part.ends_with(')') {
        return part;
    }
    for (i, _) in part.match_indices('(') {
        if !part[i..].contains('\n') {
            return &part[..i];
        }
    }
    part
}

/// A part `C123` (or `c123`, `C123()`), as an id.
fn id_part(part: &str) -> Option<u64> {
    let rest = part.strip_prefix(['c', 'C'])?;
    if rest.is_empty() {
        return None;
    }
    digits(without_call(rest))
}

/// The case ids in a test's name and the name without them (data_classes/data_parsers.py
/// `MatchersParser.parse_name_with_id`): `[C1, C2] x` and `[C1] x` first, then `C1_C2_x`, then
/// one `C123` word or `_`-part.
fn parse_name_with_id(name: &str) -> (Vec<u64>, String) {
    let around = |start: usize, end: usize| {
        format!("{} {}", name[..start].trim(), name[end..].trim())
            .trim()
            .to_string()
    };
    // `re.findall(r"\[(.*?)\]", name)`: the shortest bracketed text on one line, left to right.
    let mut at = 0;
    while let Some(open) = name[at..].find('[').map(|i| at + i) {
        let Some(close) = name[open + 1..].find(']').map(|i| open + 1 + i) else {
            break;
        };
        let inner = &name[open + 1..close];
        if inner.contains('\n') {
            at = open + 1;
            continue;
        }
        at = close + 1;
        if inner.contains(',') {
            let ids = ids_in_list(inner);
            if !ids.is_empty() {
                return (ids, around(open, close + 1));
            }
        } else if let Some(rest) = inner.strip_prefix(['c', 'C']) {
            if let Some(id) = digits(rest) {
                return (vec![id], around(open, close + 1));
            }
        }
    }
    // Two or more `C<n>` parts between underscores (`_parse_multiple_underscore_ids`).
    let mut ids = Vec::new();
    let mut rest = Vec::new();
    for part in name.split('_') {
        match id_part(part) {
            Some(id) => {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            None => rest.push(part),
        }
    }
    if ids.len() >= 2 {
        return (ids, rest.join("_"));
    }
    for sep in [' ', '_'] {
        let parts: Vec<&str> = name.split(sep).collect();
        for (i, part) in parts.iter().enumerate() {
            if let Some(id) = id_part(part) {
                let mut kept = parts.clone();
                kept.remove(i);
                return (vec![id], kept.join(&sep.to_string()));
            }
        }
    }
    (Vec::new(), name.to_string())
}

/// Python's `str.split()` whitespace: Unicode's, and the four separators below space.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// A case title from a test name (data_classes/data_parsers.py
/// `TestRailCaseFieldsOptimizer.extract_last_words`): runs of ` \t;:>/.|` become one space, and
/// the last whole words that fit in `max` characters are kept; when none fit, the name's last
/// `max` characters.
fn last_words(name: &str, max: usize) -> String {
    let mut cleaned = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.trim_matches(py_space).chars() {
        if matches!(c, ' ' | '\t' | ';' | ':' | '>' | '/' | '.' | '|') {
            if !in_run {
                cleaned.push(' ');
            }
            in_run = true;
        } else {
            cleaned.push(c);
            in_run = false;
        }
    }
    let mut kept = Vec::new();
    let mut len = 0;
    for word in cleaned.split(py_space).filter(|w| !w.is_empty()).rev() {
        let n = word.chars().count();
        if len + n > max {
            break;
        }
        kept.push(word);
        len += n + 1;
    }
    kept.reverse();
    let out = kept.join(" ");
    if out.trim_matches(py_space).is_empty() {
        let n = name.chars().count();
        return name.chars().skip(n.saturating_sub(max)).collect();
    }
    out
}

/// A value without the `<p>…</p>` TestRail's rich-text editor wraps it in
/// (api/case_matcher.py `_strip_froala_paragraph_tags`).
fn strip_paragraph(value: &str) -> String {
    let mut v = value.trim();
    if v.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("<p>")) {
        v = &v[3..];
    }
    if v.len() >= 4
        && v.is_char_boundary(v.len() - 4)
        && v[v.len() - 4..].eq_ignore_ascii_case("</p>")
    {
        v = &v[..v.len() - 4];
    }
    v.trim().to_string()
}

/// HTML character references decoded, as Python's `html.unescape` does for numeric references
/// and the entities TestRail writes (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#39;`, `&apos;`,
/// `&nbsp;`); other text is left as it is.
fn html_unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[1..].find(';').map(|j| j + 1).filter(|&j| j <= 32);
        let decoded = end.and_then(|j| {
            let name = &rest[1..j];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => {
                    let num = name.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u64::from_str_radix(hex, 16).ok(),
                        None => num.parse().ok(),
                    }?;
                    let c = u32::try_from(code).ok().and_then(char::from_u32);
                    Some(c.unwrap_or('\u{fffd}'))
                }
            }?;
            Some((c, j + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_give_their_ids_as_trcli_reads_them() {
        // The cases of data_classes/data_parsers.py's docstring, and the answers trcli 1.15.3
        // gives for them.
        let cases: &[(&str, &[u64], &str)] = &[
            ("C123 my test", &[123], "my test"),
            ("my test C123", &[123], "my test"),
            ("[C1, C2] x", &[1, 2], "x"),
            ("x_C12()", &[12], "x"),
            ("C1_C2_x", &[1, 2], "x"),
            ("test_C5(param)", &[5], "test"),
            ("x [c9] y", &[9], "x y"),
            ("C12", &[12], ""),
            ("Cx C3", &[3], "Cx"),
            ("[a, b] C4", &[4], "[a, b]"),
            ("a[C5]b", &[5], "a b"),
            (
                "module_1_C123_my_test_case",
                &[123],
                "module_1_my_test_case",
            ),
            ("no id here", &[], "no id here"),
        ];
        for (name, ids, rest) in cases {
            assert_eq!(
                parse_name_with_id(name),
                (ids.to_vec(), rest.to_string()),
                "{name}"
            );
        }
        assert_eq!(parse_test_id("C123"), [123]);
        assert_eq!(parse_test_id(" C1 , c2, C1 "), [1, 2]);
        assert_eq!(parse_test_id("123"), [123]);
        assert_eq!(parse_test_id("abc"), Vec::<u64>::new());
    }

    #[test]
    fn titles_keep_the_last_words_as_trcli_does() {
        assert_eq!(last_words("a|b  c.d/e::f>g\tH ", 250), "a b c d e f g H");
        assert_eq!(last_words("...", 250), "...");
        assert_eq!(last_words("", 250), "");
        assert_eq!(last_words("one two three", 9), "two three");
        assert_eq!(last_words("abcdefghijkl", 5), "hijkl");
    }

    #[test]
    fn elapsed_times_are_written_as_trcli_writes_them() {
        let whole = [
            (0.4, Some("1s")),
            (1.0, Some("1s")),
            (1.5, Some("2s")),
            (2.5, Some("2s")),
            (3.5, Some("4s")),
            (0.0005, Some("1s")),
            (0.0, None),
            (-3.0, None),
        ];
        for (t, want) in whole {
            assert_eq!(elapsed(t, false).as_deref(), want, "{t}");
        }
        // Python's round(t, 3) and str() of the result (trcli 1.15.3 printed these).
        let ms = [
            (0.0005, None),
            (0.001, Some("0.001s")),
            (0.0015, Some("0.002s")),
            (0.0025, Some("0.003s")),
            (10.0, Some("10.0s")),
            (1.2345, Some("1.234s")),
            (2.675, Some("2.675s")),
            (1234567.891, Some("1234567.891s")),
            (1e16, Some("1e+16s")),
            (0.0625, Some("0.062s")),
        ];
        for (t, want) in ms {
            assert_eq!(elapsed(t, true).as_deref(), want, "{t}");
        }
    }

    #[test]
    fn fields_are_read_as_trcli_reads_them() {
        assert_eq!(
            parse_field("priority_id:3").unwrap(),
            ("priority_id".into(), json!("3"))
        );
        assert_eq!(
            parse_field("refs: A-1").unwrap(),
            ("refs".into(), json!(" A-1"))
        );
        assert_eq!(parse_field("url:http://x").unwrap().1, json!("http://x"));
        assert_eq!(parse_field("custom_multi:[1, 2]").unwrap().1, json!([1, 2]));
        assert_eq!(
            parse_field("custom_l:['a', \"b\", True, None]").unwrap().1,
            json!(["a", "b", true, null])
        );
        assert_eq!(
            parse_field("custom_x:[not a list").unwrap().1,
            json!("[not a list")
        );
        assert_eq!(parse_field("custom_ai_type:2").unwrap().1, json!(2));
        assert!(parse_field("no colon").is_err());
        assert_eq!(
            StepResult::parse("Failed: open the page ").unwrap(),
            StepResult {
                content: "open the page".into(),
                status_id: 5
            }
        );
        assert!(StepResult::parse("broken: x").is_err());
    }

    #[test]
    fn comments_and_automation_ids_follow_trcli() {
        let mut t = RecordedTest::new("test_refund");
        t.classname = Some("tests.checkout".into());
        t.detail = Some(Detail::new(
            Some("AssertionError".into()),
            Some("expected 200".into()),
            Some("boom\n".into()),
        ));
        assert_eq!(comment(&t), "", "a passed test has no comment");
        t.outcome = Outcome::Failure;
        assert_eq!(
            comment(&t),
            "Type: AssertionError\nMessage: expected 200\nText: boom"
        );
        t.comments = vec!["first".into(), "second".into()];
        assert_eq!(
            comment(&t),
            "first\n\nsecond\n\nType: AssertionError\nMessage: expected 200\nText: boom"
        );
        assert_eq!(automation_id(&t), "tests.checkout.test_refund");
        t.classname = None;
        assert_eq!(automation_id(&t), "None.test_refund");
        t.automation_id = Some(" own.id ".into());
        assert_eq!(automation_id(&t), "own.id");
        t.case_fields
            .insert("custom_automation_id".into(), json!("from.field"));
        assert_eq!(automation_id(&t), "from.field");
    }

    #[test]
    fn stored_automation_ids_are_compared_unescaped_and_unwrapped() {
        assert_eq!(
            strip_paragraph(&html_unescape("<p>a&amp;b &#60;c&#x3e;</p>")),
            "a&b <c>"
        );
        assert_eq!(
            html_unescape("a & b &unknown; &#99999999;"),
            "a & b &unknown; \u{fffd}"
        );
        assert_eq!(merge_refs("A-1, A-2", "A-2,A-3"), "A-1,A-2,A-3");
        assert_eq!(merge_refs("", "A-2"), "A-2");
    }
}
