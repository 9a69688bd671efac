//! `trailstore serve`: the store as a TestRail API v2 server (see [`crate::serve`]).

use trailstore::{Error, Store};

use crate::args::ServeArgs;
use crate::serve::{self, FaultPlan, ServeConfig};

/// `trailstore serve`: serves until Ctrl-C or SIGTERM, and says where once it listens.
pub fn serve(store: Store, a: ServeArgs) -> Result<(), Error> {
    let faults = a.faults.map(|p| FaultPlan::load(&p)).transpose()?;
    if faults.is_some() {
        eprintln!("WARNING: fault plan active: this server drops, delays and refuses requests on purpose.");
    }
    // Writes are the signed-in user's, as on TestRail (created_by of results, cases, runs), when
    // the store knows that user.
    if let Some(email) = &a.user {
        let route = format!(
            "get_user_by_email&email={}",
            percent_encoding::utf8_percent_encode(email, percent_encoding::NON_ALPHANUMERIC)
        );
        if let Some(id) = store
            .call(&route, None)
            .ok()
            .and_then(|r| r.into_value().get("id").and_then(|v| v.as_u64()))
        {
            store.set_user_id(id)?;
        }
    }
    let config = ServeConfig {
        bind: a.bind,
        user: a.user,
        key: a.key,
        faults,
    };
    let path = store.path().display().to_string();
    serve::run(store, config, |addr| {
        out!("Serving {path} at http://{addr}/ (TestRail API v2 at /index.php?/api/v2/). Ctrl-C stops.");
    })
}
