//! Sync with a TestRail server: pull, push, and the conflicts they leave.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use trailstore::{
    ClosedRun, Error, PullOptions, PullProgress, PushOptions, PushProgress, Remote, Store,
};

use super::{list_all, Failure};
use crate::args::{ClosedRunArg, PullArgs, PushArgs, ResolveArgs};
use crate::render;

/// Where pull and push take the server and credentials from, for a person who gave none.
const CREDENTIALS_HINT: &str = "the flags are --url, --user, --key and --config FILE";

/// The server to talk to, from the flags, the environment or the config file.
fn remote(
    url: Option<String>,
    user: Option<String>,
    key: Option<String>,
    config: Option<&Path>,
) -> Result<Remote, Failure> {
    Remote::resolve(url, user, key, config).map_err(|e| match e {
        Error::BadRequest { .. } => Failure::with_hint(e, CREDENTIALS_HINT),
        e => e.into(),
    })
}

/// A progress bar on standard error, only when a person watches it.
fn progress(make: impl FnOnce() -> ProgressBar) -> Option<ProgressBar> {
    std::io::IsTerminal::is_terminal(&std::io::stderr()).then(make)
}

/// `trailstore pull`: the server's projects, suites, sections, cases and fields, merged in.
pub fn pull(store: &Store, a: PullArgs, human: bool) -> Result<(), Failure> {
    let remote = remote(a.url, a.user, a.key, a.config.as_deref())?;
    let opts = PullOptions {
        projects: a.projects,
        scan: !a.no_scan,
        results: a.results,
        attachments: a.attachments,
        ..Default::default()
    };
    let bar = progress(|| {
        let b = ProgressBar::new_spinner();
        b.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({pos} records, {elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        b.enable_steady_tick(Duration::from_millis(120));
        b
    });
    let report = trailstore::pull(store, &remote, &opts, &mut |p| {
        if let Some(b) = &bar {
            match p {
                PullProgress::Stage(s) => b.set_message(s),
                PullProgress::Page { items } => b.inc(items as u64),
            }
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let report = report?;
    if human {
        out!("{report}.");
        if report.conflicts > 0 {
            out!("See them with: trailstore conflicts");
        }
    } else {
        render::json(&report.to_json());
    }
    Ok(())
}

/// `trailstore push [--dry-run]`: the pending journal, in order, each entry exactly once.
///
/// Exits 3 when the push finished but left entries rejected, conflicted or blocked, so that a CI
/// job notices (the report, and `--json`, count them).
pub fn push(store: &Store, a: PushArgs, human: bool) -> Result<ExitCode, Failure> {
    let remote = remote(a.url, a.user, a.key, a.config.as_deref())?;
    let opts = PushOptions {
        dry_run: a.dry_run,
        closed_run: match a.closed_run {
            ClosedRunArg::Hold => ClosedRun::Hold,
            ClosedRunArg::New => ClosedRun::New,
        },
        ..Default::default()
    };
    let bar = progress(|| {
        let b = ProgressBar::new(0);
        b.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b.set_message("operations");
        b
    });
    // Over results when there are any (thousands of them are most of a push's time), else
    // over operations.
    let mut by_results = false;
    let report = trailstore::push(store, &remote, &opts, &mut |p| {
        if let Some(b) = &bar {
            match p {
                PushProgress::Planned(n) => b.set_length(n as u64),
                PushProgress::PlannedResults(n) if n > 0 && !a.dry_run => {
                    by_results = true;
                    b.set_length(n);
                    b.set_message("results");
                }
                PushProgress::Results(n) if by_results => b.inc(n),
                PushProgress::Done if !by_results => b.inc(1),
                _ => {}
            }
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let report = report?;
    if !human {
        render::json(&report.to_json());
    } else if a.dry_run {
        for r in &report.dry_run {
            out!("{r}");
        }
        out!(
            "({} requests would be sent; nothing was.)",
            report.dry_run.len()
        );
    } else {
        out!("{report}.");
        if report.conflicts > 0 {
            out!("See the conflicts with: trailstore conflicts");
        }
    }
    let left = report.rejected + report.conflicts + report.blocked + report.held;
    if left == 0 || a.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    if human {
        eprintln!(
            "error: {left} entries or results were not pushed ({} rejected, {} conflicted, {} blocked, {} held); see trailstore journal",
            report.rejected, report.conflicts, report.blocked, report.held
        );
        if report.held > 0 {
            eprintln!("       results held for a run the server closed: push --closed-run new sends them to a new run");
        }
    }
    Ok(ExitCode::from(3))
}

/// `trailstore conflicts`: every field changed both here and on the server.
pub fn conflicts(store: &Store, human: bool) -> Result<(), Error> {
    let list = list_all(store, "x_get_conflicts", json!({}))?;
    if human {
        render::conflicts(&list);
    } else {
        render::json(&Value::Array(list));
    }
    Ok(())
}

/// `trailstore resolve KEY --local|--server|--value V`: settles one conflict.
pub fn resolve(store: &Store, a: ResolveArgs, human: bool) -> Result<(), Error> {
    let key = a.key;
    let body = match (a.local, a.server, a.value) {
        (true, _, _) => json!({"key": key, "resolution": "local"}),
        (_, true, _) => json!({"key": key, "resolution": "server"}),
        (_, _, Some(v)) => json!({
            "key": key, "resolution": "value",
            "value": serde_json::from_str::<Value>(&v).unwrap_or(Value::String(v)),
        }),
        _ => {
            return Err(Error::BadRequest {
                message: "Say how: --local, --server or --value V.".into(),
            })
        }
    };
    let out = store.call("x_resolve_conflict", Some(&body))?.into_value();
    if human {
        out!(
            "Resolved {key}; {} journal entries are pending again.",
            out["entries_reopened"]
        );
    } else {
        render::json(&out);
    }
    Ok(())
}
