//! Attachment (`get_attachments_for_*`): a file on a case, result, run, plan or plan entry.
//!
//! Ids are integers, as TestRail gave them before 7.1: they fit the store's id scheme (local ids
//! mapped to server ids by push) and every client reads them. A 7.1+ server's UUID id is kept
//! (`uuid`) and accepted on input wherever an attachment id is, so that either form names it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::stored::stored_enum;
use super::{put_extra, Json, Obj};
use crate::error::Result;

stored_enum! {
    /// What an attachment belongs to. The numbers are how attachment records store it: never
    /// renumber or reuse one.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum AttachedTo: u64 {
        Case = 0,
        Result = 1,
        Run = 2,
        Plan = 3,
        PlanEntry = 4,
    }
}

impl AttachedTo {
    /// TestRail's `entity_type`.
    pub fn name(self) -> &'static str {
        match self {
            AttachedTo::Case => "case",
            AttachedTo::Result => "result",
            AttachedTo::Run => "run",
            AttachedTo::Plan => "plan",
            AttachedTo::PlanEntry => "plan_entry",
        }
    }

    pub fn from_name(name: &str) -> Option<AttachedTo> {
        AttachedTo::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// An attachment's metadata; its bytes are in the store's blob folder under `sha256`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: u64,
    /// The file's name as uploaded (`name` and `filename` in TestRail's answers).
    pub name: String,
    pub size: u64,
    pub created_on: i64,
    pub user_id: u64,
    pub project_id: u64,
    pub entity: AttachedTo,
    /// The owner's id (a plan entry's plan).
    pub entity_id: u64,
    /// A plan entry's GUID.
    pub entry_id: Option<String>,
    /// For a result's attachment: its test's case. For a case's: the case.
    pub case_id: Option<u64>,
    /// The SHA-256 of the bytes, in hex: where they are stored. Empty when the store has only
    /// the metadata (pulled without the bytes).
    pub sha256: String,
    /// A 7.1+ server's id for it.
    pub uuid: Option<String>,
    pub extra: Vec<(String, Json)>,
}

/// Extensions shown as images by TestRail's `is_image`.
const IMAGES: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "bmp", "webp", "svg", "tif", "tiff",
];

impl Attachment {
    /// The file's extension, lowercase (`filetype`).
    pub fn filetype(&self) -> String {
        match self.name.rsplit_once('.') {
            Some((_, ext)) if !ext.is_empty() && ext.len() <= 10 => ext.to_ascii_lowercase(),
            _ => String::new(),
        }
    }

    pub fn is_image(&self) -> bool {
        IMAGES.contains(&self.filetype().as_str())
    }

    /// The media type of the bytes, for HTTP (from the extension).
    pub fn content_type(&self) -> &'static str {
        match self.filetype().as_str() {
            "png" => "image/png",
            "jpg" | "jpeg" => "image/jpeg",
            "gif" => "image/gif",
            "bmp" => "image/bmp",
            "webp" => "image/webp",
            "svg" => "image/svg+xml",
            "tif" | "tiff" => "image/tiff",
            "txt" | "log" => "text/plain; charset=utf-8",
            "html" | "htm" => "text/html; charset=utf-8",
            "json" => "application/json",
            "xml" => "application/xml",
            "pdf" => "application/pdf",
            "zip" => "application/zip",
            "gz" => "application/gzip",
            "mp4" => "video/mp4",
            "webm" => "video/webm",
            _ => "application/octet-stream",
        }
    }

    /// Reads an attachment from a server's list (`get_attachments_for_case`): integer ids, or
    /// a 7.1+ UUID with `legacy_id`.
    pub fn from_json(v: &Value, entity: AttachedTo, entity_id: u64) -> Result<Attachment> {
        let o = Obj::new(v, "attachment")?;
        let (id, uuid) = match o.get("id") {
            Some(Value::String(s)) => (o.id("legacy_id")?, Some(s.clone())),
            _ => (o.id("id")?, None),
        };
        let name = o
            .opt_string("name")?
            .or(o.opt_string("filename")?)
            .unwrap_or_default();
        Ok(Attachment {
            id,
            name,
            size: o.get("size").and_then(Value::as_u64).unwrap_or(0),
            created_on: o.int("created_on", 0)?,
            user_id: o.get("user_id").and_then(Value::as_u64).unwrap_or(0),
            project_id: o.get("project_id").and_then(Value::as_u64).unwrap_or(0),
            entity,
            entity_id,
            entry_id: None,
            case_id: o.get("case_id").and_then(Value::as_u64),
            sha256: String::new(),
            uuid,
            extra: o.extra(&[
                "id",
                "legacy_id",
                "name",
                "filename",
                "size",
                "created_on",
                "user_id",
                "project_id",
                "case_id",
                "result_id",
                "entity_type",
                "entity_id",
                "filetype",
                "is_image",
                "data_id",
            ]),
        })
    }

    /// TestRail's JSON for this attachment: the keys of both id styles' answers (`name` and
    /// `filename`, `case_id`/`result_id`, `entity_type`/`entity_id`).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("name".into(), self.name.clone().into());
        m.insert("filename".into(), self.name.clone().into());
        m.insert("size".into(), self.size.into());
        m.insert("created_on".into(), self.created_on.into());
        m.insert("project_id".into(), self.project_id.into());
        m.insert(
            "case_id".into(),
            self.case_id.map_or(Value::Null, Value::from),
        );
        m.insert(
            "result_id".into(),
            if self.entity == AttachedTo::Result {
                self.entity_id.into()
            } else {
                Value::Null
            },
        );
        m.insert("user_id".into(), self.user_id.into());
        m.insert("entity_type".into(), self.entity.name().into());
        let entity_id = match (&self.entry_id, self.entity) {
            (Some(e), AttachedTo::PlanEntry) => e.clone(),
            _ => self.entity_id.to_string(),
        };
        m.insert("entity_id".into(), entity_id.into());
        m.insert("filetype".into(), self.filetype().into());
        m.insert("is_image".into(), self.is_image().into());
        if let Some(u) = &self.uuid {
            m.insert("data_id".into(), u.clone().into());
        }
        put_extra(&mut m, &self.extra);
        Value::Object(m)
    }
}
