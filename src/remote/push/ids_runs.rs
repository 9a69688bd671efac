//! Renaming pushed run-side entities (milestones, configurations, runs, tests, results, plans,
//! plan entries, attachments): the local record takes the server's id, and every record and
//! index that names it follows, in the transaction that marks its journal entries done.

use crate::error::Result;
use crate::model::{
    AttachedTo, Attachment, Case, Config, ConfigGroup, Kind, Milestone, Plan, Run, Test, TestResult,
};
use crate::tables;
use crate::tx::{Tx, Writer};

/// Moves an owner's attachments to its new id.
fn move_attachments(w: &mut Writer<'_>, entity: AttachedTo, local: u64, server: u64) -> Result<()> {
    for old in w.tx().attachments_of(entity, local)? {
        let new = Attachment {
            entity_id: server,
            ..old.clone()
        };
        w.update_attachment(&old, &new)?;
    }
    Ok(())
}

/// The runs of a project.
fn project_runs(tx: &Tx<'_>, project: u64) -> Result<Vec<Run>> {
    let ids = tx.children(tables::PROJECT_RUNS, project)?;
    Ok(tx.get_many::<Run>(&ids)?.into_iter().flatten().collect())
}

fn project_plans(tx: &Tx<'_>, project: u64) -> Result<Vec<Plan>> {
    let ids = tx.children(tables::PROJECT_PLANS, project)?;
    Ok(tx.get_many::<Plan>(&ids)?.into_iter().flatten().collect())
}

fn rename_milestone(w: &mut Writer<'_>, local: u64, server: u64) -> Result<()> {
    let Some(old) = w.tx().get::<Milestone>(local)? else {
        return Ok(());
    };
    w.delete_milestone(&old)?;
    w.put_milestone(&Milestone {
        id: server,
        ..old.clone()
    })?;
    let tx = w.tx();
    for mid in tx.children(tables::PROJECT_MILESTONES, old.project_id)? {
        if let Some(m) = tx.get::<Milestone>(mid)? {
            if m.parent_id == Some(local) {
                w.put_milestone(&Milestone {
                    parent_id: Some(server),
                    ..m
                })?;
            }
        }
    }
    for run in project_runs(&tx, old.project_id)? {
        if run.milestone_id == Some(local) {
            w.put_run(&Run {
                milestone_id: Some(server),
                ..run
            })?;
        }
    }
    for plan in project_plans(&tx, old.project_id)? {
        if plan.milestone_id == Some(local) {
            w.put_plan(&Plan {
                milestone_id: Some(server),
                ..plan
            })?;
        }
    }
    for suite in tx.children(tables::PROJECT_SUITES, old.project_id)? {
        let mut ids = Vec::new();
        tx.for_each_suite_case(suite, 0, |id, s| {
            if s.milestone_id == local {
                ids.push(id);
            }
            Ok(true)
        })?;
        for case in tx.get_many::<Case>(&ids)?.into_iter().flatten() {
            let new = Case {
                milestone_id: Some(server),
                ..case.clone()
            };
            w.put_case(&new, Some(&case))?;
        }
    }
    Ok(())
}

fn rename_config_group(w: &mut Writer<'_>, local: u64, server: u64) -> Result<()> {
    let Some(old) = w.tx().get::<ConfigGroup>(local)? else {
        return Ok(());
    };
    w.remove::<ConfigGroup>(local)?;
    w.unlink(tables::PROJECT_CONFIG_GROUPS, old.project_id, local)?;
    w.put_config_group(&ConfigGroup { id: server, ..old })?;
    for cid in w.tx().children(tables::GROUP_CONFIGS, local)? {
        if let Some(c) = w.tx().get::<Config>(cid)? {
            w.unlink(tables::GROUP_CONFIGS, local, cid)?;
            w.put_config(&Config {
                group_id: server,
                ..c
            })?;
        }
    }
    Ok(())
}

fn rename_config(w: &mut Writer<'_>, local: u64, server: u64) -> Result<()> {
    let Some(old) = w.tx().get::<Config>(local)? else {
        return Ok(());
    };
    w.remove::<Config>(local)?;
    w.unlink(tables::GROUP_CONFIGS, old.group_id, local)?;
    let project = w
        .tx()
        .get::<ConfigGroup>(old.group_id)?
        .map_or(0, |g| g.project_id);
    w.put_config(&Config { id: server, ..old })?;
    for run in project_runs(&w.tx(), project)? {
        if run.config_ids.contains(&local) {
            let config_ids = run
                .config_ids
                .iter()
                .map(|c| if *c == local { server } else { *c })
                .collect();
            w.put_run(&Run { config_ids, ..run })?;
        }
    }
    Ok(())
}

fn rename_run(w: &mut Writer<'_>, local: u64, server: u64) -> Result<()> {
    let Some(old) = w.tx().get::<Run>(local)? else {
        return Ok(());
    };
    let mut tests = Vec::new();
    w.tx().for_each_run_test(local, 0, |t| {
        tests.push(t);
        Ok(true)
    })?;
    for t in &tests {
        w.delete_test_links(t)?;
    }
    let moved: Vec<Test> = tests
        .into_iter()
        .map(|t| Test {
            run_id: server,
            ..t
        })
        .collect();
    w.put_tests(&moved)?;
    let mut results = Vec::new();
    w.tx().for_each_run_result_rev(local, |rid, _| {
        results.push(rid);
        Ok(true)
    })?;
    for rid in results {
        if let Some(r) = w.tx().get::<TestResult>(rid)? {
            w.unlink_result(local, rid)?;
            w.put_new_results(&[TestResult {
                run_id: server,
                ..r
            }])?;
        }
    }
    w.remove::<Run>(local)?;
    w.unlink(tables::PROJECT_RUNS, old.project_id, local)?;
    w.unlink(tables::SUITE_RUNS, old.suite_id, local)?;
    if let Some(plan_id) = old.plan_id {
        if let Some(mut plan) = w.tx().get::<Plan>(plan_id)? {
            for e in &mut plan.entries {
                for r in &mut e.runs {
                    if *r == local {
                        *r = server;
                    }
                }
            }
            w.put_plan(&plan)?;
        }
    }
    w.put_run(&Run { id: server, ..old })?;
    move_attachments(w, AttachedTo::Run, local, server)
}

/// A test the server made for a run: the local test takes its id.
fn rename_test(w: &mut Writer<'_>, local: u64, server: u64) -> Result<()> {
    let Some(old) = w.tx().test(local)? else {
        return Ok(());
    };
    w.delete_test_links(&old)?;
    w.put_tests(&[Test { id: server, ..old }])?;
    for rid in w.tx().test_result_ids(old.run_id, local)? {
        if let Some(r) = w.tx().get::<TestResult>(rid)? {
            w.put_new_results(&[TestResult {
                test_id: server,
                ..r
            }])?;
        }
    }
    Ok(())
}

fn rename_result(w: &mut Writer<'_>, local: u64, server: u64) -> Result<()> {
    let Some(old) = w.tx().get::<TestResult>(local)? else {
        return Ok(());
    };
    w.remove::<TestResult>(local)?;
    w.unlink_result(old.run_id, local)?;
    let new = TestResult { id: server, ..old };
    w.put_new_results(std::slice::from_ref(&new))?;
    move_attachments(w, AttachedTo::Result, local, server)
}

fn rename_plan(w: &mut Writer<'_>, local: u64, server: u64) -> Result<()> {
    let Some(old) = w.tx().get::<Plan>(local)? else {
        return Ok(());
    };
    w.delete_plan_record(&old)?;
    for e in &old.entries {
        for run in w.tx().get_many::<Run>(&e.runs)?.into_iter().flatten() {
            w.put_run(&Run {
                plan_id: Some(server),
                ..run
            })?;
        }
    }
    w.put_plan(&Plan { id: server, ..old })?;
    move_attachments(w, AttachedTo::Plan, local, server)?;
    move_attachments(w, AttachedTo::PlanEntry, local, server)
}

/// A plan entry made here took the server's GUID.
pub(super) fn rename_entry(w: &mut Writer<'_>, plan: u64, local: &str, server: &str) -> Result<()> {
    if let Some(mut p) = w.tx().get::<Plan>(plan)? {
        if let Some(e) = p.entry_mut(local) {
            e.id = server.to_string();
            let runs = e.runs.clone();
            w.put_plan(&p)?;
            for run in w.tx().get_many::<Run>(&runs)?.into_iter().flatten() {
                w.put_run(&Run {
                    entry_id: Some(server.to_string()),
                    ..run
                })?;
            }
        }
    }
    for old in w.tx().attachments_of(AttachedTo::PlanEntry, plan)? {
        if old.entry_id.as_deref() == Some(local) {
            let new = Attachment {
                entry_id: Some(server.to_string()),
                ..old.clone()
            };
            w.update_attachment(&old, &new)?;
        }
    }
    w.map_guid(local, server)
}

fn rename_attachment(w: &mut Writer<'_>, local: u64, server: u64) -> Result<()> {
    let Some(old) = w.tx().get::<Attachment>(local)? else {
        return Ok(());
    };
    // The bytes stay named throughout: the new record takes its reference first.
    let new = Attachment {
        id: server,
        ..old.clone()
    };
    w.put_new_attachment(&new)?;
    w.delete_attachment(&old)
}

/// Renames a run-side entity to its server id (see the module docs). Nothing happens when it is
/// already renamed; the caller records the id map.
pub(super) fn rename(w: &mut Writer<'_>, kind: Kind, local: u64, server: u64) -> Result<()> {
    match kind {
        Kind::Milestone => rename_milestone(w, local, server),
        Kind::ConfigGroup => rename_config_group(w, local, server),
        Kind::Config => rename_config(w, local, server),
        Kind::Run => rename_run(w, local, server),
        Kind::Test => rename_test(w, local, server),
        Kind::Result => rename_result(w, local, server),
        Kind::Plan => rename_plan(w, local, server),
        Kind::Attachment => rename_attachment(w, local, server),
        _ => Ok(()),
    }
}
