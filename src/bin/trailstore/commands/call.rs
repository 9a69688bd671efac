//! `trailstore call`: any TestRail route, as TestRail's HTTP API takes it.

use trailstore::{Error, Response, Store};

use super::read_data;
use crate::args::CallArgs;
use crate::render;

/// `trailstore call ROUTE [--data JSON|@FILE]`: prints the answer as JSON (nothing for a
/// delete's empty body, the metadata of an attachment: `attachments get` saves its bytes).
pub fn call(store: &Store, a: CallArgs) -> Result<(), Error> {
    let body = match a.data {
        Some(d) => trailstore::parse_body(&read_data(&d)?)?,
        None => None,
    };
    match store.call(&a.route, body.as_ref())? {
        Response::Json(v) => render::json(&v),
        Response::Empty => {}
        Response::File(f) => render::json(&f.to_json()),
    }
    Ok(())
}
