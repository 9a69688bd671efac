//! Attachments through the store's own API: uploads streamed into the store (never whole in
//! memory) and the bytes read back. The routes are the dispatcher's (`add_attachment_to_*`,
//! `get_attachment`), so every rule and the journal entry are the route's; only the file travels
//! beside the request instead of inside a JSON body.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::api::{Method, Request};
use crate::blobs::Incoming;
use crate::error::{Error, Result};
use crate::messages as msg;
use crate::model::Attachment;
use crate::store::{Batch, Store};

/// An attachment upload in progress: write the bytes, then [`Upload::finish`] records it.
/// Dropping it unfinished leaves nothing behind.
pub struct Upload {
    store: Store,
    request: Request,
    name: String,
    incoming: Incoming,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("route", &self.request.route)
            .field("name", &self.name)
            .field("size", &self.incoming.size())
            .finish()
    }
}

/// The name an uploaded file is kept under: its last path component, at most 250 characters,
/// no control characters.
pub(crate) fn file_name(name: &str) -> Result<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty()
        || base == "."
        || base == ".."
        || base.chars().count() > 250
        || base.chars().any(char::is_control)
    {
        return Err(msg::bad_file_name());
    }
    Ok(base.to_string())
}

fn is_upload(m: Method) -> bool {
    matches!(
        m,
        Method::AddAttachmentToCase
            | Method::AddAttachmentToResult
            | Method::AddAttachmentToRun
            | Method::AddAttachmentToPlan
            | Method::AddAttachmentToPlanEntry
    )
}

impl Upload {
    /// Appends bytes. Past 256 MB the upload is refused (`Error::TooLarge`, HTTP 413).
    pub fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.incoming.write(chunk)
    }

    /// Appends everything a reader gives.
    pub fn copy_from(&mut self, r: impl Read) -> Result<()> {
        self.incoming.copy_from(r)
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.incoming.size()
    }

    /// Makes the bytes durable, then records the attachment (with its journal entry) in one
    /// transaction; answers `{"attachment_id": N}` as TestRail does.
    pub fn finish(self) -> Result<Value> {
        let staged = self.incoming.finish()?;
        let mut batch = self.store.batch()?;
        let out = batch.attach(&self.request, &self.name, &staged)?;
        batch.commit()?;
        Ok(out)
    }

    /// Like [`Upload::finish`], inside a batch (committed with it).
    pub fn finish_in(self, batch: &mut Batch) -> Result<Value> {
        let staged = self.incoming.finish()?;
        batch.attach(&self.request, &self.name, &staged)
    }
}

/// An attachment's bytes, open for reading, with its metadata: the answer of `get_attachment`.
/// The file stays readable while this lives, even if the attachment is deleted meanwhile.
#[derive(Debug, Clone)]
pub struct AttachmentFile {
    meta: Attachment,
    file: Arc<std::fs::File>,
}

impl PartialEq for AttachmentFile {
    fn eq(&self, other: &Self) -> bool {
        self.meta == other.meta
    }
}

impl AttachmentFile {
    pub(crate) fn new(meta: Attachment, file: std::fs::File) -> AttachmentFile {
        AttachmentFile {
            meta,
            file: Arc::new(file),
        }
    }

    pub fn id(&self) -> u64 {
        self.meta.id
    }

    pub fn name(&self) -> &str {
        &self.meta.name
    }

    pub fn size(&self) -> u64 {
        self.meta.size
    }

    /// The media type of the bytes, from the file's extension.
    pub fn content_type(&self) -> &'static str {
        self.meta.content_type()
    }

    /// The attachment's metadata, as `get_attachments_for_*` lists it.
    pub fn to_json(&self) -> Value {
        self.meta.to_json()
    }

    /// A reader of the bytes from the start (each reader has its own position).
    pub fn reader(&self) -> FileReader<'_> {
        FileReader {
            file: &self.file,
            pos: 0,
        }
    }

    /// Reads bytes at `pos` into `buf` (a positioned read; 0 at the end).
    pub fn read_at(&self, buf: &mut [u8], pos: u64) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        self.file.read_at(buf, pos)
    }

    /// Writes the bytes to a new file at `path` (replacing one that is there), and flushes it.
    pub fn save_to(&self, path: impl AsRef<Path>) -> Result<u64> {
        let mut out = std::fs::File::create(path.as_ref())?;
        let n = std::io::copy(&mut self.reader(), &mut out)?;
        out.sync_all()?;
        Ok(n)
    }

    /// The bytes in memory (for small files; [`AttachmentFile::reader`] streams).
    pub fn to_vec(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(self.meta.size as usize);
        self.reader().read_to_end(&mut out)?;
        Ok(out)
    }
}

/// Reads an attachment's bytes (positioned reads, so readers of one file do not interfere).
pub struct FileReader<'a> {
    file: &'a std::fs::File,
    pos: u64,
}

impl Read for FileReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Store {
    /// Starts an upload to `route` (`add_attachment_to_result/12`, …) of a file named
    /// `file_name`. The route and its owner are checked first, so a refused upload reads no
    /// bytes.
    pub fn upload(&self, route: &str, file_name: &str) -> Result<Upload> {
        self.check_pid()?;
        let request = Request::parse(route, None)?;
        if !is_upload(request.method) {
            return Err(Error::bad_request(format!(
                "{} does not take a file.",
                request.method.name()
            )));
        }
        let name = self::file_name(file_name)?;
        self.check_attachment_owner(&request)?;
        Ok(Upload {
            store: self.clone(),
            request,
            name,
            incoming: self.inner.blobs.begin()?,
        })
    }

    /// Uploads everything `reader` gives as one attachment (see [`Store::upload`]).
    pub fn add_attachment(&self, route: &str, file_name: &str, reader: impl Read) -> Result<Value> {
        let mut up = self.upload(route, file_name)?;
        up.copy_from(reader)?;
        up.finish()
    }

    /// Uploads the file at `path`, under its own name (which must be text).
    pub fn add_attachment_file(&self, route: &str, path: impl AsRef<Path>) -> Result<Value> {
        let path = path.as_ref();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(msg::bad_file_name)?;
        let file = std::fs::File::open(path)?;
        self.add_attachment(route, name, file)
    }

    /// The bytes and metadata of attachment `id` (its integer id, or a 7.1+ UUID).
    pub fn attachment(&self, id: &str) -> Result<AttachmentFile> {
        match self
            .answer(&format!("get_attachment/{id}"), None)?
            .into_file()
        {
            Some(f) => Ok(f),
            None => Err(Error::internal("get_attachment answered no file")),
        }
    }
}
