//! Planning the run side of a push: milestones, configurations, runs, plans and their entries,
//! results and attachments. Pure functions of journal entries, as `plan` is.
//!
//! - Creates of milestones, configuration groups and configurations, runs and plans are
//!   [`Call::Create`]s, as for cases; a plan's create also names the runs (and entries) it made
//!   here, to be matched with the server's answer.
//! - Results become [`Call::Results`]: one `add_results_for_cases` per run, of at most
//!   [`RESULT_BATCH`] results, consecutive result entries of a run folded into the same batches.
//! - Attachments become [`Call::Upload`]s of their bytes, after their owner has a server id.
//! - Everything else (updates, closes, deletes, `edit_result`) is replayed as its route, with
//!   ids translated when sent ([`Call::Replay`]). Journal order keeps a close after the results
//!   recorded before it.

use serde_json::{Map, Value};

use super::plan::{json_id, Call, Op, PlanRun, ResultItem};
use crate::api::{Method, Request};
use crate::journal::{Action, Change, Effect, JournalEntry, PushState};
use crate::model::{Json, Kind};

/// Results in one `add_results_for_cases`: TestRail refuses a whole batch for one bad entry, so
/// batches stay small (trcli sends 50), and 10,000 results still go in 200 requests, inside a
/// Cloud rate limit of 180 a minute with room for the rest of a push.
pub(super) const RESULT_BATCH: usize = 50;

fn op(entry: &JournalEntry, call: Call, touches: Vec<(Kind, u64)>) -> Op {
    Op {
        seqs: vec![entry.seq],
        op_id: entry.op_id.clone(),
        call,
        touches,
        in_flight: matches!(entry.state, PushState::InFlight { .. }),
    }
}

fn change<'e>(e: &'e Effect, field: &str) -> Option<&'e Change> {
    e.changes.iter().find(|c| c.field == field)
}

fn new_id(e: &Effect, field: &str) -> Option<u64> {
    change(e, field).and_then(|c| json_id(c.new.as_ref()))
}

fn new_text(e: &Effect, field: &str) -> Option<String> {
    change(e, field)
        .and_then(|c| c.new.as_ref())
        .and_then(|v| v.as_str().map(str::to_string))
}

fn new_ids(e: &Effect, field: &str) -> Vec<u64> {
    match change(e, field).and_then(|c| c.new.as_ref()) {
        Some(Json::List(items)) => items.iter().filter_map(|v| json_id(Some(v))).collect(),
        _ => Vec::new(),
    }
}

/// The path of a route as (kind, id) pairs, from its id fields.
fn path_of(req: &Request) -> Vec<(Kind, u64)> {
    req.method
        .id_fields()
        .iter()
        .zip(&req.ids)
        .map(|(f, id)| (id_kind(f), *id))
        .collect()
}

/// The kind an id field names in a route's path.
fn id_kind(field: &str) -> Kind {
    match field {
        "config_group_id" => Kind::ConfigGroup,
        f => Kind::of_field(f).unwrap_or(Kind::Project),
    }
}

/// The runs an entry created, as a plan create must match them in the server's answer.
fn plan_runs(entry: &JournalEntry) -> Vec<PlanRun> {
    entry
        .effects
        .iter()
        .filter(|e| e.kind == Kind::Run && e.action == Action::Create)
        .map(|e| PlanRun {
            local: e.id,
            entry: new_text(e, "entry_id"),
            config_ids: new_ids(e, "config_ids"),
        })
        .collect()
}

/// The operations of a run-side journal entry, or `None` when its route is not the run side's.
pub(super) fn ops_of(
    entry: &JournalEntry,
    req: &Request,
    body: &Map<String, Value>,
) -> Option<Vec<Op>> {
    use Method::*;
    let path = path_of(req);
    let first = entry.effects.first();
    let create = |kind: Kind| -> Vec<Op> {
        let Some(e) = entry
            .effects
            .iter()
            .find(|e| e.kind == kind && e.action == Action::Create)
        else {
            return Vec::new();
        };
        let mut touches = vec![(kind, e.id)];
        touches.extend(path.iter().copied());
        vec![op(
            entry,
            Call::Create {
                kind,
                local: e.id,
                method: req.method,
                path: path.clone(),
                body: body.clone(),
                master_suite: None,
            },
            touches,
        )]
    };
    Some(match req.method {
        AddMilestone => create(Kind::Milestone),
        AddConfigGroup => create(Kind::ConfigGroup),
        AddConfig => create(Kind::Config),
        AddRun => create(Kind::Run),
        AddPlan => {
            let Some(e) = first.filter(|e| e.kind == Kind::Plan) else {
                return Some(Vec::new());
            };
            vec![op(
                entry,
                Call::CreatePlan {
                    local: e.id,
                    method: AddPlan,
                    path: path.clone(),
                    entry: None,
                    body: body.clone(),
                    runs: plan_runs(entry),
                },
                vec![(Kind::Plan, e.id)],
            )]
        }
        AddPlanEntry | AddRunToPlanEntry => vec![op(
            entry,
            Call::CreatePlan {
                local: req.ids[0],
                method: req.method,
                path: path.clone(),
                entry: req.guid.clone(),
                body: body.clone(),
                runs: plan_runs(entry),
            },
            vec![(Kind::Plan, req.ids[0])],
        )],
        AddResult | AddResultForCase | AddResults | AddResultsForCases => {
            // The run of the route, for entries that do not name it in their effects.
            let route_run = match req.method {
                AddResult => None,
                _ => req.ids.first().copied(),
            };
            results(entry, route_run)
        }
        AddAttachmentToCase
        | AddAttachmentToResult
        | AddAttachmentToRun
        | AddAttachmentToPlan
        | AddAttachmentToPlanEntry => {
            let Some(e) = first else {
                return Some(Vec::new());
            };
            vec![op(
                entry,
                Call::Upload {
                    local: e.id,
                    method: req.method,
                    path: path.clone(),
                    entry: req.guid.clone(),
                },
                vec![(Kind::Attachment, e.id)],
            )]
        }
        UpdateMilestone
        | DeleteMilestone
        | UpdateRun
        | CloseRun
        | DeleteRun
        | EditResult
        | UpdatePlan
        | UpdatePlanEntry
        | UpdateRunInPlanEntry
        | ClosePlan
        | DeletePlan
        | DeletePlanEntry
        | DeleteRunFromPlanEntry
        | UpdateConfigGroup
        | UpdateConfig
        | DeleteConfigGroup
        | DeleteConfig
        | DeleteAttachment => {
            let delete = req.method.name().starts_with("delete_");
            let mut touches: Vec<(Kind, u64)> = path.clone();
            touches.extend(entry.effects.iter().map(|e| (e.kind, e.id)));
            vec![op(
                entry,
                Call::Replay {
                    method: req.method,
                    path: path.clone(),
                    entry: req.guid.clone(),
                    body: body.clone(),
                    delete,
                },
                touches,
            )]
        }
        _ => return None,
    })
}

/// The results an entry added, as `add_results_for_cases` entries of their run.
fn results(entry: &JournalEntry, route_run: Option<u64>) -> Vec<Op> {
    let mut out: Vec<Op> = Vec::new();
    for e in &entry.effects {
        if e.kind != Kind::Result || e.action != Action::Create {
            continue;
        }
        let Some(run) = new_id(e, "run_id").or(route_run) else {
            continue;
        };
        let mut item = Map::new();
        for c in &e.changes {
            if matches!(c.field.as_str(), "test_id" | "run_id") {
                continue;
            }
            if let Some(v) = &c.new {
                item.insert(c.field.clone(), v.to_value());
            }
        }
        let item = ResultItem {
            seq: entry.seq,
            local: e.id,
            body: item,
        };
        let next = op(
            entry,
            Call::Results {
                run,
                items: vec![item],
            },
            vec![(Kind::Run, run), (Kind::Result, e.id)],
        );
        if !out.last_mut().is_some_and(|last| fold_results(last, &next)) {
            out.push(next);
        }
    }
    out
}

/// Folds the results of `next` into `into` when both go to the same run and the batch has room.
/// Whether it did.
pub(super) fn fold_results(into: &mut Op, next: &Op) -> bool {
    let (
        Call::Results { run, items },
        Call::Results {
            run: next_run,
            items: more,
        },
    ) = (&mut into.call, &next.call)
    else {
        return false;
    };
    if run != next_run || items.len() + more.len() > RESULT_BATCH {
        return false;
    }
    items.extend(more.iter().cloned());
    for s in &next.seqs {
        if !into.seqs.contains(s) {
            into.seqs.push(*s);
        }
    }
    into.touches.extend(next.touches.iter().copied());
    into.in_flight |= next.in_flight;
    true
}
