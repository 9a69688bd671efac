//! Sync with a TestRail server (`trailstore pull` and `trailstore push`), and the conflicts they
//! record.
//!
//! Credentials are resolved by the core (`Remote::resolve`): the arguments, then `TESTRAIL_URL`
//! / `TESTRAIL_USER` / `TESTRAIL_KEY`, then the owner-only config file. The key lives in memory
//! for the requests only. The core never writes it into a message; on top of that, every failure
//! of these functions is scrubbed of the key (and of a password in the URL) before it becomes the
//! thread's last error, so not even a server that echoes what it was sent can put it there.

use std::ffi::c_char;
use std::path::PathBuf;

use serde_json::{Map, Value};
use trailstore_core::{Error, PullOptions, PushOptions, Remote, Store};

use crate::error::{catch, guard, trailstore_status, Failure};
use crate::ffi::{arg_opt_object, arg_opt_str, arg_ref, arg_str, Out};
use crate::store::trailstore_store;

/// The password of a URL's user info (`https://user:password@host/`), if it has one.
fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    Some(userinfo.split_once(':')?.1.to_string())
}

/// Everything that could be a key: the argument, the environment's, a password in the URL.
fn known_secrets(url: Option<&str>, key: Option<&str>) -> Vec<String> {
    let mut secrets: Vec<String> = key.map(str::to_string).into_iter().collect();
    secrets.extend(std::env::var("TESTRAIL_KEY").ok());
    for u in url
        .map(str::to_string)
        .into_iter()
        .chain(std::env::var("TESTRAIL_URL").ok())
    {
        secrets.extend(url_password(&u));
    }
    secrets
}

/// The options of pull or push: a JSON object whose members are all in `known`.
fn options(
    options: Option<Map<String, Value>>,
    function: &str,
    known: &[&str],
) -> Result<Map<String, Value>, Failure> {
    let options = options.unwrap_or_default();
    if let Some(unknown) = options.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(Failure::validation(
            unknown.as_str(),
            format!(
                "Field :{unknown} is not an option of {function} (it takes {}).",
                known.join(", ")
            ),
        ));
    }
    Ok(options)
}

fn bool_option(options: &Map<String, Value>, key: &str, default: bool) -> Result<bool, Failure> {
    match options.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(Failure::validation(
            key,
            format!("Field :{key} must be true or false."),
        )),
    }
}

fn path_option(options: &Map<String, Value>, key: &str) -> Result<Option<PathBuf>, Failure> {
    match options.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(PathBuf::from(s))),
        Some(_) => Err(Failure::validation(
            key,
            format!("Field :{key} must be the path of a file."),
        )),
    }
}

fn projects_option(options: &Map<String, Value>) -> Result<Vec<u64>, Failure> {
    let bad = || {
        Failure::validation(
            "projects",
            "Field :projects must be a project id or a list of project ids.",
        )
    };
    let id = |v: &Value| v.as_u64().filter(|id| *id >= 1).ok_or_else(bad);
    match options.get("projects") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(id).collect(),
        Some(v) => Ok(vec![id(v)?]),
    }
}

/// The shared body of pull and push: reads the arguments, resolves the remote, runs `sync` and
/// writes its report; any failure is scrubbed of every secret it could contain.
///
/// # Safety
/// As the exported functions.
#[allow(clippy::too_many_arguments)]
unsafe fn sync(
    store: *const trailstore_store,
    url: *const c_char,
    user: *const c_char,
    key: *const c_char,
    options_json: *const c_char,
    out_report_json: *mut *mut c_char,
    function: &'static str,
    known: &[&str],
    run: impl FnOnce(&Store, &Remote, &Map<String, Value>) -> Result<Value, Failure>,
) -> trailstore_status {
    guard(|| {
        // The key first: from here on every failure is scrubbed of it.
        // SAFETY: forwarded from the caller.
        let key = unsafe { arg_opt_str(key, "key") }?;
        let url = unsafe { arg_opt_str(url, "url") }?;
        let mut secrets = known_secrets(url, key);
        catch(|| {
            // SAFETY: forwarded from the caller.
            let store = unsafe { arg_ref(store, "store") }?;
            let user = unsafe { arg_opt_str(user, "user") }?;
            let options_map = unsafe { arg_opt_object(options_json, "options_json") }?;
            let out = Out::new(out_report_json, "out_report_json")?;
            let opts = options(options_map, function, known)?;
            let config = path_option(&opts, "config")?;
            let remote = Remote::resolve(
                url.map(str::to_string),
                user.map(str::to_string),
                key.map(str::to_string),
                config.as_deref(),
            )?;
            secrets.push(remote.key.clone());
            secrets.extend(url_password(&remote.url));
            let report = run(&store.store, &remote, &opts)?;
            out.set_string(report.to_string());
            Ok(())
        })
        .map_err(|f| f.scrubbed(&secrets))
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
/// `{"config": "/path/config.json"}` (another config file).
///
/// Blocks until the pull ends (the client retries 429, 409, 5xx and broken connections). Fails
/// with `TRAILSTORE_STATUS_REMOTE` when the server refuses the login or cannot be reached,
/// `_BAD_REQUEST` when a credential is missing or the store pulls from another server,
/// `_FORBIDDEN` for a config file others can read, `_VALIDATION` naming an option that is unknown
/// or of the wrong type. Nothing is written on a failure.
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
            "trailstore_store_pull",
            &["projects", "scan", "config"],
            |s, remote, opts| {
                let opts = PullOptions {
                    projects: projects_option(opts)?,
                    scan: bool_option(opts, "scan", true)?,
                    ..PullOptions::default()
                };
                Ok(trailstore_core::pull(s, remote, &opts, &mut |_| {})?.to_json())
            },
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
/// `_VALIDATION` naming an option that is unknown or of the wrong type.
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
            "trailstore_store_push",
            &["dry_run", "config"],
            |s, remote, opts| {
                let opts = PushOptions {
                    dry_run: bool_option(opts, "dry_run", false)?,
                    ..PushOptions::default()
                };
                Ok(trailstore_core::push(s, remote, &opts, &mut |_| {})?.to_json())
            },
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

    #[test]
    fn url_passwords_are_found() {
        assert_eq!(
            url_password("https://me:s3cret@host/x").as_deref(),
            Some("s3cret")
        );
        assert_eq!(url_password("https://host/a@b"), None);
        assert_eq!(url_password("https://me@host/"), None);
        assert_eq!(url_password("host"), None);
    }
}
