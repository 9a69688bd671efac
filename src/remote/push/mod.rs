//! Push: replay the journal's pending entries against a TestRail server, exactly once.
//!
//! - **Order and coalescing.** Entries become operations in journal order (parents are created
//!   before what goes in them, because the journal saw them that way). Later edits of a case fold
//!   into an earlier add or update of it when nothing in between refers to the case; an add then a
//!   delete sends nothing; multi-case calls use TestRail's bulk endpoints (`update_cases`,
//!   `delete_cases`, `move_cases_to_section`).
//! - **Exactly once without idempotency keys.** Before each request its entries are committed
//!   `in_flight`. When the answer is lost (broken connection, 5xx, 409, or a crash), a create is
//!   not resent blindly: the target is probed first — by the marker field when the instance has
//!   one (`custom_trailstore_op`, holding the operation id), otherwise by title and every sent
//!   field, among entities this user created whose ids are newer than any the store knows — and
//!   one match is adopted, none means resend, several is a conflict for a person. Updates re-read
//!   the server first, so a resend of an applied update sends nothing; a delete whose target is
//!   already gone counts as done.
//! - **Ids.** A created entity's server id is recorded in the id map, and the local record is
//!   renamed to it, in the same transaction that marks its entries done; the local id stays a
//!   valid alias in every route. Later operations are translated when sent; one that needs an id
//!   whose create failed is `blocked`.
//! - **Conflicts.** Before an update, the server's copy is compared with the base (the values the
//!   local change started from): fields only changed here are sent; a field changed on both sides
//!   to different values is recorded as a conflict with both values and not sent.
//! - **Faults.** 429 waits `Retry-After` and resends (never fails an entry); 5xx, 409 and broken
//!   connections back off and retry; a 400 rejects the entry with the server's message; 401/403
//!   stop the push with the journal intact.
//!
//! The files: `plan` (entries to operations; pure), `send` (the `Pusher`: requests, retries,
//! journal states), `create` and `probe` (creates sent once), `update` (the conflict check) and
//! `ids` (local records renamed to their server ids).

mod create;
mod ids;
mod ids_runs;
mod plan;
mod plan_runs;
mod probe;
mod runs;
mod send;
mod split;
mod update;

use std::collections::HashMap;

use serde_json::{json, Value};

use super::{Remote, RetryPolicy};
use crate::error::{Error, Result};
use crate::journal::{Action, JournalEntry, PushState};
use crate::model::Kind;
use crate::store::Store;
use crate::tables::meta;
use crate::tx::Tx;
use send::Pusher;

/// The custom field that, when the instance has it, carries each create's operation id.
pub const MARKER_FIELD: &str = "custom_trailstore_op";

/// What push does with results for a run the server has closed meanwhile (TestRail 10.1+ closes
/// runs after 180 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClosedRun {
    /// Keep them, marked held with a message saying why (the default).
    #[default]
    Hold,
    /// Send them to a new run made like the closed one.
    New,
}

/// How to push.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Only say what would be sent.
    pub dry_run: bool,
    /// Results for runs the server closed.
    pub closed_run: ClosedRun,
    pub retry: RetryPolicy,
    /// The marker field's system name (used when the server has it).
    pub marker_field: String,
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions {
            dry_run: false,
            closed_run: ClosedRun::Hold,
            retry: RetryPolicy::default(),
            marker_field: MARKER_FIELD.into(),
        }
    }
}

/// Progress of a push, for a progress bar.
#[derive(Debug, Clone)]
pub enum PushProgress {
    /// The number of operations to send.
    Planned(usize),
    /// One operation finished.
    Done,
    /// The number of results to send (before any `Results`).
    PlannedResults(u64),
    /// This many more results reached the server.
    Results(u64),
}

/// What a push did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    /// Requests that changed the server (or, in a dry run, would).
    pub sent: u64,
    pub created: u64,
    pub updated: u64,
    pub deleted: u64,
    pub rejected: u64,
    pub conflicts: u64,
    pub blocked: u64,
    /// Results held back (their run is closed on the server).
    pub held: u64,
    /// Results the server took.
    pub results: u64,
    /// Journal entries now done.
    pub entries_done: u64,
    /// Ambiguous creates settled by probing instead of resending.
    pub adopted: u64,
    /// HTTP requests, retries included.
    pub requests: u64,
    /// The requests of a dry run, as `POST route body`.
    pub dry_run: Vec<String>,
}

impl PushReport {
    pub fn to_json(&self) -> Value {
        json!({
            "sent": self.sent, "created": self.created, "updated": self.updated,
            "deleted": self.deleted, "rejected": self.rejected, "conflicts": self.conflicts,
            "blocked": self.blocked, "held": self.held, "results": self.results,
            "entries_done": self.entries_done, "adopted": self.adopted,
            "requests": self.requests, "dry_run": self.dry_run,
        })
    }
}

impl std::fmt::Display for PushReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Push: {} sent ({} created, {} updated, {} deleted, {} results), {} rejected, {} conflicts, {} blocked, {} held; {} journal entries done ({} requests)",
            self.sent, self.created, self.updated, self.deleted, self.results, self.rejected,
            self.conflicts, self.blocked, self.held, self.entries_done, self.requests
        )
    }
}

/// What a push starts from, read in one snapshot.
struct Pending {
    /// The server this store pushed to before, if any.
    remote_url: Option<String>,
    /// The entries still to send: pending, in flight or blocked, in journal order.
    entries: Vec<JournalEntry>,
    /// The seq of the entry that creates each local entity, for `blocked`.
    creators: HashMap<(Kind, u64), u64>,
}

impl Pending {
    fn read(store: &Store) -> Result<Pending> {
        let rtx = store.begin_read()?;
        let tx = Tx::Read(&rtx);
        let mut entries = Vec::new();
        let mut creators = HashMap::new();
        tx.for_each_journal_entry(0, |e| {
            for eff in &e.effects {
                if eff.action == Action::Create {
                    creators.insert((eff.kind, eff.id), e.seq);
                }
            }
            if matches!(
                e.state,
                PushState::Pending
                    | PushState::InFlight { .. }
                    | PushState::Blocked { .. }
                    | PushState::Held { .. }
            ) {
                entries.push(e);
            }
            Ok(true)
        })?;
        Ok(Pending {
            remote_url: tx.meta_str(meta::REMOTE_URL)?,
            entries,
            creators,
        })
    }
}

/// Waits until every request an earlier push left in flight is `settle` old. A pusher killed
/// right after sending leaves its request still being applied on the server for a moment;
/// probing before it lands finds nothing and sends it a second time.
fn settle_in_flight(entries: &[JournalEntry], settle: std::time::Duration) {
    let newest = entries
        .iter()
        .filter_map(|e| match e.state {
            PushState::InFlight { since } => Some(since),
            _ => None,
        })
        .max();
    let Some(since) = newest else {
        return;
    };
    // `since` has whole seconds: the mark was made somewhere in that second.
    let second = std::time::Duration::from_secs(1);
    let marked = std::time::UNIX_EPOCH + std::time::Duration::from_secs(since.max(0) as u64);
    if let Ok(left) = (marked + settle + second).duration_since(std::time::SystemTime::now()) {
        std::thread::sleep(left.min(settle + second));
    }
}

/// Pushes the pending journal to `remote` (see the module docs).
pub fn push(
    store: &Store,
    remote: &Remote,
    opts: &PushOptions,
    progress: &mut dyn FnMut(PushProgress),
) -> Result<PushReport> {
    let url = remote.display_url();
    let pending = Pending::read(store)?;
    if let Some(k) = &pending.remote_url {
        if *k != url {
            return Err(Error::BadRequest {
                message: format!("This store pushes to {k}, not {url}."),
            });
        }
    }
    if !opts.dry_run {
        settle_in_flight(&pending.entries, opts.retry.settle);
    }
    let ops = plan::plan(&pending.entries)?;
    progress(PushProgress::Planned(ops.len()));
    let results: usize = ops
        .iter()
        .map(|o| match &o.call {
            plan::Call::Results { items, .. } => items.len(),
            _ => 0,
        })
        .sum();
    progress(PushProgress::PlannedResults(results as u64));
    let mut pusher = Pusher::new(store, remote, opts, pending.creators)?;
    if !ops.is_empty() && !opts.dry_run {
        pusher.learn_server(&remote.user)?;
    }
    for op in &ops {
        let before = pusher.report.results;
        let step = pusher.run_op(op).map_err(|e| pusher.stop(op, e))?;
        if !opts.dry_run {
            pusher.record(op, &step)?;
        }
        if let plan::Call::Results { items, .. } = &op.call {
            // Results that arrived, or were adopted after a lost answer, or were already there.
            let arrived = match &step {
                send::Step::Results(o) => o.done.len() as u64,
                _ => items.len() as u64,
            };
            progress(PushProgress::Results(
                arrived.max(pusher.report.results - before),
            ));
        }
        progress(PushProgress::Done);
    }
    if !opts.dry_run && pending.remote_url.is_none() && !ops.is_empty() {
        pusher.write(|w| w.set_meta_str(meta::REMOTE_URL, &url))?;
    }
    Ok(pusher.finish())
}
