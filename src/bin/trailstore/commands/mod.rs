//! One function per command: each reads the store through the public API, then prints JSON
//! (`--json`) or hands the answer to [`crate::render`].

pub mod attachments;
pub mod bundle;
pub mod call;
pub mod cases;
pub mod fields;
pub mod journal;
pub mod junit;
pub mod runs;
pub mod search;
pub mod sections;
pub mod serve;
pub mod store;
pub mod sync;

use std::io::Read;

use serde_json::{Map, Value};
use trailstore::{Error, Request, Store};

use crate::args::FieldArgs;

/// A command that failed: the store's error, and a hint only the command line can give (the core
/// names no command or flag, since C and Python callers read its messages too).
pub struct Failure {
    pub error: Error,
    pub hint: Option<&'static str>,
}

impl Failure {
    pub fn with_hint(error: Error, hint: &'static str) -> Failure {
        Failure {
            error,
            hint: Some(hint),
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        let hint = matches!(error, Error::Internal { .. })
            .then_some("run `trailstore check` to verify every page of the store");
        Failure { error, hint }
    }
}

/// The text of a `--data` argument: itself, or the file after `@` (`@-` is standard input).
pub fn read_data(arg: &str) -> Result<String, Error> {
    if arg == "@-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        Ok(s)
    } else if let Some(path) = arg.strip_prefix('@') {
        Ok(std::fs::read_to_string(path)?)
    } else {
        Ok(arg.to_string())
    }
}

/// A request body from `--data` and the `--field KEY=VALUE`s, on top of `base`; a value is
/// JSON when it parses, else text.
pub fn body_from(fields: &FieldArgs, mut base: Map<String, Value>) -> Result<Value, Error> {
    if let Some(d) = &fields.data {
        if let Some(Value::Object(m)) = trailstore::parse_body(&read_data(d)?)? {
            base.extend(m);
        }
    }
    for f in &fields.field {
        let (k, v) = f.split_once('=').ok_or_else(|| Error::BadRequest {
            message: format!("--field takes KEY=VALUE, got \"{f}\"."),
        })?;
        let value = serde_json::from_str::<Value>(v).unwrap_or_else(|_| Value::String(v.into()));
        base.insert(k.trim().to_string(), value);
    }
    Ok(Value::Object(base))
}

/// Query parameters as typed values, written `query(json!({"suite_id": suite}))`: the core
/// encodes them (`null` is left out, `true` is `1`, a list is `3,4`).
pub fn query(params: Value) -> Map<String, Value> {
    match params {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Every item of a list route, every page read on one snapshot.
pub fn list_all(store: &Store, endpoint: &str, params: Value) -> Result<Vec<Value>, Error> {
    store.list_all(&Request::with_params(endpoint, &query(params), None)?)
}
