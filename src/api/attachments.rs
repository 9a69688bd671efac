//! Attachments: add_attachment_to_case/result/run/plan/plan_entry,
//! get_attachments_for_case/run/plan/plan_entry/test, get_attachment, delete_attachment.
//!
//! - An upload's bytes arrive beside the request (multipart over HTTP, a path or bytes from
//!   the other fronts; see [`crate::Upload`]): through the JSON dispatcher alone an
//!   `add_attachment_to_*` is refused. The answer is `{"attachment_id": N}`, as TestRail's.
//! - Lists are paged under `attachments` (TestRail 6.7+), in upload order; an item carries the
//!   keys of both id styles' answers (see [`crate::model::Attachment`]).
//! - `get_attachments_for_test` lists the attachments of the test's results, newest result
//!   first, as TestRail documents.
//! - `get_attachment` answers the bytes (over HTTP with a content type from the extension); an
//!   attachment pulled without its bytes answers that they are not in the store.

use serde_json::{json, Value};

use super::paging::wrap_all;
use super::{Answer, Ctx, Outcome, Request, Response, WriteCtx};
use crate::blobs::Staged;
use crate::error::{Error, Result};
use crate::journal::{diff, Action, Effect};
use crate::messages as msg;
use crate::model::{AttachedTo, Attachment, Kind};
use crate::tx::{Tx, Writer};

/// What an upload route attaches to.
pub(crate) struct Owner {
    entity: AttachedTo,
    entity_id: u64,
    entry_id: Option<String>,
    project_id: u64,
    case_id: Option<u64>,
}

/// The owner a route names (`add_attachment_to_result/12`, `get_attachments_for_plan_entry/…`).
pub(crate) fn owner(tx: &Tx<'_>, req: &Request) -> Result<Owner> {
    use super::Method::*;
    let id = req.ids[0];
    Ok(match req.method {
        AddAttachmentToCase | GetAttachmentsForCase => {
            let c = super::cases::load(tx, id)?;
            Owner {
                entity: AttachedTo::Case,
                entity_id: c.id,
                entry_id: None,
                project_id: c.project_id,
                case_id: Some(c.id),
            }
        }
        AddAttachmentToResult => {
            let r = super::results::load(tx, id)?;
            let run = super::runs::load(tx, r.run_id)?;
            Owner {
                entity: AttachedTo::Result,
                entity_id: r.id,
                entry_id: None,
                project_id: run.project_id,
                case_id: Some(r.case_id),
            }
        }
        AddAttachmentToRun | GetAttachmentsForRun => {
            let run = super::runs::load(tx, id)?;
            Owner {
                entity: AttachedTo::Run,
                entity_id: run.id,
                entry_id: None,
                project_id: run.project_id,
                case_id: None,
            }
        }
        AddAttachmentToPlan | GetAttachmentsForPlan => {
            let plan = super::plans::load(tx, id)?;
            Owner {
                entity: AttachedTo::Plan,
                entity_id: plan.id,
                entry_id: None,
                project_id: plan.project_id,
                case_id: None,
            }
        }
        AddAttachmentToPlanEntry | GetAttachmentsForPlanEntry => {
            let plan = super::plans::load(tx, id)?;
            let entry = req
                .guid
                .as_deref()
                .and_then(|e| plan.entry(e))
                .ok_or_else(msg::unknown_entry)?;
            Owner {
                entity: AttachedTo::PlanEntry,
                entity_id: plan.id,
                entry_id: Some(entry.id.clone()),
                project_id: plan.project_id,
                case_id: None,
            }
        }
        m => return Err(Error::internal(format!("{} names no owner", m.name()))),
    })
}

pub(crate) fn load(tx: &Tx<'_>, req: &Request) -> Result<Attachment> {
    let id = match (&req.guid, req.ids.first()) {
        (Some(uuid), _) => tx.attachment_by_uuid(uuid)?,
        (None, Some(id)) => Some(*id),
        (None, None) => None,
    };
    id.map(|id| tx.get::<Attachment>(id))
        .transpose()?
        .flatten()
        .ok_or_else(|| msg::unknown("attachment_id", Kind::Attachment))
}

/// Records an uploaded file: its bytes are put in place (before the commit), then its record.
pub(crate) fn add(
    cx: &Ctx<'_>,
    w: &mut Writer<'_>,
    ctx: &WriteCtx,
    req: &Request,
    name: &str,
    staged: &Staged,
) -> Result<Outcome> {
    let tx = w.tx();
    let o = owner(&tx, req)?;
    cx.blobs.place(staged)?;
    let a = Attachment {
        id: w.new_id(Kind::Attachment)?,
        name: name.to_string(),
        size: staged.size,
        created_on: ctx.now,
        user_id: ctx.user_id,
        project_id: o.project_id,
        entity: o.entity,
        entity_id: o.entity_id,
        entry_id: o.entry_id,
        case_id: o.case_id,
        sha256: staged.sha256.clone(),
        uuid: None,
        extra: Vec::new(),
    };
    w.put_new_attachment(&a)?;
    let mut json = a.to_json();
    json["sha256"] = a.sha256.clone().into();
    Ok(Outcome {
        response: Response::Json(json!({ "attachment_id": a.id })).into(),
        effects: vec![Effect {
            kind: Kind::Attachment,
            id: a.id,
            action: Action::Create,
            changes: diff(
                None,
                Some(&json),
                &["id", "created_on", "user_id", "filename"],
            ),
        }],
    })
}

/// The attachments of an owner; a plan entry's are those of its GUID.
fn of_owner(tx: &Tx<'_>, o: &Owner) -> Result<Vec<Attachment>> {
    let mut list = tx.attachments_of(o.entity, o.entity_id)?;
    if o.entry_id.is_some() {
        list.retain(|a| a.entry_id == o.entry_id);
    }
    Ok(list)
}

pub(super) fn get_attachments_for(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let o = owner(tx, req)?;
    let items = of_owner(tx, &o)?.iter().map(Attachment::to_json).collect();
    wrap_all(req, "attachments", items)
}

pub(super) fn get_attachments_for_test(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let test = super::run_tests::load(tx, req.ids[0])?;
    let mut items = Vec::new();
    for rid in tx.test_result_ids(test.run_id, test.id)? {
        for a in tx.attachments_of(AttachedTo::Result, rid)? {
            items.push(a.to_json());
        }
    }
    wrap_all(req, "attachments", items)
}

pub(super) fn get_attachment(cx: &Ctx<'_>, tx: &Tx<'_>, req: &Request) -> Result<Answer> {
    let a = load(tx, req)?;
    if a.sha256.is_empty() {
        return Err(Error::not_found(
            "attachment_id",
            format!(
                "The bytes of attachment {} are not in this store (pull with attachments to bring them).",
                a.id
            ),
        ));
    }
    let file = cx.blobs.open(&a.sha256)?;
    Ok(Answer::file(crate::upload::AttachmentFile::new(a, file)))
}

pub(super) fn delete_attachment(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let a = load(&w.tx(), req)?;
    let effect = Effect {
        kind: Kind::Attachment,
        id: a.id,
        action: Action::Delete,
        changes: diff(Some(&a.to_json()), None, &["id", "filename"]),
    };
    w.delete_attachment(&a)?;
    Ok(Outcome {
        response: Response::Empty.into(),
        effects: vec![effect],
    })
}
