//! Attachment bytes: files inside the store folder, named by their SHA-256, so the same bytes
//! uploaded twice are stored once.
//!
//! Crash safety, with redb as the truth:
//! - An upload streams into `attachments/tmp/` (never whole in memory), is fsynced, and only
//!   then renamed to `attachments/<2 hex>/<sha256>` (the folder fsynced too), inside the write
//!   transaction that records it, before that transaction commits. A commit that returned Ok
//!   therefore names only bytes that are on disk.
//! - Bytes no longer named by any attachment are unlinked after the commit that dropped the last
//!   reference, never before: a crash in between leaves an orphan, never a dangling record.
//! - Opening the store removes what no committed record names: temporary files, and files of
//!   hashes the blob table does not hold (an upload whose commit never came, an unlink that a
//!   crash interrupted).
//! - One lock (`gate`) orders the two file operations that race: a writer that drops the last
//!   reference holds it from before its commit until its unlinks are done, and an upload holds
//!   it while it checks for and places its file. So an upload never counts on a file that an
//!   earlier writer is about to unlink.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The largest attachment TestRail takes (256 MB); a larger one is refused with 413.
pub const ATTACHMENT_MAX: u64 = 256 * 1024 * 1024;

/// Folder of the attachment bytes inside a store folder.
pub const ATTACHMENTS_DIR: &str = "attachments";

/// The blob folder of one store.
pub(crate) struct Blobs {
    dir: PathBuf,
    gate: Mutex<()>,
}

/// An upload's bytes, fsynced in a temporary file, ready to be placed.
pub(crate) struct Staged {
    pub sha256: String,
    pub size: u64,
    tmp: PathBuf,
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Placed uploads were renamed away; anything left is not needed.
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// Bytes being written to a temporary file (see [`Blobs::begin`]).
pub(crate) struct Incoming {
    file: Option<File>,
    tmp: PathBuf,
    hasher: Sha256,
    size: u64,
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if self.file.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

pub(crate) fn too_large() -> Error {
    Error::TooLarge {
        message: format!(
            "The attachment is larger than {} MB, the largest file TestRail accepts.",
            ATTACHMENT_MAX / (1024 * 1024)
        ),
    }
}

impl Incoming {
    /// Appends bytes; refuses (and the upload is dropped) past [`ATTACHMENT_MAX`].
    pub fn write(&mut self, chunk: &[u8]) -> Result<()> {
        if self.size + chunk.len() as u64 > ATTACHMENT_MAX {
            return Err(too_large());
        }
        let file = self.file.as_mut().ok_or(Error::Closed)?;
        file.write_all(chunk)?;
        self.hasher.update(chunk);
        self.size += chunk.len() as u64;
        Ok(())
    }

    /// Appends everything a reader gives, in pieces.
    pub fn copy_from(&mut self, mut r: impl Read) -> Result<()> {
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            self.write(&buf[..n])?;
        }
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Makes the bytes durable and names them by their hash.
    pub fn finish(mut self) -> Result<Staged> {
        let file = self.file.take().ok_or(Error::Closed)?;
        file.sync_all()?;
        drop(file);
        let sha256 = hex(&std::mem::take(&mut self.hasher).finalize());
        Ok(Staged {
            sha256,
            size: self.size,
            tmp: std::mem::take(&mut self.tmp),
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a name is a hash this store would have written.
fn is_hash(name: &str) -> bool {
    name.len() == 64
        && name
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

impl Blobs {
    pub fn new(store_dir: &Path) -> Blobs {
        Blobs {
            dir: store_dir.join(ATTACHMENTS_DIR),
            gate: Mutex::new(()),
        }
    }

    fn tmp_dir(&self) -> PathBuf {
        self.dir.join("tmp")
    }

    /// Where the bytes of a hash live.
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.dir.join(&sha256[..2.min(sha256.len())]).join(sha256)
    }

    /// Starts an upload into a new temporary file.
    pub fn begin(&self) -> Result<Incoming> {
        let tmp_dir = self.tmp_dir();
        std::fs::create_dir_all(&tmp_dir)?;
        let name = format!("{}.part", crate::journal::new_op_id());
        let tmp = tmp_dir.join(name);
        let file = File::options().write(true).create_new(true).open(&tmp)?;
        Ok(Incoming {
            file: Some(file),
            tmp,
            hasher: Sha256::new(),
            size: 0,
        })
    }

    /// The lock that orders placing and unlinking (see the module docs).
    pub fn gate(&self) -> MutexGuard<'_, ()> {
        match self.gate.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Puts staged bytes in place (unless the same bytes are there already), durably. Called
    /// inside the write transaction that records them, before its commit.
    pub fn place(&self, staged: &Staged) -> Result<()> {
        let _gate = self.gate();
        let path = self.path_of(&staged.sha256);
        if path.exists() {
            return Ok(());
        }
        let parent = path.parent().unwrap_or(&self.dir);
        let new_folder = !parent.exists();
        std::fs::create_dir_all(parent)?;
        std::fs::rename(&staged.tmp, &path)?;
        sync_dir(parent)?;
        if new_folder {
            sync_dir(&self.dir)?;
        }
        Ok(())
    }

    /// Opens the bytes of a hash for reading. An open file stays readable even if its last
    /// reference goes while it is read.
    pub fn open(&self, sha256: &str) -> Result<File> {
        File::open(self.path_of(sha256)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::damaged(format!(
                "the bytes of attachment {sha256} are missing from the store folder"
            )),
            _ => e.into(),
        })
    }

    /// Unlinks the bytes of hashes no attachment names any more. Called after the commit that
    /// dropped them, with the gate held since before that commit.
    pub fn unlink(&self, hashes: &[String]) {
        for h in hashes {
            // A failure leaves an orphan, which the next open removes.
            let _ = std::fs::remove_file(self.path_of(h));
        }
    }

    /// Removes everything no committed record names: temporary files, and the bytes of hashes
    /// not in `keep`. Returns how many files went.
    pub fn collect_garbage(&self, keep: &HashSet<String>) -> Result<usize> {
        let mut removed = 0;
        if !self.dir.exists() {
            return Ok(0);
        }
        if let Ok(entries) = std::fs::read_dir(self.tmp_dir()) {
            for e in entries.flatten() {
                if std::fs::remove_file(e.path()).is_ok() {
                    removed += 1;
                }
            }
        }
        for folder in std::fs::read_dir(&self.dir)?.flatten() {
            let name = folder.file_name();
            let name = name.to_string_lossy();
            if name.len() != 2 || !folder.path().is_dir() {
                continue;
            }
            for e in std::fs::read_dir(folder.path())?.flatten() {
                let file = e.file_name();
                let file = file.to_string_lossy();
                if (!is_hash(&file) || !keep.contains(file.as_ref()))
                    && std::fs::remove_file(e.path()).is_ok()
                {
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}
