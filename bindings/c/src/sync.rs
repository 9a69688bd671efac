//! Sync with a TestRail server (`trailstore pull` and `trailstore push`), and the conflicts they
//! record.
//!
//! The core does the work and keeps its rules: the options (`PullOptions::from_json`,
//! `PushOptions::from_json`, `config_option`), the credentials (`Remote::resolve`: the
//! arguments, then `TESTRAIL_URL` / `TESTRAIL_USER` / `TESTRAIL_KEY`, then the owner-only config
//! file) and the scrubbing of the key and of a URL's password from every error, so not even a
//! server that echoes what it was sent can put them in the thread's last error.

use std::ffi::c_char;

use serde_json::{Map, Value};
use trailstore_core::{config_option, Error, PullOptions, PushOptions, Remote, Store};

use crate::error::{guard, trailstore_status};
use crate::ffi::{arg_opt_object, arg_opt_str, arg_ref, arg_str, Out};
use crate::store::trailstore_store;

/// The shared body of pull and push: reads the arguments, reads the options with `options`,
/// resolves the remote, runs `run` and writes its report.
///
/// # Safety
/// As the exported functions.
#[allow(clippy::too_many_arguments)]
unsafe fn sync<O>(
    store: *const trailstore_store,
    url: *const c_char,
    user: *const c_char,
    key: *const c_char,
    options_json: *const c_char,
    out_report_json: *mut *mut c_char,
    options: impl FnOnce(&Map<String, Value>) -> Result<O, Error>,
    run: impl FnOnce(&Store, &Remote, &O) -> Result<Value, Error>,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let store = unsafe { arg_ref(store, "store") }?;
        let url = unsafe { arg_opt_str(url, "url") }?;
        let user = unsafe { arg_opt_str(user, "user") }?;
        let key = unsafe { arg_opt_str(key, "key") }?;
        let map = unsafe { arg_opt_object(options_json, "options_json") }?.unwrap_or_default();
        let out = Out::new(out_report_json, "out_report_json")?;
        let opts = options(&map)?;
        let remote = Remote::resolve(
            url.map(str::to_string),
            user.map(str::to_string),
            key.map(str::to_string),
            config_option(&map)?.as_deref(),
        )?;
        // The core catches a panic in pull or push and scrubs every error it returns.
        let report = run(&store.store, &remote, &opts)?;
        out.set_string(report.to_string());
        Ok(())
    })
}

/// Pulls a TestRail server's state into the store (`trailstore pull`) and writes the report to
/// `*out_report_json` (free it with `trailstore_string_free()`): `{"first", "fetched", "new",
/// "changed", "deleted", "conflicts", "requests"}`.
///
/// The first pull takes everything the user can see; later pulls take the cases changed since,
/// and scan case ids for deletions and moves. Pulled data is server state: it is not journaled.
/// A case or section with unpushed local edits is merged field by field; a field changed on both
/// sides keeps the local value and becomes a conflict (`trailstore_conflicts_list()`).
///
/// `url`, `user` and `key` may each be NULL: the core then takes `TESTRAIL_URL`,
/// `TESTRAIL_USER`, `TESTRAIL_KEY`, then the config file (`~/.config/trailstore/config.json`,
/// used only when no one else can read it). The key goes to the server and nowhere else: not
/// into the store, the report, or any message (`trailstore_last_error_message()` included).
///
/// `options_json` is NULL (or `""`) or a JSON object: `{"projects": [1, 3]}` (only these
/// projects; an id or a list), `{"scan": false}` (skip the id scan of a later pull),
/// `{"results": true}` (also the results of the open runs; their tests always come),
/// `{"config": "/path/config.json"}` (another config file).
///
/// Blocks until the pull ends (the client retries 429, 409, 5xx and broken connections). Fails
/// with `TRAILSTORE_STATUS_REMOTE` when the server refuses the login or cannot be reached,
/// `_BAD_REQUEST` when a credential is missing or the store pulls from another server,
/// `_FORBIDDEN` for a config file others can read, `_VALIDATION` naming an option that is unknown
/// or of the wrong type, `_BUSY` when this thread has a batch open (before anything is fetched).
/// Nothing is written on a failure.
///
/// # Safety
/// `store` is NULL or a live handle; `url`, `user`, `key` and `options_json` are NULL or
/// NUL-terminated strings; `out_report_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_store_pull(
    store: *const trailstore_store,
    url: *const c_char,
    user: *const c_char,
    key: *const c_char,
    options_json: *const c_char,
    out_report_json: *mut *mut c_char,
) -> trailstore_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        sync(
            store,
            url,
            user,
            key,
            options_json,
            out_report_json,
            |map| PullOptions::from_json(map, "trailstore_store_pull"),
            |s, remote, opts| Ok(trailstore_core::pull(s, remote, opts, &mut |_| {})?.to_json()),
        )
    }
}

/// Sends the journal's pending changes to a TestRail server, exactly once (`trailstore push`),
/// and writes the report to `*out_report_json` (free it with `trailstore_string_free()`):
/// `{"sent", "created", "updated", "deleted", "rejected", "conflicts", "blocked",
/// "entries_done", "adopted", "requests", "dry_run"}`.
///
/// A created entity takes its server id in the store, and its local id stays an alias: after the
/// push, `trailstore_case_get(store, local_id, ...)` answers the case with its server id. A field
/// the server changed since the local edit started from it is not sent: it becomes a conflict. A
/// change the server refuses (400) is counted in `rejected` and kept in the journal with the
/// server's message; what depends on it is `blocked`. A push interrupted for any reason is simply
/// run again.
///
/// Credentials as for `trailstore_store_pull()` (each may be NULL). `options_json` is NULL (or
/// `""`) or a JSON object: `{"dry_run": true}` sends nothing and lists the requests a push would
/// make in the report's `dry_run` (`"POST add_case/5 {...}"`); `{"config": "/path"}` as for pull.
///
/// Fails with `TRAILSTORE_STATUS_REMOTE` when the server refuses the login (401, 403) or cannot
/// be reached (the journal stays as it was), `_BAD_REQUEST` for a missing credential,
/// `_VALIDATION` naming an option that is unknown or of the wrong type, `_BUSY` as for pull.
///
/// # Safety
/// `store` is NULL or a live handle; `url`, `user`, `key` and `options_json` are NULL or
/// NUL-terminated strings; `out_report_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_store_push(
    store: *const trailstore_store,
    url: *const c_char,
    user: *const c_char,
    key: *const c_char,
    options_json: *const c_char,
    out_report_json: *mut *mut c_char,
) -> trailstore_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        sync(
            store,
            url,
            user,
            key,
            options_json,
            out_report_json,
            |map| PushOptions::from_json(map, "trailstore_store_push"),
            |s, remote, opts| Ok(trailstore_core::push(s, remote, opts, &mut |_| {})?.to_json()),
        )
    }
}

/// Every open conflict (every page of `x_get_conflicts`) as a JSON array in `*out_json` (free it
/// with `trailstore_string_free()`), each `{"key", "entity", "id", "field", "base", "local",
/// "server", "detected_on", "source"}`: `key` (`"case/12/title"`) names it for
/// `trailstore_conflicts_resolve()`, `base` is the value both sides started from, `local` yours,
/// `server` the server's, `source` `"pull"` or `"push"`; `field` is `"deleted"` when one side
/// deleted what the other changed.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_conflicts_list(
    store: *const trailstore_store,
    out_json: *mut *mut c_char,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let store = unsafe { arg_ref(store, "store") }?;
        let out = Out::new(out_json, "out_json")?;
        out.set_string(crate::cases::list_all(&store.store, "x_get_conflicts")?);
        Ok(())
    })
}

/// Settles one conflict (`x_resolve_conflict`) and writes `{"resolved": key,
/// "entries_reopened": n}` to `*out_json` (free it with `trailstore_string_free()`).
///
/// `conflict_key` is a conflict's `key` (`"case/12/title"`). `resolution` is `"local"` (your
/// value stays and is pushed next time), `"server"` (the store takes the server's value and drops
/// your change of that field; for a `deleted` conflict, accepts the deletion) or `"value"` (the
/// field takes `value_json`, a JSON value such as `"\"New title\""` or `"3"`, as an ordinary,
/// journaled edit, and keeps it). `value_json` is read only with `"value"`; pass NULL otherwise.
///
/// Fails with `TRAILSTORE_STATUS_NOT_FOUND` (field `key`) for a key that names no open conflict,
/// `_VALIDATION` for another `resolution` (field `resolution`), for `"value"` without
/// `value_json` (field `value`) or for a value the field does not take, `_BAD_REQUEST` when
/// `value_json` is not JSON.
///
/// # Safety
/// `store` is NULL or a live handle; `conflict_key`, `resolution` and `value_json` are NULL or
/// NUL-terminated strings; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_conflicts_resolve(
    store: *const trailstore_store,
    conflict_key: *const c_char,
    resolution: *const c_char,
    value_json: *const c_char,
    out_json: *mut *mut c_char,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let store = unsafe { arg_ref(store, "store") }?;
        let conflict_key = unsafe { arg_str(conflict_key, "conflict_key") }?;
        let resolution = unsafe { arg_str(resolution, "resolution") }?;
        let value = unsafe { arg_opt_str(value_json, "value_json") }?;
        let out = Out::new(out_json, "out_json")?;
        let mut body = Map::new();
        body.insert("key".into(), conflict_key.into());
        body.insert("resolution".into(), resolution.into());
        if let Some(text) = value {
            let value: Value = serde_json::from_str(text).map_err(|e| Error::BadRequest {
                message: format!("Argument value_json is not valid JSON: {e}."),
            })?;
            body.insert("value".into(), value);
        }
        let response = store
            .store
            .call("x_resolve_conflict", Some(&Value::Object(body)))?;
        out.set_string(response.to_text());
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_message() -> String {
        // SAFETY: the message is a valid C string until the thread's next fallible call.
        let text =
            unsafe { std::ffi::CStr::from_ptr(crate::error::trailstore_last_error_message()) };
        text.to_str().unwrap().to_string()
    }

    fn remote(key: &str) -> Remote {
        Remote::resolve(
            Some("https://me:url-secret@example.invalid/".into()),
            Some("me@example.invalid".into()),
            Some(key.into()),
            None,
        )
        .unwrap()
    }

    #[test]
    fn the_core_scrubs_an_error_and_keeps_its_status() {
        let key = "SENTINEL-KEY-123";
        let echoed = Error::Remote {
            status: Some(401),
            message: format!("bad key {key} for user"),
        };
        let status = guard(|| Err(remote(key).scrub(echoed).into()));
        assert_eq!(status, trailstore_status::Remote);
        assert_eq!(
            last_message(),
            "The TestRail server answered 401: bad key <hidden> for user"
        );
        // Short "secrets" are not scrubbed (they would mangle ordinary words).
        let status = guard(|| {
            Err(remote("a")
                .scrub(Error::Remote {
                    status: None,
                    message: "a b".into(),
                })
                .into())
        });
        assert_eq!(status, trailstore_status::Remote);
        assert!(last_message().ends_with("a b"), "{}", last_message());
    }
}
