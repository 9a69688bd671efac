//! Case fields and reference data: get_case_fields, add_case_field, get_case_types,
//! get_priorities, get_templates, get_users, get_user, get_user_by_email, get_current_user,
//! get_statuses, get_result_fields.

use serde_json::Value;

use super::paging::wrap_all;
use super::Ctx;
use super::{Outcome, Request, Response};
use crate::error::{Error, Result};
use crate::journal::{diff, Action, Effect};
use crate::messages as msg;
use crate::model::{
    CaseField, CaseType, FieldConfig, FieldType, Kind, Priority, Project, ResultField, Status,
    Template, User,
};
use crate::tables;
use crate::tx::{Tx, Writer};
use crate::validate;

pub(super) fn get_case_fields(cx: &Ctx<'_>, tx: &Tx<'_>) -> Result<Value> {
    let fields = super::fields_of(cx, tx)?;
    Ok(Value::Array(
        fields.iter().map(CaseField::to_json).collect(),
    ))
}

pub(super) fn get_case_types(tx: &Tx<'_>) -> Result<Value> {
    Ok(Value::Array(
        tx.all::<CaseType>()?
            .iter()
            .map(CaseType::to_json)
            .collect(),
    ))
}

pub(super) fn get_priorities(tx: &Tx<'_>) -> Result<Value> {
    Ok(Value::Array(
        tx.all::<Priority>()?
            .iter()
            .map(Priority::to_json)
            .collect(),
    ))
}

pub(super) fn get_templates(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let project = super::projects::load(tx, req.ids[0])?;
    Ok(Value::Array(
        tx.all::<Template>()?
            .iter()
            .filter(|t| t.enabled_for(project.id))
            .map(Template::to_json)
            .collect(),
    ))
}

/// `get_users` is a bare array (the documented shape); with `limit` or `offset` it is paged
/// under `users`, as newer servers and testrail-api's `get_users_bulk` expect.
pub(super) fn get_users(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    if let Some(pid) = req.id(0) {
        super::projects::load(tx, pid)?;
    }
    let users: Vec<Value> = tx.all::<User>()?.iter().map(User::to_json).collect();
    if req.param("limit").is_some() || req.param("offset").is_some() {
        return wrap_all(req, "users", users);
    }
    Ok(Value::Array(users))
}

/// `get_statuses`, also as `get_statuses/{project_id}` (trcli sends the project): a bare array
/// of every status; statuses are global, so the project is only checked.
pub(super) fn get_statuses(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    if let Some(pid) = req.id(0) {
        super::projects::load(tx, pid)?;
    }
    Ok(Value::Array(
        tx.all::<Status>()?.iter().map(Status::to_json).collect(),
    ))
}

/// `get_result_fields`: a bare array, like `get_case_fields`.
pub(super) fn get_result_fields(tx: &Tx<'_>) -> Result<Value> {
    Ok(Value::Array(
        tx.all::<ResultField>()?
            .iter()
            .map(ResultField::to_json)
            .collect(),
    ))
}

pub(super) fn get_user(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    tx.get::<User>(req.ids[0])?
        .map(|u| u.to_json())
        .ok_or_else(|| msg::unknown("user_id", Kind::User))
}

pub(super) fn get_user_by_email(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let email = req.param("email").unwrap_or("").trim().to_lowercase();
    if email.is_empty() {
        return Err(msg::required("email"));
    }
    tx.all::<User>()?
        .into_iter()
        .find(|u| u.email.to_lowercase() == email)
        .map(|u| u.to_json())
        // trcli recognises exactly this text.
        .ok_or_else(|| Error::not_found("email", "Field :email is not a valid email address."))
}

pub(super) fn get_current_user(tx: &Tx<'_>) -> Result<Value> {
    let id = tx.meta_u64(tables::meta::USER_ID)?.unwrap_or(1);
    match tx.get::<User>(id)? {
        Some(u) => Ok(u.to_json()),
        None => Ok(serde_json::json!({
            "id": id, "name": "trailstore", "email": "", "is_active": true,
            "role_id": null, "role": null
        })),
    }
}

fn valid_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
}

/// `add_case_field`: TestRail quotes this method's field names ('name', not :name).
pub(super) fn add_case_field(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let b = &req.body;
    let ftype = b
        .get("type")
        .and_then(FieldType::from_add_param)
        .ok_or_else(msg::add_field_bad_type)?;
    let name = match b.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        _ => return Err(msg::add_field_required("name")),
    };
    let name = name.strip_prefix("custom_").unwrap_or(&name).to_string();
    if !valid_field_name(&name) {
        return Err(Error::validation(
            "name",
            "Field :name is invalid (use lowercase letters, digits and underscores).",
        ));
    }
    let label = match b.get("label") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => return Err(msg::add_field_required("label")),
    };
    let description = validate::opt_text("description", b.get("description"))?;
    let include_all = match b.get("include_all") {
        Some(v) if !v.is_null() => validate::flag("include_all", v)?,
        _ => false,
    };
    let tx = w.tx();
    let mut template_ids = Vec::new();
    if let Some(v) = b.get("template_ids").filter(|v| !v.is_null()) {
        for id in super::id_list("template_ids", Some(v))? {
            if !tx.exists::<Template>(id)? {
                return Err(msg::unknown("template_ids", Kind::Template));
            }
            template_ids.push(id);
        }
    }
    let configs = match b.get("configs") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(Value::Array(_)) | None | Some(Value::Null) => {
            return Err(msg::add_field_required("configs"))
        }
        Some(_) => return Err(msg::not_valid("configs", "array")),
    };
    let mut parsed = Vec::with_capacity(configs.len());
    for c in configs {
        let mut config = FieldConfig::from_json(c)?;
        for pid in config.project_ids.iter().flatten() {
            if !tx.exists::<Project>(*pid)? {
                return Err(msg::unknown("project_ids", Kind::Project));
            }
        }
        if matches!(ftype, FieldType::Dropdown | FieldType::MultiSelect)
            && config.items().is_empty()
        {
            return Err(Error::validation(
                "configs",
                "Field :configs needs items (\"1, First\\n2, Second\") for a Dropdown or Multi-select field.",
            ));
        }
        config.id = crate::journal::new_op_id()[..13].to_string();
        parsed.push(config);
    }
    let existing = tx.all::<CaseField>()?;
    let system_name = format!("custom_{name}");
    if existing.iter().any(|f| f.system_name == system_name) {
        return Err(Error::validation(
            "name",
            format!("Field :name is already in use by the custom field {system_name}."),
        ));
    }
    let id = w.new_id(Kind::CaseField)?;
    let field = CaseField {
        id,
        name,
        system_name,
        label,
        description,
        type_id: ftype.type_id(),
        display_order: existing.iter().map(|f| f.display_order).max().unwrap_or(0) + 1,
        configs: parsed,
        include_all,
        template_ids,
        is_active: true,
        extra: Vec::new(),
    };
    w.put(&field)?;
    Ok(Outcome {
        effects: vec![Effect {
            kind: Kind::CaseField,
            id,
            action: Action::Create,
            changes: diff(None, Some(&field.to_json()), &["id"]),
        }],
        response: Response::Json(field.to_add_response()).into(),
    })
}
