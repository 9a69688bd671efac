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
