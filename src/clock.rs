//! The one clock of the store: every stamp it writes (`created_on`, `updated_on`, journal times,
//! pull watermarks) comes from here, so the rule is written once.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the UNIX epoch, as TestRail stamps `created_on` and `updated_on`.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
