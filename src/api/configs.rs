//! Configurations: get_configs, add_config_group, add_config, update_config_group,
//! update_config, delete_config_group, delete_config.
//!
//! A run keeps the names of its configurations as they were when it was made (`config`), so a
//! configuration deleted later still reads as it was in the runs that used it.

use serde_json::Value;

use super::projects::effect_if;
use super::{Outcome, Request, Response};
use crate::error::Result;
use crate::journal::{diff, Action, Effect};
use crate::messages as msg;
use crate::model::{Config, ConfigGroup, Kind};
use crate::tables;
use crate::tx::{Tx, Writer};
use crate::validate;

pub(crate) fn load_group(tx: &Tx<'_>, id: u64) -> Result<ConfigGroup> {
    tx.get::<ConfigGroup>(id)?
        .ok_or_else(|| msg::unknown("config_group_id", Kind::ConfigGroup))
}

pub(crate) fn load(tx: &Tx<'_>, id: u64) -> Result<Config> {
    tx.get::<Config>(id)?
        .ok_or_else(|| msg::unknown("config_id", Kind::Config))
}

fn configs_of(tx: &Tx<'_>, group_id: u64) -> Result<Vec<Config>> {
    let ids = tx.children(tables::GROUP_CONFIGS, group_id)?;
    Ok(tx.get_many::<Config>(&ids)?.into_iter().flatten().collect())
}

fn render_group(tx: &Tx<'_>, g: &ConfigGroup) -> Result<Value> {
    Ok(g.to_json(&configs_of(tx, g.id)?))
}

/// The groups of a project, each with its configurations.
pub(crate) fn groups_of(tx: &Tx<'_>, project_id: u64) -> Result<Vec<(ConfigGroup, Vec<Config>)>> {
    let ids = tx.children(tables::PROJECT_CONFIG_GROUPS, project_id)?;
    let mut out = Vec::new();
    for g in tx.get_many::<ConfigGroup>(&ids)?.into_iter().flatten() {
        let configs = configs_of(tx, g.id)?;
        out.push((g, configs));
    }
    Ok(out)
}

pub(super) fn get_configs(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let project = super::projects::load(tx, req.ids[0])?;
    Ok(Value::Array(
        groups_of(tx, project.id)?
            .iter()
            .map(|(g, c)| g.to_json(c))
            .collect(),
    ))
}

fn created(kind: Kind, id: u64, json: &Value) -> Vec<Effect> {
    vec![Effect {
        kind,
        id,
        action: Action::Create,
        changes: diff(None, Some(json), &["id"]),
    }]
}

pub(super) fn add_config_group(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let project = super::projects::load(&tx, req.ids[0])?;
    let name = validate::name("name", req.body.get("name"))?;
    let g = ConfigGroup {
        id: w.new_id(Kind::ConfigGroup)?,
        project_id: project.id,
        name,
        extra: Vec::new(),
    };
    w.put_config_group(&g)?;
    let json = g.to_json(&[]);
    Ok(Outcome {
        effects: created(Kind::ConfigGroup, g.id, &json),
        response: Response::Json(json).into(),
    })
}

pub(super) fn add_config(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let group = load_group(&tx, req.ids[0])?;
    let name = validate::name("name", req.body.get("name"))?;
    let c = Config {
        id: w.new_id(Kind::Config)?,
        group_id: group.id,
        name,
        extra: Vec::new(),
    };
    w.put_config(&c)?;
    let json = c.to_json();
    Ok(Outcome {
        effects: created(Kind::Config, c.id, &json),
        response: Response::Json(json).into(),
    })
}

pub(super) fn update_config_group(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let old = load_group(&tx, req.ids[0])?;
    let mut g = old.clone();
    if req.body.contains_key("name") {
        g.name = validate::name("name", req.body.get("name"))?;
    }
    let changes = diff(Some(&old.to_json(&[])), Some(&g.to_json(&[])), &["id"]);
    if !changes.is_empty() {
        w.put_config_group(&g)?;
    }
    Ok(Outcome {
        response: Response::Json(render_group(&w.tx(), &g)?).into(),
        effects: effect_if(Kind::ConfigGroup, g.id, Action::Update, changes),
    })
}

pub(super) fn update_config(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let old = load(&tx, req.ids[0])?;
    let mut c = old.clone();
    if req.body.contains_key("name") {
        c.name = validate::name("name", req.body.get("name"))?;
    }
    let changes = diff(Some(&old.to_json()), Some(&c.to_json()), &["id"]);
    if !changes.is_empty() {
        w.put_config(&c)?;
    }
    Ok(Outcome {
        response: Response::Json(c.to_json()).into(),
        effects: effect_if(Kind::Config, c.id, Action::Update, changes),
    })
}

fn delete_one(w: &mut Writer<'_>, c: &Config, effects: &mut Vec<Effect>) -> Result<()> {
    effects.push(Effect {
        kind: Kind::Config,
        id: c.id,
        action: Action::Delete,
        changes: diff(Some(&c.to_json()), None, &["id"]),
    });
    w.remove::<Config>(c.id)?;
    w.unlink(tables::GROUP_CONFIGS, c.group_id, c.id)
}

pub(super) fn delete_config_group(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let g = load_group(&tx, req.ids[0])?;
    let mut effects = vec![Effect {
        kind: Kind::ConfigGroup,
        id: g.id,
        action: Action::Delete,
        changes: diff(Some(&g.to_json(&[])), None, &["id"]),
    }];
    for c in configs_of(&tx, g.id)? {
        delete_one(w, &c, &mut effects)?;
    }
    w.remove::<ConfigGroup>(g.id)?;
    w.unlink(tables::PROJECT_CONFIG_GROUPS, g.project_id, g.id)?;
    Ok(Outcome {
        response: Response::Empty.into(),
        effects,
    })
}

pub(super) fn delete_config(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let c = load(&tx, req.ids[0])?;
    let mut effects = Vec::new();
    delete_one(w, &c, &mut effects)?;
    Ok(Outcome {
        response: Response::Empty.into(),
        effects,
    })
}
