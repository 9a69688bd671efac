//! The run side of a changes bundle: the records an offline store's runs, tests, results,
//! plans, configurations, milestones and attachments have (attachment bytes as parts of their
//! own), so that the connected store that imports the bundle holds them under the same ids and
//! pushes them from the same journal. Records travel as the store keeps them (serde's JSON of
//! the model types), since they carry local ids and counts no TestRail body has.

use std::collections::{BTreeMap, BTreeSet};

use serde::{de::DeserializeOwned, Serialize};
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::journal::{Action, JournalEntry};
use crate::model::{
    is_local_id, Attachment, Config, ConfigGroup, Json, Kind, Milestone, Plan, Run, StatusCounts,
    Test, TestResult,
};
use crate::store::Store;
use crate::tx::{Tx, Writer};

fn to_json<T: Serialize>(items: &[T]) -> Result<Value> {
    serde_json::to_value(items).map_err(|e| Error::internal(e.to_string()))
}

fn from_json<T: DeserializeOwned>(v: &Value, key: &str) -> Result<Vec<T>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(list) => serde_json::from_value(list.clone()).map_err(|e| Error::BadRequest {
            message: format!("The bundle's {key} cannot be read ({e}); nothing was imported."),
        }),
    }
}

/// The run a result effect names.
fn result_run(changes: &[crate::journal::Change]) -> Option<u64> {
    changes
        .iter()
        .find(|c| c.field == "run_id")
        .and_then(|c| c.new.as_ref())
        .and_then(Json::as_i64)
        .map(|i| i as u64)
}

/// Named parts of a bundle.
type Parts = Vec<(String, Vec<u8>)>;

/// The run-side records the entries need carried, and the attachment bytes as parts
/// (`blob:<sha256>`).
pub(crate) fn export(
    store: &Store,
    tx: &Tx<'_>,
    entries: &[JournalEntry],
) -> Result<(Value, Parts)> {
    let mut runs = BTreeSet::new();
    let mut plans = BTreeSet::new();
    let mut results = BTreeSet::new();
    let mut created: BTreeMap<Kind, BTreeSet<u64>> = BTreeMap::new();
    for e in entries {
        for eff in &e.effects {
            match eff.kind {
                Kind::Run if eff.action != Action::Delete => {
                    runs.insert(eff.id);
                }
                Kind::Plan if eff.action != Action::Delete => {
                    plans.insert(eff.id);
                }
                Kind::Result if eff.action != Action::Delete => {
                    results.insert(eff.id);
                    if let Some(r) = result_run(&eff.changes) {
                        runs.insert(r);
                    }
                }
                Kind::Milestone | Kind::ConfigGroup | Kind::Config | Kind::Attachment
                    if eff.action != Action::Delete =>
                {
                    created.entry(eff.kind).or_default().insert(eff.id);
                }
                _ => {}
            }
        }
    }
    let runs: Vec<Run> = tx
        .get_many::<Run>(&runs.into_iter().collect::<Vec<_>>())?
        .into_iter()
        .flatten()
        .collect();
    for r in &runs {
        if let Some(p) = r.plan_id {
            plans.insert(p);
        }
    }
    let mut tests = Vec::new();
    for r in &runs {
        tx.for_each_run_test(r.id, 0, |t| {
            tests.push(t);
            Ok(true)
        })?;
    }
    let ids = |k: Kind| {
        created
            .get(&k)
            .map(|s| s.iter().copied().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let attachments: Vec<Attachment> = tx
        .get_many::<Attachment>(&ids(Kind::Attachment))?
        .into_iter()
        .flatten()
        .collect();
    let mut parts = Vec::new();
    let mut blobs = BTreeSet::new();
    for a in &attachments {
        if !a.sha256.is_empty() && blobs.insert(a.sha256.clone()) {
            let bytes = store.attachment(&a.id.to_string())?.to_vec()?;
            parts.push((format!("blob:{}", a.sha256), bytes));
        }
    }
    let records = json!({
        "milestones": to_json(&tx.get_many::<Milestone>(&ids(Kind::Milestone))?.into_iter().flatten().collect::<Vec<_>>())?,
        "config_groups": to_json(&tx.get_many::<ConfigGroup>(&ids(Kind::ConfigGroup))?.into_iter().flatten().collect::<Vec<_>>())?,
        "configs": to_json(&tx.get_many::<Config>(&ids(Kind::Config))?.into_iter().flatten().collect::<Vec<_>>())?,
        "plans": to_json(&tx.get_many::<Plan>(&plans.into_iter().collect::<Vec<_>>())?.into_iter().flatten().collect::<Vec<_>>())?,
        "runs": to_json(&runs)?,
        "tests": to_json(&tests)?,
        "results": to_json(&tx.get_many::<TestResult>(&results.into_iter().collect::<Vec<_>>())?.into_iter().flatten().collect::<Vec<_>>())?,
        "attachments": to_json(&attachments)?,
    });
    Ok((records, parts))
}

/// The server runs a bundle's results and run changes rely on (they must have been pulled).
pub(crate) fn needs(entries: &[JournalEntry], out: &mut BTreeSet<(Kind, u64)>) {
    for e in entries {
        for eff in &e.effects {
            if eff.kind == Kind::Result {
                if let Some(r) = result_run(&eff.changes).filter(|r| !is_local_id(*r)) {
                    out.insert((Kind::Run, r));
                }
            }
        }
    }
}

/// Writes the run-side records of a bundle, with their ids, and the bytes of its attachments;
/// runs' and plans' counts are taken again from their tests as they now stand.
pub(crate) fn import(
    store: &Store,
    w: &mut Writer<'_>,
    records: &Value,
    parts: &[(String, Vec<u8>)],
) -> Result<()> {
    let Some(side) = records.get("run_side") else {
        return Ok(());
    };
    for m in from_json::<Milestone>(side, "milestones")? {
        w.put_milestone(&m)?;
    }
    for g in from_json::<ConfigGroup>(side, "config_groups")? {
        w.put_config_group(&g)?;
    }
    for c in from_json::<Config>(side, "configs")? {
        w.put_config(&c)?;
    }
    let plans = from_json::<Plan>(side, "plans")?;
    for p in &plans {
        w.put_plan(p)?;
    }
    let runs = from_json::<Run>(side, "runs")?;
    for r in &runs {
        w.put_run(r)?;
    }
    let tests = from_json::<Test>(side, "tests")?;
    w.put_tests(&tests)?;
    let results = from_json::<TestResult>(side, "results")?;
    w.put_new_results(&results)?;
    for a in from_json::<Attachment>(side, "attachments")? {
        if !a.sha256.is_empty() {
            let bytes = parts
                .iter()
                .find(|(n, _)| n.strip_prefix("blob:") == Some(a.sha256.as_str()))
                .map(|(_, b)| b.as_slice())
                .ok_or_else(|| Error::BadRequest {
                    message: format!(
                        "The bundle lacks the bytes of attachment {}; nothing was imported.",
                        a.id
                    ),
                })?;
            let mut incoming = store.inner.blobs.begin()?;
            incoming.write(bytes)?;
            let staged = incoming.finish()?;
            if staged.sha256 != a.sha256 {
                return Err(Error::BadRequest {
                    message: format!(
                        "The bytes of attachment {} in the bundle do not match their hash; nothing was imported.",
                        a.id
                    ),
                });
            }
            store.inner.blobs.place(&staged)?;
        }
        match w.tx().get::<Attachment>(a.id)? {
            Some(old) => w.update_attachment(&old, &a)?,
            None => w.put_new_attachment(&a)?,
        }
    }
    // Counts follow the tests, here as anywhere.
    for r in &runs {
        let mut counts = StatusCounts::default();
        w.tx().for_each_run_test(r.id, 0, |t| {
            counts.add(t.status_id, 1);
            Ok(true)
        })?;
        w.put_run(&Run {
            counts,
            ..r.clone()
        })?;
    }
    for p in plans {
        let mut counts = StatusCounts::default();
        for e in &p.entries {
            for r in w.tx().get_many::<Run>(&e.runs)?.into_iter().flatten() {
                counts.merge(&r.counts, 1);
            }
        }
        w.put_plan(&Plan { counts, ..p })?;
    }
    Ok(())
}
