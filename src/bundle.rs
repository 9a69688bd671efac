//! Bundles: files that carry work across an air gap.
//!
//! - A **changes** bundle holds the pending journal of an offline store, the records its
//!   creates made, and the list of server entities its changes need (their base). A store on a
//!   connected machine imports it and then pushes it.
//! - A **snapshot** bundle holds a store's server data (a snapshot) to carry the other way.
//!
//! A bundle is a logical export, never a copy of the store file:
//!
//! ```text
//! TRAILSTORE-BUNDLE 1
//! {"format": "trailstore-bundle", "version": 1, "kind": ..., "bundle_id": ..., "parts":
//!  [{"name": ..., "bytes": N, "sha256": ...}, ...], "needs": [...], ...}
//! <part bytes, in order>
//! sha256 <hex of everything above>
//! ```
//!
//! Import checks the whole-file checksum, each part's size and SHA-256, and the format version
//! before it writes anything, so a truncated or altered bundle changes nothing. Importing the
//! same bundle twice is a no-op (bundle ids, and journal entries by operation id, are
//! remembered). A changes bundle whose base is missing (a case it edits is not in the store) is
//! refused, naming what it needs.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::clock::now;
use crate::error::{Error, Result};
use crate::journal::{Action, JournalEntry, PushState};
use crate::model::{
    is_local_id, Case, CaseField, CaseType, Json, Kind, Milestone, Priority, Project, Section,
    Suite, Template, User,
};
use crate::store::Store;
use crate::tables::meta;
use crate::tx::{Tx, Writer};

const MAGIC: &str = "TRAILSTORE-BUNDLE 1\n";
pub const BUNDLE_VERSION: u64 = 1;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleReport {
    pub kind: String,
    pub bundle_id: String,
    /// False when the bundle had been imported before (nothing was written).
    pub imported: bool,
    /// Journal entries added (changes bundles) or records imported (snapshot bundles).
    pub entries: u64,
}

impl BundleReport {
    pub fn to_json(&self) -> Value {
        json!({"kind": self.kind, "bundle_id": self.bundle_id, "imported": self.imported, "entries": self.entries})
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn damaged(why: impl std::fmt::Display) -> Error {
    Error::BadRequest {
        message: format!("The bundle is damaged or was altered ({why}); nothing was imported."),
    }
}

fn write_bundle(path: &Path, manifest: Value, parts: Vec<(&str, Vec<u8>)>) -> Result<()> {
    let mut manifest = manifest;
    manifest["parts"] = Value::Array(
        parts
            .iter()
            .map(|(name, bytes)| json!({"name": name, "bytes": bytes.len(), "sha256": sha(bytes)}))
            .collect(),
    );
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC.as_bytes());
    out.extend_from_slice(manifest.to_string().as_bytes());
    out.push(b'\n');
    for (_, bytes) in &parts {
        out.extend_from_slice(bytes);
    }
    let digest = sha(&out);
    out.extend_from_slice(format!("sha256 {digest}\n").as_bytes());
    // Written aside, then renamed: a crash never leaves half a bundle under the name.
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, &out)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// A bundle's parts, by name.
type Parts = Vec<(String, Vec<u8>)>;

/// Reads and verifies a bundle: its manifest and its parts by name.
fn read_bundle(path: &Path) -> Result<(Value, Parts)> {
    let bytes = std::fs::read(path)?;
    // The trailer is `sha256 <64 hex digits>\n`: 72 bytes.
    const TRAILER: usize = 72;
    if bytes.len() < TRAILER {
        return Err(damaged("too short"));
    }
    let body_end = bytes.len() - TRAILER;
    let trailer =
        std::str::from_utf8(&bytes[body_end..]).map_err(|_| damaged("no checksum line"))?;
    let expected = trailer
        .strip_prefix("sha256 ")
        .and_then(|t| t.strip_suffix('\n'))
        .ok_or_else(|| damaged("no checksum line"))?;
    if sha(&bytes[..body_end]) != expected {
        return Err(damaged("the file's SHA-256 does not match"));
    }
    let body = &bytes[..body_end];
    let rest = body
        .strip_prefix(MAGIC.as_bytes())
        .ok_or_else(|| damaged("not a trailstore bundle"))?;
    let nl = rest
        .iter()
        .position(|b| *b == b'\n')
        .ok_or_else(|| damaged("no manifest"))?;
    let manifest: Value =
        serde_json::from_slice(&rest[..nl]).map_err(|e| damaged(format!("manifest: {e}")))?;
    if manifest["format"] != "trailstore-bundle" {
        return Err(damaged("not a trailstore bundle"));
    }
    let version = manifest["version"].as_u64().unwrap_or(0);
    if version > BUNDLE_VERSION {
        return Err(Error::Unsupported {
            found: version as u32,
            supported: BUNDLE_VERSION as u32,
        });
    }
    let mut at = nl + 1;
    let mut parts = Vec::new();
    for p in manifest["parts"]
        .as_array()
        .ok_or_else(|| damaged("no parts"))?
    {
        let n = p["bytes"].as_u64().ok_or_else(|| damaged("part size"))? as usize;
        let end = at
            .checked_add(n)
            .filter(|e| *e <= rest.len())
            .ok_or_else(|| damaged("truncated"))?;
        let part = &rest[at..end];
        if Some(sha(part).as_str()) != p["sha256"].as_str() {
            return Err(damaged(format!(
                "part {} does not match its SHA-256",
                p["name"]
            )));
        }
        parts.push((p["name"].as_str().unwrap_or("").to_string(), part.to_vec()));
        at = end;
    }
    if at != rest.len() {
        return Err(damaged("bytes after the last part"));
    }
    Ok((manifest, parts))
}

fn part<'a>(parts: &'a [(String, Vec<u8>)], name: &str) -> Result<&'a [u8]> {
    parts
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, b)| b.as_slice())
        .ok_or_else(|| damaged(format!("no part {name}")))
}

/// The server entities a changes bundle relies on.
fn needs(entries: &[JournalEntry]) -> BTreeSet<(Kind, u64)> {
    let mut out = BTreeSet::new();
    for e in entries {
        for eff in &e.effects {
            if eff.action != Action::Create && !is_local_id(eff.id) {
                // Cascaded deletes list children by id only; the deleted parent is enough.
                if eff.action == Action::Delete && eff.changes.is_empty() {
                    continue;
                }
                out.insert((eff.kind, eff.id));
            }
            for c in &eff.changes {
                let kind = match c.field.as_str() {
                    "section_id" | "parent_id" => Kind::Section,
                    "suite_id" => Kind::Suite,
                    _ => continue,
                };
                if let Some(id) = c.new.as_ref().and_then(Json::as_i64).filter(|i| *i > 0) {
                    if !is_local_id(id as u64) {
                        out.insert((kind, id as u64));
                    }
                }
            }
        }
    }
    out
}

fn exists(tx: &Tx<'_>, kind: Kind, id: u64) -> Result<bool> {
    Ok(match kind {
        Kind::Case => tx.exists::<Case>(id)?,
        Kind::Section => tx.exists::<Section>(id)?,
        Kind::Suite => tx.exists::<Suite>(id)?,
        Kind::Project => tx.exists::<Project>(id)?,
        Kind::CaseField => tx.exists::<CaseField>(id)?,
        _ => true,
    })
}

impl Store {
    /// Writes the pending journal, with what it needs, to a changes bundle. Returns the number of
    /// entries written.
    pub fn export_changes_bundle(&self, path: impl AsRef<Path>) -> Result<u64> {
        let rtx = self.begin_read()?;
        let tx = Tx::Read(&rtx);
        let mut entries = Vec::new();
        tx.for_each_journal_entry(0, |e| {
            if !matches!(e.state, PushState::Done { .. } | PushState::Rejected { .. }) {
                entries.push(e);
            }
            Ok(true)
        })?;
        let mut records =
            json!({"projects": [], "suites": [], "sections": [], "cases": [], "case_fields": []});
        let mut seen = HashSet::new();
        for e in &entries {
            for eff in e.effects.iter().filter(|f| f.action == Action::Create) {
                if !seen.insert((eff.kind, eff.id)) {
                    continue;
                }
                let (key, v) = match eff.kind {
                    Kind::Case => ("cases", tx.get::<Case>(eff.id)?.map(|c| c.to_json(&[]))),
                    Kind::Section => ("sections", tx.get::<Section>(eff.id)?.map(|s| s.to_json())),
                    Kind::Suite => ("suites", tx.get::<Suite>(eff.id)?.map(|s| s.to_json())),
                    Kind::Project => ("projects", tx.get::<Project>(eff.id)?.map(|p| p.to_json())),
                    Kind::CaseField => (
                        "case_fields",
                        tx.get::<CaseField>(eff.id)?.map(|f| f.to_json()),
                    ),
                    _ => continue,
                };
                if let (Some(v), Some(list)) = (v, records[key].as_array_mut()) {
                    list.push(v);
                }
            }
        }
        let need: Vec<Value> = needs(&entries)
            .into_iter()
            .map(|(k, id)| json!({"entity": k.name(), "id": id}))
            .collect();
        let manifest = json!({
            "format": "trailstore-bundle",
            "version": BUNDLE_VERSION,
            "kind": "changes",
            "bundle_id": crate::journal::new_op_id(),
            "created_on": now(),
            "remote_url": tx.meta_str(meta::REMOTE_URL)?,
            "entries": entries.len(),
            "needs": need,
        });
        let entries_json =
            serde_json::to_vec(&entries).map_err(|e| Error::internal(e.to_string()))?;
        write_bundle(
            path.as_ref(),
            manifest,
            vec![
                ("entries", entries_json),
                ("records", records.to_string().into_bytes()),
            ],
        )?;
        Ok(entries.len() as u64)
    }

    /// Writes the store's server data (everything but local changes) to a snapshot bundle.
    pub fn export_snapshot_bundle(&self, path: impl AsRef<Path>) -> Result<u64> {
        let rtx = self.begin_read()?;
        let tx = Tx::Read(&rtx);
        let server = |id: &u64| !is_local_id(*id);
        let projects: Vec<Project> = tx
            .all::<Project>()?
            .into_iter()
            .filter(|p| server(&p.id))
            .collect();
        let mut templates = serde_json::Map::new();
        let all_templates = tx.all::<Template>()?;
        for p in &projects {
            templates.insert(
                p.id.to_string(),
                Value::Array(
                    all_templates
                        .iter()
                        .filter(|t| t.enabled_for(p.id))
                        .map(Template::to_json)
                        .collect(),
                ),
            );
        }
        let cases: Vec<Value> = tx
            .all::<Case>()?
            .into_iter()
            .filter(|c| server(&c.id))
            .map(|c| c.to_json(&[]))
            .collect();
        let n = cases.len() as u64;
        let snapshot = json!({
            "format": crate::snapshot::SNAPSHOT_FORMAT,
            "version": crate::snapshot::SNAPSHOT_VERSION,
            "users": tx.all::<User>()?.iter().map(User::to_json).collect::<Vec<_>>(),
            "case_types": tx.all::<CaseType>()?.iter().map(CaseType::to_json).collect::<Vec<_>>(),
            "priorities": tx.all::<Priority>()?.iter().map(Priority::to_json).collect::<Vec<_>>(),
            "case_fields": tx.all::<CaseField>()?.iter().filter(|f| server(&f.id)).map(CaseField::to_json).collect::<Vec<_>>(),
            "projects": projects.iter().map(Project::to_json).collect::<Vec<_>>(),
            "templates": Value::Object(templates),
            "suites": tx.all::<Suite>()?.iter().filter(|s| server(&s.id)).map(Suite::to_json).collect::<Vec<_>>(),
            "sections": tx.all::<Section>()?.iter().filter(|s| server(&s.id)).map(Section::to_json).collect::<Vec<_>>(),
            "milestones": tx.all::<Milestone>()?.iter().map(Milestone::to_json).collect::<Vec<_>>(),
            "cases": cases,
        });
        let manifest = json!({
            "format": "trailstore-bundle",
            "version": BUNDLE_VERSION,
            "kind": "snapshot",
            "bundle_id": crate::journal::new_op_id(),
            "created_on": now(),
            "remote_url": tx.meta_str(meta::REMOTE_URL)?,
            "needs": [],
        });
        write_bundle(
            path.as_ref(),
            manifest,
            vec![("snapshot", snapshot.to_string().into_bytes())],
        )?;
        Ok(n)
    }

    /// Imports a bundle (see the module docs).
    pub fn import_bundle(&self, path: impl AsRef<Path>) -> Result<BundleReport> {
        let (manifest, parts) = read_bundle(path.as_ref())?;
        let bundle_id = manifest["bundle_id"].as_str().unwrap_or("").to_string();
        if bundle_id.len() != 32 {
            return Err(damaged("bad bundle id"));
        }
        let kind = manifest["kind"].as_str().unwrap_or("").to_string();
        let seen_key = format!("bundle.{bundle_id}");
        let report = |imported, entries| BundleReport {
            kind: kind.clone(),
            bundle_id: bundle_id.clone(),
            imported,
            entries,
        };
        {
            let rtx = self.begin_read()?;
            let tx = Tx::Read(&rtx);
            if tx.meta_str(&seen_key)?.is_some() {
                return Ok(report(false, 0));
            }
            if let (Some(ours), Some(theirs)) = (
                tx.meta_str(meta::REMOTE_URL)?,
                manifest["remote_url"].as_str(),
            ) {
                if ours != theirs {
                    return Err(Error::BadRequest {
                        message: format!(
                            "The bundle is for {theirs}, but this store works with {ours}."
                        ),
                    });
                }
            }
        }
        match kind.as_str() {
            "snapshot" => {
                let snapshot: Value = serde_json::from_slice(part(&parts, "snapshot")?)
                    .map_err(|e| damaged(format!("snapshot: {e}")))?;
                let mut batch = self.batch()?;
                let r = batch.import_snapshot(&snapshot)?;
                let url = manifest["remote_url"].as_str().map(str::to_string);
                batch.with_writer(|w| {
                    if let Some(u) = &url {
                        if w.tx().meta_str(meta::REMOTE_URL)?.is_none() {
                            w.set_meta_str(meta::REMOTE_URL, u)?;
                        }
                    }
                    w.set_meta_str(&seen_key, "imported")
                })?;
                batch.commit()?;
                Ok(report(
                    true,
                    r.counts.get("cases").copied().unwrap_or(0) as u64,
                ))
            }
            "changes" => {
                let entries: Vec<JournalEntry> = serde_json::from_slice(part(&parts, "entries")?)
                    .map_err(|e| damaged(format!("entries: {e}")))?;
                let records: Value = serde_json::from_slice(part(&parts, "records")?)
                    .map_err(|e| damaged(format!("records: {e}")))?;
                let url = manifest["remote_url"].as_str().map(str::to_string);
                let mut batch = self.batch()?;
                let added = batch.with_writer(|w| {
                    import_changes(w, &entries, &records, url.as_deref(), &seen_key)
                })?;
                batch.commit()?;
                Ok(report(true, added))
            }
            other => Err(damaged(format!("unknown bundle kind {other:?}"))),
        }
    }
}

/// Applies a changes bundle's entries (those this store does not have yet) and journals them as
/// pending. Everything is checked before the first write.
fn import_changes(
    w: &mut Writer<'_>,
    entries: &[JournalEntry],
    records: &Value,
    url: Option<&str>,
    seen_key: &str,
) -> Result<u64> {
    let tx = w.tx();
    let mut known_ops = HashSet::new();
    tx.for_each_journal_entry(0, |e| {
        known_ops.insert(e.op_id);
        Ok(true)
    })?;
    let new: Vec<&JournalEntry> = entries
        .iter()
        .filter(|e| !known_ops.contains(&e.op_id))
        .collect();
    // The base: every server entity the changes touch must be here.
    let mut missing = Vec::new();
    for (kind, id) in needs(entries) {
        if !exists(&tx, kind, id)? {
            missing.push(format!("{} {id}", kind.noun()));
        }
    }
    if !missing.is_empty() {
        let more = if missing.len() > 5 {
            format!(" and {} more", missing.len() - 5)
        } else {
            String::new()
        };
        missing.truncate(5);
        return Err(Error::BadRequest {
            message: format!(
                "The bundle needs {}{more}{}, which this store does not have: pull from the server first, then import the bundle.",
                missing.join(", "),
                url.map(|u| format!(" (from {u})")).unwrap_or_default()
            ),
        });
    }
    // Local ids must not collide with this store's own local changes.
    for e in &new {
        for eff in e.effects.iter().filter(|f| f.action == Action::Create) {
            if exists(&tx, eff.kind, eff.id)? || tx.server_id(eff.kind, eff.id)?.is_some() {
                return Err(Error::BadRequest {
                    message: format!(
                        "The bundle creates {} {}, an id this store already uses for its own local changes; import it into a store without local changes.",
                        eff.kind.noun(),
                        eff.id
                    ),
                });
            }
        }
    }
    let list = |key: &str| records[key].as_array().cloned().unwrap_or_default();
    let find = |key: &str, id: u64| list(key).into_iter().find(|r| r["id"].as_u64() == Some(id));
    let mut suites_touched = BTreeSet::new();
    for e in &new {
        for eff in &e.effects {
            match (eff.action, eff.kind) {
                (Action::Create, Kind::Project) => {
                    if let Some(r) = find("projects", eff.id) {
                        let mut p = Project::from_json(&r).or_else(|_| local_project(&r))?;
                        p.id = eff.id;
                        w.put(&p)?;
                    }
                }
                (Action::Create, Kind::Suite) => {
                    if let Some(r) = find("suites", eff.id) {
                        w.put_suite(&suite_of(&r)?)?;
                    }
                }
                (Action::Create, Kind::Section) => {
                    if let Some(r) = find("sections", eff.id) {
                        let s = section_of(w, &r)?;
                        suites_touched.insert(s.suite_id);
                        w.put_section(&s)?;
                    }
                }
                (Action::Create, Kind::Case) => {
                    if let Some(r) = find("cases", eff.id) {
                        let c = case_of(w, &r)?;
                        w.put_case(&c, None)?;
                        crate::runs::case_added(w, &c)?;
                    }
                }
                (Action::Create, Kind::CaseField) => {
                    if let Some(r) = find("case_fields", eff.id) {
                        let mut f = r.clone();
                        f["id"] = json!(1);
                        let mut field = CaseField::from_json(&f)?;
                        field.id = eff.id;
                        w.put(&field)?;
                    }
                }
                (Action::Update | Action::Move, Kind::Case) => {
                    if let Some(old) = w.tx().get::<Case>(eff.id)? {
                        let mut j = old.to_json(&[]);
                        for c in &eff.changes {
                            j[c.field.as_str()] =
                                c.new.as_ref().map_or(Value::Null, Json::to_value);
                        }
                        let c = case_of(w, &j)?;
                        w.put_case(&c, Some(&old))?;
                    }
                }
                (Action::Update | Action::Move, Kind::Section) => {
                    if let Some(old) = w.tx().get::<Section>(eff.id)? {
                        let mut j = old.to_json();
                        for c in eff.changes.iter().filter(|c| c.field != "after_id") {
                            j[c.field.as_str()] =
                                c.new.as_ref().map_or(Value::Null, Json::to_value);
                        }
                        let s = section_of(w, &j)?;
                        suites_touched.insert(s.suite_id);
                        w.put_section(&s)?;
                    }
                }
                (Action::Update, Kind::Suite) => {
                    if let Some(old) = w.tx().get::<Suite>(eff.id)? {
                        let mut j = old.to_json();
                        for c in &eff.changes {
                            j[c.field.as_str()] =
                                c.new.as_ref().map_or(Value::Null, Json::to_value);
                        }
                        w.put_suite(&suite_of(&j)?)?;
                    }
                }
                (Action::Delete, Kind::Case) => {
                    if let Some(c) = w.tx().get::<Case>(eff.id)? {
                        w.delete_case(&c)?;
                        crate::cascade::case_deleted(w, &c)?;
                    }
                }
                (Action::Delete, Kind::Section) => {
                    if let Some(s) = w.tx().get::<Section>(eff.id)? {
                        suites_touched.insert(s.suite_id);
                        w.delete_section(&s)?;
                    }
                }
                (Action::Delete, Kind::Suite) => {
                    if let Some(s) = w.tx().get::<Suite>(eff.id)? {
                        w.delete_suite(&s)?;
                    }
                }
                (Action::Delete, Kind::Project) => {
                    w.remove::<Project>(eff.id)?;
                }
                _ => {}
            }
        }
        let mut entry = (*e).clone();
        entry.state = PushState::Pending;
        w.append_journal(&mut entry)?;
    }
    for suite in suites_touched {
        if w.tx().exists::<Suite>(suite)? {
            crate::tree::renumber_suite(w, suite)?;
        }
    }
    if let Some(u) = url {
        if w.tx().meta_str(meta::REMOTE_URL)?.is_none() {
            w.set_meta_str(meta::REMOTE_URL, u)?;
        }
    }
    w.set_meta_str(seen_key, "imported")?;
    Ok(new.len() as u64)
}

/// Records of local entities carry local ids, which the server-record readers refuse: read them
/// with a placeholder id and put the real one back.
fn with_placeholder<T>(
    r: &Value,
    read: impl Fn(&Value) -> Result<T>,
    set: impl Fn(&mut T, u64),
) -> Result<T> {
    let mut v = r.clone();
    let id = v["id"].as_u64().unwrap_or(0);
    for k in ["id", "suite_id", "section_id", "parent_id", "project_id"] {
        if v.get(k).and_then(Value::as_u64).is_some_and(is_local_id) {
            v[k] = json!(1);
        }
    }
    let mut out = read(&v)?;
    set(&mut out, id);
    Ok(out)
}

fn local_project(r: &Value) -> Result<Project> {
    with_placeholder(r, Project::from_json, |p, id| p.id = id)
}

fn suite_of(r: &Value) -> Result<Suite> {
    let project = r["project_id"].as_u64().unwrap_or(0);
    with_placeholder(r, Suite::from_json, |s, id| {
        s.id = id;
        s.project_id = project;
    })
}

fn section_of(w: &Writer<'_>, r: &Value) -> Result<Section> {
    let suite = r["suite_id"].as_u64().unwrap_or(0);
    let parent = r["parent_id"].as_u64();
    let project = w
        .tx()
        .get::<Suite>(suite)?
        .map(|s| s.project_id)
        .ok_or_else(|| damaged(format!("section {} names a missing suite", r["id"])))?;
    with_placeholder(r, Section::from_json, |s, id| {
        s.id = id;
        s.suite_id = suite;
        s.parent_id = parent;
        s.project_id = project;
    })
}

fn case_of(w: &Writer<'_>, r: &Value) -> Result<Case> {
    let section = r["section_id"].as_u64().unwrap_or(0);
    let sec = w
        .tx()
        .get::<Section>(section)?
        .ok_or_else(|| damaged(format!("case {} names a missing section", r["id"])))?;
    with_placeholder(r, Case::from_json, |c, id| {
        c.id = id;
        c.section_id = section;
        c.suite_id = sec.suite_id;
        c.project_id = sec.project_id;
    })
}
