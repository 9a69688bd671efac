//! `trailstore junit`: JUnit XML reports read as trcli 1.15.3 reads them
//! (trcli/readers/junit_xml.py, on junitparser 3.2), into a [`Recording`] the store records in
//! one transaction. Only the XML's shape is read here; what becomes of it (case ids in names,
//! titles, comments, elapsed times, fields) is the core's `Recording`, written once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{Map, Value};
use trailstore::{
    CaseMatcher, Detail, Error, Outcome, ProjectRef, RecordProgress, RecordedTest, Recording,
    StepResult, Store, SuiteRef, Target,
};

use super::Failure;
use crate::args::{JunitArgs, MatcherArg};
use crate::render;

/// An element of the report: its name, attributes, the text before its first child (what
/// ElementTree calls `.text`, kept only where trcli reads it) and children.
struct El {
    name: String,
    attrs: Vec<(String, String)>,
    text: Option<String>,
    children: Vec<El>,
    line: usize,
}

impl El {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn kids<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Every element below this one, in document order (ElementTree's `iter()`).
    fn descendants<'a>(&'a self, out: &mut Vec<&'a El>) {
        for c in &self.children {
            out.push(c);
            c.descendants(out);
        }
    }
}

/// Elements whose text trcli reads: the result elements' and the properties'.
fn keeps_text(name: &str) -> bool {
    matches!(name, "failure" | "error" | "skipped" | "property")
}

/// A malformed report: its file, line and what is wrong.
fn malformed(path: &Path, line: usize, what: impl std::fmt::Display) -> Error {
    Error::BadRequest {
        message: format!(
            "{} is not a readable JUnit report: line {line}: {what}. Nothing was recorded.",
            path.display()
        ),
    }
}

/// Reads the XML of one report into elements, refusing anything that is not well-formed.
fn parse_xml(path: &Path, bytes: &[u8]) -> Result<El, Error> {
    // Lines counted as the reader moves on (positions only grow), so a large report is read in
    // one pass; an error's position may lie behind the last event's, and is counted afresh.
    let mut counted = (0usize, 1usize);
    let mut line_at = |pos: u64| -> usize {
        let end = (pos as usize).min(bytes.len());
        if end < counted.0 {
            return bytes[..end].iter().filter(|b| **b == b'\n').count() + 1;
        }
        counted.1 += bytes[counted.0..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        counted.0 = end;
        counted.1
    };
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<El> = Vec::new();
    let mut root: Option<El> = None;
    let mut buf = Vec::new();
    let open = |e: &BytesStart<'_>, line: usize| -> Result<El, Error> {
        let name = String::from_utf8(e.name().as_ref().to_vec())
            .map_err(|_| malformed(path, line, "an element name is not UTF-8"))?;
        let mut attrs = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|err| malformed(path, line, err))?;
            let key = String::from_utf8(a.key.as_ref().to_vec())
                .map_err(|_| malformed(path, line, "an attribute name is not UTF-8"))?;
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| malformed(path, line, err))?;
            attrs.push((key, value.into_owned()));
        }
        Ok(El {
            name,
            attrs,
            text: None,
            children: Vec::new(),
            line,
        })
    };
    loop {
        let start = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|err| malformed(path, line_at(reader.error_position()), err))?;
        let line = line_at(start);
        // Text of the innermost element, only before its first child and only where read.
        let text = |s: &str, stack: &mut Vec<El>| -> Result<(), Error> {
            match stack.last_mut() {
                Some(el) => {
                    if el.children.is_empty() && keeps_text(&el.name) {
                        el.text.get_or_insert_with(String::new).push_str(s);
                    }
                    Ok(())
                }
                None if s.trim().is_empty() => Ok(()),
                None => Err(malformed(path, line, "text outside the root element")),
            }
        };
        match event {
            Event::Start(e) => {
                if root.is_some() {
                    return Err(malformed(path, line, "a second root element"));
                }
                stack.push(open(&e, line)?);
            }
            Event::Empty(e) => {
                let el = open(&e, line)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err(malformed(path, line, "a second root element")),
                }
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| malformed(path, line, "a closing tag that closes nothing"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let s = t
                    .xml10_content()
                    .map_err(|err| malformed(path, line, err))?;
                text(&s, &mut stack)?;
            }
            Event::CData(t) => {
                let s = t
                    .xml10_content()
                    .map_err(|err| malformed(path, line, err))?;
                text(&s, &mut stack)?;
            }
            Event::GeneralRef(r) => {
                let resolved = match r
                    .resolve_char_ref()
                    .map_err(|err| malformed(path, line, err))?
                {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.decode().map_err(|err| malformed(path, line, err))?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| {
                                malformed(path, line, format!("the entity &{name}; is not defined"))
                            })?
                            .to_string()
                    }
                };
                text(&resolved, &mut stack)?;
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
        buf.clear();
    }
    if let Some(el) = stack.last() {
        return Err(malformed(
            path,
            line_at(bytes.len() as u64),
            format!(
                "the report ends inside <{}> opened on line {}",
                el.name, el.line
            ),
        ));
    }
    root.ok_or_else(|| malformed(path, 1, "there is no root element"))
}

/// What the reports give the recording, before the command line's options.
struct Report {
    /// `<testsuites name>` of the first report: the default suite name.
    name: Option<String>,
    properties: Vec<(String, String)>,
    tests: Vec<RecordedTest>,
    warnings: Vec<String>,
}

/// The tests of a testsuite as junitparser iterates them: its own testcases, then those of its
/// nested testsuites, depth first (junitparser `TestSuite.__iter__`).
fn suite_cases<'a>(suite: &'a El, out: &mut Vec<&'a El>) {
    out.extend(suite.kids("testcase"));
    for inner in suite.kids("testsuite") {
        suite_cases(inner, out);
    }
}

/// Reads one report: each top-level testsuite with tests is a section (trcli's
/// `_parse_sections`); `<testcase>`s directly under `<testsuites>`, which trcli skips, are
/// recorded too, in the default section.
fn read_report(path: &Path, report: &mut Report) -> Result<(), Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::BadRequest {
        message: format!("Cannot read {}: {e}", path.display()),
    })?;
    let root = parse_xml(path, &bytes)?;
    let suites: Vec<&El> = match root.name.as_str() {
        "testsuite" => vec![&root],
        "testsuites" => {
            if report.tests.is_empty() && report.name.is_none() {
                report.name = root.attr("name").map(str::to_string);
            }
            // A <testsuites> inside the root lends its testsuites to the root's.
            let mut out = Vec::new();
            for c in &root.children {
                match c.name.as_str() {
                    "testsuite" => out.push(c),
                    "testsuites" => out.extend(c.kids("testsuite")),
                    _ => {}
                }
            }
            out
        }
        other => {
            return Err(malformed(
                path,
                root.line,
                format!("the root element is <{other}>, not <testsuites> or <testsuite>"),
            ))
        }
    };
    for suite in suites {
        let mut cases = Vec::new();
        suite_cases(suite, &mut cases);
        if cases.is_empty() {
            continue;
        }
        // The suite's first <properties> (junitparser `TestSuite.properties`).
        if let Some(props) = suite.kids("properties").next() {
            for p in props.kids("property") {
                report.properties.push((
                    p.attr("name").unwrap_or("None").to_string(),
                    p.attr("value").unwrap_or("None").to_string(),
                ));
            }
        }
        let section = suite.attr("name").filter(|n| !n.is_empty());
        for case in cases {
            report
                .tests
                .push(read_test(path, case, section, &mut report.warnings)?);
        }
    }
    if root.name == "testsuites" {
        for case in root.kids("testcase") {
            report
                .tests
                .push(read_test(path, case, None, &mut report.warnings)?);
        }
    }
    Ok(())
}

/// One `<testcase>` (trcli's `_parse_test_cases`, `_parse_case_properties`,
/// `_get_status_id_for_case_result`, `_get_comment_for_case_result`).
fn read_test(
    path: &Path,
    case: &El,
    section: Option<&str>,
    warnings: &mut Vec<String>,
) -> Result<RecordedTest, Error> {
    let bad = |what: String| malformed(path, case.line, what);
    let mut t = RecordedTest::new(case.attr("name").unwrap_or(""));
    t.classname = case.attr("classname").map(str::to_string);
    t.automation_id = case.attr("custom_automation_id").map(str::to_string);
    t.section = section.map(str::to_string);
    // junitparser's `time`: thousands separators dropped; empty is none.
    if let Some(time) = case.attr("time").filter(|s| !s.is_empty()) {
        let seconds: f64 = time.replace(',', "").trim().parse().map_err(|_| {
            bad(format!(
                "the time \"{time}\" of test \"{}\" is not a number",
                t.name
            ))
        })?;
        t.elapsed = Some(seconds);
    }
    let field = |v: &str| Recording::parse_field(v).map_err(|e| bad(e.to_string()));
    let mut sauce = None;
    for p in case.kids("properties").flat_map(|ps| ps.kids("property")) {
        let Some(name) = p.attr("name").filter(|n| !n.is_empty()) else {
            continue;
        };
        let value = p.attr("value");
        if name == "test_id" {
            if t.test_id.is_none() {
                t.test_id = value.map(str::to_string);
            }
        } else if name == "quality_rating" {
            warnings.push(format!(
                "{}: the quality_rating of test \"{}\" is not recorded",
                path.display(),
                t.name
            ));
        } else if name.starts_with("testrail_result_step") {
            let step = StepResult::parse(value.unwrap_or("")).map_err(|e| bad(e.to_string()))?;
            t.steps.push(step);
        } else if name.starts_with("testrail_attachment") {
            if let Some(v) = value {
                t.attachments.push(PathBuf::from(v));
            }
        } else if name.starts_with("testrail_result_field") {
            let (k, v) = field(value.unwrap_or(""))?;
            t.result_fields.insert(k, v);
        } else if name.starts_with("testrail_result_comment") {
            if let Some(v) = value {
                t.comments.push(v.to_string());
            }
        } else if name.starts_with("testrail_case_field") {
            // The element's text wins over its value (long values are written as text).
            let text = p.text.as_deref().map(str::trim).filter(|s| !s.is_empty());
            let (k, v) = field(text.or(value).unwrap_or(""))?;
            t.case_fields.insert(k, v);
        } else if name.starts_with("testrail_sauce_session") {
            sauce = value.map(str::to_string);
        }
    }
    if let Some(s) = sauce {
        t.comments.insert(0, format!("SauceLabs session: {s}"));
    }
    // The result elements anywhere below the testcase, in document order (junitparser
    // `TestCase.result`): skipped if any is, else the first one's kind.
    let mut below = Vec::new();
    case.descendants(&mut below);
    let results: Vec<&El> = below
        .into_iter()
        .filter(|e| matches!(e.name.as_str(), "failure" | "error" | "skipped"))
        .collect();
    if let Some(first) = results.first() {
        t.outcome = if results.iter().any(|e| e.name == "skipped") {
            Outcome::Skipped
        } else if first.name == "error" {
            Outcome::Error
        } else {
            Outcome::Failure
        };
        t.detail = Some(Detail::new(
            first.attr("type").map(str::to_string),
            first.attr("message").map(str::to_string),
            first.text.clone(),
        ));
    }
    Ok(t)
}

/// `--case-fields` / `--result-fields` as one map, later names winning.
fn fields(list: &[String], flag: &str) -> Result<Map<String, Value>, Failure> {
    let mut m = Map::new();
    for f in list {
        let (k, v) =
            Recording::parse_field(f).map_err(|e| Failure::with_hint(e, hint_for_fields(flag)))?;
        m.insert(k, v);
    }
    Ok(m)
}

fn hint_for_fields(flag: &str) -> &'static str {
    if flag == "case" {
        "--case-fields takes NAME:VALUE, e.g. --case-fields type_id:1"
    } else {
        "--result-fields takes NAME:VALUE, e.g. --result-fields version:1.2"
    }
}

/// The default suite name trcli gives a report without `<testsuites name>`: the file's name and
/// the UTC time (data_classes/dataclass_testrail.py `TestRailSuite.__post_init__`).
fn file_and_time(reports: &[PathBuf]) -> String {
    let file = match reports {
        [one] => one
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        // trcli merges several reports into this file first (readers/junit_xml.py `check_file`).
        _ => "Merged-JUnit-report.xml".to_string(),
    };
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{file} {day:02}-{month:02}-{:02} {:02}:{:02}:{:02}",
        year % 100,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `--status OUTCOME=ID`s over trcli's mapping.
fn statuses(list: &[String], r: &mut Recording) -> Result<(), Failure> {
    for s in list {
        let parsed = s
            .split_once('=')
            .and_then(|(k, v)| Some((k.trim(), v.trim().parse::<u64>().ok()?)));
        let slot = match parsed {
            Some(("passed", id)) => (&mut r.statuses.passed, id),
            Some(("skipped", id)) => (&mut r.statuses.skipped, id),
            Some(("failure", id)) => (&mut r.statuses.failure, id),
            Some(("error", id)) => (&mut r.statuses.error, id),
            _ => {
                return Err(Failure::with_hint(
                    Error::BadRequest {
                        message: format!("--status takes OUTCOME=ID, got \"{s}\"."),
                    },
                    "the outcomes are passed, skipped, failure and error: --status skipped=6",
                ))
            }
        };
        *slot.0 = slot.1;
    }
    Ok(())
}

/// `trailstore junit REPORT.xml… --project P --title T`.
pub fn junit(store: &Store, a: JunitArgs, human: bool) -> Result<(), Failure> {
    let mut report = Report {
        name: None,
        properties: Vec::new(),
        tests: Vec::new(),
        warnings: Vec::new(),
    };
    for path in &a.reports {
        read_report(path, &mut report)?;
    }
    let target = match (a.run_id, a.plan_id) {
        (Some(run), _) => Target::Run(run),
        (None, Some(plan)) => Target::Plan(plan),
        (None, None) => Target::NewRun,
    };
    let mut r = Recording::new(ProjectRef::IdOrName(a.project.clone()), target);
    r.suite = Some(match (a.suite_id, a.suite_name) {
        (Some(id), _) => SuiteRef::Id(id),
        (None, Some(name)) => SuiteRef::Name(name),
        (None, None) => SuiteRef::Name(
            report
                .name
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| file_and_time(&a.reports)),
        ),
    });
    r.run.name = a.title;
    r.run.description = a.run_description;
    r.run.milestone_id = a.milestone_id;
    r.run.refs = a.run_refs;
    r.close_run = a.close_run;
    r.matcher = match a.case_matcher {
        MatcherArg::Auto => CaseMatcher::Auto,
        MatcherArg::Name => CaseMatcher::Name,
        MatcherArg::Property => CaseMatcher::Property,
    };
    r.default_section = a.section_name;
    r.case_fields = fields(&a.case_fields, "case")?;
    r.result_fields = fields(&a.result_fields, "result")?;
    r.allow_ms = a.allow_ms;
    statuses(&a.statuses, &mut r)?;
    r.properties = report.properties;
    r.tests = report.tests;

    let bar = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
        let b = ProgressBar::new(0);
        b.set_style(
            ProgressStyle::with_template("{spinner} {msg} {bar:30} {pos}/{len} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b.enable_steady_tick(Duration::from_millis(120));
        b
    });
    let out = store.record_with(&r, &mut |p| {
        if let Some(b) = &bar {
            match p {
                RecordProgress::Stage(s) => b.set_message(s),
                RecordProgress::Planned(n) => b.set_length(n),
                RecordProgress::Done(n) => b.inc(n),
                _ => {}
            }
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let out = out.map_err(|e| match e.field() {
        Some("custom_automation_id") => Failure::with_hint(
            e,
            "add the field as a TestRail administrator would: trailstore call add_case_field --data '{\"type\": \"String\", \"name\": \"automation_id\", \"label\": \"Automation ID\", \"include_all\": true, \"configs\": [{\"context\": {\"is_global\": true, \"project_ids\": null}, \"options\": {\"is_required\": false}}]}'",
        ),
        Some("section") => Failure::with_hint(e, "give one with --section-name NAME"),
        _ => e.into(),
    })?;
    let mut warnings = report.warnings;
    warnings.extend(
        out.attachments_failed
            .iter()
            .map(|f| format!("not attached: {f}")),
    );
    if human {
        out!("Recorded {out}.");
        for w in &warnings {
            eprintln!("warning: {w}");
        }
        out!("They wait in the journal; `trailstore push` sends them to TestRail.");
    } else {
        let mut j = out.to_json();
        j["warnings"] = warnings.into();
        render::json(&j);
    }
    Ok(())
}
