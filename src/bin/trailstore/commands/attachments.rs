//! `trailstore attachments`: files attached to cases, results, runs and plans, through the same
//! routes a TestRail client uploads to and reads from (add_attachment_to_*,
//! get_attachments_for_*, get_attachment, delete_attachment).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use trailstore::{Error, Store, ATTACHMENT_MAX};

use super::{query, Failure};
use crate::args::{AttachTo, AttachmentsAddArgs, AttachmentsGetArgs, AttachmentsListArgs, ListFor};
use crate::render;

/// What a file is attached to, or whose attachments are listed.
struct Owner {
    /// `case/12`, `plan_entry/3/<guid>`: the tail of the add and list routes.
    tail: String,
    /// How a person reads it: `case C12`.
    label: String,
}

/// The owner named by a kind (`case`, as the route names it) and its ID argument. TestRail's
/// letters are taken (`C12`, `R7`, `T101`) because its web pages show ids that way; the ID is
/// checked here so that no text of it can change the route it goes into.
fn owner(kind: &str, id: &str) -> Result<Owner, Error> {
    let id = id.trim();
    if kind == "plan_entry" {
        let parsed = id.split_once('/').and_then(|(plan, entry)| {
            let plan = plan.parse::<u64>().ok()?;
            let plain = !entry.is_empty()
                && entry
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-');
            plain.then_some((plan, entry))
        });
        let (plan, entry) = parsed.ok_or_else(|| Error::BadRequest {
            message: format!(
                "A plan entry is named PLAN_ID/ENTRY_ID (3/9f2c1a7e-0b1d-4c55-8d1e-2f9b6c3a4d10, \
                 the entry's id as get_plan lists it), not \"{id}\"."
            ),
        })?;
        return Ok(Owner {
            tail: format!("plan_entry/{plan}/{entry}"),
            label: format!("entry {entry} of plan {plan}"),
        });
    }
    let letter = match kind {
        "case" => "C",
        "run" => "R",
        "test" => "T",
        _ => "",
    };
    let digits = if letter.is_empty() {
        id
    } else {
        id.strip_prefix(letter)
            .or_else(|| id.strip_prefix(&letter.to_ascii_lowercase()))
            .unwrap_or(id)
    };
    let n = digits.parse::<u64>().map_err(|_| Error::BadRequest {
        message: format!("The id of a {kind} is a number (12), not \"{id}\"."),
    })?;
    Ok(Owner {
        tail: format!("{kind}/{n}"),
        label: format!("{kind} {letter}{n}"),
    })
}

fn add_kind(o: AttachTo) -> &'static str {
    match o {
        AttachTo::Case => "case",
        AttachTo::Result => "result",
        AttachTo::Run => "run",
        AttachTo::Plan => "plan",
        AttachTo::PlanEntry => "plan_entry",
    }
}

fn list_kind(o: ListFor) -> &'static str {
    match o {
        ListFor::Case => "case",
        ListFor::Run => "run",
        ListFor::Plan => "plan",
        ListFor::PlanEntry => "plan_entry",
        ListFor::Test => "test",
    }
}

/// A file to upload, checked before anything is read so that one bad FILE refuses the whole
/// command and the message names it: its name (text, as TestRail keeps names) and its size.
fn check_file(path: &Path) -> Result<(String, u64), Error> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Error::Io(std::io::Error::new(
            e.kind(),
            format!("{}: {e}", path.display()),
        ))
    })?;
    if meta.is_dir() {
        return Err(Error::BadRequest {
            message: format!("{} is a folder; give the files in it.", path.display()),
        });
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Validation {
            field: "attachment".into(),
            message: format!(
                "{}: the file's name is not text (UTF-8), and TestRail keeps names as text; rename the file.",
                path.display()
            ),
        })?;
    // The core refuses the same size too, but without the file's name, which matters when a
    // command names several.
    if meta.len() > ATTACHMENT_MAX {
        return Err(Error::TooLarge {
            message: format!(
                "{} is {}, more than {} MB, the largest file TestRail accepts.",
                path.display(),
                render::bytes(meta.len()),
                ATTACHMENT_MAX / (1024 * 1024)
            ),
        });
    }
    Ok((name.to_string(), meta.len()))
}

/// `trailstore attachments add`: every FILE in one batch, so they are attached together or not
/// at all.
pub fn add(store: &Store, a: AttachmentsAddArgs, human: bool) -> Result<(), Failure> {
    let o = owner(add_kind(a.owner), &a.id)?;
    let route = format!("add_attachment_to_{}", o.tail);
    let files = a
        .files
        .iter()
        .map(|f| check_file(f))
        .collect::<Result<Vec<_>, _>>()?;
    let mut batch = store.batch()?;
    let mut answers = Vec::with_capacity(a.files.len());
    for path in &a.files {
        answers.push(batch.add_attachment_file(&route, path)?);
    }
    batch.commit()?;
    if human {
        for (answer, (name, size)) in answers.iter().zip(&files) {
            out!(
                "Added attachment {} to {}: {name} ({}).",
                answer["attachment_id"],
                o.label,
                render::bytes(*size)
            );
        }
    } else {
        render::json(&Value::Array(answers));
    }
    Ok(())
}

/// `trailstore attachments list`: one page of an owner's attachments.
pub fn list(store: &Store, a: AttachmentsListArgs, human: bool) -> Result<(), Failure> {
    let o = owner(list_kind(a.owner), &a.id)?;
    let params = query(json!({ "limit": a.limit, "offset": a.offset }));
    let page = store
        .call_with(&format!("get_attachments_for_{}", o.tail), &params, None)?
        .into_value();
    if human {
        render::attachment_table(&page, &o.label, a.offset + a.limit);
    } else {
        render::json(&page);
    }
    Ok(())
}

/// Where `attachments get` writes when no `--out` is given: the attachment's own name in the
/// current folder. A name that is not one plain file name (a server may send any text) is
/// refused rather than followed out of the folder.
fn default_path(name: &str) -> Result<PathBuf, Failure> {
    let plain = Path::new(name)
        .file_name()
        .is_some_and(|n| n == std::ffi::OsStr::new(name));
    if plain && !name.contains('\\') {
        Ok(PathBuf::from(name))
    } else {
        Err(Failure::with_hint(
            Error::BadRequest {
                message: format!("The attachment's name \"{name}\" is not a plain file name."),
            },
            "give the file to write with -o PATH",
        ))
    }
}

/// An attachment id argument: the integer id, or a TestRail 7.1+ UUID. Checked here so that no
/// text of it can change the route it goes into (`14&soft=1` would make a delete a dry run).
fn attachment_id(id: &str) -> Result<&str, Error> {
    let id = id.trim();
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Ok(id)
    } else {
        Err(Error::BadRequest {
            message: format!(
                "An attachment id is a number (14) or a UUID, as attachments list shows it, not \"{id}\"."
            ),
        })
    }
}

/// `trailstore attachments get ID`: the bytes to a file (never over one that is there, unless
/// `--force`) or to standard output.
pub fn get(store: &Store, a: AttachmentsGetArgs, human: bool) -> Result<(), Failure> {
    let file = store.attachment(attachment_id(&a.id)?)?;
    if a.out.as_deref() == Some(Path::new("-")) {
        let mut stdout = std::io::stdout().lock();
        let written = std::io::copy(&mut file.reader(), &mut stdout).and_then(|_| stdout.flush());
        return match written {
            // A reader that stopped early (`| head`) is not a failure, as for every command.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => Ok(other.map_err(Error::from)?),
        };
    }
    let path = match a.out {
        Some(p) => p,
        None => default_path(file.name())?,
    };
    let opened = if a.force {
        File::create(&path)
    } else {
        OpenOptions::new().write(true).create_new(true).open(&path)
    };
    let mut out = opened.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Failure::with_hint(
                Error::BadRequest {
                    message: format!(
                        "{} is already there; it was left as it was.",
                        path.display()
                    ),
                },
                "give --force to replace it, or -o another path",
            )
        } else {
            Error::Io(std::io::Error::new(
                e.kind(),
                format!("{}: {e}", path.display()),
            ))
            .into()
        }
    })?;
    let copied = std::io::copy(&mut file.reader(), &mut out).and_then(|n| {
        out.sync_all()?;
        Ok(n)
    });
    let n = match copied {
        Ok(n) => n,
        Err(e) => {
            // Half a file is worse than none: the bytes can be fetched again.
            drop(out);
            let _ = std::fs::remove_file(&path);
            return Err(Error::Io(std::io::Error::new(
                e.kind(),
                format!("{}: {e}", path.display()),
            ))
            .into());
        }
    };
    if human {
        out!(
            "Wrote attachment {} ({}, {}) to {}.",
            file.id(),
            file.name(),
            render::bytes(n),
            path.display()
        );
    } else {
        render::json(&json!({
            "path": path.display().to_string(),
            "attachment": file.to_json(),
        }));
    }
    Ok(())
}

/// `trailstore attachments delete ID`.
pub fn delete(store: &Store, id: &str, human: bool) -> Result<(), Failure> {
    let id = attachment_id(id)?;
    store.call(&format!("delete_attachment/{id}"), None)?;
    if human {
        out!("Deleted attachment {id}.");
    }
    Ok(())
}
